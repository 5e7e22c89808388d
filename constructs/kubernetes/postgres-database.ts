/**
 * PostgreSQL for an MLflow tracking server: a one-replica StatefulSet whose volume is retained
 * (private/stateful-store), with credentials from a Secret created outside Terraform.
 */
import { Construct } from 'constructs';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { DEFAULT_IMAGES } from '../../lib/spec';
import { newServiceAccount, restrictedPodSpec, selectorLabels, TMP, workloadLabels } from './private/pod';
import { renderStatefulStore } from './private/stateful-store';

const POSTGRES_PORT = 5432;

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
  /** An image with the official postgres image's entrypoint and user id (999). @default DEFAULT_IMAGES.postgres */
  readonly image?: string;
  /** Labels of the only pods admitted to the database's port (the tracking server's: MlflowServer.selectorFor). */
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
        image: props.image ?? DEFAULT_IMAGES.postgres,
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
