/**
 * A one-replica data store (PostgreSQL for MLflow, Redis for Feast): a headless Service, a
 * StatefulSet whose volume is retained when the StatefulSet is deleted or scaled down, and a
 * NetworkPolicy that admits only its clients on its port and allows no egress (the namespace's
 * default deny stands). The children keep the ids 'Service', 'Resource' and 'NetworkPolicy' of
 * the construct that owns them, so Terraform addresses are the store's own.
 */
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { Construct } from 'constructs';
import { restrictedPodSpec } from './pod';

export interface StatefulStoreProps {
  readonly namespace: string;
  /** Name of the Service, StatefulSet and NetworkPolicy. */
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  /** The pod spec (restrictedPodSpec), mounting the claim template 'data'. */
  readonly podSpec: ReturnType<typeof restrictedPodSpec>;
  /** The container port's name and number. */
  readonly port: { readonly name: string; readonly number: number };
  readonly volumeGiB: number;
  /** @default - the cluster's default storage class */
  readonly storageClassName?: string;
  /** Labels of the only pods admitted to the port. */
  readonly clientSelector: Record<string, string>;
}

export interface StatefulStore {
  readonly service: ServiceV1;
  readonly resource: StatefulSetV1;
  readonly networkPolicy: NetworkPolicyV1;
  /** `host:port` inside the namespace. */
  readonly endpoint: string;
}

export function renderStatefulStore(owner: Construct, props: StatefulStoreProps): StatefulStore {
  const { name, namespace, labels, selector, port } = props;
  const service = new ServiceV1(owner, 'Service', {
    metadata: { name, namespace, labels },
    spec: { selector, clusterIp: 'None', port: [{ name: port.name, port: port.number, targetPort: port.name }] },
  });
  const resource = new StatefulSetV1(owner, 'Resource', {
    metadata: { name, namespace, labels },
    spec: {
      serviceName: service.metadata.name,
      replicas: '1',
      selector: { matchLabels: selector },
      template: { metadata: { labels }, spec: props.podSpec },
      updateStrategy: [{ type: 'RollingUpdate' }],
      persistentVolumeClaimRetentionPolicy: [{ whenDeleted: 'Retain', whenScaled: 'Retain' }],
      volumeClaimTemplate: [{
        metadata: { name: 'data', labels },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: props.storageClassName, resources: { requests: { storage: `${props.volumeGiB}Gi` } } },
      }],
    },
    waitForRollout: true,
  });
  const networkPolicy = new NetworkPolicyV1(owner, 'NetworkPolicy', {
    metadata: { name, namespace, labels },
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: { matchLabels: props.clientSelector } }], ports: [{ port: String(port.number), protocol: 'TCP' }] }],
    },
  });
  return { service, resource, networkPolicy, endpoint: `${name}:${port.number}` };
}
