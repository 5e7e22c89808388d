/**
 * The typed step model of a SageMaker model building pipeline. Each step renders to the entry the
 * SageMaker Python SDK writes for it (`Name`, `Type`, `Arguments`, ...): the Arguments are the
 * request of the SageMaker API the step calls (CreateProcessingJob, CreateTrainingJob,
 * CreateHyperParameterTuningJob, CreateModel, CreateTransformJob, CreateModelPackage).
 * Steps are plain values: the pipeline that holds them renders them, with its role, key and
 * buckets, and checks names, references and order.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../../lib/errors';
import { lookupInstanceType, suggestInstanceTypes } from '../../../lib/catalog';
import { Get, Join, PipelineExpression, PipelineValue, PropertyFile } from './expressions';

/** What a pipeline gives its steps when it renders them. */
export interface StepRenderContext {
  /** Execution role of the jobs the steps start. */
  readonly roleArn: string;
  /** Key for job volumes (where SageMaker allows one) and outputs. */
  readonly kmsKeyArn: string;
  /** Where an output of a step goes by default: unique per execution. */
  outputUri(stepName: string, outputName: string): PipelineValue;
  /** A fixed location (the same for every execution) for the baselines a check step writes. */
  baselineUri(stepName: string): string;
  /** The container image of a SageMaker-provided analyzer in the pipeline's region. */
  analyzerImage(kind: 'model-monitor' | 'clarify', stepName: string): string;
  /** VPC placement of every job. */
  readonly vpcConfig?: { readonly SecurityGroupIds: string[]; readonly Subnets: string[] };
  /** Environment every job container gets (the experiment tracker's URI). */
  readonly environment: Readonly<Record<string, string>>;
  /** The pipeline's region (sagemaker_region of framework containers). */
  readonly region: string;
  /** Where the packed sourcedir.tar.gz of a training script's folder (an absolute path) is in S3. */
  sourceArchive(sourceDir: string): { readonly s3Uri: string; readonly fileName: string };
}

/** A retry of a step on a transient failure. */
export interface RetryPolicy {
  readonly exceptionTypes: readonly ('Step.SERVICE_FAULT' | 'Step.THROTTLING' | 'SageMaker.JOB_INTERNAL_ERROR' | 'SageMaker.CAPACITY_ERROR' | 'SageMaker.RESOURCE_LIMIT')[];
  /** @default 1 */
  readonly intervalSeconds?: number;
  /** @default 2 */
  readonly backoffRate?: number;
  /** @default 5 */
  readonly maxAttempts?: number;
}

export interface StepProps {
  /** The step's name: 1-64 letters, digits, hyphens and underscores, unique in the pipeline. */
  readonly name: string;
  /** Steps that must finish first although this step reads nothing of theirs. @default - none */
  readonly dependsOn?: readonly string[];
  /** @default - none */
  readonly description?: string;
  /** @default - no retries */
  readonly retryPolicies?: readonly RetryPolicy[];
}

export const STEP_NAME = /^[A-Za-z0-9\-_]{1,64}$/;

/** One step of a pipeline. */
export abstract class PipelineStep {
  public readonly name: string;
  public readonly dependsOn: readonly string[];
  /** The definition's `Type` of the step. */
  public abstract readonly type: string;
  protected readonly props: StepProps;

  protected constructor(kind: string, props: StepProps) {
    const issues: ValidationIssue[] = [];
    if (!Token.isUnresolved(props.name) && !STEP_NAME.test(props.name)) {
      issues.push({ path: 'name', message: 'is not a pipeline step name', got: renderValue(props.name), expected: '1-64 letters, digits, hyphens and underscores' });
    }
    issues.push(...this.validate(props));
    if (issues.length > 0) throw new MlopsValidationError({ kind, id: props.name }, issues);
    this.name = props.name;
    this.dependsOn = props.dependsOn ?? [];
    this.props = props;
  }

  /** Problems with the props, checked in the constructor. */
  protected validate(_props: StepProps): ValidationIssue[] {
    return [];
  }

  /** The step's `Arguments`. */
  protected abstract renderArguments(ctx: StepRenderContext): Record<string, unknown>;

  /** Step-level fields besides Name, Type, Arguments (CheckType, PropertyFiles, ...). */
  protected renderExtra(_ctx: StepRenderContext): Record<string, unknown> {
    return {};
  }

  /** Property files the step declares. */
  public get propertyFiles(): readonly PropertyFile[] {
    return [];
  }

  /** Steps nested inside this one (a condition's branches). */
  public get nestedSteps(): readonly PipelineStep[] {
    return [];
  }

  /** The step's entry in the definition. */
  public render(ctx: StepRenderContext): Record<string, unknown> {
    return {
      Name: this.name,
      Type: this.type,
      DependsOn: this.dependsOn.length > 0 ? [...this.dependsOn] : undefined,
      Description: this.props.description,
      RetryPolicies: this.props.retryPolicies?.flatMap((r) => r.exceptionTypes.map((e) => ({
        ExceptionType: e, IntervalSeconds: r.intervalSeconds ?? 1, BackoffRate: r.backoffRate ?? 2, MaxAttempts: r.maxAttempts ?? 5,
      }))),
      ...this.renderExtra(ctx),
      Arguments: this.renderArguments(ctx),
    };
  }

