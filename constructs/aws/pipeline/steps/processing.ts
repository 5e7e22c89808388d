/** Processing steps (CreateProcessingJob): data preparation, evaluation, any script in a container. */
import { renderValue, ValidationIssue } from '../../../../lib/errors';
import { DEFAULT_JOB_RUNTIME_SECONDS, MAX_PROCESSING_RUNTIME_SECONDS } from '../../../../lib/spec/pipeline';
import { Get, PipelineValue, PropertyFile } from '../expressions';
import { PipelineStep, StepProps, StepRenderContext } from './base';
import { instanceTypeIssues, nonEmpty, positiveInt, volumeKmsKeyId } from './shared';

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

export interface ProcessingJobProps {
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

export function processingIssues(p: ProcessingJobProps): ValidationIssue[] {
  return [
    ...instanceTypeIssues('instanceType', p.instanceType, 'processing'),
    ...positiveInt('instanceCount', p.instanceCount, 1, 100),
    ...positiveInt('volumeSizeGiB', p.volumeSizeGiB, 1, 16384),
    ...positiveInt('maxRuntimeSeconds', p.maxRuntimeSeconds, 1, MAX_PROCESSING_RUNTIME_SECONDS),
  ];
}

/** The CreateProcessingJob request of a job (ProcessingStep, QualityCheckStep, ClarifyCheckStep). */
export function processingArguments(stepName: string, p: ProcessingJobProps, inputs: readonly ProcessingInput[], outputs: readonly ProcessingOutput[], ctx: StepRenderContext, ownEnvironment: Record<string, PipelineValue> = {}): Record<string, unknown> {
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
    StoppingCondition: { MaxRuntimeInSeconds: p.maxRuntimeSeconds ?? DEFAULT_JOB_RUNTIME_SECONDS },
    Environment: nonEmpty({ ...ctx.environment, ...ownEnvironment, ...p.environment }),
    NetworkConfig: { EnableNetworkIsolation: p.networkIsolation ?? true, EnableInterContainerTrafficEncryption: true, VpcConfig: ctx.vpcConfig },
  };
}

export interface ProcessingStepProps extends StepProps, ProcessingJobProps {
  /** @default - none */
  readonly inputs?: readonly ProcessingInput[];
  /** @default - none */
  readonly outputs?: readonly ProcessingOutput[];
  /** Files among the outputs that later steps read values from (an evaluation report). @default - none */
  readonly propertyFiles?: readonly PropertyFile[];
}

/** A processing job (CreateProcessingJob): data preparation, evaluation, any script in a container. */
export class ProcessingStep extends PipelineStep<ProcessingStepProps> {
  /** Problems with the props, found before the step exists. */
  private static validateProps(p: ProcessingStepProps): ValidationIssue[] {
    const issues = processingIssues(p);
    const outputs = new Set((p.outputs ?? []).map((o) => o.name));
    (p.propertyFiles ?? []).forEach((f, i) => {
      if (!outputs.has(f.outputName)) issues.push({ path: `propertyFiles[${i}].outputName`, message: 'names no output of the step', got: renderValue(f.outputName), expected: outputs.size > 0 ? `one of ${[...outputs].map((o) => `'${o}'`).join(', ')}` : 'an output declared in outputs' });
    });
    return issues;
  }

  public readonly type = 'Processing';

  constructor(props: ProcessingStepProps) {
    super('ProcessingStep', props, ProcessingStep.validateProps(props));
  }

  public get propertyFiles(): readonly PropertyFile[] {
    return this.props.propertyFiles ?? [];
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
    return processingArguments(this.name, this.props, this.props.inputs ?? [], this.props.outputs ?? [], ctx);
  }
}

