#!/usr/bin/env node
/**
 * The reference platform (or `MLOPS_SPEC=platform.yaml`) on Kubernetes: writes Terraform JSON to
 * cdktf.out/stacks/<platform>/cdk.tf.json, for `cdktf deploy` or `terraform -chdir=... apply`.
 */
import { loadPlatformSpec } from '../lib/spec';
import { isMlopsValidationError } from '../lib/errors';
import { referencePlatform } from '../stacks/reference-platform';
import { synthKubernetesPlatform } from '../stacks/kubernetes/synth';

const specFile = process.env.MLOPS_SPEC;
try {
  const { outdir, stack, state } = synthKubernetesPlatform(specFile ? loadPlatformSpec(specFile) : referencePlatform, process.env.CDKTF_OUTDIR ?? 'cdktf.out');
  console.log(`cdk-mlops: wrote ${outdir}/stacks/${stack.node.id}/cdk.tf.json`);
  // Objects that need CRDs (KServe, PrometheusRules): apply after the platform stack.
  if (stack.crdStack) console.log(`cdk-mlops: wrote ${outdir}/stacks/${stack.crdStack.node.id}/cdk.tf.json (apply it after the platform stack)`);
  // Outside the output, which the next synth replaces.
  console.log(`cdk-mlops: Terraform state: ${state.join(', ')}`);
} catch (e) {
  if (!isMlopsValidationError(e)) throw e;
  console.error(e.message);
  process.exitCode = 2; // bad input, as for `mlops`
}
