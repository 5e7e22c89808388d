import { Annotations, Aspects, Aws, Duration, IResource, Lazy, Names, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as path from 'path';
import { Construct } from 'constructs';
import { DEFAULT_PROCESSING_INSTANCE_TYPE } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { MAX_JOB_RUNTIME_SECONDS, PipelineSpec, PipelineSpecInput, pipelineSpecSchema } from '../../lib/spec';
import type { IExperimentTracker } from './experiment-tracker';
import type { ModelCard } from './model-card';
import type { IModelRegistry } from './model-registry';
import { renderPipelineDefinition } from './pipeline/definition';
import { ExecutionVariable, Get, Join, JsonGet, PipelineParameter } from './pipeline/expressions';
import {
  CheckBaseline, ClarifyCheckStep, Condition, ConditionStep, FailStep, PipelineStep, ProcessingStep, QualityCheckStep,
  RegisterModelStep, StepRenderContext, TrainingStep, TuningStep,
} from './pipeline/steps';
import { entryPointIssues } from './pipeline/steps/training';
import { sagemakerArn, sagemakerArnName } from './private/arns';
import { VpcPlacementProps } from './placement';
import { ExecutionRole } from './private/execution-role';
import { monitoringImageRegions, monitoringImageUri } from '../../lib/catalog';
import { allowDistributedPeers, newWorkloadSecurityGroup } from './private/network';
import { addPipelineNewDataRule, addPipelineSchedule, jobEncryptionStatement, PipelineJobType, pipelineJobJustifications, pipelineJobStatements } from './private/pipeline-execution';
import { writeSourceArchive } from './private/source-archive';
import { placementIssues, renderVpcPlacement } from './private/placement';
import { AccessLogsBucket, allowAlarmPublishing, keyOrNew, SecureBucket } from './security';
import { parseProps, physicalNameIssue, subjectOf } from './private/validation';

/**
 * Where a pipeline writes in its artifacts bucket: job outputs (model.tar.gz among them), checkpoints
 * and baselines, under `pipelines/<pipelineName>` (no trailing slash). A registry the pipeline
 * registers into reads its models from here.
 */
export function pipelineOutputKeyPrefix(pipelineName: string): string {
  return `pipelines/${pipelineName}`;
}

/** The default template's QualityCheck step (`dataQualityBaseline: true`): its baseline is what a DriftMonitor compares with. */
export const DATA_QUALITY_BASELINE_STEP = 'DataQualityBaseline';

/**
 * A SageMaker model building pipeline: what other constructs need of one to start it (a
 * DriftMonitor retraining on drift, a schedule, an application).
 */
export interface IMlPipeline extends IResource {
  /** @attribute */
  readonly pipelineName: string;
  /** @attribute */
  readonly pipelineArn: string;
  /** StartPipelineExecution on this pipeline. */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;
  /** Read the pipeline and its executions (DescribePipeline, ListPipelineExecutions, DescribePipelineExecution, ListPipelineExecutionSteps). */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/** What every IMlPipeline implements once, from its name. */
export abstract class MlPipelineBase extends Resource implements IMlPipeline {
  public abstract readonly pipelineName: string;

  public get pipelineArn(): string {
    return sagemakerArn(this, 'pipeline', sagemakerArnName(this.pipelineName));
  }

  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:StartPipelineExecution'], resourceArns: [this.pipelineArn] });
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:DescribePipeline', 'sagemaker:ListPipelineExecutions', 'sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps'],
      // Executions are addressed as `pipeline/<name>/execution/<id>`.
      resourceArns: [this.pipelineArn, `${this.pipelineArn}/execution/*`],
    });
  }

  /** Executions that failed (sum), from the pipeline metrics SageMaker publishes. */
  public metricExecutionFailed(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('ExecutionFailed', { statistic: 'Sum', ...props });
  }

  /** Any metric of the pipeline in AWS/Sagemaker/ModelBuildingPipeline (ExecutionStarted, ExecutionSucceeded, ExecutionDuration, ...). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: PIPELINE_METRICS_NAMESPACE, metricName, dimensionsMap: { PipelineName: this.pipelineName }, period: Duration.minutes(5), ...props });
  }

  /** A rule sending failed or stopped executions to `topic` (SageMaker publishes no notification of its own). */
  protected addFailureRule(topic: sns.ITopic): events.Rule {
    return new events.Rule(this, 'FailedExecutionRule', {
      description: `Failed or stopped executions of ${this.node.path}`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: { pipelineArn: [this.pipelineArn], currentPipelineExecutionStatus: ['Failed', 'Stopped'] },
      },
      targets: [new targets.SnsTopic(topic)],
    });
  }

  /** An alarm to `topic` on any failed execution. */
  protected addFailedExecutionsAlarm(topic: sns.ITopic): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'FailedExecutionsAlarm', {
      alarmDescription: `Executions of pipeline ${this.node.path} failed`,
      metric: this.metricExecutionFailed(),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(topic));
    return alarm;
  }
}

