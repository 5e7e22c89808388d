/**
 * The typed step model of a SageMaker model building pipeline. Each step renders to the entry the
 * SageMaker Python SDK writes for it (`Name`, `Type`, `Arguments`, ...): the Arguments are the
 * request of the SageMaker API the step calls (CreateProcessingJob, CreateTrainingJob,
 * CreateHyperParameterTuningJob, CreateModel, CreateTransformJob, CreateModelPackage).
 * Steps are plain values: the pipeline that holds them renders them, with its role, key and
 * buckets, and checks names, references and order.
 */
import { Token } from 'aws-cdk-lib';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../../../lib/errors';
import { Get, PipelineValue, PropertyFile } from '../expressions';

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
  /** The container image of a SageMaker-provided analyzer (Model Monitor's or Clarify's) in the pipeline's region. */
  analyzerImage(kind: 'modelMonitor' | 'clarify', stepName: string): string;
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

/** One step of a pipeline, with its props typed as the step declares them. */
export abstract class PipelineStep<P extends StepProps = StepProps> {
  public readonly name: string;
  public readonly dependsOn: readonly string[];
  /** The definition's `Type` of the step. */
  public abstract readonly type: string;
  protected readonly props: P;

  /**
   * @param kind the step's class, named in errors
   * @param issues what the subclass found wrong with its props, checked before `super` (a static
   * check of the props: the subclass's own fields do not exist yet while this constructor runs)
   */
  protected constructor(kind: string, props: P, issues: readonly ValidationIssue[] = []) {
    const all: ValidationIssue[] = [];
    if (!Token.isUnresolved(props.name) && !STEP_NAME.test(props.name)) {
      all.push({ path: 'name', message: 'is not a pipeline step name', got: renderValue(props.name), expected: '1-64 letters, digits, hyphens and underscores' });
    }
    all.push(...issues);
    if (all.length > 0) throw new MlopsValidationError({ kind, id: props.name }, all);
    this.name = props.name;
    this.dependsOn = props.dependsOn ?? [];
    this.props = props;
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

