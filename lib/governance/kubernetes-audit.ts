/**
 * The audit report's Kubernetes entries, read from the Terraform JSON in cdktf.out/ (never from
 * the spec), in the same report model as the CloudFormation reader and merged beside it
 * ({@link mergeAuditReports}): ServiceAccounts and the RBAC roles bound to them, Roles and
 * ClusterRoles with who is bound to them, persistent volumes and the Secrets workloads read,
 * Services, NetworkPolicies and namespace Pod Security labels, and the findings where a governance
 * expectation fails. Every entry carries `target: 'kubernetes-terraform'`.
 *
 * What Terraform JSON cannot show is said, not guessed: encryption at rest of a volume is the
 * storage class's, and of a Secret the API server's encryption configuration.
 */
import { asText, asTexts, JsonObject } from '../json';
import { kubernetesModelCards } from './model-cards';
import { AuditDataStore, AuditExposure, AuditFinding, AuditModelCard, AuditPrincipal, AuditReport, AuditStatement } from './report-model';
import { GOVERNANCE_METADATA_KEY } from './rules';
import { KUBERNETES_PACK, KUBERNETES_RULES } from './kubernetes-rules';
export { KUBERNETES_PACK, KUBERNETES_RULES };
import { block, blocks, readTerraformOutput, resolveReference, TerraformOutput, TerraformResource, TerraformStack } from './terraform';

const TARGET = 'kubernetes-terraform' as const;
export interface KubernetesAudit {
  readonly targets: AuditReport['source']['targets'];
  readonly cdktfOut: string;
  readonly stacks: AuditReport['summary']['stacks'];
  readonly principals: AuditPrincipal[];
  readonly dataStores: AuditDataStore[];
  readonly exposure: AuditExposure[];
  readonly findings: AuditFinding[];
  /** The model cards of the output, and its model endpoints without one. */
  readonly modelCards: AuditModelCard[];
  /** The governance the Kubernetes target wrote into its stacks; undefined when no stack carries it (not a cdk-mlops platform). */
  readonly governance?: AuditReport['governance'];
  /** The required tags checked on the namespaces the output creates (as annotations). */
  readonly tags: AuditReport['tags'];
}

/**
 * What the Kubernetes target writes in the top-level `//` block of each stack's Terraform JSON, under
 * GOVERNANCE_METADATA_KEY (a comment to Terraform): the level, the required tags and the findings the
 * spec acknowledges there.
 */
export interface KubernetesGovernanceMetadata {
  readonly level: 'baseline' | 'strict';
  readonly requiredTags: readonly string[];
  readonly acknowledgements: readonly { readonly rule: string; readonly path: string; readonly reason: string }[];
}

// ---------------------------------------------------------------- helpers

/** Follows nested blocks, taking the first instance of each. */
function dig(value: unknown, ...keys: string[]): JsonObject | undefined {
  let current = block(value);
  for (const key of keys) current = block(current?.[key]);
  return current;
}

const WORKLOADS: Record<string, { kind: string; podSpec: string[] }> = {};
for (const [kind, types, podSpec] of [
  ['Deployment', ['kubernetes_deployment_v1', 'kubernetes_deployment'], ['spec', 'template', 'spec']],
  ['StatefulSet', ['kubernetes_stateful_set_v1', 'kubernetes_stateful_set'], ['spec', 'template', 'spec']],
  ['DaemonSet', ['kubernetes_daemon_set_v1', 'kubernetes_daemonset'], ['spec', 'template', 'spec']],
  ['ReplicationController', ['kubernetes_replication_controller_v1', 'kubernetes_replication_controller'], ['spec', 'template', 'spec']],
  ['Job', ['kubernetes_job_v1', 'kubernetes_job'], ['spec', 'template', 'spec']],
  ['CronJob', ['kubernetes_cron_job_v1', 'kubernetes_cron_job'], ['spec', 'job_template', 'spec', 'template', 'spec']],
  ['Pod', ['kubernetes_pod_v1', 'kubernetes_pod'], ['spec']],
] as const) {
  for (const type of types) WORKLOADS[type] = { kind, podSpec: [...podSpec] };
}
const ROLE_TYPES = ['kubernetes_role_v1', 'kubernetes_role'];
const CLUSTER_ROLE_TYPES = ['kubernetes_cluster_role_v1', 'kubernetes_cluster_role'];
const BINDING_TYPES = ['kubernetes_role_binding_v1', 'kubernetes_role_binding'];
const CLUSTER_BINDING_TYPES = ['kubernetes_cluster_role_binding_v1', 'kubernetes_cluster_role_binding'];
const SA_TYPES = ['kubernetes_service_account_v1', 'kubernetes_service_account'];
const NAMESPACE_TYPES = ['kubernetes_namespace_v1', 'kubernetes_namespace'];
const POLICY_TYPES = ['kubernetes_network_policy_v1', 'kubernetes_network_policy'];
const SERVICE_TYPES = ['kubernetes_service_v1', 'kubernetes_service'];
const PVC_TYPES = ['kubernetes_persistent_volume_claim_v1', 'kubernetes_persistent_volume_claim'];
const PV_TYPES = ['kubernetes_persistent_volume_v1', 'kubernetes_persistent_volume'];
const STORAGE_CLASS_TYPES = ['kubernetes_storage_class_v1', 'kubernetes_storage_class'];
const SECRET_TYPES = ['kubernetes_secret_v1', 'kubernetes_secret'];

/**
 * API objects that may be written as `kubernetes_manifest` instead of a typed resource: the typed
 * resource each reads as, and the fields whose provider name is not the snake_case of the API name.
 */
const MANIFEST_OBJECTS: Record<string, { type: string; renames?: Record<string, string> }> = {
  Namespace: { type: NAMESPACE_TYPES[0] },
  ServiceAccount: { type: SA_TYPES[0] },
  Role: { type: ROLE_TYPES[0], renames: { rules: 'rule' } },
  ClusterRole: { type: CLUSTER_ROLE_TYPES[0], renames: { rules: 'rule' } },
  RoleBinding: { type: BINDING_TYPES[0], renames: { subjects: 'subject' } },
  ClusterRoleBinding: { type: CLUSTER_BINDING_TYPES[0], renames: { subjects: 'subject' } },
  Service: { type: SERVICE_TYPES[0], renames: { ports: 'port' } },
  NetworkPolicy: { type: POLICY_TYPES[0] },
  Secret: { type: SECRET_TYPES[0] },
  PersistentVolumeClaim: { type: PVC_TYPES[0] },
};
/** API field names whose provider name is not their plain snake_case. */
const API_FIELD_NAMES: Record<string, string> = { nonResourceURLs: 'non_resource_urls', clusterIP: 'cluster_ip', clusterIPs: 'cluster_ips', loadBalancerIP: 'load_balancer_ip' };

