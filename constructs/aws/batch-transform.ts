/**
 * BatchTransform: scores a dataset in S3 with a model, without an endpoint, as a SageMaker pipeline
 * (create model → transform → optional data-quality check against a baseline) started on a
 * schedule (EventBridge Scheduler) and/or when an object is created under the input prefix
 * (EventBridge rule: that run scores the new object only).
 *
 * What SageMaker does with it at run time:
 * - CreateModel runs with the pipeline's role, which is also the model's: it pulls the image and
 *   reads the artifact (or the model package's), and holds the network isolation and VPC of the
 *   transform job (a transform job takes both from its model).
 * - CreateTransformJob reads every key starting with the input prefix, writes `<object>.out` under
 *   `<output>/<execution id>/` encrypted with the key (TransformOutput.KmsKeyId) and encrypts its
 *   volume with it (TransformResources.VolumeKmsKeyId; not on local-NVMe instance types).
 * - The quality check (a Model Monitor job) computes statistics of the input and compares them with
 *   the supplied baseline; a violation fails the step, the execution fails, and the failure is
 *   notified. Its report goes to `<output>/quality-check/`.
 * - Failed or stopped executions are sent to the notification topic (EventBridge), and an alarm
 *   fires on SageMaker's ExecutionFailed metric.
 * Every execution creates a SageMaker model (pipelines name it per execution); models cost nothing
 * while unused.
 */
