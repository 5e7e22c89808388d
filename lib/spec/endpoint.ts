/**
 * ModelEndpoint spec, cloud-neutral: compute, scaling, deployment strategy, alarms, data capture.
 * Where the model comes from is not here: construct props take a ModelSource, a platform spec names
 * an image or a registry version (platform.ts).
 */
import { z } from 'zod';
import { renderValue } from '../errors';
import { computeSchema, isGpu, ResolvedCompute } from './compute';
import { endpointKubernetesSchema } from './kubernetes';
import { addIssue, int, isUnresolved, num, sagemakerName, tokenOr } from './primitives';
import { pinnedSourceSchema } from './source';

export const DEPLOYMENT_STRATEGIES = ['all-at-once', 'canary', 'linear', 'rolling'] as const;
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

/** Why an endpoint of its own keeps an instance, and the two ways to scale to zero. */
const MIN_INSTANCES_FLOOR = 'must be at least 1 on an endpoint of its own (a real-time variant always keeps an instance): to scale to zero, use endpoint.async.scaleToZero (asynchronous inference), or serve the model from a shared endpoint (inference components: sharedEndpoints[].scaling.minInstances: 0)';

const scalingSchema = z.strictObject({
  minInstances: tokenOr(z.number().int().min(1, { error: MIN_INSTANCES_FLOOR }).max(1000)).default(1).meta({ description: 'Fewest instances the variant scales in to (at least 1: scale to zero with async.scaleToZero or a shared endpoint). @default 1' }),
  maxInstances: int(1, 1000).optional().meta({ description: 'Most instances the variant scales out to. @default - minInstances (no scaling)' }),
  initialInstances: int(1, 1000).optional().meta({ description: 'Instances at creation; minInstances ≤ initialInstances ≤ maxInstances. @default - minInstances' }),
  targetInvocationsPerInstance: int(1).default(100).meta({ description: 'Target tracking on SageMakerVariantInvocationsPerInstance (per minute). Tune it with a load test. @default 100' }),
  targetGpuUtilizationPercent: num(1, 100).optional().meta({ description: 'Also track average GPU utilization per GPU (GPU instances only). @default - not tracked' }),
  scaleInCooldownSeconds: int(0, 3600).default(300).meta({ description: '@default 300' }),
  scaleOutCooldownSeconds: int(0, 3600).default(60).meta({ description: '@default 60' }),
});

const deploymentSchema = z.strictObject({
  strategy: z.enum(DEPLOYMENT_STRATEGIES).default('all-at-once').meta({ description: "Blue/green 'all-at-once', 'canary' or 'linear' traffic shifting, or 'rolling' (in place, in batches: for large GPU fleets). @default 'all-at-once'" }),
  canaryPercent: int(1, 50).optional().meta({ description: "Share of capacity that takes traffic first (strategy 'canary'). @default 10" }),
  linearStepPercent: int(10, 50).optional().meta({ description: "Share of capacity shifted per step (strategy 'linear'). @default 20" }),
  rollingBatchPercent: int(5, 50).optional().meta({ description: "Share of capacity updated per batch (strategy 'rolling'). @default 25" }),
  waitIntervalSeconds: int(0, 3600).default(300).meta({ description: 'Baking time after each traffic shift or batch, watching the rollback alarms. @default 300' }),
  terminationWaitSeconds: int(0, 3600).default(300).meta({ description: 'How long the old (blue) fleet is kept after the shift completes. @default 300' }),
  maximumExecutionTimeoutSeconds: int(600, 14400).optional().meta({ description: 'Upper bound on the whole deployment. @default - SageMaker decides' }),
  autoRollback: z.boolean().default(true).meta({ description: "Roll back automatically when the endpoint's latency or error alarms fire during a deployment. @default true" }),
});

/**
 * Periods CloudWatch alarms accept: 10 or 30 seconds (high resolution), or a multiple of 60 up to a
 * day. One issue for any other value: the range check's, or this one inside the range.
 */
const alarmPeriod = () => int(10, 86400).superRefine((n, ctx) => {
  if (isUnresolved(n) || n < 10 || n > 86400 || n === 10 || n === 30 || n % 60 === 0) return;
  addIssue(ctx, [], 'is not a period CloudWatch alarms accept', { got: renderValue(n), expected: '10, 30 or a multiple of 60' });
});