/** An API object (camelCase) in the shape of its typed resource's arguments. */
function objectShape(value: unknown, renames: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => objectShape(v, renames));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [
    renames[k] ?? API_FIELD_NAMES[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    DATA_MAPS.has(k) ? v : objectShape(v, renames),
  ]));
}

/** Reads one stack: names and namespaces resolved through the stack's own references. */
class StackReader {
  /** `kubernetes_manifest` objects read as the typed resource of their kind (same address, arguments in the provider's shape). */
  private readonly manifests: { readonly type: string; readonly resource: TerraformResource }[];

  constructor(readonly stack: TerraformStack) {
    this.manifests = stack.resources.filter((r) => r.type === 'kubernetes_manifest').flatMap((r) => {
      const manifest = block(r.body.manifest) ?? {};
      const known = MANIFEST_OBJECTS[asText(manifest.kind) ?? ''];
      if (!known) return [];
      const body = { ...(objectShape(manifest, known.renames ?? {}) as JsonObject), ...(r.body.lifecycle !== undefined ? { lifecycle: r.body.lifecycle } : {}) };
      return [{ type: known.type, resource: { ...r, body } }];
    });
  }
  /** The typed resources of these types, and the `kubernetes_manifest` objects of the same kinds. */
  of(...types: string[]): TerraformResource[] {
    return [...this.stack.resources.filter((r) => types.includes(r.type)), ...this.manifests.filter((m) => types.includes(m.type)).map((m) => m.resource)];
  }
  /** The typed resource type a resource reads as (its own, or its manifest kind's). */
  typeOf(r: TerraformResource): string {
    return this.manifests.find((m) => m.resource === r)?.type ?? r.type;
  }
  resolve(v: unknown): string | undefined {
    return resolveReference(this.stack, v);
  }
  meta(r: TerraformResource): JsonObject {
    return block(r.body.metadata) ?? block(block(r.body.manifest)?.metadata) ?? {};
  }
  name(r: TerraformResource): string {
    return this.resolve(this.meta(r).name) ?? r.name;
  }
  namespace(r: TerraformResource): string {
    return this.resolve(this.meta(r).namespace) ?? 'default';
  }
  /** `namespace/name`. */
  qualified(r: TerraformResource): string {
    return `${this.namespace(r)}/${this.name(r)}`;
  }
  where(r: TerraformResource) {
    return { target: TARGET, stack: this.stack.stackName, logicalId: `${r.type}.${r.name}`, constructPath: r.constructPath };
  }
  labels(r: TerraformResource): Record<string, string> {
    return Object.fromEntries(Object.entries(block(this.meta(r).labels) ?? {}).map(([k, v]) => [k, this.resolve(v) ?? '']));
  }
}

interface Workload {
  readonly reader: StackReader;
  readonly resource: TerraformResource;
  readonly kind: string;
  /** `Deployment mlops/churn`. */
  readonly title: string;
  readonly namespace: string;
  /** The pod spec in the provider's snake_case shape (converted for `kubernetes_manifest` objects). */
  readonly podSpec: JsonObject;
  /** The labels its pods carry (from the pod template), what Services and NetworkPolicies select on. */
  readonly podLabels: Record<string, string>;
}

const labelMap = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(block(v) ?? {}).map(([k, x]) => [k, asText(x) ?? '']));

/**
 * Where the pod specs are in an API object written as `kubernetes_manifest` (the Kubernetes API's
 * own camelCase shape): core workloads and the serving CRDs cdk-mlops renders.
 */
const MANIFEST_POD_SPECS: Record<string, string[][]> = {
  Pod: [['spec']],
  Deployment: [['spec', 'template', 'spec']],
  StatefulSet: [['spec', 'template', 'spec']],
  DaemonSet: [['spec', 'template', 'spec']],
  ReplicaSet: [['spec', 'template', 'spec']],
  Job: [['spec', 'template', 'spec']],
  CronJob: [['spec', 'jobTemplate', 'spec', 'template', 'spec']],
  // KServe: each component is a PodSpec with extra fields.
  InferenceService: [['spec', 'predictor'], ['spec', 'transformer'], ['spec', 'explainer']],
};
/** Fields whose provider name is not the snake_case of the API name. */
const PROVIDER_NAMES: Record<string, string> = { containers: 'container', initContainers: 'init_container', ephemeralContainers: 'ephemeral_container', volumes: 'volume', ports: 'port' };
/** Maps whose keys are data (label keys, resource names), never renamed. */
const DATA_MAPS = new Set(['labels', 'annotations', 'nodeSelector', 'matchLabels', 'limits', 'requests', 'selector']);

/** An API object (camelCase) in the provider's snake_case shape, so one reader serves both. */
function providerShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(providerShape);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [
    PROVIDER_NAMES[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    DATA_MAPS.has(k) ? v : providerShape(v),
  ]));
}

function manifestWorkloads(reader: StackReader): Workload[] {
  return reader.of('kubernetes_manifest').flatMap((r) => {
    const manifest = block(r.body.manifest) ?? {};
    const kind = asText(manifest.kind) ?? '?';
    return (MANIFEST_POD_SPECS[kind] ?? []).flatMap((specPath) => {
      let spec: unknown = manifest;
      let parent: JsonObject | undefined;
      for (const key of specPath) { parent = spec as JsonObject | undefined; spec = block(parent?.[key]); }
      if (spec === undefined) return [];
      const isvc = kind === 'InferenceService';
      // A pod template's labels are beside its spec; a KServe component's are its own `labels` over the object's.
      const podLabels = isvc ? { ...labelMap(block(manifest.metadata)?.labels), ...labelMap((spec as JsonObject).labels) } : kind === 'Pod' ? labelMap(block(manifest.metadata)?.labels) : labelMap(block(parent?.metadata)?.labels);
      return [{ reader, resource: r, kind, title: `${kind} ${reader.qualified(r)}${isvc ? ` (${specPath[1]})` : ''}`, namespace: reader.namespace(r), podSpec: providerShape(spec) as JsonObject, podLabels }];
    });
  });
}

