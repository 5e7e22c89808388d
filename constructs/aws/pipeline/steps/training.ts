/** Training steps (CreateTrainingJob): single instance or distributed, on-demand or managed spot. */
import * as fs from 'fs';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import { renderValue, ValidationIssue } from '../../../../lib/errors';
import { DEFAULT_JOB_RUNTIME_SECONDS, MAX_JOB_RUNTIME_SECONDS } from '../../../../lib/spec/pipeline';
import { Get, PipelineValue } from '../expressions';
import { PipelineStep, StepProps, StepRenderContext } from './base';
import { instanceTypeIssues, nonEmpty, positiveInt, volumeKmsKeyId } from './shared';

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


export function trainingIssues(p: TrainingJobProps): ValidationIssue[] {
  const issues = [
    ...instanceTypeIssues('instanceType', p.instanceType, 'training'),
    ...positiveInt('instanceCount', p.instanceCount, 1, 100),
    ...positiveInt('maxRuntimeSeconds', p.maxRuntimeSeconds, 1, MAX_JOB_RUNTIME_SECONDS),
    ...positiveInt('volumeSizeGiB', p.volumeSizeGiB, 1, 16384),
  ];
  const count = p.instanceCount ?? 1;
  if (!Token.isUnresolved(count) && count > 1 && (p.distribution ?? { kind: 'none' }).kind === 'none') {
    issues.push({ path: 'distribution', message: 'must say how to distribute training over several instances', got: `none with instanceCount ${count}`, expected: "{ kind: 'torch' } or { kind: 'mpi', processesPerHost }" });
  }
  if (p.distribution?.kind === 'mpi') issues.push(...positiveInt('distribution.processesPerHost', p.distribution.processesPerHost, 1, 64));
  if (p.spot) {
    const runtime = p.maxRuntimeSeconds ?? DEFAULT_JOB_RUNTIME_SECONDS;
    const wait = p.spot.maxWaitSeconds;
    if (!Token.isUnresolved(wait) && !Token.isUnresolved(runtime) && (!Number.isInteger(wait) || wait < runtime || wait > MAX_JOB_RUNTIME_SECONDS)) {
      issues.push({ path: 'spot.maxWaitSeconds', message: 'must be ≥ maxRuntimeSeconds and at most 28 days', got: renderValue(wait), expected: `a whole number in [${runtime}, ${MAX_JOB_RUNTIME_SECONDS}]` });
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
      // As the SageMaker Python SDK does it (v2.257 estimator.py: code_uri is the archive's full object URI,
      // passed as an S3Prefix channel 'code' by job.py _prepare_channel, and sagemaker_submit_directory is
      // CONTAINER_CODE_CHANNEL_SOURCEDIR_PATH, /opt/ml/input/data/code/sourcedir.tar.gz): the object lands
      // under its own name in the channel folder. The training toolkit (sagemaker_training/files.py
      // download_and_extract) opens a local file that tarfile.is_tarfile accepts, whatever its extension.
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
export function trainingArguments(stepName: string, p: TrainingJobProps, ctx: StepRenderContext, tuning: boolean): Record<string, unknown> {
  const runtime = p.maxRuntimeSeconds ?? DEFAULT_JOB_RUNTIME_SECONDS;
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
export class TrainingStep extends PipelineStep<TrainingStepProps> {
  public readonly type = 'Training';

  constructor(props: TrainingStepProps) {
    super('TrainingStep', props, trainingIssues(props));
  }

  /** The training job's props. */
  public get job(): TrainingJobProps {
    return this.props;
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
    return trainingArguments(this.name, this.props, ctx, false);
  }
}