// =============================================================================================
// MlPipeline
// =============================================================================================

/** Namespace SageMaker publishes model building pipeline metrics in. */
const PIPELINE_METRICS_NAMESPACE = 'AWS/Sagemaker/ModelBuildingPipeline';
const EXECUTION_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Status Change';
/** The jobs a pipeline's steps may start: processing (and checks), training, tuning, transform. */
const PIPELINE_JOB_TYPES: readonly PipelineJobType[] = ['processing-job', 'training-job', 'hyper-parameter-tuning-job', 'transform-job'];

/** The pipeline's template spec and steps, and its AWS resources; a VPC placement applies to every job (a new security group allows only HTTPS out, and traffic between the instances of a distributed job). */
export interface MlPipelineProps extends VpcPlacementProps {
  /**
   * The default template: preprocess → train → evaluate → quality gate → register or fail (and a
   * data-quality baseline when asked). Add, replace or remove steps afterwards with addStep,
   * replaceStep and removeStep.
   * @default - no template: the pipeline is made of `steps` and what addStep adds
   */
  readonly spec?: PipelineSpecInput;
  /** Steps of the pipeline (after the template's, if any). @default - none */
  readonly steps?: PipelineStep[];
  /** Parameters beyond those steps read (which are declared by themselves). @default - none */
  readonly parameters?: PipelineParameter[];
  /**
   * Where the template registers models that pass the gate (required with `spec`).
   * @default - none
   */
  readonly registry?: IModelRegistry;
  /** @default - derived from the construct path */
  readonly pipelineName?: string;
  /**
   * Role of the pipeline and of the jobs it starts.
   * @default - a new role with exactly what the steps need
   */
  readonly role?: iam.IRole;
  /**
   * Key for job volumes (where SageMaker allows one: not on instances with local NVMe storage,
   * which is hardware-encrypted), job outputs, the buckets this pipeline creates and its topic.
   * Job outputs include the model artifacts the registry's endpoints load: whoever may decrypt the
   * artifacts bucket must be able to decrypt them.
   * @default - jobs use the artifacts bucket's key, when `artifactsBucket` has one; the input bucket
   * and topic the pipeline creates (and jobs, otherwise) a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where training data lands (versioned: the version of the object that started an execution is
   * recorded with the registered model).
   * @default - a new versioned, KMS-encrypted, access-logged, retained bucket, unless the spec's
   * inputDataUri points elsewhere
   */
  readonly inputBucket?: s3.IBucket;
  /**
   * Where jobs write outputs, model artifacts, checkpoints and baselines (under `pipelines/<name>/`).
   * @default - a new versioned, KMS-encrypted, access-logged, retained bucket
   */
  readonly artifactsBucket?: s3.IBucket;
  /** @default - a new access log bucket, when a bucket is created */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * Told of failed or stopped executions, and of the failed-execution alarm. A KMS-encrypted topic
   * must let events.amazonaws.com and cloudwatch.amazonaws.com use its key.
   * @default - a new topic encrypted with the pipeline's key
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * MLflow tracking server the jobs log to: they get MLFLOW_TRACKING_URI and permission to log.
   * @default - none
   */
  readonly experimentTracker?: IExperimentTracker;
  /**
   * The model's card: every version the template registers carries it, with the execution's
   * training job and the evaluation metric its quality gate passed.
   * @default - versions are registered without a card
   */
  readonly modelCard?: ModelCard;
}

/** A step and where it is (top level, or in a condition's branch). */
function allSteps(steps: readonly PipelineStep[]): PipelineStep[] {
  return steps.flatMap((s) => [s, ...allSteps(s.nestedSteps)]);
}

/** An existing pipeline, by name. */
class ImportedPipeline extends MlPipelineBase {
  constructor(scope: Construct, id: string, public readonly pipelineName: string) {
    super(scope, id);
  }
}

/**
 * A SageMaker model building pipeline from typed steps, rendered at synth (so steps added later
 * count) and checked as a whole: names, references, property files, cycles. Jobs run with a
 * least-privilege role, encrypted volumes and outputs, network isolation and inter-container
 * encryption by default. Optional triggers (a schedule, new data), notifications of failed or
 * stopped executions and an alarm on failed executions.
 */
export class MlPipeline extends MlPipelineBase {
  public static fromPipelineName(scope: Construct, id: string, pipelineName: string): IMlPipeline {
    return new ImportedPipeline(scope, id, pipelineName);
  }

