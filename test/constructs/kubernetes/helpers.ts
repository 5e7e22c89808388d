/**
 * Helpers for the Kubernetes target's tests: synthesize constructs into Terraform JSON, turn each
 * kubernetes_* resource back into the Kubernetes API object it creates, and validate that object
 * with kubernetes-models (schemas generated from the Kubernetes OpenAPI, not written here).
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { Testing } from 'cdktf';
import YAML from 'yaml';
import { Construct } from 'constructs';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { MlopsValidationError } from '../../../lib/errors';
import { validationErrorOf } from '../../thrown';

export type Json = Record<string, unknown>;
/** Terraform JSON of a synthesized scope: `resource[type][name]`. */
export interface Synth { readonly resource: Record<string, Record<string, Json>> }

/** Synthesizes what `fn` builds in a test stack. */
export function synth(fn: (scope: Construct) => void): { json: string; tf: Synth } {
  const json = Testing.synthScope(fn);
  return { json, tf: JSON.parse(json) as Synth };
}

/** The resources of one type, in construct order. */
export function resources(tf: Synth, type: string): Json[] {
  return Object.values(tf.resource[type] ?? {});
}

/** The only resource of a type (fails the test when there are more or none). */
export function only(tf: Synth, type: string): Json {
  const all = resources(tf, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

interface KindInfo { apiVersion: string; kind: string; validate: (o: Json) => void }
const model = <T extends { validate(): void }>(C: new (o: never) => T) => (o: Json) => new C(o as never).validate();

/** The Terraform resource types cdk-mlops renders, and the Kubernetes kind each creates. */
export const KINDS: Record<string, KindInfo> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace', validate: model(Namespace) },
  kubernetes_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount', validate: model(ServiceAccount) },
  kubernetes_service_v1: { apiVersion: 'v1', kind: 'Service', validate: model(Service) },
  kubernetes_persistent_volume_claim_v1: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', validate: model(PersistentVolumeClaim) },
  kubernetes_resource_quota_v1: { apiVersion: 'v1', kind: 'ResourceQuota', validate: model(ResourceQuota) },
  kubernetes_limit_range_v1: { apiVersion: 'v1', kind: 'LimitRange', validate: model(LimitRange) },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment', validate: model(Deployment) },
  kubernetes_stateful_set_v1: { apiVersion: 'apps/v1', kind: 'StatefulSet', validate: model(StatefulSet) },
  kubernetes_horizontal_pod_autoscaler_v2: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', validate: model(HorizontalPodAutoscaler) },
  kubernetes_pod_disruption_budget_v1: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', validate: model(PodDisruptionBudget) },
  kubernetes_network_policy_v1: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', validate: model(NetworkPolicy) },
  kubernetes_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', validate: model(Role) },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap', validate: model(ConfigMap) },
  kubernetes_secret_v1: { apiVersion: 'v1', kind: 'Secret', validate: model(Secret) },
  kubernetes_cron_job_v1: { apiVersion: 'batch/v1', kind: 'CronJob', validate: model(CronJob) },
  kubernetes_job_v1: { apiVersion: 'batch/v1', kind: 'Job', validate: model(Job) },
  kubernetes_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', validate: model(RoleBinding) },
};