  /** A property of the step's job, e.g. `property('ModelArtifacts.S3ModelArtifacts')`. */
  public property(path: string): Get {
    return Get.step(this.name, path);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/** Volume key for an instance type: SageMaker rejects one on local NVMe instance storage (hardware-encrypted). */
function volumeKmsKeyId(instanceType: string, ctx: StepRenderContext): string | undefined {
  if (Token.isUnresolved(instanceType)) return undefined;
  return lookupInstanceType(instanceType)?.localNvmeStorage ? undefined : ctx.kmsKeyArn;
}

/** True when a job on this instance type gets no volume key (local NVMe storage). */
export function hasLocalNvme(instanceType: string): boolean {
  return !Token.isUnresolved(instanceType) && (lookupInstanceType(instanceType)?.localNvmeStorage ?? false);
}

function instanceTypeIssues(path: string, instanceType: string, use: 'training' | 'processing' | 'inference'): ValidationIssue[] {
  if (Token.isUnresolved(instanceType)) return [];
  const info = lookupInstanceType(instanceType);
  if (!info) {
    const s = suggestInstanceTypes(instanceType);
    return [{ path, message: s.length > 0 ? `is not a SageMaker instance type; did you mean '${s[0]}'?` : 'is not a SageMaker instance type', got: renderValue(instanceType), expected: `a SageMaker instance type offered for ${use}` }];
  }
  if (!info.uses.includes(use)) return [{ path, message: `is not offered for ${use}`, got: renderValue(instanceType), expected: `a type SageMaker offers for ${use}` }];
  return [];
}

function positiveInt(path: string, value: number | undefined, min: number, max: number): ValidationIssue[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  return Number.isInteger(value) && value >= min && value <= max ? [] : [{ path, message: 'is out of range', got: renderValue(value), expected: `a whole number in [${min}, ${max}]` }];
}

function nonEmpty<T extends Record<string, unknown>>(record: T | undefined): T | undefined {
  return record && Object.keys(record).length > 0 ? record : undefined;
}

/** An input of a processing job. */
export interface ProcessingInput {
  readonly name: string;
  /** S3 URI (or an expression yielding one) of the data. */
  readonly source: PipelineValue;
  /** Where the container finds it. */
  readonly localPath: string;
}

/** An output of a processing job. */
export interface ProcessingOutput {
  readonly name: string;
  /** Where the container writes it. */
  readonly localPath: string;
  /** @default - the pipeline's artifacts bucket, under this execution's prefix */
  readonly destination?: PipelineValue;
}

interface ProcessingJobProps {
  readonly imageUri: string;
  /** @default - the image's entrypoint */
  readonly entrypoint?: readonly string[];
  /** @default - none */
  readonly arguments?: readonly PipelineValue[];
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default 30 */
  readonly volumeSizeGiB?: number;
  /** @default 86400 */
  readonly maxRuntimeSeconds?: number;
  /** @default - the pipeline's job environment only */
  readonly environment?: Readonly<Record<string, PipelineValue>>;
  /** @default true */
  readonly networkIsolation?: boolean;
}

function processingIssues(p: ProcessingJobProps): ValidationIssue[] {
  return [
    ...instanceTypeIssues('instanceType', p.instanceType, 'processing'),
    ...positiveInt('instanceCount', p.instanceCount, 1, 100),
    ...positiveInt('volumeSizeGiB', p.volumeSizeGiB, 1, 16384),
    ...positiveInt('maxRuntimeSeconds', p.maxRuntimeSeconds, 1, 5 * 24 * 3600),
  ];
}

/** The CreateProcessingJob request of a job (ProcessingStep, QualityCheckStep, ClarifyCheckStep). */
function processingArguments(stepName: string, p: ProcessingJobProps, inputs: readonly ProcessingInput[], outputs: readonly ProcessingOutput[], ctx: StepRenderContext, ownEnvironment: Record<string, PipelineValue> = {}): Record<string, unknown> {
  return {
    ProcessingResources: {
      ClusterConfig: { InstanceType: p.instanceType, InstanceCount: p.instanceCount ?? 1, VolumeSizeInGB: p.volumeSizeGiB ?? 30, VolumeKmsKeyId: volumeKmsKeyId(p.instanceType, ctx) },
    },
    AppSpecification: { ImageUri: p.imageUri, ContainerEntrypoint: p.entrypoint ? [...p.entrypoint] : undefined, ContainerArguments: p.arguments && p.arguments.length > 0 ? [...p.arguments] : undefined },
    RoleArn: ctx.roleArn,
    ProcessingInputs: inputs.length > 0 ? inputs.map((i) => ({
      InputName: i.name,
      S3Input: { S3Uri: i.source, LocalPath: i.localPath, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated', S3CompressionType: 'None' },
    })) : undefined,
    ProcessingOutputConfig: outputs.length > 0 ? {
      Outputs: outputs.map((o) => ({ OutputName: o.name, S3Output: { S3Uri: o.destination ?? ctx.outputUri(stepName, o.name), LocalPath: o.localPath, S3UploadMode: 'EndOfJob' } })),
      KmsKeyId: ctx.kmsKeyArn,
    } : undefined,
    StoppingCondition: { MaxRuntimeInSeconds: p.maxRuntimeSeconds ?? 24 * 3600 },
    Environment: nonEmpty({ ...ctx.environment, ...ownEnvironment, ...p.environment }),
    NetworkConfig: { EnableNetworkIsolation: p.networkIsolation ?? true, EnableInterContainerTrafficEncryption: true, VpcConfig: ctx.vpcConfig },
  };
}

// ---------------------------------------------------------------------------------------------
// Processing
// ---------------------------------------------------------------------------------------------

export interface ProcessingStepProps extends StepProps, ProcessingJobProps {
  /** @default - none */
  readonly inputs?: readonly ProcessingInput[];
  /** @default - none */
  readonly outputs?: readonly ProcessingOutput[];
  /** Files among the outputs that later steps read values from (an evaluation report). @default - none */
  readonly propertyFiles?: readonly PropertyFile[];
}

/** A processing job (CreateProcessingJob): data preparation, evaluation, any script in a container. */
export class ProcessingStep extends PipelineStep {
  public readonly type = 'Processing';
  private readonly p: ProcessingStepProps;

  constructor(props: ProcessingStepProps) {
    super('ProcessingStep', props);
    this.p = props;
  }

  protected validate(props: StepProps): ValidationIssue[] {
    const p = props as ProcessingStepProps;
    const issues = processingIssues(p);
    const outputs = new Set((p.outputs ?? []).map((o) => o.name));
    (p.propertyFiles ?? []).forEach((f, i) => {
      if (!outputs.has(f.outputName)) issues.push({ path: `propertyFiles[${i}].outputName`, message: 'names no output of the step', got: renderValue(f.outputName), expected: outputs.size > 0 ? `one of ${[...outputs].map((o) => `'${o}'`).join(', ')}` : 'an output declared in outputs' });
    });
    return issues;
  }

  public get propertyFiles(): readonly PropertyFile[] {
    return this.p.propertyFiles ?? [];
  }

  /** The S3 URI an output was written to. */
  public outputUri(outputName: string): Get {
    return this.property(`ProcessingOutputConfig.Outputs['${outputName}'].S3Output.S3Uri`);
  }

  protected renderExtra(): Record<string, unknown> {
    return {
      PropertyFiles: this.propertyFiles.length > 0 ? this.propertyFiles.map((f) => ({ PropertyFileName: f.name, OutputName: f.outputName, FilePath: f.filePath })) : undefined,
    };
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    return processingArguments(this.name, this.p, this.p.inputs ?? [], this.p.outputs ?? [], ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

/** A data channel of a training job. */
export interface TrainingChannel {
  readonly name: string;
  readonly source: PipelineValue;
  /** @default - none */
  readonly contentType?: string;
  /** @default 'FullyReplicated' */
  readonly distribution?: 'FullyReplicated' | 'ShardedByS3Key';
}

/** How a multi-instance training job runs its processes. */
export type Distribution =
  | { readonly kind: 'none' }
  /** torchrun on every instance: the SageMaker SDK's `torch_distributed`. */
  | { readonly kind: 'torch' }
  /** mpirun over every instance: the SDK's `mpi`. */
  | { readonly kind: 'mpi'; readonly processesPerHost: number; readonly customMpiOptions?: string };

export interface TrainingJobProps {
  readonly imageUri: string;
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default - none; required with instanceCount > 1 */
  readonly distribution?: Distribution;
  /** @default - none */
  readonly hyperparameters?: Readonly<Record<string, PipelineValue>>;
  /** @default - none */
  readonly metricDefinitions?: readonly { readonly name: string; readonly regex: string }[];
  /** @default - the pipeline's job environment only */
  readonly environment?: Readonly<Record<string, PipelineValue>>;
  readonly channels: readonly TrainingChannel[];
  /**
   * Managed spot training: SageMaker runs on spare capacity and resumes from the checkpoints it
   * keeps in S3 after an interruption. `maxWaitSeconds` (waiting plus running) must be ≥ maxRuntimeSeconds.
   * @default - on-demand
   */
  readonly spot?: { readonly maxWaitSeconds: number };
  /** @default 86400 */
  readonly maxRuntimeSeconds?: number;
  /** @default 50 */
  readonly volumeSizeGiB?: number;
  /** @default true */
  readonly networkIsolation?: boolean;
  /** @default true */
  readonly interContainerEncryption?: boolean;
  /** @default - the pipeline's artifacts bucket, under this execution's prefix */
  readonly outputUri?: PipelineValue;
  /**
   * A training script from your repository, run by a framework container (AWS Deep Learning
   * Containers, through the SageMaker training toolkit): the pipeline packs `sourceDir` as
   * sourcedir.tar.gz (an S3 asset) and passes `sagemaker_program`, `sagemaker_submit_directory`,
   * `sagemaker_region` and `sagemaker_container_log_level`, as the SageMaker Python SDK does. With
   * network isolation (the default) the archive reaches the container as a `code` channel, as the
   * SDK does. A relative `sourceDir` resolves against the current directory.
   * @default - the image's own program
   */
  readonly entryPoint?: EntryPoint;
  /** Container entrypoint (AlgorithmSpecification.ContainerEntrypoint); not with entryPoint, nor in a tuning job. @default - the image's */
  readonly containerEntrypoint?: readonly string[];
  /** Container arguments (AlgorithmSpecification.ContainerArguments); not in a tuning job. @default - none */
  readonly containerArguments?: readonly string[];
}

/** A training script and the folder packed with it. */
export interface EntryPoint {
  /** The program, relative to sourceDir, e.g. 'train.py'. */
  readonly script: string;
  /** The folder packed with the job; it must contain script. */
  readonly sourceDir: string;
}

/** The channel a network-isolated job receives its packed source folder in, as the SageMaker Python SDK names it. */
const CODE_CHANNEL = 'code';

/** Problems of an entry point on the file system: the folder exists and holds the script. */
export function entryPointIssues(entryPoint: EntryPoint | undefined, prefix: string): ValidationIssue[] {
  if (!entryPoint) return [];
  const dir = path.resolve(entryPoint.sourceDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return [{ path: `${prefix}sourceDir`, message: 'is not a folder', got: renderValue(entryPoint.sourceDir), expected: `a folder of your repository (resolved to ${dir})` }];
  }
  const script = path.resolve(dir, entryPoint.script);
  if (!script.startsWith(dir + path.sep) || !fs.existsSync(script) || !fs.statSync(script).isFile()) {
    return [{ path: `${prefix}script`, message: 'is not a file in sourceDir', got: renderValue(entryPoint.script), expected: `a file under ${dir}` }];
  }
  return [];
}

export const MAX_TRAINING_SECONDS = 28 * 24 * 3600;

function trainingIssues(p: TrainingJobProps): ValidationIssue[] {
  const issues = [
    ...instanceTypeIssues('instanceType', p.instanceType, 'training'),
    ...positiveInt('instanceCount', p.instanceCount, 1, 100),
    ...positiveInt('maxRuntimeSeconds', p.maxRuntimeSeconds, 1, MAX_TRAINING_SECONDS),
    ...positiveInt('volumeSizeGiB', p.volumeSizeGiB, 1, 16384),
  ];
  const count = p.instanceCount ?? 1;
  if (!Token.isUnresolved(count) && count > 1 && (p.distribution ?? { kind: 'none' }).kind === 'none') {
    issues.push({ path: 'distribution', message: 'must say how to distribute training over several instances', got: `none with instanceCount ${count}`, expected: "{ kind: 'torch' } or { kind: 'mpi', processesPerHost }" });
  }
  if (p.distribution?.kind === 'mpi') issues.push(...positiveInt('distribution.processesPerHost', p.distribution.processesPerHost, 1, 64));
  if (p.spot) {
    const runtime = p.maxRuntimeSeconds ?? 24 * 3600;
    const wait = p.spot.maxWaitSeconds;
    if (!Token.isUnresolved(wait) && !Token.isUnresolved(runtime) && (!Number.isInteger(wait) || wait < runtime || wait > MAX_TRAINING_SECONDS)) {
      issues.push({ path: 'spot.maxWaitSeconds', message: 'must be ≥ maxRuntimeSeconds and at most 28 days', got: renderValue(wait), expected: `a whole number in [${runtime}, ${MAX_TRAINING_SECONDS}]` });
    }
  }
  if (p.channels.length === 0) issues.push({ path: 'channels', message: 'is empty', got: 'no channel', expected: 'at least one data channel' });
  for (const key of Object.keys(p.hyperparameters ?? {})) {
    if (key.startsWith('sagemaker_')) issues.push({ path: `hyperparameters.${key}`, message: 'is reserved for the distribution settings', got: renderValue(key), expected: "a name not starting with 'sagemaker_'" });
  }
  if (p.entryPoint && p.containerEntrypoint) {
    issues.push({ path: 'entryPoint', message: "cannot be combined with containerEntrypoint: the framework container's own entrypoint runs the script", got: 'entryPoint and containerEntrypoint', expected: 'one of them' });
  }
  issues.push(...entryPointIssues(p.entryPoint, 'entryPoint.'));
  if (p.entryPoint && (p.networkIsolation ?? true) && p.channels.some((c) => c.name === CODE_CHANNEL)) {
    issues.push({ path: 'channels', message: `has a channel named '${CODE_CHANNEL}', which carries the packed entryPoint.sourceDir of a network-isolated job`, got: `'${CODE_CHANNEL}'`, expected: 'another channel name' });
  }
  return issues;
}

/** The hyperparameters and channel that tell a framework container what to run (the SDK's conventions, values JSON-encoded as the SDK writes them). */
function entryPointArguments(p: TrainingJobProps, ctx: StepRenderContext): { hyperparameters: Record<string, string>; channels: Record<string, unknown>[] } {
  if (!p.entryPoint) return { hyperparameters: {}, channels: [] };
  const code = ctx.sourceArchive(path.resolve(p.entryPoint.sourceDir));
  const isolated = p.networkIsolation ?? true;
  return {
    hyperparameters: {
      sagemaker_program: JSON.stringify(p.entryPoint.script),
      // A network-isolated container cannot reach S3: the archive comes as the code channel instead.
      sagemaker_submit_directory: JSON.stringify(isolated ? `/opt/ml/input/data/${CODE_CHANNEL}/${code.fileName}` : code.s3Uri),
      sagemaker_region: JSON.stringify(ctx.region),
      sagemaker_container_log_level: '20',
    },
    channels: isolated ? [{ ChannelName: CODE_CHANNEL, DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: code.s3Uri, S3DataDistributionType: 'FullyReplicated' } } }] : [],
  };
}

/** The distribution hyperparameters the SageMaker training toolkit reads (the SDK's conventions). */
function distributionHyperparameters(d: Distribution | undefined): Record<string, string> {
  switch (d?.kind) {
    case 'torch':
      return { sagemaker_torch_distributed_enabled: 'true' };
    case 'mpi':
      return { sagemaker_mpi_enabled: 'true', sagemaker_mpi_num_of_processes_per_host: String(d.processesPerHost), sagemaker_mpi_custom_mpi_options: d.customMpiOptions ?? '' };
    default:
      return {};
  }
}

/** The CreateTrainingJob request of a training job (TrainingStep, or a tuning job's definition). */
function trainingArguments(stepName: string, p: TrainingJobProps, ctx: StepRenderContext, tuning: boolean): Record<string, unknown> {
  const runtime = p.maxRuntimeSeconds ?? 24 * 3600;
  const code = entryPointArguments(p, ctx);
  const hyperparameters = nonEmpty({ ...p.hyperparameters, ...distributionHyperparameters(p.distribution), ...code.hyperparameters });
  return {
    AlgorithmSpecification: {
      TrainingImage: p.imageUri,
      TrainingInputMode: 'File',
      MetricDefinitions: p.metricDefinitions && p.metricDefinitions.length > 0 ? p.metricDefinitions.map((m) => ({ Name: m.name, Regex: m.regex })) : undefined,
      ContainerEntrypoint: p.containerEntrypoint && p.containerEntrypoint.length > 0 ? [...p.containerEntrypoint] : undefined,
      ContainerArguments: p.containerArguments && p.containerArguments.length > 0 ? [...p.containerArguments] : undefined,
    },
    OutputDataConfig: { S3OutputPath: p.outputUri ?? ctx.outputUri(stepName, 'model'), KmsKeyId: ctx.kmsKeyArn },
    StoppingCondition: { MaxRuntimeInSeconds: runtime, MaxWaitTimeInSeconds: p.spot?.maxWaitSeconds },
    ResourceConfig: { InstanceCount: p.instanceCount ?? 1, InstanceType: p.instanceType, VolumeSizeInGB: p.volumeSizeGiB ?? 50, VolumeKmsKeyId: volumeKmsKeyId(p.instanceType, ctx) },
    RoleArn: ctx.roleArn,
    InputDataConfig: [...p.channels.map((c) => ({
      ChannelName: c.name,
      ContentType: c.contentType,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: c.source, S3DataDistributionType: c.distribution ?? 'FullyReplicated' } },
    })), ...code.channels],
    [tuning ? 'StaticHyperParameters' : 'HyperParameters']: hyperparameters,
    EnableManagedSpotTraining: p.spot ? true : undefined,
    // Checkpoints survive a spot interruption; the job resumes from them.
    CheckpointConfig: p.spot ? { S3Uri: ctx.outputUri(stepName, 'checkpoints'), LocalPath: '/opt/ml/checkpoints' } : undefined,
    EnableNetworkIsolation: p.networkIsolation ?? true,
    EnableInterContainerTrafficEncryption: p.interContainerEncryption ?? true,
    VpcConfig: ctx.vpcConfig,
    Environment: tuning ? undefined : nonEmpty({ ...ctx.environment, ...p.environment }),
  };
}

export interface TrainingStepProps extends StepProps, TrainingJobProps {}

/** A training job (CreateTrainingJob): single instance, or distributed over several; on-demand or managed spot. */
export class TrainingStep extends PipelineStep {
  public readonly type = 'Training';
  public readonly job: TrainingJobProps;

  constructor(props: TrainingStepProps) {
    super('TrainingStep', props);
    this.job = props;
  }

  protected validate(props: StepProps): ValidationIssue[] {
    return trainingIssues(props as TrainingStepProps);
  }

  /** S3 URI of the model artifact (model.tar.gz) the job produced. */
  public get modelArtifactsUri(): Get {
    return this.property('ModelArtifacts.S3ModelArtifacts');
  }

  /** The last value of a metric the job reported (one of its metricDefinitions). */
  public finalMetric(metricName: string): Get {
    return this.property(`FinalMetricDataList['${metricName}'].Value`);
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    return trainingArguments(this.name, this.job, ctx, false);
  }
}

// ---------------------------------------------------------------------------------------------
// Tuning
// ---------------------------------------------------------------------------------------------

export type ScalingType = 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

export interface TuningStepProps extends StepProps {
  readonly training: TrainingJobProps;
  readonly objective: { readonly metricName: string; readonly type: 'Maximize' | 'Minimize' };
  readonly continuousRanges?: readonly { readonly name: string; readonly min: number; readonly max: number; readonly scaling?: ScalingType }[];
  readonly integerRanges?: readonly { readonly name: string; readonly min: number; readonly max: number; readonly scaling?: ScalingType }[];
  readonly categoricalRanges?: readonly { readonly name: string; readonly values: readonly string[] }[];
  readonly maxJobs: number;
  readonly maxParallelJobs: number;
  /** @default 'Bayesian' */
  readonly strategy?: 'Bayesian' | 'Random';
  /** @default 'Auto' */
  readonly earlyStopping?: 'Off' | 'Auto';
}

/** A hyperparameter tuning job (CreateHyperParameterTuningJob). */
export class TuningStep extends PipelineStep {
  public readonly type = 'Tuning';
  private readonly p: TuningStepProps;

  constructor(props: TuningStepProps) {
    super('TuningStep', props);
    this.p = props;
  }

  /** The training job each trial runs. */
  public get training(): TrainingJobProps {
    return this.p.training;
  }

  protected validate(props: StepProps): ValidationIssue[] {
    const p = props as TuningStepProps;
    const issues = trainingIssues(p.training).map((i) => ({ ...i, path: `training.${i.path}` }));
    for (const key of ['containerEntrypoint', 'containerArguments'] as const) {
      if (p.training[key]) issues.push({ path: `training.${key}`, message: "is not available in a tuning job's training definition (HyperParameterAlgorithmSpecification has none)", got: `a list of ${p.training[key].length}`, expected: 'nothing, or a TrainingStep' });
    }
    issues.push(...positiveInt('maxJobs', p.maxJobs, 1, 500), ...positiveInt('maxParallelJobs', p.maxParallelJobs, 1, 100));
    if (!Token.isUnresolved(p.maxJobs) && !Token.isUnresolved(p.maxParallelJobs) && p.maxParallelJobs > p.maxJobs) {
      issues.push({ path: 'maxParallelJobs', message: 'must be ≤ maxJobs', got: renderValue(p.maxParallelJobs), expected: `≤ ${p.maxJobs}` });
    }
    const ranges = (p.continuousRanges?.length ?? 0) + (p.integerRanges?.length ?? 0) + (p.categoricalRanges?.length ?? 0);
    if (ranges === 0) issues.push({ path: 'continuousRanges', message: 'gives nothing to tune', got: 'no range', expected: 'at least one continuous, integer or categorical range' });
    [...(p.continuousRanges ?? []).map((r, i) => ({ r, path: `continuousRanges[${i}]` })), ...(p.integerRanges ?? []).map((r, i) => ({ r, path: `integerRanges[${i}]` }))].forEach(({ r, path }) => {
      if (r.min >= r.max) issues.push({ path: `${path}.max`, message: 'must be > min', got: renderValue(r.max), expected: `> ${r.min}` });
    });
    return issues;
  }

  /** S3 URI of the model of the `rank`-th best training job (0: the best), as the SDK's get_top_model_s3_uri. */
  public topModelUri(rank: number, outputPrefix: PipelineValue): Join {
    return Join.on('/', [outputPrefix, this.property(`TrainingJobSummaries[${rank}].TrainingJobName`), 'output/model.tar.gz']);
  }

  /** Name of the best training job. */
  public get bestTrainingJobName(): Get {
    return this.property('BestTrainingJob.TrainingJobName');
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.p;
    const range = (r: { name: string; min: number; max: number; scaling?: ScalingType }) => ({ Name: r.name, MinValue: String(r.min), MaxValue: String(r.max), ScalingType: r.scaling ?? 'Auto' });
    return {
      HyperParameterTuningJobConfig: {
        Strategy: p.strategy ?? 'Bayesian',
        HyperParameterTuningJobObjective: { Type: p.objective.type, MetricName: p.objective.metricName },
        ResourceLimits: { MaxNumberOfTrainingJobs: p.maxJobs, MaxParallelTrainingJobs: p.maxParallelJobs },
        TrainingJobEarlyStoppingType: p.earlyStopping ?? 'Auto',
        ParameterRanges: {
          ContinuousParameterRanges: p.continuousRanges?.map(range),
          IntegerParameterRanges: p.integerRanges?.map(range),
          CategoricalParameterRanges: p.categoricalRanges?.map((r) => ({ Name: r.name, Values: [...r.values] })),
        },
      },
      TrainingJobDefinition: trainingArguments(this.name, p.training, ctx, true),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Condition and Fail
// ---------------------------------------------------------------------------------------------

export type ConditionType = 'GreaterThan' | 'GreaterThanOrEqualTo' | 'LessThan' | 'LessThanOrEqualTo' | 'Equals' | 'NotEquals';

/** A condition a ConditionStep evaluates. */
export class Condition {
  public static greaterThan(left: PipelineValue, right: PipelineValue) { return new Condition('GreaterThan', left, right); }
  public static greaterThanOrEqualTo(left: PipelineValue, right: PipelineValue) { return new Condition('GreaterThanOrEqualTo', left, right); }
  public static lessThan(left: PipelineValue, right: PipelineValue) { return new Condition('LessThan', left, right); }
  public static lessThanOrEqualTo(left: PipelineValue, right: PipelineValue) { return new Condition('LessThanOrEqualTo', left, right); }
  public static equals(left: PipelineValue, right: PipelineValue) { return new Condition('Equals', left, right); }
  public static notEquals(left: PipelineValue, right: PipelineValue) { return new Condition('NotEquals', left, right); }

  private constructor(public readonly type: ConditionType, public readonly left: PipelineValue, public readonly right: PipelineValue) {}

  public toJSON() {
    return { Type: this.type, LeftValue: this.left, RightValue: this.right };
  }
}

export interface ConditionStepProps extends StepProps {
  /** All must hold for the if branch. */
  readonly conditions: readonly Condition[];
  /** @default - none */
  readonly ifSteps?: readonly PipelineStep[];
  /** @default - none */
  readonly elseSteps?: readonly PipelineStep[];
}

/** Branches the pipeline: the if steps run when every condition holds, the else steps otherwise. */
export class ConditionStep extends PipelineStep {
  public readonly type = 'Condition';
  private readonly p: ConditionStepProps;

  constructor(props: ConditionStepProps) {
    super('ConditionStep', props);
    this.p = props;
  }

  protected validate(props: StepProps): ValidationIssue[] {
    const p = props as ConditionStepProps;
    const issues: ValidationIssue[] = [];
    if (p.conditions.length === 0) issues.push({ path: 'conditions', message: 'is empty', got: 'no condition', expected: 'at least one condition' });
    if ((p.ifSteps?.length ?? 0) + (p.elseSteps?.length ?? 0) === 0) issues.push({ path: 'ifSteps', message: 'leaves both branches empty', got: 'no step', expected: 'a step in ifSteps or elseSteps' });
    return issues;
  }

  /** Evaluates to true when the conditions held. */
  public get outcome(): Get {
    return this.property('Outcome');
  }

  public get nestedSteps(): readonly PipelineStep[] {
    return [...(this.p.ifSteps ?? []), ...(this.p.elseSteps ?? [])];
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    return {
      Conditions: this.p.conditions.map((c) => c.toJSON()),
      IfSteps: (this.p.ifSteps ?? []).map((s) => s.render(ctx)),
      ElseSteps: (this.p.elseSteps ?? []).map((s) => s.render(ctx)),
    };
  }
}

export interface FailStepProps extends StepProps {
  readonly errorMessage: PipelineValue;
}

/** Ends the execution as Failed, with a message. */
export class FailStep extends PipelineStep {
  public readonly type = 'Fail';
  constructor(private readonly p: FailStepProps) {
    super('FailStep', p);
  }

  protected renderArguments(): Record<string, unknown> {
    return { ErrorMessage: this.p.errorMessage };
  }
}

// ---------------------------------------------------------------------------------------------
// Models: register, create, batch transform
// ---------------------------------------------------------------------------------------------

/** A metrics or baseline file of a model package. */
export interface MetricsSource {
  readonly s3Uri: PipelineValue;
  /** @default 'application/json' */
  readonly contentType?: string;
}

const metricsSource = (m: MetricsSource | undefined) => (m ? { S3Uri: m.s3Uri, ContentType: m.contentType ?? 'application/json' } : undefined);

export interface ModelMetrics {
  readonly modelQualityStatistics?: MetricsSource;
  readonly modelQualityConstraints?: MetricsSource;
  readonly dataQualityStatistics?: MetricsSource;
  readonly dataQualityConstraints?: MetricsSource;
  readonly biasReport?: MetricsSource;
  readonly explainabilityReport?: MetricsSource;
}

function renderModelMetrics(m: ModelMetrics | undefined): Record<string, unknown> | undefined {
  if (!m) return undefined;
  const out = {
    ModelQuality: m.modelQualityStatistics || m.modelQualityConstraints ? { Statistics: metricsSource(m.modelQualityStatistics), Constraints: metricsSource(m.modelQualityConstraints) } : undefined,
    ModelDataQuality: m.dataQualityStatistics || m.dataQualityConstraints ? { Statistics: metricsSource(m.dataQualityStatistics), Constraints: metricsSource(m.dataQualityConstraints) } : undefined,
    Bias: m.biasReport ? { Report: metricsSource(m.biasReport) } : undefined,
    Explainability: m.explainabilityReport ? { Report: metricsSource(m.explainabilityReport) } : undefined,
  };
  return Object.values(out).some((v) => v !== undefined) ? out : undefined;
}

export interface RegisterModelStepProps extends StepProps {
  readonly modelPackageGroupName: string;
  readonly imageUri: string;
  readonly modelDataUrl: PipelineValue;
  /** @default 'PendingManualApproval' */
  readonly approvalStatus?: 'Approved' | 'Rejected' | 'PendingManualApproval';
  readonly contentTypes: readonly string[];
  readonly responseTypes: readonly string[];
  /** @default - none listed */
  readonly inferenceInstanceTypes?: readonly string[];
  /** @default - none listed */
  readonly transformInstanceTypes?: readonly string[];
  /** Metrics shown with the version in the registry. @default - none */
  readonly modelMetrics?: ModelMetrics;
  /** Baselines a drift monitor of the deployed version checks against. @default - none */
  readonly driftCheckBaselines?: ModelMetrics;
  /** Key-value lineage recorded with the version (input data URI and version, execution). @default - none */
  readonly customerMetadata?: Readonly<Record<string, PipelineValue>>;
  /** @default - none */
  readonly modelPackageDescription?: string;
}

/** Registers a model version in a model package group (CreateModelPackage). */
export class RegisterModelStep extends PipelineStep {
  public readonly type = 'RegisterModel';
  constructor(private readonly p: RegisterModelStepProps) {
    super('RegisterModelStep', p);
  }

  protected validate(props: StepProps): ValidationIssue[] {
    const p = props as RegisterModelStepProps;
    const issues: ValidationIssue[] = [];
    for (const [i, t] of (p.inferenceInstanceTypes ?? []).entries()) issues.push(...instanceTypeIssues(`inferenceInstanceTypes[${i}]`, t, 'inference'));
    if (Object.keys(p.customerMetadata ?? {}).length > 50) issues.push({ path: 'customerMetadata', message: 'has too many entries', got: String(Object.keys(p.customerMetadata ?? {}).length), expected: 'at most 50' });
    return issues;
  }

  /** ARN of the registered model package. */
  public get modelPackageArn(): Get {
    return this.property('ModelPackageArn');
  }

  protected renderArguments(): Record<string, unknown> {
    const p = this.p;
    const drift = renderModelMetrics(p.driftCheckBaselines);
    return {
      ModelPackageGroupName: p.modelPackageGroupName,
      ModelPackageDescription: p.modelPackageDescription,
      ModelApprovalStatus: p.approvalStatus ?? 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: p.imageUri, ModelDataUrl: p.modelDataUrl }],
        SupportedContentTypes: [...p.contentTypes],
        SupportedResponseMIMETypes: [...p.responseTypes],
        SupportedRealtimeInferenceInstanceTypes: p.inferenceInstanceTypes && p.inferenceInstanceTypes.length > 0 ? [...p.inferenceInstanceTypes] : undefined,
        SupportedTransformInstanceTypes: p.transformInstanceTypes && p.transformInstanceTypes.length > 0 ? [...p.transformInstanceTypes] : undefined,
      },
      ModelMetrics: renderModelMetrics(p.modelMetrics),
      DriftCheckBaselines: drift ? { ModelDataQuality: drift.ModelDataQuality, ModelQuality: drift.ModelQuality, Bias: drift.Bias ? { PreTrainingConstraints: (drift.Bias as { Report: unknown }).Report } : undefined } : undefined,
      CustomerMetadataProperties: nonEmpty(p.customerMetadata),
    };
  }
}

export interface CreateModelStepProps extends StepProps {
  readonly imageUri: string;
  readonly modelDataUrl: PipelineValue;
  /** @default - none */
  readonly environment?: Readonly<Record<string, PipelineValue>>;
  /** @default true */
  readonly networkIsolation?: boolean;
}

/** Creates a SageMaker model (CreateModel), e.g. for a batch transform. */
export class CreateModelStep extends PipelineStep {
  public readonly type = 'Model';
  constructor(private readonly p: CreateModelStepProps) {
    super('CreateModelStep', p);
  }

  public get modelName(): Get {
    return this.property('ModelName');
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    return {
      ExecutionRoleArn: ctx.roleArn,
      PrimaryContainer: { Image: this.p.imageUri, ModelDataUrl: this.p.modelDataUrl, Environment: nonEmpty(this.p.environment) },
      EnableNetworkIsolation: this.p.networkIsolation ?? true,
      VpcConfig: ctx.vpcConfig,
    };
  }
}

export interface TransformStepProps extends StepProps {
  readonly modelName: PipelineValue;
  readonly input: PipelineValue;
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default 'text/csv' */
  readonly contentType?: string;
  /** @default 'Line' */
  readonly splitType?: 'None' | 'Line' | 'RecordIO' | 'TFRecord';
  /** @default - the pipeline's artifacts bucket, under this execution's prefix */
  readonly outputUri?: PipelineValue;
}

/** A batch transform job (CreateTransformJob): batch inference over an S3 prefix. */
export class TransformStep extends PipelineStep {
  public readonly type = 'Transform';
  constructor(private readonly p: TransformStepProps) {
    super('TransformStep', p);
  }

  protected validate(props: StepProps): ValidationIssue[] {
    const p = props as TransformStepProps;
    return [...instanceTypeIssues('instanceType', p.instanceType, 'inference'), ...positiveInt('instanceCount', p.instanceCount, 1, 100)];
  }

  public get outputUri(): Get {
    return this.property('TransformOutput.S3OutputPath');
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.p;
    return {
      ModelName: p.modelName,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: p.input } }, ContentType: p.contentType ?? 'text/csv', SplitType: p.splitType ?? 'Line' },
      TransformOutput: { S3OutputPath: p.outputUri ?? ctx.outputUri(this.name, 'transform'), KmsKeyId: ctx.kmsKeyArn, AssembleWith: 'Line' },
      TransformResources: { InstanceType: p.instanceType, InstanceCount: p.instanceCount ?? 1, VolumeKmsKeyId: volumeKmsKeyId(p.instanceType, ctx) },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Checks: data/model quality (Model Monitor) and bias/explainability (Clarify)
// ---------------------------------------------------------------------------------------------

interface CheckProps extends StepProps {
  /** @default 'ml.m5.xlarge' */
  readonly instanceType?: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default - the SageMaker-provided analyzer image of the region */
  readonly imageUri?: string;
  /** Group whose latest approved version supplies the baseline to check against. @default - none */
  readonly modelPackageGroupName?: string;
  /**
   * Only compute the baseline, do not check against the previous one: what a first run needs.
   * @default true
   */
  readonly skipCheck?: boolean;
  /** @default true */
  readonly registerNewBaseline?: boolean;
}

export interface QualityCheckStepProps extends CheckProps {
  /** @default 'DATA_QUALITY' */
  readonly checkType?: 'DATA_QUALITY' | 'MODEL_QUALITY';
  /** The data to baseline (S3 prefix). */
  readonly baselineDataset: PipelineValue;
  /** @default { csv: { header: true } } */
  readonly datasetFormat?: { readonly csv: { readonly header: boolean } } | { readonly json: { readonly lines: boolean } };
  /** MODEL_QUALITY: 'BinaryClassification', 'MulticlassClassification' or 'Regression'. */
  readonly problemType?: 'BinaryClassification' | 'MulticlassClassification' | 'Regression';
  /** MODEL_QUALITY: column of the prediction. */
  readonly inferenceAttribute?: string;
  /** MODEL_QUALITY: column of the probability (binary classification). */
  readonly probabilityAttribute?: string;
  /** MODEL_QUALITY: column of the ground truth label. */
  readonly groundTruthAttribute?: string;
}

/** Where a check step writes its baseline, for drift monitors. */
export interface CheckBaseline {
  /** The S3 prefix of the baseline (the same for every execution; the bucket keeps earlier versions). */
  readonly s3Uri: string;
  /** The same prefix as an object key in the pipeline's artifacts bucket, for grants. */
  readonly objectKeyPrefix: string;
  /** constraints.json (QualityCheck) or analysis.json (ClarifyCheck). */
  readonly constraintsUri: string;
  /** statistics.json (QualityCheck only). */
  readonly statisticsUri?: string;
  /** The analysis configuration a ClarifyCheck ran with (ClarifyCheck only). */
  readonly analysisConfigUri?: string;
}

/**
 * A Model Monitor baselining job (QualityCheck): statistics.json and constraints.json of a dataset
 * (DATA_QUALITY) or of predictions against ground truth (MODEL_QUALITY).
 */
export class QualityCheckStep extends PipelineStep {
  public readonly type = 'QualityCheck';
  public readonly checkType: 'DATA_QUALITY' | 'MODEL_QUALITY';
  constructor(private readonly p: QualityCheckStepProps) {
    super('QualityCheckStep', p);
    this.checkType = p.checkType ?? 'DATA_QUALITY';
  }

  protected validate(props: StepProps): ValidationIssue[] {
    const p = props as QualityCheckStepProps;
    const issues = processingIssues({ imageUri: '', instanceType: p.instanceType ?? 'ml.m5.xlarge', instanceCount: p.instanceCount });
    if ((p.checkType ?? 'DATA_QUALITY') === 'MODEL_QUALITY') {
      if (!p.problemType) issues.push({ path: 'problemType', message: 'is required for MODEL_QUALITY', got: 'nothing', expected: "'BinaryClassification', 'MulticlassClassification' or 'Regression'" });
      if (!p.inferenceAttribute) issues.push({ path: 'inferenceAttribute', message: 'is required for MODEL_QUALITY', got: 'nothing', expected: 'the column holding the prediction' });
      if (!p.groundTruthAttribute) issues.push({ path: 'groundTruthAttribute', message: 'is required for MODEL_QUALITY', got: 'nothing', expected: 'the column holding the label' });
    }
    return issues;
  }

  public get calculatedStatistics(): Get { return this.property('CalculatedBaselineStatistics'); }
  public get calculatedConstraints(): Get { return this.property('CalculatedBaselineConstraints'); }
  public get driftCheckStatistics(): Get { return this.property('BaselineUsedForDriftCheckStatistics'); }
  public get driftCheckConstraints(): Get { return this.property('BaselineUsedForDriftCheckConstraints'); }

  protected renderExtra(): Record<string, unknown> {
    return {
      CheckType: this.checkType,
      ModelPackageGroupName: this.p.modelPackageGroupName,
      SkipCheck: this.p.skipCheck ?? true,
      RegisterNewBaseline: this.p.registerNewBaseline ?? true,
    };
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.p;
    const format = p.datasetFormat ?? { csv: { header: true } };
    const datasetFormat = 'csv' in format ? { csv: { header: format.csv.header, output_columns_position: 'START' } } : { json: { lines: format.json.lines } };
    const environment: Record<string, PipelineValue> = {
      dataset_format: JSON.stringify(datasetFormat),
      dataset_source: '/opt/ml/processing/input/baseline_dataset_input',
      output_path: '/opt/ml/processing/output',
      publish_cloudwatch_metrics: 'Disabled',
    };
    if (this.checkType === 'MODEL_QUALITY') {
      Object.assign(environment, { analysis_type: 'MODEL_QUALITY', problem_type: p.problemType!, inference_attribute: p.inferenceAttribute!, ground_truth_attribute: p.groundTruthAttribute! });
      if (p.probabilityAttribute) environment.probability_attribute = p.probabilityAttribute;
    }
    return processingArguments(this.name, {
      imageUri: p.imageUri ?? ctx.analyzerImage('model-monitor', this.name),
      instanceType: p.instanceType ?? 'ml.m5.xlarge',
      instanceCount: p.instanceCount,
      maxRuntimeSeconds: 3600,
      // The analyzer reads only S3 and writes only S3.
      networkIsolation: true,
    },
    [{ name: 'baseline_dataset_input', source: p.baselineDataset, localPath: '/opt/ml/processing/input/baseline_dataset_input' }],
    [{ name: 'quality_check_output', localPath: '/opt/ml/processing/output', destination: ctx.baselineUri(this.name) }],
    { ...ctx, environment: {} }, environment);
  }
}

export interface ClarifyCheckStepProps extends CheckProps {
  readonly checkType: 'DATA_BIAS' | 'MODEL_BIAS' | 'MODEL_EXPLAINABILITY';
  /** S3 URI of the Clarify analysis configuration (analysis_config.json). */
  readonly analysisConfigUri: PipelineValue;
  /** The dataset to analyse (S3 prefix or object). */
  readonly dataset: PipelineValue;
  /** MODEL_BIAS / MODEL_EXPLAINABILITY: the shadow model Clarify queries. @default - none */
  readonly modelName?: PipelineValue;
}

/** A SageMaker Clarify job (ClarifyCheck): a bias or explainability baseline, analysis.json. */
export class ClarifyCheckStep extends PipelineStep {
  public readonly type = 'ClarifyCheck';
  constructor(private readonly p: ClarifyCheckStepProps) {
    super('ClarifyCheckStep', p);
  }

  protected validate(props: StepProps): ValidationIssue[] {
    const p = props as ClarifyCheckStepProps;
    const issues = processingIssues({ imageUri: '', instanceType: p.instanceType ?? 'ml.m5.xlarge', instanceCount: p.instanceCount });
    if (p.checkType !== 'DATA_BIAS' && p.modelName === undefined) issues.push({ path: 'modelName', message: `is required for ${p.checkType}`, got: 'nothing', expected: 'the model Clarify queries' });
    return issues;
  }

  public get checkType() { return this.p.checkType; }
  public get analysisConfigUri() { return this.p.analysisConfigUri; }
  public get calculatedConstraints(): Get { return this.property('CalculatedBaselineConstraints'); }

  protected renderExtra(): Record<string, unknown> {
    return {
      CheckType: this.p.checkType,
      ModelPackageGroupName: this.p.modelPackageGroupName,
      SkipCheck: this.p.skipCheck ?? true,
      RegisterNewBaseline: this.p.registerNewBaseline ?? true,
      ModelName: this.p.modelName,
    };
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.p;
    return processingArguments(this.name, {
      imageUri: p.imageUri ?? ctx.analyzerImage('clarify', this.name),
      instanceType: p.instanceType ?? 'ml.m5.xlarge',
      instanceCount: p.instanceCount,
      maxRuntimeSeconds: 3600,
      // MODEL_* checks call a shadow endpoint of the model.
      networkIsolation: p.checkType === 'DATA_BIAS',
    },
    [
      { name: 'analysis_config', source: p.analysisConfigUri, localPath: '/opt/ml/processing/input/config' },
      { name: 'dataset', source: p.dataset, localPath: '/opt/ml/processing/input/data' },
    ],
    [{ name: 'analysis_result', localPath: '/opt/ml/processing/output', destination: ctx.baselineUri(this.name) }],
    { ...ctx, environment: {} });
  }
}

/** True for values that are expressions (used by the renderer). */
export function isExpression(value: unknown): value is PipelineExpression {
  return value instanceof PipelineExpression;
}
