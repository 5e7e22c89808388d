/**
 * The governance diff of two synthesized cloud assemblies: what a deployment would change for an
 * auditor. New or widened permissions, encryption removed, new or wider network exposure, stateful
 * resources replaced or deleted. Resource changes and their replacement impact come from
 * @aws-cdk/cloudformation-diff (the engine behind `cdk diff`), permission changes from its IAM
 * analysis; encryption and exposure from the audit model of each side.
 */
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { buildAuditReport } from './audit';
import { CfnResource, readCloudAssembly, SynthesizedAssembly, SynthesizedStack } from './cloud-assembly';
import { modelCardChanges } from './model-cards';
import { buildKubernetesAudit, KubernetesGovernanceMetadata, kubernetesGovernanceOf } from './kubernetes-audit';
import { AuditExposure, AuditReport } from './report-model';
import { MLOPS_RULES, RuleContext } from './rules';
import { readTerraformOutput, TerraformOutput } from './terraform';

export type GovernanceChangeKind =
  | 'permission-added' | 'permission-removed' | 'encryption-removed' | 'exposure-added' | 'isolation-removed'
  | 'stateful-replaced' | 'stateful-deleted' | 'stateful-orphaned' | 'account-added'
  | 'card-added' | 'card-removed' | 'card-changed' | 'risk-raised'
  | 'governance-lowered' | 'governance-raised' | 'acknowledgement-added' | 'acknowledgement-changed' | 'acknowledgement-removed';

export interface GovernanceChange {
  readonly kind: GovernanceChangeKind;
  readonly stack: string;
  readonly logicalId: string;
  readonly type?: string;
  /** What changes, in words. */
  readonly detail: string;
  /** Widens access or can lose data: a CI gate fails on it. */
  readonly blocking: boolean;
}

export interface GovernanceDiff {
  readonly changes: readonly GovernanceChange[];
  /** True when any change widens access or can lose data. */
  readonly blocking: boolean;
}

/** Resource types that hold data: replacing or deleting one can lose it. */
export const STATEFUL_TYPES = [
  'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::SageMaker::FeatureGroup', 'AWS::SageMaker::ModelPackageGroup', 'AWS::Logs::LogGroup',
  'AWS::SageMaker::MlflowTrackingServer', 'AWS::DynamoDB::Table', 'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster', 'AWS::EFS::FileSystem', 'AWS::EC2::Volume', 'AWS::SageMaker::Domain',
];

const EMPTY_STACK = { Resources: {} };

function templateOf(stack: SynthesizedStack | undefined): { Resources: Record<string, CfnResource> } {
  return stack ? { Resources: { ...stack.resources } } : EMPTY_STACK;
}

const key = (stack: string, logicalId: string) => `${stack}/${logicalId}`;

function exposureText(e: AuditExposure): string {
  return `${e.vpcPlacement} | ${e.networkIsolation} | ${e.authentication} | ${e.inbound.join('; ')}`;
}

function resourceChanges(oldStack: SynthesizedStack | undefined, newStack: SynthesizedStack | undefined, stackName: string): GovernanceChange[] {
  const out: GovernanceChange[] = [];
  const diff = fullDiff(templateOf(oldStack), templateOf(newStack));
  diff.resources.forEachDifference((logicalId, change) => {
    const type = change.newResourceType ?? change.oldResourceType ?? '?';
    if (!STATEFUL_TYPES.includes(type)) return;
    const impact = change.changeImpact;
    if (impact === ResourceImpact.WILL_REPLACE || impact === ResourceImpact.MAY_REPLACE) {
      const props = Object.entries(change.propertyUpdates).filter(([, p]) => p.changeImpact === ResourceImpact.WILL_REPLACE || p.changeImpact === ResourceImpact.MAY_REPLACE).map(([name]) => name);
      out.push({ kind: 'stateful-replaced', stack: stackName, logicalId, type, blocking: true,
        detail: `${impact === ResourceImpact.WILL_REPLACE ? 'will be' : 'may be'} replaced (a new, empty resource) because ${props.length ? props.join(', ') : 'its definition'} changed; its data stays only in the old one` });
    } else if (impact === ResourceImpact.WILL_DESTROY) {
      out.push({ kind: 'stateful-deleted', stack: stackName, logicalId, type, blocking: true, detail: 'will be deleted with its data (no Retain deletion policy)' });
    } else if (impact === ResourceImpact.WILL_ORPHAN) {
      out.push({ kind: 'stateful-orphaned', stack: stackName, logicalId, type, blocking: false, detail: 'leaves the stack; its Retain policy keeps it and its data in the account' });
    }
  });
  // IAM: statements and managed policy attachments added or removed, as cdk diff reports them.
  const iam = diff.iamChanges;
  const rows = iam.summarizeStatements().slice(1);
  for (const row of rows) {
    const [sign, resource, effect, action, principal, condition] = row;
    const added = sign.includes('+');
    out.push({ kind: added ? 'permission-added' : 'permission-removed', stack: stackName, logicalId: resourceLogicalIdOf(resource), blocking: added && effect.includes('Allow'),
      detail: `${effect.trim()} ${action.replace(/\n/g, ', ')} on ${resource.replace(/\n/g, ', ')}${principal.trim() ? ` for ${principal.replace(/\n/g, ', ')}` : ''}${condition.trim() ? ` when ${condition.replace(/\n/g, ' ')}` : ''}` });
  }
  for (const row of iam.summarizeManagedPolicies().slice(1)) {
    const [sign, resource, policy] = row;
    const added = sign.includes('+');
    out.push({ kind: added ? 'permission-added' : 'permission-removed', stack: stackName, logicalId: resourceLogicalIdOf(resource), blocking: added, detail: `managed policy ${policy} ${added ? 'attached to' : 'detached from'} ${resource}` });
  }
  return out;
}

