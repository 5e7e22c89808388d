/**
 * The audit report's model cards, read from the synthesized output like everything else in it:
 * AWS::SageMaker::ModelCard resources of the cloud assembly (the model from their cdk-mlops:model
 * tag), and the card ConfigMaps of the Terraform JSON (label mlops.cdk.io/model-card). A model the
 * output deploys without a card is listed too, flagged. Rendered as the "Model cards" section of
 * the Markdown and HTML reports; `mlops audit diff` lists card changes field by field.
 */
import { asObject, JsonObject } from '../json';
import { MODEL_CARD_LABEL, MODEL_TAG, RISK_RATINGS, RiskRating } from '../spec';
import { SynthesizedAssembly } from './cloud-assembly';
import { AuditModelCard, AuditReport } from './report-model';
import { tagsOf } from './rules';
import { block, resolveReference, TerraformOutput, TerraformResource } from './terraform';

const MODEL_CARD_TYPE = 'AWS::SageMaker::ModelCard';
/** CloudFormation's maps whose keys are the user's (kept as written when the content is read back). */
const USER_KEYED = new Set(['CustomDetails', 'Metadata']);
/** The component label of a Kubernetes model endpoint (constructs/kubernetes/model-endpoint.ts): which models the output deploys. */
const ENDPOINT_COMPONENT = 'model-endpoint';

const snake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** CloudFormation's PascalCase Content back in the model card JSON schema's snake_case. */
function snakeContent(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeContent);
  const o = asObject(value);
  if (!o) return value;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [snake(k), USER_KEYED.has(k) ? v : snakeContent(v)]));
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const at = (content: JsonObject, ...keys: string[]): string | undefined => {
  let v: unknown = content;
  for (const k of keys) v = asObject(v)?.[k];
  return text(v);
};

/** The summary fields of a card entry, from its content (snake_case). */
function summaryOf(content: JsonObject): Pick<AuditModelCard, 'riskRating' | 'owner' | 'purpose' | 'intendedUses' | 'outOfScopeUses'> {
  return {
    riskRating: at(content, 'intended_uses', 'risk_rating'),
    owner: at(content, 'model_overview', 'model_owner'),
    purpose: at(content, 'intended_uses', 'purpose_of_model'),
    intendedUses: at(content, 'intended_uses', 'intended_uses'),
    outOfScopeUses: at(content, 'additional_information', 'custom_details', 'out_of_scope_uses'),
  };
}

/** The cards of a cloud assembly, and every model (a cdk-mlops:model tag) without one. */
export function awsModelCards(assembly: SynthesizedAssembly): AuditModelCard[] {
  const cards: AuditModelCard[] = [];
  const models = new Map<string, string>();
  for (const stack of assembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      const model = tagsOf(r)?.[MODEL_TAG];
      if (model !== undefined && !models.has(model)) models.set(model, stack.stackName);
      if (r.Type !== MODEL_CARD_TYPE) continue;
      const p = r.Properties ?? {};
      const content = (snakeContent(p.Content) ?? {}) as JsonObject;
      const key = asObject(p.SecurityConfig)?.KmsKeyId;
      cards.push({
        target: 'aws-cloudformation', model: model ?? text(p.ModelCardName) ?? logicalId, hasCard: true,
        stack: stack.stackName, logicalId, constructPath: r.Metadata?.['aws:cdk:path'] as string | undefined,
        name: text(p.ModelCardName), status: text(p.ModelCardStatus), ...summaryOf(content),
        encryption: key === undefined ? 'AWS-owned key (no customer-managed key)' : 'customer-managed KMS key',
        content,
      });
    }
  }
  const carded = new Set(cards.map((c) => c.model));
  for (const [model, stack] of models) if (!carded.has(model)) cards.push({ target: 'aws-cloudformation', model, hasCard: false, stack });
  return cards;
}

