/**
 * PlatformSpec: a whole platform in one document (TypeScript object, YAML or JSON): its models,
 * each with an optional registry and an endpoint. stacks/ renders it onto constructs.
 */
import { z } from 'zod';
import { renderValue, ValidationIssue } from '../errors';
import { MonitoringImageKind, monitoringImageRegions, monitoringImageUri } from '../catalog';
import { batchSpecSchema } from './batch';
import { driftMonitorSpecSchema } from './drift-monitor';
import { endpointSpecSchema } from './endpoint';
import { componentEndpointSpecSchema, isComponentEndpoint, refineSharedEndpoints, SHARED_ENDPOINT_NAMES, sharedEndpointNameIssues, sharedEndpointSpecSchema } from './shared-endpoint';
import { AWS_TAGS, governanceSpecSchema, PLATFORM_TAGS, requiredTagsOf, tagProblem } from './governance';
import { DERIVED_NAMES, derivedNameCollisions, DerivedNameUse, NameLimit, nameProblem } from './names';
import { DeliveryStage, deliverySpecSchema, LATEST_APPROVED } from './delivery';
import { featureStoreSpecSchema } from './feature-store';
import { experimentTrackerSpecSchema } from './experiment-tracker';
import { pipelineSpecSchema } from './pipeline';
import { platformKubernetesSchema, refineKubernetesPlatform } from './kubernetes';
import { addIssue, SAGEMAKER_NAME } from './primitives';
import { modelCardSpecSchema, productionTag } from './model-card';
import { modelNameSchema, modelSourceSchema } from './source';
import { registrySpecSchema } from './registry';
import { refineTrainingCluster, trainingClusterObject } from './training-cluster';

const modelName = modelNameSchema;

const modelSpec = z.strictObject({
  name: modelName,
  description: z.string().max(1024).optional(),
  registry: registrySpecSchema.optional().meta({ description: "The model's package group. @default - no registry" }),
  source: modelSourceSchema.meta({ description: "{ image, modelDataUrl } or { registryVersion: N | 'latest-approved', registryOf? }" }),
  endpoint: z.union([endpointSpecSchema, componentEndpointSpecSchema]).optional().meta({ description: "How the model is served in real time: an endpoint of its own ({ compute, scaling, deployment, alarms, dataCapture, ... }), or an inference component of one of the platform's sharedEndpoints ({ sharedEndpoint, reservation, copies, ... }). @default - no endpoint (the model must then have a batch section)" }),
  batch: batchSpecSchema.optional().meta({ description: 'Batch transform: score a dataset in S3 on a schedule or when new data lands (create model → transform → optional quality check). @default - no batch' }),
  featureStore: featureStoreSpecSchema.optional().meta({ description: "The model's feature groups (online and offline stores). @default - no feature store" }),
  drift: driftMonitorSpecSchema.optional().meta({ description: "Monitors of the model's endpoint (data quality, model quality, bias, explainability), their alarms and retraining on drift. Needs the endpoint's data capture. @default - not monitored" }),
  pipeline: pipelineSpecSchema.optional().meta({ description: "How the model is built: preprocess → train → evaluate → quality gate → register into the model's registry (needs 'registry'). @default - no pipeline" }),
  card: modelCardSpecSchema.optional().meta({ description: "The model's card: owner, intended and out-of-scope uses, risk rating, training data, evaluation, ethical considerations. An AWS::SageMaker::ModelCard on AWS (and the card of every version its pipeline registers); MLflow registered-model tags and a Markdown card on Kubernetes. Required at the strict governance level when the platform is tagged for production. @default - no card" }),
});

export const PLATFORM_TARGETS = ['aws', 'kubernetes'] as const;
export type PlatformTarget = (typeof PLATFORM_TARGETS)[number];

/** A TrainingCluster of the platform: the cluster spec, named, and the existing VPC its nodes join on AWS. */
const platformTrainingCluster = trainingClusterObject.extend({
  name: z.string().regex(SAGEMAKER_NAME, { error: 'a cluster name: 1-63 letters, digits and hyphens' }),
  aws: z.strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: "a VPC id such as 'vpc-0123456789abcdef0'" }),
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: "a subnet id such as 'subnet-0123456789abcdef0'" })).min(1).meta({ description: 'Private subnets the nodes run in (one per Availability Zone used).' }),
  }).optional().meta({ description: "The existing VPC the nodes join. @default - the platform's own VPC (strict governance level); required below it" }),
}).superRefine(refineTrainingCluster);