function workloadsOf(reader: StackReader): Workload[] {
  return [...typedWorkloads(reader), ...manifestWorkloads(reader)];
}

function typedWorkloads(reader: StackReader): Workload[] {
  return reader.stack.resources.filter((r) => WORKLOADS[r.type] !== undefined).map((r) => {
    const { kind, podSpec } = WORKLOADS[r.type];
    const podLabels = kind === 'Pod' ? reader.labels(r) : labelMap(dig(r.body, ...podSpec.slice(0, -1), 'metadata')?.labels);
    return { reader, resource: r, kind, title: `${kind} ${reader.qualified(r)}`, namespace: reader.namespace(r), podSpec: dig(r.body, ...podSpec) ?? {}, podLabels };
  });
}

const containersOf = (podSpec: JsonObject): JsonObject[] => [...blocks(podSpec.init_container), ...blocks(podSpec.container), ...blocks(podSpec.ephemeral_container)];

// ---------------------------------------------------------------- selectors and network rules

function selectorText(selector: JsonObject | undefined): string {
  const parts = [
    ...Object.entries(block(selector?.match_labels) ?? {}).map(([k, v]) => `${k}=${String(v)}`),
    ...blocks(selector?.match_expressions).map((e) => `${String(e.key)} ${String(e.operator)}${asTexts(e.values).length ? ` (${asTexts(e.values).join(', ')})` : ''}`),
  ];
  return parts.join(', ');
}

const emptySelector = (selector: JsonObject | undefined) => selectorText(selector) === '';

/** Whether a label selector selects pods that carry (at least) these labels. */
function selects(selector: JsonObject | undefined, labels: Record<string, string>): boolean {
  if (Object.entries(block(selector?.match_labels) ?? {}).some(([k, v]) => labels[k] !== String(v))) return false;
  return blocks(selector?.match_expressions).every((e) => {
    const key = String(e.key);
    const values = asTexts(e.values);
    switch (e.operator) {
      case 'In': return labels[key] !== undefined && values.includes(labels[key]);
      case 'NotIn': return labels[key] === undefined || !values.includes(labels[key]);
      case 'Exists': return labels[key] !== undefined;
      case 'DoesNotExist': return labels[key] === undefined;
      default: return false;
    }
  });
}

function peerText(peer: JsonObject): string {
  const ip = block(peer.ip_block);
  if (ip) return `addresses ${String(ip.cidr)}${asTexts(ip.except).length ? ` except ${asTexts(ip.except).join(', ')}` : ''}`;
  const pods = block(peer.pod_selector);
  const namespaces = block(peer.namespace_selector);
  const podPart = pods === undefined ? undefined : emptySelector(pods) ? 'every pod' : `pods labelled ${selectorText(pods)}`;
  if (namespaces === undefined) return `${podPart ?? 'every pod'} in this namespace`;
  const nsPart = emptySelector(namespaces) ? 'every namespace' : `namespaces labelled ${selectorText(namespaces)}`;
  return `${podPart ?? 'every pod'} in ${nsPart}`;
}

function portsText(ports: JsonObject[]): string {
  if (ports.length === 0) return 'on every port';
  return `on ${ports.map((p) => `${asText(p.port) ?? 'every port'}${asText(p.end_port) !== undefined ? `-${asText(p.end_port)}` : ''}/${asText(p.protocol) ?? 'TCP'}`).join(', ')}`;
}

interface PolicyView {
  readonly reader: StackReader;
  readonly resource: TerraformResource;
  readonly name: string;
  readonly namespace: string;
  readonly podSelector: JsonObject | undefined;
  readonly ingress?: string[];
  readonly egress?: string[];
  readonly denyAllIngress: boolean;
  readonly denyAllEgress: boolean;
}

function policyOf(reader: StackReader, r: TerraformResource): PolicyView {
  const spec = block(r.body.spec) ?? {};
  const ingressRules = blocks(spec.ingress);
  const egressRules = blocks(spec.egress);
  // Kubernetes' default: Ingress always, Egress when there are egress rules.
  const types = asTexts(spec.policy_types).length ? asTexts(spec.policy_types) : ['Ingress', ...(egressRules.length ? ['Egress'] : [])];
  const podSelector = block(spec.pod_selector);
  const ruleLine = (peers: JsonObject[], ports: JsonObject[], word: string) => `${peers.length === 0 ? `${word} anywhere` : `${word} ${peers.map(peerText).join(', or ')}`}; ${portsText(ports)}`;
  const ingress = types.includes('Ingress') ? ingressRules.map((rule) => `allow ${ruleLine(blocks(rule.from), blocks(rule.ports), 'from')}`) : undefined;
  const egress = types.includes('Egress') ? egressRules.map((rule) => `allow ${ruleLine(blocks(rule.to), blocks(rule.ports), 'to')}`) : undefined;
  const all = emptySelector(podSelector);
  return {
    reader, resource: r, name: reader.name(r), namespace: reader.namespace(r), podSelector, ingress, egress,
    denyAllIngress: all && types.includes('Ingress') && ingressRules.length === 0,
    denyAllEgress: all && types.includes('Egress') && egressRules.length === 0,
  };
}

// ---------------------------------------------------------------- RBAC

interface RoleView {
  readonly reader: StackReader;
  readonly resource: TerraformResource;
  readonly kind: 'Role' | 'ClusterRole';
  /** `ns/name` for a Role, `name` for a ClusterRole. */
  readonly key: string;
  readonly rules: JsonObject[];
}

interface BindingView {
  readonly reader: StackReader;
  readonly resource: TerraformResource;
  readonly kind: 'RoleBinding' | 'ClusterRoleBinding';
  readonly title: string;
  /** Where the grant applies: a namespace, or undefined for cluster-wide. */
  readonly namespace?: string;
  readonly roleKind: 'Role' | 'ClusterRole';
  readonly roleKey: string;
  readonly subjects: { kind: string; name: string; namespace?: string }[];
}

