/**
 * PlatformSpec: a whole platform in one document (TypeScript object, YAML or JSON): its models,
 * each with an optional registry and an endpoint. stacks/ renders it onto constructs.
 */
import { z } from 'zod';
import { renderValue } from '../errors';
import { endpointSpecSchema } from './endpoint';
import { platformKubernetesSchema } from './kubernetes';
import { addIssue, s3Uri, SAGEMAKER_NAME } from './primitives';
import { registrySpecSchema } from './registry';

/** ECR image URIs (SageMaker pulls serving images from ECR): `<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@sha256:digest]`. */
export const ECR_IMAGE_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+)(:[\w.-]{1,128}|@sha256:[a-f0-9]{64})$/;

const modelName = z.string().regex(SAGEMAKER_NAME, { error: 'a model name: 1-63 letters, digits and hyphens' });

const imageSource = z.strictObject({
  image: z.string().regex(ECR_IMAGE_URI, { error: "an ECR image URI with a tag or digest, e.g. '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1.4.0'" }),
  modelDataUrl: s3Uri().optional().meta({ description: "The model artifact (model.tar.gz) in S3. @default - the image carries the model" }),
});

const registrySource = z.strictObject({
  registryVersion: z.number().int().min(1).meta({ description: 'Version of a model package in the registry to deploy.' }),
  registryOf: modelName.optional().meta({ description: "Which model's registry. @default - this model's own registry" }),
});

const modelSpec = z.strictObject({
  name: modelName,
  description: z.string().max(1024).optional(),
  registry: registrySpecSchema.optional().meta({ description: "The model's package group. @default - no registry" }),
  source: z.union([imageSource, registrySource]).meta({ description: '{ image, modelDataUrl } or { registryVersion, registryOf? }' }),
  endpoint: endpointSpecSchema,
});

export const platformSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, { error: 'a platform name: a letter, then up to 63 letters, digits and hyphens (it prefixes stack names)' }),
  description: z.string().max(1024).optional(),
  aws: z.strictObject({
    account: z.string().regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' }).optional().meta({ description: '@default - the account of the credentials cdk deploy uses' }),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "an AWS region such as 'us-east-1'" }).optional().meta({ description: '@default - the region of the credentials cdk deploy uses' }),
    alarmEmails: z.array(z.email()).default([]).meta({ description: 'Addresses subscribed to the platform alarm topic. @default - none' }),
  }).default({ alarmEmails: [] }),
  kubernetes: platformKubernetesSchema.optional().meta({ description: 'Kubernetes-only settings (namespace, storage class, registry images); ignored on AWS. @default - see each field' }),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}).meta({ description: 'Tags applied to every stack.' }),
  models: z.array(modelSpec).min(1),
}).superRefine((p, ctx) => {
  const names = new Map<string, number>();
  p.models.forEach((m, i) => {
    const first = names.get(m.name);
    if (first !== undefined) addIssue(ctx, ['models', i, 'name'], `repeats the name of models[${first}]`, { got: renderValue(m.name), expected: 'a name no other model has' });
    else names.set(m.name, i);
  });
  p.models.forEach((m, i) => {
    if (!('registryVersion' in m.source)) return;
    const owner = m.source.registryOf ?? m.name;
    const target = p.models.find((o) => o.name === owner);
    if (!target) {
      addIssue(ctx, ['models', i, 'source', 'registryOf'], 'names no model of this platform', { got: renderValue(owner), expected: `one of ${p.models.map((o) => `'${o.name}'`).join(', ')}` });
    } else if (!target.registry) {
      addIssue(ctx, ['models', i, 'source'], m.source.registryOf ? `uses the registry of '${owner}', which has none` : 'deploys from a registry but the model has none', { got: 'registryVersion', expected: `a 'registry' section on model '${owner}'` });
    }
  });
});

export type PlatformSpecInput = z.input<typeof platformSpecSchema>;
export type PlatformSpec = z.output<typeof platformSpecSchema>;
export type ModelSpec = PlatformSpec['models'][number];
