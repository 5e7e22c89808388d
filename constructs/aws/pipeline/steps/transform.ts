/**
 * The batch transform step (CreateTransformJob): batch inference over an S3 prefix with a model
 * (a CreateModelStep's, or an existing one by name). The job runs the model's container, with the
 * model's network isolation and VPC; its volume and results are encrypted with the pipeline's key.
 */
import { Token } from 'aws-cdk-lib';
import { renderValue, ValidationIssue } from '../../../../lib/errors';
import { TRANSFORM_MAX_ENVIRONMENT, TRANSFORM_MAX_PAYLOAD_MB } from '../../../../lib/spec';
import { Get, PipelineValue } from '../expressions';
import { PipelineStep, StepProps, StepRenderContext } from './base';
import { instanceTypeIssues, nonEmpty, positiveInt, volumeKmsKeyId } from './shared';

export interface TransformStepProps extends StepProps {
  readonly modelName: PipelineValue;
  /** S3 prefix of the data (S3Prefix: every key starting with it). */
  readonly input: PipelineValue;
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default 'text/csv' */
  readonly contentType?: string;
  /** @default 'Line' */
  readonly splitType?: 'None' | 'Line' | 'RecordIO' | 'TFRecord';
  /** @default 'None' */
  readonly compressionType?: 'None' | 'Gzip';
  /** @default - the pipeline's artifacts bucket, under this execution's prefix */
  readonly outputUri?: PipelineValue;
  /** @default 'Line' */
  readonly assembleWith?: 'None' | 'Line';
  /** @default - the model's default */
  readonly accept?: string;
  /** @default - SageMaker's: MultiRecord */
  readonly batchStrategy?: 'MultiRecord' | 'SingleRecord';
  /** 0 lets SageMaker choose. @default - SageMaker's: 1 */
  readonly maxConcurrentTransforms?: number;
  /** 0-100; 0 for HTTP chunked encoding. @default - SageMaker's: 6 */
  readonly maxPayloadInMB?: number;
  /** Environment of the model container in the job (at most 16). @default - none */
  readonly environment?: Readonly<Record<string, PipelineValue>>;
  /** @default - the whole record in, the result alone out */
  readonly dataProcessing?: { readonly inputFilter?: string; readonly outputFilter?: string; readonly joinSource?: 'None' | 'Input' };
  /** ModelClientConfig.InvocationsTimeoutInSeconds, 1-3600. @default - SageMaker's: 600 */
  readonly invocationTimeoutSeconds?: number;
  /** ModelClientConfig.InvocationsMaxRetries, 0-3. @default - SageMaker's: 3 */
  readonly invocationMaxRetries?: number;
  /** Tags of the transform job. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A batch transform job (CreateTransformJob): batch inference over an S3 prefix. */
export class TransformStep extends PipelineStep<TransformStepProps> {
  /** Problems with the props, found before the step exists (CreateTransformJob's limits). */
  private static validateProps(p: TransformStepProps): ValidationIssue[] {
    const issues = [
      ...instanceTypeIssues('instanceType', p.instanceType, 'inference'),
      ...positiveInt('instanceCount', p.instanceCount, 1, 100),
      ...positiveInt('maxPayloadInMB', p.maxPayloadInMB, 0, TRANSFORM_MAX_PAYLOAD_MB),
      ...positiveInt('maxConcurrentTransforms', p.maxConcurrentTransforms, 0, TRANSFORM_MAX_PAYLOAD_MB),
      ...positiveInt('invocationTimeoutSeconds', p.invocationTimeoutSeconds, 1, 3600),
      ...positiveInt('invocationMaxRetries', p.invocationMaxRetries, 0, 3),
    ];
    const concurrent = p.maxConcurrentTransforms;
    const payload = p.maxPayloadInMB ?? 6;
    if (concurrent !== undefined && !Token.isUnresolved(concurrent) && !Token.isUnresolved(payload) && concurrent * payload > TRANSFORM_MAX_PAYLOAD_MB) {
      issues.push({ path: 'maxConcurrentTransforms', message: `times maxPayloadInMB exceeds SageMaker's ${TRANSFORM_MAX_PAYLOAD_MB} MB`, got: `${concurrent} × ${payload} MB`, expected: `a product of at most ${TRANSFORM_MAX_PAYLOAD_MB} MB` });
    }
    const vars = Object.keys(p.environment ?? {}).length;
    if (vars > TRANSFORM_MAX_ENVIRONMENT) issues.push({ path: 'environment', message: 'has more variables than a transform job takes', got: renderValue(vars), expected: `at most ${TRANSFORM_MAX_ENVIRONMENT}` });
    return issues;
  }

  public readonly type = 'Transform';

  constructor(props: TransformStepProps) {
    super('TransformStep', props, TransformStep.validateProps(props));
  }

  /** Where the results are: `TransformOutput.S3OutputPath` of the job. */
  public get outputUri(): Get {
    return this.property('TransformOutput.S3OutputPath');
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.props;
    const d = p.dataProcessing;
    const client = p.invocationTimeoutSeconds !== undefined || p.invocationMaxRetries !== undefined
      ? { InvocationsTimeoutInSeconds: p.invocationTimeoutSeconds, InvocationsMaxRetries: p.invocationMaxRetries } : undefined;
    return {
      ModelName: p.modelName,
      BatchStrategy: p.batchStrategy,
      MaxConcurrentTransforms: p.maxConcurrentTransforms,
      MaxPayloadInMB: p.maxPayloadInMB,
      ModelClientConfig: client,
      Environment: nonEmpty(p.environment),
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: p.input } },
        ContentType: p.contentType ?? 'text/csv',
        SplitType: p.splitType ?? 'Line',
        CompressionType: p.compressionType,
      },
      TransformOutput: { S3OutputPath: p.outputUri ?? ctx.outputUri(this.name, 'transform'), KmsKeyId: ctx.kmsKeyArn, AssembleWith: p.assembleWith ?? 'Line', Accept: p.accept },
      TransformResources: { InstanceType: p.instanceType, InstanceCount: p.instanceCount ?? 1, VolumeKmsKeyId: volumeKmsKeyId(p.instanceType, ctx) },
      DataProcessing: d && (d.inputFilter !== undefined || d.outputFilter !== undefined || (d.joinSource ?? 'None') !== 'None')
        ? { InputFilter: d.inputFilter, OutputFilter: d.outputFilter, JoinSource: d.joinSource } : undefined,
      Tags: p.tags && Object.keys(p.tags).length > 0 ? Object.entries(p.tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
    };
  }
}