function ruleResources(rule: JsonObject): string[] {
  const groups = asTexts(rule.api_groups);
  const resources = asTexts(rule.resources).flatMap((res) => (groups.length ? groups : ['']).map((g) => (g === '' ? res : `${res}.${g}`)));
  return [...resources, ...asTexts(rule.non_resource_urls).map((u) => `URL ${u}`)];
}

function ruleStatement(policy: string, rule: JsonObject, scope?: string): AuditStatement {
  const names = asTexts(rule.resource_names);
  return {
    policy,
    effect: 'Allow',
    actions: asTexts(rule.verbs),
    resources: ruleResources(rule),
    conditions: [...(names.length ? [`only the objects named ${names.join(', ')}`] : []), ...(scope ? [scope] : [])],
  };
}

const hasWildcard = (rule: JsonObject) => ['verbs', 'resources', 'api_groups', 'non_resource_urls', 'resource_names'].some((k) => asTexts(rule[k]).some((v) => v === '*' || v.endsWith('/*')));

// ---------------------------------------------------------------- restricted security context

/** What keeps a pod from the Pod Security restricted profile (empty when it meets it). */
export function restrictedProfileGaps(podSpec: JsonObject): string[] {
  const gaps: string[] = [];
  const pod = block(podSpec.security_context) ?? {};
  for (const host of ['host_network', 'host_pid', 'host_ipc'] as const) if (podSpec[host] === true) gaps.push(`${host.replace('_', ' ')} is on`);
  for (const v of blocks(podSpec.volume)) if (v.host_path !== undefined) gaps.push(`volume '${String(v.name)}' is a hostPath`);
  const podSeccomp = asText(block(pod.seccomp_profile)?.type);
  for (const c of containersOf(podSpec)) {
    const sc = block(c.security_context) ?? {};
    const name = `container '${String(c.name)}'`;
    const nonRoot = sc.run_as_non_root ?? pod.run_as_non_root;
    if (nonRoot !== true) gaps.push(`${name}: runAsNonRoot is not true`);
    if (String(sc.run_as_user ?? pod.run_as_user) === '0') gaps.push(`${name}: runs as user 0 (root)`);
    if (sc.allow_privilege_escalation !== false) gaps.push(`${name}: allowPrivilegeEscalation is not false`);
    if (sc.privileged === true) gaps.push(`${name}: privileged`);
    const caps = block(sc.capabilities);
    if (!asTexts(caps?.drop).includes('ALL')) gaps.push(`${name}: capabilities do not drop ALL`);
    const added = asTexts(caps?.add).filter((a) => a !== 'NET_BIND_SERVICE');
    if (added.length) gaps.push(`${name}: adds capabilities ${added.join(', ')}`);
    const seccomp = asText(block(sc.seccomp_profile)?.type) ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') gaps.push(`${name}: seccomp profile is ${seccomp ?? 'not set'} (RuntimeDefault or Localhost expected)`);
  }
  return gaps;
}

// ---------------------------------------------------------------- the audit

function finding(reader: StackReader, r: TerraformResource, rule: { id: string }, severity: 'error' | 'warning', description: string): AuditFinding {
  return { pack: KUBERNETES_PACK, rule: rule.id, status: 'open', severity, description, ...reader.where(r) };
}

const scopeOf = (b: BindingView) => (b.namespace ? `only in namespace ${b.namespace}` : 'in every namespace (cluster-wide)');

/** Who a binding's subjects may do what: the bound role's rules, or a note when the role is not in the output. */
function bindingStatements(b: BindingView, role: RoleView | undefined): AuditStatement[] {
  const policy = `${b.roleKind} ${b.roleKey} (through ${b.title})`;
  if (!role) return [{ policy, effect: 'Allow', actions: [`everything ${b.roleKind} ${b.roleKey} allows`], resources: [`defined in the cluster, not in this output${b.roleKey === 'cluster-admin' ? ': cluster-admin is full control' : ''}`], conditions: [scopeOf(b)] }];
  return role.rules.map((rule) => ruleStatement(policy, rule, scopeOf(b)));
}

type AuditEntries = { principals: AuditPrincipal[]; dataStores: AuditDataStore[]; exposure: AuditExposure[]; findings: AuditFinding[] };

/**
 * Audits every stack of the output as one cluster: a RoleBinding, a NetworkPolicy or a namespace in
 * one stack applies to the workloads of another (the CRD stack's InferenceServices run in the
 * platform stack's namespace, as its ServiceAccounts).
 */
class ClusterAudit {
  private readonly workloads: Workload[];
  private readonly policies: PolicyView[];

  constructor(private readonly readers: StackReader[], private readonly out: AuditEntries) {
    this.workloads = readers.flatMap(workloadsOf);
    this.policies = this.each(POLICY_TYPES, policyOf);
  }

  run(): void {
    const { roles, bindings } = this.auditRbac();
    this.auditServiceAccounts(roles, bindings);
    this.auditVolumes();
    this.auditSecrets();
    this.auditNamespaces();
    this.auditNetworkPolicies();
    this.auditServices();
    this.auditPodSecurity();
  }

  private each<T>(types: string[], f: (reader: StackReader, r: TerraformResource) => T): T[] {
    return this.readers.flatMap((reader) => reader.of(...types).map((r) => f(reader, r)));
  }