/** cdk diff writes resources as `${Logical.Arn}` or `${Logical}`: the logical id, for the report. */
function resourceLogicalIdOf(text: string): string {
  const m = /\$\{([A-Za-z0-9]+)/.exec(text);
  return m ? m[1] : text.trim();
}

function modelChanges(oldReport: AuditReport, newReport: AuditReport, oldAssembly: SynthesizedAssembly, newAssembly: SynthesizedAssembly): GovernanceChange[] {
  const out: GovernanceChange[] = [];
  // Encryption: a store that had a customer-managed key and lost it, or a rule that passed and fails now.
  const oldStores = new Map(oldReport.dataStores.map((d) => [key(d.stack, d.logicalId), d]));
  for (const d of newReport.dataStores) {
    const before = oldStores.get(key(d.stack, d.logicalId));
    if (before?.customerManagedKey && !d.customerManagedKey) {
      out.push({ kind: 'encryption-removed', stack: d.stack, logicalId: d.logicalId, type: d.type, blocking: true, detail: `was: ${before.encryption}; now: ${d.encryption}` });
    }
    if (before && before.tlsOnly === 'enforced' && d.tlsOnly === 'not-enforced') out.push({ kind: 'encryption-removed', stack: d.stack, logicalId: d.logicalId, type: d.type, blocking: true, detail: 'no longer denies unencrypted (non-TLS) connections' });
    if (before && before.publicAccess === 'blocked' && d.publicAccess === 'possible') out.push({ kind: 'exposure-added', stack: d.stack, logicalId: d.logicalId, type: d.type, blocking: true, detail: 'public access is no longer blocked' });
  }
  const encryptionRules = MLOPS_RULES.filter((r) => r.id === 'SageMakerEncryption' || r.id === 'FeatureStoreEncryption');
  const context: RuleContext = { level: 'baseline', requiredTags: [] };
  const oldResources = new Map(oldAssembly.stacks.flatMap((s) => Object.entries(s.resources).map(([id, r]) => [key(s.stackName, id), r] as const)));
  for (const stack of newAssembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      const before = oldResources.get(key(stack.stackName, logicalId));
      if (!before || before.Type !== r.Type) continue;
      for (const rule of encryptionRules.filter((x) => x.appliesTo.includes(r.Type))) {
        const was = rule.check(before, context);
        const now = rule.check(r, context);
        if (was.status === 'compliant' && now.status === 'non-compliant') {
          out.push({ kind: 'encryption-removed', stack: stack.stackName, logicalId, type: r.Type, blocking: true, detail: now.findings.join('; ') });
        }
      }
    }
  }
  // Exposure: something newly reachable, or placed/isolated/authenticated differently.
  const oldExposure = new Map(oldReport.exposure.map((e) => [key(e.stack, e.logicalId), e]));
  for (const e of newReport.exposure) {
    const before = oldExposure.get(key(e.stack, e.logicalId));
    const label = e.name ? `${e.kind} ${e.name}` : e.kind;
    if (!before) {
      out.push({ kind: 'exposure-added', stack: e.stack, logicalId: e.logicalId, blocking: true, detail: `new ${label}: ${exposureText(e)}` });
    } else if (before.networkIsolation === 'isolated' && e.networkIsolation === 'network-access') {
      out.push({ kind: 'isolation-removed', stack: e.stack, logicalId: e.logicalId, blocking: true, detail: `${label} is no longer network-isolated` });
    } else if (exposureText(before) !== exposureText(e)) {
      const wider = e.inbound.some((i) => !before.inbound.includes(i)) || (before.vpcPlacement.startsWith('VPC') && !e.vpcPlacement.startsWith('VPC'));
      out.push({ kind: 'exposure-added', stack: e.stack, logicalId: e.logicalId, blocking: wider, detail: `${label} changes: was ${exposureText(before)}; now ${exposureText(e)}` });
    }
  }
  return out;
}

