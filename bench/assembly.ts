/** Reading a synthesized cloud assembly: what the benchmark compares between OURS and BASELINE. */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export type Variant = 'ours' | 'baseline';
export const VARIANTS: readonly Variant[] = ['ours', 'baseline'];

/** The context cdk.json sets (as stacks/aws/synth.ts passes it), so both variants synth like `npm run synth`. */
export function cdkJsonContext(): Record<string, unknown> {
  const file = path.join(__dirname, '..', 'cdk.json');
  if (!fs.existsSync(file)) return {};
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

export interface Template {
  Resources?: Record<string, { Type: string; Metadata?: unknown; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** The CloudFormation templates of an assembly, by stack name. */
export function readTemplates(outdir: string): Map<string, Template> {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const templates = new Map<string, Template>();
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    templates.set(artifact.properties.stackName ?? id, JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties.templateFile), 'utf8')) as Template);
  }
  return templates;
}

/** Resource counts by type. */
export function countByType(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(template.Resources ?? {})) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return counts;
}

/**
 * The template as compared: keys sorted, resource `Metadata` dropped (it carries our cdk-nag
 * acknowledgments, which the benchmark leaves out along with the packs).
 */
export function comparable(template: Template): unknown {
  const resources = Object.fromEntries(Object.entries(template.Resources ?? {}).map(([id, r]) => {
    const rest = { ...r };
    delete rest.Metadata;
    return [id, rest];
  }));
  return sortKeys({ ...template, Resources: resources });
}

export function digest(template: Template): string {
  return createHash('sha256').update(JSON.stringify(comparable(template))).digest('hex').slice(0, 16);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** Per stack: its resource counts by type and the digest of its comparable template. */
export type StackSummary = Record<string, { readonly types: Record<string, number>; readonly digest: string }>;

export function summarize(outdir: string): StackSummary {
  const summary: StackSummary = {};
  for (const [name, template] of readTemplates(outdir)) summary[name] = { types: countByType(template), digest: digest(template) };
  return summary;
}

/** Differences in resource counts by type, stack by stack: empty when the layouts match. */
export function countDifferences(ours: StackSummary, baseline: StackSummary): string[] {
  const problems: string[] = [];
  for (const stack of [...new Set([...Object.keys(ours), ...Object.keys(baseline)])].sort()) {
    const a = ours[stack]?.types;
    const b = baseline[stack]?.types;
    if (!a || !b) {
      problems.push(`stack ${stack}: only in ${a ? 'ours' : 'baseline'}`);
      continue;
    }
    for (const type of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if ((a[type] ?? 0) !== (b[type] ?? 0)) problems.push(`stack ${stack}: ${type} ours=${a[type] ?? 0} baseline=${b[type] ?? 0}`);
    }
  }
  return problems;
}

/** Stacks whose comparable templates differ between the variants (same layout assumed). */
export function differingStacks(ours: StackSummary, baseline: StackSummary): string[] {
  return Object.keys(ours).filter((s) => baseline[s] !== undefined && baseline[s].digest !== ours[s].digest).sort();
}

export function totalResources(summary: StackSummary): number {
  return Object.values(summary).reduce((sum, s) => sum + Object.values(s.types).reduce((a, b) => a + b, 0), 0);
}

/** What bench/child.ts prints: one measurement. */
export interface ChildResult {
  readonly variant: Variant;
  readonly n: number;
  /** new App() → app.synth() returned. */
  readonly ms: number;
  /** process.resourceUsage().maxRSS at the end of the run, KiB. */
  readonly maxRssKiB: number;
  readonly stacks: StackSummary;
}
