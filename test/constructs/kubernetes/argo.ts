/**
 * Validation of Argo Workflows objects (WorkflowTemplate, CronWorkflow, Workflow) against Argo's own
 * JSON Schema (../shared/schemas/argo-workflows-v3.7.18.schema.json, draft 2020-12), made strict:
 * every object schema with `properties` refuses unknown fields (the controller would drop a misspelt
 * one silently), and Quantity and IntOrString accept numbers as well as strings, as the API does.
 * TrainJobs a resource template submits are validated strictly against the Trainer CRD, and their
 * runtime must be one Kubeflow Trainer 2.3 installs.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import Ajv from 'ajv';
import { Json, Synth, validateAgainstCrd, validateManifests } from './helpers';
import { trainerRuntimes } from './pod-security';

const SCHEMA = path.join(__dirname, '..', '..', '..', '..', 'shared', 'schemas', 'argo-workflows-v3.7.18.schema.json');
const KINDS = ['WorkflowTemplate', 'CronWorkflow', 'Workflow'] as const;

type Node = Record<string, unknown>;

/** Adds `additionalProperties: false` to every object schema with properties that says nothing about other properties. */
export function strictCrdSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictCrdSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Node = Object.fromEntries(Object.entries(node as Node).map(([k, v]) => [k, k === 'properties' || k === 'definitions' || k === '$defs' ? Object.fromEntries(Object.entries(v as Node).map(([p, s]) => [p, strictCrdSchema(s)])) : strictCrdSchema(v)]));
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}

let validators: Map<string, ValidateFunction> | undefined;
function argoValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const schema = strictCrdSchema(JSON.parse(fs.readFileSync(SCHEMA, 'utf8'))) as Node & { definitions: Record<string, Node> };
  // As the API server reads them: a Quantity or an IntOrString may be written as a number.
  for (const d of ['io.k8s.apimachinery.pkg.api.resource.Quantity', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString']) {
    schema.definitions[d] = { type: ['string', 'number'] };
  }
  delete schema.oneOf;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(schema, 'argo');
  validators = new Map(KINDS.map((k) => [k, ajv.compile({ $ref: `argo#/definitions/io.argoproj.workflow.v1alpha1.${k}` })]));
  return validators;
}

/** Validates the objects; returns, per object, null when valid or the validation errors. */
export function argoErrors(objects: readonly Json[]): (string | null)[] {
  const all = argoValidators();
  return objects.map((o) => {
    const validate = all.get(String(o.kind));
    if (!validate || o.apiVersion !== 'argoproj.io/v1alpha1') return `no Argo Workflows schema for ${String(o.apiVersion)} ${String(o.kind)}`;
    if (validate(o)) return null;
    return validate.errors!.map((e) => `${e.instancePath} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : ''}`).join('; ');
  });
}

/** Validates the objects; throws with the kind, name and error of the first invalid one. Returns how many were checked. */
export function validateArgo(objects: readonly Json[]): number {
  const errors = argoErrors(objects);
  errors.forEach((e, i) => {
    if (e !== null) {
      const o = objects[i] as { kind?: string; metadata?: { name?: string } };
      throw new Error(`${o.kind} '${o.metadata?.name}' is not valid: ${e}`);
    }
  });
  return errors.length;
}

/** The objects Argo resource templates create (their `manifest`), e.g. a TrainJob. */
export function submittedObjects(workflowTemplate: Json): (Json & { apiVersion: string; kind: string })[] {
  const templates = ((workflowTemplate.spec as Json).templates as Json[] | undefined) ?? [];
  return templates.flatMap((t) => {
    const r = t.resource as { action?: string; manifest?: string } | undefined;
    return r?.action === 'create' && r.manifest ? [JSON.parse(r.manifest) as Json & { apiVersion: string; kind: string }] : [];
  });
}

