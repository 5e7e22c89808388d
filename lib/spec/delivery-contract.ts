/**
 * The names the delivery pipeline (stacks/aws: the state machine of a model with `delivery.stages`)
 * and its operators (`mlops promote`, `status`, `rollback`, the audit) share. One place for each:
 * the state machine reads and writes what the CLI writes and reads.
 *
 * - The model package group carries the tag {@link DELIVERY_TAG} = the ARN of its delivery state
 *   machine (named `DERIVED_NAMES.delivery.of(platform, model)`), started by EventBridge when a version
 *   is Approved, with a {@link DeliveryExecutionInput}.
 * - A version carries customer metadata {@link approvedForStageKey}(stage) once `mlops promote
 *   --stage <stage>` approved it for a stage whose gate is manual (the gate waits for it), and
 *   {@link servingInStageKey}(stage) = the deploy time while it is the version serving in that stage
 *   (on exactly one version per stage).
 */

/** Tag on a model package group: the ARN of the state machine that delivers its approved versions. */
export const DELIVERY_TAG = 'cdk-mlops:delivery';

/** Customer metadata key prefix: approved for a stage's manual gate (`cdk-mlops:approved:<stage>`). */
export const APPROVED_FOR_STAGE_PREFIX = 'cdk-mlops:approved:';

/** Customer metadata key prefix: the version serving in a stage (`cdk-mlops:stage:<stage>`), value = deploy time. */
export const SERVING_IN_STAGE_PREFIX = 'cdk-mlops:stage:';

/** `cdk-mlops:approved:<stage>`. */
export function approvedForStageKey(stage: string): string {
  return `${APPROVED_FOR_STAGE_PREFIX}${stage}`;
}

/** `cdk-mlops:stage:<stage>`. */
export function servingInStageKey(stage: string): string {
  return `${SERVING_IN_STAGE_PREFIX}${stage}`;
}

/** The input of a delivery execution: the version to deliver and, optionally, only these stages, in this order. */
export interface DeliveryExecutionInput {
  readonly modelPackageArn: string;
  readonly stages?: readonly string[];
}

/**
 * What SageMaker accepts as a customer metadata key or value (letters, digits, spaces and
 * `_ . : / = + - @`; keys 1-128 characters, values up to 256): a stage name must make a valid key.
 */
export const CUSTOMER_METADATA_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const CUSTOMER_METADATA_KEY_MAX = 128;
export const CUSTOMER_METADATA_VALUE_MAX = 256;