export const alarmsSchema = z.strictObject({
  latencyP99Ms: num(1).default(1000).meta({ description: 'Alarm when p99 ModelLatency exceeds this many milliseconds. @default 1000' }),
  invocation5xxErrors: int(1).default(5).meta({ description: 'Alarm when Invocation5XXErrors in one period reach this count. @default 5' }),
  rate4xxPercent: num(0.1, 100).default(5).meta({ description: 'Alarm when 4XX errors exceed this percentage of invocations. @default 5' }),
  gpuUtilizationPercent: num(1, 100).default(90).meta({ description: 'Alarm when average utilization per GPU exceeds this (GPU instances only). @default 90' }),
  gpuMemoryUtilizationPercent: num(1, 100).default(90).meta({ description: 'Alarm when average GPU memory use per GPU exceeds this (GPU instances only). @default 90' }),
  periodSeconds: alarmPeriod().default(60).meta({ description: '10, 30 or a multiple of 60, at most 86400. @default 60' }),
  evaluationPeriods: int(1, 100).default(5).meta({ description: '@default 5' }),
  datapointsToAlarm: int(1, 100).default(3).meta({ description: 'Breaching periods out of evaluationPeriods that raise the alarm. @default 3' }),
});

const dataCaptureSchema = z.strictObject({
  enabled: z.boolean().optional().meta({ description: 'Capture requests and responses. @default true for instance-backed endpoints (serverless endpoints cannot capture)' }),
  samplingPercent: int(1, 100).default(20).meta({ description: 'Share of requests captured. @default 20' }),
  retentionDays: int(1, 3650).default(30).meta({ description: 'Days captured data is kept before it expires. @default 30' }),
  csvContentTypes: z.array(z.string().min(1)).max(10).optional(),
  jsonContentTypes: z.array(z.string().min(1)).max(10).optional(),
});

/** Environment variable names a serving container takes. */
export const ENVIRONMENT_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/**
 * Asynchronous inference (AsyncInferenceConfig): requests queue, results land in S3. Output and
 * failure paths are the platform's own (an encrypted bucket per endpoint), not chosen here.
 */
const asyncSchema = z.strictObject({
  maxConcurrentInvocationsPerInstance: int(1, 1000).optional().meta({ description: 'Requests one instance processes at a time (AsyncInferenceClientConfig, 1-1000). @default - SageMaker chooses' }),
  notifications: z.strictObject({
    success: z.boolean().default(true).meta({ description: 'Publish each success to an encrypted SNS topic. @default true' }),
    error: z.boolean().default(true).meta({ description: 'Publish each failure to an encrypted SNS topic. @default true' }),
    includeResponse: z.boolean().default(false).meta({ description: 'Put the inference response in the notifications as well as in S3 (IncludeInferenceResponseIn; SNS messages are limited to 256 KB). @default false' }),
  }).default({ success: true, error: true, includeResponse: false }).meta({ description: 'Success and error notifications. @default - both, without the response' }),
  scaleToZero: z.boolean().default(true).meta({ description: 'Scale to 0 instances when the queue is empty, and out from 0 when a request arrives (HasBacklogWithoutCapacity). @default true' }),
  targetBacklogPerInstance: num(0.1, 100000).default(5).meta({ description: 'Target tracking on ApproximateBacklogSizePerInstance: queued requests per instance. @default 5' }),
  backlogAgeAlarmSeconds: int(60, 86400).default(1800).meta({ description: 'Alarm when the oldest queued request (ApproximateAgeOfOldestRequest) is older than this. @default 1800' }),
  invocationFailures: int(1).default(5).meta({ description: 'Alarm when InvocationFailures in one alarm period reach this count. @default 5' }),
  outputRetentionDays: int(1, 3650).default(30).meta({ description: 'Days results and failures are kept in the output bucket. @default 30' }),
});

/**
 * A shadow variant (ShadowProductionVariants): a candidate receiving a copy of a share of the
 * production requests; its responses are captured, never returned.
 */
const shadowSchema = z.strictObject({
  source: pinnedSourceSchema.optional().meta({ description: "The candidate: { registryVersion, registryOf? } or { image, modelDataUrl? } (a platform spec; the ModelEndpoint construct takes a ModelSource). @default - none: required in a platform spec" }),
  variantName: sagemakerName().default('Shadow').meta({ description: "The shadow variant's name; must differ from variantName. @default 'Shadow'" }),
  samplingPercent: int(1, 100).default(100).meta({ description: 'Share of production requests copied to the shadow (its weight relative to the production variant). @default 100' }),
  compute: computeSchema('inference', { allowServerless: false }).optional().meta({ description: "The shadow's instances. @default - the production variant's compute" }),
  instances: int(1, 1000).default(1).meta({ description: 'Instances of the shadow variant (it does not autoscale). @default 1' }),
});

