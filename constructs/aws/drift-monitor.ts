import { createHash } from 'crypto';
import { Annotations, ArnFormat, CfnResource, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { MlopsValidationError, ValidationIssue } from '../../lib/errors';
import { sortedKeysJson } from '../../lib/json';
import { longestIntervalSeconds } from '../../lib/schedule';
import { DriftMonitorSpec, DriftMonitorSpecInput, driftMonitorSpecSchema, MODEL_QUALITY_METRICS } from '../../lib/spec/drift-monitor';
import { Baseline, BaselineConfig, MonitorBaselines } from './baseline';
import { IMlPipeline } from './ml-pipeline';
import { IModelEndpoint, ModelEndpoint } from './model-endpoint';
import { VpcPlacementProps } from './placement';
import { s3BucketArn, s3ObjectArn } from './private/arns';
import { ExecutionRole, WildcardJustification } from './private/execution-role';
import { MonitoringImageKind, monitoringImageRegions, monitoringImageUri } from '../../lib/catalog';
import { newWorkloadSecurityGroup } from './private/network';
import { placementIssues, renderVpcPlacement } from './private/placement';
import { Retraining } from './private/retraining';
import { AccessLogsBucket, allowAlarmPublishing, keyOrNew, SecureBucket } from './security';
import { parseProps, subjectOf } from './private/validation';

/** Namespaces Model Monitor publishes in (dimensions Endpoint and MonitoringSchedule). */
export const DATA_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';
export const MODEL_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/model-metrics';

const SCHEDULE_EXPRESSIONS = { hourly: 'cron(0 * ? * * *)', daily: 'cron(0 0 ? * * *)' } as const;
const INPUT_PATH = '/opt/ml/processing/input/endpoint';
const OUTPUT_PATH = '/opt/ml/processing/output';

// ---------------------------------------------------------------------------------------------
// DriftMonitor
// ---------------------------------------------------------------------------------------------

/** The monitors' spec and their AWS resources; a VPC placement applies to every monitoring job. */
export interface DriftMonitorProps extends DriftMonitorSpecInput, VpcPlacementProps {
  /**
   * The endpoint to watch: a ModelEndpoint, or one imported with
   * `ModelEndpoint.fromEndpointAttributes(scope, id, { endpointName, dataCapture })`. Its data
   * capture must be on: every monitor reads captured requests.
   */
  readonly endpoint: IModelEndpoint;
  /** @default - the spec's `baseline` URIs of each monitor */
  readonly baselines?: MonitorBaselines;
  /**
   * The pipeline that retrains the model. With it, drift (and, with `retraining.onModelQuality`,
   * model-quality) alarms start it, at most once per `retraining.minIntervalHours`.
   * @default - no retraining
   */
  readonly retrainPipeline?: IMlPipeline;
  /** Parameters of the retraining execution. @default - the pipeline's defaults */
  readonly retrainPipelineParameters?: Readonly<Record<string, string>>;
  /** Role the monitoring jobs run as. @default - a new role with exactly what the jobs read and write */
  readonly role?: iam.IRole;
  /** Key of job volumes, reports and the retraining function. @default - a new customer-managed key with rotation */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where alarms and failed-execution notices go. A KMS-encrypted topic must let
   * cloudwatch.amazonaws.com and events.amazonaws.com use its key.
   * @default - the endpoint's alarm topic
   */
  readonly alarmTopic?: sns.ITopic;
  /** @default - a new access log bucket */
  readonly accessLogsBucket?: s3.IBucket;
  /** @default - the region's SageMaker Model Monitor and SageMaker Clarify images */
  readonly imageUris?: { readonly modelMonitor?: string; readonly clarify?: string };
}

/** One monitor: its job definition and schedule. */
export interface Monitor {
  readonly type: 'DataQuality' | 'ModelQuality' | 'ModelBias' | 'ModelExplainability';
  readonly jobDefinition: CfnResource;
  /** Derived from the content: a changed definition gets a new name. */
  readonly jobDefinitionName: string;
  readonly schedule: sagemaker.CfnMonitoringSchedule;
  readonly scheduleName: string;
}

/**
 * SageMaker Model Monitor for a ModelEndpoint: data quality, model quality, bias and
 * explainability monitors (each optional), alarms to SNS on feature drift, model quality and failed
 * executions, and retraining on drift through the model's pipeline, guarded against storms.
 */
export class DriftMonitor extends Construct {
  public readonly spec: DriftMonitorSpec;
  public readonly endpoint: IModelEndpoint;
  public readonly role: iam.IRole;
  public readonly encryptionKey: kms.IKey;
  public readonly reportsBucket: s3.IBucket;
  public readonly alarmTopic: sns.ITopic;
  public readonly monitors: { readonly dataQuality?: Monitor; readonly modelQuality?: Monitor; readonly modelBias?: Monitor; readonly modelExplainability?: Monitor };
  /** Per-feature drift alarms, by feature. */
  public readonly driftAlarms: { readonly [feature: string]: cloudwatch.Alarm };
  /** Model-quality alarms, by metric. */
  public readonly qualityAlarms: { readonly [metric: string]: cloudwatch.Alarm };
  /** Sends each failed monitoring execution (job name, failure reason) to the alarm topic. */
  public readonly failedExecutionRule: events.Rule;
  /** In ALARM while monitoring executions fail (the rule's matched events). */
  public readonly failedExecutionAlarm: cloudwatch.Alarm;
  /**
   * Per monitor, in ALARM when it has produced no result for longer than its schedule allows: no
   * traffic to analyse, failing or stopped runs, a stopped or deleted schedule. See {@link addSilenceAlarms}.
   */
  public readonly silenceAlarms: { readonly [type in Monitor['type']]?: cloudwatch.Alarm };
  /** Set when a retraining pipeline is given. */
  public readonly retraining?: Retraining;

  private readonly execution: ExecutionRole;
  private readonly justifications: WildcardJustification[] = [];

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    const { endpoint, baselines, retrainPipeline, retrainPipelineParameters, role, encryptionKey, alarmTopic, accessLogsBucket, vpc, vpcSubnets, securityGroups, imageUris, ...specInput } = props;
    const spec = parseDriftProps(scope, id, specInput, props);
    super(scope, id);
    this.spec = spec;
    this.endpoint = endpoint;
    this.encryptionKey = keyOrNew(this, 'Key', encryptionKey, `cdk-mlops DriftMonitor ${this.node.path}: job volumes, reports, retraining`);
    this.reportsBucket = this.renderReportsBucket(accessLogsBucket);

    // --- Role ---------------------------------------------------------------------------------
    this.execution = new ExecutionRole(this, 'Role', { role, servicePrincipal: 'sagemaker.amazonaws.com', description: `monitoring jobs of ${this.node.path}` });
    this.role = this.execution.role;
    this.grantJobBasics(endpoint);

    // --- Monitors -----------------------------------------------------------------------------
    const jobs: MonitorJobs = {
      common: this.renderJobCommon(this.renderVpcConfig({ vpc, vpcSubnets, securityGroups })),
      image: (kind) => this.imageUri(kind, imageUris),
      baseline: (monitor, fromSpec) => (baselines?.[monitor] ?? (fromSpec ? Baseline.fromS3(fromSpec) : undefined))?.bind(this, this.execution.grantee),
    };
    this.monitors = {
      dataQuality: spec.dataQuality && this.addDataQualityMonitor(spec.dataQuality, jobs),
      modelQuality: spec.modelQuality && this.addModelQualityMonitor(spec.modelQuality, jobs),
      modelBias: spec.modelBias && this.addModelBiasMonitor(spec.modelBias, jobs),
      modelExplainability: spec.modelExplainability && this.addModelExplainabilityMonitor(spec.modelExplainability, jobs),
    };
    this.execution.justifyWildcards(this.justifications);

    // --- Alarms -------------------------------------------------------------------------------
    // parseDriftProps has checked that an endpoint without a topic comes with alarmTopic.
    this.alarmTopic = alarmTopic ?? endpoint.alarmTopic!;
    allowAlarmPublishing(this, this.alarmTopic);
    const action = new cwActions.SnsAction(this.alarmTopic);
    const period = Duration.hours(spec.schedule === 'hourly' ? 1 : 24);
    this.driftAlarms = this.addDriftAlarms(action, period);
    this.qualityAlarms = this.addQualityAlarms(action, period);
    this.failedExecutionRule = this.addFailedExecutionRule();
    this.failedExecutionAlarm = this.addFailedExecutionAlarm(action, period);
    this.silenceAlarms = this.addSilenceAlarms(action);

    // --- Retraining ---------------------------------------------------------------------------
    const retrainOn = [...Object.values(this.driftAlarms), ...(spec.retraining?.onModelQuality ?? true ? Object.values(this.qualityAlarms) : [])];
    if (retrainPipeline) {
      this.retraining = new Retraining(this, 'Retraining', {
        pipeline: retrainPipeline,
        alarms: retrainOn,
        minInterval: Duration.hours(spec.retraining?.minIntervalHours ?? 24),
        pipelineParameters: retrainPipelineParameters,
        encryptionKey: this.encryptionKey,
      });
    } else if (spec.retraining) {
      Annotations.of(this).addWarningV2('cdk-mlops:retrainingWithoutPipeline', 'retraining is configured but no retrainPipeline was given: drift alarms notify, nothing retrains.');
    }
  }

  private renderReportsBucket(accessLogsBucket: s3.IBucket | undefined): s3.IBucket {
    return new SecureBucket(this, 'ReportsBucket', {
      encryptionKey: this.encryptionKey,
      accessLogs: accessLogsBucket ?? new AccessLogsBucket(this, 'AccessLogs'),
      accessLogsPrefix: 'monitoring-reports/',
      lifecycleRules: [{ id: 'ExpireOldReports', expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) }],
      replicationReason: 'Monitoring reports are regenerated by every scheduled run; versioning and retention protect them in-region.',
    });
  }

  // --- Network ------------------------------------------------------------------------------
  private renderVpcConfig(placementProps: VpcPlacementProps): sagemaker.CfnDataQualityJobDefinition.VpcConfigProperty | undefined {
    const placement = renderVpcPlacement(placementProps, this.execution, (vpc) => newWorkloadSecurityGroup(this, 'SecurityGroup', vpc, `Monitoring jobs of ${this.node.path}`));
    if (!placement) return undefined;
    this.justifications.push({ finding: /^Resource::\*$/, reason: 'The EC2 network-interface actions SageMaker needs to place monitoring jobs in the VPC do not support resource-level permissions.' });
    return { securityGroupIds: placement.securityGroupIds, subnets: placement.subnetIds };
  }

  /** What every monitoring job definition has in common. */
  private renderJobCommon(vpcConfig: sagemaker.CfnDataQualityJobDefinition.VpcConfigProperty | undefined): JobCommon {
    const compute = this.spec.compute;
    return {
      endpointName: this.endpoint.endpointName,
      jobResources: { clusterConfig: { instanceCount: compute.instanceCount, instanceType: compute.instanceType, volumeSizeInGb: compute.volumeSizeGiB, volumeKmsKeyId: this.encryptionKey.keyArn } },
      networkConfig: { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true, vpcConfig },
      stoppingCondition: { maxRuntimeInSeconds: compute.maxRuntimeSeconds },
      roleArn: this.role.roleArn,
    };
  }

  private addDataQualityMonitor(dq: NonNullable<DriftMonitorSpec['dataQuality']>, jobs: MonitorJobs): Monitor {
    const b = jobs.baseline('dataQuality', dq.baseline)!;
    return this.addMonitor('DataQuality', 'DataQuality', (name) => new sagemaker.CfnDataQualityJobDefinition(this, 'DataQualityJob', {
      jobDefinitionName: name,
      ...jobs.common,
      dataQualityAppSpecification: { imageUri: jobs.image('modelMonitor') },
      dataQualityJobInput: { endpointInput: endpointInput(jobs.common.endpointName) },
      dataQualityJobOutputConfig: this.outputConfig('data-quality'),
      dataQualityBaselineConfig: { constraintsResource: { s3Uri: b.constraintsUri }, statisticsResource: b.statisticsUri ? { s3Uri: b.statisticsUri } : undefined },
    }));
  }

  private addModelQualityMonitor(mq: NonNullable<DriftMonitorSpec['modelQuality']>, jobs: MonitorJobs): Monitor {
    const b = jobs.baseline('modelQuality', mq.baseline);
    this.grantReadPrefix(mq.groundTruthUri, 'GroundTruth');
    return this.addMonitor('ModelQuality', 'ModelQuality', (name) => new sagemaker.CfnModelQualityJobDefinition(this, 'ModelQualityJob', {
      jobDefinitionName: name,
      ...jobs.common,
      modelQualityAppSpecification: { imageUri: jobs.image('modelMonitor'), problemType: mq.problemType },
      modelQualityJobInput: {
        endpointInput: {
          ...endpointInput(jobs.common.endpointName),
          inferenceAttribute: mq.inferenceAttribute,
          probabilityAttribute: mq.probabilityAttribute,
          probabilityThresholdAttribute: mq.probabilityThreshold,
        },
        groundTruthS3Input: { s3Uri: mq.groundTruthUri },
      },
      modelQualityJobOutputConfig: this.outputConfig('model-quality'),
      modelQualityBaselineConfig: b ? { constraintsResource: { s3Uri: b.constraintsUri } } : undefined,
    }));
  }

  private addModelBiasMonitor(mb: NonNullable<DriftMonitorSpec['modelBias']>, jobs: MonitorJobs): Monitor {
    const b = jobs.baseline('modelBias', mb.baseline);
    this.grantReadObject(mb.analysisConfigUri);
    this.grantReadPrefix(mb.groundTruthUri, 'BiasGroundTruth');
    return this.addMonitor('ModelBias', 'ModelBias', (name) => new sagemaker.CfnModelBiasJobDefinition(this, 'ModelBiasJob', {
      jobDefinitionName: name,
      ...jobs.common,
      modelBiasAppSpecification: { imageUri: jobs.image('clarify'), configUri: mb.analysisConfigUri },
      modelBiasJobInput: { endpointInput: endpointInput(jobs.common.endpointName), groundTruthS3Input: { s3Uri: mb.groundTruthUri } },
      modelBiasJobOutputConfig: this.outputConfig('model-bias'),
      modelBiasBaselineConfig: b ? { constraintsResource: { s3Uri: b.constraintsUri } } : undefined,
    }));
  }

  private addModelExplainabilityMonitor(me: NonNullable<DriftMonitorSpec['modelExplainability']>, jobs: MonitorJobs): Monitor {
    const b = jobs.baseline('modelExplainability', me.baseline);
    this.grantReadObject(me.analysisConfigUri);
    return this.addMonitor('ModelExplainability', 'ModelExplainability', (name) => new sagemaker.CfnModelExplainabilityJobDefinition(this, 'ModelExplainabilityJob', {
      jobDefinitionName: name,
      ...jobs.common,
      modelExplainabilityAppSpecification: { imageUri: jobs.image('clarify'), configUri: me.analysisConfigUri },
      modelExplainabilityJobInput: { endpointInput: endpointInput(jobs.common.endpointName) },
      modelExplainabilityJobOutputConfig: this.outputConfig('model-explainability'),
      modelExplainabilityBaselineConfig: b ? { constraintsResource: { s3Uri: b.constraintsUri } } : undefined,
    }));
  }

  // --- Alarms -------------------------------------------------------------------------------
  /** One alarm per watched feature, on its distance from the baseline. */
  private addDriftAlarms(action: cwActions.SnsAction, period: Duration): Record<string, cloudwatch.Alarm> {
    const dq = this.spec.dataQuality;
    const alarms: Record<string, cloudwatch.Alarm> = {};
    if (!dq || !this.monitors.dataQuality) return alarms;
    dq.alarmFeatures.forEach((feature, i) => {
      const alarm = new cloudwatch.Alarm(this, `DriftAlarm${i}`, {
        alarmDescription: `Feature '${feature}' of ${this.endpoint.endpointName} drifted from its baseline (distance > ${dq.driftThreshold})`,
        metric: this.metricFeatureDrift(feature, { period }),
        threshold: dq.driftThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms[feature] = alarm;
    });
    return alarms;
  }

  /** One alarm per model-quality threshold, in the direction the metric gets worse. */
  private addQualityAlarms(action: cwActions.SnsAction, period: Duration): Record<string, cloudwatch.Alarm> {
    const mq = this.spec.modelQuality;
    const alarms: Record<string, cloudwatch.Alarm> = {};
    if (!mq || !this.monitors.modelQuality) return alarms;
    const directions = MODEL_QUALITY_METRICS[mq.problemType];
    mq.alarms.forEach((a, i) => {
      const higherIsBetter = directions[a.metric] === 'higher';
      const alarm = new cloudwatch.Alarm(this, `QualityAlarm${i}`, {
        alarmDescription: `Model quality of ${this.endpoint.endpointName}: ${a.metric} ${higherIsBetter ? 'below' : 'above'} ${a.threshold}`,
        metric: this.metricModelQuality(a.metric, { period }),
        threshold: a.threshold,
        comparisonOperator: higherIsBetter ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms[a.metric] = alarm;
    });
    return alarms;
  }

  /**
   * Monitoring executions are processing jobs that carry their schedule's ARN: each failed one is sent to the topic.
   *
   * The event's detail is the DescribeProcessingJob response (developer guide, "Automating SageMaker
   * with EventBridge", "SageMaker processing job state change": every field of its sample is one of
   * DescribeProcessingJob's), and DescribeProcessingJob's MonitoringScheduleArn is "the ARN of a
   * monitoring schedule for an Amazon SageMaker model monitor". AWS shows no sample of a monitoring
   * run's event, so that the field is in it is inferred; test/constructs/aws/fixtures/aws-events.ts
   * holds the documented sample the tests run this rule against.
   */
  private addFailedExecutionRule(): events.Rule {
    const scheduleArns = Object.values(this.monitors).filter((m): m is Monitor => m !== undefined).map((m) => m.schedule.attrMonitoringScheduleArn);
    return new events.Rule(this, 'FailedExecutionRule', {
      description: `Failed monitoring executions of ${this.endpoint.endpointName}`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Processing Job State Change'],
        detail: { ProcessingJobStatus: ['Failed'], MonitoringScheduleArn: scheduleArns },
      },
      targets: [new targets.SnsTopic(this.alarmTopic, {
        message: events.RuleTargetInput.fromText(`Monitoring execution ${events.EventField.fromPath('$.detail.ProcessingJobName')} of schedule ${events.EventField.fromPath('$.detail.MonitoringScheduleArn')} failed: ${events.EventField.fromPath('$.detail.FailureReason')}`),
      })],
    });
  }

  /** The failed-execution rule's matches as an alarm: its state shows on dashboards and turns OK again by itself. */
  private addFailedExecutionAlarm(action: cwActions.SnsAction, period: Duration): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'FailedExecutionAlarm', {
      alarmDescription: `A monitoring execution of ${this.endpoint.endpointName} failed (details in the notice sent to the topic and in /aws/sagemaker/ProcessingJobs)`,
      metric: new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'MatchedEvents', dimensionsMap: { RuleName: this.failedExecutionRule.ruleName }, statistic: 'Sum', period }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }

  /**
   * One alarm per monitor that is in ALARM when its schedule has completed no run for longer than the
   * schedule allows, missing data counting as breaching.
   *
   * Model Monitor publishes nothing when a run has no data (no traffic), fails, or does not start,
   * and its metric names depend on the data (`feature_baseline_drift_<feature>`) or on the Clarify
   * configuration, so the alarm counts what every run that produced a result has in common: the
   * "SageMaker Processing Job State Change" event with status Completed (reports written, also when
   * they hold violations) carrying the schedule's ARN (`MonitoringScheduleArn`, as DescribeProcessingJob
   * returns it), matched by one rule per monitor (`AWS/Events` `MatchedEvents`, dimension `RuleName`).
   *
   * A stopped or deleted schedule (StopMonitoringSchedule, DeleteMonitoringSchedule, the endpoint
   * deleted under it) is covered by the same alarm rather than by a rule on those API calls:
   * EventBridge receives "AWS API Call via CloudTrail" events only from an account trail, which this
   * construct can neither create nor check, and the alarm also sees every other way runs stop (a
   * schedule left `Stopped` or `Failed`, an execution role that lost access). It notices within one
   * window instead of at once, which suits a monitor that runs hourly or daily.
   *
   * The window, in whole hours: the longest gap between two scheduled runs, plus the longest a run
   * may take (`compute.maxRuntimeSeconds`), plus one hour for the start delay and for the alarm's
   * hour-aligned periods. A new monitor is in ALARM until its first run completes.
   */
  private addSilenceAlarms(action: cwActions.SnsAction): Record<string, cloudwatch.Alarm> {
    const windowHours = this.silenceWindowHours();
    const alarms: Record<string, cloudwatch.Alarm> = {};
    for (const monitor of Object.values(this.monitors).filter((m): m is Monitor => m !== undefined)) {
      const scope = new Construct(this, `${monitor.type}Results`);
      const completed = new events.Rule(scope, 'CompletedRule', {
        description: `Completed monitoring executions of ${monitor.scheduleName} (counted by its silence alarm)`,
        eventPattern: {
          source: ['aws.sagemaker'],
          detailType: ['SageMaker Processing Job State Change'],
          detail: { ProcessingJobStatus: ['Completed'], MonitoringScheduleArn: [monitor.schedule.attrMonitoringScheduleArn] },
        },
      });
      const alarm = new cloudwatch.Alarm(scope, 'SilenceAlarm', {
        alarmDescription: `${monitor.type} monitor of ${this.endpoint.endpointName} (schedule ${monitor.scheduleName}) has completed no run in ${windowHours} hours: no captured traffic, failing runs, or the schedule stopped or deleted`,
        metric: new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'MatchedEvents', dimensionsMap: { RuleName: completed.ruleName }, statistic: 'Sum', period: Duration.hours(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: windowHours,
        datapointsToAlarm: windowHours,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms[monitor.type] = alarm;
    }
    return alarms;
  }

  /** Hours without a completed run after which a monitor is silent (see {@link addSilenceAlarms}). */
  private silenceWindowHours(): number {
    const interval = longestIntervalSeconds(SCHEDULE_EXPRESSIONS[this.spec.schedule])!;
    const runtime = this.spec.compute.maxRuntimeSeconds;
    // An unresolved runtime: the longest the schedule accepts (hourly runs end within the hour).
    const longestRun = runtime === undefined || Token.isUnresolved(runtime) ? (this.spec.schedule === 'hourly' ? 3600 : 86400) : runtime;
    return Math.ceil((interval + longestRun) / 3600) + 1;
  }

  /** `feature_baseline_drift_<feature>` of this endpoint's data quality schedule. */
  public metricFeatureDrift(feature: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.monitorMetric(DATA_METRICS_NAMESPACE, `feature_baseline_drift_${feature}`, this.monitors.dataQuality, props);
  }

  /** A model-quality metric (`auc`, `f1`, `rmse`, ...) of this endpoint's model quality schedule. */
  public metricModelQuality(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.monitorMetric(MODEL_METRICS_NAMESPACE, metricName, this.monitors.modelQuality, props);
  }

  private monitorMetric(namespace: string, metricName: string, monitor: Monitor | undefined, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!monitor) {
      const section = namespace === DATA_METRICS_NAMESPACE ? 'dataQuality' : 'modelQuality';
      throw new MlopsValidationError(subjectOf('DriftMonitor', this.node.scope!, this.node.id), [{
        path: section, message: `has no monitor, so it publishes no '${metricName}' metric`, got: 'nothing', expected: `a ${section} section`,
      }]);
    }
    return new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: { Endpoint: this.endpoint.endpointName, MonitoringSchedule: monitor.scheduleName },
      statistic: 'Maximum',
      period: Duration.hours(1),
      ...props,
    });
  }

  private addMonitor(id: string, type: Monitor['type'], create: (name: string) => CfnResource): Monitor {
    const scope = new Construct(this, id);
    // Job definitions cannot be updated: a name that follows the content lets CloudFormation create
    // the new one, point the schedule at it and delete the old one, without a name clash.
    const probe = create('PLACEHOLDER-NAME');
    const body = Stack.of(this).resolve((probe as unknown as { _toCloudFormation(): unknown })._toCloudFormation()) as { Resources: Record<string, { Properties: Record<string, unknown> }> };
    const properties = { ...Object.values(body.Resources)[0].Properties };
    delete properties.JobDefinitionName;
    const hash = createHash('sha256').update(`${type}\n${sortedKeysJson(properties)}`).digest('hex').slice(0, 12);
    const jobDefinitionName = `${Names.uniqueResourceName(scope, { maxLength: 63 - 13, separator: '-' })}-${hash}`;
    probe.addPropertyOverride('JobDefinitionName', jobDefinitionName);
    const scheduleName = Names.uniqueResourceName(scope, { maxLength: 63, separator: '-' });
    const schedule = new sagemaker.CfnMonitoringSchedule(scope, 'Schedule', {
      monitoringScheduleName: scheduleName,
      endpointName: this.endpoint.endpointName,
      monitoringScheduleConfig: {
        monitoringJobDefinitionName: jobDefinitionName,
        monitoringType: type,
        scheduleConfig: { scheduleExpression: SCHEDULE_EXPRESSIONS[this.spec.schedule] },
      },
    });
    // The job definition names the endpoint and the schedule watches it: both come after it (an imported one exists already).
    const endpoint = this.endpoint instanceof ModelEndpoint ? [this.endpoint.cfnEndpoint] : [];
    probe.node.addDependency(...endpoint, ...this.execution.dependable);
    schedule.node.addDependency(probe, ...endpoint);
    return { type, jobDefinition: probe, jobDefinitionName, schedule, scheduleName };
  }

  private outputConfig(prefix: string) {
    return {
      kmsKeyId: this.encryptionKey.keyArn,
      monitoringOutputs: [{ s3Output: { localPath: OUTPUT_PATH, s3Uri: this.reportsBucket.s3UrlForObject(`reports/${prefix}`), s3UploadMode: 'EndOfJob' } }],
    };
  }

  /** What every job needs: captured data, reports, metrics, logs. */
  private grantJobBasics(endpoint: IModelEndpoint): void {
    const x = this.execution;
    // parseDriftProps has checked that the endpoint captures, and where.
    const capture = endpoint.dataCapture!;
    x.addStatements(
      new iam.PolicyStatement({ sid: 'ReadCapturedData', actions: ['s3:GetObject'], resources: [capture.bucket.arnForObjects(`${capture.prefix}/*`)] }),
      new iam.PolicyStatement({ sid: 'ListCapturedData', actions: ['s3:ListBucket'], resources: [capture.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${capture.prefix}/*`] } } }),
      new iam.PolicyStatement({ sid: 'WriteReports', actions: ['s3:PutObject', 's3:GetObject'], resources: [this.reportsBucket.arnForObjects('reports/*')] }),
      new iam.PolicyStatement({ sid: 'ListReports', actions: ['s3:ListBucket'], resources: [this.reportsBucket.bucketArn] }),
      new iam.PolicyStatement({
        sid: 'PublishMonitoringMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': 'aws/sagemaker/Endpoints/*' } },
      }),
      new iam.PolicyStatement({
        sid: 'JobLogs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/ProcessingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    if (capture.encryptionKey) x.allowDecrypt(capture.encryptionKey);
    x.allowEncrypt(this.encryptionKey);
    x.allowDecrypt(this.encryptionKey);
    this.justifications.push(
      { finding: /^Resource::.*\/datacapture\/\*$/, reason: "Monitoring jobs read the endpoint's captured requests, one object per capture batch with generated keys, under the capture prefix only (read-only)." },
      { finding: /^Resource::.*\/reports\/\*$/, reason: 'Monitoring jobs write one report set per run (statistics, constraint violations) under generated run prefixes of the reports prefix.' },
      { finding: /^Resource::\*$/, reason: 'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited by condition to the aws/sagemaker/Endpoints/* namespaces Model Monitor publishes in.' },
      { finding: /^Resource::.*:log-group:\/aws\/sagemaker\/ProcessingJobs:\*$/, reason: 'SageMaker names one log stream per monitoring execution at run time, in the ProcessingJobs log group only.' },
    );
  }

  private grantReadPrefix(uri: string, sid: string): void {
    // `s3://bucket/a/b` or `s3://bucket/a/b/` → objects under `bucket/a/b/`.
    const bucket = s3BucketArn(uri);
    const prefix = s3ObjectArn(`${uri.replace(/\/+$/, '')}/*`);
    if (!bucket || !prefix) return;
    this.execution.addStatements(
      new iam.PolicyStatement({ sid: `Read${sid}`, actions: ['s3:GetObject'], resources: [prefix] }),
      new iam.PolicyStatement({ sid: `List${sid}`, actions: ['s3:ListBucket'], resources: [bucket] }),
    );
    const literal = /^s3:\/\/(.+?)\/?$/.exec(uri)![1];
    this.justifications.push({ finding: new RegExp(`^Resource::arn:.*:s3:::${escape(literal)}/\\*$`), reason: `Ground-truth labels are uploaded as many objects under ${uri}; monitoring jobs read that prefix only.` });
  }

  private grantReadObject(uri: string): void {
    const arn = s3ObjectArn(uri);
    if (arn) this.execution.addStatements(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [arn] }));
  }

  private imageUri(kind: MonitoringImageKind, given: DriftMonitorProps['imageUris']): string {
    const explicit = given?.[kind];
    if (explicit) return explicit;
    const region = Stack.of(this).region;
    const uri = Token.isUnresolved(region) ? undefined : monitoringImageUri(kind, region);
    if (!uri) {
      const name = kind === 'modelMonitor' ? 'SageMaker Model Monitor' : 'SageMaker Clarify';
      throw new MlopsValidationError(subjectOf('DriftMonitor', this.node.scope!, this.node.id), [{
        path: `imageUris.${kind}`,
        message: Token.isUnresolved(region) ? `is required when the stack's region is only known at deploy time (the ${name} image is per region)` : `is required: no ${name} image is known for ${region}`,
        got: 'nothing',
        expected: `the image URI, or a stack in one of ${monitoringImageRegions(kind).join(', ')}`,
      }]);
    }
    return uri;
  }
}

interface JobCommon {
  readonly endpointName: string;
  readonly jobResources: sagemaker.CfnDataQualityJobDefinition.MonitoringResourcesProperty;
  readonly networkConfig: sagemaker.CfnDataQualityJobDefinition.NetworkConfigProperty;
  readonly stoppingCondition: sagemaker.CfnDataQualityJobDefinition.StoppingConditionProperty;
  readonly roleArn: string;
}

/** What the monitor-building methods share: the job definition's common part, the images and the baselines. */
interface MonitorJobs {
  readonly common: JobCommon;
  image(kind: MonitoringImageKind): string;
  baseline(monitor: keyof MonitorBaselines, fromSpec: { constraintsUri: string; statisticsUri?: string } | undefined): BaselineConfig | undefined;
}

function endpointInput(endpointName: string) {
  return { endpointName, localPath: INPUT_PATH, s3InputMode: 'File', s3DataDistributionType: 'FullyReplicated' };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The spec, plus the checks that need the AWS-only props, thrown as one error. */
function parseDriftProps(scope: IConstruct, id: string, specInput: DriftMonitorSpecInput, props: DriftMonitorProps): DriftMonitorSpec {
  const issues: ValidationIssue[] = [];
  const ep = props.endpoint;
  if (ep instanceof ModelEndpoint && !ep.dataCapture) {
    issues.push({
      path: 'endpoint',
      message: `has data capture off: every monitor reads the requests and responses the endpoint captures`,
      got: `endpoint '${ep.node.path}' with dataCapture.enabled false${ep.spec.compute.kind === 'serverless' ? ' (serverless endpoints cannot capture)' : ''}`,
      expected: 'an instance-backed endpoint with dataCapture enabled (the default)',
    });
  } else if (!ep.dataCapture) {
    issues.push({
      path: 'endpoint.dataCapture',
      message: 'is unknown: every monitor reads the requests and responses the endpoint captures',
      got: `imported endpoint '${ep.node.path}' without a data capture location`,
      expected: "ModelEndpoint.fromEndpointAttributes(scope, id, { endpointName, dataCapture: { bucket, prefix, encryptionKey } }) with its capture's DestinationS3Uri and KmsKeyId",
    });
  }
  if (!props.alarmTopic && !ep.alarmTopic) {
    issues.push({ path: 'alarmTopic', message: 'is required: the imported endpoint has no alarm topic to default to', got: 'nothing', expected: 'an SNS topic (or an endpoint imported with its alarmTopic)' });
  }
  const dq = specInput.dataQuality as { baseline?: unknown } | undefined;
  if (dq && dq.baseline === undefined && !props.baselines?.dataQuality) {
    issues.push({ path: 'dataQuality.baseline', message: 'is required: data quality compares captured data with a baseline', got: 'nothing', expected: '{ constraintsUri, statisticsUri }, or baselines.dataQuality (Baseline.fromS3(...))' });
  }
  issues.push(...placementIssues(props));
  for (const [key, uri] of Object.entries(props.imageUris ?? {})) {
    if (uri !== undefined && !Token.isUnresolved(uri) && !/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/.+/.test(uri)) {
      issues.push({ path: `imageUris.${key}`, message: 'is not an ECR image URI', got: `'${uri}'`, expected: "'<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]'" });
    }
  }
  try {
    const spec = parseProps('DriftMonitor', scope, id, driftMonitorSpecSchema, specInput);
    if (issues.length > 0) throw new MlopsValidationError(subjectOf('DriftMonitor', scope, id), issues);
    return spec;
  } catch (e) {
    if (e instanceof MlopsValidationError && issues.length > 0 && e.issues !== issues) throw new MlopsValidationError(e.subject, [...e.issues, ...issues]);
    throw e;
  }
}