  /** Roles and ClusterRoles as principals, with who is bound to them; wildcard rules and cluster-admin grants. */
  private auditRbac(): { roles: Map<string, RoleView>; bindings: BindingView[] } {
    const roles = new Map<string, RoleView>();
    this.each(ROLE_TYPES, (reader, r) => roles.set(`Role ${reader.qualified(r)}`, { reader, resource: r, kind: 'Role', key: reader.qualified(r), rules: blocks(r.body.rule) }));
    this.each(CLUSTER_ROLE_TYPES, (reader, r) => roles.set(`ClusterRole ${reader.name(r)}`, { reader, resource: r, kind: 'ClusterRole', key: reader.name(r), rules: blocks(r.body.rule) }));
    const bindings: BindingView[] = this.each([...BINDING_TYPES, ...CLUSTER_BINDING_TYPES], (reader, r) => {
      const cluster = CLUSTER_BINDING_TYPES.includes(reader.typeOf(r));
      const namespace = cluster ? undefined : reader.namespace(r);
      const ref = block(r.body.role_ref) ?? {};
      const roleKind = ref.kind === 'Role' ? 'Role' as const : 'ClusterRole' as const;
      const roleName = reader.resolve(ref.name) ?? '?';
      return {
        reader, resource: r, kind: cluster ? 'ClusterRoleBinding' as const : 'RoleBinding' as const,
        title: cluster ? `ClusterRoleBinding ${reader.name(r)}` : `RoleBinding ${reader.qualified(r)}`,
        namespace, roleKind, roleKey: roleKind === 'Role' ? `${namespace}/${roleName}` : roleName,
        subjects: blocks(r.body.subject).map((s) => ({ kind: String(s.kind), name: reader.resolve(s.name) ?? '?', namespace: reader.resolve(s.namespace) ?? (s.kind === 'ServiceAccount' ? namespace : undefined) })),
      };
    });
    for (const b of bindings) {
      // The built-in cluster-admin is '*' verbs on '*' (and every non-resource URL): the same as a wildcard rule written here.
      if (b.roleKind === 'ClusterRole' && b.roleKey === 'cluster-admin' && !roles.has('ClusterRole cluster-admin')) {
        this.out.findings.push(finding(b.reader, b.resource, KUBERNETES_RULES.rbacWildcard, 'error', `${b.title} grants the built-in ClusterRole cluster-admin ('*' verbs on '*') to ${b.subjects.map((s) => `${s.kind} ${s.name}`).join(', ')}`));
      }
    }

    for (const role of roles.values()) {
      const { reader, resource: r } = role;
      const bound = bindings.filter((b) => b.roleKind === role.kind && b.roleKey === role.key);
      this.out.principals.push({
        ...reader.where(r),
        kind: role.kind === 'Role' ? 'kubernetes-role' : 'kubernetes-cluster-role',
        name: role.key,
        description: `Kubernetes ${role.kind} ${role.key}: ${role.kind === 'Role' ? `permissions inside namespace ${reader.namespace(r)}` : 'permissions that apply in every namespace when bound by a ClusterRoleBinding, or in one namespace through a RoleBinding'}.${bound.length ? '' : ' Not bound to anyone in this output.'}`,
        trustedBy: bound.flatMap((b) => b.subjects.map((s) => ({
          kind: s.kind === 'Group' ? 'kubernetes-group' as const : s.kind === 'User' ? 'kubernetes-user' as const : 'kubernetes-service-account' as const,
          principal: s.kind === 'ServiceAccount' ? `${s.namespace ?? 'default'}/${s.name}` : s.name,
          conditions: [`through ${b.title}, ${scopeOf(b)}`],
        }))),
        statements: role.rules.map((rule) => ruleStatement(`${role.kind} ${role.key}`, rule)),
      });
      role.rules.forEach((rule, i) => {
        if (hasWildcard(rule)) this.out.findings.push(finding(reader, r, KUBERNETES_RULES.rbacWildcard, 'error', `${role.kind} ${role.key} rule ${i + 1} grants a wildcard: verbs ${asTexts(rule.verbs).join(', ') || '-'} on ${ruleResources(rule).join(', ') || '-'}`));
      });
    }
    return { roles, bindings };
  }

  /** ServiceAccounts as principals: the workloads that run as them and what their bindings allow. */
  private auditServiceAccounts(roles: Map<string, RoleView>, bindings: BindingView[]): void {
    for (const [reader, sa] of this.each(SA_TYPES, (reader, r) => [reader, r] as const)) {
      const key = reader.qualified(sa);
      const users = this.workloads.filter((w) => `${w.namespace}/${w.reader.resolve(w.podSpec.service_account_name ?? w.podSpec.service_account) ?? 'default'}` === key);
      const saMount = sa.body.automount_service_account_token;
      const grants = bindings.filter((b) => b.subjects.some((s) => s.kind === 'ServiceAccount' && `${s.namespace ?? 'default'}/${s.name}` === key));
      this.out.principals.push({
        ...reader.where(sa),
        kind: 'kubernetes-service-account',
        name: key,
        description: [
          `Kubernetes ServiceAccount ${key}: the identity its pods use to call the Kubernetes API.`,
          saMount === false ? 'Its API token is not mounted into pods unless a pod asks for it (automountServiceAccountToken: false).' : 'Its API token is mounted into every pod that runs as it.',
          grants.length ? '' : 'No Role or ClusterRole is bound to it in this output: it has no Kubernetes API permissions beyond what the cluster gives every signed-in account.',
        ].filter(Boolean).join(' '),
        trustedBy: users.map((w) => {
          const mounted = (w.podSpec.automount_service_account_token ?? saMount) !== false;
          return { kind: 'kubernetes-workload' as const, principal: w.title, conditions: [mounted ? 'API token mounted into its pods' : 'API token not mounted into its pods'] };
        }),
        statements: grants.flatMap((b) => bindingStatements(b, roles.get(`${b.roleKind} ${b.roleKey}`))),
      });
    }
  }