export const endpointSpecSchema = z.strictObject({
  compute: computeSchema('inference', { allowServerless: true }).meta({ description: 'What the model runs on: exactly one of an instanceType, an intent (accelerator, memoryGiB, vCpus) resolved to the cheapest fitting type, or serverless.' }),
  environment: z.record(
    z.string().regex(ENVIRONMENT_NAME, { error: 'an environment variable name: letters, digits and _ , not starting with a digit' }).max(1024),
    tokenOr(z.string().max(1024)),
  ).default({}).meta({ description: 'Environment variables of the serving container (at most 100).' }),
  variantName: sagemakerName().default('AllTraffic').meta({ description: "Production variant name; keep it stable across deployments. @default 'AllTraffic'" }),
  scaling: scalingSchema.optional().meta({ description: 'Instance counts and target tracking (invocations per instance, optionally GPU utilization). @default - 1 instance, no scaling' }),
  deployment: deploymentSchema.default({ strategy: 'all-at-once', waitIntervalSeconds: 300, terminationWaitSeconds: 300, autoRollback: true })
    .meta({ description: 'How a new model or configuration is shifted in (blue/green all at once, canary, linear, or rolling) and rolled back. @default - blue/green all at once, rolled back on the alarms' }),
  alarms: alarmsSchema.default({ latencyP99Ms: 1000, invocation5xxErrors: 5, rate4xxPercent: 5, gpuUtilizationPercent: 90, gpuMemoryUtilizationPercent: 90, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3 })
    .meta({ description: "The endpoint's alarms (latency, errors, GPU use), which also roll deployments back. @default - p99 latency 1000 ms, 5 5XX errors, 5 % 4XX, 90 % GPU and GPU memory" }),
  dataCapture: dataCaptureSchema.optional().meta({ description: 'Capture of requests and responses to an encrypted, retained bucket (what drift monitors read). @default - on: 20 %, kept 30 days (off on serverless, which cannot capture)' }),
  networkIsolation: z.boolean().optional().meta({ description: 'Run the model container with no network access. @default true for instance-backed endpoints; serverless endpoints do not support it' }),
  async: asyncSchema.optional().meta({ description: 'Asynchronous inference: queued requests, results in an encrypted bucket, notifications, scaling on the backlog down to zero. @default - real-time' }),
  shadow: shadowSchema.optional().meta({ description: 'A candidate version receiving a copy of production traffic, captured for comparison before promotion. @default - none' }),
  kubernetes: endpointKubernetesSchema.optional().meta({ description: 'Kubernetes-only settings (serving image, port, probes, autoscaling metrics); ignored on AWS. @default - none' }),
  // Names the other form of a model's endpoint (an inference component of a shared endpoint, shared-endpoint.ts): never on an endpoint of its own.
  sharedEndpoint: z.never().optional().meta({ description: 'Not on an endpoint of its own: a model with sharedEndpoint is an inference component ({ sharedEndpoint, reservation, copies, ... }).' }),
}).superRefine((s, ctx) => {
  const env = Object.keys(s.environment);
  if (env.length > 100) addIssue(ctx, ['environment'], 'has too many variables', { got: `${env.length}`, expected: 'at most 100' });

  const serverless = s.compute.kind === 'serverless';
  if (serverless) {
    if (s.scaling !== undefined) addIssue(ctx, ['scaling'], 'does not apply to a serverless endpoint', { got: 'scaling settings', expected: 'compute.serverless.maxConcurrency instead' });
    if (s.dataCapture?.enabled === true) addIssue(ctx, ['dataCapture', 'enabled'], 'is not supported by serverless inference', { got: 'true', expected: 'false, or an instance-backed endpoint' });
    if (s.networkIsolation === true) addIssue(ctx, ['networkIsolation'], 'is not supported by serverless inference', { got: 'true', expected: 'false, or an instance-backed endpoint' });
    if (s.deployment.strategy !== 'all-at-once') addIssue(ctx, ['deployment', 'strategy'], 'is not supported by serverless inference', { got: renderValue(s.deployment.strategy), expected: "'all-at-once'" });
  }

  refineAsync(s, ctx);
  refineShadow(s, ctx);

  const sc = s.scaling;
  if (sc) {
    const max = sc.maxInstances ?? sc.minInstances;
    const initial = sc.initialInstances ?? sc.minInstances;
    const known = (...v: unknown[]) => v.every((x) => !isUnresolved(x));
    if (sc.maxInstances !== undefined && known(sc.maxInstances, sc.minInstances) && sc.maxInstances < sc.minInstances) {
      addIssue(ctx, ['scaling', 'maxInstances'], 'must be ≥ minInstances', { got: String(sc.maxInstances), expected: `≥ ${sc.minInstances}` });
    }
    if (sc.initialInstances !== undefined && known(initial, sc.minInstances, max)) {
      if (initial < sc.minInstances) addIssue(ctx, ['scaling', 'initialInstances'], 'must be ≥ minInstances', { got: String(initial), expected: `≥ ${sc.minInstances}` });
      else if (initial > max) addIssue(ctx, ['scaling', 'initialInstances'], 'must be ≤ maxInstances', { got: String(initial), expected: `≤ ${max}` });
    }
    if (sc.targetGpuUtilizationPercent !== undefined && !isGpu(s.compute) && !(s.compute.kind === 'instance' && s.compute.info === undefined)) {
      addIssue(ctx, ['scaling', 'targetGpuUtilizationPercent'], 'needs an NVIDIA GPU instance', { got: s.compute.kind === 'instance' ? renderValue(s.compute.instanceType) : 'serverless', expected: 'a GPU instance type or accelerator intent' });
    }
  }

  const d = s.deployment;
  const only = (field: 'canaryPercent' | 'linearStepPercent' | 'rollingBatchPercent', strategy: DeploymentStrategy) => {
    if (d[field] !== undefined && d.strategy !== strategy) {
      addIssue(ctx, ['deployment', field], `only applies to strategy '${strategy}'`, { got: `${field} with strategy '${d.strategy}'`, expected: `strategy '${strategy}', or no ${field}` });
    }
  };
  only('canaryPercent', 'canary');
  only('linearStepPercent', 'linear');
  only('rollingBatchPercent', 'rolling');

  const a = s.alarms;
  if (!isUnresolved(a.datapointsToAlarm) && !isUnresolved(a.evaluationPeriods) && a.datapointsToAlarm > a.evaluationPeriods) {
    addIssue(ctx, ['alarms', 'datapointsToAlarm'], 'must be ≤ evaluationPeriods', { got: String(a.datapointsToAlarm), expected: `≤ ${a.evaluationPeriods}` });
  }
}).transform((s) => {
  const serverless = s.compute.kind === 'serverless';
  const scaling = serverless ? undefined : scalingSchema.parse(s.scaling ?? {});
  const d = s.deployment;
  return {
    ...s,
    scaling: scaling && {
      ...scaling,
      maxInstances: scaling.maxInstances ?? scaling.minInstances,
      initialInstances: scaling.initialInstances ?? scaling.minInstances,
    },
    deployment: {
      ...d,
      canaryPercent: d.strategy === 'canary' ? d.canaryPercent ?? 10 : undefined,
      linearStepPercent: d.strategy === 'linear' ? d.linearStepPercent ?? 20 : undefined,
      rollingBatchPercent: d.strategy === 'rolling' ? d.rollingBatchPercent ?? 25 : undefined,
    },
    dataCapture: { ...dataCaptureSchema.parse(s.dataCapture ?? {}), enabled: serverless ? false : s.dataCapture?.enabled ?? true },
    networkIsolation: serverless ? false : s.networkIsolation ?? true,
  };
});

