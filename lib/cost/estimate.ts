/**
 * A monthly cost estimate from SYNTHESIZED CloudFormation (a cloud assembly), priced with the
 * instance-type catalog and {@link OTHER_PRICES}. It reads what will be deployed, never the spec, so
 * resources added by any construct (or by hand) are priced the same way. Every assumption made is
 * returned with the estimate, with the prices and their dates.
 */
import { lookupInstanceType, PRICES } from '../catalog';
import { CfnResource, SynthesizedAssembly, SynthesizedStack } from '../governance/cloud-assembly';
import { MODEL_TAG, PLATFORM_TAG } from '../spec/governance';
import { EXPECTED_RUN_MINUTES_TAG } from '../spec/batch';
import { asList, fieldsOf } from '../json';
import { flatText, literalNumber, literalString, parseJsonWithTokens, referencedLogicalIds } from './intrinsics';
import { HOURS_PER_MONTH, OTHER_PRICES } from './prices';
import { ScheduleError } from '../schedule';
import { runsPerMonth } from './schedule';

export type CostComponent =
  | 'endpoint' | 'serverless-endpoint' | 'inference-component' | 'training' | 'processing' | 'batch-transform' | 'monitoring' | 'feature-store'
  | 'training-cluster' | 'experiment-tracking' | 'storage' | 'keys-and-alarms';

export interface MonthlyUsd {
  /** At minimum scale (autoscaling minimums). */
  readonly min: number;
  /** At maximum scale (autoscaling maximums). */
  readonly max: number;
}

export interface CostLine {
  readonly stack: string;
  /** The model the stack belongs to (`<platform>-<model>` stacks, or a `cdk-mlops:model` tag); absent for shared stacks. */
  readonly model?: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly component: CostComponent;
  /** How the figure was reached, for humans: `2-6 x ml.g5.xlarge at $1.408/h x 730 h`. */
  readonly description: string;
  readonly monthlyUsd: MonthlyUsd;
}

export interface CostEstimate {
  readonly currency: 'USD';
  /** The region the prices are for. */
  readonly priceRegion: string;
  /** When the instance prices were taken (the catalog's date). */
  readonly pricesTakenOn: string;
  readonly lines: readonly CostLine[];
  readonly stacks: readonly ({ readonly stack: string; readonly model?: string } & MonthlyUsd)[];
  readonly models: readonly ({ readonly model: string } & MonthlyUsd)[];
  readonly total: MonthlyUsd;
  /** Every assumption the figures rest on, with the prices used and their dates. */
  readonly assumptions: readonly string[];
  /** What could not be priced, or may be priced wrong (unknown instance types, other regions). */
  readonly warnings: readonly string[];
}

/** Usage the templates cannot say: every field is stated in the estimate's assumptions. */
export interface CostAssumptions {
  /** @default 100000 */
  readonly serverlessRequestsPerMonth?: number;
  /** Average duration of one serverless invocation. @default 500 */
  readonly serverlessDurationMs?: number;
  /** Request plus response payload per serverless invocation. @default 10 */
  readonly serverlessPayloadKb?: number;
  /** Managed spot training saving against on-demand (SageMaker quotes up to 90%). @default 70 */
  readonly spotDiscountPercent?: number;
  /** Runs a month of a pipeline no schedule in the assembly starts (events, people). @default 1 */
  readonly unscheduledPipelineRunsPerMonth?: number;
  /** @default 1000000 */
  readonly featureStoreWritesPerMonth?: number;
  /** @default 10000000 */
  readonly featureStoreReadsPerMonth?: number;
  /** Online store size per feature group. @default 10 */
  readonly featureStoreOnlineGb?: number;
  /** Average data held per S3 bucket (artifacts, data capture, logs, offline feature store). @default 50 */
  readonly storageGbPerBucket?: number;
  /**
   * Share of the month an asynchronous endpoint that scales to zero has requests queued or in
   * progress (it runs instances only then). @default 0.25
   */
  readonly asyncBusyFraction?: number;
}

const DEFAULTS: Required<CostAssumptions> = {
  serverlessRequestsPerMonth: 100_000,
  serverlessDurationMs: 500,
  serverlessPayloadKb: 10,
  spotDiscountPercent: 70,
  unscheduledPipelineRunsPerMonth: 1,
  featureStoreWritesPerMonth: 1_000_000,
  featureStoreReadsPerMonth: 10_000_000,
  featureStoreOnlineGb: 10,
  storageGbPerBucket: 50,
  asyncBusyFraction: 0.25,
};

/** SageMaker's defaults when a template leaves StoppingCondition.MaxRuntimeInSeconds out. */
const DEFAULT_TRAINING_MAX_RUNTIME_S = 86_400;
const DEFAULT_PROCESSING_MAX_RUNTIME_S = 86_400;
const DEFAULT_MONITORING_MAX_RUNTIME_S = 3_600;

const MONITORING_JOB_DEFINITIONS = new Set([
  'AWS::SageMaker::DataQualityJobDefinition', 'AWS::SageMaker::ModelQualityJobDefinition',
  'AWS::SageMaker::ModelBiasJobDefinition', 'AWS::SageMaker::ModelExplainabilityJobDefinition',
]);