const labelsOf = (r: TerraformResource): Record<string, unknown> => block(block(r.body.metadata)?.labels) ?? block(block(block(r.body.manifest)?.metadata)?.labels) ?? {};

/** The cards of a cdktf output (ConfigMaps labelled mlops.cdk.io/model-card), and every model endpoint without one. */
export function kubernetesModelCards(output: TerraformOutput): AuditModelCard[] {
  const cards: AuditModelCard[] = [];
  const models = new Map<string, string>();
  for (const stack of output.stacks) {
    for (const r of stack.resources) {
      const labels = labelsOf(r);
      const endpoint = labels['app.kubernetes.io/component'] === ENDPOINT_COMPONENT ? text(labels['app.kubernetes.io/name']) : undefined;
      if (endpoint !== undefined && !models.has(endpoint)) models.set(endpoint, stack.stackName);
      const model = text(labels[MODEL_CARD_LABEL]);
      if (model === undefined || !r.type.startsWith('kubernetes_config_map')) continue;
      const meta = block(r.body.metadata) ?? {};
      const data = block(r.body.data) ?? {};
      const annotations = block(meta.annotations) ?? {};
      let content: JsonObject = {};
      try {
        content = (JSON.parse(text(data['card.json']) ?? '{}') as JsonObject) ?? {};
      } catch {
        content = {};
      }
      cards.push({
        target: 'kubernetes-terraform', model, hasCard: true,
        stack: stack.stackName, logicalId: `${r.type}.${r.name}`, constructPath: r.constructPath,
        name: `${resolveReference(stack, meta.namespace) ?? 'default'}/${resolveReference(stack, meta.name) ?? r.name}`,
        status: text(annotations['mlops.cdk.io/model-card-status']), ...summaryOf(content),
        encryption: "a ConfigMap: stored as the cluster stores Secrets and ConfigMaps (etcd encryption is the cluster's setting)",
        content,
      });
    }
  }
  const carded = new Set(cards.map((c) => c.model));
  for (const [model, stack] of models) if (!carded.has(model)) cards.push({ target: 'kubernetes-terraform', model, hasCard: false, stack });
  return cards;
}

// ---------------------------------------------------------------- rendering

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const TARGET_TEXT: Record<AuditModelCard['target'], string> = { 'aws-cloudformation': 'AWS', 'kubernetes-terraform': 'Kubernetes' };
const MISSING = 'NO CARD';

/** The "Model cards" section of report.md. */
export function markdownModelCards(r: AuditReport): string[] {
  const lines = ['## Model cards', '', "What each model is for, how it may be used and how risky it is, as its card says. A model without a card is flagged.", ''];
  if (r.modelCards.length === 0) return [...lines, 'No models.', ''];
  lines.push('| Model | Target | Risk rating | Purpose | Owner | Status |', '|---|---|---|---|---|---|');
  for (const c of r.modelCards) {
    lines.push(c.hasCard
      ? `| ${mdCell(c.model)} | ${TARGET_TEXT[c.target]} | ${c.riskRating ?? '-'} | ${mdCell(c.purpose ?? '-')} | ${mdCell(c.owner ?? '-')} | ${c.status ?? '-'} |`
      : `| ${mdCell(c.model)} | ${TARGET_TEXT[c.target]} | **${MISSING}** | - | - | - |`);
  }
  lines.push('');
  return lines;
}