type ParsedEndpoint = {
  compute: ResolvedCompute;
  variantName: string;
  deployment: { strategy: DeploymentStrategy };
  async?: z.output<typeof asyncSchema>;
  shadow?: z.output<typeof shadowSchema>;
};

/** Asynchronous inference: SageMaker's own exclusions. */
function refineAsync(s: ParsedEndpoint, ctx: z.RefinementCtx): void {
  if (!s.async) return;
  if (s.compute.kind === 'serverless') {
    addIssue(ctx, ['async'], 'is not supported by serverless inference', { got: 'async with compute.serverless', expected: 'an instance type or accelerator intent, or no async section' });
  }
  if (s.shadow) {
    addIssue(ctx, ['shadow'], 'is not supported on an asynchronous endpoint (SageMaker shadow tests exclude asynchronous inference)', { got: 'shadow with async', expected: 'a real-time endpoint, or no shadow section' });
  }
}

/**
 * Shadow variants: one production and one shadow variant, with the exclusions SageMaker documents
 * for shadow tests (serverless, asynchronous; Inf1 instances are not in the catalog at all).
 */
function refineShadow(s: ParsedEndpoint, ctx: z.RefinementCtx): void {
  const shadow = s.shadow;
  if (!shadow) return;
  if (s.compute.kind === 'serverless') {
    addIssue(ctx, ['shadow'], 'is not supported by serverless inference', { got: 'shadow with compute.serverless', expected: 'an instance type or accelerator intent, or no shadow section' });
  }
  if (!isUnresolved(shadow.variantName) && !isUnresolved(s.variantName) && shadow.variantName === s.variantName) {
    addIssue(ctx, ['shadow', 'variantName'], 'must differ from the production variantName', { got: renderValue(shadow.variantName), expected: `a name other than ${renderValue(s.variantName)}` });
  }
  // Deployment guardrails: rolling deployments exclude multi-variant endpoints.
  if (s.deployment.strategy === 'rolling') {
    addIssue(ctx, ['deployment', 'strategy'], 'is not supported with a shadow variant: SageMaker rolling deployments exclude multi-variant endpoints', { got: "'rolling'", expected: "'all-at-once', 'canary' or 'linear'" });
  }
}

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { EndpointSpecInput } from './types.generated';
export type { EndpointSpecInput };
export type EndpointSpec = z.output<typeof endpointSpecSchema>;
export type { ResolvedCompute };