import { Annotations, Aws, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { monitoringImageRegions, monitoringImageUri } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { BatchSpec, BatchSpecInput, batchSpecSchema, EXPECTED_RUN_MINUTES_TAG } from '../../lib/spec';
import type { Baseline, BaselineConfig } from './baseline';
import { MlPipelineBase } from './ml-pipeline';
import type { ModelSource } from './model-source';
import { renderPipelineDefinition } from './pipeline/definition';
import { ExecutionVariable, Join, PipelineParameter, PipelineValue } from './pipeline/expressions';
import { CreateModelStep, PipelineStep, QualityCheckStep, StepRenderContext, TransformStep } from './pipeline/steps';
import { VpcPlacementProps } from './placement';
import { ExecutionRole, WildcardJustification } from './private/execution-role';
import { newWorkloadSecurityGroup } from './private/network';
import { NewDataTrigger } from './private/new-data-trigger';
import { placementIssues, renderVpcPlacement } from './private/placement';
import { addPipelineSchedule, jobEncryptionStatement, PipelineJobType, pipelineJobJustifications, pipelineJobStatements } from './private/pipeline-execution';
import { parseProps, physicalNameIssue, subjectOf } from './private/validation';
import { allowAlarmPublishing, keyOrNew } from './security';

/** The steps of a batch pipeline. */
export const BATCH_STEPS = { model: 'CreateModel', transform: 'Transform', qualityCheck: 'InputQualityCheck' } as const;

/** The parameter a run scores: the key (prefix) under the input bucket. */
const INPUT_KEY_PARAMETER = 'InputKey';

export interface BatchTransformProps extends VpcPlacementProps {
  /** The batch section of a model: input, output, schedule, compute, split and assemble settings. */
  readonly spec: BatchSpecInput;
  /** The model that scores: an image (and artifact), or a registry version. */
  readonly source: ModelSource;
  /** @default - derived from the construct path */
  readonly pipelineName?: string;
  /**
   * Key of the transform job's volume and results, and of the quality check's.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Told of failed or stopped runs, and of the failed-run alarm. A KMS-encrypted topic must let
   * events.amazonaws.com and cloudwatch.amazonaws.com use its key.
   * @default - a new topic encrypted with the key
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * The data-quality baseline the input is checked against (required with `spec.qualityCheck`):
   * `Baseline.fromPipelineCheck(pipeline, DATA_QUALITY_BASELINE_STEP)` is the one the model's pipeline computes.
   * @default - none
   */
  readonly qualityBaseline?: Baseline;
  /** @default - a new role with exactly what the steps need */
  readonly role?: iam.IRole;
}

/**
 * Batch transform of a model as a SageMaker pipeline, with a least-privilege role (reads the input
 * prefix, writes the output prefix, uses the key), encrypted volume and results, network isolation
 * by default, triggers and failure notifications.
 */
export class BatchTransform extends MlPipelineBase {
  public readonly pipelineName: string;
  public readonly spec: BatchSpec;
  public readonly role: iam.IRole;
  public readonly encryptionKey: kms.IKey;
  public readonly notificationTopic: sns.ITopic;
  public readonly cfnPipeline: sagemaker.CfnPipeline;
  public readonly schedule?: scheduler.CfnSchedule;
  public readonly newDataRule?: events.CfnRule;
  public readonly failureRule?: events.Rule;
  public readonly failedRunsAlarm?: cloudwatch.Alarm;
  /** The steps, in order: create model, transform, and the quality check when asked. */
  public readonly steps: readonly PipelineStep[];

  private readonly execution: ExecutionRole;
  private readonly input: { bucket: string; key: string } | undefined;
  private readonly justifications: WildcardJustification[] = [];

  constructor(scope: Construct, id: string, props: BatchTransformProps) {
    const spec = parseBatchProps(scope, id, props);
    super(scope, id);
    this.spec = spec;
    this.pipelineName = props.pipelineName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    this.encryptionKey = keyOrNew(this, 'Key', props.encryptionKey, `cdk-mlops BatchTransform ${this.node.path}: transform volumes and results`);
    this.input = Token.isUnresolved(spec.input.s3Uri) ? undefined : splitS3Uri(spec.input.s3Uri);

    this.execution = new ExecutionRole(this, 'ExecutionRole', { role: props.role, servicePrincipal: 'sagemaker.amazonaws.com', description: `SageMaker pipeline, model and transform role of ${this.node.path}` });
    this.role = this.execution.role;
    const placement = renderVpcPlacement(props, this.execution, (vpc) => newWorkloadSecurityGroup(this, 'SecurityGroup', vpc, `Batch transform of ${this.node.path}`));
    const vpcConfig = placement && { SecurityGroupIds: placement.securityGroupIds, Subnets: placement.subnetIds };

    const source = props.source.bind(this, this.execution.grantee);
    this.justifications.push(...source.wildcardJustifications);
    const baseline = spec.qualityCheck ? props.qualityBaseline!.bind(this, this.execution.grantee) : undefined;
    this.grantJobs(Boolean(baseline));
    this.grantData();

    this.steps = this.renderSteps(source.container, baseline);
    this.cfnPipeline = this.renderPipeline(vpcConfig);

    if (spec.schedule) this.schedule = this.addSchedule(spec.schedule);
    if (spec.onNewData) this.newDataRule = this.addNewDataTrigger();

    this.notificationTopic = props.notificationTopic ?? new sns.Topic(this, 'NotificationTopic', { masterKey: this.encryptionKey, enforceSSL: true, displayName: `Batch transform ${this.node.path}` });
    allowAlarmPublishing(this, this.notificationTopic);
    if (spec.failureNotifications) {
      this.failureRule = this.addFailureRule(this.notificationTopic);
      this.failedRunsAlarm = this.addFailedExecutionsAlarm(this.notificationTopic);
    }
    this.justifyWildcards();
  }

  /** The pipeline definition (PipelineDefinitionBody) as an object; deploy-time values are tokens. */
  public renderDefinition(): Record<string, unknown> {
    return this.definition;
  }

  private definition: Record<string, unknown> = {};

  // --- Steps ---------------------------------------------------------------------------------

  /** What a run scores: the prefix (a schedule), or the new object's key (onNewData); the token URI when the bucket is not known. */
  private inputUri(): PipelineValue {
    if (!this.input) return this.spec.input.s3Uri;
    return Join.on('', [`s3://${this.input.bucket}/`, PipelineParameter.string(INPUT_KEY_PARAMETER, this.input.key, 'Key (prefix) under the input bucket to score: the input prefix, or the object that started the run')]);
  }

  private renderSteps(container: sagemaker.CfnModel.ContainerDefinitionProperty, baseline: BaselineConfig | undefined): PipelineStep[] {
    const s = this.spec;
    const compute = s.compute as Extract<typeof s.compute, { kind: 'instance' }>;
    const model = new CreateModelStep({
      name: BATCH_STEPS.model,
      imageUri: container.image,
      modelDataUrl: container.modelDataUrl,
      modelPackageName: container.modelPackageName,
      networkIsolation: s.networkIsolation,
    });
    const input = this.inputUri();
    const transform = new TransformStep({
      name: BATCH_STEPS.transform,
      modelName: model.modelName,
      input,
      contentType: s.input.contentType,
      splitType: s.input.splitType,
      compressionType: s.input.compressionType,
      instanceType: compute.instanceType,
      instanceCount: s.instanceCount,
      outputUri: Join.on('/', [s.output.s3Uri.replace(/\/$/, ''), ExecutionVariable.PIPELINE_EXECUTION_ID]),
      assembleWith: s.output.assembleWith,
      accept: s.output.accept,
      batchStrategy: s.batchStrategy,
      maxConcurrentTransforms: s.maxConcurrentTransforms,
      maxPayloadInMB: s.maxPayloadInMB,
      environment: s.environment,
      dataProcessing: s.dataProcessing,
      invocationTimeoutSeconds: s.invocationTimeoutSeconds,
      invocationMaxRetries: s.invocationMaxRetries,
      tags: { [EXPECTED_RUN_MINUTES_TAG]: String(s.expectedRunMinutes) },
    });
    const steps: PipelineStep[] = [model, transform];
    if (baseline) {
      steps.push(new QualityCheckStep({
        name: BATCH_STEPS.qualityCheck,
        dependsOn: [BATCH_STEPS.transform],
        checkType: 'DATA_QUALITY',
        baselineDataset: input,
        datasetFormat: s.input.contentType === 'text/csv' ? { csv: { header: true } } : { json: { lines: true } },
        skipCheck: false,
        registerNewBaseline: false,
        suppliedBaseline: { constraintsUri: baseline.constraintsUri, statisticsUri: baseline.statisticsUri },
        outputUri: this.qualityCheckUri,
      }));
    }
    return steps;
  }

  /** Where the quality check writes its report (the latest run's; a versioned bucket keeps the others). */
  private get qualityCheckUri(): string {
    return `${this.spec.output.s3Uri.replace(/\/$/, '')}/quality-check`;
  }

  private renderPipeline(vpcConfig: StepRenderContext['vpcConfig']): sagemaker.CfnPipeline {
    const stack = Stack.of(this);
    const subject = subjectOf('BatchTransform', this.node.scope!, this.node.id);
    const region = stack.region;
    const ctx: StepRenderContext = {
      roleArn: this.role.roleArn,
      kmsKeyArn: this.encryptionKey.keyArn,
      outputUri: (step, output) => Join.on('/', [this.spec.output.s3Uri.replace(/\/$/, ''), ExecutionVariable.PIPELINE_EXECUTION_ID, step, output]),
      baselineUri: () => this.qualityCheckUri,
      analyzerImage: (kind, step) => {
        const uri = Token.isUnresolved(region) ? undefined : monitoringImageUri(kind, region);
        if (!uri) {
          throw new MlopsValidationError(subject, [{
            path: 'qualityCheck', message: `needs the Model Monitor analyzer image of the stack's region (step ${step})`, got: Token.isUnresolved(region) ? 'a region known only at deploy time' : renderValue(region),
            expected: `a stack in one of ${monitoringImageRegions(kind).join(', ')}`,
          }]);
        }
        return uri;
      },
      vpcConfig,
      environment: {},
      region,
      sourceArchive: () => {
        throw new Error('internal: a batch transform has no training step');
      },
    };
    this.definition = renderPipelineDefinition(subject, this.steps, [], ctx);
    const pipeline = new sagemaker.CfnPipeline(this, 'Resource', {
      pipelineName: this.pipelineName,
      pipelineDescription: `Batch transform of ${this.node.path}: ${this.steps.map((s) => s.name).join(' → ')}`,
      roleArn: this.role.roleArn,
      pipelineDefinition: { PipelineDefinitionBody: stack.toJsonString(this.definition) },
    });
    pipeline.node.addDependency(...this.execution.dependable);
    pipeline.applyRemovalPolicy(RemovalPolicy.DESTROY);
    return pipeline;
  }

  // --- Permissions -----------------------------------------------------------------------------

  private grantJobs(qualityCheck: boolean): void {
    this.execution.addStatements(
      ...pipelineJobStatements(this, this.jobTypes(qualityCheck), this.role),
      jobEncryptionStatement(this.encryptionKey),
    );
    if (qualityCheck) this.execution.addStatements(new iam.PolicyStatement({ sid: 'PullAnalyzerImageAuth', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  }

  private jobTypes(qualityCheck: boolean): PipelineJobType[] {
    return ['transform-job', ...(qualityCheck ? ['processing-job' as const] : [])];
  }

  /** Reads the input prefix (and decrypts it through S3), writes the output prefix. */
  private grantData(): void {
    const s = this.spec;
    if (!this.input || Token.isUnresolved(s.output.s3Uri)) {
      Annotations.of(this).addWarningV2('cdk-mlops:batchDataAccessUnknown', 'The input or output S3 URI is only known at deploy time: grant the execution role read on the input prefix and write on the output prefix.');
      return;
    }
    const partition = Aws.PARTITION;
    const input = this.input;
    const output = splitS3Uri(s.output.s3Uri);
    const inputBucket = `arn:${partition}:s3:::${input.bucket}`;
    const outputPrefix = output.key === '' || output.key.endsWith('/') ? output.key : `${output.key}/`;
    this.execution.addStatements(
      new iam.PolicyStatement({ sid: 'ListInput', actions: ['s3:ListBucket'], resources: [inputBucket], conditions: { StringLike: { 's3:prefix': [`${input.key}*`] } } }),
      new iam.PolicyStatement({ sid: 'ReadInput', actions: ['s3:GetObject'], resources: [`${inputBucket}/${input.key}*`] }),
      new iam.PolicyStatement({
        sid: 'DecryptInputViaS3',
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [inputBucket, `${inputBucket}/${input.key}*`] },
        },
      }),
      new iam.PolicyStatement({ sid: 'WriteOutput', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [`arn:${partition}:s3:::${output.bucket}/${outputPrefix}*`] }),
    );
  }

  private justifyWildcards(): void {
    this.execution.justifyWildcards([
      ...this.justifications,
      ...pipelineJobJustifications(this.jobTypes(Boolean(this.spec.qualityCheck)), 'The CreateModel step creates a model whose name SageMaker Pipelines generates per execution.'),
      { finding: /^Resource::arn:.*:s3:::.*\*$/, reason: 'A batch run reads every object under the input prefix and writes one result per input object under the output prefix: keys are not known at deploy time.' },
      { finding: /^Resource::\*$/, reason: 'ecr:GetAuthorizationToken, cloudwatch:PutMetricData (limited by condition to the SageMaker namespaces), kms:Decrypt of the input (limited to S3 and the input prefix by kms:ViaService and the encryption context) and the EC2 network-interface actions of VPC jobs.' },
    ]);
  }

  // --- Triggers and notifications ---------------------------------------------------------------

  private addSchedule(expression: string): scheduler.CfnSchedule {
    // The pipeline's defaults: the whole input prefix.
    return addPipelineSchedule(this, { expression, description: `Batch transform ${this.node.path}` });
  }

  /**
   * An EventBridge rule starting a run on the new object when one is created under the input prefix,
   * through a function that turns the event's URL-encoded key back into the object's (see
   * private/new-data-trigger.ts: the rule's own pipeline target would pass the encoded key).
   */
  private addNewDataTrigger(): events.CfnRule {
    // parseBatchProps has checked that the input is known with onNewData.
    const { bucket, key } = this.input!;
    Annotations.of(this).addInfoV2('cdk-mlops:batchNewDataBucket', `Batch transform on new data needs EventBridge notifications turned on for bucket ${bucket}.`);
    const trigger = new NewDataTrigger(this, 'NewData', {
      pipeline: this, inputKeyParameter: INPUT_KEY_PARAMETER, bucket, prefix: key, encryptionKey: this.encryptionKey,
      description: `Starts ${this.pipelineName} on each new object under s3://${bucket}/${key}`,
    });
    trigger.node.addDependency(this.cfnPipeline);
    return trigger.rule.node.defaultChild as events.CfnRule;
  }
}

function splitS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)!;
  return { bucket: m[1], key: m[2] };
}