const usd = (n: number): string => `$${Number(n.toPrecision(6))}`;
const round = (n: number): number => Math.round(n * 100) / 100;
const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

type Props = Record<string, unknown>;
/** What an inference component's initial copies reserve: how a shared endpoint's cost is split. */
interface ComponentWeight { readonly copies: number; readonly accelerators: number; readonly memoryMiB: number }
const propsOf = (r: CfnResource): Props => r.Properties ?? {};

class Estimator {
  readonly lines: CostLine[] = [];
  readonly assumptions = new Set<string>();
  readonly warnings = new Set<string>();
  /** The usage figures the estimate assumes: the caller's, the defaults for the rest. */
  private readonly usage: Required<CostAssumptions>;
  private readonly platformPrefixes: string[];
  /** Inference components of the assembly, by the literal name of the endpoint they are placed on. */
  private readonly components = new Map<string, { stack: SynthesizedStack; logicalId: string; weight: ComponentWeight }[]>();

  constructor(private readonly assembly: SynthesizedAssembly, assumptions: CostAssumptions) {
    this.usage = { ...DEFAULTS, ...Object.fromEntries(Object.entries(assumptions).filter(([, v]) => v !== undefined)) };
    this.platformPrefixes = assembly.stacks.map((s) => /^(.+)-shared$/.exec(s.stackName)?.[1]).filter((p): p is string => p !== undefined);
  }

  run(): void {
    this.collectComponents();
    this.assumptions.add(`Instance prices: SageMaker on-demand, ${PRICES.region}, taken ${PRICES.takenOn} (lib/catalog); a month is ${HOURS_PER_MONTH} hours.`);
    for (const stack of this.assembly.stacks) {
      if (stack.region && stack.region !== PRICES.region) this.warnings.add(`stack ${stack.stackName} is in ${stack.region}; prices are for ${PRICES.region}: expect a different bill.`);
      const model = this.modelOf(stack);
      this.endpoints(stack, model);
      this.pipelines(stack, model);
      this.monitoring(stack, model);
      this.featureGroups(stack, model);
      this.clusters(stack, model);
      this.trackingServers(stack, model);
      this.storageKeysAlarms(stack, model);
    }
  }

  private add(stack: SynthesizedStack, model: string | undefined, logicalId: string, component: CostComponent, description: string, min: number, max = min): void {
    const resourceType = stack.resources[logicalId]?.Type ?? 'AWS::KMS::Key, AWS::CloudWatch::Alarm, AWS::CloudWatch::Dashboard';
    this.lines.push({ stack: stack.stackName, ...(model !== undefined ? { model } : {}), logicalId, resourceType, component, description, monthlyUsd: { min: round(min), max: round(max) } });
  }

  private modelOf(stack: SynthesizedStack): string | undefined {
    let platformMade = false;
    for (const r of Object.values(stack.resources)) {
      const tags = asList(propsOf(r).Tags).map(fieldsOf);
      const tag = tags.find((t) => t.Key === MODEL_TAG);
      if (typeof tag?.Value === 'string') return tag.Value;
      platformMade ||= tags.some((t) => t.Key === PLATFORM_TAG);
    }
    // A platform's own stacks carry its tag, and its model stacks the model's: the others are shared.
    if (platformMade) return undefined;
    for (const prefix of this.platformPrefixes) {
      if (stack.stackName === `${prefix}-shared`) return undefined;
      if (stack.stackName.startsWith(`${prefix}-`)) return stack.stackName.slice(prefix.length + 1);
    }
    return undefined;
  }

  /** The price per hour of an instance type, or undefined (with a warning) when it is unknown or a token. */
  private hourly(value: unknown, where: string): { name: string; price: number } | undefined {
    const name = literalString(value);
    if (name === undefined) {
      this.warnings.add(`${where}: the instance type is not known at synth time (a parameter or reference); not priced.`);
      return undefined;
    }
    const info = lookupInstanceType(name);
    if (!info) {
      this.warnings.add(`${where}: instance type '${name}' is not in the catalog; not priced.`);
      return undefined;
    }
    return { name, price: info.pricePerHourUsd };
  }

  private ofType(stack: SynthesizedStack, type: string): [string, CfnResource][] {
    return Object.entries(stack.resources).filter(([, r]) => r.Type === type);
  }

