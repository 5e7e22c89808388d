/**
 * Many models on one endpoint: a platform's shared endpoints (SageMaker endpoints whose variant
 * hosts inference components, with managed instance scaling down to zero instances) and the model
 * endpoint form that serves a model as one inference component of them.
 *
 * What SageMaker does with it (API reference: CreateEndpointConfig, ProductionVariant,
 * ProductionVariantManagedInstanceScaling, ProductionVariantRoutingConfig, CreateInferenceComponent,
 * InferenceComponentComputeResourceRequirements, InferenceComponentRuntimeConfig; developer guide:
 * "Scale an endpoint to zero instances"):
 * - the endpoint config names no model: each component names its own, with the compute it reserves
 *   on an instance (accelerators, CPU cores, memory) and a copy count (≥ 0);
 * - only an endpoint hosting inference components scales to zero instances (MinInstanceCount 0),
 *   and it comes back from zero only through a step scaling policy on `NoCapacityInvocationFailures`;
 * - serverless capacity has no instances to share; data capture and Model Monitor read captures per
 *   endpoint and variant, never per component; a component updates by rolling its copies only.
 */
import { z } from 'zod';
import { InstanceTypeInfo } from '../catalog';
import { renderValue, ValidationIssue } from '../errors';
import { computeSchema } from './compute';
import { alarmsSchema, DEPLOYMENT_STRATEGIES, ENVIRONMENT_NAME } from './endpoint';
import { NameLimit, nameProblem } from './names';
import { addIssue, int, isUnresolved, num, sagemakerName, tokenOr } from './primitives';

export const ROUTING_STRATEGIES = ['least-outstanding-requests', 'random'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];
/** The spec's routing strategy in SageMaker's terms (ProductionVariantRoutingConfig.RoutingStrategy). */
export const SAGEMAKER_ROUTING_STRATEGY: Record<RoutingStrategy, string> = {
  'least-outstanding-requests': 'LEAST_OUTSTANDING_REQUESTS',
  random: 'RANDOM',
};

const sharedScalingSchema = z.strictObject({
  minInstances: int(0, 1000).default(1).meta({ description: 'Fewest instances SageMaker keeps (managed instance scaling); 0 scales to zero instances when no component has a copy. @default 1' }),
  maxInstances: int(1, 1000).optional().meta({ description: 'Most instances SageMaker provisions to place component copies. @default - minInstances, at least 1' }),
  initialInstances: int(1, 1000).optional().meta({ description: 'Instances at creation (SageMaker launches at least one); minInstances ≤ initialInstances ≤ maxInstances. @default - minInstances, at least 1' }),
});

