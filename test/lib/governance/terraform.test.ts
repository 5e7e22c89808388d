/**
 * The Kubernetes side of the audit report, read from Terraform JSON: the reference platform's real
 * cdktf output (synthesized here), hand-written non-compliant Terraform JSON that must produce
 * findings, the report merged with a CloudFormation one against the published schema, and
 * `mlops audit --cdktf-out`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { writeAudit } from '../../../bin/commands/audit';
import { main } from '../../../bin/mlops';
import {
  auditReportJsonSchema, buildAuditReport, buildKubernetesAudit, KubernetesAudit, KUBERNETES_RULES, mergeAuditReports, readTerraformOutput, renderHtml, renderMarkdown,
  resolveReference, restrictedProfileGaps, terraformResourcesByType,
} from '../../../lib/governance';
import { synthKubernetesPlatform } from '../../../stacks/kubernetes/synth';
import { referencePlatform } from '../../../stacks/reference-platform';
import type { EndpointSpecInput } from '../../../lib/spec';
import { inChromium, writeCdktfOut } from './helpers';

let root: string;
let refOut: string;
let ref: KubernetesAudit;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-tf-audit-'));
  refOut = path.join(root, 'cdktf.out');
  synthKubernetesPlatform(referencePlatform, refOut);
  ref = buildKubernetesAudit(refOut);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Writes a cdktf output directory with one stack holding these resources. */
const cdktfOut = (name: string, resource: Record<string, Record<string, unknown>>): string => writeCdktfOut(root, name, resource);

const restrictedContainer = {
  name: 'app', image: 'app:1',
  security_context: { run_as_non_root: true, allow_privilege_escalation: false, capabilities: { drop: ['ALL'] }, seccomp_profile: { type: 'RuntimeDefault' } },
};

describe('readTerraformOutput', () => {
  it('reads the stacks and resources of a cdktf output, with construct paths', () => {
    const out = readTerraformOutput(refOut);
    expect(out.stacks.map((s) => s.stackName)).toEqual(['mlops-reference', 'mlops-reference-crds']);
    const types = terraformResourcesByType(out);
    expect(types.get('kubernetes_network_policy_v1')).toBeGreaterThanOrEqual(2);
    expect(types.get('kubernetes_namespace_v1')).toBe(1);
    const ns = out.stacks[0].resources.find((r) => r.type === 'kubernetes_namespace_v1')!;
    expect(ns.constructPath).toBe('mlops-reference/Namespace/Resource');
    expect(ns.body['//']).toBeUndefined();
  });

  it('resolves a reference to another resource to its value', () => {
    const stack = readTerraformOutput(refOut).stacks[0];
    const role = stack.resources.find((r) => r.type === 'kubernetes_role_v1')!;
    expect(resolveReference(stack, (role.body.metadata as { namespace: string }).namespace)).toBe('mlops-reference');
    expect(resolveReference(stack, '${kubernetes_secret_v1.nowhere.metadata[0].name}')).toBe('${kubernetes_secret_v1.nowhere.metadata[0].name}');
  });

  it('says clearly when a directory is not a cdktf output', () => {
    const empty = fs.mkdtempSync(path.join(root, 'empty-'));
    expect(() => readTerraformOutput(empty)).toThrow(/is not a cdktf output \(no manifest.json\)/);
    fs.writeFileSync(path.join(empty, 'manifest.json'), JSON.stringify({ version: '41.0.0', artifacts: {} }));
    expect(() => readTerraformOutput(empty)).toThrow(/is not a cdktf manifest \(it has no 'stacks'\)/);
  });
});