/**
 * An AWS account the new templates let in (a resource or trust policy naming it) that no policy of
 * the old ones named, or that they named in other regions only (a registry replica in a new region
 * for a delivery stage there): one change per grant, each blocking (new access is reviewed).
 */
function accountChanges(oldReport: AuditReport, newReport: AuditReport): GovernanceChange[] {
  const old = oldReport.delivery?.crossAccountGrants ?? [];
  const knownAccounts = new Set(old.map((g) => g.account));
  const knownPlaces = new Set(old.map((g) => `${g.account} ${g.region ?? ''}`));
  return (newReport.delivery?.crossAccountGrants ?? []).filter((g) => !knownPlaces.has(`${g.account} ${g.region ?? ''}`)).map((g) => ({
    kind: 'account-added' as const, stack: g.stack, logicalId: g.logicalId, blocking: true,
    detail: `account ${g.account} gains access${knownAccounts.has(g.account) ? ` in another region${g.region ? `, ${g.region}` : ''}` : ''}: ${g.resourceKind} ${g.resource} (${g.actions.join(', ')})${g.conditions.length ? ` when ${g.conditions.join(' and ')}` : ''}${g.region && !knownAccounts.has(g.account) ? ` (in ${g.region})` : ''}`,
  }));
}

/**
 * The governance changes of the Kubernetes target, from the `//` block of each stack's Terraform JSON:
 * the level lowered (blocking) or raised, and acknowledgements added (blocking: a finding is accepted
 * from now on, which a reviewer must see), their reason changed, or removed (the finding reopens).
 */
export function kubernetesGovernanceDiff(oldInput: string | TerraformOutput, newInput: string | TerraformOutput): GovernanceChange[] {
  const oldOutput = typeof oldInput === 'string' ? readTerraformOutput(oldInput) : oldInput;
  const newOutput = typeof newInput === 'string' ? readTerraformOutput(newInput) : newInput;
  const governanceOf = (output: TerraformOutput, name: string) => {
    const stack = output.stacks.find((x) => x.stackName === name);
    return stack ? kubernetesGovernanceOf(stack) : undefined;
  };
  const addressOf = (path: string) => [newOutput, oldOutput].flatMap((o) => o.stacks.flatMap((x) => x.resources.filter((r) => r.constructPath === path).map((r) => `${r.type}.${r.name}`)))[0] ?? path;
  const out: GovernanceChange[] = [];
  for (const name of [...new Set([...oldOutput.stacks, ...newOutput.stacks].map((x) => x.stackName))]) {
    const before = governanceOf(oldOutput, name);
    const after = governanceOf(newOutput, name);
    const level = (g: KubernetesGovernanceMetadata | undefined) => g?.level ?? 'unknown';
    const rank = { unknown: 0, baseline: 1, strict: 2 };
    if (before && rank[level(after)] < rank[level(before)]) {
      out.push({ kind: 'governance-lowered', stack: name, logicalId: '(stack)', blocking: true, detail: `governance level ${level(before)} → ${level(after)}` });
    } else if (after && rank[level(after)] > rank[level(before)]) {
      out.push({ kind: 'governance-raised', stack: name, logicalId: '(stack)', blocking: false, detail: `governance level ${level(before)} → ${level(after)}` });
    }
    const droppedTags = (before?.requiredTags ?? []).filter((t) => after && !after.requiredTags.includes(t));
    if (droppedTags.length) out.push({ kind: 'governance-lowered', stack: name, logicalId: '(stack)', blocking: false, detail: `no longer requires the tag(s) ${droppedTags.join(', ')}` });
    const ackKey = (a: { rule: string; path: string }) => `${a.rule} ${a.path}`;
    const oldAcks = new Map((before?.acknowledgements ?? []).map((a) => [ackKey(a), a]));
    const newAcks = new Map((after?.acknowledgements ?? []).map((a) => [ackKey(a), a]));
    for (const [k, a] of newAcks) {
      const was = oldAcks.get(k);
      if (!was) out.push({ kind: 'acknowledgement-added', stack: name, logicalId: addressOf(a.path), blocking: true, detail: `${a.rule} on ${a.path} accepted: "${a.reason}"` });
      else if (was.reason !== a.reason) out.push({ kind: 'acknowledgement-changed', stack: name, logicalId: addressOf(a.path), blocking: false, detail: `${a.rule} on ${a.path}: reason was "${was.reason}"; now "${a.reason}"` });
    }
    for (const [k, a] of oldAcks) {
      if (!newAcks.has(k)) out.push({ kind: 'acknowledgement-removed', stack: name, logicalId: addressOf(a.path), blocking: false, detail: `${a.rule} on ${a.path} no longer accepted (it was: "${a.reason}"): the finding is open again if it still occurs` });
    }
  }
  return out;
}

