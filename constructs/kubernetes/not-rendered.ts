/**
 * Spec fields the Kubernetes target does not render. Each is an `Annotations` warning with a stable
 * id, `[cdk-mlops:k8s-not-rendered-<field>]` (AWS-only fields keep `k8s-aws-only-<field>`, fields
 * without a Kubernetes meaning `k8s-ignored-<field>`), and `synthKubernetesPlatform` lists them apart
 * from the other warnings: what the spec asked for and the cluster will not do.
 */
import { Annotations } from 'cdktf';
import { IConstruct } from 'constructs';

const NOT_RENDERED = /^\[cdk-mlops:k8s-(not-rendered|aws-only|ignored)-[\w.-]+\]/;

/** Warns that `field` (its spec path) is not rendered on Kubernetes, and why. */
export function warnNotRendered(scope: IConstruct, field: string, why: string): void {
  Annotations.of(scope).addWarning(`[cdk-mlops:k8s-not-rendered-${field.replace(/\[(\d+)\]/g, '.$1').replace(/[^\w.-]/g, '-')}] ${field} is not rendered on Kubernetes: ${why}`);
}

/** Whether a warning's text says a spec field is not rendered (the synth summary's list). */
export function isNotRenderedWarning(text: string): boolean {
  return NOT_RENDERED.test(text.replace(/^[^[]*: (?=\[)/, ''));
}
