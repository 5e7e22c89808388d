/**
 * An MLflow tracking server on Kubernetes: the backing store of ModelRegistry and ExperimentTracker.
 * A Deployment and a Service, on PostgreSQL (a PostgresDatabase or an external database), with
 * artifacts on a retained volume or at an S3-compatible URI.
 */
import { Construct } from 'constructs';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { DEFAULT_PROMETHEUS, PrometheusAccess } from '../../lib/spec';
import { PostgresDatabase } from './postgres-database';
import { newServiceAccount, prometheusPeer, restrictedPodSpec, selectorLabels, TMP, workloadLabels } from './private/pod';

export const MLFLOW_PORT = 5000;

/** Where the tracking server stores artifacts. */
export type MlflowArtifactStore =
  | { readonly volumeGiB: number; readonly storageClassName?: string }
  | { readonly uri: string; readonly endpointUrl?: string; readonly credentialsSecretName?: string };

/** What a construct that creates its own MlflowServer on a new PostgresDatabase takes for them (ModelRegistry, ExperimentTracker). */
export interface NewMlflowServerProps {
  /** Secret with 'username' and 'password' for the new database. @default - '<server name>-db' */
  readonly databaseSecretName?: string;
  /** @default 20 */
  readonly databaseVolumeGiB?: number;
  /** @default - a 100 GiB volume */
  readonly artifacts?: MlflowArtifactStore;
  /** @default - the cluster default */
  readonly storageClassName?: string;
  /** PostgreSQL image of a new database. @default DEFAULT_IMAGES.postgres */
  readonly postgresImage?: string;
  /** The Prometheus admitted to a new server's port. @default - kube-prometheus-stack's in 'monitoring' */
  readonly prometheus?: PrometheusAccess;
}

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
  /** The Prometheus admitted to the server's port. @default - kube-prometheus-stack's in 'monitoring' */
  readonly prometheus?: PrometheusAccess;
}

/** What a tracking server is given to serve its load. */
export interface MlflowServerSize {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly memoryLimitMiB: number;
  readonly workers: number;
}

/** Where MLflow's Prometheus exporter keeps its multiprocess files (gunicorn workers share them). */
const MLFLOW_METRICS_DIR = '/tmp/mlflow-metrics';

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
  /** The labels of the server's Service (its ServiceMonitor selects them). */
  public readonly serviceLabels: Record<string, string>;
  public readonly size: MlflowServerSize;

  constructor(scope: Construct, id: string, props: MlflowServerProps) {
    super(scope, id);
    const labels = workloadLabels(props.name, 'tracking-server', props.partOf);
    this.selector = MlflowServer.selectorFor(props.name);
    this.serviceLabels = labels;
    this.clientLabels = { [`mlops.cdk.io/${props.name}-client`]: 'true' };
    this.serviceAccount = newServiceAccount(this, props.namespace, props.name, labels);
    const size = props.size ?? DEFAULT_MLFLOW_SIZE;
    this.size = size;

    const env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[] = [{ name: 'HOME', value: '/tmp' }];
    const db = props.database;
    // `mlflow server` reads --backend-store-uri from MLFLOW_BACKEND_STORE_URI: the URI and its password
    // stay in the environment (readable by the server's user only), never on a command line
    // (/proc/<pid>/cmdline is world-readable on the node, and `ps` shows it).
    if (db instanceof PostgresDatabase) {
      env.push({ name: 'DB_USER', valueFrom: { secretKeyRef: { name: db.credentialsSecretName, key: 'username' } } });
      env.push({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: db.credentialsSecretName, key: 'password' } } });
      // Kubernetes expands $(VAR) in env values from the variables defined before it.
      env.push({ name: 'MLFLOW_BACKEND_STORE_URI', value: `postgresql://$(DB_USER):$(DB_PASSWORD)@${db.endpoint}/mlflow` });
    } else {
      env.push({ name: 'MLFLOW_BACKEND_STORE_URI', valueFrom: { secretKeyRef: { name: db.uriSecretName, key: 'uri' } } });
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
        // --expose-prometheus: /metrics on the server's port (prometheus_flask_exporter, a dependency of
        // the full mlflow package), its multiprocess files in the given directory (on the /tmp scratch volume).
        args: ['server', '--host', '0.0.0.0', '--port', String(MLFLOW_PORT), '--serve-artifacts', '--artifacts-destination', destination, '--workers', String(size.workers), '--expose-prometheus', MLFLOW_METRICS_DIR],
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
        ingress: [
          { from: [{ podSelector: { matchLabels: this.clientLabels } }], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] },
          { from: [prometheusPeer(props.prometheus ?? DEFAULT_PROMETHEUS)], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] },
        ],
        egress: egress as never,
      },
    });
  }
}
