/**
 * Where a model comes from, as a platform spec names it: an ECR image (with its artifact), or a
 * version of a registry of the platform. Constructs take a ModelSource instead (constructs/aws/model-source.ts).
 */
import { z } from 'zod';
import { LATEST_APPROVED } from './delivery';
import { s3Uri, SAGEMAKER_NAME } from './primitives';

/** ECR image URIs (SageMaker pulls serving images from ECR): `<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@sha256:digest]`. */
export const ECR_IMAGE_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+)(:[\w.-]{1,128}|@sha256:[a-f0-9]{64})$/;

export const modelNameSchema = z.string().regex(SAGEMAKER_NAME, { error: 'a model name: 1-63 letters, digits and hyphens' });

export const imageSourceSchema = z.strictObject({
  image: z.string().regex(ECR_IMAGE_URI, { error: "an ECR image URI with a tag or digest, e.g. '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1.4.0'" }),
  modelDataUrl: s3Uri().optional().meta({ description: "The model artifact (model.tar.gz) in S3. @default - the image carries the model" }),
});

export const registrySourceSchema = z.strictObject({
  registryVersion: z.number().int().min(1).meta({ description: 'Version of a model package in the registry to deploy.' }),
  registryOf: modelNameSchema.optional().meta({ description: "Which model's registry. @default - this model's own registry" }),
});

/** `{ image, modelDataUrl? }` or `{ registryVersion, registryOf? }`: a pinned version (what a shadow variant serves). */
export const pinnedSourceSchema = z.union([imageSourceSchema, registrySourceSchema]);

/** A model's source: a pinned one, or the registry's approvals delivered through the stages (`registryVersion: 'latest-approved'`). */
export const modelSourceSchema = z.union([imageSourceSchema, registrySourceSchema.extend({
  registryVersion: z.union([z.number().int().min(1), z.literal(LATEST_APPROVED)]).meta({ description: `Version of a model package in the registry to deploy, or '${LATEST_APPROVED}': each version approved in the registry is delivered through the platform's delivery stages.` }),
})]);
export type ModelSourceSpec = z.output<typeof modelSourceSchema>;