  /** The resource of one of `types` a value refers to, or whose literal `nameProp` equals it. */
  private target(stack: SynthesizedStack, value: unknown, types: ReadonlySet<string> | string, nameProp?: string): [string, CfnResource] | undefined {
    const accept = (t: string) => (typeof types === 'string' ? t === types : types.has(t));
    for (const id of referencedLogicalIds(value)) {
      const r = stack.resources[id];
      if (r && accept(r.Type)) return [id, r];
    }
    const literal = literalString(value);
    if (literal && nameProp) {
      const name = literal.split('/').pop();
      return Object.entries(stack.resources).find(([, r]) => accept(r.Type) && propsOf(r)[nameProp] === name);
    }
    return undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Endpoints
  // ------------------------------------------------------------------------------------------

  private endpoints(stack: SynthesizedStack, model: string | undefined): void {
    const scaling = this.scalableTargets(stack);
    const used = new Set<string>();
    for (const [endpointId, endpoint] of this.ofType(stack, 'AWS::SageMaker::Endpoint')) {
      const config = this.target(stack, propsOf(endpoint).EndpointConfigName, 'AWS::SageMaker::EndpointConfig', 'EndpointConfigName');
      if (!config) {
        this.warnings.add(`${stack.stackName}/${endpointId}: its endpoint config is not in this assembly; not priced.`);
        continue;
      }
      used.add(config[0]);
      const cp = propsOf(config[1]);
      const shadows = new Set(asList(cp.ShadowProductionVariants).map(fieldsOf).map((v) => literalString(v.VariantName)));
      const asyncInference = cp.AsyncInferenceConfig !== undefined;
      const variants = [...asList(cp.ProductionVariants), ...asList(cp.ShadowProductionVariants)].map(fieldsOf);
      for (const v of variants) {
        const variantName = literalString(v.VariantName) ?? '?';
        const role = shadows.has(variantName) ? ' (shadow: its own instances)' : '';
        const where = `${stack.stackName}/${endpointId} variant ${variantName}`;
        const serverless = fieldsOf(v.ServerlessConfig);
        if (Object.keys(serverless).length > 0) {
          this.serverless(stack, model, endpointId, variantName, serverless);
          continue;
        }
        const price = this.hourly(v.InstanceType, where);
        if (!price) continue;
        const initial = literalNumber(v.InitialInstanceCount) ?? 1;
        const managed = fieldsOf(v.ManagedInstanceScaling);
        const target = scaling.get(`${endpointId}/${variantName}`);
        const min = target?.min ?? (managed.Status === 'ENABLED' ? literalNumber(managed.MinInstanceCount) : undefined) ?? initial;
        const max = target?.max ?? (managed.Status === 'ENABLED' ? literalNumber(managed.MaxInstanceCount) : undefined) ?? initial;
        if (asyncInference && min === 0) {
          this.asyncPerUse(stack, model, endpointId, variantName, price, max);
          continue;
        }
        const count = min === max ? `${min}` : `${min}-${max}`;
        const components = v.ModelName === undefined ? this.components.get(literalString(propsOf(endpoint).EndpointName) ?? '') : undefined;
        if (components && components.length > 0) {
          this.splitAcrossComponents(components, `${count} x ${price.name} at ${usd(price.price)}/h x ${HOURS_PER_MONTH} h of ${literalString(propsOf(endpoint).EndpointName)}`, min * price.price * HOURS_PER_MONTH, max * price.price * HOURS_PER_MONTH);
          continue;
        }
        this.add(stack, model, endpointId, 'endpoint',
          `${variantName}${role}: ${count} x ${price.name} at ${usd(price.price)}/h x ${HOURS_PER_MONTH} h${target ? ' (autoscaling min-max)' : ''}`,
          min * price.price * HOURS_PER_MONTH, max * price.price * HOURS_PER_MONTH);
      }
    }
    for (const [id] of this.ofType(stack, 'AWS::SageMaker::EndpointConfig')) {
      if (!used.has(id)) this.warnings.add(`${stack.stackName}/${id}: an endpoint config no endpoint in this assembly uses; costs nothing until deployed.`);
    }
    this.assumptions.add('Real-time endpoints: instances x hours, at autoscaling minimum (min) and maximum (max); a blue/green deployment briefly doubles the fleet (not included).');
  }

  /** Every inference component placed on an endpoint named by a literal, with what its initial copies reserve. */
  private collectComponents(): void {
    for (const stack of this.assembly.stacks) {
      for (const [logicalId, c] of this.ofType(stack, 'AWS::SageMaker::InferenceComponent')) {
        const p = propsOf(c);
        const endpointName = literalString(p.EndpointName);
        if (endpointName === undefined) {
          this.warnings.add(`${stack.stackName}/${logicalId}: the endpoint of the inference component is not known at synth time; its share is not priced.`);
          continue;
        }
        const req = fieldsOf(fieldsOf(p.Specification).ComputeResourceRequirements);
        const copies = literalNumber(fieldsOf(p.RuntimeConfig).CopyCount) ?? 1;
        const weight = { copies, accelerators: literalNumber(req.NumberOfAcceleratorDevicesRequired) ?? 0, memoryMiB: literalNumber(req.MinMemoryRequiredInMb) ?? 0 };
        this.components.set(endpointName, [...(this.components.get(endpointName) ?? []), { stack, logicalId, weight }]);
      }
    }
  }

  /**
   * A shared endpoint's instances, charged to the components placed on it (the endpoint itself is
   * not a line, so nothing is counted twice): each pays the share of what its initial copies reserve
   * (accelerators when any component reserves some, else memory), or an equal share when none reserves.
   */
  private splitAcrossComponents(components: { stack: SynthesizedStack; logicalId: string; weight: ComponentWeight }[], pool: string, min: number, max: number): void {
    const byAccelerators = components.some((c) => c.weight.accelerators > 0);
    const weightOf = (w: ComponentWeight) => w.copies * (byAccelerators ? w.accelerators : w.memoryMiB);
    const total = components.reduce((sum, c) => sum + weightOf(c.weight), 0);
    for (const c of components) {
      const share = total > 0 ? weightOf(c.weight) / total : 1 / components.length;
      const basis = total > 0 ? `${c.weight.copies} cop${c.weight.copies === 1 ? 'y' : 'ies'} reserving ${byAccelerators ? `${c.weight.accelerators} accelerator(s)` : `${c.weight.memoryMiB} MiB`} each` : 'an equal share';
      this.add(c.stack, this.modelOf(c.stack), c.logicalId, 'inference-component', `${fmt(share * 100)}% (${basis}) of ${pool}`, min * share, max * share);
    }
    this.assumptions.add('Inference components: the shared endpoint\'s instances (managed instance scaling min-max; min 0 when it scales to zero) are split across its components by what their initial copies reserve (accelerators, else memory), for display; the endpoint bills whole instances whichever component uses them.');
  }

  /**
   * An asynchronous endpoint that scales to zero pays for instances only while its queue has work:
   * one instance (min) to its maximum (max), for the busy share of the month.
   */
  private asyncPerUse(stack: SynthesizedStack, model: string | undefined, endpointId: string, variant: string, price: { name: string; price: number }, max: number): void {
    const busy = this.usage.asyncBusyFraction;
    const hours = HOURS_PER_MONTH * busy;
    this.add(stack, model, endpointId, 'endpoint',
      `${variant}: asynchronous, 0 when idle, 1-${max} x ${price.name} at ${usd(price.price)}/h x ${Math.round(hours)} busy h`,
      price.price * hours, Math.max(max, 1) * price.price * hours);
    this.assumptions.add(`Asynchronous endpoints that scale to zero: instances run ${Math.round(busy * 100)}% of the month (asyncBusyFraction), while requests are queued or in progress; one instance at least, the maximum at most.`);
  }

  /** `endpointLogicalId/variant` → autoscaling min and max capacity. */
  private scalableTargets(stack: SynthesizedStack): Map<string, { min: number; max: number }> {
    const out = new Map<string, { min: number; max: number }>();
    for (const [, t] of this.ofType(stack, 'AWS::ApplicationAutoScaling::ScalableTarget')) {
      const p = propsOf(t);
      if (p.ServiceNamespace !== 'sagemaker' || p.ScalableDimension !== 'sagemaker:variant:DesiredInstanceCount') continue;
      const resourceId = p.ResourceId;
      const text = flatText(resourceId) ?? '';
      const match = /^endpoint\/([^/]+)\/variant\/(.+)$/.exec(text);
      if (!match) continue;
      let endpointId: string | undefined;
      if (match[1] === '<token>') endpointId = this.target(stack, resourceId, 'AWS::SageMaker::Endpoint')?.[0];
      else endpointId = this.ofType(stack, 'AWS::SageMaker::Endpoint').find(([, e]) => propsOf(e).EndpointName === match[1])?.[0];
      const min = literalNumber(p.MinCapacity);
      const max = literalNumber(p.MaxCapacity);
      if (endpointId && min !== undefined && max !== undefined) out.set(`${endpointId}/${match[2]}`, { min, max });
    }
    return out;
  }

  private serverless(stack: SynthesizedStack, model: string | undefined, endpointId: string, variant: string, config: Props): void {
    const memoryMb = literalNumber(config.MemorySizeInMB) ?? 1024;
    const { serverlessRequestsPerMonth: requests, serverlessDurationMs: ms, serverlessPayloadKb: kb } = this.usage;
    const gbSeconds = requests * (ms / 1000) * (memoryMb / 1024);
    const compute = gbSeconds * OTHER_PRICES.serverlessPerGbSecond.usd;
    const data = (requests * kb) / (1024 * 1024) * OTHER_PRICES.serverlessPerGbProcessed.usd;
    this.add(stack, model, endpointId, 'serverless-endpoint',
      `${variant}: serverless ${memoryMb} MB, ${requests.toLocaleString('en-US')} requests x ${ms} ms = ${Math.round(gbSeconds).toLocaleString('en-US')} GB-s`,
      compute + data);
    if (literalNumber(config.ProvisionedConcurrency)) this.warnings.add(`${stack.stackName}/${endpointId}: serverless provisioned concurrency is not priced.`);
    this.assumptions.add(`Serverless endpoints: ${requests.toLocaleString('en-US')} requests/month of ${ms} ms and ${kb} KB in+out each (--serverless-requests, --serverless-duration-ms); ${usd(OTHER_PRICES.serverlessPerGbSecond.usd)} ${OTHER_PRICES.serverlessPerGbSecond.unit} and ${usd(OTHER_PRICES.serverlessPerGbProcessed.usd)} ${OTHER_PRICES.serverlessPerGbProcessed.unit}, taken ${OTHER_PRICES.serverlessPerGbSecond.takenOn}.`);
  }

  // ------------------------------------------------------------------------------------------
  // Pipelines and their schedules
  // ------------------------------------------------------------------------------------------

  private schedulesOf(stack: SynthesizedStack, pipelineId: string, pipelineName: string | undefined): { runs: number; expressions: string[] } {
    let runs = 0;
    const expressions: string[] = [];
    // The pipeline's ARN (templated target), by reference or by name (SageMaker lower-cases it in
    // the ARN), or the universal target aws-sdk:sagemaker:startPipelineExecution naming it in its input.
    const named = (text: string | undefined) => pipelineName !== undefined && text !== undefined && text.toLowerCase().endsWith(`:pipeline/${pipelineName.toLowerCase()}`);
    const targets = (target: Props) => {
      if (referencedLogicalIds(target.Arn).has(pipelineId) || named(flatText(target.Arn))) return true;
      if (!/aws-sdk:sagemaker:startPipelineExecution$/i.test(flatText(target.Arn) ?? '')) return false;
      const input = target.Input;
      return referencedLogicalIds(input).has(pipelineId) || (pipelineName !== undefined && (flatText(input)?.includes(`"PipelineName":"${pipelineName}"`) ?? false));
    };
    const count = (expression: unknown, where: string) => {
      const text = literalString(expression);
      if (!text) {
        this.warnings.add(`${where}: the schedule expression is not known at synth time; not counted.`);
        return;
      }
      try {
        runs += runsPerMonth(text);
        expressions.push(text);
      } catch (e) {
        if (!(e instanceof ScheduleError)) throw e;
        this.warnings.add(`${where}: ${e.message}; not counted.`);
      }
    };
    for (const [id, s] of this.ofType(stack, 'AWS::Scheduler::Schedule')) {
      const p = propsOf(s);
      if (p.State === 'DISABLED' || !targets(fieldsOf(p.Target))) continue;
      count(p.ScheduleExpression, `${stack.stackName}/${id}`);
    }
    for (const [id, rule] of this.ofType(stack, 'AWS::Events::Rule')) {
      const p = propsOf(rule);
      if (p.State === 'DISABLED' || p.ScheduleExpression === undefined) continue;
      if (!asList(p.Targets).some((t) => targets(fieldsOf(t)))) continue;
      count(p.ScheduleExpression, `${stack.stackName}/${id}`);
    }
    return { runs, expressions };
  }

  private pipelines(stack: SynthesizedStack, model: string | undefined): void {
    for (const [pipelineId, pipeline] of this.ofType(stack, 'AWS::SageMaker::Pipeline')) {
      const p = propsOf(pipeline);
      const where = `${stack.stackName}/${pipelineId}`;
      const body = fieldsOf(p.PipelineDefinition).PipelineDefinitionBody;
      const definition = fieldsOf(parseJsonWithTokens(body));
      if (Object.keys(definition).length === 0) {
        this.warnings.add(`${where}: the pipeline definition is not in the template (an S3 location, or not JSON); its steps are not priced.`);
        continue;
      }
      const { runs: scheduled, expressions } = this.schedulesOf(stack, pipelineId, literalString(p.PipelineName));
      const runs = expressions.length > 0 ? scheduled : this.usage.unscheduledPipelineRunsPerMonth;
      const when = expressions.length > 0 ? `${fmt(runs)} runs/month (${expressions.join(', ')})` : `${fmt(runs)} run/month (no schedule in the assembly)`;
      const parameters = new Map(asList(definition.Parameters).map(fieldsOf).map((x) => [String(x.Name), x.DefaultValue]));
      const resolve = (v: unknown): unknown => {
        const get = literalString(fieldsOf(v).Get);
        return get?.startsWith('Parameters.') ? parameters.get(get.slice('Parameters.'.length)) : v;
      };
      const visit = (steps: unknown[]) => {
        for (const step of steps.map(fieldsOf)) {
          const args = fieldsOf(step.Arguments);
          const name = literalString(step.Name) ?? '?';
          if (step.Type === 'Condition') {
            visit([...asList(args.IfSteps), ...asList(args.ElseSteps)]);
          } else if (step.Type === 'Training') {
            this.trainingStep(stack, model, pipelineId, name, args, resolve, runs, when);
          } else if (step.Type === 'Processing') {
            const cluster = fieldsOf(fieldsOf(args.ProcessingResources).ClusterConfig);
            const price = this.hourly(resolve(cluster.InstanceType), `${where} step ${name}`);
            if (!price) continue;
            const count = literalNumber(resolve(cluster.InstanceCount)) ?? 1;
            const seconds = literalNumber(resolve(fieldsOf(args.StoppingCondition).MaxRuntimeInSeconds)) ?? DEFAULT_PROCESSING_MAX_RUNTIME_S;
            const perRun = count * price.price * (seconds / 3600);
            this.add(stack, model, pipelineId, 'processing', `step ${name}: ${count} x ${price.name} at ${usd(price.price)}/h x <= ${fmt(seconds / 3600)} h/run x ${when}`, perRun * runs);
          } else if (step.Type === 'Transform') {
            this.transformStep(stack, model, pipelineId, name, args, resolve, runs, when);
          } else if (step.Type === 'Tuning') {
            this.warnings.add(`${where} step ${name}: ${String(step.Type)} steps are not priced.`);
          }
        }
      };
      visit(asList(definition.Steps));
    }
    if (this.lines.some((l) => l.component === 'training' || l.component === 'processing')) {
      this.assumptions.add(`Pipelines: each run is billed up to its steps' StoppingCondition.MaxRuntimeInSeconds (a ceiling; SageMaker's default ${DEFAULT_TRAINING_MAX_RUNTIME_S / 3600} h when unset), both branches of a condition counted; runs/month from the EventBridge Scheduler schedules or rules that start the pipeline, else ${this.usage.unscheduledPipelineRunsPerMonth} (--pipeline-runs). Training uses the catalog's instance price.`);
    }
  }

  /**
   * A batch transform: instances × hourly price × the run's expected duration (the job's
   * cdk-mlops:expected-run-minutes tag; a transform job has no maximum runtime) × runs a month.
   */
  private transformStep(stack: SynthesizedStack, model: string | undefined, pipelineId: string, name: string, args: Props, resolve: (v: unknown) => unknown, runs: number, when: string): void {
    const where = `${stack.stackName}/${pipelineId} step ${name}`;
    const resources = fieldsOf(args.TransformResources);
    const tag = asList(args.Tags).map(fieldsOf).find((t) => t.Key === EXPECTED_RUN_MINUTES_TAG);
    const minutes = Number(literalString(tag?.Value));
    if (!Number.isFinite(minutes) || minutes <= 0) {
      this.warnings.add(`${where}: the transform job has no ${EXPECTED_RUN_MINUTES_TAG} tag saying how long a run takes; not priced.`);
      return;
    }
    const price = this.hourly(resolve(resources.InstanceType), where);
    if (!price) return;
    const count = literalNumber(resolve(resources.InstanceCount)) ?? 1;
    this.add(stack, model, pipelineId, 'batch-transform', `step ${name}: ${count} x ${price.name} at ${usd(price.price)}/h x ${minutes} min/run (expected) x ${when}`, count * price.price * (minutes / 60) * runs);
    this.assumptions.add(`Batch transform: each run takes the duration its transform job's ${EXPECTED_RUN_MINUTES_TAG} tag states (the spec's batch.expectedRunMinutes); transform jobs have no runtime ceiling to bill against.`);
  }

  private trainingStep(stack: SynthesizedStack, model: string | undefined, pipelineId: string, name: string, args: Props, resolve: (v: unknown) => unknown, runs: number, when: string): void {
    const where = `${stack.stackName}/${pipelineId} step ${name}`;
    const resources = fieldsOf(args.ResourceConfig);
    const groups = asList(resources.InstanceGroups).map(fieldsOf);
    const fleet = groups.length > 0
      ? groups.map((g) => ({ type: resolve(g.InstanceType), count: literalNumber(resolve(g.InstanceCount)) ?? 1 }))
      : [{ type: resolve(resources.InstanceType), count: literalNumber(resolve(resources.InstanceCount)) ?? 1 }];
    const seconds = literalNumber(resolve(fieldsOf(args.StoppingCondition).MaxRuntimeInSeconds)) ?? DEFAULT_TRAINING_MAX_RUNTIME_S;
    const spot = resolve(args.EnableManagedSpotTraining) === true || resolve(args.EnableManagedSpotTraining) === 'true';
    const factor = spot ? 1 - this.usage.spotDiscountPercent / 100 : 1;
    for (const member of fleet) {
      const price = this.hourly(member.type, where);
      if (!price) continue;
      const perRun = member.count * price.price * (seconds / 3600) * factor;
      this.add(stack, model, pipelineId, 'training',
        `step ${name}: ${member.count} x ${price.name} at ${usd(price.price)}/h x <= ${fmt(seconds / 3600)} h/run${spot ? ` x spot (-${this.usage.spotDiscountPercent}%)` : ''} x ${when}`,
        perRun * runs);
    }
    if (spot) this.assumptions.add(`Managed spot training: ${this.usage.spotDiscountPercent}% below on-demand (--spot-discount; SageMaker quotes savings of up to 90%, varying by type and time).`);
  }

  // ------------------------------------------------------------------------------------------
  // Monitoring, feature store, clusters, tracking servers, storage
  // ------------------------------------------------------------------------------------------

  private monitoring(stack: SynthesizedStack, model: string | undefined): void {
    for (const [id, schedule] of this.ofType(stack, 'AWS::SageMaker::MonitoringSchedule')) {
      const where = `${stack.stackName}/${id}`;
      const config = fieldsOf(propsOf(schedule).MonitoringScheduleConfig);
      const expression = literalString(fieldsOf(config.ScheduleConfig).ScheduleExpression);
      let cluster: Props;
      let stopping: Props;
      const inline = fieldsOf(config.MonitoringJobDefinition);
      if (Object.keys(inline).length > 0) {
        cluster = fieldsOf(fieldsOf(inline.MonitoringResources).ClusterConfig);
        stopping = fieldsOf(inline.StoppingCondition);
      } else {
        const def = this.target(stack, config.MonitoringJobDefinitionName, MONITORING_JOB_DEFINITIONS, 'JobDefinitionName');
        if (!def) {
          this.warnings.add(`${where}: its job definition is not in this assembly; not priced.`);
          continue;
        }
        cluster = fieldsOf(fieldsOf(propsOf(def[1]).JobResources).ClusterConfig);
        stopping = fieldsOf(propsOf(def[1]).StoppingCondition);
      }
      if (!expression || expression === 'NOW') {
        if (expression !== 'NOW') this.warnings.add(`${where}: no schedule expression; not priced.`);
        continue;
      }
      let runs: number;
      try {
        runs = runsPerMonth(expression);
      } catch (e) {
        if (!(e instanceof ScheduleError)) throw e;
        this.warnings.add(`${where}: ${e.message}; not priced.`);
        continue;
      }
      const price = this.hourly(cluster.InstanceType, where);
      if (!price) continue;
      const count = literalNumber(cluster.InstanceCount) ?? 1;
      const seconds = literalNumber(stopping.MaxRuntimeInSeconds) ?? DEFAULT_MONITORING_MAX_RUNTIME_S;
      this.add(stack, model, id, 'monitoring', `${count} x ${price.name} at ${usd(price.price)}/h x <= ${fmt(seconds / 3600)} h/run x ${fmt(runs)} runs/month (${expression})`, count * price.price * (seconds / 3600) * runs);
      this.assumptions.add(`Monitoring jobs: billed up to MaxRuntimeInSeconds per run (${DEFAULT_MONITORING_MAX_RUNTIME_S / 3600} h when unset), runs from the schedule's cron.`);
    }
  }

  private featureGroups(stack: SynthesizedStack, model: string | undefined): void {
    for (const [id, group] of this.ofType(stack, 'AWS::SageMaker::FeatureGroup')) {
      const p = propsOf(group);
      const online = fieldsOf(p.OnlineStoreConfig);
      const parts: string[] = [];
      let total = 0;
      if (online.EnableOnlineStore === true || online.EnableOnlineStore === 'true') {
        if (online.StorageType === 'InMemory') {
          this.warnings.add(`${stack.stackName}/${id}: the InMemory online store tier is not priced.`);
        } else {
          const { featureStoreWritesPerMonth: w, featureStoreReadsPerMonth: r, featureStoreOnlineGb: gb } = this.usage;
          total += (w / 1e6) * OTHER_PRICES.featureStoreWritePerMillion.usd + (r / 1e6) * OTHER_PRICES.featureStoreReadPerMillion.usd + gb * OTHER_PRICES.featureStoreStoragePerGbMonth.usd;
          parts.push(`online store: ${(w / 1e6).toLocaleString('en-US')}M writes, ${(r / 1e6).toLocaleString('en-US')}M reads, ${gb} GB`);
          this.assumptions.add(`Feature store online (Standard) per feature group: ${(w / 1e6).toLocaleString('en-US')}M writes and ${(r / 1e6).toLocaleString('en-US')}M reads a month (1 request unit each, records <= 1 KB / 4 KB), ${gb} GB held; ${usd(OTHER_PRICES.featureStoreWritePerMillion.usd)} ${OTHER_PRICES.featureStoreWritePerMillion.unit}, ${usd(OTHER_PRICES.featureStoreReadPerMillion.usd)} ${OTHER_PRICES.featureStoreReadPerMillion.unit}, ${usd(OTHER_PRICES.featureStoreStoragePerGbMonth.usd)} ${OTHER_PRICES.featureStoreStoragePerGbMonth.unit}, taken ${OTHER_PRICES.featureStoreWritePerMillion.takenOn}.`);
        }
      }
      if (Object.keys(fieldsOf(p.OfflineStoreConfig)).length > 0) {
        const gb = this.usage.storageGbPerBucket;
        total += gb * OTHER_PRICES.s3StandardPerGbMonth.usd;
        parts.push(`offline store: ${gb} GB in S3`);
      }
      if (parts.length > 0) this.add(stack, model, id, 'feature-store', parts.join('; '), total);
    }
  }

  private clusters(stack: SynthesizedStack, model: string | undefined): void {
    for (const [id, cluster] of this.ofType(stack, 'AWS::SageMaker::Cluster')) {
      for (const g of asList(propsOf(cluster).InstanceGroups).map(fieldsOf)) {
        const name = literalString(g.InstanceGroupName) ?? '?';
        const price = this.hourly(g.InstanceType, `${stack.stackName}/${id} instance group ${name}`);
        if (!price) continue;
        const count = literalNumber(g.InstanceCount) ?? 1;
        this.add(stack, model, id, 'training-cluster', `instance group ${name}: ${count} x ${price.name} at ${usd(price.price)}/h x ${HOURS_PER_MONTH} h`, count * price.price * HOURS_PER_MONTH);
      }
      this.assumptions.add('HyperPod clusters: every instance group runs all month, at the catalog\'s on-demand price (HyperPod and reserved/flexible-plan prices differ).');
    }
  }

  private trackingServers(stack: SynthesizedStack, model: string | undefined): void {
    const bySize = { Small: OTHER_PRICES.mlflowSmallPerHour, Medium: OTHER_PRICES.mlflowMediumPerHour, Large: OTHER_PRICES.mlflowLargePerHour } as const;
    for (const [id, server] of this.ofType(stack, 'AWS::SageMaker::MlflowTrackingServer')) {
      const size = literalString(propsOf(server).TrackingServerSize) ?? 'Small';
      const price = bySize[size as keyof typeof bySize];
      if (!price) {
        this.warnings.add(`${stack.stackName}/${id}: tracking server size '${size}' is unknown; not priced.`);
        continue;
      }
      this.add(stack, model, id, 'experiment-tracking', `MLflow tracking server ${size} at ${usd(price.usd)}/h x ${HOURS_PER_MONTH} h`, price.usd * HOURS_PER_MONTH);
      this.assumptions.add(`MLflow tracking servers run all month: Small ${usd(bySize.Small.usd)}/h, Medium ${usd(bySize.Medium.usd)}/h, Large ${usd(bySize.Large.usd)}/h, taken ${price.takenOn} (${price.source}); the artifact store is counted as storage.`);
    }
  }

  private storageKeysAlarms(stack: SynthesizedStack, model: string | undefined): void {
    const buckets = this.ofType(stack, 'AWS::S3::Bucket');
    const gb = this.usage.storageGbPerBucket;
    for (const [id] of buckets) {
      this.add(stack, model, id, 'storage', `S3 bucket: ${gb} GB at ${usd(OTHER_PRICES.s3StandardPerGbMonth.usd)}/GB-month`, gb * OTHER_PRICES.s3StandardPerGbMonth.usd);
    }
    if (buckets.length > 0) this.assumptions.add(`Storage: ${gb} GB held per S3 bucket (--storage-gb) at ${usd(OTHER_PRICES.s3StandardPerGbMonth.usd)} ${OTHER_PRICES.s3StandardPerGbMonth.unit}, taken ${OTHER_PRICES.s3StandardPerGbMonth.takenOn}; requests and transfer not included.`);
    const keys = this.ofType(stack, 'AWS::KMS::Key').length;
    const alarms = this.ofType(stack, 'AWS::CloudWatch::Alarm').length;
    const dashboards = this.ofType(stack, 'AWS::CloudWatch::Dashboard').length;
    if (keys + alarms + dashboards > 0) {
      const cost = keys * OTHER_PRICES.kmsKeyPerMonth.usd + alarms * OTHER_PRICES.cloudWatchAlarmPerMonth.usd + dashboards * OTHER_PRICES.cloudWatchDashboardPerMonth.usd;
      this.add(stack, model, '(stack)', 'keys-and-alarms', `${keys} KMS key(s), ${alarms} alarm(s), ${dashboards} dashboard(s)`, cost);
      this.assumptions.add(`KMS keys ${usd(OTHER_PRICES.kmsKeyPerMonth.usd)}/month each, CloudWatch alarms ${usd(OTHER_PRICES.cloudWatchAlarmPerMonth.usd)}/month, dashboards ${usd(OTHER_PRICES.cloudWatchDashboardPerMonth.usd)}/month (free tiers not subtracted); key requests and metrics not included.`);
    }
  }
}

function sum(lines: readonly CostLine[]): MonthlyUsd {
  return { min: round(lines.reduce((s, l) => s + l.monthlyUsd.min, 0)), max: round(lines.reduce((s, l) => s + l.monthlyUsd.max, 0)) };
}

/** The monthly estimate of a synthesized assembly, per line, stack and model, with every assumption stated. */
export function estimateCost(assembly: SynthesizedAssembly, assumptions: CostAssumptions = {}): CostEstimate {
  for (const [key, value] of Object.entries(assumptions)) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new RangeError(`cost assumption ${key} must be a number >= 0 (got ${String(value)})`);
    }
  }
  if ((assumptions.asyncBusyFraction ?? 0) > 1) throw new RangeError(`cost assumption asyncBusyFraction must be <= 1 (got ${assumptions.asyncBusyFraction})`);
  if ((assumptions.spotDiscountPercent ?? 0) > 100) throw new RangeError(`cost assumption spotDiscountPercent must be <= 100 (got ${assumptions.spotDiscountPercent})`);
  const e = new Estimator(assembly, assumptions);
  e.run();
  const stacks = assembly.stacks.map((s) => {
    const lines = e.lines.filter((l) => l.stack === s.stackName);
    const model = lines[0]?.model;
    return { stack: s.stackName, ...(model !== undefined ? { model } : {}), ...sum(lines) };
  });
  const modelNames = [...new Set(e.lines.map((l) => l.model).filter((m): m is string => m !== undefined))];
  return {
    currency: 'USD',
    priceRegion: PRICES.region,
    pricesTakenOn: PRICES.takenOn,
    lines: e.lines,
    stacks,
    models: modelNames.map((model) => ({ model, ...sum(e.lines.filter((l) => l.model === model)) })),
    total: sum(e.lines),
    assumptions: [...e.assumptions],
    warnings: [...e.warnings],
  };
}