/** Validates a TrainJob strictly against the Trainer CRD; its runtime must be one Trainer 2.3 installs. */
export function validateTrainJob(job: Json & { apiVersion: string; kind: string }): void {
  const errors = validateAgainstCrd(job);
  if (errors) throw new Error(`TrainJob does not match its CRD: ${JSON.stringify(errors)}`);
  const runtime = String(((job.spec as Json).runtimeRef as Json).name);
  if (!trainerRuntimes().has(runtime)) throw new Error(`TrainJob runtime '${runtime}' is not one Kubeflow Trainer 2.3 installs (${[...trainerRuntimes().keys()].join(', ')})`);
}

/**
 * Validates every kubernetes_manifest object of a CRD stack: Argo objects against Argo's schema
 * (strict), the TrainJobs they submit and the rest against their CRD schemas in ../shared/schemas.
 * Returns how many of each were checked.
 */
export function validateCrdStack(tf: Synth): { argo: number; crds: number; prometheusRules: number; monitors: number; trainJobs: number } {
  const all = tf.resource.kubernetes_manifest ?? {};
  const apiVersion = (r: Json) => (r.manifest as { apiVersion?: string }).apiVersion;
  const isArgo = (r: Json) => apiVersion(r) === 'argoproj.io/v1alpha1';
  const isRule = (r: Json) => apiVersion(r) === 'monitoring.coreos.com/v1';
  const argo = Object.values(all).filter(isArgo).map((r) => r.manifest as Json);
  // Prometheus Operator objects against the operator's CRD schemas (test/fixtures/prometheus-operator), unknown fields refused.
  const operator = Object.values(all).filter(isRule).map((r) => r.manifest as Json);
  operator.forEach(validatePrometheusOperatorObject);
  const rules = operator.filter((o) => o.kind === 'PrometheusRule');
  const trainJobs = argo.filter((o) => o.kind === 'WorkflowTemplate').flatMap(submittedObjects).filter((o) => o.kind === 'TrainJob');
  trainJobs.forEach(validateTrainJob);
  const others: Synth = { resource: { kubernetes_manifest: Object.fromEntries(Object.entries(all).filter(([, r]) => !isArgo(r) && !isRule(r))) } };
  return { argo: argo.length > 0 ? validateArgo(argo) : 0, crds: validateManifests(others), prometheusRules: rules.length, monitors: operator.length - rules.length, trainJobs: trainJobs.length };
}

/** The Prometheus Operator CRD schemas vendored in fixtures/prometheus-operator (v0.93.0; its README says where from). */
const OPERATOR_DIR = path.join(__dirname, 'fixtures', 'prometheus-operator');
const operatorValidators = new Map<string, ValidateFunction>();

/** A validator of one Prometheus Operator kind (PodMonitor, ServiceMonitor, PrometheusRule), unknown fields refused. */
export function prometheusOperatorValidator(kind: string): ValidateFunction {
  const cached = operatorValidators.get(kind);
  if (cached) return cached;
  const file = path.join(OPERATOR_DIR, `${kind.toLowerCase()}s.v1.schema.json`);
  if (!fs.existsSync(file)) throw new Error(`no vendored Prometheus Operator schema for ${kind}`);
  const { openAPIV3Schema } = JSON.parse(fs.readFileSync(file, 'utf8')) as { openAPIV3Schema: Json };
  const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(strictCrdSchema(withoutGoOnlyPatterns(openAPIV3Schema)) as object);
  operatorValidators.set(kind, validate);
  return validate;
}

/** The schema without the `pattern`s JavaScript cannot compile (Go's `(?i)` flags): the API server checks those, not this test. */
function withoutGoOnlyPatterns<T>(node: T): T {
  if (Array.isArray(node)) return node.map(withoutGoOnlyPatterns) as T;
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node as Json).filter(([k, v]) => !(k === 'pattern' && typeof v === 'string' && !compiles(v))).map(([k, v]) => [k, k === 'pattern' ? v : withoutGoOnlyPatterns(v)])) as T;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Throws when a Prometheus Operator object does not match its CRD schema. */
export function validatePrometheusOperatorObject(o: Json): void {
  const what = `${String(o.kind)} '${String((o.metadata as Json).name)}'`;
  const validate = prometheusOperatorValidator(String(o.kind));
  if (!validate(o)) throw new Error(`${what} does not match its CRD schema: ${JSON.stringify(validate.errors)}`);
}
