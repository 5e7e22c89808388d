/**
 * PlatformSpec: a whole platform in one document (TypeScript object, YAML or JSON): its models,
 * each with an optional registry and an endpoint. stacks/ renders it onto constructs.
 */
import { z } from 'zod';
import { renderValue } from '../errors';
import { driftMonitorSpecSchema } from './drift-monitor';
import { endpointSpecSchema } from './endpoint';
import { governanceSpecSchema, requiredTagsOf } from './governance';
import { featureStoreSpecSchema } from './feature-store';
import { experimentTrackerSpecSchema } from './experiment-tracker';
import { pipelineSpecSchema } from './pipeline';
import { platformKubernetesSchema, refineKubernetesPlatform } from './kubernetes';
import { addIssue, s3Uri, SAGEMAKER_NAME } from './primitives';
import { registrySpecSchema } from './registry';
import { refineTrainingCluster, trainingClusterObject } from './training-cluster';

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
  featureStore: featureStoreSpecSchema.optional().meta({ description: "The model's feature groups (online and offline stores). @default - no feature store" }),
  drift: driftMonitorSpecSchema.optional().meta({ description: "Monitors of the model's endpoint (data quality, model quality, bias, explainability), their alarms and retraining on drift. Needs the endpoint's data capture. @default - not monitored" }),
  pipeline: pipelineSpecSchema.optional().meta({ description: "How the model is built: preprocess → train → evaluate → quality gate → register into the model's registry (needs 'registry'). @default - no pipeline" }),
});

/** A TrainingCluster of the platform: the cluster spec, named, and the existing VPC its nodes join on AWS. */
const platformTrainingCluster = trainingClusterObject.extend({
  name: z.string().regex(SAGEMAKER_NAME, { error: 'a cluster name: 1-63 letters, digits and hyphens' }),
  aws: z.strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: "a VPC id such as 'vpc-0123456789abcdef0'" }),
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: "a subnet id such as 'subnet-0123456789abcdef0'" })).min(1).meta({ description: 'Private subnets the nodes run in (one per Availability Zone used).' }),
  }).optional().meta({ description: "The existing VPC the nodes join. @default - the platform's own VPC (strict governance level); required below it" }),
}).superRefine(refineTrainingCluster);

export const platformSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, { error: 'a platform name: a letter, then up to 63 letters, digits and hyphens (it prefixes stack names)' }),
  description: z.string().max(1024).optional(),
  aws: z.strictObject({
    account: z.string().regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' }).optional().meta({ description: '@default - the account of the credentials cdk deploy uses' }),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "an AWS region such as 'us-east-1'" }).optional().meta({ description: '@default - the region of the credentials cdk deploy uses' }),
    alarmEmails: z.array(z.email()).default([]).meta({ description: 'Addresses subscribed to the platform alarm topic. @default - none' }),
  }).default({ alarmEmails: [] }),
  kubernetes: platformKubernetesSchema.optional().meta({ description: 'Kubernetes-only settings (namespace, storage class, registry images); ignored on AWS. @default - see each field' }),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}).meta({ description: 'Tags applied to every resource that takes tags without being replaced (never to feature groups).' }),
  governance: governanceSpecSchema.default({ level: 'baseline', personas: false }).meta({ description: "Governance level, permissions boundary and required tags. @default - { level: 'baseline' }" }),
  models: z.array(modelSpec).min(1),
  experimentTracker: experimentTrackerSpecSchema.optional().meta({ description: "A managed MLflow tracking server every model's pipeline logs to. @default - none" }),
  trainingClusters: z.array(platformTrainingCluster).default([]).meta({ description: 'Persistent GPU clusters (SageMaker HyperPod) for large training runs. @default - none' }),
}).superRefine((p, ctx) => {
  for (const tag of requiredTagsOf(p.governance)) {
    if (!(tag in p.tags)) addIssue(ctx, ['tags', tag], `is required by governance (level '${p.governance.level}')`, { got: 'nothing', expected: `a '${tag}' tag` });
  }
  if (p.governance.level === 'strict') {
    p.models.forEach((m, i) => {
      if (m.endpoint.compute.kind === 'serverless') {
        addIssue(ctx, ['models', i, 'endpoint', 'compute'], "is serverless, which the strict governance level does not allow: SageMaker serverless inference runs neither in a VPC nor network-isolated", { got: 'serverless', expected: "an instance type or accelerator (e.g. { instanceType: 'ml.c5.large' })" });
      }
      if (m.endpoint.networkIsolation === false && m.endpoint.compute.kind !== 'serverless') {
        addIssue(ctx, ['models', i, 'endpoint', 'networkIsolation'], 'is off, which the strict governance level does not allow', { got: 'false', expected: 'true (the default)' });
      }
    });
  }
  refineKubernetesPlatform(p, ctx);
  p.models.forEach((m, i) => {
    if (m.pipeline && !m.registry) addIssue(ctx, ['models', i, 'pipeline'], 'registers models, but the model has no registry', { got: 'a pipeline without a registry', expected: "a 'registry' section on the model" });
  });
  const clusters = new Map<string, number>();
  p.trainingClusters.forEach((c, i) => {
    if (!c.aws && p.governance.level !== 'strict') {
      addIssue(ctx, ['trainingClusters', i, 'aws'], "is required: HyperPod nodes join a VPC, and only a platform at the strict level has its own", { got: 'nothing', expected: "{ vpcId, subnetIds } of an existing VPC, or governance.level 'strict'" });
    }
    const first = clusters.get(c.name);
    if (first !== undefined) addIssue(ctx, ['trainingClusters', i, 'name'], `repeats the name of trainingClusters[${first}]`, { got: renderValue(c.name), expected: 'a name no other cluster has' });
    else clusters.set(c.name, i);
  });
  const names = new Map<string, number>();
  p.models.forEach((m, i) => {
    const first = names.get(m.name);
    if (first !== undefined) addIssue(ctx, ['models', i, 'name'], `repeats the name of models[${first}]`, { got: renderValue(m.name), expected: 'a name no other model has' });
    else names.set(m.name, i);
  });
  p.models.forEach((m, i) => {
    if (m.drift && !m.endpoint.dataCapture.enabled) {
      addIssue(ctx, ['models', i, 'drift'], "needs the endpoint's data capture: every monitor reads captured requests", {
        got: m.endpoint.compute.kind === 'serverless' ? 'a serverless endpoint (it cannot capture)' : 'endpoint.dataCapture.enabled false',
        expected: 'an instance-backed endpoint with dataCapture enabled (the default), or no drift section',
      });
    }
    // Without S3 URIs, data quality compares with the baseline the model's pipeline computes.
    if (m.drift?.dataQuality && !m.drift.dataQuality.baseline && !m.pipeline?.dataQualityBaseline) {
      addIssue(ctx, ['models', i, 'drift', 'dataQuality', 'baseline'], 'is required: data quality compares captured data with a baseline', { got: 'nothing', expected: "{ constraintsUri, statisticsUri } of a baseline job, or 'pipeline.dataQualityBaseline: true' on the model" });
    }
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