// --- Terraform JSON → Kubernetes API ---------------------------------------------------------
/** Provider-only arguments: how Terraform manages the object, not part of it. */
const TF_ONLY = new Set(['//', 'wait_for_service_account_token', 'wait_for_completion', 'lifecycle', 'timeouts', 'wait_for_rollout', 'wait_until_bound', 'depends_on', 'provider', 'count', 'for_each']);
/** Fields whose value is a string map: keys kept as written. */
const MAPS = new Set(['labels', 'annotations', 'match_labels', 'node_selector', 'hard', 'limits', 'requests', 'default', 'default_request', 'max', 'min', 'max_limit_request_ratio', 'data', 'string_data', 'binary_data']);
/** Repeated blocks the provider names in the singular. */
const RENAME: Record<string, string> = {
  container: 'containers', init_container: 'initContainers', port: 'ports', volume: 'volumes', volume_mount: 'volumeMounts',
  toleration: 'tolerations', topology_spread_constraint: 'topologySpreadConstraints', metric: 'metrics', policy: 'policies',
  rule: 'rules', subject: 'subjects', limit: 'limits', volume_claim_template: 'volumeClaimTemplates', sysctl: 'sysctls',
  image_pull_secrets: 'imagePullSecrets', cluster_ip: 'clusterIP', cluster_ips: 'clusterIPs', external_ips: 'externalIPs',
};
/** Blocks the provider models as a one-element list where the API has one object. */
const UNWRAP = new Set(['projected', 'config_map', 'persistent_volume_claim_retention_policy', 'update_strategy', 'label_selector', 'scale_up', 'scale_down', 'tcp_socket', 'grpc']);
/** Integers the provider carries as strings. */
const INTS = new Set(['ttl_seconds_after_finished', 'replicas', 'run_as_user', 'run_as_group', 'fs_group', 'toleration_seconds']);
/** IntOrString fields: a numeric string is an integer in the API. */
const INT_OR_STRING = new Set(['max_surge', 'max_unavailable', 'min_available', 'target_port', 'port']);

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function convert(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    if (key !== undefined && UNWRAP.has(key)) return value.length === 0 ? undefined : convert(value[0]);
    return value.map((v) => convert(v));
  }
  if (value === null || typeof value !== 'object') {
    if (key !== undefined && INTS.has(key) && typeof value === 'string') return Number(value);
    // File modes are octal strings in the provider ('0440'), integers in the API.
    if ((key === 'default_mode' || key === 'mode') && typeof value === 'string') return parseInt(value, 8);
    if (key !== undefined && INT_OR_STRING.has(key) && typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
    return value;
  }
  const o = value as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (TF_ONLY.has(k)) continue;
    const isSelectorBlock = k === 'selector' && v !== null && typeof v === 'object' && ('match_labels' in v || 'match_expressions' in v);
    if ((MAPS.has(k) && !Array.isArray(v)) || (k === 'selector' && !isSelectorBlock)) {
      out[k === 'default_request' ? 'defaultRequest' : k === 'max_limit_request_ratio' ? 'maxLimitRequestRatio' : camel(k)] = v;
      continue;
    }
    const name = Array.isArray(v) && RENAME[k] ? RENAME[k] : k === 'cluster_ip' ? 'clusterIP' : k === 'downward_api' ? 'downwardAPI' : camel(k);
    const c = convert(v, k);
    if (c !== undefined) out[name] = c;
  }
  return out;
}

/** The Kubernetes API object a kubernetes_* resource of the provider creates. */
export function toApiObject(type: string, resource: Json): Json & { kind: string; metadata: Json } {
  const info = KINDS[type];
  if (!info) throw new Error(`no Kubernetes kind known for ${type}`);
  return { apiVersion: info.apiVersion, kind: info.kind, ...(convert(resource) as Json) } as unknown as Json & { kind: string; metadata: Json };
}

/** Every Kubernetes object of a synthesized scope, in API form. Fails on a resource type the tests do not know. */
export function apiObjects(tf: Synth): (Json & { kind: string; metadata: Json })[] {
  const out = [];
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const r of Object.values(byName)) out.push(toApiObject(type, r));
  }
  return out;
}

/** Validates every object with kubernetes-models; returns how many were checked. Throws with the object's kind and name. */
export function validateAll(tf: Synth): number {
  let n = 0;
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const [id, r] of Object.entries(byName)) {
      try {
        KINDS[type].validate(toApiObject(type, r));
      } catch (e) {
        throw new Error(`${type}.${id} is not a valid ${KINDS[type].kind}: ${(e as Error).message}`);
      }
      n++;
    }
  }
  return n;
}

/** The objects of one kind, in API form. */
export function ofKind(tf: Synth, kind: string): (Json & { metadata: Json })[] {
  return apiObjects(tf).filter((o) => o.kind === kind);
}

export interface ExpectedIssue { readonly path: string; readonly message?: RegExp | string }

/** Runs `fn`, expects one MlopsValidationError naming `kind` and every expected field path. */
export function expectValidationError(fn: () => unknown, kind: string, ...expected: ExpectedIssue[]): MlopsValidationError {
  const err = validationErrorOf(fn);
  expect(err.message).toContain(kind);
  for (const issue of expected) {
    const match = err.issues.find((i) => i.path === issue.path);
    expect(match).toBeDefined();
    if (issue.message !== undefined) expect(match!.message).toMatch(issue.message);
    expect(err.message).toContain(issue.path);
  }
  return err;
}

/** The pod spec (API form) of a Deployment or StatefulSet object. */
export function podSpecOf(o: Json): Json & { containers: Json[]; volumes?: Json[] } {
  return ((o.spec as Json).template as Json).spec as Json & { containers: Json[] };
}

// --- CRD objects (kubernetes_manifest) --------------------------------------------------------
/**
 * The CRD schemas in ../shared/schemas (written elsewhere: KServe, Kueue, Kubeflow Trainer), compiled
 * on first use per `group/version/Kind`: the files are named `<group>_<plural>.yaml`.
 */