  /** Data stores: StatefulSet claim templates, claims and volumes. */
  private auditVolumes(): void {
    const storageClasses = new Map(this.each(STORAGE_CLASS_TYPES, (reader, r) => [reader.name(r), r] as const));
    const classText = (cls: string | undefined) => {
      if (!cls) return { encryption: "depends on the cluster's default storage class (none named)", reclaim: "the cluster's default storage class" };
      const defined = storageClasses.get(cls);
      const params = Object.entries(block(defined?.body.parameters) ?? {}).map(([k, v]) => `${k}=${String(v)}`);
      return {
        encryption: `depends on storage class ${cls}${defined ? ` (provisioner ${String(defined.body.storage_provisioner)}${params.length ? `, parameters ${params.join(', ')}` : ''})` : ''}`,
        reclaim: defined ? `storage class ${cls} (reclaim policy ${asText(defined.body.reclaim_policy) ?? 'Delete'})` : `storage class ${cls}`,
      };
    };
    const claimNotes = (spec: JsonObject | undefined) => {
      const size = asText(dig(spec, 'resources')?.requests && block(dig(spec, 'resources')?.requests)?.storage);
      return [`size ${size ?? 'not set'}`, `access ${asTexts(spec?.access_modes).join(', ') || 'not set'}`, `storage class ${asText(spec?.storage_class_name) ?? "the cluster's default"}`];
    };
    const volume = (reader: StackReader, r: TerraformResource, type: string, encryption: string, retention: string, notes: string[]): AuditDataStore => ({
      ...reader.where(r), kind: 'kubernetes-volume', type, encryption, customerManagedKey: false, versioning: 'not-applicable', retention, publicAccess: 'not-applicable', tlsOnly: 'not-applicable', notes,
    });

    for (const w of this.workloads.filter((x) => x.kind === 'StatefulSet' && x.resource.type !== 'kubernetes_manifest')) {
      const reader = w.reader;
      const spec = block(w.resource.body.spec) ?? {};
      const policy = block(spec.persistent_volume_claim_retention_policy);
      const whenDeleted = asText(policy?.when_deleted) ?? 'Retain';
      const whenScaled = asText(policy?.when_scaled) ?? 'Retain';
      for (const template of blocks(spec.volume_claim_template)) {
        const claimSpec = block(template.spec);
        const cls = classText(asText(claimSpec?.storage_class_name));
        const claim = `${asText(block(template.metadata)?.name) ?? '?'}-${reader.name(w.resource)}-<ordinal>`;
        const kept = whenDeleted === 'Retain' && whenScaled === 'Retain';
        this.out.dataStores.push(volume(reader, w.resource, `${w.resource.type} volumeClaimTemplate`, cls.encryption,
          `${kept ? 'retained' : 'NOT retained'}: the volume claims are ${whenDeleted === 'Retain' ? 'kept' : 'deleted'} when the StatefulSet is deleted (whenDeleted: ${whenDeleted}) and ${whenScaled === 'Retain' ? 'kept' : 'deleted'} when it scales down (whenScaled: ${whenScaled}); once a claim is deleted, ${cls.reclaim} decides whether the disk survives`,
          [`claims ${w.namespace}/${claim} of ${w.title}`, ...claimNotes(claimSpec)]));
      }
    }
    const volumes = new Map(this.each(PV_TYPES, (reader, r) => [reader.name(r), r] as const));
    for (const [reader, r] of this.each(PVC_TYPES, (reader, r) => [reader, r] as const)) {
      const spec = block(r.body.spec);
      const cls = classText(asText(spec?.storage_class_name));
      const protectedByTf = block(r.body.lifecycle)?.prevent_destroy === true;
      const pvName = reader.resolve(spec?.volume_name);
      const pv = pvName ? volumes.get(pvName) : undefined;
      const pvReclaim = pv ? asText(block(pv.body.spec)?.persistent_volume_reclaim_policy) ?? 'Retain' : undefined;
      this.out.dataStores.push(volume(reader, r, r.type, cls.encryption,
        `${protectedByTf ? 'retained: Terraform refuses to destroy the claim (lifecycle.prevent_destroy)' : 'deleted with the Terraform stack (no lifecycle.prevent_destroy)'}; ${pv ? `its volume ${pvName} has reclaim policy ${pvReclaim}` : `if the claim is deleted, ${cls.reclaim} decides whether the disk survives`}`,
        [`claim ${reader.qualified(r)}`, ...claimNotes(spec)]));
    }
    for (const [reader, r] of this.each(PV_TYPES, (reader, r) => [reader, r] as const)) {
      const spec = block(r.body.spec) ?? {};
      const source = Object.keys(block(spec.persistent_volume_source) ?? {})[0] ?? 'unknown';
      const reclaim = asText(spec.persistent_volume_reclaim_policy) ?? 'Retain';
      this.out.dataStores.push(volume(reader, r, r.type, `depends on the volume's backend (${source})${asText(spec.storage_class_name) ? ` and storage class ${String(spec.storage_class_name)}` : ''}`,
        `reclaim policy ${reclaim}: the disk is ${reclaim === 'Retain' ? 'kept' : reclaim === 'Delete' ? 'DELETED' : 'recycled'} when its claim is released`, [`volume ${reader.name(r)}`, `capacity ${asText(block(spec.capacity)?.storage) ?? 'not set'}`]));
    }
  }

  /** Data stores: the Secrets created here and those workloads read. */
  private auditSecrets(): void {
    const secrets = new Map<string, { reader: StackReader; resource: TerraformResource; created: boolean; uses: string[] }>();
    this.each(SECRET_TYPES, (reader, r) => secrets.set(reader.qualified(r), { reader, resource: r, created: true, uses: [] }));
    for (const w of this.workloads) {
      const reader = w.reader;
      const use = (name: unknown, how: string) => {
        const n = reader.resolve(name);
        if (!n) return;
        const key = `${w.namespace}/${n}`;
        const entry = secrets.get(key) ?? { reader, resource: w.resource, created: false, uses: [] };
        entry.uses.push(`${w.title} ${how}`);
        secrets.set(key, entry);
      };
      for (const c of containersOf(w.podSpec)) {
        for (const env of blocks(c.env)) {
          const ref = dig(env, 'value_from', 'secret_key_ref');
          if (ref) use(ref.name, `reads key ${String(ref.key)} as ${String(env.name)}`);
        }
        for (const from of blocks(c.env_from)) if (block(from.secret_ref)) use(block(from.secret_ref)!.name, 'loads it as environment');
      }
      for (const v of blocks(w.podSpec.volume)) {
        if (block(v.secret)) use(block(v.secret)!.secret_name, `mounts it as volume ${String(v.name)}`);
        for (const src of blocks(dig(v, 'projected')?.sources)) for (const s of blocks(src.secret)) use(s.name, `projects it into volume ${String(v.name)}`);
      }
      for (const p of blocks(w.podSpec.image_pull_secrets)) use(p.name, 'pulls images with it');
    }
    for (const [key, s] of secrets) {
      this.out.dataStores.push({
        ...s.reader.where(s.resource), kind: 'kubernetes-secret', type: 'Secret',
        encryption: "Kubernetes Secret: encrypted at rest only if the cluster's API server encrypts Secrets (EncryptionConfiguration, e.g. a KMS provider); not visible in the Terraform",
        customerManagedKey: false, versioning: 'not-applicable',
        retention: s.created ? 'created and deleted by this Terraform' : 'not created here: it must exist before the workloads start (managed outside this Terraform)',
        publicAccess: 'not-applicable', tlsOnly: 'not-applicable',
        notes: [`Secret ${key}`, ...s.uses],
      });
    }
  }

