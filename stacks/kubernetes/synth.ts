/**
 * Synthesizes a platform on Kubernetes in-process into Terraform JSON (cdktf.out/): what
 * `bin/kubernetes.ts` and `mlops synth --target kubernetes` do.
 */
import { App } from 'cdktf';
import { readTerraformOutput, terraformResourcesByType } from '../../lib/governance/terraform';
import { writeOutputDir } from '../../lib/output-dir';
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

/** Throws MlopsValidationError for a bad spec; a failed synth leaves the previous output as it was. */
export function synthKubernetesPlatform(spec: PlatformSpecInput, outdir: string): KubernetesSynthResult {
  const stack = writeOutputDir(outdir, { contents: 'Terraform JSON' }, (staging) => {
    const app = new App({ outdir: staging, skipValidation: false });
    const name = typeof (spec as { name?: unknown }).name === 'string' ? (spec as { name: string }).name : 'platform';
    const platform = new KubernetesPlatformStack(app, name, { spec });
    app.synth();
    return platform;
  });
  // What was written, read back as the audit reads it.
  const output = readTerraformOutput(outdir);
  const stacks = output.stacks.map((s) => ({ name: s.stackName, file: s.file, resourcesByType: Object.fromEntries(terraformResourcesByType({ ...output, stacks: [s] })) }));
  const warnings = [stack, ...(stack.crdStack ? [stack.crdStack] : [])].flatMap((s) => s.node.findAll())
    .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => `${c.node.path}: ${String(m.data)}`));
  return { outdir, stack, stacks, warnings };
}
