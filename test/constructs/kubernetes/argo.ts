/**
 * Validation of Argo Workflows objects (WorkflowTemplate, CronWorkflow, Workflow) with
 * @kubernetes-models/argo-workflows, through a child `node` process (the package is ESM only).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { Json, Synth, validateManifests } from './helpers';

const SCRIPT = path.join(__dirname, 'validate-argo.mjs');

/** Validates the objects in one child process; returns, per object, null when valid or the validation error. */
export function argoErrors(objects: readonly Json[]): (string | null)[] {
  const out = execFileSync(process.execPath, [SCRIPT], { input: JSON.stringify(objects), encoding: 'utf8', timeout: 30000 });
  return JSON.parse(out) as (string | null)[];
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

/**
 * Validates every kubernetes_manifest object of a CRD stack: Argo objects with the Argo Workflows
 * models, the rest against their CRD schemas in ../shared/schemas. Returns how many of each were checked.
 */
export function validateCrdStack(tf: Synth): { argo: number; crds: number; prometheusRules: number } {
  const all = tf.resource.kubernetes_manifest ?? {};
  const apiVersion = (r: Json) => (r.manifest as { apiVersion?: string }).apiVersion;
  const isArgo = (r: Json) => apiVersion(r) === 'argoproj.io/v1alpha1';
  const isRule = (r: Json) => apiVersion(r) === 'monitoring.coreos.com/v1';
  const argo = Object.values(all).filter(isArgo).map((r) => r.manifest as Json);
  // PrometheusRules with the prometheus-operator models (their CRD is not in ../shared/schemas).
  const rules = Object.values(all).filter(isRule).map((r) => r.manifest as Json);
  for (const rule of rules) new PrometheusRule(rule as never).validate();
  const others: Synth = { resource: { kubernetes_manifest: Object.fromEntries(Object.entries(all).filter(([, r]) => !isArgo(r) && !isRule(r))) } };
  return { argo: argo.length > 0 ? validateArgo(argo) : 0, crds: validateManifests(others), prometheusRules: rules.length };
}