  public readonly pipelineName: string;
  /** The resolved template spec, when built from one. */
  public readonly spec?: PipelineSpec;
  public readonly role: iam.IRole;
  /** The key jobs encrypt their volumes and outputs (model artifacts, baselines) with. */
  public readonly encryptionKey: kms.IKey;
  /** Where training data lands (versioned: an execution records the object version it trained on); none when the spec's inputDataUri points elsewhere. */
  public readonly inputBucket?: s3.IBucket;
  public readonly artifactsBucket: s3.IBucket;
  public readonly notificationTopic: sns.ITopic;
  /** The alarm on failed executions. */
  public readonly failedExecutionsAlarm?: cloudwatch.Alarm;
  /** The rule notifying failed or stopped executions. */
  public readonly failureRule?: events.Rule;
  public readonly schedule?: scheduler.CfnSchedule;
  public readonly newDataRule?: events.CfnRule;
  /** S3 URI of the pipeline's outputs: `s3://<artifacts>/pipelines/<name>`. */
  public readonly outputPrefixUri: string;
  /** The input data parameters of the template: where, and which version. */
  public readonly inputDataUri: PipelineParameter;
  public readonly inputDataVersion: PipelineParameter;
  public readonly inputDataObjectKey: PipelineParameter;
  public readonly cfnPipeline: sagemaker.CfnPipeline;

