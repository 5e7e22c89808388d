/**
 * Reads a synthesized cdktf output directory (cdktf.out/): its stacks (manifest.json) and, per
 * stack, the resources of its Terraform JSON (`resource.<type>.<name>` in cdk.tf.json). Pure and
 * cloud-neutral, the Terraform counterpart of cloud-assembly.ts: what an auditor sees is what
 * `terraform apply` gets.
 */
import * as fs from 'fs';
import * as path from 'path';
import { asList, isJsonObject, JsonObject } from '../json';

export interface TerraformResource {
  /** The Terraform resource type, e.g. `kubernetes_role_v1`. */
  readonly type: string;
  /** The resource name inside its type (cdktf's unique id, e.g. `Namespace_ViewerRole_6040F2F8`). */
  readonly name: string;
  /** The construct path cdktf recorded (`//.metadata.path`), when present. */
  readonly constructPath?: string;
  /** The resource's arguments as written in the Terraform JSON (the `//` metadata removed). */
  readonly body: Readonly<JsonObject>;
}

export interface TerraformStack {
  readonly stackName: string;
  /** The cdk.tf.json file. */
  readonly file: string;
  readonly resources: readonly TerraformResource[];
  /**
   * The stack's top-level `//` block: a comment to Terraform, where cdktf writes its own metadata
   * and cdk-mlops its governance (the Terraform counterpart of a CloudFormation template's Metadata).
   */
  readonly metadata: Readonly<JsonObject>;
}

export interface TerraformOutput {
  readonly directory: string;
  readonly stacks: readonly TerraformStack[];
}

interface CdktfManifest {
  stacks?: Record<string, { name?: string; synthesizedStackPath?: string }>;
}

/**
 * Reads `<directory>/manifest.json` and every stack's Terraform JSON. Throws when the directory is
 * not a cdktf output (no manifest, no `stacks` in it, or a stack file missing).
 */
export function readTerraformOutput(directory: string): TerraformOutput {
  const manifestFile = path.join(directory, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`${directory} is not a cdktf output (no manifest.json): run 'mlops synth --target kubernetes' or 'cdktf synth' first`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as CdktfManifest;
  if (manifest.stacks === null || typeof manifest.stacks !== 'object') {
    throw new Error(`${manifestFile} is not a cdktf manifest (it has no 'stacks'); a CloudFormation cloud assembly goes to --cdk-out`);
  }
  const stacks: TerraformStack[] = [];
  for (const [id, entry] of Object.entries(manifest.stacks)) {
    const file = path.join(directory, entry.synthesizedStackPath ?? path.join('stacks', id, 'cdk.tf.json'));
    if (!fs.existsSync(file)) throw new Error(`${directory} is an incomplete cdktf output: stack '${id}' has no ${path.relative(directory, file)}`);
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { '//'?: unknown; resource?: Record<string, Record<string, JsonObject>> };
    const resources: TerraformResource[] = [];
    for (const [type, byName] of Object.entries(config.resource ?? {})) {
      for (const [name, raw] of Object.entries(byName)) {
        const { '//': meta, ...body } = raw;
        const constructPath = (meta as { metadata?: { path?: unknown } } | undefined)?.metadata?.path;
        resources.push({ type, name, constructPath: typeof constructPath === 'string' ? constructPath : undefined, body });
      }
    }
    stacks.push({ stackName: entry.name ?? id, file, resources, metadata: isJsonObject(config['//']) ? config['//'] : {} });
  }
  return { directory, stacks };
}

/** Resource counts by Terraform type, over all stacks (most frequent first). */
export function terraformResourcesByType(output: TerraformOutput): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stack of output.stacks) for (const r of stack.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/**
 * A nested block as a list. Terraform JSON writes a block either as an object or as a list of
 * objects (cdktf writes `metadata` as an object and `update_strategy` as a list).
 */
export function blocks(value: unknown): JsonObject[] {
  return asList(value).filter(isJsonObject);
}

/** The first (usually only) instance of a nested block. */
export function block(value: unknown): JsonObject | undefined {
  return blocks(value)[0];
}

const REFERENCE = /^\$\{([a-z0-9_]+)\.([^.}]+)\.(.+)\}$/;

/**
 * A string argument with a whole-value reference to another resource of the same stack resolved
 * when it can be (`${kubernetes_namespace_v1.Ns.metadata[0].name}` → `mlops-reference`); other
 * expressions come back as written.
 */
export function resolveReference(stack: TerraformStack, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return JSON.stringify(value);
  const m = REFERENCE.exec(value);
  if (!m) return value;
  const target = stack.resources.find((r) => r.type === m[1] && r.name === m[2]);
  if (!target) return value;
  let current: unknown = target.body;
  for (const part of m[3].split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (/^\d+$/.test(part)) current = blocks(current)[Number(part)];
    else current = Array.isArray(current) ? block(current)?.[part] : (current as JsonObject | undefined)?.[part];
    if (current === undefined) return value;
  }
  return typeof current === 'string' || typeof current === 'number' ? resolveReference(stack, current) : value;
}
