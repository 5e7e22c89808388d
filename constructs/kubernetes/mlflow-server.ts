/**
 * An MLflow tracking server on Kubernetes: the backing store of ModelRegistry (and, later,
 * ExperimentTracker). A Deployment and a Service, on PostgreSQL (a StatefulSet whose volume is
 * retained, or an external database), with artifacts on a retained volume or at an S3-compatible URI.
 */
import { Construct } from 'constructs';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { newServiceAccount, restrictedPodSpec, selectorLabels, TMP, workloadLabels } from './private/pod';
import { renderStatefulStore } from './private/stateful-store';

const POSTGRES_PORT = 5432;
export const MLFLOW_PORT = 5000;

export interface PostgresDatabaseProps {
  readonly namespace: string;
  /** Object name prefix (a DNS label). */
  readonly name: string;
  readonly partOf: string;
  /** An existing Secret with 'username' and 'password' keys; created outside Terraform, so the password never enters the state. */
  readonly credentialsSecretName: string;
  readonly volumeGiB: number;
  /** @default - the cluster default StorageClass */
  readonly storageClassName?: string;
  /** @default 'postgres:16.6-bookworm' */
  readonly image?: string;
  /** Labels of the only pods admitted to the database's port (the tracking server's: {@link MlflowServer.selectorFor}). */
  readonly clientSelector: Record<string, string>;
}

/**
 * PostgreSQL as a one-replica StatefulSet. Its volume comes from a volumeClaimTemplate and is
 * retained when the StatefulSet is deleted or scaled down (persistentVolumeClaimRetentionPolicy
 * Retain/Retain): the registry's history outlives the infrastructure that serves it.
 */
export class PostgresDatabase extends Construct {
  public readonly serviceAccount: ServiceAccountV1;
  public readonly resource: StatefulSetV1;
  public readonly service: ServiceV1;
  public readonly networkPolicy: NetworkPolicyV1;
  /** `host:port` of the database, inside the namespace. */
  public readonly endpoint: string;
  public readonly credentialsSecretName: string;
  /** Labels that select the database's pods. */
  public readonly selector: Record<string, string>;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const name = `${props.name}-db`;
    const labels = workloadLabels(name, 'database', props.partOf);
    this.selector = selectorLabels(name, 'database');
    this.credentialsSecretName = props.credentialsSecretName;
    this.serviceAccount = newServiceAccount(this, props.namespace, name, labels);
    const secretEnv = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: props.credentialsSecretName, key } } });
    const spec = restrictedPodSpec({
      serviceAccountName: this.serviceAccount.metadata.name,
      // The postgres image's own user id; its entrypoint runs as any non-root user that owns PGDATA.
      uid: 999,
      scratch: [TMP, { name: 'run', path: '/var/run/postgresql', sizeLimit: '64Mi' }],
      container: {
        name: 'postgres',
        image: props.image ?? 'postgres:16.6-bookworm',
        port: [{ name: 'postgres', containerPort: POSTGRES_PORT }],
        env: [
          secretEnv('POSTGRES_USER', 'username'),
          secretEnv('POSTGRES_PASSWORD', 'password'),
          { name: 'POSTGRES_DB', value: 'mlflow' },
          // A subdirectory: the volume's root holds lost+found on most filesystems.
          { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        ],
        volumeMount: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
        resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
        readinessProbe: { exec: { command: ['pg_isready', '-h', '127.0.0.1', '-p', String(POSTGRES_PORT)] }, periodSeconds: 10, failureThreshold: 3 },
        livenessProbe: { exec: { command: ['pg_isready', '-h', '127.0.0.1', '-p', String(POSTGRES_PORT)] }, periodSeconds: 20, failureThreshold: 6 },
      },
      extra: { terminationGracePeriodSeconds: 60 },
    });
    // Ingress from the tracking server only; no egress.
    const store = renderStatefulStore(this, {
      namespace: props.namespace, name, labels, selector: this.selector, podSpec: spec,
      port: { name: 'postgres', number: POSTGRES_PORT }, volumeGiB: props.volumeGiB, storageClassName: props.storageClassName, clientSelector: props.clientSelector,
    });
    this.service = store.service;
    this.resource = store.resource;
    this.networkPolicy = store.networkPolicy;
    this.endpoint = store.endpoint;
  }
}

/** Where the tracking server stores artifacts. */
export type MlflowArtifactStore =
  | { readonly volumeGiB: number; readonly storageClassName?: string }
  | { readonly uri: string; readonly endpointUrl?: string; readonly credentialsSecretName?: string };

export interface MlflowServerProps {
  readonly namespace: string;
  /** Object name (a DNS label). */
  readonly name: string;
  readonly partOf: string;
  /** An MLflow image with the psycopg2 driver (docker/mlflow/Dockerfile). */
  readonly image: string;
  /** A PostgresDatabase of the platform, or an external database: a Secret whose 'uri' key is a postgresql:// URI. */
  readonly database: PostgresDatabase | { readonly uriSecretName: string };
  readonly artifacts: MlflowArtifactStore;
  /** CPU request, memory request and limit, and gunicorn workers of the server. @default - 500m, 1Gi (limit 2Gi), 2 workers */
  readonly size?: MlflowServerSize;
}

/** What a tracking server is given to serve its load. */
export interface MlflowServerSize {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly memoryLimitMiB: number;
  readonly workers: number;
}

export const DEFAULT_MLFLOW_SIZE: MlflowServerSize = { cpuMillis: 500, memoryMiB: 1024, memoryLimitMiB: 2048, workers: 2 };

/**
 * The MLflow tracking server. Clients (endpoints loading `models:/` URIs, training jobs) are pods
 * labelled with {@link MlflowServer.clientLabels}; the server's NetworkPolicy admits only them.
 */