describe('Kubernetes audit of the reference platform', () => {
  it('lists each ServiceAccount with the workload that runs as it and no API token mounted', () => {
    const sa = ref.principals.find((p) => p.kind === 'kubernetes-service-account' && p.name === 'mlops-reference/churn')!;
    expect(sa).toMatchObject({ target: 'kubernetes-terraform', stack: 'mlops-reference', constructPath: 'mlops-reference/churn/Endpoint/ServiceAccount' });
    expect(sa.trustedBy).toEqual([{ kind: 'kubernetes-workload', principal: 'Deployment mlops-reference/churn', conditions: ['API token not mounted into its pods'] }]);
    // The reference platform binds no role to a workload: least privilege is no API access at all.
    expect(sa.statements).toEqual([]);
    expect(sa.description).toMatch(/No Role or ClusterRole is bound to it/);
  });

  it("lists the viewer Role's rules with their verbs and who is bound to it", () => {
    const viewer = ref.principals.find((p) => p.kind === 'kubernetes-role')!;
    expect(viewer.name).toBe('mlops-reference/mlops-viewer');
    expect(viewer.trustedBy).toEqual([{ kind: 'kubernetes-group', principal: 'mlops-engineers', conditions: ['through RoleBinding mlops-reference/mlops-viewer, only in namespace mlops-reference'] }]);
    expect(viewer.statements).toContainEqual({ policy: 'Role mlops-reference/mlops-viewer', effect: 'Allow', actions: ['get', 'list', 'watch'], resources: ['deployments.apps', 'replicasets.apps', 'statefulsets.apps'], conditions: [] });
    for (const s of viewer.statements) expect(s.actions).toEqual(['get', 'list', 'watch']);
  });

  it('shows the default-deny policy, the namespace isolated and each allow rule readable', () => {
    const ns = ref.exposure.find((e) => e.kind === 'kubernetes-namespace')!;
    expect(ns.networkIsolation).toBe('isolated');
    expect(ns.inbound).toEqual([expect.stringMatching(/^default deny: .*NetworkPolicy default-deny/)]);
    expect(ns.outbound).toEqual([expect.stringMatching(/^default deny: .*NetworkPolicy default-deny/)]);
    const db = ref.exposure.find((e) => e.kind === 'kubernetes-network-policy' && e.name === 'mlops-reference/mlflow-db')!;
    expect(db.inbound).toEqual(['allow from pods labelled app.kubernetes.io/component=tracking-server, app.kubernetes.io/name=mlflow in this namespace; on 5432/TCP']);
    const dns = ref.exposure.find((e) => e.name === 'mlops-reference/allow-dns')!;
    expect(dns.outbound).toEqual(['allow to pods labelled k8s-app=kube-dns in every namespace, or addresses 169.254.20.10/32, or addresses 169.254.169.254/32; on 53/UDP, 53/TCP']);
    const svc = ref.exposure.find((e) => e.kind === 'kubernetes-service' && e.name === 'mlops-reference/mlflow-db')!;
    expect(svc.vpcPlacement).toMatch(/^ClusterIP, headless/);
    expect(svc.inbound).toEqual(['port 5432/TCP', expect.stringMatching(/^allow from pods labelled .*mlflow.*\(NetworkPolicy mlflow-db\)$/), 'every other incoming connection is refused']);
  });

  it('reads the Pod Security labels of the namespace', () => {
    const ns = ref.exposure.find((e) => e.kind === 'kubernetes-namespace')!;
    expect(ns.podSecurity).toEqual({ enforce: 'restricted (version latest)', audit: 'restricted (version latest)', warn: 'restricted (version latest)' });
  });

  it("shows the Postgres StatefulSet's volume retained, encryption left to the storage class", () => {
    const pg = ref.dataStores.find((d) => d.kind === 'kubernetes-volume' && d.type === 'kubernetes_stateful_set_v1 volumeClaimTemplate' && d.constructPath?.endsWith('/Registry/Database/Resource'))!;
    expect(pg.constructPath).toBe('mlops-reference/support-assistant/Registry/Database/Resource');
    expect(pg.retention).toMatch(/^retained: .*whenDeleted: Retain.*whenScaled: Retain/);
    expect(pg.encryption).toBe("depends on the cluster's default storage class (none named)");
    expect(pg.customerManagedKey).toBe(false);
    expect(pg.notes).toEqual(['claims mlops-reference/data-mlflow-db-<ordinal> of StatefulSet mlops-reference/mlflow-db', 'size 20Gi', 'access ReadWriteOnce', "storage class the cluster's default"]);
    const artifacts = ref.dataStores.find((d) => d.type === 'kubernetes_persistent_volume_claim_v1')!;
    expect(artifacts.retention).toMatch(/^retained: Terraform refuses to destroy the claim \(lifecycle.prevent_destroy\)/);
  });

  it('lists the Secret the tracking server and its database read, without claiming it is encrypted', () => {
    const secret = ref.dataStores.find((d) => d.kind === 'kubernetes-secret' && d.notes[0] === 'Secret mlops-reference/mlflow-db')!;
    expect(secret.notes[0]).toBe('Secret mlops-reference/mlflow-db');
    expect(secret.notes).toContain('StatefulSet mlops-reference/mlflow-db reads key password as POSTGRES_PASSWORD');
    expect(secret.encryption).toMatch(/only if the cluster's API server encrypts Secrets/);
    expect(secret.retention).toMatch(/^not created here/);
  });

  it('has no finding: every expectation holds on the reference platform', () => {
    expect(ref.findings).toEqual([]);
  });
});

describe('Kubernetes audit across stacks, with objects written as kubernetes_manifest', () => {
  it("reads a KServe InferenceService in the CRD stack as a workload of the platform stack's namespace", () => {
    const spec = structuredClone(referencePlatform) as typeof referencePlatform & { models: { name: string; endpoint: { kubernetes?: Record<string, unknown> } }[] };
    const churn = spec.models.find((m) => m.name === 'churn')!;
    (churn.endpoint as EndpointSpecInput).kubernetes = { ...(churn.endpoint as EndpointSpecInput).kubernetes, serving: 'kserve' };
    const out = path.join(root, 'cdktf-kserve.out');
    synthKubernetesPlatform(spec, out);
    const audit = buildKubernetesAudit(out);
    expect(audit.stacks.map((s) => s.name)).toEqual(['mlops-reference', 'mlops-reference-crds']);
    const sa = audit.principals.find((p) => p.name === 'mlops-reference/churn')!;
    expect(sa.trustedBy).toEqual([{ kind: 'kubernetes-workload', principal: 'InferenceService mlops-reference/churn (predictor)', conditions: ['API token not mounted into its pods'] }]);
    // The namespace, its default deny and Pod Security labels live in the other stack: no finding.
    expect(audit.findings).toEqual([]);
    expect(audit.exposure.filter((e) => e.kind === 'kubernetes-namespace').map((e) => e.name)).toEqual(['mlops-reference']);
  });

  it('checks the pod spec of a manifest workload in its API (camelCase) shape', () => {
    const audit = buildKubernetesAudit(cdktfOut('manifest', {
      kubernetes_manifest: {
        job: {
          manifest: {
            apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'etl', namespace: 'data' },
            spec: { template: { spec: { serviceAccountName: 'etl', hostNetwork: true, containers: [{ name: 'etl', image: 'etl:1', securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } }, envFrom: [{ secretRef: { name: 'warehouse' } }] }] } } },
          },
        },
      },
    }));
    expect(audit.findings.find((f) => f.rule === KUBERNETES_RULES.restricted.id)?.description).toBe('Job data/etl does not meet the restricted profile: host network is on');
    expect(audit.dataStores.find((d) => d.kind === 'kubernetes-secret')?.notes).toEqual(['Secret data/warehouse', 'Job data/etl loads it as environment']);
  });
});

