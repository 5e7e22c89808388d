/**
 * `cdk-mlops/aws`: the constructs on aws-cdk-lib, the renderer of a whole PlatformSpec
 * (`AwsPlatform`), and the rule packs every cdk-mlops app runs (`addCompliancePacks`, `MlopsChecks`).
 * Pipeline steps and expressions are in `cdk-mlops/aws/pipeline`.
 */
export * from './constructs/aws';
export { AwsPlatform, ModelStack, SharedStack, TrainingStack } from './stacks/aws/platform';
export type { AwsPlatformProps, ModelStackProps, SharedStackProps, TrainingStackProps } from './stacks/aws/platform';
export { addCompliancePacks, COMPLIANCE_PACKS, compliancePacks } from './stacks/aws/compliance';
export { MlopsChecks } from './stacks/aws/mlops-rules';
export type { MlopsChecksProps } from './stacks/aws/mlops-rules';
export { synthAwsPlatform } from './stacks/aws/synth';
export type { SynthResult as AwsSynthResult } from './stacks/aws/synth';