const platformSpecShape = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, { error: 'a platform name: a letter, then up to 63 letters, digits and hyphens (it prefixes stack names)' }),
  description: z.string().max(1024).optional(),
  aws: z.strictObject({
    account: z.string().regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' }).optional().meta({ description: '@default - the account of the credentials cdk deploy uses' }),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "an AWS region such as 'us-east-1'" }).optional().meta({ description: '@default - the region of the credentials cdk deploy uses' }),
    alarmEmails: z.array(z.email()).default([]).meta({ description: 'Addresses subscribed to the platform alarm topic. @default - none' }),
  }).default({ alarmEmails: [] }),
  kubernetes: platformKubernetesSchema.optional().meta({ description: 'Kubernetes-only settings (namespace, storage class, registry images); ignored on AWS. @default - see each field' }),
  tags: z.record(z.string(), z.string()).default({}).meta({ description: "Tags applied to every resource that takes tags without being replaced (never to feature groups). AWS's rules: keys of 1-128 and values of 0-256 letters, digits, spaces and _ . : / = + - @; no 'aws:' prefix; at most 48 (cdk-mlops adds two of its own)." }),
  governance: governanceSpecSchema.default({ level: 'baseline', personas: false, acknowledgements: [] }).meta({ description: "Governance level, permissions boundary and required tags. @default - { level: 'baseline' }" }),
  targets: z.array(z.enum(PLATFORM_TARGETS)).min(1).optional().meta({ description: "What `mlops synth` renders: 'aws' (CloudFormation), 'kubernetes' (Terraform JSON), or both. @default - the targets the spec has sections for: 'kubernetes' when it has a `kubernetes` section (platform or endpoint), 'aws' when it has an `aws` section or no `kubernetes` one" }),
  models: z.array(modelSpec).min(1).meta({ description: 'The models: each with a source, an endpoint or a batch section (or both), and optionally a registry, a pipeline, a feature store and drift monitors.' }),
  experimentTracker: experimentTrackerSpecSchema.optional().meta({ description: "A managed MLflow tracking server every model's pipeline logs to. @default - none" }),
  sharedEndpoints: z.array(sharedEndpointSpecSchema).default([]).meta({ description: "Endpoints several models share as SageMaker inference components, each with its instance type, managed instance scaling (down to zero instances) and routing; a model joins one with endpoint.sharedEndpoint. AWS only. @default - none" }),
  trainingClusters: z.array(platformTrainingCluster).default([]).meta({ description: 'Persistent GPU clusters (SageMaker HyperPod) for large training runs. @default - none' }),
  delivery: deliverySpecSchema.optional().meta({ description: "Stages (accounts, regions, approval, bake time) each version approved in the registry of a model with registryVersion 'latest-approved' is deployed through, in order. @default - one stage: the platform's account and region, deployed on approval without bake" }),
});

