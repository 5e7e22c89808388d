/**
 * Synthesizes a platform on Kubernetes in-process into Terraform JSON (cdktf.out/): what
 * `bin/kubernetes.ts` and `mlops synth --target kubernetes` do.
 */
import * as fs from 'fs';
import { App } from 'cdktf';
import { PlatformSpecInput } from '../../lib/spec';
import { KubernetesPlatformStack } from './platform';

export interface KubernetesSynthResult {
  readonly outdir: string;
  readonly stack: KubernetesPlatformStack;
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
    return { outdir, stack };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
