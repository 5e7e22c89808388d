/**
 * ModelRegistry on Kubernetes: a registered model on an MLflow tracking server. The first registry
 * of a platform brings the server (on PostgreSQL, with an artifacts volume); others share it by
 * passing `server`. Same spec as the AWS ModelRegistry; its AWS-only fields are refused or noted.
 */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { RegistrySpec, registrySpecSchema, RegistrySpecInput } from '../../lib/spec';
import { MlflowServer, NewMlflowServerProps } from './mlflow-server';
import { PostgresDatabase } from './postgres-database';
import { warnNotRendered } from './not-rendered';
import type { QuotaReservation } from './platform-namespace';
import { parseProps, subjectOf } from './private/validation';

export interface ModelRegistryProps extends RegistrySpecInput, NewMlflowServerProps {
  /** The namespace (PlatformNamespace.name). */
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` (the platform). */
  readonly partOf: string;
  /** A tracking server to register into. @default - a new MlflowServer on a new PostgresDatabase, named after the registry */
  readonly server?: MlflowServer;
  /** MLflow image with psycopg2; required when no `server` is given. */
  readonly mlflowImage?: string;
}

export class ModelRegistry extends Construct {
  public readonly spec: RegistrySpec;
  /** The registered model's name in MLflow. */
  public readonly registeredModelName: string;
  public readonly server: MlflowServer;
  public readonly database?: PostgresDatabase;
  private readonly databaseGiB: number = 0;
  private readonly artifactsGiB: number = 0;

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id);
    const { namespace, partOf, server, mlflowImage, databaseSecretName, databaseVolumeGiB, artifacts, storageClassName, postgresImage, prometheus, ...specInput } = props;
    const spec = parseProps('ModelRegistry', scope, id, registrySpecSchema, specInput);
    this.spec = spec;
    const subject = subjectOf('ModelRegistry', scope, id);
    if (spec.crossAccountReadAccountIds.length > 0) {
      throw new MlopsValidationError(subject, [{ path: 'crossAccountReadAccountIds', message: 'is AWS-only: an MLflow registry has no AWS accounts', got: `a list of ${spec.crossAccountReadAccountIds.length}`, expected: 'no accounts on Kubernetes (grant access with NetworkPolicy client labels)' }]);
    }
    if (specInput.notifyOn !== undefined) {
      Annotations.of(this).addWarning('[cdk-mlops:k8s-aws-only-notify-on] notifyOn raises EventBridge events on AWS; MLflow has no approval events, so it is not rendered on Kubernetes.');
    }
    if (specInput.description !== undefined) {
      warnNotRendered(this, 'description', 'MLflow creates the registered model at its first registration (the pipeline\'s register step), not Terraform; set it there.');
    }
    // As on AWS, a registry without a name is named after its construct path.
    this.registeredModelName = spec.name ?? this.node.path.replace(/\//g, '-');
    if (server) {
      this.server = server;
      return;
    }
    if (mlflowImage === undefined) {
      throw new MlopsValidationError(subject, [{ path: 'mlflowImage', message: 'is required to run a tracking server', got: 'nothing', expected: 'an MLflow image with the psycopg2 driver (docker/mlflow/Dockerfile), or an existing server' }]);
    }
    const name = 'mlflow';
    const store = artifacts ?? { volumeGiB: 100, storageClassName };
    this.databaseGiB = databaseVolumeGiB ?? 20;
    this.artifactsGiB = 'volumeGiB' in store ? store.volumeGiB : 0;
    this.database = new PostgresDatabase(this, 'Database', {
      namespace, name, partOf,
      credentialsSecretName: databaseSecretName ?? `${name}-db`,
      volumeGiB: this.databaseGiB,
      storageClassName,
      image: postgresImage,
      clientSelector: MlflowServer.selectorFor(name),
    });
    this.server = new MlflowServer(this, 'Server', {
      namespace, name, partOf, image: mlflowImage,
      database: this.database,
      artifacts: store,
      prometheus,
    });
  }

  /** What the tracking server and its database may use at most (none when the server is shared). */
  public get reservation(): QuotaReservation | undefined {
    if (!this.database) return undefined;
    const artifactsGiB = this.server.artifactsClaim ? this.artifactsGiB : 0;
    return {
      pods: 2, cpuMillis: 750, memoryMiB: 3072,
      persistentVolumeClaims: this.server.artifactsClaim ? 2 : 1,
      storageGiB: this.databaseGiB + artifactsGiB,
    };
  }

  /** The MLflow URI of a version of this model: `models:/<name>/<version>`. */
  public modelUri(version: number): string {
    return `models:/${this.registeredModelName}/${version}`;
  }
}