/** The spec and the AWS-only checks, as one error. */
function parseBatchProps(scope: Construct, id: string, props: BatchTransformProps): BatchSpec {
  const issues: ValidationIssue[] = [...placementIssues(props)];
  const badName = physicalNameIssue('pipelineName', props.pipelineName, 'pipeline');
  if (badName) issues.push(badName);
  let spec: BatchSpec;
  try {
    spec = parseProps('BatchTransform', scope, id, batchSpecSchema, props.spec);
  } catch (e) {
    if (e instanceof MlopsValidationError && issues.length > 0) throw new MlopsValidationError(e.subject, [...e.issues, ...issues]);
    throw e;
  }
  if (spec.qualityCheck && !props.qualityBaseline) {
    issues.push({ path: 'qualityBaseline', message: 'is required by qualityCheck', got: 'nothing', expected: 'a Baseline, e.g. Baseline.fromPipelineCheck(pipeline, DATA_QUALITY_BASELINE_STEP)' });
  }
  if (spec.onNewData && Token.isUnresolved(spec.input.s3Uri)) {
    issues.push({ path: 'input.s3Uri', message: 'must be known at synth time with onNewData: the EventBridge rule matches its bucket and prefix', got: 'a deploy-time value', expected: "a literal S3 URI such as 's3://data-bucket/incoming/'" });
  }
  if (issues.length > 0) throw new MlopsValidationError(subjectOf('BatchTransform', scope, id), issues);
  return spec;
}