  /** The key of what the pipeline creates (input bucket, topic), when it needs one. */
  private readonly ownKey?: kms.IKey;
  private readonly stepList: PipelineStep[] = [];
  private readonly parameters: PipelineParameter[];
  private readonly execution: ExecutionRole;
  private readonly vpcConfig?: { SecurityGroupIds: string[]; Subnets: string[] };
  private readonly jobEnvironment: Record<string, string> = {};
  /** The packed source folder of each training entry point, by absolute path. */
  private readonly sourceArchives = new Map<string, s3assets.Asset>();
  private rendered?: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: MlPipelineProps = {}) {
    const spec = parsePipelineProps(scope, id, props);
    super(scope, id);
    this.spec = spec;
    this.pipelineName = props.pipelineName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    ({ ownKey: this.ownKey, jobKey: this.encryptionKey } = this.renderKeys(props));
    const { inputBucket, artifactsBucket } = this.renderBuckets(props);
    this.inputBucket = inputBucket;
    this.artifactsBucket = artifactsBucket;
    this.outputPrefixUri = `s3://${this.artifactsBucket.bucketName}/${this.outputKeyPrefix}`;

    // --- Role ---------------------------------------------------------------------------------
    this.execution = new ExecutionRole(this, 'ExecutionRole', { role: props.role, servicePrincipal: 'sagemaker.amazonaws.com', description: `SageMaker pipeline and job role of ${this.node.path}` });
    this.role = this.execution.role;
    this.grantJobs();

    // --- Network ------------------------------------------------------------------------------
    // Groups passed in get a group of the pipeline's own beside them, letting a distributed job's instances reach each other.
    const securityGroups = props.vpc && props.securityGroups ? [...props.securityGroups, this.newPeersSecurityGroup(props.vpc)] : props.securityGroups;
    const placement = renderVpcPlacement({ ...props, securityGroups }, this.execution, (vpc) => this.newJobSecurityGroup(vpc));
    this.vpcConfig = placement && { SecurityGroupIds: placement.securityGroupIds, Subnets: placement.subnetIds };

    // --- Experiment tracking --------------------------------------------------------------------
    if (props.experimentTracker) {
      this.jobEnvironment.MLFLOW_TRACKING_URI = props.experimentTracker.trackingServerArn;
      props.experimentTracker.grantLog(this.execution.grantee);
    }

    // --- Parameters and steps -----------------------------------------------------------------
    const defaultInput = spec?.inputDataUri ?? (this.inputBucket ? `s3://${this.inputBucket.bucketName}/data/` : '');
    this.inputDataUri = PipelineParameter.string('InputDataUri', defaultInput, 'S3 prefix of the training data');
    this.inputDataVersion = PipelineParameter.string('InputDataVersion', 'unspecified', 'Version of the input object that started the execution (S3 version id), recorded with the model');
    this.inputDataObjectKey = PipelineParameter.string('InputDataObjectKey', 'unspecified', 'Key of the input object that started the execution, recorded with the model');
    this.parameters = [...(props.parameters ?? [])];
    if (spec) {
      this.parameters.unshift(this.inputDataUri, this.inputDataVersion, this.inputDataObjectKey);
      this.stepList.push(...templateSteps(spec, props.registry!, this, props.modelCard));
      if (props.modelCard) this.allowCardEncryption(props.modelCard);
    }
    this.stepList.push(...(props.steps ?? []));
    this.addSourceArchives(this.stepList);
    this.grantData(props.registry);
    this.cfnPipeline = this.renderPipeline();

    // --- Triggers -----------------------------------------------------------------------------
    if (spec?.schedule) this.schedule = this.addSchedule(spec.schedule);
    if (spec?.retrainOnNewData) this.newDataRule = this.addNewDataTrigger(spec.inputDataUri);

    // --- Observability ------------------------------------------------------------------------
    this.notificationTopic = props.notificationTopic ?? this.newTopic();
    allowAlarmPublishing(this, this.notificationTopic);
    if (spec?.failureNotifications ?? true) {
      this.failureRule = this.addFailureRule(this.notificationTopic);
      this.failedExecutionsAlarm = this.addFailedExecutionsAlarm(this.notificationTopic);
    }
    this.justifyRoleWildcards();
  }

  /** SageMaker encrypts a registered version (its card included, SecurityConfig) with the caller's KMS permissions, as it does a card. */
  private allowCardEncryption(card: ModelCard): void {
    this.execution.addStatements(new iam.PolicyStatement({
      sid: 'EncryptRegisteredVersions',
      actions: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:CreateGrant'],
      resources: [card.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sagemaker.${Stack.of(this).region}.amazonaws.com` } },
    }));
  }

  // --- Buckets ------------------------------------------------------------------------------
  /** The input bucket (none when the spec's data is elsewhere or one is given) and the artifacts bucket. */
  /** Data given elsewhere (spec.inputDataUri) needs no input bucket of the pipeline's own. */
  private ownsInput(props: MlPipelineProps): boolean {
    return !props.inputBucket && this.spec?.inputDataUri === undefined;
  }

  /**
   * Jobs write with the artifacts bucket's key: whoever may read the bucket's models can decrypt
   * them. What the pipeline creates (input bucket, topic) keeps a key of its own.
   */
  private renderKeys(props: MlPipelineProps): { ownKey?: kms.IKey; jobKey: kms.IKey } {
    const artifactsKey = props.artifactsBucket?.encryptionKey;
    const needOwnKey = !props.encryptionKey && (this.ownsInput(props) || !artifactsKey || !props.notificationTopic);
    const ownKey = needOwnKey ? keyOrNew(this, 'Key', undefined, `cdk-mlops MlPipeline ${this.node.path}: job volumes, outputs, data`) : props.encryptionKey;
    return { ownKey, jobKey: props.encryptionKey ?? artifactsKey ?? ownKey! };
  }

  private renderBuckets(props: MlPipelineProps): { inputBucket?: s3.IBucket; artifactsBucket: s3.IBucket } {
    const spec = this.spec;
    const ownInput = this.ownsInput(props);
    const needLogs = ownInput || !props.artifactsBucket;
    const logs = needLogs ? (props.accessLogsBucket ?? new AccessLogsBucket(this, 'AccessLogs')) : undefined;
    const nameForLogs = Token.isUnresolved(this.pipelineName) ? 'pipeline' : this.pipelineName;
    const inputBucket = props.inputBucket ?? (ownInput ? new SecureBucket(this, 'InputBucket', {
      encryptionKey: this.ownKey!,
      accessLogs: logs!,
      accessLogsPrefix: `pipeline-input/${nameForLogs}/`,
      replicationReason: 'Training data is versioned and retained in-region; cross-region copies are a data-residency decision left to the data owner.',
    }) : undefined);
    if (ownInput && spec?.retrainOnNewData) (inputBucket as s3.Bucket).enableEventBridgeNotification();
    const artifactsBucket = props.artifactsBucket ?? new SecureBucket(this, 'ArtifactsBucket', {
      encryptionKey: this.encryptionKey,
      accessLogs: logs!,
      accessLogsPrefix: `pipeline-artifacts/${nameForLogs}/`,
      replicationReason: 'Pipeline outputs are reproducible from versioned data and code; versioning and retention protect them in-region.',
    });
    return { inputBucket, artifactsBucket };
  }

  /** What the template and the jobs read: the registry, and the input data. */
  private grantData(registry: IModelRegistry | undefined): void {
    if (registry) {
      registry.grantRegister(this.execution.grantee);
      registry.grantRead(this.execution.grantee);
    }
    const inputAccess = inputReadTarget(this.spec?.inputDataUri, this.inputBucket);
    if (inputAccess) {
      this.execution.addStatements(new iam.PolicyStatement({ sid: 'ReadInputData', actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:GetBucketLocation'], resources: inputAccess.resources }));
      if (inputAccess.ownBucket) this.inputBucket?.encryptionKey?.grantDecrypt(this.execution.grantee);
    }
  }

  /** The CfnPipeline, its definition rendered at synth from the steps then present. */
  private renderPipeline(): sagemaker.CfnPipeline {
    const stack = Stack.of(this);
    const pipeline = new sagemaker.CfnPipeline(this, 'Resource', {
      pipelineName: this.pipelineName,
      pipelineDescription: this.spec?.description,
      roleArn: this.role.roleArn,
      pipelineDefinition: { PipelineDefinitionBody: Lazy.string({ produce: () => stack.toJsonString(this.renderDefinition()) }) },
    });
    pipeline.node.addDependency(...this.execution.dependable);
    // Render (and so validate) before synthesis resolves tokens: a bad pipeline fails with its own
    // MlopsValidationError, not one wrapped in token resolution errors.
    Aspects.of(this).add({ visit: (node) => { if (node === this) this.renderDefinition(); } });
    pipeline.applyRemovalPolicy(RemovalPolicy.DESTROY);
    return pipeline;
  }

  private justifyRoleWildcards(): void {
    this.execution.justifyWildcards([
      ...pipelineJobJustifications(PIPELINE_JOB_TYPES, 'Model steps create models whose names SageMaker Pipelines generates per execution.'),
      { finding: /^Resource::.*\/pipelines\/.*\*$/, reason: "Jobs write outputs, checkpoints and baselines under this pipeline's own prefix of the artifacts bucket, with keys generated per execution." },
      { finding: /^Resource::.*\*$/, reason: 'Jobs read every object of the training data prefix; object keys are not known at deploy time.' },
      { finding: /^Action::s3:(GetObject|List|Abort|DeleteObject|GetBucket|PutObject)\*$/, reason: 'The S3 read/write action groups CDK grants for the artifacts bucket (Get*, List*, Abort*, DeleteObject*).' },
      { finding: /^Action::kms:(GenerateDataKey|ReEncrypt)\*$/, reason: 'KMS data-key actions CDK grants for the buckets\' key, needed to read and write SSE-KMS objects.' },
      { finding: /^Resource::\*$/, reason: 'ecr:GetAuthorizationToken, cloudwatch:PutMetricData (limited by condition to the SageMaker namespaces) and the EC2 network-interface actions of VPC jobs do not support resource-level permissions.' },
      { finding: /^Resource::.*:model-package\/.*\/\*$/, reason: "Registration creates new versions of the registry's own model package group; version numbers are assigned at run time." },
      { finding: /^Resource::.*:mlflow-tracking-server\/.*$/, reason: 'Logging to the tracking server covers its experiments and runs.' },
    ]);
  }

  /** The steps at the top level, in order (the template's first). */
  public get steps(): readonly PipelineStep[] {
    return [...this.stepList];
  }

  /** Adds a step (rendered at synth). */
  public addStep(step: PipelineStep): void {
    this.stepList.push(step);
    this.addSourceArchives([step]);
    this.rendered = undefined;
  }

  /** Replaces the top-level step named `name` by `step` (which may have another name). */
  public replaceStep(name: string, step: PipelineStep): void {
    const i = this.indexOf(name, 'replaceStep');
    this.stepList[i] = step;
    this.addSourceArchives([step]);
    this.rendered = undefined;
  }

  /** Removes the top-level step named `name`; steps still reading it fail the render. */
  public removeStep(name: string): void {
    this.stepList.splice(this.indexOf(name, 'removeStep'), 1);
    this.rendered = undefined;
  }

  /** The step named `name`, anywhere in the pipeline (a condition's branches included). */
  public findStep(name: string): PipelineStep | undefined {
    return allSteps(this.stepList).find((s) => s.name === name);
  }

  /**
   * Where a QualityCheck or ClarifyCheck step writes its baseline: the same S3 prefix for every
   * execution (the bucket is versioned: earlier baselines stay as object versions). A DriftMonitor
   * points its monitoring schedule at these: statistics.json and constraints.json of a
   * QualityCheck, analysis.json (and the analysis configuration) of a ClarifyCheck.
   */
  public checkBaseline(stepName: string): CheckBaseline {
    const step = this.findStep(stepName);
    if (!(step instanceof QualityCheckStep) && !(step instanceof ClarifyCheckStep)) {
      const checks = allSteps(this.stepList).filter((s) => s instanceof QualityCheckStep || s instanceof ClarifyCheckStep).map((s) => `'${s.name}'`);
      throw new MlopsValidationError(subjectOf('MlPipeline', this.node.scope!, this.node.id), [{
        path: 'checkBaseline', message: step ? 'names a step that computes no baseline' : 'names no step of the pipeline', got: renderValue(stepName),
        expected: checks.length > 0 ? `one of ${checks.join(', ')}` : 'the name of a QualityCheckStep or ClarifyCheckStep of the pipeline',
      }]);
    }
    const s3Uri = this.baselineUri(stepName);
    const objectKeyPrefix = `${this.outputKeyPrefix}/baselines/${stepName}`;
    if (step instanceof QualityCheckStep) return { s3Uri, objectKeyPrefix, constraintsUri: `${s3Uri}/constraints.json`, statisticsUri: `${s3Uri}/statistics.json` };
    const config = step.analysisConfigUri;
    return { s3Uri, objectKeyPrefix, constraintsUri: `${s3Uri}/analysis.json`, analysisConfigUri: typeof config === 'string' ? config : undefined };
  }

  /** The pipeline definition (PipelineDefinitionBody) as an object; deploy-time values are tokens. Throws on an invalid pipeline. */
  public renderDefinition(): Record<string, unknown> {
    if (!this.rendered) {
      this.rendered = renderPipelineDefinition(subjectOf('MlPipeline', this.node.scope!, this.node.id), this.stepList, this.parameters, this.renderContext());
    }
    return this.rendered;
  }

  private indexOf(name: string, method: string): number {
    const i = this.stepList.findIndex((s) => s.name === name);
    if (i < 0) {
      throw new MlopsValidationError(subjectOf('MlPipeline', this.node.scope!, this.node.id), [{
        path: method, message: 'names no top-level step of the pipeline', got: renderValue(name), expected: `one of ${this.stepList.map((s) => `'${s.name}'`).join(', ') || 'no step yet'}`,
      }]);
    }
    return i;
  }

  private baselineUri(stepName: string): string {
    return `${this.outputPrefixUri}/baselines/${stepName}`;
  }

  /** Where the pipeline's outputs go in its artifacts bucket. */
  private get outputKeyPrefix(): string {
    return pipelineOutputKeyPrefix(this.pipelineName);
  }

  private renderContext(): StepRenderContext {
    const region = Stack.of(this).region;
    return {
      roleArn: this.role.roleArn,
      kmsKeyArn: this.encryptionKey.keyArn,
      outputUri: (step, output) => Join.on('/', [this.outputPrefixUri, ExecutionVariable.PIPELINE_EXECUTION_ID, step, output]),
      baselineUri: (step) => this.baselineUri(step),
      analyzerImage: (kind, step) => {
        const uri = Token.isUnresolved(region) ? undefined : monitoringImageUri(kind, region);
        if (!uri) {
          throw new MlopsValidationError(subjectOf('MlPipeline', this.node.scope!, this.node.id), [{
            path: `steps.${step}.imageUri`, message: `is needed: cdk-mlops does not know the ${kind === 'modelMonitor' ? 'Model Monitor' : 'Clarify'} analyzer image of this region`, got: Token.isUnresolved(region) ? 'a region known only at deploy time' : renderValue(region),
            expected: `an imageUri, or a stack in one of ${monitoringImageRegions(kind).join(', ')}`,
          }]);
        }
        return uri;
      },
      vpcConfig: this.vpcConfig,
      environment: this.jobEnvironment,
      region,
      sourceArchive: (sourceDir) => {
        const asset = this.sourceArchives.get(sourceDir);
        if (!asset) throw new Error(`internal: the source folder ${sourceDir} was not packed when its step was added`);
        return { s3Uri: asset.s3ObjectUrl, fileName: path.posix.basename(asset.s3ObjectKey) };
      },
    };
  }

  /**
   * Packs the source folder of every training entry point among `steps` (once per folder), as an S3
   * asset the jobs' role may read. Assets must exist before synthesis, so this runs when a step is
   * added, not when the definition is rendered.
   */
  private addSourceArchives(steps: readonly PipelineStep[]): void {
    for (const step of allSteps(steps)) {
      const entryPoint = step instanceof TrainingStep ? step.job.entryPoint : step instanceof TuningStep ? step.training.entryPoint : undefined;
      // A missing folder or script was reported by the step itself.
      if (!entryPoint || entryPointIssues(entryPoint, '').length > 0) continue;
      const dir = path.resolve(entryPoint.sourceDir);
      if (this.sourceArchives.has(dir)) continue;
      const asset = new s3assets.Asset(this, `SourceDir${this.sourceArchives.size}`, { path: writeSourceArchive(dir) });
      // The training toolkit downloads sagemaker_submit_directory with the job's role; a network-isolated job gets it as a channel, read with the same role.
      asset.grantRead(this.execution.grantee);
      this.sourceArchives.set(dir, asset);
    }
  }

  /** ECR repositories of every image in the definition (pulled with the role). */
  private repositoryArns(): string[] {
    const json = JSON.stringify(this.renderDefinition());
    const arns = new Set<string>();
    for (const m of json.matchAll(/(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+?)(?=[:@"])/g)) {
      arns.add(Stack.of(this).formatArn({ service: 'ecr', account: m[1], region: m[2], resource: 'repository', resourceName: m[3] }));
    }
    return [...arns].sort();
  }

  private grantJobs(): void {
    const e = this.execution;
    e.addStatements(
      ...pipelineJobStatements(this, PIPELINE_JOB_TYPES, this.role),
      new iam.PolicyStatement({ sid: 'PullImagesAuth', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'PullImages',
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: Lazy.list({ produce: () => this.repositoryArns() }),
      }),
      jobEncryptionStatement(this.encryptionKey),
    );
    this.artifactsBucket.grantReadWrite(e.grantee, `${pipelineOutputKeyPrefix(this.pipelineName)}/*`);
  }

  private newJobSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = newWorkloadSecurityGroup(this, 'JobSecurityGroup', vpc, `SageMaker jobs of ${this.node.path}`);
    allowDistributedPeers(group);
    return group;
  }

  /**
   * With groups passed in (the platform's shared one, a team's), a distributed job's instances
   * may still be unable to reach each other: this group, added to them, lets members talk to
   * members and nothing else.
   */
  private newPeersSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'JobPeersSecurityGroup', { vpc, description: `Instances of one distributed job of ${this.node.path}`, allowAllOutbound: false });
    allowDistributedPeers(group);
    return group;
  }

  private newTopic(): sns.Topic {
    // SNS display names stop at 100 characters; pipeline names go to 256.
    const name = Token.isUnresolved(this.pipelineName) ? '' : this.pipelineName.length > 80 ? `${this.pipelineName.slice(0, 77)}...` : this.pipelineName;
    return new sns.Topic(this, 'NotificationTopic', { masterKey: this.ownKey, enforceSSL: true, displayName: `Pipeline ${name} executions` });
  }

  /** An EventBridge Scheduler schedule starting the pipeline, with its own role. */
  private addSchedule(expression: string): scheduler.CfnSchedule {
    return addPipelineSchedule(this, { expression, description: `Retrains ${this.node.path}`, parameters: { InputDataVersion: 'scheduled' } });
  }

  /** An EventBridge rule starting the pipeline when an object is created under the input prefix. */
  private addNewDataTrigger(inputDataUri: string | undefined): events.CfnRule {
    const { bucket, prefix } = inputDataUri && !Token.isUnresolved(inputDataUri) ? splitS3Uri(inputDataUri) : { bucket: this.inputBucket!.bucketName, prefix: 'data/' };
    if (inputDataUri) {
      Annotations.of(this).addInfoV2('cdk-mlops:pipelineNewDataBucket', `Retraining on new data needs EventBridge notifications turned on for bucket ${bucket}.`);
    }
    return addPipelineNewDataRule(this, {
      bucket,
      prefix,
      description: `Starts ${this.node.path} when training data arrives`,
      // EventBridge fills these from the event (dynamic path parameters): lineage of the data version.
      parameters: { InputDataObjectKey: '$.detail.object.key', InputDataVersion: '$.detail.object.version-id' },
    });
  }
}

function splitS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)!;
  return { bucket: m[1], prefix: m[2] };
}