const CRD_DIR = path.join(__dirname, '..', '..', '..', '..', 'shared', 'schemas');
/** Parsed CRDs cached as JSON (parsing the 39,000-line KServe YAML takes seconds; JSON.parse, milliseconds). */
const CACHE_DIR = path.join(__dirname, '..', '..', '.generated', 'crds');

interface Crd { spec: { names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: SchemaNode } }[] } }
interface SchemaNode { properties?: Record<string, SchemaNode>; [k: string]: unknown }

function readCrd(file: string): Crd {
  const cached = path.join(CACHE_DIR, `${path.basename(file)}.${fs.statSync(file).size}.json`);
  if (fs.existsSync(cached)) return JSON.parse(fs.readFileSync(cached, 'utf8')) as Crd;
  const crd = YAML.parse(fs.readFileSync(file, 'utf8')) as Crd;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${cached}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(crd));
  fs.renameSync(tmp, cached); // atomic: parallel workers never read half a file
  return crd;
}

const crdValidators = new Map<string, ValidateFunction>();
/**
 * A validator for objects of `kind` whose spec has exactly `specKeys`: the served version's schema
 * with `spec.properties` cut to those keys (compiling the whole KServe schema takes seconds; the
 * fields the object does not have cannot fail), so every field the object has is checked.
 */
function crdValidator(apiVersion: string, kind: string, specKeys: readonly string[]): ValidateFunction | undefined {
  const key = `${apiVersion}/${kind}/${[...specKeys].sort().join(',')}`;
  const cached = crdValidators.get(key);
  if (cached) return cached;
  const [group, version] = apiVersion.split('/');
  const file = path.join(CRD_DIR, `${group}_${kind.toLowerCase()}s.yaml`);
  if (!fs.existsSync(file)) return undefined;
  const crd = readCrd(file);
  const served = crd.spec.versions.find((v) => v.served && v.name === version);
  if (!served || crd.spec.names.kind !== kind) return undefined;
  const root = served.schema.openAPIV3Schema;
  const spec = root.properties?.spec;
  const known = Object.keys(spec?.properties ?? {});
  const unknown = specKeys.filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`${kind} has no spec field(s) ${unknown.join(', ')} in its CRD`);
  const cut: SchemaNode = spec
    ? { ...root, properties: { ...root.properties, spec: { ...spec, properties: Object.fromEntries(specKeys.map((k) => [k, spec.properties![k]])) } } }
    : root;
  // Strict: the API server prunes unknown fields silently, so a misspelt one must fail here.
  const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(strictCrdSchema(cut));
  crdValidators.set(key, validate);
  return validate;
}

/** Adds `additionalProperties: false` to every object schema with properties that does not preserve unknown fields. */
function strictCrdSchema<T>(node: T): T {
  if (Array.isArray(node)) return node.map(strictCrdSchema) as T;
  if (node === null || typeof node !== 'object') return node;
  const out: Json = Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, x]) => [p, strictCrdSchema(x)])) : strictCrdSchema(v)]));
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out as T;
}

/** The object of every kubernetes_manifest resource of a synthesized scope. */
export function manifests(tf: Synth): (Json & { apiVersion: string; kind: string; metadata: Json; spec: Json })[] {
  return resources(tf, 'kubernetes_manifest').map((r) => r.manifest as Json & { apiVersion: string; kind: string; metadata: Json; spec: Json });
}

/** Validates every kubernetes_manifest object against the openAPIV3Schema of its CRD's served version. Throws on an unknown kind. */
export function validateManifests(tf: Synth): number {
  let n = 0;
  for (const m of manifests(tf)) {
    const validate = crdValidator(m.apiVersion, m.kind, Object.keys(m.spec ?? {}));
    if (!validate) throw new Error(`no served CRD schema for ${m.apiVersion} ${m.kind} in ../shared/schemas`);
    const what = `${m.kind} '${String(m.metadata.name)}'`;
    if (!validate(m)) throw new Error(`${what} does not match its CRD schema: ${JSON.stringify(validate.errors)}`);
    n++;
  }
  return n;
}

/** Validates one object against the CRD schema of its kind (for tests that the validator can fail). */
export function validateAgainstCrd(m: Json & { apiVersion: string; kind: string }): ValidateFunction['errors'] {
  const validate = crdValidator(m.apiVersion, m.kind, Object.keys((m.spec as Json | undefined) ?? {}))!;
  validate(m);
  return validate.errors;
}
