import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { PlatformNamespace } from '../../../constructs/kubernetes';
import { VIEWER_RULES } from '../../../constructs/kubernetes/platform-namespace';
import { expectValidationError, ofKind, only, synth, validateAll } from './helpers';

const newNamespace = (props: Partial<ConstructorParameters<typeof PlatformNamespace>[2]> = {}, reserve = true) => synth((scope) => {
  const ns = new PlatformNamespace(scope, 'Namespace', { name: 'ml-prod', ...props });
  if (reserve) {
    ns.reserve({ pods: 4, cpuMillis: 6000, memoryMiB: 8192, gpus: 4 });
    ns.reserve({ pods: 2, cpuMillis: 750, memoryMiB: 3072, persistentVolumeClaims: 2, storageGiB: 120 });
  }
});

describe('PlatformNamespace', () => {
  it('creates only objects that are valid Kubernetes API objects', () => {
    const { tf } = newNamespace({ viewerGroups: ['ml-engineers'] });
    expect(validateAll(tf)).toBe(8);
  });

  it('enforces, audits and warns at Pod Security restricted', () => {
    const { json } = newNamespace();
    expect(json).toHaveResourceWithProperties(NamespaceV1, {
      metadata: {
        name: 'ml-prod',
        labels: expect.objectContaining({
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        }),
      },
    });
  });

  it('keeps the namespace (and so every volume claim in it) from being destroyed by accident', () => {
    const ns = only(newNamespace().tf, 'kubernetes_namespace_v1');
    expect(ns.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('denies all ingress and egress to every pod by default', () => {
    const deny = ofKind(newNamespace().tf, 'NetworkPolicy').find((p) => p.metadata.name === 'default-deny')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('allows DNS egress to the cluster DNS pods in any namespace and to NodeLocal DNSCache and cloud DNS, not for network-isolated pods', () => {
    const dns = ofKind(newNamespace().tf, 'NetworkPolicy').find((p) => p.metadata.name === 'allow-dns')!;
    expect(dns.spec).toEqual({
      podSelector: { matchExpressions: [{ key: 'mlops.cdk.io/network-isolation', operator: 'NotIn', values: ['true'] }] },
      policyTypes: ['Egress'],
      egress: [{
        to: [
          { namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          // NodeLocal DNSCache listens on 169.254.20.10 on every node; GKE Cloud DNS answers at 169.254.169.254.
          { ipBlock: { cidr: '169.254.20.10/32' } },
          { ipBlock: { cidr: '169.254.169.254/32' } },
        ],
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
      }],
    });
  });

  it("takes the cluster DNS from the spec: another pod label, and the kube-dns Service IP NodeLocal DNSCache intercepts", () => {
    const { tf } = synth((scope) => {
      new PlatformNamespace(scope, 'Namespace', { name: 'ml', dns: { podLabels: { 'k8s-app': 'coredns' }, cidrs: ['10.96.0.10/32'] } });
    });
    const dns = ofKind(tf, 'NetworkPolicy').find((p) => p.metadata.name === 'allow-dns')!;
    expect((dns.spec as { egress: { to: unknown[] }[] }).egress[0].to).toEqual([
      { namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'coredns' } } },
      { ipBlock: { cidr: '10.96.0.10/32' } },
    ]);
  });

  it('rejects a DNS address that is not a CIDR, naming the field', () => {
    expectValidationError(() => synth((scope) => { new PlatformNamespace(scope, 'Namespace', { name: 'ml', dns: { podLabels: {}, cidrs: ['169.254.20.10'] } }); }), 'PlatformNamespace', { path: 'dns.cidrs[0]' });
  });

  it('sets the ResourceQuota to the sum of what the workloads reserve, GPUs included', () => {
    const [quota] = ofKind(newNamespace().tf, 'ResourceQuota');
    expect((quota.spec as { hard: Record<string, string> }).hard).toEqual({
      'requests.cpu': '6750m',
      'requests.memory': '11264Mi',
      'limits.memory': '11264Mi',
      'requests.nvidia.com/gpu': '4',
      'requests.aws.amazon.com/neuron': '0',
      pods: '6',
      persistentvolumeclaims: '2',
      'requests.storage': '120Gi',
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
  });

  it('gives a namespace without workloads a quota of nothing', () => {
    const [quota] = ofKind(newNamespace({}, false).tf, 'ResourceQuota');
    expect((quota.spec as { hard: Record<string, string> }).hard).toMatchObject({ pods: '0', 'requests.nvidia.com/gpu': '0', 'requests.cpu': '0' });
  });

  it('gives containers that say nothing default requests and a memory limit', () => {
    const [limits] = ofKind(newNamespace().tf, 'LimitRange');
    expect((limits.spec as { limits: unknown[] }).limits).toContainEqual({ type: 'Container', defaultRequest: { cpu: '100m', memory: '128Mi' }, default: { memory: '512Mi' } });
  });

  it('grants viewers only get, list and watch, and never secrets', () => {
    const { tf } = newNamespace({ viewerGroups: ['ml-engineers'] });
    const [role] = ofKind(tf, 'Role');
    const rules = role.rules as { resources: string[]; verbs: string[] }[];
    expect(rules).toHaveLength(VIEWER_RULES.length);
    for (const rule of rules) {
      expect(rule.verbs).toEqual(['get', 'list', 'watch']);
      expect(rule.resources).not.toContain('secrets');
      expect(rule.resources).not.toContain('pods/exec');
    }
    const [binding] = ofKind(tf, 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: expect.stringContaining('kubernetes_role_v1') });
    expect(binding.subjects).toEqual([{ kind: 'Group', name: 'ml-engineers', apiGroup: 'rbac.authorization.k8s.io' }]);
  });

  it('binds nobody when no viewer groups are given', () => {
    expect(ofKind(newNamespace().tf, 'RoleBinding')).toHaveLength(0);
  });

  it('rejects a name that is not a DNS label', () => {
    expectValidationError(() => newNamespace({ name: 'ML_Prod' }), 'PlatformNamespace', { path: 'name', message: /format/ });
  });

  it('rejects a Pod Security version that is not latest or v1.N', () => {
    expectValidationError(() => newNamespace({ podSecurityVersion: '1.31' }), 'PlatformNamespace', { path: 'podSecurityVersion' });
  });
});