export const platformSpecSchema = platformSpecShape.superRefine((p, ctx) => {
  refineTags(p.tags, ctx);
  const emails = new Map<string, number>();
  p.aws.alarmEmails.forEach((e, i) => {
    const first = emails.get(e.toLowerCase());
    if (first !== undefined) addIssue(ctx, ['aws', 'alarmEmails', i], `repeats aws.alarmEmails[${first}]`, { got: renderValue(e), expected: 'each address once (SNS subscribes an address once)' });
    else emails.set(e.toLowerCase(), i);
  });
  for (const tag of requiredTagsOf(p.governance)) {
    if (!(tag in p.tags)) addIssue(ctx, ['tags', tag], `is required by governance (level '${p.governance.level}')`, { got: 'nothing', expected: `a '${tag}' tag` });
  }
  refineSharedEndpoints(p, ctx);
  if (p.governance.level === 'strict') {
    const production = productionTag(p.tags);
    p.models.forEach((m, i) => {
      if (production && !m.card) {
        addIssue(ctx, ['models', i, 'card'], `is required: the platform is tagged for production (tags.${production[0]}: '${production[1]}') and the strict governance level requires a model card for every production model`, { got: 'nothing', expected: '{ owner, purpose, intendedUses, riskRating, ... }' });
      }
      // An inference component is held to the level on its shared endpoint.
      const own = m.endpoint && !isComponentEndpoint(m.endpoint) ? m.endpoint : undefined;
      if (own?.compute.kind === 'serverless') {
        addIssue(ctx, ['models', i, 'endpoint', 'compute'], "is serverless, which the strict governance level does not allow: SageMaker serverless inference runs neither in a VPC nor network-isolated", { got: 'serverless', expected: "an instance type or accelerator (e.g. { instanceType: 'ml.c5.large' })" });
      }
      if (own && own.networkIsolation === false && own.compute.kind !== 'serverless') {
        addIssue(ctx, ['models', i, 'endpoint', 'networkIsolation'], 'is off, which the strict governance level does not allow', { got: 'false', expected: 'true (the default)' });
      }
      if (m.batch?.networkIsolation === false) {
        addIssue(ctx, ['models', i, 'batch', 'networkIsolation'], 'is off, which the strict governance level does not allow', { got: 'false', expected: 'true (the default)' });
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
    if (!m.endpoint && !m.batch) {
      addIssue(ctx, ['models', i, 'endpoint'], 'is required when the model has no batch section: nothing would serve the model', { got: 'nothing', expected: "an 'endpoint' section, a 'batch' section, or both" });
    }
    if (m.batch?.qualityCheck && !m.pipeline?.dataQualityBaseline) {
      addIssue(ctx, ['models', i, 'batch', 'qualityCheck'], "checks against the data-quality baseline the model's pipeline computes, and the model has none", { got: m.pipeline ? 'pipeline.dataQualityBaseline false' : 'no pipeline', expected: "a 'pipeline' section with dataQualityBaseline: true, or qualityCheck: false" });
    }
    // A component's drift is refused by refineSharedEndpoints: it has no data capture.
    if (m.drift && !m.endpoint) {
      addIssue(ctx, ['models', i, 'drift'], "monitors the model's endpoint, and the model has none", { got: 'no endpoint section', expected: "an 'endpoint' section, or no drift section" });
    } else if (m.drift && m.endpoint && !isComponentEndpoint(m.endpoint) && !m.endpoint.dataCapture.enabled) {
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
  p.models.forEach((m, i) => refineShadowOfModel(p, m, i, ctx));
  refineDelivery(p, ctx);
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

/**
 * A shadow in a platform names its source (a registry version of a model of the platform, or an
 * image). Its drift is not monitored: SageMaker Model Monitor's endpoint input names an endpoint,
 * not a variant, so a monitor of an endpoint with a shadow would judge the candidate's captured
 * responses together with production's.
 */
function refineShadowOfModel(p: { models: { name: string; registry?: unknown }[] }, m: z.output<typeof modelSpec>, i: number, ctx: z.RefinementCtx): void {
  if (!m.endpoint || isComponentEndpoint(m.endpoint)) return;
  const shadow = m.endpoint.shadow;
  if (!shadow) return;
  const source = shadow.source;
  if (!source) {
    addIssue(ctx, ['models', i, 'endpoint', 'shadow', 'source'], 'is required: the candidate the shadow serves', { got: 'nothing', expected: '{ registryVersion, registryOf? } or { image, modelDataUrl? }' });
  } else if ('registryVersion' in source) {
    const owner = source.registryOf ?? m.name;
    const target = p.models.find((o) => o.name === owner);
    if (!target?.registry) addIssue(ctx, ['models', i, 'endpoint', 'shadow', 'source'], target ? `uses the registry of '${owner}', which has none` : `names no model of this platform with a registry`, { got: renderValue(owner), expected: "a model of the platform with a 'registry' section" });
  }
  if (m.drift) {
    addIssue(ctx, ['models', i, 'drift'], 'cannot monitor an endpoint with a shadow variant: Model Monitor reads the captures of the endpoint, not of one variant, and would mix the candidate\'s responses with production\'s', { got: 'drift with endpoint.shadow', expected: 'no drift section while the shadow test runs (compare the variants from their captures), or no shadow' });
  }
}

/** True when the model's endpoints serve what its registry approves, delivered through the stages. */
export function followsRegistry(m: { source: ModelSpec['source'] }): boolean {
  return 'registryVersion' in m.source && m.source.registryVersion === LATEST_APPROVED;
}

/** The stages of a platform's delivery with every default applied (the platform's account and region), or its one implicit stage. */
export function deliveryStagesOf(p: Pick<PlatformSpec, 'aws' | 'delivery'>): DeliveryStage[] {
  const stages = p.delivery?.stages ?? [{ name: 'default', approval: 'auto' as const, bakeMinutes: 0 }];
  return stages.map((s) => ({ ...s, account: s.account ?? p.aws.account, region: s.region ?? p.aws.region }));
}

/** True when a stage is in another region than the registry's (the platform's): each version is replicated there before it is deployed. */
export function isCrossRegionStage(p: Pick<PlatformSpec, 'aws'>, stage: Pick<DeliveryStage, 'region'>): boolean {
  return stage.region !== undefined && p.aws.region !== undefined && stage.region !== p.aws.region;
}

function refineDelivery(p: z.output<typeof platformSpecShape>, ctx: z.RefinementCtx): void {
  const following = p.models.map((m, i) => [m, i] as const).filter(([m]) => followsRegistry(m));
  if (p.delivery && following.length === 0) {
    addIssue(ctx, ['delivery'], "delivers no model: no model's source follows the registry", { got: 'a delivery section', expected: `a model with source { registryVersion: '${LATEST_APPROVED}' }, or no delivery section` });
  }
  const owners = new Map<string, number>();
  for (const [m, i] of following) {
    if (!m.endpoint || isComponentEndpoint(m.endpoint)) {
      addIssue(ctx, ['models', i, 'endpoint'], "is needed as an endpoint of the model's own: delivery deploys it in each stage", { got: m.endpoint ? 'an inference component of a shared endpoint' : 'no endpoint', expected: "an 'endpoint' section with compute, or a pinned registryVersion" });
    } else if (m.endpoint.shadow?.source && 'registryVersion' in m.endpoint.shadow.source) {
      // A shadow serves a pinned candidate beside the delivered version, in every stage: an image, or a version of the delivered registry (the one its stage accounts may read).
      const owner = ('registryVersion' in m.source && m.source.registryOf) || m.name;
      const shadowOwner = m.endpoint.shadow.source.registryOf ?? m.name;
      if (shadowOwner !== owner) {
        addIssue(ctx, ['models', i, 'endpoint', 'shadow', 'source', 'registryOf'], `uses the registry of '${shadowOwner}', which is not shared with the stages' accounts: only the delivered registry, '${owner}', is`, { got: renderValue(shadowOwner), expected: `a pinned version of '${owner}''s registry (registryOf '${owner}'${owner === m.name ? ' or none' : ''}), or an image` });
      }
    }
    const crossRegion = m.endpoint && !isComponentEndpoint(m.endpoint) && m.endpoint.shadow ? deliveryStagesOf(p).find((stage) => isCrossRegionStage(p, stage)) : undefined;
    if (crossRegion) {
      // Only the delivered version is replicated into another region; SageMaker creates a model from an image and
      // artifact of its own region, and a replica group numbers versions in delivery order (version N there is not N).
      addIssue(ctx, ['models', i, 'endpoint', 'shadow'], `is not delivered to stage '${crossRegion.name}' in another region (${crossRegion.region}): only the delivered version is replicated there, and a shadow's image, artifact or pinned version stays in the registry's region`, { got: 'a shadow variant', expected: "no shadow while a stage is in another region, or stages in the registry's region only" });
    }
    if (m.drift) refineDeliveredDrift(m.drift, i, ctx);
    const owner = ('registryVersion' in m.source && m.source.registryOf) || m.name;
    const first = owners.get(owner);
    if (first !== undefined) addIssue(ctx, ['models', i, 'source'], `follows the registry of '${owner}', which models[${first}] already follows: a registry has one delivery`, { got: `'${LATEST_APPROVED}'`, expected: 'a pinned registryVersion' });
    else owners.set(owner, i);
  }
  const names = new Map<string, number>();
  (p.delivery?.stages ?? []).forEach((s, i) => {
    const first = names.get(s.name);
    if (first !== undefined) addIssue(ctx, ['delivery', 'stages', i, 'name'], `repeats the name of delivery.stages[${first}]`, { got: renderValue(s.name), expected: 'a name no other stage has' });
    else names.set(s.name, i);
    if (s.account !== undefined && s.account !== p.aws.account && p.aws.account === undefined) {
      addIssue(ctx, ['delivery', 'stages', i, 'account'], "is another account, but the platform's is not known: the stage's grants and roles name the registry's account", { got: renderValue(s.account), expected: 'aws.account set on the platform' });
    }
    if (s.region !== undefined && s.region !== p.aws.region && p.aws.region === undefined) {
      addIssue(ctx, ['delivery', 'stages', i, 'region'], "is another region, but the platform's is not known: the delivery replicates each version into the stage's region only when it knows it is not the registry's", { got: renderValue(s.region), expected: 'aws.region set on the platform' });
    }
  });
}

/**
 * A delivered model's monitors run in each stage's stack, on the stage's endpoint (once a version is
 * delivered there). What they read must be named at deploy time in the stage's account: the
 * baseline the model's pipeline computes is in the registry account's artifacts bucket, whose name
 * CloudFormation generates there, so a stage stack of another account cannot name it; and retraining
 * starts the pipeline of the registry's account, which a stage's alarm cannot reach.
 */
function refineDeliveredDrift(drift: NonNullable<ModelSpec['drift']>, i: number, ctx: z.RefinementCtx): void {
  if (drift.dataQuality && !drift.dataQuality.baseline) {
    addIssue(ctx, ['models', i, 'drift', 'dataQuality', 'baseline'], "is required on a model delivered through stages: the monitors run in each stage's stack, which cannot name the pipeline's baseline (in the registry account's artifacts bucket, named by CloudFormation at deploy)", { got: 'nothing (the pipeline\'s dataQualityBaseline)', expected: '{ constraintsUri, statisticsUri } of a baseline the stage accounts can read' });
  }
  if (drift.retraining) {
    addIssue(ctx, ['models', i, 'drift', 'retraining'], "is not supported on a model delivered through stages: the monitors and their alarms are in the stages' accounts, the pipeline in the registry's; a drift alarm notifies the stage's alarm topic and is part of its bake", { got: 'a retraining section', expected: 'no retraining section (start the pipeline from the notification), or a pinned registryVersion' });
  }
}

/** A model's monitors run SageMaker-owned images, one registry per region: the region must be known, and have them. */
function monitoringImageIssues(region: string | undefined, m: PlatformSpec['models'][number], i: number): ValidationIssue[] {
  const kinds: [MonitoringImageKind, string, boolean][] = [
    ['modelMonitor', 'SageMaker Model Monitor', Boolean(m.drift?.dataQuality || m.drift?.modelQuality)],
    ['clarify', 'SageMaker Clarify', Boolean(m.drift?.modelBias || m.drift?.modelExplainability)],
  ];
  return kinds.filter(([kind, , used]) => used && !(region !== undefined && monitoringImageUri(kind, region))).map(([kind, image]) => ({
    path: region === undefined ? 'aws.region' : `models[${i}].drift`,
    message: region === undefined
      ? `is required by models[${i}].drift on AWS: its monitors run the ${image} image, which is published per region`
      : `runs the ${image} image, which SageMaker does not publish in ${region}`,
    got: region === undefined ? 'nothing' : renderValue(region),
    expected: `one of ${monitoringImageRegions(kind).join(', ')}`,
  }));
}

/** The platform's tags as AWS takes them: keys and values it accepts, and room for cdk-mlops' own tags within its 50. */
function refineTags(tags: Record<string, string>, ctx: z.RefinementCtx): void {
  for (const [key, value] of Object.entries(tags)) {
    const problem = tagProblem(key, value);
    if (problem) addIssue(ctx, ['tags', key], problem.message, { got: renderValue(problem.field === 'key' ? key : value), expected: problem.expected });
  }
  const room = AWS_TAGS.maxTags - PLATFORM_TAGS.length;
  const count = Object.keys(tags).length;
  if (count > room) addIssue(ctx, ['tags'], `has more tags than a resource can carry beside cdk-mlops' own (${PLATFORM_TAGS.join(', ')})`, { got: `${count} tags`, expected: `at most ${room} (AWS allows ${AWS_TAGS.maxTags} a resource)` });
}

/** Every name the AWS platform derives from the spec's names, within the limit of the API that takes it. */
function derivedNameIssues(p: PlatformSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const check = (path: string, name: string, limit: NameLimit) => {
    const problem = nameProblem(name, limit);
    if (problem) issues.push({ path, message: problem, got: `${name.length} characters`, expected: `at most ${limit.maxLength}: a shorter name` });
  };
  check('name', DERIVED_NAMES.sharedStack.of(p.name), DERIVED_NAMES.sharedStack.limit);
  if (p.experimentTracker || p.trainingClusters.length > 0) check('name', DERIVED_NAMES.trainingStack.of(p.name), DERIVED_NAMES.trainingStack.limit);
  p.models.forEach((m, i) => {
    check(`models[${i}].name`, DERIVED_NAMES.modelStack.of(p.name, m.name), DERIVED_NAMES.modelStack.limit);
    if (m.pipeline) check(`models[${i}].name`, DERIVED_NAMES.pipeline.of(p.name, m.name), DERIVED_NAMES.pipeline.limit);
    if (m.batch) check(`models[${i}].name`, DERIVED_NAMES.batchPipeline.of(p.name, m.name), DERIVED_NAMES.batchPipeline.limit);
    if (!followsRegistry(m)) return;
    check(`models[${i}].name`, DERIVED_NAMES.delivery.of(p.name, m.name), DERIVED_NAMES.delivery.limit);
    for (const [j, stage] of deliveryStagesOf(p).entries()) {
      const path = p.delivery ? `delivery.stages[${j}].name` : `models[${i}].name`;
      check(path, DERIVED_NAMES.stageStack.of(p.name, m.name, stage.name), DERIVED_NAMES.stageStack.limit);
      check(path, DERIVED_NAMES.deployRole.of(p.name, m.name, stage.name), DERIVED_NAMES.deployRole.limit);
      if (isCrossRegionStage(p, stage)) check(path.replace(/name$/, 'region'), DERIVED_NAMES.replicaStack.of(p.name, m.name, stage.region!), DERIVED_NAMES.replicaStack.limit);
    }
    if (deliveryStagesOf(p).some((stage) => isCrossRegionStage(p, stage))) check(`models[${i}].name`, DERIVED_NAMES.crossRegionDelivery.of(p.name, m.name), DERIVED_NAMES.crossRegionDelivery.limit);
  });
  deliveryStagesOf(p).forEach((stage, j) => {
    if (p.delivery) check(`delivery.stages[${j}].name`, DERIVED_NAMES.stageSharedStack.of(p.name, stage.name), DERIVED_NAMES.stageSharedStack.limit);
  });
  p.trainingClusters.forEach((c, i) => check(`trainingClusters[${i}].name`, DERIVED_NAMES.trainingCluster.of(p.name, c.name), DERIVED_NAMES.trainingCluster.limit));
  if (p.experimentTracker && p.experimentTracker.name === undefined) check('experimentTracker.name', DERIVED_NAMES.experimentTracker.of(p.name), DERIVED_NAMES.experimentTracker.limit);
  return [...issues, ...derivedNameCollisions(derivedNameUses(p))];
}

/**
 * Every stack, role and pipeline name the AWS platform derives, in the account and region it is
 * created in (stacks/aws/platform.ts names them with the same formulas): a delivery stage's stack and
 * deploy role are in the stage's account, the stage environment's shared stack exists once per
 * account and region other than the platform's, named after its first stage.
 */
function derivedNameUses(p: PlatformSpec): DerivedNameUse[] {
  const env = (account?: string, region?: string) => `${account ?? ''}/${region ?? ''}`;
  const home = env(p.aws.account, p.aws.region);
  const uses: DerivedNameUse[] = [];
  const stack = (scope: string, name: string, paths: string[], what: string, bakedByPrefix?: boolean) => uses.push({ namespace: `stack ${scope}`, name, paths, what, bakedByPrefix });
  stack(home, DERIVED_NAMES.sharedStack.of(p.name), ['name'], "the platform's shared stack");
  if (p.experimentTracker || p.trainingClusters.length > 0) stack(home, DERIVED_NAMES.trainingStack.of(p.name), ['name'], "the platform's training stack");
  if (p.sharedEndpoints.length > 0) stack(home, SHARED_ENDPOINT_NAMES.stack.of(p.name), ['name'], "the platform's shared endpoints stack");
  const stages = deliveryStagesOf(p);
  const stagePath = (j: number, i: number) => (p.delivery ? `delivery.stages[${j}].name` : `models[${i}].name`);
  const environments = new Set<string>();
  stages.forEach((s, j) => {
    const key = env(s.account, s.region);
    if (key === home || environments.has(key) || !p.models.some(followsRegistry)) return;
    environments.add(key);
    stack(key, DERIVED_NAMES.stageSharedStack.of(p.name, s.name), [stagePath(j, 0)], `the shared stack of stage '${s.name}'`);
  });
  p.models.forEach((m, i) => {
    const model = `models[${i}].name`;
    stack(home, DERIVED_NAMES.modelStack.of(p.name, m.name), [model], `the stack of model '${m.name}'`);
    if (m.pipeline) uses.push({ namespace: `pipeline ${home}`, name: DERIVED_NAMES.pipeline.of(p.name, m.name), paths: [model], what: `the pipeline of model '${m.name}'` });
    if (m.batch) uses.push({ namespace: `pipeline ${home}`, name: DERIVED_NAMES.batchPipeline.of(p.name, m.name), paths: [model], what: `the batch transform pipeline of model '${m.name}'` });
    if (!followsRegistry(m)) return;
    uses.push({ namespace: `role ${p.aws.account ?? ''}`, name: DERIVED_NAMES.delivery.of(p.name, m.name), paths: [model], what: `the delivery role of model '${m.name}'` });
    stages.forEach((s, j) => {
      const paths = p.delivery ? [model, stagePath(j, i)] : [model];
      stack(env(s.account, s.region), DERIVED_NAMES.stageStack.of(p.name, m.name, s.name), paths, `the stack of model '${m.name}' in stage '${s.name}'`, true);
      uses.push({ namespace: `role ${s.account ?? ''}`, name: DERIVED_NAMES.deployRole.of(p.name, m.name, s.name), paths, what: `the deploy role of model '${m.name}' in stage '${s.name}'` });
    });
    // Stages in other regions: a replica stack per region in the registry's account, and the function (and role) reaching them.
    const replicated = new Set<string>();
    stages.forEach((s, j) => {
      if (!isCrossRegionStage(p, s) || replicated.has(s.region!)) return;
      replicated.add(s.region!);
      stack(env(p.aws.account, s.region), DERIVED_NAMES.replicaStack.of(p.name, m.name, s.region!), [model, `delivery.stages[${j}].region`], `the registry replica of model '${m.name}' in ${s.region}`);
    });
    if (replicated.size > 0) uses.push({ namespace: `role ${p.aws.account ?? ''}`, name: DERIVED_NAMES.crossRegionDelivery.of(p.name, m.name), paths: [model], what: `the cross-region delivery role of model '${m.name}'` });
  });
  return uses;
}

/**
 * What the AWS target alone requires of a valid spec (a platform rendered only on Kubernetes need
 * not meet it): names derived for AWS within their APIs' limits, a region with the monitoring images.
 */
export function awsTargetIssues(p: PlatformSpec): ValidationIssue[] {
  return [...derivedNameIssues(p), ...sharedEndpointNameIssues(p), ...p.models.flatMap((m, i) => monitoringImageIssues(p.aws.region, m, i))];
}


/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { PlatformSpecInput } from './types.generated';
export type { PlatformSpecInput };
export type PlatformSpec = z.output<typeof platformSpecSchema>;
export type ModelSpec = PlatformSpec['models'][number];

/**
 * The targets a spec is rendered on: its `targets`, or the ones it has sections for: 'kubernetes' with a
 * `kubernetes` section (platform or endpoint level), 'aws' with an `aws` section or without any `kubernetes` one.
 */
export function platformTargets(spec: PlatformSpecInput): PlatformTarget[] {
  if (spec.targets) return PLATFORM_TARGETS.filter((t) => spec.targets!.includes(t));
  const kubernetes = spec.kubernetes !== undefined || spec.models.some((m) => m.endpoint?.kubernetes !== undefined);
  const aws = spec.aws !== undefined || !kubernetes;
  return PLATFORM_TARGETS.filter((t) => (t === 'aws' ? aws : kubernetes));
}