/** The "Model cards" section of report.html (`h` escapes text). */
export function htmlModelCards(r: AuditReport, h: (s: string) => string): string {
  const rows = r.modelCards.map((c) => (c.hasCard
    ? `<tr><td>${h(c.model)}</td><td>${TARGET_TEXT[c.target]}</td><td class="${c.riskRating === 'High' ? 'bad' : c.riskRating === 'Medium' || c.riskRating === 'Unknown' ? 'warn' : 'ok'}">${h(c.riskRating ?? '-')}</td><td>${h(c.purpose ?? '-')}${c.outOfScopeUses ? `<br><span class="muted">Not for: ${h(c.outOfScopeUses)}</span>` : ''}</td><td>${h(c.owner ?? '-')}</td><td>${h(c.status ?? '-')}</td></tr>`
    : `<tr class="missing-card"><td>${h(c.model)}</td><td>${TARGET_TEXT[c.target]}</td><td class="bad">${MISSING}</td><td colspan="3" class="bad">This model is deployed without a model card.</td></tr>`)).join('');
  return `<section id="model-cards"><h2>Model cards</h2><p class="muted">What each model is for, how it may be used and how risky it is, as its card says. A model without a card is flagged.</p>
${r.modelCards.length ? `<table class="wrap"><thead><tr><th>Model</th><th>Target</th><th>Risk rating</th><th>Purpose</th><th>Owner</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted">No models.</p>'}</section>`;
}

// ---------------------------------------------------------------- diff

export interface ModelCardChange {
  readonly kind: 'card-added' | 'card-removed' | 'card-changed' | 'risk-raised';
  readonly stack: string;
  readonly logicalId: string;
  readonly detail: string;
  readonly blocking: boolean;
}

/** Every leaf of a card's content, by dotted path. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  const o = asObject(value);
  if (o && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(o)) for (const [p, x] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(p, x);
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

const rank = (r: string | undefined) => RISK_RATINGS.indexOf((r ?? 'Unknown') as RiskRating);
const cut = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/**
 * Card changes between two reports: a card removed or a risk rating raised is blocking (an auditor
 * signs off on it); every other change is listed with the fields it touches.
 */
export function modelCardChanges(oldReport: Pick<AuditReport, 'modelCards'>, newReport: Pick<AuditReport, 'modelCards'>): ModelCardChange[] {
  const keyOf = (c: AuditModelCard) => `${c.target}\0${c.model}`;
  const before = new Map(oldReport.modelCards.filter((c) => c.hasCard).map((c) => [keyOf(c), c]));
  const after = new Map(newReport.modelCards.filter((c) => c.hasCard).map((c) => [keyOf(c), c]));
  const out: ModelCardChange[] = [];
  for (const [k, was] of before) {
    if (!after.has(k)) out.push({ kind: 'card-removed', stack: was.stack ?? '', logicalId: was.logicalId ?? was.model, blocking: true, detail: `the card of model ${was.model} is removed` });
  }
  for (const [k, now] of after) {
    const was = before.get(k);
    const where = { stack: now.stack ?? '', logicalId: now.logicalId ?? now.model };
    if (!was) {
      out.push({ kind: 'card-added', ...where, blocking: false, detail: `model ${now.model} gets a card (risk rating ${now.riskRating ?? 'none'}, status ${now.status ?? 'none'})` });
      continue;
    }
    if (rank(now.riskRating) > rank(was.riskRating)) {
      out.push({ kind: 'risk-raised', ...where, blocking: true, detail: `model ${now.model}'s risk rating rises from ${was.riskRating ?? 'none'} to ${now.riskRating}` });
    }
    const a = leaves(was.content);
    const b = leaves(now.content);
    const fields = [...new Set([...a.keys(), ...b.keys()])].filter((f) => a.get(f) !== b.get(f) && f !== 'intended_uses.risk_rating').sort();
    const parts = fields.map((f) => (!a.has(f) ? `${f} added (${cut(b.get(f)!)})` : !b.has(f) ? `${f} removed` : `${f}: ${cut(a.get(f)!)} → ${cut(b.get(f)!)}`));
    if (was.status !== now.status) parts.unshift(`status: ${was.status ?? 'none'} → ${now.status ?? 'none'}`);
    if (rank(now.riskRating) < rank(was.riskRating)) parts.unshift(`risk rating lowered: ${was.riskRating} → ${now.riskRating}`);
    if (parts.length) out.push({ kind: 'card-changed', ...where, blocking: false, detail: `model ${now.model}'s card changes: ${parts.join('; ')}` });
  }
  return out;
}
