/**
 * Synthesizes a platform on Kubernetes in-process into Terraform JSON (cdktf.out/): what
 * `bin/kubernetes.ts` and `mlops synth --target kubernetes` do.
 */
import * as fs from 'fs';
import { App, TerraformStack } from 'cdktf';
import { PlatformSpecInput } from '../../lib/spec';
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
}

function written(outdir: string, stack: TerraformStack): WrittenTerraformStack {
  const name = stack.node.id;
  const resources = (stack.toTerraform() as { resource?: Record<string, Record<string, unknown>> }).resource ?? {};
  const resourcesByType = Object.fromEntries(Object.entries(resources).map(([type, byName]) => [type, Object.keys(byName).length] as const)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  return { name, file: `${outdir}/stacks/${name}/cdk.tf.json`, resourcesByType };
}

/** Throws MlopsValidationError for a bad spec; a failed synth leaves the previous output as it was. */
export function synthKubernetesPlatform(spec: PlatformSpecInput, outdir: string): KubernetesSynthResult {
  const staging = `${outdir.replace(/[\\/]+$/, '')}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    const app = new App({ outdir: staging, skipValidation: false });
    const name = typeof (spec as { name?: unknown }).name === 'string' ? (spec as { name: string }).name : 'platform';
    const stack = new KubernetesPlatformStack(app, name, { spec });
    app.synth();
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.renameSync(staging, outdir);
    const stacks = [stack, ...(stack.crdStack ? [stack.crdStack] : [])].map((s) => written(outdir, s));
    const warnings = [stack, ...(stack.crdStack ? [stack.crdStack] : [])].flatMap((s) => s.node.findAll())
      .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => `${c.node.path}: ${String(m.data)}`));
    return { outdir, stack, stacks, warnings };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