  /** Exposure: namespaces, their default-deny policies and Pod Security labels. */
  private auditNamespaces(): void {
    const namespaces = new Map<string, { reader: StackReader; resource: TerraformResource; created: boolean }>(this.each(NAMESPACE_TYPES, (reader, r) => [reader.name(r), { reader, resource: r, created: true }] as const));
    for (const w of this.workloads) if (!namespaces.has(w.namespace)) namespaces.set(w.namespace, { reader: w.reader, resource: w.resource, created: false });
    for (const [ns, { reader, resource: anchor, created }] of namespaces) {
      const r = created ? anchor : undefined;
      const labels = r ? reader.labels(r) : {};
      const mode = (m: string) => (labels[`pod-security.kubernetes.io/${m}`] ? `${labels[`pod-security.kubernetes.io/${m}`]} (version ${labels[`pod-security.kubernetes.io/${m}-version`] ?? 'latest'})` : undefined);
      const podSecurity = { enforce: mode('enforce'), audit: mode('audit'), warn: mode('warn') };
      const inNs = this.policies.filter((p) => p.namespace === ns);
      const denyIn = inNs.find((p) => p.denyAllIngress);
      const denyOut = inNs.find((p) => p.denyAllEgress);
      this.out.exposure.push({
        ...reader.where(anchor), kind: 'kubernetes-namespace', name: ns,
        vpcPlacement: r ? `Kubernetes namespace ${ns} (created here)` : `Kubernetes namespace ${ns} (not created here)`,
        networkIsolation: denyIn && denyOut ? 'isolated' : 'network-access',
        authentication: 'not applicable: callers reach the Services listed separately',
        inbound: [denyIn ? `default deny: every incoming connection is refused unless a policy allows it (NetworkPolicy ${denyIn.name})` : 'NO default deny: pods no policy selects accept connections from anywhere'],
        outbound: [denyOut ? `default deny: every outgoing connection is refused unless a policy allows it (NetworkPolicy ${denyOut.name})` : 'NO default deny: pods no policy selects may connect anywhere'],
        podSecurity: Object.fromEntries(Object.entries(podSecurity).filter(([, v]) => v !== undefined)),
      });
      if (!denyIn || !denyOut) {
        const missing = [!denyIn ? 'ingress' : undefined, !denyOut ? 'egress' : undefined].filter(Boolean).join(' and ');
        this.out.findings.push(finding(reader, anchor, KUBERNETES_RULES.defaultDeny, 'error', `Namespace ${ns} has no default-deny NetworkPolicy for ${missing} (a policy with an empty pod selector, policy type ${missing === 'ingress and egress' ? 'Ingress and Egress' : missing === 'ingress' ? 'Ingress' : 'Egress'} and no rules)`));
      }
      if (!labels['pod-security.kubernetes.io/enforce'] || labels['pod-security.kubernetes.io/enforce'] !== 'restricted') {
        this.out.findings.push(finding(reader, anchor, KUBERNETES_RULES.podSecurity, r ? 'error' : 'warning', r
          ? `Namespace ${ns} enforces Pod Security '${labels['pod-security.kubernetes.io/enforce'] ?? 'nothing (no label)'}', not 'restricted'`
          : `Namespace ${ns} is not created in this output: its Pod Security labels cannot be checked here`));
      }
    }
  }

  /** Exposure: what each NetworkPolicy lets in and out. */
  private auditNetworkPolicies(): void {
    for (const p of this.policies) {
      this.out.exposure.push({
        ...p.reader.where(p.resource), kind: 'kubernetes-network-policy', name: `${p.namespace}/${p.name}`,
        vpcPlacement: `applies to ${emptySelector(p.podSelector) ? 'every pod' : `pods labelled ${selectorText(p.podSelector)}`} in namespace ${p.namespace}`,
        networkIsolation: 'not-applicable',
        authentication: 'not applicable: a NetworkPolicy filters traffic by pod, namespace and address; it does not authenticate callers',
        inbound: p.ingress === undefined ? ['does not restrict incoming traffic'] : p.ingress.length ? p.ingress : [`allows no incoming connection: the selected pods accept only what other policies allow${p.denyAllIngress ? ' (default deny)' : ''}`],
        outbound: p.egress === undefined ? ['does not restrict outgoing traffic'] : p.egress.length ? p.egress : [`allows no outgoing connection: the selected pods reach only what other policies allow${p.denyAllEgress ? ' (default deny)' : ''}`],
      });
    }
  }

  /** Exposure: Services, how far they reach and which policies guard their pods. */
  private auditServices(): void {
    for (const [reader, r] of this.each(SERVICE_TYPES, (reader, r) => [reader, r] as const)) {
      const spec = block(r.body.spec) ?? {};
      const type = asText(spec.type) ?? 'ClusterIP';
      const ns = reader.namespace(r);
      const selector = Object.fromEntries(Object.entries(block(spec.selector) ?? {}).map(([k, v]) => [k, String(v)]));
      const ports = blocks(spec.port).map((p) => `port ${asText(p.port) ?? '?'}/${asText(p.protocol) ?? 'TCP'}${asText(p.node_port) !== undefined ? ` (node port ${asText(p.node_port)})` : ''}`);
      const placement = type === 'LoadBalancer' ? `LoadBalancer: reachable from outside the cluster through a cloud load balancer${asTexts(spec.load_balancer_source_ranges).length ? ` (source ranges ${asTexts(spec.load_balancer_source_ranges).join(', ')})` : ''}`
        : type === 'NodePort' ? "NodePort: reachable on every node's address"
          : type === 'ExternalName' ? `ExternalName: a DNS alias of ${String(spec.external_name)}`
            : asText(spec.cluster_ip) === 'None' ? 'ClusterIP, headless: inside the cluster only (DNS names of the pods)' : 'ClusterIP: inside the cluster only';
      // The pods behind it: the workloads whose pod labels the selector matches (the selector's own labels when none is in the output).
      const backing = this.workloads.filter((w) => w.namespace === ns && Object.entries(selector).every(([k, v]) => w.podLabels[k] === v)).map((w) => w.podLabels);
      const podLabelSets = backing.length ? backing : [selector];
      const selecting = Object.keys(selector).length ? this.policies.filter((p) => p.namespace === ns && p.ingress !== undefined && podLabelSets.some((labels) => selects(p.podSelector, labels))) : [];
      // NetworkPolicies add up: the pods accept the union of the allows of every policy selecting them.
      const allows = selecting.flatMap((p) => p.ingress!.map((line) => `${line} (NetworkPolicy ${p.name})`));
      const inbound = [
        ...ports,
        ...allows,
        ...(Object.keys(selector).length === 0 ? ['no pod selector: its endpoints are managed outside this Service']
          : selecting.length === 0 ? ['no NetworkPolicy selects its pods: every pod in the cluster can connect']
          : allows.length === 0 ? ['no policy allows incoming connections: nothing can connect'] : ['every other incoming connection is refused']),
      ];
      this.out.exposure.push({
        ...reader.where(r), kind: 'kubernetes-service', name: reader.qualified(r), vpcPlacement: placement, networkIsolation: 'network-access',
        authentication: 'none at the network layer: a caller the NetworkPolicies let through reaches the pods, which must authenticate requests themselves',
        inbound,
      });
      if (type === 'LoadBalancer') this.out.findings.push(finding(reader, r, KUBERNETES_RULES.loadBalancer, 'error', `Service ${reader.qualified(r)} is of type LoadBalancer: its pods are reachable from outside the cluster`));
      if (type === 'NodePort') this.out.findings.push(finding(reader, r, KUBERNETES_RULES.nodePort, 'warning', `Service ${reader.qualified(r)} is of type NodePort: ${ports.join(', ')} open on every node`));
    }
  }

