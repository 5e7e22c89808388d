/** Model steps: register a model version (CreateModelPackage), create a model (CreateModel). The batch transform step is in ./transform. */
import { ValidationIssue } from '../../../../lib/errors';
import { Get, PipelineValue } from '../expressions';
import { PipelineStep, StepProps, StepRenderContext } from './base';
import { instanceTypeIssues, nonEmpty } from './shared';

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

/** The card registered with a model version (CreateModelPackage's ModelCard). */
export interface ModelPackageCard {
  /** The card's JSON in the model package card schema; a Join when it holds values of the execution (`pipelineJson`). */
  readonly content: PipelineValue;
  /** @default 'Draft' */
  readonly status?: 'Draft' | 'PendingReview' | 'Approved' | 'Archived';
  /**
   * Encrypts the version's information, its card included (CreateModelPackage's SecurityConfig: the
   * card itself has no key of its own). The registering role must be able to use the key through SageMaker.
   * @default - SageMaker's own key
   */
  readonly kmsKeyId?: string;
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
  /** The version's model card (intended uses, risk rating, evaluation), shown with the version in the registry. @default - none */
  readonly modelCard?: ModelPackageCard;
}

/** Registers a model version in a model package group (CreateModelPackage). */
export class RegisterModelStep extends PipelineStep<RegisterModelStepProps> {
  /** Problems with the props, found before the step exists. */
  private static validateProps(p: RegisterModelStepProps): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    for (const [i, t] of (p.inferenceInstanceTypes ?? []).entries()) issues.push(...instanceTypeIssues(`inferenceInstanceTypes[${i}]`, t, 'inference'));
    if (Object.keys(p.customerMetadata ?? {}).length > 50) issues.push({ path: 'customerMetadata', message: 'has too many entries', got: String(Object.keys(p.customerMetadata ?? {}).length), expected: 'at most 50' });
    return issues;
  }

  public readonly type = 'RegisterModel';

  constructor(props: RegisterModelStepProps) {
    super('RegisterModelStep', props, RegisterModelStep.validateProps(props));
  }

  /** ARN of the registered model package. */
  public get modelPackageArn(): Get {
    return this.property('ModelPackageArn');
  }

  protected renderArguments(): Record<string, unknown> {
    const p = this.props;
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
      ModelCard: p.modelCard ? { ModelCardContent: p.modelCard.content, ModelCardStatus: p.modelCard.status ?? 'Draft' } : undefined,
      SecurityConfig: p.modelCard?.kmsKeyId !== undefined ? { KmsKeyId: p.modelCard.kmsKeyId } : undefined,
    };
  }
}

export interface CreateModelStepProps extends StepProps {
  /** The serving image (with `modelDataUrl`). @default - none: `modelPackageName` is required */
  readonly imageUri?: string;
  /** The model artifact the image loads. @default - none (the image carries the model, or a model package is given) */
  readonly modelDataUrl?: PipelineValue;
  /** A model package version (its ARN) whose image and artifact the model runs, instead of `imageUri`. @default - none */
  readonly modelPackageName?: PipelineValue;
  /** @default - none */
  readonly environment?: Readonly<Record<string, PipelineValue>>;
  /** @default true */
  readonly networkIsolation?: boolean;
}

/** Creates a SageMaker model (CreateModel), e.g. for a batch transform. */
export class CreateModelStep extends PipelineStep<CreateModelStepProps> {
  public readonly type = 'Model';
  constructor(props: CreateModelStepProps) {
    const issues: ValidationIssue[] = [];
    if ((props.imageUri === undefined) === (props.modelPackageName === undefined)) {
      issues.push({ path: 'imageUri', message: props.imageUri === undefined ? 'or modelPackageName is required' : 'cannot be combined with modelPackageName', got: props.imageUri === undefined ? 'neither' : 'both', expected: 'exactly one of imageUri (with modelDataUrl) and modelPackageName' });
    } else if (props.modelPackageName !== undefined && props.modelDataUrl !== undefined) {
      issues.push({ path: 'modelDataUrl', message: "cannot be combined with modelPackageName: the package names its artifact", got: 'modelDataUrl and modelPackageName', expected: 'one of them' });
    }
    super('CreateModelStep', props, issues);
  }

  public get modelName(): Get {
    return this.property('ModelName');
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    return {
      ExecutionRoleArn: ctx.roleArn,
      PrimaryContainer: { Image: this.props.imageUri, ModelDataUrl: this.props.modelDataUrl, ModelPackageName: this.props.modelPackageName, Environment: nonEmpty(this.props.environment) },
      EnableNetworkIsolation: this.props.networkIsolation ?? true,
      VpcConfig: ctx.vpcConfig,
    };
  }
}