export class MlflowServer extends Construct {
  /** The labels that select the pods of the tracking server named `name`. */
  public static selectorFor(name: string): Record<string, string> {
    return selectorLabels(name, 'tracking-server');
  }

  public readonly serviceAccount: ServiceAccountV1;
  public readonly resource: DeploymentV1;
  public readonly service: ServiceV1;
  public readonly networkPolicy: NetworkPolicyV1;
  public readonly artifactsClaim?: PersistentVolumeClaimV1;
  /** `http://<service>:5000`, inside the namespace. */
  public readonly trackingUri: string;
  /** The label a pod carries to be let in by the server's NetworkPolicy. */
  public readonly clientLabels: Record<string, string>;
  public readonly selector: Record<string, string>;
  public readonly size: MlflowServerSize;

  constructor(scope: Construct, id: string, props: MlflowServerProps) {
    super(scope, id);
    const labels = workloadLabels(props.name, 'tracking-server', props.partOf);
    this.selector = MlflowServer.selectorFor(props.name);
    this.clientLabels = { [`mlops.cdk.io/${props.name}-client`]: 'true' };
    this.serviceAccount = newServiceAccount(this, props.namespace, props.name, labels);
    const size = props.size ?? DEFAULT_MLFLOW_SIZE;
    this.size = size;

    const env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[] = [{ name: 'HOME', value: '/tmp' }];
    let backendUri: string;
    const db = props.database;
    if (db instanceof PostgresDatabase) {
      env.push({ name: 'DB_USER', valueFrom: { secretKeyRef: { name: db.credentialsSecretName, key: 'username' } } });
      env.push({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: db.credentialsSecretName, key: 'password' } } });
      // Kubernetes expands $(VAR) in args from the container's env: the password stays in the Secret.
      backendUri = `postgresql://$(DB_USER):$(DB_PASSWORD)@${db.endpoint}/mlflow`;
    } else {
      env.push({ name: 'DB_URI', valueFrom: { secretKeyRef: { name: db.uriSecretName, key: 'uri' } } });
      backendUri = '$(DB_URI)';
    }

    const a = props.artifacts;
    let destination: string;
    const volumes = [];
    const mounts = [];
    if ('volumeGiB' in a) {
      this.artifactsClaim = new PersistentVolumeClaimV1(this, 'Artifacts', {
        metadata: { name: `${props.name}-artifacts`, namespace: props.namespace, labels },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: a.storageClassName, resources: { requests: { storage: `${a.volumeGiB}Gi` } } },
        // With a WaitForFirstConsumer StorageClass the claim binds only when the server's pod starts.
        waitUntilBound: false,
        lifecycle: { preventDestroy: true },
      });
      destination = '/mlartifacts';
      volumes.push({ name: 'artifacts', persistentVolumeClaim: { claimName: this.artifactsClaim.metadata.name } });
      mounts.push({ name: 'artifacts', mountPath: destination });
    } else {
      destination = a.uri;
      if (a.endpointUrl) env.push({ name: 'MLFLOW_S3_ENDPOINT_URL', value: a.endpointUrl });
      if (a.credentialsSecretName) {
        env.push({ name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: a.credentialsSecretName, key: 'access-key-id' } } });
        env.push({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: a.credentialsSecretName, key: 'secret-access-key' } } });
      }
    }

    const spec = restrictedPodSpec({
      serviceAccountName: this.serviceAccount.metadata.name,
      uid: 1000,
      scratch: [TMP],
      volumes,
      container: {
        name: 'mlflow',
        image: props.image,
        command: ['mlflow'],
        args: ['server', '--host', '0.0.0.0', '--port', String(MLFLOW_PORT), '--backend-store-uri', backendUri, '--serve-artifacts', '--artifacts-destination', destination, '--workers', String(size.workers)],
        env,
        port: [{ name: 'http', containerPort: MLFLOW_PORT }],
        volumeMount: mounts,
        resources: { requests: { cpu: `${size.cpuMillis}m`, memory: `${size.memoryMiB}Mi` }, limits: { memory: `${size.memoryLimitMiB}Mi` } },
        readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 20, failureThreshold: 3 },
        startupProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5, failureThreshold: 60 },
      },
    });
    this.resource = new DeploymentV1(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        replicas: '1',
        selector: { matchLabels: this.selector },
        // A ReadWriteOnce artifacts volume cannot be mounted by two pods on different nodes: replace, do not surge.
        strategy: 'volumeGiB' in a ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: '1' } },
        template: { metadata: { labels }, spec },
      },
      // The registry must be serving before the endpoints that load models from it roll out.
      waitForRollout: true,
    });
    this.service = new ServiceV1(this, 'Service', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: { selector: this.selector, type: 'ClusterIP', port: [{ name: 'http', port: MLFLOW_PORT, targetPort: 'http' }] },
    });
    this.trackingUri = `http://${props.name}:${MLFLOW_PORT}`;

    const egress: { to?: unknown[]; ports: { port: string; protocol: string }[] }[] = [];
    if (db instanceof PostgresDatabase) {
      egress.push({ to: [{ podSelector: { matchLabels: db.selector } }], ports: [{ port: '5432', protocol: 'TCP' }] });
    } else {
      egress.push({ ports: [{ port: '5432', protocol: 'TCP' }] });
    }
    if (!('volumeGiB' in a)) egress.push({ ports: [{ port: '443', protocol: 'TCP' }] });
    this.networkPolicy = new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        podSelector: { matchLabels: this.selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: this.clientLabels } }], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] }],
        egress: egress as never,
      },
    });
  }
}
