/**
 * Reads a synthesized CloudFormation cloud assembly (cdk.out/): stacks, their resources, and the
 * rule-pack acknowledgments the templates carry. What an auditor sees is what gets deployed, so
 * governance reads this, never the spec.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string | string[];
}

export interface Acknowledgment {
  /** The rule (and finding) acknowledged, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  readonly reason: string;
  readonly stack: string;
  readonly logicalId: string;
  /** The construct path recorded by CDK, when present. */
  readonly constructPath?: string;
}

export interface SynthesizedStack {
  /** The CloudFormation stack name. */
  readonly stackName: string;
  readonly templateFile: string;
  /** The stack's region from the manifest (`aws://account/region`), when it is not environment-agnostic. */
  readonly region?: string;
  /** The stack's account from the manifest, when it is not environment-agnostic. */
  readonly account?: string;
  readonly resources: Readonly<Record<string, CfnResource>>;
  /** The template's own Metadata section (cdk-mlops writes the platform's governance there). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface SynthesizedAssembly {
  readonly directory: string;
  readonly stacks: readonly SynthesizedStack[];
}

interface Manifest {
  artifacts?: Record<string, { type: string; environment?: string; properties?: { templateFile?: string; stackName?: string }; displayName?: string }>;
}

export function readCloudAssembly(directory: string): SynthesizedAssembly {
  const manifestFile = path.join(directory, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`${directory} is not a cloud assembly (no manifest.json): run 'mlops synth' first`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const stacks: SynthesizedStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const templateFile = path.join(directory, artifact.properties.templateFile);
    const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as { Resources?: Record<string, CfnResource>; Metadata?: Record<string, unknown> };
    const region = /^aws:\/\/[^/]+\/(.+)$/.exec(artifact.environment ?? '')?.[1];
    const account = /^aws:\/\/(\d{12})\//.exec(artifact.environment ?? '')?.[1];
    stacks.push({ stackName: artifact.properties.stackName ?? id, templateFile, region: region && region !== 'unknown-region' ? region : undefined, ...(account ? { account } : {}), resources: template.Resources ?? {}, metadata: template.Metadata });
  }
  return { directory, stacks };
}

/** Every acknowledgment written into the templates (cdk-nag's `cdk_nag.rules_to_suppress` metadata). */
export function acknowledgments(assembly: SynthesizedAssembly): Acknowledgment[] {
  const out: Acknowledgment[] = [];
  for (const stack of assembly.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      const nag = resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined;
      for (const rule of nag?.rules_to_suppress ?? []) {
        out.push({ id: rule.id, reason: rule.reason, stack: stack.stackName, logicalId, constructPath: resource.Metadata?.['aws:cdk:path'] as string | undefined });
      }
    }
  }
  return out;
}

/** Resource counts by CloudFormation type, over all stacks. */
export function resourcesByType(assembly: SynthesizedAssembly): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stack of assembly.stacks) {
    for (const resource of Object.values(stack.resources)) counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

export interface Finding {
  /** The plugin (rule pack) that reported it. */
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly constructPaths: string[];
}

interface ValidationReport {
  pluginReports?: {
    pluginName: string;
    violations?: { ruleName: string; severity?: string; description: string; violatingConstructs?: { constructPath?: string }[] }[];
  }[];
}

/**
 * The findings left unacknowledged in CDK's validation report (`validation-report.json`), for every
 * plugin (rule packs, CloudFormation validation). Errors fail synth; warnings do not, and are listed here.
 */
export function unacknowledgedFindings(assembly: SynthesizedAssembly): Finding[] {
  const file = path.join(assembly.directory, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
  return (report.pluginReports ?? []).flatMap((p) => (p.violations ?? []).map((v) => ({
    plugin: p.pluginName,
    rule: v.ruleName,
    severity: v.severity ?? 'error',
    description: v.description,
    constructPaths: (v.violatingConstructs ?? []).map((c) => c.constructPath ?? '?'),
  })));
}
