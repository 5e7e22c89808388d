/**
 * `cdk-mlops/kubernetes`: the constructs on cdktf + @cdktf/provider-kubernetes, and the renderer of
 * a whole PlatformSpec (`KubernetesPlatformStack`, `synthKubernetesPlatform`).
 */
export * from './constructs/kubernetes';
export { KubernetesCrdStack, KubernetesPlatformStack } from './stacks/kubernetes/platform';
export type { KubernetesPlatformProps } from './stacks/kubernetes/platform';
export { synthKubernetesPlatform } from './stacks/kubernetes/synth';
export type { KubernetesSynthResult, WrittenTerraformStack } from './stacks/kubernetes/synth';