/** What the role reads the input data from: the URI given, or the input bucket; nothing when neither is known. */
function inputReadTarget(uri: string | undefined, own: s3.IBucket | undefined): { resources: string[]; ownBucket: boolean } | undefined {
  if (uri !== undefined && !Token.isUnresolved(uri)) {
    const { bucket, prefix } = splitS3Uri(uri);
    const partition = Aws.PARTITION;
    return { resources: [`arn:${partition}:s3:::${bucket}`, `arn:${partition}:s3:::${bucket}/${prefix}*`], ownBucket: false };
  }
  return own ? { resources: [own.bucketArn, own.arnForObjects('data/*')], ownBucket: true } : undefined;
}

/** The spec (if any) and the AWS-only checks, as one error. */
function parsePipelineProps(scope: Construct, id: string, props: MlPipelineProps): PipelineSpec | undefined {
  const issues: ValidationIssue[] = [];
  if (props.spec && !props.registry) issues.push({ path: 'registry', message: 'is required by the template (it registers models that pass the gate)', got: 'nothing', expected: 'an IModelRegistry' });
  const badName = physicalNameIssue('pipelineName', props.pipelineName, 'pipeline');
  if (badName) issues.push(badName);
  issues.push(...placementIssues(props));
  let spec: PipelineSpec | undefined;
  try {
    spec = props.spec ? parseProps('MlPipeline', scope, id, pipelineSpecSchema, props.spec) : undefined;
  } catch (e) {
    if (e instanceof MlopsValidationError && issues.length > 0) throw new MlopsValidationError(e.subject, [...e.issues, ...issues]);
    throw e;
  }
  issues.push(...entryPointIssues(spec?.train.entryPoint, 'spec.train.entryPoint.'));
  if (issues.length > 0) throw new MlopsValidationError(subjectOf('MlPipeline', scope, id), issues);
  return spec;
}