describe('Kubernetes audit of non-compliant Terraform JSON', () => {
  let audit: KubernetesAudit;
  beforeAll(() => {
    audit = buildKubernetesAudit(cdktfOut('bad', {
      kubernetes_namespace_v1: { ns: { metadata: { name: 'team', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } } },
      kubernetes_network_policy_v1: { ingressOnly: { metadata: { name: 'deny-ingress', namespace: '${kubernetes_namespace_v1.ns.metadata[0].name}' }, spec: { pod_selector: {}, policy_types: ['Ingress'] } } },
      kubernetes_service_v1: {
        lb: { metadata: { name: 'public', namespace: 'team' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, port: [{ port: 443, target_port: '8443' }] } },
        np: { metadata: { name: 'debug', namespace: 'team' }, spec: { type: 'NodePort', selector: { app: 'web' }, port: [{ port: 80, node_port: 30080 }] } },
      },
      kubernetes_cluster_role_v1: { admin: { metadata: { name: 'everything' }, rule: [{ api_groups: ['*'], resources: ['*'], verbs: ['*'] }] } },
      kubernetes_role_v1: { deployer: { metadata: { name: 'deployer', namespace: 'team' }, rule: [{ api_groups: ['apps'], resources: ['deployments'], resource_names: ['web'], verbs: ['get', 'patch'] }] } },
      kubernetes_service_account_v1: { web: { metadata: { name: 'web', namespace: 'team' } } },
      kubernetes_role_binding_v1: {
        deploy: { metadata: { name: 'deploy', namespace: 'team' }, role_ref: { api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: '${kubernetes_role_v1.deployer.metadata[0].name}' }, subject: [{ kind: 'ServiceAccount', name: 'web' }] },
      },
      kubernetes_cluster_role_binding_v1: {
        all: { metadata: { name: 'all' }, role_ref: { api_group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'everything' }, subject: [{ kind: 'ServiceAccount', name: 'web', namespace: 'team' }, { kind: 'User', name: 'alice@example.com', api_group: 'rbac.authorization.k8s.io' }] },
      },
      kubernetes_deployment_v1: {
        web: {
          metadata: { name: 'web', namespace: 'team' },
          spec: { selector: { match_labels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { service_account_name: '${kubernetes_service_account_v1.web.metadata[0].name}', container: [{ name: 'web', image: 'web:1', env: [{ name: 'TOKEN', value_from: { secret_key_ref: { name: 'api', key: 'token' } } }] }] } } },
        },
      },
      kubernetes_stateful_set_v1: {
        cache: {
          metadata: { name: 'cache', namespace: 'team' },
          spec: {
            service_name: 'cache', selector: { match_labels: { app: 'cache' } },
            persistent_volume_claim_retention_policy: [{ when_deleted: 'Delete', when_scaled: 'Retain' }],
            template: { metadata: { labels: { app: 'cache' } }, spec: { security_context: { seccomp_profile: { type: 'RuntimeDefault' } }, container: [restrictedContainer] } },
            volume_claim_template: [{ metadata: { name: 'data' }, spec: { access_modes: ['ReadWriteOnce'], storage_class_name: 'gp3-encrypted', resources: { requests: { storage: '5Gi' } } } }],
          },
        },
      },
      kubernetes_storage_class_v1: { gp3: { metadata: { name: 'gp3-encrypted' }, storage_provisioner: 'ebs.csi.aws.com', reclaim_policy: 'Delete', parameters: { type: 'gp3', encrypted: 'true' } } },
    }));
  });

  it('reports a LoadBalancer Service as an error and a NodePort one as a warning', () => {
    const lb = audit.findings.find((f) => f.rule === KUBERNETES_RULES.loadBalancer.id)!;
    expect(lb).toMatchObject({ pack: 'Kubernetes', status: 'open', severity: 'error', logicalId: 'kubernetes_service_v1.lb', target: 'kubernetes-terraform' });
    expect(lb.description).toMatch(/team\/public is of type LoadBalancer/);
    expect(audit.findings.find((f) => f.rule === KUBERNETES_RULES.nodePort.id)).toMatchObject({ severity: 'warning', logicalId: 'kubernetes_service_v1.np' });
    const svc = audit.exposure.find((e) => e.name === 'team/public')!;
    expect(svc.vpcPlacement).toMatch(/^LoadBalancer: reachable from outside the cluster/);
    // The ingress-only default deny selects every pod and allows nothing in.
    expect(svc.inbound).toEqual(['port 443/TCP', 'no policy allows incoming connections: nothing can connect']);
  });

  it("reports a role with '*' verbs and resources, and shows the grant on the ServiceAccount cluster-wide", () => {
    const wildcard = audit.findings.filter((f) => f.rule === KUBERNETES_RULES.rbacWildcard.id);
    expect(wildcard).toHaveLength(1);
    expect(wildcard[0]).toMatchObject({ severity: 'error', logicalId: 'kubernetes_cluster_role_v1.admin' });
    expect(wildcard[0].description).toBe('ClusterRole everything rule 1 grants a wildcard: verbs * on *.*');
    const sa = audit.principals.find((p) => p.kind === 'kubernetes-service-account')!;
    expect(sa.statements).toEqual([
      { policy: 'Role team/deployer (through RoleBinding team/deploy)', effect: 'Allow', actions: ['get', 'patch'], resources: ['deployments.apps'], conditions: ['only the objects named web', 'only in namespace team'] },
      { policy: 'ClusterRole everything (through ClusterRoleBinding all)', effect: 'Allow', actions: ['*'], resources: ['*.*'], conditions: ['in every namespace (cluster-wide)'] },
    ]);
    expect(sa.trustedBy).toEqual([{ kind: 'kubernetes-workload', principal: 'Deployment team/web', conditions: ['API token mounted into its pods'] }]);
    const clusterRole = audit.principals.find((p) => p.kind === 'kubernetes-cluster-role')!;
    expect(clusterRole.trustedBy.map((t) => `${t.kind} ${t.principal}`)).toEqual(['kubernetes-service-account team/web', 'kubernetes-user alice@example.com']);
  });

  it('reports a binding to the built-in cluster-admin as a wildcard grant', () => {
    const admin = buildKubernetesAudit(cdktfOut('cluster-admin', {
      kubernetes_cluster_role_binding_v1: { ops: { metadata: { name: 'ops' }, role_ref: { api_group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subject: [{ kind: 'Group', name: 'ops', api_group: 'rbac.authorization.k8s.io' }] } },
    }));
    expect(admin.findings).toEqual([expect.objectContaining({ rule: KUBERNETES_RULES.rbacWildcard.id, severity: 'error', logicalId: 'kubernetes_cluster_role_binding_v1.ops', description: "ClusterRoleBinding ops grants the built-in ClusterRole cluster-admin ('*' verbs on '*') to Group ops" })]);
  });

  it('reports the missing egress default deny and the namespace not enforcing restricted', () => {
    const deny = audit.findings.find((f) => f.rule === KUBERNETES_RULES.defaultDeny.id)!;
    expect(deny).toMatchObject({ severity: 'error', logicalId: 'kubernetes_namespace_v1.ns' });
    expect(deny.description).toBe('Namespace team has no default-deny NetworkPolicy for egress (a policy with an empty pod selector, policy type Egress and no rules)');
    expect(audit.findings.find((f) => f.rule === KUBERNETES_RULES.podSecurity.id)?.description).toBe("Namespace team enforces Pod Security 'baseline', not 'restricted'");
    expect(audit.exposure.find((e) => e.kind === 'kubernetes-namespace')?.networkIsolation).toBe('network-access');
  });

  it('reports a namespace with no default-deny policy at all, and the workloads open to every pod', () => {
    const open = buildKubernetesAudit(cdktfOut('no-policy', {
      kubernetes_namespace_v1: { ns: { metadata: { name: 'open', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } },
      kubernetes_service_v1: { web: { metadata: { name: 'web', namespace: 'open' }, spec: { selector: { app: 'web' }, port: [{ port: 80 }] } } },
    }));
    expect(open.findings.map((f) => `${f.rule}: ${f.description}`)).toEqual([
      'Kubernetes-DefaultDenyNetworkPolicy: Namespace open has no default-deny NetworkPolicy for ingress and egress (a policy with an empty pod selector, policy type Ingress and Egress and no rules)',
    ]);
    expect(open.exposure.find((e) => e.kind === 'kubernetes-namespace')?.inbound).toEqual(['NO default deny: pods no policy selects accept connections from anywhere']);
    expect(open.exposure.find((e) => e.kind === 'kubernetes-service')?.inbound).toEqual(['port 80/TCP', 'no NetworkPolicy selects its pods: every pod in the cluster can connect']);
  });

  it("matches a Service's NetworkPolicies on the labels of the pods behind it, not only its selector", () => {
    const audit = buildKubernetesAudit(cdktfOut('pod-labels', {
      kubernetes_service_v1: { web: { metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, port: [{ port: 80 }] } } },
      kubernetes_network_policy_v1: { front: { metadata: { name: 'frontend', namespace: 'shop' }, spec: { pod_selector: { match_labels: { tier: 'frontend' } }, policy_types: ['Ingress'], ingress: [{ from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'gateway' } } }], ports: [{ port: '8080' }] }] } } },
      kubernetes_deployment_v1: { web: { metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { match_labels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'frontend' } }, spec: { container: [restrictedContainer], security_context: { seccomp_profile: { type: 'RuntimeDefault' } } } } } } },
    }));
    expect(audit.exposure.find((e) => e.kind === 'kubernetes-service')?.inbound).toEqual([
      'port 80/TCP',
      'allow from every pod in namespaces labelled kubernetes.io/metadata.name=gateway; on 8080/TCP (NetworkPolicy frontend)',
      'every other incoming connection is refused',
    ]);
  });

  it('reports a workload without a restricted security context, and not one with it', () => {
    const restricted = audit.findings.filter((f) => f.rule === KUBERNETES_RULES.restricted.id);
    expect(restricted.map((f) => f.logicalId)).toEqual(['kubernetes_deployment_v1.web']);
    expect(restricted[0].description).toMatch(/container 'web': runAsNonRoot is not true; .*allowPrivilegeEscalation is not false; .*capabilities do not drop ALL; .*seccomp profile is not set/);
  });

  it('shows a volume deleted with its StatefulSet, the storage class that decides encryption, and the Secret read', () => {
    const cache = audit.dataStores.find((d) => d.kind === 'kubernetes-volume')!;
    expect(cache.retention).toMatch(/^NOT retained: the volume claims are deleted when the StatefulSet is deleted \(whenDeleted: Delete\)/);
    expect(cache.retention).toMatch(/storage class gp3-encrypted \(reclaim policy Delete\) decides/);
    expect(cache.encryption).toBe('depends on storage class gp3-encrypted (provisioner ebs.csi.aws.com, parameters type=gp3, encrypted=true)');
    expect(audit.dataStores.find((d) => d.kind === 'kubernetes-secret')?.notes).toEqual(['Secret team/api', 'Deployment team/web reads key token as TOKEN']);
  });

  it('finds every gap of the restricted profile in a pod spec', () => {
    expect(restrictedProfileGaps({ security_context: { run_as_non_root: true, seccomp_profile: { type: 'RuntimeDefault' } }, container: [{ ...restrictedContainer, security_context: { ...restrictedContainer.security_context, run_as_non_root: undefined } }] })).toEqual([]);
    expect(restrictedProfileGaps({ host_network: true, volume: [{ name: 'docker', host_path: { path: '/var/run/docker.sock' } }], container: [{ name: 'c', security_context: { ...restrictedContainer.security_context, privileged: true, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }] }))
      .toEqual(['host network is on', "volume 'docker' is a hostPath", "container 'c': privileged", "container 'c': adds capabilities SYS_ADMIN"]);
  });
});