  /** Findings: workloads that miss the Pod Security restricted profile. */
  private auditPodSecurity(): void {
    for (const w of this.workloads) {
      const gaps = restrictedProfileGaps(w.podSpec);
      if (gaps.length) this.out.findings.push(finding(w.reader, w.resource, KUBERNETES_RULES.restricted, 'error', `${w.title} does not meet the restricted profile: ${gaps.join('; ')}`));
    }
  }
}

/** The governance a stack's `//` block carries, when a cdk-mlops platform wrote it. */
export function kubernetesGovernanceOf(stack: TerraformStack): KubernetesGovernanceMetadata | undefined {
  const g = stack.metadata[GOVERNANCE_METADATA_KEY];
  if (g === null || typeof g !== 'object' || Array.isArray(g)) return undefined;
  const o = g as JsonObject;
  return {
    level: o.level === 'strict' ? 'strict' : 'baseline',
    requiredTags: asTexts(o.requiredTags),
    acknowledgements: blocks(o.acknowledgements).map((a) => ({ rule: asText(a.rule) ?? '', path: asText(a.path) ?? '', reason: asText(a.reason) ?? '' })),
  };
}

/**
 * The findings with the stacks' acknowledgements applied: a finding on the acknowledged object
 * (construct path) under the acknowledged rule is 'acknowledged' with the reason. An acknowledgement
 * whose finding no longer occurs is kept as a record, as on AWS: the reason is part of the audit trail.
 */
function acknowledge(output: TerraformOutput, findings: AuditFinding[]): AuditFinding[] {
  const out = [...findings];
  for (const stack of output.stacks) {
    for (const ack of kubernetesGovernanceOf(stack)?.acknowledgements ?? []) {
      const matched = out.filter((f) => f.rule === ack.rule && f.constructPath === ack.path);
      for (const f of matched) out[out.indexOf(f)] = { ...f, status: 'acknowledged', reason: ack.reason };
      if (matched.length > 0) continue;
      const at = output.stacks.flatMap((s) => s.resources.filter((r) => r.constructPath === ack.path).map((r) => ({ stack: s.stackName, logicalId: `${r.type}.${r.name}` })))[0];
      out.push({
        pack: KUBERNETES_PACK, rule: ack.rule, status: 'acknowledged', severity: 'error',
        description: `${ack.rule} acknowledged at synth; the finding does not occur in this output`,
        reason: ack.reason, target: TARGET, stack: at?.stack ?? stack.stackName, logicalId: at?.logicalId ?? ack.path, constructPath: ack.path,
      });
    }
  }
  return out;
}

/** The governance of the output: the strictest level only when every governed stack is strict, as on AWS. */
function kubernetesGovernance(output: TerraformOutput): AuditReport['governance'] | undefined {
  const governed = output.stacks.map(kubernetesGovernanceOf).filter((g): g is KubernetesGovernanceMetadata => g !== undefined);
  if (governed.length === 0) return undefined;
  return {
    level: governed.some((g) => g.level === 'baseline') ? 'baseline' : 'strict',
    requiredTags: [...new Set(governed.flatMap((g) => g.requiredTags))],
  };
}

/**
 * Required tags on Kubernetes: the namespaces the output creates carry them as annotations (one per
 * tag, named after its key). Cost and ownership tools attribute a namespace's objects to it, so the
 * namespace is where a platform's tags live; other objects are not checked.
 */
function kubernetesTagCompliance(readers: StackReader[], requiredTags: readonly string[]): AuditReport['tags'] {
  const missing: AuditReport['tags']['missing'] = [];
  let checked = 0;
  for (const reader of readers) {
    const required = kubernetesGovernanceOf(reader.stack)?.requiredTags ?? requiredTags;
    for (const ns of reader.of(...NAMESPACE_TYPES)) {
      checked++;
      const meta = reader.meta(ns);
      const present = { ...(block(meta.labels) ?? {}), ...(block(meta.annotations) ?? {}) };
      const absent = required.filter((t) => !(t in present));
      if (absent.length) missing.push({ ...reader.where(ns), type: ns.type, missing: [...absent] });
    }
  }
  return { requiredTags: [...requiredTags], checked, compliant: checked - missing.length, missing, exempt: [] };
}

/** The Kubernetes entries of the audit report, read from a cdktf output directory (or one already read). */
export function buildKubernetesAudit(input: string | TerraformOutput): KubernetesAudit {
  const output = typeof input === 'string' ? readTerraformOutput(input) : input;
  const out: AuditEntries = { principals: [], dataStores: [], exposure: [], findings: [] };
  const readers = output.stacks.map((stack) => new StackReader(stack));
  new ClusterAudit(readers, out).run();
  const governance = kubernetesGovernance(output);
  return {
    targets: [TARGET],
    cdktfOut: output.directory,
    stacks: output.stacks.map((s) => ({ name: s.stackName, resources: s.resources.length })),
    ...out,
    modelCards: kubernetesModelCards(output),
    findings: acknowledge(output, out.findings),
    governance,
    tags: kubernetesTagCompliance(readers, governance?.requiredTags ?? []),
  };
}
