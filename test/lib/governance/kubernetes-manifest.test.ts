/**
 * Role, ClusterRole, bindings, ServiceAccount, Service, NetworkPolicy and Namespace objects written as
 * `kubernetes_manifest` (the API's camelCase shape) are read exactly as their typed resources are.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildKubernetesAudit, KubernetesAudit, KUBERNETES_RULES } from '../../../lib/governance';
import { writeCdktfOut } from './helpers';

let root: string;
beforeAll(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-manifest-audit-')); });
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const cdktfOut = (name: string, resource: Record<string, Record<string, unknown>>): string => writeCdktfOut(root, name, resource);

const deployment = {
  web: {
    metadata: { name: 'web', namespace: 'team' },
    spec: { selector: { match_labels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { service_account_name: 'web', container: [{ name: 'web', image: 'web:1' }] } } },
  },
};

const TYPED = {
  kubernetes_namespace_v1: { ns: { metadata: { name: 'team', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } } },
  kubernetes_network_policy_v1: {
    deny: { metadata: { name: 'deny-ingress', namespace: 'team' }, spec: { pod_selector: {}, policy_types: ['Ingress'] } },
    web: { metadata: { name: 'web-from-gateway', namespace: 'team' }, spec: { pod_selector: { match_labels: { app: 'web' } }, policy_types: ['Ingress'], ingress: [{ from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'gateway' } } }, { ip_block: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: '8080', protocol: 'TCP' }] }] } },
  },
  kubernetes_service_v1: {
    lb: { metadata: { name: 'public', namespace: 'team' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, port: [{ port: 443, target_port: '8443' }], load_balancer_source_ranges: ['203.0.113.0/24'] } },
    np: { metadata: { name: 'debug', namespace: 'team' }, spec: { type: 'NodePort', selector: { app: 'web' }, port: [{ port: 80, node_port: 30080 }] } },
    headless: { metadata: { name: 'peers', namespace: 'team' }, spec: { cluster_ip: 'None', selector: { app: 'web' }, port: [{ port: 7000 }] } },
  },
  kubernetes_cluster_role_v1: { admin: { metadata: { name: 'everything' }, rule: [{ api_groups: ['*'], resources: ['*'], verbs: ['*'] }, { non_resource_urls: ['/metrics'], verbs: ['get'] }] } },
  kubernetes_role_v1: { deployer: { metadata: { name: 'deployer', namespace: 'team' }, rule: [{ api_groups: ['apps'], resources: ['deployments'], resource_names: ['web'], verbs: ['get', 'patch'] }] } },
  kubernetes_service_account_v1: { web: { metadata: { name: 'web', namespace: 'team' }, automount_service_account_token: false } },
  kubernetes_role_binding_v1: { deploy: { metadata: { name: 'deploy', namespace: 'team' }, role_ref: { api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' }, subject: [{ kind: 'ServiceAccount', name: 'web' }] } },
  kubernetes_cluster_role_binding_v1: { all: { metadata: { name: 'all' }, role_ref: { api_group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'everything' }, subject: [{ kind: 'ServiceAccount', name: 'web', namespace: 'team' }, { kind: 'Group', name: 'ops', api_group: 'rbac.authorization.k8s.io' }] } },
  kubernetes_deployment_v1: deployment,
};

const manifest = (apiVersion: string, kind: string, body: Record<string, unknown>) => ({ manifest: { apiVersion, kind, ...body } });
const RBAC = 'rbac.authorization.k8s.io/v1';

const AS_MANIFESTS = {
  kubernetes_manifest: {
    ns: manifest('v1', 'Namespace', { metadata: { name: 'team', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } }),
    deny: manifest('networking.k8s.io/v1', 'NetworkPolicy', { metadata: { name: 'deny-ingress', namespace: 'team' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } }),
    web_policy: manifest('networking.k8s.io/v1', 'NetworkPolicy', { metadata: { name: 'web-from-gateway', namespace: 'team' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 8080, protocol: 'TCP' }] }] } }),
    lb: manifest('v1', 'Service', { metadata: { name: 'public', namespace: 'team' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 443, targetPort: 8443 }], loadBalancerSourceRanges: ['203.0.113.0/24'] } }),
    np: manifest('v1', 'Service', { metadata: { name: 'debug', namespace: 'team' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080 }] } }),
    headless: manifest('v1', 'Service', { metadata: { name: 'peers', namespace: 'team' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 7000 }] } }),
    admin: manifest(RBAC, 'ClusterRole', { metadata: { name: 'everything' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['/metrics'], verbs: ['get'] }] }),
    deployer: manifest(RBAC, 'Role', { metadata: { name: 'deployer', namespace: 'team' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['get', 'patch'] }] }),
    sa: manifest('v1', 'ServiceAccount', { metadata: { name: 'web', namespace: 'team' }, automountServiceAccountToken: false }),
    deploy: manifest(RBAC, 'RoleBinding', { metadata: { name: 'deploy', namespace: 'team' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' }, subjects: [{ kind: 'ServiceAccount', name: 'web' }] }),
    all: manifest(RBAC, 'ClusterRoleBinding', { metadata: { name: 'all' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'everything' }, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'team' }, { kind: 'Group', name: 'ops', apiGroup: 'rbac.authorization.k8s.io' }] }),
  },
  kubernetes_deployment_v1: deployment,
};

/** What an auditor reads, without where it was read. */
function readable(audit: KubernetesAudit) {
  const sorted = (xs: string[]) => [...xs].sort();
  return {
    principals: sorted(audit.principals.map((p) => JSON.stringify({ kind: p.kind, name: p.name, description: p.description, trustedBy: p.trustedBy, statements: p.statements }))),
    exposure: sorted(audit.exposure.map((e) => JSON.stringify({ kind: e.kind, name: e.name, placement: e.vpcPlacement, isolation: e.networkIsolation, inbound: e.inbound, outbound: e.outbound, podSecurity: e.podSecurity }))),
    findings: sorted(audit.findings.map((f) => `${f.rule} ${f.severity}: ${f.description}`)),
  };
}

