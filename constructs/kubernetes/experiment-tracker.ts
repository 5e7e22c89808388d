/**
 * ExperimentTracker on Kubernetes: an MLflow tracking server, from the same spec as the AWS
 * ExperimentTracker (SageMaker managed MLflow). MLflow is both the experiment tracker and the model
 * registry, so a platform that already runs an MLflow server for its registries passes it as
 * `server` and the tracker shares it (one database, one artifact store, one history of runs and
 * versions); without one, the tracker brings its own MlflowServer on a PostgresDatabase.
 */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { MlopsValidationError, ValidationIssue } from '../../lib/errors';
import { ExperimentTrackerSpec, experimentTrackerSpecSchema, ExperimentTrackerSpecInput } from '../../lib/spec';
import { MlflowServer, MlflowServerSize, NewMlflowServerProps } from './mlflow-server';
import { PostgresDatabase } from './postgres-database';
import type { QuotaReservation } from './platform-namespace';
import { parseProps, subjectOf } from './private/validation';

/** What each spec size gives the tracking server: the same user counts as SageMaker's sizes (25, 50, 100). */
export const TRACKER_SIZES: Record<ExperimentTrackerSpec['size'], MlflowServerSize> = {
  Small: { cpuMillis: 500, memoryMiB: 1024, memoryLimitMiB: 2048, workers: 2 },
  Medium: { cpuMillis: 1000, memoryMiB: 2048, memoryLimitMiB: 4096, workers: 4 },
  Large: { cpuMillis: 2000, memoryMiB: 4096, memoryLimitMiB: 8192, workers: 8 },
};

export interface ExperimentTrackerProps extends ExperimentTrackerSpecInput, NewMlflowServerProps {
  /** The namespace (PlatformNamespace.name). */
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` (the platform). */
  readonly partOf: string;
  /**
   * An MLflow server to share (the registry's: MLflow tracks experiments and registers models in
   * one server). Its size stays as created.
   * @default - a new MlflowServer on a new PostgresDatabase
   */
  readonly server?: MlflowServer;
  /** Object name of a new server (a DNS label). @default - the spec's name, lower-cased, or 'mlflow' */
  readonly serverName?: string;
  /** MLflow image with psycopg2; required when no `server` is given. Its tag must start with `mlflowVersion` when that is set. */
  readonly mlflowImage?: string;
}

export class ExperimentTracker extends Construct {
  public readonly spec: ExperimentTrackerSpec;
  public readonly server: MlflowServer;
  public readonly database?: PostgresDatabase;
  /** Whether the tracker runs on a server it was given (shared with a registry). */
  public readonly shared: boolean;
  /** The URI clients set as MLFLOW_TRACKING_URI. */
  public readonly trackingUri: string;
  private readonly storageGiB: number = 0;

  constructor(scope: Construct, id: string, props: ExperimentTrackerProps) {
    super(scope, id);
    const { namespace, partOf, server, serverName, mlflowImage, databaseSecretName, databaseVolumeGiB, artifacts, storageClassName, postgresImage, prometheus, ...specInput } = props;
    const spec = parseProps('ExperimentTracker', scope, id, experimentTrackerSpecSchema, specInput);
    this.spec = spec;
    const subject = subjectOf('ExperimentTracker', scope, id);
    if (spec.automaticModelRegistration) {
      Annotations.of(this).addInfo('[cdk-mlops:k8s-tracker-registration] automaticModelRegistration copies MLflow models into the SageMaker registry on AWS; on Kubernetes MLflow is the registry, so models logged with registered_model_name are registered in place.');
    }
    if (spec.weeklyMaintenanceWindowStart !== undefined) {
      Annotations.of(this).addWarning('[cdk-mlops:k8s-tracker-maintenance-window] weeklyMaintenanceWindowStart is a SageMaker managed-MLflow setting; on Kubernetes the server is updated when its image changes, so it is not rendered.');
    }
    if (server) {
      this.server = server;
      this.shared = true;
      this.trackingUri = server.trackingUri;
      if (spec.size !== 'Small' && TRACKER_SIZES[spec.size].cpuMillis > server.size.cpuMillis) {
        Annotations.of(this).addWarning(`[cdk-mlops:k8s-tracker-shared-size] size '${spec.size}' asks for more than the shared server has (${server.size.cpuMillis}m CPU); size the server where it is created.`);
      }
      return;
    }
    const issues: ValidationIssue[] = [];
    if (mlflowImage === undefined) {
      issues.push({ path: 'mlflowImage', message: 'is required to run a tracking server', got: 'nothing', expected: 'an MLflow image with the psycopg2 driver (docker/mlflow/Dockerfile), or an existing server' });
    } else if (spec.mlflowVersion !== undefined) {
      const tag = /:([\w][\w.-]*)$/.exec(mlflowImage)?.[1];
      // The tag is the version, or starts with it followed by '.' or '-' (2.22 matches 2.22.1 and v2.22-slim, not 2.220).
      const carries = tag !== undefined && new RegExp(`^v?${spec.mlflowVersion.replace(/\./g, '\\.')}($|[.-])`).test(tag);
      if (!carries) {
        issues.push({ path: 'mlflowVersion', message: "does not match the MLflow image's tag", got: `'${spec.mlflowVersion}' with image '${mlflowImage}'`, expected: `an image tagged with MLflow ${spec.mlflowVersion}, or no mlflowVersion` });
      }
    }
    const name = serverName ?? spec.name?.toLowerCase() ?? 'mlflow';
    // Objects and labels derive from it: '<name>-db', 'mlops.cdk.io/<name>-client' (63 characters at most).
    if (name.length > 56) issues.push({ path: serverName ? 'serverName' : 'name', message: 'is too long for the names derived from it on Kubernetes', got: `${name.length} characters`, expected: 'at most 56 characters' });
    if (issues.length > 0) throw new MlopsValidationError(subject, issues);
    this.shared = false;
    const store = artifacts ?? { volumeGiB: 100, storageClassName };
    const dbGiB = databaseVolumeGiB ?? 20;
    this.storageGiB = dbGiB + ('volumeGiB' in store ? store.volumeGiB : 0);
    this.database = new PostgresDatabase(this, 'Database', {
      namespace, name, partOf,
      credentialsSecretName: databaseSecretName ?? `${name}-db`,
      volumeGiB: dbGiB,
      storageClassName,
      image: postgresImage,
      clientSelector: MlflowServer.selectorFor(name),
    });
    this.server = new MlflowServer(this, 'Server', {
      namespace, name, partOf, image: mlflowImage!,
      database: this.database,
      artifacts: store,
      prometheus,
      size: TRACKER_SIZES[spec.size],
    });
    this.trackingUri = this.server.trackingUri;
  }

  /** The labels a pod (a training step, a notebook) carries to reach the tracking server. */
  public get clientLabels(): Record<string, string> {
    return this.server.clientLabels;
  }

  /** What a server of its own and its database may use at most (none when the server is shared). */
  public get reservation(): QuotaReservation | undefined {
    if (this.shared) return undefined;
    const s = this.server.size;
    return {
      pods: 2, cpuMillis: s.cpuMillis + 250, memoryMiB: s.memoryLimitMiB + 1024,
      persistentVolumeClaims: this.server.artifactsClaim ? 2 : 1,
      storageGiB: this.storageGiB,
    };
  }
}