/** The Kubernetes outputs (cdktf.out/) of the deployed and the new platform, diffed beside the cloud assemblies. */
export interface KubernetesDiffInputs {
  readonly oldCdktfOut: string | TerraformOutput;
  readonly newCdktfOut: string | TerraformOutput;
}

/** The governance changes from one cloud assembly (deployed) to another (about to be), and of their Kubernetes outputs when given. */
export function governanceDiff(oldInput: string | SynthesizedAssembly, newInput: string | SynthesizedAssembly, kubernetes?: KubernetesDiffInputs): GovernanceDiff {
  const oldAssembly = typeof oldInput === 'string' ? readCloudAssembly(oldInput) : oldInput;
  const newAssembly = typeof newInput === 'string' ? readCloudAssembly(newInput) : newInput;
  const names = [...new Set([...oldAssembly.stacks, ...newAssembly.stacks].map((s) => s.stackName))];
  const changes: GovernanceChange[] = [];
  for (const name of names) {
    changes.push(...resourceChanges(oldAssembly.stacks.find((s) => s.stackName === name), newAssembly.stacks.find((s) => s.stackName === name), name));
  }
  const [oldReport, newReport] = [buildAuditReport(oldAssembly), buildAuditReport(newAssembly)];
  changes.push(...modelChanges(oldReport, newReport, oldAssembly, newAssembly));
  changes.push(...accountChanges(oldReport, newReport));
  changes.push(...modelCardChanges(oldReport, newReport).map((c) => ({ ...c, type: 'AWS::SageMaker::ModelCard' })));
  if (kubernetes) {
    changes.push(...kubernetesGovernanceDiff(kubernetes.oldCdktfOut, kubernetes.newCdktfOut));
    // The Kubernetes cards (ConfigMaps and MLflow tags), compared as the AWS ones are.
    changes.push(...modelCardChanges(buildKubernetesAudit(kubernetes.oldCdktfOut), buildKubernetesAudit(kubernetes.newCdktfOut)).map((c) => ({ ...c, type: 'kubernetes_config_map_v1' })));
  }
  const order: GovernanceChangeKind[] = [
    'stateful-deleted', 'stateful-replaced', 'encryption-removed', 'governance-lowered', 'account-added', 'acknowledgement-added', 'permission-added', 'exposure-added', 'isolation-removed',
    'card-removed', 'risk-raised', 'stateful-orphaned', 'acknowledgement-changed', 'acknowledgement-removed', 'governance-raised', 'permission-removed', 'card-changed', 'card-added',
  ];
  changes.sort((a, b) => Number(b.blocking) - Number(a.blocking) || order.indexOf(a.kind) - order.indexOf(b.kind) || a.stack.localeCompare(b.stack) || a.logicalId.localeCompare(b.logicalId));
  return { changes, blocking: changes.some((c) => c.blocking) };
}

const KIND_TEXT: Record<GovernanceChangeKind, string> = {
  'permission-added': 'New or wider permission',
  'permission-removed': 'Permission removed',
  'encryption-removed': 'Encryption removed',
  'exposure-added': 'New or wider exposure',
  'isolation-removed': 'Network isolation removed',
  'stateful-replaced': 'Data store replaced',
  'stateful-deleted': 'Data store deleted',
  'stateful-orphaned': 'Data store leaves the stack (kept)',
  'card-added': 'Model card added',
  'card-removed': 'Model card removed',
  'card-changed': 'Model card changed',
  'risk-raised': 'Model risk rating raised',
  'account-added': 'New account gains access',
  'governance-lowered': 'Governance lowered',
  'governance-raised': 'Governance raised',
  'acknowledgement-added': 'Finding accepted (new acknowledgement)',
  'acknowledgement-changed': 'Acknowledgement reason changed',
  'acknowledgement-removed': 'Acknowledgement removed',
};

export function renderGovernanceDiff(diff: GovernanceDiff): string {
  if (diff.changes.length === 0) return 'No governance changes: permissions, encryption, exposure, data stores, governance level and acknowledgements are as before.';
  const lines = [`${diff.changes.length} governance change(s); ${diff.changes.filter((c) => c.blocking).length} widen access or can lose data:`];
  for (const c of diff.changes) lines.push(`  ${c.blocking ? '✖' : '·'} ${KIND_TEXT[c.kind]}: ${c.stack}/${c.logicalId}${c.type ? ` (${c.type})` : ''}: ${c.detail}`);
  return lines.join('\n');
}