describe('Kubernetes audit of objects written as kubernetes_manifest', () => {
  let typed: KubernetesAudit;
  let manifests: KubernetesAudit;
  beforeAll(() => {
    typed = buildKubernetesAudit(cdktfOut('typed', TYPED));
    manifests = buildKubernetesAudit(cdktfOut('manifests', AS_MANIFESTS));
  });

  it('reads every Role, binding, ServiceAccount, Service, NetworkPolicy and Namespace as the typed resources say the same', () => {
    expect(readable(manifests)).toEqual(readable(typed));
    // Not vacuous: the typed form is read in full.
    expect(typed.principals.map((p) => `${p.kind} ${p.name}`).sort()).toEqual(['kubernetes-cluster-role everything', 'kubernetes-role team/deployer', 'kubernetes-service-account team/web']);
    expect(typed.exposure.filter((e) => e.kind === 'kubernetes-network-policy')).toHaveLength(2);
  });

  it('finds the wildcard ClusterRole, the LoadBalancer and NodePort Services and the namespace gaps at their kubernetes_manifest addresses', () => {
    const at = (rule: string) => manifests.findings.filter((f) => f.rule === rule).map((f) => f.logicalId).sort();
    expect(at(KUBERNETES_RULES.rbacWildcard.id)).toEqual(['kubernetes_manifest.admin']);
    expect(at(KUBERNETES_RULES.loadBalancer.id)).toEqual(['kubernetes_manifest.lb']);
    expect(at(KUBERNETES_RULES.nodePort.id)).toEqual(['kubernetes_manifest.np']);
    expect(at(KUBERNETES_RULES.podSecurity.id)).toEqual(['kubernetes_manifest.ns']);
    expect(at(KUBERNETES_RULES.defaultDeny.id)).toEqual(['kubernetes_manifest.ns']);
  });

  it('shows what a manifest NetworkPolicy lets in, and grants bound through manifest bindings', () => {
    const policy = manifests.exposure.find((e) => e.name === 'team/web-from-gateway')!;
    expect(policy.inbound).toEqual(['allow from every pod in namespaces labelled kubernetes.io/metadata.name=gateway, or addresses 10.0.0.0/8 except 10.1.0.0/16; on 8080/TCP']);
    const sa = manifests.principals.find((p) => p.kind === 'kubernetes-service-account')!;
    expect(sa.logicalId).toBe('kubernetes_manifest.sa');
    expect(sa.statements.map((s) => s.policy)).toEqual(['Role team/deployer (through RoleBinding team/deploy)', 'ClusterRole everything (through ClusterRoleBinding all)', 'ClusterRole everything (through ClusterRoleBinding all)']);
    expect(sa.trustedBy).toEqual([{ kind: 'kubernetes-workload', principal: 'Deployment team/web', conditions: ['API token not mounted into its pods'] }]);
  });
});
