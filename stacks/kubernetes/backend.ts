/**
 * Where Terraform keeps the state of the Kubernetes stacks (`kubernetes.backend`): never inside the
 * synth output (cdktf.out/), which every synth replaces. Each stack gets its own state.
 */
import * as path from 'path';
import { GcsBackend, LocalBackend, S3Backend, TerraformBackend, TerraformRemoteState, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesBackendSpec } from '../../lib/spec';

/** The synth output is `<outdir>/stacks/<stack>/`: a local state directory is relative to the output's parent. */
const OUTPUT_TO_PARENT = path.join('..', '..', '..');

/** The local backend's `path` of a stack, as Terraform resolves it from `<outdir>/stacks/<stack>/`. */
export function localStatePath(directory: string, stack: string): string {
  const file = `${stack}.tfstate`;
  return path.isAbsolute(directory) ? path.join(directory, file) : path.join(OUTPUT_TO_PARENT, directory, file).split(path.sep).join('/');
}

/** The state file of a stack on disk, for a synth output directory (what Terraform will write). */
export function localStateFile(outdir: string, directory: string, stack: string): string {
  return path.resolve(outdir, 'stacks', stack, localStatePath(directory, stack));
}

/** The `kubernetes` backend (state in a Secret), which cdktf has no class for. */
class KubernetesSecretBackend extends TerraformBackend {
  constructor(scope: Construct, private readonly props: { readonly secretSuffix: string; readonly namespace: string }) {
    super(scope, 'backend', 'kubernetes');
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { secret_suffix: this.props.secretSuffix, namespace: this.props.namespace };
  }

  public getRemoteStateDataSource(): TerraformRemoteState {
    throw new Error('cdk-mlops: remote state of the kubernetes backend is not supported');
  }
}

/** Configures the backend of one stack. */
export function addBackend(stack: TerraformStack, backend: KubernetesBackendSpec): TerraformBackend {
  const id = stack.node.id;
  switch (backend.type) {
    case 'local':
      return new LocalBackend(stack, { path: localStatePath(backend.directory, id) });
    case 's3':
      return new S3Backend(stack, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix.replace(/\/+$/, '')}/${id}.tfstate`,
        region: backend.region,
        encrypt: true,
        kmsKeyId: backend.kmsKeyId,
        dynamodbTable: backend.dynamodbTable,
        // Terraform ≥ 1.10: a lock object beside the state, no DynamoDB table needed.
        ...(backend.dynamodbTable ? {} : { useLockfile: true }),
      });
    case 'gcs':
      return new GcsBackend(stack, { bucket: backend.bucket, prefix: `${backend.prefix.replace(/\/+$/, '')}/${id}` });
    case 'kubernetes':
      return new KubernetesSecretBackend(stack, { secretSuffix: id, namespace: backend.namespace });
  }
}
