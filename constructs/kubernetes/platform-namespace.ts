/**
 * The governance foundation of a platform on Kubernetes: its namespace with Pod Security
 * `restricted` enforced, a default-deny NetworkPolicy (ingress and egress) with DNS as the only
 * namespace-wide allow, a ResourceQuota (GPUs included) and a LimitRange, and a read-only Role for
 * the people who operate the models. Workloads add their own ServiceAccount and NetworkPolicy.
 */
import { Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { LimitRangeV1 } from '@cdktf/provider-kubernetes/lib/limit-range-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ResourceQuotaV1 } from '@cdktf/provider-kubernetes/lib/resource-quota-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { z } from 'zod';
import { clusterDnsSchema, DEFAULT_CLUSTER_DNS, dnsLabel } from '../../lib/spec';
import { MANAGED_BY, NETWORK_ISOLATION_LABEL, PEER_DNS_LABEL } from './private/pod';
import { parseProps } from './private/validation';

const namespaceSchema = z.strictObject({
  name: dnsLabel(),
  podSecurityVersion: z.string().regex(/^(latest|v1\.\d{1,2})$/, { error: "'latest' or a Kubernetes minor version such as 'v1.31'" }).default('latest'),
  viewerGroups: z.array(z.string().min(1)).default([]),
  dns: clusterDnsSchema.default(DEFAULT_CLUSTER_DNS),
});

/** What a workload may use at most; the namespace's ResourceQuota is the sum of its workloads'. */
export interface QuotaReservation {
  readonly pods: number;
  /** CPU requests of all those pods, in millicores. */
  readonly cpuMillis: number;
  /** Memory limits of all those pods, in MiB. */
  readonly memoryMiB: number;
  readonly gpus?: number;
  readonly neuronDevices?: number;
  readonly persistentVolumeClaims?: number;
  readonly storageGiB?: number;
}

export type PlatformNamespaceProps = z.input<typeof namespaceSchema>;

/** Labels of the namespace: Pod Security Admission enforces, audits and warns at `restricted`. */
export function podSecurityLabels(version: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = 'restricted';
    labels[`pod-security.kubernetes.io/${mode}-version`] = version;
  }
  return labels;
}

/** The read-only view of a platform's workloads: no secrets, no exec, no writes. */
export const VIEWER_RULES = [
  { apiGroups: [''], resources: ['pods', 'pods/log', 'services', 'endpoints', 'persistentvolumeclaims', 'serviceaccounts', 'events'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
] as const;

export class PlatformNamespace extends Construct {
  /**
   * The namespace's name, for every object placed in it: a reference to the namespace resource, so
   * Terraform creates the namespace first.
   */
  public readonly name: string;
  /** The namespace's name as a literal, for objects in other stacks (kubernetes_manifest in the CRD stack). */
  public readonly namespaceName: string;
  public readonly resource: NamespaceV1;
  public readonly defaultDeny: NetworkPolicyV1;
  public readonly allowDns: NetworkPolicyV1;
  public readonly quota: ResourceQuotaV1;
  public readonly limits: LimitRangeV1;
  public readonly viewerRole: RoleV1;
  private readonly reservations: QuotaReservation[] = [];

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    const p = parseProps('PlatformNamespace', scope, id, namespaceSchema, props);
    const labels = { 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/part-of': p.name };
    this.resource = new NamespaceV1(this, 'Resource', {
      metadata: { name: p.name, labels: { ...labels, ...podSecurityLabels(p.podSecurityVersion) } },
      // Deleting a namespace deletes every volume claim in it: keep it until removed on purpose.
      lifecycle: { preventDestroy: true },
    });
    const ns = this.resource.metadata.name;
    this.name = ns;
    this.namespaceName = p.name;

    this.defaultDeny = new NetworkPolicyV1(this, 'DefaultDeny', {
      metadata: { name: 'default-deny', namespace: ns, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    // The cluster DNS only: its pods in whatever namespace runs them, and the link-local addresses of
    // NodeLocal DNSCache and cloud DNS, which answer on the node (no pod selector can match them).
    const dnsEgress = [{
      to: [
        { namespaceSelector: {}, podSelector: { matchLabels: { ...p.dns.podLabels } } },
        ...p.dns.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ],
      ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }],
    }];
    this.allowDns = new NetworkPolicyV1(this, 'AllowDns', {
      metadata: { name: 'allow-dns', namespace: ns, labels },
      // Every pod but the network-isolated ones may resolve names.
      spec: { podSelector: { matchExpressions: [{ key: NETWORK_ISOLATION_LABEL, operator: 'NotIn', values: ['true'] }] }, policyTypes: ['Egress'], egress: dnsEgress },
    });
    // Isolated pods that must resolve their peers' names (distributed training) ask the same DNS, and reach nothing else through this policy.
    new NetworkPolicyV1(this, 'AllowPeerDns', {
      metadata: { name: 'allow-peer-dns', namespace: ns, labels },
      spec: { podSelector: { matchLabels: { [PEER_DNS_LABEL]: 'true' } }, policyTypes: ['Egress'], egress: dnsEgress },
    });

    this.quota = new ResourceQuotaV1(this, 'Quota', { metadata: { name: 'platform-quota', namespace: ns, labels }, spec: {
      // The sum of what the workloads reserve, rendered once they are all added.
      hard: Lazy.anyValue({ produce: () => this.renderQuota() }) as unknown as Record<string, string>,
    } });
    // Containers that say nothing get modest requests and a memory limit, so the quota can count them.
    this.limits = new LimitRangeV1(this, 'Limits', {
      metadata: { name: 'container-defaults', namespace: ns, labels },
      spec: {
        limit: [{
          type: 'Container',
          defaultRequest: { cpu: '100m', memory: '128Mi' },
          default: { memory: '512Mi' },
        }, {
          type: 'PersistentVolumeClaim',
          min: { storage: '1Gi' },
        }],
      },
    });

    this.viewerRole = new RoleV1(this, 'ViewerRole', {
      metadata: { name: 'mlops-viewer', namespace: ns, labels },
      rule: VIEWER_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
    });
    if (p.viewerGroups.length > 0) {
      new RoleBindingV1(this, 'ViewerBinding', {
        metadata: { name: 'mlops-viewer', namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.viewerRole.metadata.name },
        subject: p.viewerGroups.map((g) => ({ kind: 'Group', name: g, apiGroup: 'rbac.authorization.k8s.io' })),
      });
    }
  }

  /** Adds a workload's maximum use to the namespace's ResourceQuota. */
  public reserve(reservation: QuotaReservation): void {
    this.reservations.push(reservation);
  }

  private renderQuota(): Record<string, string> {
    const sum = (f: (r: QuotaReservation) => number | undefined) => this.reservations.reduce((a, r) => a + (f(r) ?? 0), 0);
    const cpu = sum((r) => r.cpuMillis);
    return {
      'requests.cpu': cpu % 1000 === 0 ? String(cpu / 1000) : `${cpu}m`,
      'requests.memory': `${sum((r) => r.memoryMiB)}Mi`,
      'limits.memory': `${sum((r) => r.memoryMiB)}Mi`,
      'requests.nvidia.com/gpu': String(sum((r) => r.gpus)),
      'requests.aws.amazon.com/neuron': String(sum((r) => r.neuronDevices)),
      pods: String(sum((r) => r.pods)),
      persistentvolumeclaims: String(sum((r) => r.persistentVolumeClaims)),
      'requests.storage': `${sum((r) => r.storageGiB)}Gi`,
      // Endpoints are exposed through an ingress controller in another namespace, never directly.
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    };
  }
}
