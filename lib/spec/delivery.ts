/**
 * Delivery: the stages an approved model version moves through (deploy on approval), and the names
 * every party of a delivery agrees on: the platform (a Step Functions state machine per model), the
 * `mlops` CLI (promote, status, rollback) and the registry's metadata.
 */
import { z } from 'zod';

/** Stage names: they are part of stack names, role names and model package metadata keys. */
export const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

export const APPROVALS = ['auto', 'manual'] as const;
export type StageApproval = (typeof APPROVALS)[number];

/** `registryVersion` of a model that follows the registry: the version approved last, delivered through the stages. */
export const LATEST_APPROVED = 'latest-approved';

const deliveryStageSchema = z.strictObject({
  name: z.string().regex(STAGE_NAME, { error: "a stage name: a lowercase letter, then up to 19 lowercase letters, digits and hyphens (e.g. 'staging')" }),
  account: z.string().regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' }).optional().meta({ description: "The account the stage's endpoints run in. @default - the platform's aws.account" }),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "an AWS region such as 'us-east-1'" }).optional().meta({ description: "The stage's region. In another region than the registry's (aws.region), each version is replicated before it is deployed there: SageMaker creates a model only from a model package, an artifact and an ECR image of its own region, so the delivery copies the artifact into a replica bucket (the registry's account, the stage's region, its own KMS key) and registers the version in a replica model package group there; the image must exist in the stage's region (ECR replication). @default - the platform's aws.region" }),
  approval: z.enum(APPROVALS).optional().meta({ description: "'auto': deployed as soon as the previous stage has baked; 'manual': waits until the version is promoted to the stage (`mlops promote --stage`, which sets the package's metadata `cdk-mlops:approved:<stage>`). @default - 'auto' for the first stage, 'manual' for the others" }),
  bakeMinutes: z.number().int().min(0).max(10080).default(30).meta({ description: "Minutes the stage's endpoint alarms must stay quiet after a deploy before the version counts as delivered there (0: no bake). @default 30" }),
});

export const deliverySpecSchema = z.strictObject({
  stages: z.array(deliveryStageSchema).min(1).max(10).meta({ description: 'The stages in order: an approved version is deployed to each in turn, each after the previous has baked.' }),
}).transform((d) => ({
  stages: d.stages.map((s, i) => ({ ...s, approval: s.approval ?? (i === 0 ? 'auto' : 'manual') })),
}));

/** A stage with every default applied: its account and region are undefined only where the platform's are (the deploying credentials'). */
export interface DeliveryStage {
  readonly name: string;
  readonly account?: string;
  readonly region?: string;
  readonly approval: StageApproval;
  readonly bakeMinutes: number;
}

/**
 * What the delivery state machine and its stage stacks agree on beyond the contract with the CLI
 * (./delivery-contract.ts: the metadata keys, the group's tag, the input).
 */
export const DELIVERY_RENDERING = {
  /** Metadata key the state machine sets on a version when its delivery starts: later state-change events of that version (a promotion, a stage mark) start no second delivery. */
  startedKey: 'cdk-mlops:delivery:started',
  /** The stack parameter of each stage stack naming the model package its endpoint serves. */
  parameterName: 'ModelPackageArn',
  /** The parameter's value before the first delivery: the stage's endpoint is not created. */
  noPackage: 'none',
} as const;