export const sharedEndpointSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, { error: 'a shared endpoint name: letters, digits and hyphens' }).meta({ description: "What models name in endpoint.sharedEndpoint; the SageMaker endpoint is named '<platform>-<name>'." }),
  compute: computeSchema('inference', { allowServerless: true }).meta({ description: 'The instance type every instance of the endpoint has: an instanceType, or an intent (accelerator, memoryGiB, vCpus) resolved to the cheapest fitting type. Serverless has no instances to share.' }),
  scaling: sharedScalingSchema.default({ minInstances: 1 }).meta({ description: 'Managed instance scaling: SageMaker adds instances to place component copies and removes idle ones, between minInstances (0: scale to zero) and maxInstances. @default - 1 instance' }),
  routing: z.enum(ROUTING_STRATEGIES).default('least-outstanding-requests').meta({ description: "How requests are routed among a component's copies: 'least-outstanding-requests' or 'random'. @default 'least-outstanding-requests'" }),
  networkIsolation: z.boolean().default(true).meta({ description: "Run every component's container with no network access. @default true" }),
  variantName: sagemakerName().default('AllTraffic').meta({ description: "The endpoint's production variant. @default 'AllTraffic'" }),
}).superRefine((s, ctx) => {
  if (s.compute.kind === 'serverless') {
    addIssue(ctx, ['compute', 'serverless'], 'cannot host inference components: serverless capacity has no instances to share', { got: 'serverless', expected: "an instanceType or an accelerator intent (e.g. { instanceType: 'ml.g5.2xlarge' })" });
  }
  const sc = s.scaling;
  const known = (...v: unknown[]) => v.every((x) => !isUnresolved(x));
  const floor = known(sc.minInstances) ? Math.max(1, sc.minInstances) : undefined;
  if (sc.maxInstances !== undefined && known(sc.maxInstances, sc.minInstances) && sc.maxInstances < sc.minInstances) {
    addIssue(ctx, ['scaling', 'maxInstances'], 'must be ≥ minInstances', { got: String(sc.maxInstances), expected: `≥ ${sc.minInstances}` });
  }
  if (sc.initialInstances !== undefined && floor !== undefined && known(sc.initialInstances)) {
    const max = sc.maxInstances ?? floor;
    if (sc.initialInstances < floor) addIssue(ctx, ['scaling', 'initialInstances'], 'must be ≥ minInstances', { got: String(sc.initialInstances), expected: `≥ ${floor}` });
    else if (known(max) && sc.initialInstances > max) addIssue(ctx, ['scaling', 'initialInstances'], 'must be ≤ maxInstances', { got: String(sc.initialInstances), expected: `≤ ${max}` });
  }
}).transform((s) => {
  const floor = isUnresolved(s.scaling.minInstances) ? s.scaling.minInstances : Math.max(1, s.scaling.minInstances);
  const maxInstances = s.scaling.maxInstances ?? floor;
  return { ...s, scaling: { minInstances: s.scaling.minInstances, maxInstances, initialInstances: s.scaling.initialInstances ?? floor } };
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { ComponentEndpointSpecInput, SharedEndpointSpecInput } from './types.generated';
export type { ComponentEndpointSpecInput, SharedEndpointSpecInput };
export type SharedEndpointSpec = z.output<typeof sharedEndpointSpecSchema>;

const copiesSchema = z.strictObject({
  min: int(0, 1000).default(1).meta({ description: 'Fewest copies of the model; 0 lets the component (and, when every component of the endpoint may, the endpoint) scale to zero. @default 1' }),
  max: int(1, 1000).optional().meta({ description: 'Most copies the component scales out to. @default - min, at least 1 (no scaling)' }),
  initial: int(0, 1000).optional().meta({ description: 'Copies at creation and after each deployment of a new model; min ≤ initial ≤ max. @default - min, at least 1' }),
  targetInvocationsPerCopy: int(1).default(100).meta({ description: 'Target tracking on SageMakerInferenceComponentInvocationsPerCopy (per minute). @default 100' }),
  scaleInCooldownSeconds: int(0, 3600).default(300).meta({ description: '@default 300' }),
  scaleOutCooldownSeconds: int(0, 3600).default(60).meta({ description: '@default 60' }),
});

const reservationSchema = z.strictObject({
  acceleratorCount: int(0, 16).optional().meta({ description: 'GPUs or Neuron devices each copy reserves. @default - none (a CPU model)' }),
  memoryMiB: int(128).meta({ description: 'Host memory each copy reserves, in MiB (MinMemoryRequiredInMb).' }),
  cpus: num(0.25).optional().meta({ description: 'CPU cores each copy reserves. @default - none reserved' }),
});

const componentDeploymentSchema = z.strictObject({
  strategy: z.enum(DEPLOYMENT_STRATEGIES).default('rolling').meta({ description: "Inference components update by rolling their copies: only 'rolling'. @default 'rolling'" }),
  rollingBatchPercent: int(5, 50).default(50).meta({ description: 'Share of the copies replaced per batch (5-50 %). @default 50' }),
  waitIntervalSeconds: int(0, 3600).default(120).meta({ description: 'Baking time after each batch, watching the rollback alarms. @default 120' }),
  maximumExecutionTimeoutSeconds: int(600, 28800).optional().meta({ description: 'Upper bound on the whole update. @default - SageMaker decides' }),
  autoRollback: z.boolean().default(true).meta({ description: "Roll back when the component's latency or error alarms fire during an update. @default true" }),
});

/**
 * Endpoint fields that belong to the shared endpoint, or that SageMaker refuses on a component: each refused with why.
 *
 * dataCapture: no AWS page found says CreateEndpointConfig rejects a DataCaptureConfig on an endpoint
 * that hosts inference components; the SageMaker Python SDK's inference-component deployment
 * (sagemaker-serve model_builder.py, _deploy_core_endpoint) creates that endpoint config without one
 * while its single-model path passes it. The refusal here rests on Model Monitor's unit (an endpoint and
 * variant), not on a documented API error.
 */
const REFUSED_ON_COMPONENT: Record<RefusedField, { message: string; expected: string }> = {
  compute: { message: "is set on the shared endpoint: every component runs on the shared endpoint's instances", expected: 'reservation (what each copy reserves), and compute on sharedEndpoints[]' },
  scaling: { message: 'is set per copy on a component', expected: 'copies { min, max, initial, targetInvocationsPerCopy }, and instance counts on sharedEndpoints[].scaling' },
  networkIsolation: { message: 'is set on the shared endpoint (EndpointConfig EnableNetworkIsolation applies to every component)', expected: 'sharedEndpoints[].networkIsolation' },
  variantName: { message: "is the shared endpoint's", expected: 'sharedEndpoints[].variantName' },
  dataCapture: { message: 'is not available on an inference component: a shared endpoint would capture every component\'s requests into one capture, and Model Monitor reads captures per endpoint and variant, never per component', expected: 'no dataCapture, or an endpoint of its own ({ compute, ... })' },
  kubernetes: { message: 'does not apply: shared endpoints are rendered on AWS only', expected: 'an endpoint of its own ({ compute, kubernetes, ... }) for a model served on Kubernetes' },
};

type RefusedField = 'compute' | 'scaling' | 'networkIsolation' | 'variantName' | 'dataCapture' | 'kubernetes';
/** A field accepted only to be refused with why (an unknown field would say less). */
const refused = (key: RefusedField) => z.unknown().optional().meta({ description: `Refused on a component: it ${REFUSED_ON_COMPONENT[key].message}.` });

export const componentEndpointSpecSchema = z.strictObject({
  sharedEndpoint: z.string().min(1).meta({ description: 'The name of one of the platform\'s sharedEndpoints that serves the model as an inference component.' }),
  reservation: reservationSchema.meta({ description: "What each copy of the model reserves on an instance of the shared endpoint: it must fit the endpoint's instance type." }),
  copies: copiesSchema.default({ min: 1, targetInvocationsPerCopy: 100, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60 }).meta({ description: 'How many copies of the model run, and how they scale. @default - 1 copy, no scaling' }),
  environment: z.record(
    z.string().regex(ENVIRONMENT_NAME, { error: 'an environment variable name: letters, digits and _ , not starting with a digit' }).max(1024),
    tokenOr(z.string().max(1024)),
  ).default({}).meta({ description: 'Environment variables of the serving container (at most 100).' }),
  deployment: componentDeploymentSchema.default({ strategy: 'rolling', rollingBatchPercent: 50, waitIntervalSeconds: 120, autoRollback: true }).meta({ description: 'How a new model is rolled onto the copies, and rolled back. @default - 50 % of the copies per batch, rolled back on the alarms' }),
  alarms: alarmsSchema.default({ latencyP99Ms: 1000, invocation5xxErrors: 5, rate4xxPercent: 5, gpuUtilizationPercent: 90, gpuMemoryUtilizationPercent: 90, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3 })
    .meta({ description: "The component's alarms (latency, errors), which also roll updates back. @default - p99 latency 1000 ms, 5 5XX errors, 5 % 4XX" }),
  compute: refused('compute'),
  scaling: refused('scaling'),
  networkIsolation: refused('networkIsolation'),
  variantName: refused('variantName'),
  dataCapture: refused('dataCapture'),
  kubernetes: refused('kubernetes'),
}).superRefine((s, ctx) => {
  for (const key of Object.keys(REFUSED_ON_COMPONENT) as RefusedField[]) {
    if (s[key] !== undefined) addIssue(ctx, [key], REFUSED_ON_COMPONENT[key].message, { got: renderValue(s[key]), expected: REFUSED_ON_COMPONENT[key].expected });
  }
  if (Object.keys(s.environment).length > 100) addIssue(ctx, ['environment'], 'has too many variables', { got: `${Object.keys(s.environment).length}`, expected: 'at most 100' });
  if (s.deployment.strategy !== 'rolling') {
    addIssue(ctx, ['deployment', 'strategy'], 'is not available on an inference component: SageMaker updates a component by rolling its copies (InferenceComponentDeploymentConfig has only RollingUpdatePolicy)', { got: renderValue(s.deployment.strategy), expected: "'rolling'" });
  }
  const c = s.copies;
  const known = (...v: unknown[]) => v.every((x) => !isUnresolved(x));
  if (c.max !== undefined && known(c.max, c.min) && c.max < c.min) addIssue(ctx, ['copies', 'max'], 'must be ≥ min', { got: String(c.max), expected: `≥ ${c.min}` });
  if (c.initial !== undefined && known(c.initial, c.min)) {
    const max = c.max ?? Math.max(1, c.min);
    if (c.initial < c.min) addIssue(ctx, ['copies', 'initial'], 'must be ≥ min', { got: String(c.initial), expected: `≥ ${c.min}` });
    else if (known(max) && c.initial > max) addIssue(ctx, ['copies', 'initial'], 'must be ≤ max', { got: String(c.initial), expected: `≤ ${max}` });
  }
  const a = s.alarms;
  if (known(a.datapointsToAlarm, a.evaluationPeriods) && a.datapointsToAlarm > a.evaluationPeriods) {
    addIssue(ctx, ['alarms', 'datapointsToAlarm'], 'must be ≤ evaluationPeriods', { got: String(a.datapointsToAlarm), expected: `≤ ${a.evaluationPeriods}` });
  }
}).transform((s) => {
  const floor = isUnresolved(s.copies.min) ? s.copies.min : Math.max(1, s.copies.min);
  return {
    sharedEndpoint: s.sharedEndpoint,
    reservation: s.reservation,
    copies: { ...s.copies, max: s.copies.max ?? floor, initial: s.copies.initial ?? floor },
    environment: s.environment,
    deployment: { ...s.deployment, strategy: 'rolling' as const },
    alarms: s.alarms,
  };
});

export type ComponentEndpointSpec = z.output<typeof componentEndpointSpecSchema>;

/** Whether a model's resolved endpoint is an inference component of a shared endpoint. */
export function isComponentEndpoint<T extends object>(endpoint: T | ComponentEndpointSpec | undefined): endpoint is ComponentEndpointSpec {
  return endpoint !== undefined && 'sharedEndpoint' in endpoint && typeof (endpoint as { sharedEndpoint?: unknown }).sharedEndpoint === 'string';
}

/** Shared endpoints of a platform: the parts of the platform's checks that concern them. */
interface PlatformWithSharedEndpoints {
  readonly name: string;
  readonly sharedEndpoints: readonly SharedEndpointSpec[];
  readonly governance: { readonly level: string };
  readonly models: readonly { readonly name: string; readonly endpoint?: object; readonly drift?: unknown }[];
}

/** A reservation larger than one instance of a type, per resource (accelerators, MiB of memory, CPU cores): one problem each. */
export function reservationProblems(r: ComponentEndpointSpec['reservation'], info: InstanceTypeInfo): { field: keyof ComponentEndpointSpec['reservation']; got: string; expected: string }[] {
  const out: { field: keyof ComponentEndpointSpec['reservation']; got: string; expected: string }[] = [];
  const accelerators = info.accelerator?.count ?? 0;
  if (r.acceleratorCount !== undefined && !isUnresolved(r.acceleratorCount) && r.acceleratorCount > accelerators) {
    out.push({ field: 'acceleratorCount', got: String(r.acceleratorCount), expected: accelerators === 0 ? `0: ${info.name} has no accelerators` : `≤ ${accelerators} (${info.name} has ${accelerators})` });
  }
  const memoryMiB = Math.floor(info.memoryGiB * 1024);
  if (!isUnresolved(r.memoryMiB) && r.memoryMiB > memoryMiB) out.push({ field: 'memoryMiB', got: String(r.memoryMiB), expected: `≤ ${memoryMiB} (${info.name} has ${info.memoryGiB} GiB)` });
  if (r.cpus !== undefined && !isUnresolved(r.cpus) && r.cpus > info.vCpus) out.push({ field: 'cpus', got: String(r.cpus), expected: `≤ ${info.vCpus} (${info.name} has ${info.vCpus} vCPUs)` });
  return out;
}

function capacityIssues(component: ComponentEndpointSpec, shared: SharedEndpointSpec): ReturnType<typeof reservationProblems> {
  return shared.compute.kind === 'instance' && shared.compute.info ? reservationProblems(component.reservation, shared.compute.info) : [];
}

/**
 * The platform's checks of shared endpoints and the models they serve: names unique and known, each
 * reservation within one instance, the initial copies within maxInstances instances, scale to zero
 * possible, no monitors on a component, isolation at the strict level.
 */
export function refineSharedEndpoints(p: PlatformWithSharedEndpoints, ctx: z.RefinementCtx): void {
  const byName = new Map<string, number>();
  p.sharedEndpoints.forEach((s, j) => {
    const first = byName.get(s.name);
    if (first !== undefined) addIssue(ctx, ['sharedEndpoints', j, 'name'], `repeats the name of sharedEndpoints[${first}]`, { got: renderValue(s.name), expected: 'a name no other shared endpoint has' });
    else byName.set(s.name, j);
    if (p.governance.level === 'strict' && !s.networkIsolation) {
      addIssue(ctx, ['sharedEndpoints', j, 'networkIsolation'], 'is off, which the strict governance level does not allow', { got: 'false', expected: 'true (the default)' });
    }
  });
  const served = new Map<number, { component: ComponentEndpointSpec; model: number }[]>();
  p.models.forEach((m, i) => {
    if (!isComponentEndpoint(m.endpoint)) return;
    const component = m.endpoint;
    const j = byName.get(component.sharedEndpoint);
    if (j === undefined) {
      addIssue(ctx, ['models', i, 'endpoint', 'sharedEndpoint'], 'names no shared endpoint of this platform', {
        got: renderValue(component.sharedEndpoint),
        expected: p.sharedEndpoints.length > 0 ? `one of ${p.sharedEndpoints.map((s) => `'${s.name}'`).join(', ')}` : "an entry of the platform's sharedEndpoints",
      });
      return;
    }
    served.set(j, [...(served.get(j) ?? []), { component, model: i }]);
    const shared = p.sharedEndpoints[j];
    for (const problem of capacityIssues(component, shared)) {
      addIssue(ctx, ['models', i, 'endpoint', 'reservation', problem.field], `does not fit one instance of shared endpoint '${shared.name}'`, { got: problem.got, expected: problem.expected });
    }
    if (m.drift !== undefined) {
      addIssue(ctx, ['models', i, 'drift'], 'needs data capture, which a model served as an inference component has not (Model Monitor reads captures per endpoint and variant)', { got: `an inference component of '${component.sharedEndpoint}'`, expected: 'no drift section, or an endpoint of its own with data capture' });
    }
    if (shared.scaling.minInstances === 0 && !isUnresolved(component.copies.min) && component.copies.min > 0) {
      addIssue(ctx, ['models', i, 'endpoint', 'copies', 'min'], `keeps a copy running, so shared endpoint '${shared.name}' (minInstances 0) can never scale to zero`, { got: String(component.copies.min), expected: '0, or minInstances ≥ 1 on the shared endpoint' });
    }
  });
  p.sharedEndpoints.forEach((s, j) => {
    const components = served.get(j) ?? [];
    if (components.length === 0) {
      addIssue(ctx, ['sharedEndpoints', j], 'serves no model: it would keep instances for nothing', { got: `'${s.name}', named by no model's endpoint.sharedEndpoint`, expected: 'a model with endpoint.sharedEndpoint naming it, or no such shared endpoint' });
      return;
    }
    refineInitialFit(s, j, components.map((c) => c.component), ctx);
  });
}

/** The initial copies of every component, within maxInstances instances (per resource: a lower bound on what placement needs). */
function refineInitialFit(s: SharedEndpointSpec, j: number, components: ComponentEndpointSpec[], ctx: z.RefinementCtx): void {
  if (s.compute.kind !== 'instance' || !s.compute.info || isUnresolved(s.scaling.maxInstances)) return;
  const info = s.compute.info;
  const max = s.scaling.maxInstances;
  const values = components.map((c) => [c.copies.initial, c.reservation.acceleratorCount ?? 0, c.reservation.memoryMiB, c.reservation.cpus ?? 0]);
  if (values.flat().some(isUnresolved)) return;
  const total = (k: number) => values.reduce((sum, v) => sum + (v[0]) * (v[k]), 0);
  const needs: [string, number, number][] = [
    ['accelerators', total(1), (info.accelerator?.count ?? 0) * max],
    ['MiB of memory', total(2), Math.floor(info.memoryGiB * 1024) * max],
    ['CPU cores', total(3), info.vCpus * max],
  ];
  for (const [what, need, have] of needs) {
    if (need > have) {
      addIssue(ctx, ['sharedEndpoints', j, 'scaling', 'maxInstances'], `is too few for the initial copies of its components: they reserve ${need} ${what}, ${max} × ${info.name} have ${have}`, { got: String(max), expected: `enough ${info.name} instances for ${need} ${what}, or fewer initial copies` });
    }
  }
}

/** The SageMaker endpoint of a shared endpoint, and the inference component of a model on it: named from the platform's names. */
export const SHARED_ENDPOINT_NAMES = {
  stack: { of: (platform: string) => `${platform}-shared-endpoints` },
  endpoint: {
    of: (platform: string, shared: string) => `${platform}-${shared}`,
    limit: { what: 'the endpoint name', maxLength: 63, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, reference: 'SageMaker CreateEndpoint EndpointName' } satisfies NameLimit,
  },
  component: {
    of: (platform: string, model: string) => `${platform}-${model}`,
    limit: { what: 'the inference component name', maxLength: 63, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, reference: 'SageMaker CreateInferenceComponent InferenceComponentName' } satisfies NameLimit,
  },
} as const;

/** Names the AWS target derives for shared endpoints and their components, within SageMaker's limits. */
export function sharedEndpointNameIssues(p: PlatformWithSharedEndpoints): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const check = (path: string, name: string, limit: NameLimit) => {
    const problem = nameProblem(name, limit);
    if (problem) issues.push({ path, message: problem, got: `${name.length} characters`, expected: `at most ${limit.maxLength}: a shorter name` });
  };
  p.sharedEndpoints.forEach((s, j) => check(`sharedEndpoints[${j}].name`, SHARED_ENDPOINT_NAMES.endpoint.of(p.name, s.name), SHARED_ENDPOINT_NAMES.endpoint.limit));
  p.models.forEach((m, i) => {
    if (isComponentEndpoint(m.endpoint)) check(`models[${i}].name`, SHARED_ENDPOINT_NAMES.component.of(p.name, m.name), SHARED_ENDPOINT_NAMES.component.limit);
  });
  return issues;
}

/**
 * What the Kubernetes target cannot render: a model served as an inference component (KServe's
 * ModelMesh is a separate installation with its own serving runtimes, and RawDeployment mode,
 * which the target renders, has no scale to zero).
 */
export function sharedEndpointKubernetesIssues(p: PlatformWithSharedEndpoints): ValidationIssue[] {
  const issues: ValidationIssue[] = p.models.flatMap((m, i) => (isComponentEndpoint(m.endpoint) ? [{
    path: `models[${i}].endpoint.sharedEndpoint`,
    message: 'is not rendered on Kubernetes: shared endpoints are SageMaker inference components (KServe serves one model per InferenceService in RawDeployment mode, which cannot scale to zero)',
    got: renderValue(m.endpoint.sharedEndpoint),
    expected: "an endpoint of its own ({ compute, kubernetes, ... }), or targets: ['aws']",
  }] : []));
  if (p.sharedEndpoints.length > 0 && issues.length === 0) {
    issues.push({ path: 'sharedEndpoints', message: 'is not rendered on Kubernetes', got: `${p.sharedEndpoints.length} shared endpoint(s)`, expected: "no sharedEndpoints, or targets: ['aws']" });
  }
  return issues;
}