/** The default template: preprocess → [baseline] → train → evaluate → gate → register | fail. */
function templateSteps(spec: PipelineSpec, registry: IModelRegistry, pipeline: MlPipeline, card?: ModelCard): PipelineStep[] {
  const instanceOf = (c: PipelineSpec['train']['compute'] | undefined, fallback: string) => (c && c.kind === 'instance' ? c.instanceType : fallback);
  const processing = (p: PipelineSpec['preprocess']) => ({
    imageUri: p.image,
    entrypoint: p.command,
    arguments: p.arguments,
    instanceType: instanceOf(p.compute, DEFAULT_PROCESSING_INSTANCE_TYPE),
    instanceCount: p.instanceCount,
    volumeSizeGiB: p.volumeSizeGiB,
    maxRuntimeSeconds: p.maxRuntimeSeconds,
    environment: p.environment,
  });
  const preprocess = new ProcessingStep({
    name: 'Preprocess',
    ...processing(spec.preprocess),
    inputs: [{ name: 'input', source: pipeline.inputDataUri, localPath: '/opt/ml/processing/input' }],
    outputs: ['train', 'validation', 'test'].map((o) => ({ name: o, localPath: `/opt/ml/processing/${o}` })),
  });
  const steps: PipelineStep[] = [preprocess];

  let baseline: QualityCheckStep | undefined;
  if (spec.dataQualityBaseline) {
    baseline = new QualityCheckStep({ name: DATA_QUALITY_BASELINE_STEP, checkType: 'DATA_QUALITY', baselineDataset: preprocess.outputUri('train'), modelPackageGroupName: registry.modelPackageGroupName });
    steps.push(baseline);
  }

  const t = spec.train;
  const compute = t.compute as Extract<typeof t.compute, { kind: 'instance' }>;
  const train = new TrainingStep({
    name: 'Train',
    imageUri: t.image,
    instanceType: compute.instanceType,
    instanceCount: t.instanceCount,
    distribution: t.distribution === 'torch' ? { kind: 'torch' }
      : t.distribution === 'mpi' ? { kind: 'mpi', processesPerHost: t.processesPerHost ?? compute.info?.accelerator?.count ?? 1 }
        : { kind: 'none' },
    hyperparameters: t.hyperparameters,
    entryPoint: t.entryPoint,
    containerEntrypoint: t.command,
    containerArguments: t.arguments,
    metricDefinitions: t.metricDefinitions,
    environment: t.environment,
    channels: [
      { name: 'train', source: preprocess.outputUri('train'), distribution: t.dataDistribution },
      { name: 'validation', source: preprocess.outputUri('validation') },
    ],
    spot: t.spot ? { maxWaitSeconds: t.spot.maxWaitSeconds ?? Math.min(2 * t.maxRuntimeSeconds, MAX_JOB_RUNTIME_SECONDS) } : undefined,
    maxRuntimeSeconds: t.maxRuntimeSeconds,
    volumeSizeGiB: t.volumeSizeGiB,
    networkIsolation: t.networkIsolation,
    interContainerEncryption: t.interContainerEncryption,
  });
  steps.push(train);

  const evaluate = new ProcessingStep({
    name: 'Evaluate',
    ...processing(spec.evaluate),
    inputs: [
      { name: 'model', source: train.modelArtifactsUri, localPath: '/opt/ml/processing/model' },
      { name: 'test', source: preprocess.outputUri('test'), localPath: '/opt/ml/processing/test' },
    ],
    outputs: [{ name: 'evaluation', localPath: '/opt/ml/processing/evaluation' }],
    propertyFiles: [{ name: 'EvaluationReport', outputName: 'evaluation', filePath: spec.evaluate.reportFile }],
  });
  steps.push(evaluate);

  const metric = JsonGet.of('Evaluate', 'EvaluationReport', spec.gate.metric);
  const reportUri = Join.on('/', [evaluate.outputUri('evaluation'), spec.evaluate.reportFile]);
  const register = new RegisterModelStep({
    name: 'Register',
    modelPackageGroupName: registry.modelPackageGroupName,
    imageUri: spec.register.image ?? t.image,
    modelDataUrl: train.modelArtifactsUri,
    approvalStatus: spec.register.approvalStatus,
    contentTypes: spec.register.contentTypes,
    responseTypes: spec.register.responseTypes,
    inferenceInstanceTypes: spec.register.inferenceInstanceTypes,
    modelMetrics: {
      modelQualityStatistics: { s3Uri: reportUri },
      dataQualityStatistics: baseline ? { s3Uri: baseline.calculatedStatistics } : undefined,
      dataQualityConstraints: baseline ? { s3Uri: baseline.calculatedConstraints } : undefined,
    },
    driftCheckBaselines: baseline ? { dataQualityStatistics: { s3Uri: baseline.driftCheckStatistics }, dataQualityConstraints: { s3Uri: baseline.driftCheckConstraints } } : undefined,
    customerMetadata: {
      InputDataUri: pipeline.inputDataUri,
      InputDataVersion: pipeline.inputDataVersion,
      InputDataObjectKey: pipeline.inputDataObjectKey,
      PipelineExecutionArn: ExecutionVariable.PIPELINE_EXECUTION_ARN,
      GateMetric: spec.gate.metric,
    },
    modelCard: card?.forRegisteredVersion({
      metricName: spec.gate.metric,
      metricValue: metric,
      evaluationJobArn: Get.step(evaluate.name, 'ProcessingJobArn'),
      reportUri,
      trainingJobArn: Get.step(train.name, 'TrainingJobArn'),
      modelArtifact: train.modelArtifactsUri,
    }),
  });
  const fail = new FailStep({ name: 'QualityGateFailed', errorMessage: `The model did not pass the quality gate: ${spec.gate.metric} ${spec.gate.comparison} ${spec.gate.threshold} does not hold.` });
  const threshold = spec.gate.threshold;
  const condition = spec.gate.comparison === '>=' ? Condition.greaterThanOrEqualTo(metric, threshold)
    : spec.gate.comparison === '>' ? Condition.greaterThan(metric, threshold)
      : spec.gate.comparison === '<=' ? Condition.lessThanOrEqualTo(metric, threshold) : Condition.lessThan(metric, threshold);
  steps.push(new ConditionStep({ name: 'QualityGate', conditions: [condition], ifSteps: [register], elseSteps: [fail] }));
  return steps;
}