describe('the merged report', () => {
  let cdkOut: string;
  beforeAll(() => {
    cdkOut = path.join(root, 'cdk.out');
    const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new Stack(app, 'Small');
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    app.synth();
  });

  it('validates against the committed schema and covers both targets', () => {
    const report = mergeAuditReports(buildAuditReport(cdkOut), buildKubernetesAudit(refOut));
    const schema = Object.fromEntries(Object.entries(auditReportJsonSchema()).filter(([k]) => k !== '$schema'));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(JSON.parse(JSON.stringify(report))) || validate.errors).toBe(true);
    expect(report.source).toMatchObject({ cdktfOut: refOut, targets: ['aws-cloudformation', 'kubernetes-terraform'] });
    expect(report.summary.stacks.map((s) => s.name)).toEqual(['Small', 'mlops-reference', 'mlops-reference-crds']);
    expect(report.summary.principals).toBe(1 + ref.principals.length);
  });

  it('renders a Kubernetes section a non-programmer can read, in Markdown and HTML', () => {
    const report = mergeAuditReports(buildAuditReport(cdkOut), buildKubernetesAudit(refOut));
    const md = renderMarkdown(report);
    for (const heading of ['## Kubernetes', '### Who can do what in the cluster', '#### ServiceAccount mlops-reference/churn', '### Namespaces', '### Network policies', '### Services']) expect(md).toContain(heading);
    expect(md).toContain('| mlops-reference | enforce: restricted (version latest); audit: restricted (version latest); warn: restricted (version latest) |');
    const html = renderHtml(report);
    expect(html).toContain('<a href="#kubernetes">Kubernetes</a>');
    expect(html).toContain('<b>Granted to:</b> members of the group mlops-engineers');
    expect(html).not.toMatch(/<(script|link|img)\b/);
  });

  it('shows the Kubernetes section in headless Chromium, with nothing fetched', async () => {
    const { files } = writeAudit(cdkOut, { cdktfOut: refOut, outDir: path.join(root, 'audit-browser') });
    const requests = await inChromium(files.html, async (page) => {
        expect(await page.locator('h2').allInnerTexts()).toEqual(['Summary', 'Who can do what', 'Where data is kept', 'What is reachable, and how callers are checked', 'Who can approve, who can deploy, and which other accounts have access', 'Kubernetes', 'Model cards', 'Rule checks', 'Tags']);
        // The reference platform's three cards, read from the Terraform JSON too, none missing.
        await expect(page.locator('#model-cards tr:not(.missing-card)', { hasText: 'Kubernetes' }).count()).resolves.toBe(3);
        await expect(page.locator('#model-cards tr.missing-card').count()).resolves.toBe(0);
        const section = page.locator('#kubernetes');
        expect(await section.locator(':scope > h3').allInnerTexts()).toEqual(['Who can do what in the cluster', 'Where data is kept in the cluster', 'Namespaces', 'Network policies', 'Services', 'Kubernetes governance and findings']);
        // The reference platform is strict on Kubernetes too, its namespace tagged, and no finding is open or accepted.
        await expect(section.locator('.card', { hasText: 'Governance level (Terraform JSON)' }).innerText()).resolves.toMatch(/Strict: [^]*Required tags \(namespace annotations\): owner, cost-center, data-classification\s*\n[^]*Open findings: 0; accepted with a reason: 0/);
        expect(await section.locator('#kubernetes-governance ~ p', { hasText: 'No Kubernetes finding.' }).count()).toBe(1);
        await expect(section.locator('.card', { hasText: 'Role mlops-reference/mlops-viewer' }).innerText()).resolves.toMatch(/Granted to: members of the group mlops-engineers/);
        await expect(section.locator('tr', { hasText: 'data-mlflow-db' }).innerText()).resolves.toMatch(/retained: the volume claims are kept/);
        await expect(section.locator('tr', { hasText: 'enforce:' }).innerText()).resolves.toMatch(/enforce: restricted/);
    });
    expect(requests).toEqual([`file://${files.html}`]);
  });

  it('is written by writeAudit and `mlops audit --cdktf-out`, and a wrong directory is bad input', async () => {
    const { report, files } = writeAudit(cdkOut, { cdktfOut: refOut, outDir: path.join(root, 'audit-fn') });
    expect(report.source.targets).toEqual(['aws-cloudformation', 'kubernetes-terraform']);
    expect(fs.readFileSync(files.html, 'utf8')).toContain('id="kubernetes"');

    const out: string[] = [];
    const err: string[] = [];
    const outDir = path.join(root, 'audit-cli');
    expect(await main(['audit', '--cdk-out', cdkOut, '--cdktf-out', refOut, '--out', outDir], (s) => err.push(s), (s) => out.push(s))).toBe(0);
    expect(out.join('\n')).toContain(`and ${refOut} (Kubernetes)`);
    const written = JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8')) as { exposure: { kind: string }[] };
    expect(written.exposure.some((e) => e.kind === 'kubernetes-network-policy')).toBe(true);

    expect(await main(['audit', '--cdk-out', cdkOut, '--cdktf-out', cdkOut], (s) => err.push(s), (s) => out.push(s))).toBe(2);
    expect(err.join('\n')).toMatch(/--cdktf-out: is not a cdktf output/);
  });

  it('`mlops audit` reads ./cdktf.out when it exists and no --cdktf-out is given', async () => {
    const cwd = process.cwd();
    const work = fs.mkdtempSync(path.join(root, 'cwd-'));
    fs.cpSync(refOut, path.join(work, 'cdktf.out'), { recursive: true });
    process.chdir(work);
    try {
      const out: string[] = [];
      expect(await main(['audit', '--cdk-out', cdkOut, '--out', path.join(work, 'audit'), '--json'], () => undefined, (s) => out.push(s))).toBe(0);
      const summary = JSON.parse(out.join('\n')) as { summary: { stacks: { name: string }[] } };
      expect(summary.summary.stacks.map((s) => s.name)).toEqual(['Small', 'mlops-reference', 'mlops-reference-crds']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('fails `mlops audit` when the Kubernetes output has an open error finding', async () => {
    const bad = cdktfOut('lb-only', { kubernetes_service_v1: { lb: { metadata: { name: 'public', namespace: 'team' }, spec: { type: 'LoadBalancer', port: [{ port: 80 }] } } } });
    const err: string[] = [];
    expect(await main(['audit', '--cdk-out', cdkOut, '--cdktf-out', bad, '--out', path.join(root, 'audit-bad')], (s) => err.push(s), () => undefined)).toBe(1);
    expect(err.join('\n')).toMatch(/1 open error finding/);
  });
});
