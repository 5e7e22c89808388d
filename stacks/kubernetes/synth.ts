/**
 * Synthesizes a platform on Kubernetes in-process into Terraform JSON (cdktf.out/): what
 * `bin/kubernetes.ts` and `mlops synth --target kubernetes` do.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { isNotRenderedWarning } from '../../constructs/kubernetes';
import { MlopsValidationError } from '../../lib/errors';
import { readTerraformOutput, terraformResourcesByType } from '../../lib/governance/terraform';
import { PlatformSpecInput } from '../../lib/spec';
import { localStateFile } from './backend';
import { KubernetesPlatformStack } from './platform';

/** One Terraform stack as written: where, and its resources by Terraform type. */
export interface WrittenTerraformStack {
  readonly name: string;
  /** `<outdir>/stacks/<name>/cdk.tf.json` */
  readonly file: string;
  readonly resourcesByType: Readonly<Record<string, number>>;
}

export interface KubernetesSynthResult {
  readonly outdir: string;
  readonly stack: KubernetesPlatformStack;
  /** The platform stack, then the CRD stack when there is one (apply in this order). */
  readonly stacks: readonly WrittenTerraformStack[];
  /** Synth warnings (e.g. AWS-only fields not rendered on Kubernetes), one line each. */
  readonly warnings: readonly string[];
  /** Where each stack's Terraform state lives: a local file path, or the remote backend's location. */
  readonly state: readonly string[];
  /** The warnings that say a spec field is not rendered on Kubernetes (a subset of `warnings`). */
  readonly notRendered: readonly string[];
}

/** Throws MlopsValidationError for a bad spec; a failed synth leaves the previous output as it was. */
export function synthKubernetesPlatform(spec: PlatformSpecInput, outdir: string): KubernetesSynthResult {
  const staging = `${outdir.replace(/[\\/]+$/, '')}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    const app = new App({ outdir: staging, skipValidation: false });
    const name = typeof (spec as { name?: unknown }).name === 'string' ? (spec as { name: string }).name : 'platform';
    const stack = new KubernetesPlatformStack(app, name, { spec });
    const state = stateLocations(stack, outdir);
    app.synth();
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.renameSync(staging, outdir);
    // What was written, read back as the audit reads it.
    const output = readTerraformOutput(outdir);
    const stacks = output.stacks.map((s) => ({ name: s.stackName, file: s.file, resourcesByType: Object.fromEntries(terraformResourcesByType({ ...output, stacks: [s] })) }));
    const warnings = [stack, ...(stack.crdStack ? [stack.crdStack] : [])].flatMap((s) => s.node.findAll())
      .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => `${c.node.path}: ${String(m.data)}`));
    return { outdir, stack, stacks, warnings, state, notRendered: warnings.filter(isNotRenderedWarning) };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Each stack's state location; a local state directory inside the output (which synth replaces) is refused. */
function stateLocations(stack: KubernetesPlatformStack, outdir: string): string[] {
  const backend = stack.spec.kubernetes?.backend ?? { type: 'local', directory: 'terraform-state' };
  const ids = [stack.node.id, ...(stack.crdStack ? [stack.crdStack.node.id] : [])];
  switch (backend.type) {
    case 'local': {
      const files = ids.map((id) => localStateFile(outdir, backend.directory, id));
      const out = path.resolve(outdir);
      if (files.some((f) => f === out || f.startsWith(`${out}${path.sep}`))) {
        throw new MlopsValidationError({ kind: 'PlatformSpec', id: stack.spec.name }, [{
          path: 'kubernetes.backend.directory', message: 'is inside the synth output, which every synth replaces: the state would be lost',
          got: `'${backend.directory}' (${path.dirname(files[0])})`, expected: `a directory outside ${out}, e.g. 'terraform-state'`,
        }]);
      }
      return files;
    }
    case 's3': return ids.map((id) => `s3://${backend.bucket}/${backend.keyPrefix.replace(/\/+$/, '')}/${id}.tfstate`);
    case 'gcs': return ids.map((id) => `gs://${backend.bucket}/${backend.prefix.replace(/\/+$/, '')}/${id}/default.tfstate`);
    case 'kubernetes': return ids.map((id) => `Secret ${backend.namespace}/tfstate-default-${id}`);
  }
}
