import * as vm from 'vm';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ListPipelineExecutionsCommand, SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { Baseline } from '../../../constructs/aws/baseline';
import { DriftMonitor, DriftMonitorProps } from '../../../constructs/aws/drift-monitor';
import { MlPipelineBase } from '../../../constructs/aws/ml-pipeline';
import { ModelEndpoint } from '../../../constructs/aws/model-endpoint';
import { RETRAIN_GUARD_SOURCE } from '../../../constructs/aws/private/retraining';
import { addCompliancePacks } from '../../../stacks/aws/compliance';
import { atPath, matchesPattern, PROCESSING_JOB_FAILED } from './fixtures/aws-events';
import { actionsOf, endpointProps, expectValidationError, newStack } from './helpers';

/** Test-only import of an existing pipeline by name (MlPipeline.fromPipelineName lands with MlPipeline). */
class TestPipeline extends MlPipelineBase {
  constructor(scope: Construct, id: string, public readonly pipelineName: string) {
    super(scope, id);
  }
}

const DM = "DriftMonitor 'Drift' (Stack/Drift)";
const CPU = { compute: { instanceType: 'ml.m5.large' } };
const DQ = {
  baseline: { constraintsUri: 's3://baselines-bucket/churn/constraints.json', statisticsUri: 's3://baselines-bucket/churn/statistics.json' },
  alarmFeatures: ['tenure_months', 'monthly_charges'],
};
const MQ = { problemType: 'BinaryClassification' as const, groundTruthUri: 's3://ground-truth-bucket/churn/labels', probabilityAttribute: 'score', probabilityThreshold: 0.5 };

function monitor(input: Record<string, unknown>, endpointInput: Record<string, unknown> = CPU, extra: (stack: Stack) => Partial<DriftMonitorProps> = () => ({})): { stack: Stack; endpoint: ModelEndpoint; drift: DriftMonitor } {
  const { stack } = newStack();
  const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps(endpointInput));
  const drift = new DriftMonitor(stack, 'Drift', { endpoint, ...input, ...extra(stack) });
  return { stack, endpoint, drift };
}

const withPipeline = (stack: Stack): Partial<DriftMonitorProps> => ({ retrainPipeline: new TestPipeline(stack, 'Pipeline', 'churn-training') });

describe('DriftMonitor', () => {
  describe('monitors', () => {
    it('creates a data quality job definition and hourly schedule reading the endpoint and its baseline', () => {
      const { stack, endpoint, drift } = monitor({ dataQuality: DQ });
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
        JobDefinitionName: drift.monitors.dataQuality!.jobDefinitionName,
        DataQualityAppSpecification: { ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer' },
        DataQualityJobInput: { EndpointInput: Match.objectLike({ EndpointName: endpoint.endpointName, LocalPath: '/opt/ml/processing/input/endpoint' }) },
        DataQualityBaselineConfig: {
          ConstraintsResource: { S3Uri: DQ.baseline.constraintsUri },
          StatisticsResource: { S3Uri: DQ.baseline.statisticsUri },
        },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      });
      t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', {
        EndpointName: endpoint.endpointName,
        MonitoringScheduleConfig: {
          MonitoringJobDefinitionName: drift.monitors.dataQuality!.jobDefinitionName,
          MonitoringType: 'DataQuality',
          ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        },
      });
    });

    it('monitors an imported endpoint, reading its capture location with its key', () => {
      const { stack } = newStack();
      const endpoint = ModelEndpoint.fromEndpointAttributes(stack, 'Existing', {
        endpointName: 'churn-prod',
        dataCapture: {
          bucket: s3.Bucket.fromBucketName(stack, 'CaptureBucket', 'capture-bucket'),
          prefix: 'capture',
          encryptionKey: kms.Key.fromKeyArn(stack, 'CaptureKey', 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555'),
        },
      });
      const alarmTopic = sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:us-east-1:123456789012:alarms');
      new DriftMonitor(stack, 'Drift', { endpoint, dataQuality: DQ, alarmTopic });
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', { EndpointName: 'churn-prod' });
      t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', { DataQualityJobInput: { EndpointInput: Match.objectLike({ EndpointName: 'churn-prod' }) } });
      const statements = Object.values(t.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement);
      expect(statements).toEqual(expect.arrayContaining([
        expect.objectContaining({ Sid: 'ReadCapturedData', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::capture-bucket/capture/*']] } }),
        expect.objectContaining({ Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555' }),
      ]));
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:us-east-1:123456789012:alarms'] });
    });

    it('rejects an imported endpoint whose capture location and alarm topic are unknown, saying how to import it', () => {
      expectValidationError(() => {
        const { stack } = newStack();
        new DriftMonitor(stack, 'Drift', { endpoint: ModelEndpoint.fromEndpointName(stack, 'Existing', 'churn-prod'), dataQuality: DQ });
      }, DM, { path: 'endpoint.dataCapture', message: 'is unknown', expected: 'ModelEndpoint.fromEndpointAttributes' }, { path: 'alarmTopic', message: 'is required' });
    });

    it('creates a model quality monitor with ground truth and problem type', () => {
      const t = Template.fromStack(monitor({ modelQuality: MQ }).stack);
      t.hasResourceProperties('AWS::SageMaker::ModelQualityJobDefinition', {
        ModelQualityAppSpecification: { ImageUri: Match.stringLikeRegexp('sagemaker-model-monitor-analyzer$'), ProblemType: 'BinaryClassification' },
        ModelQualityJobInput: {
          EndpointInput: Match.objectLike({ ProbabilityAttribute: 'score', ProbabilityThresholdAttribute: 0.5 }),
          GroundTruthS3Input: { S3Uri: MQ.groundTruthUri },
        },
      });
      t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', { MonitoringScheduleConfig: Match.objectLike({ MonitoringType: 'ModelQuality' }) });
    });

    it('creates bias and explainability monitors with the Clarify image and analysis configuration', () => {
      const t = Template.fromStack(monitor({
        modelBias: { analysisConfigUri: 's3://clarify-bucket/churn/bias/analysis_config.json', groundTruthUri: 's3://ground-truth-bucket/churn/labels' },
        modelExplainability: { analysisConfigUri: 's3://clarify-bucket/churn/shap/analysis_config.json' },
      }).stack);
      t.hasResourceProperties('AWS::SageMaker::ModelBiasJobDefinition', {
        ModelBiasAppSpecification: { ImageUri: '205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0', ConfigUri: 's3://clarify-bucket/churn/bias/analysis_config.json' },
        ModelBiasJobInput: Match.objectLike({ GroundTruthS3Input: { S3Uri: 's3://ground-truth-bucket/churn/labels' } }),
      });
      t.hasResourceProperties('AWS::SageMaker::ModelExplainabilityJobDefinition', {
        ModelExplainabilityAppSpecification: Match.objectLike({ ConfigUri: 's3://clarify-bucket/churn/shap/analysis_config.json' }),
      });
      for (const type of ['ModelBias', 'ModelExplainability']) {
        t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', { MonitoringScheduleConfig: Match.objectLike({ MonitoringType: type }) });
      }
    });

    it('takes a baseline object, which a pipeline check step can provide the same way', () => {
      const baseline = Baseline.fromS3({ constraintsUri: 's3://pipeline-bucket/checks/constraints.json', statisticsUri: 's3://pipeline-bucket/checks/statistics.json' });
      const { stack } = monitor({ dataQuality: { alarmFeatures: ['tenure_months'] } }, CPU, () => ({ baselines: { dataQuality: baseline } }));
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
        DataQualityBaselineConfig: { ConstraintsResource: { S3Uri: 's3://pipeline-bucket/checks/constraints.json' }, StatisticsResource: { S3Uri: 's3://pipeline-bucket/checks/statistics.json' } },
      });
    });

    it('runs daily with a longer default runtime when asked', () => {
      const t = Template.fromStack(monitor({ dataQuality: DQ, schedule: 'daily' }).stack);
      t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', { MonitoringScheduleConfig: Match.objectLike({ ScheduleConfig: { ScheduleExpression: 'cron(0 0 ? * * *)' } }) });
      t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', { StoppingCondition: { MaxRuntimeInSeconds: 7200 } });
    });
  });

  describe('security', () => {
    it('encrypts volumes and outputs with the monitor key, isolates the network and encrypts inter-container traffic', () => {
      const { stack, drift } = monitor({ dataQuality: DQ, modelQuality: MQ });
      const t = Template.fromStack(stack);
      const key = stack.resolve(drift.encryptionKey.keyArn);
      for (const [type, output] of [['AWS::SageMaker::DataQualityJobDefinition', 'DataQualityJobOutputConfig'], ['AWS::SageMaker::ModelQualityJobDefinition', 'ModelQualityJobOutputConfig']]) {
        t.hasResourceProperties(type, {
          JobResources: { ClusterConfig: Match.objectLike({ VolumeKmsKeyId: key, InstanceType: 'ml.m5.xlarge' }) },
          NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true },
          [output]: Match.objectLike({ KmsKeyId: key }),
        });
      }
    });

    it('places jobs in a VPC when given one', () => {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps(CPU));
      new DriftMonitor(stack, 'Drift', { endpoint, dataQuality: DQ, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
        NetworkConfig: Match.objectLike({ VpcConfig: { SecurityGroupIds: Match.anyValue(), Subnets: Match.anyValue() } }),
      });
    });

    it("gives the job role read on captured data and baselines, write on reports, and no action wildcard", () => {
      const t = Template.fromStack(monitor({ dataQuality: DQ }).stack);
      const policies = Object.values(t.findResources('AWS::IAM::ManagedPolicy')).map((p) => JSON.stringify(p));
      const role = policies.find((p) => p.includes('ReadCapturedData'))!;
      expect(role).toContain('datacapture/*');
      expect(role).toContain('arn:');
      expect(role).toContain('baselines-bucket/churn/constraints.json');
      expect(role).toContain('reports/*');
      expect(role).not.toMatch(/"Action":"\*"|FullAccess/);
    });

    it('limits PutMetricData to the Model Monitor namespaces', () => {
      const t = Template.fromStack(monitor({ dataQuality: DQ }).stack);
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:PutMetricData', Condition: { StringLike: { 'cloudwatch:namespace': 'aws/sagemaker/Endpoints/*' } } })]) },
      });
    });
  });

  describe('immutable job definitions', () => {
    it('names job definitions after a hash of their content: same content, same name', () => {
      const a = monitor({ dataQuality: DQ }).drift.monitors.dataQuality!;
      const b = monitor({ dataQuality: DQ }).drift.monitors.dataQuality!;
      expect(a.jobDefinitionName).toBe(b.jobDefinitionName);
      expect(a.jobDefinitionName).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    });

    it('gives a changed job definition a new name but keeps the schedule name and logical ids', () => {
      const a = monitor({ dataQuality: DQ });
      const b = monitor({ dataQuality: DQ, compute: { instanceType: 'ml.m5.2xlarge' } });
      expect(b.drift.monitors.dataQuality!.jobDefinitionName).not.toBe(a.drift.monitors.dataQuality!.jobDefinitionName);
      expect(b.drift.monitors.dataQuality!.scheduleName).toBe(a.drift.monitors.dataQuality!.scheduleName);
      expect(b.stack.getLogicalId(b.drift.monitors.dataQuality!.schedule)).toBe(a.stack.getLogicalId(a.drift.monitors.dataQuality!.schedule));
      const baselineChanged = monitor({ dataQuality: { ...DQ, baseline: { ...DQ.baseline, constraintsUri: 's3://baselines-bucket/churn/v2/constraints.json' } } });
      expect(baselineChanged.drift.monitors.dataQuality!.jobDefinitionName).not.toBe(a.drift.monitors.dataQuality!.jobDefinitionName);
    });
  });

  describe('ordering', () => {
    it('creates job definitions and schedules after the endpoint they watch', () => {
      const { stack, endpoint, drift } = monitor({ dataQuality: DQ, modelQuality: MQ });
      const t = Template.fromStack(stack).toJSON();
      const endpointId = stack.getLogicalId(endpoint.cfnEndpoint);
      for (const m of [drift.monitors.dataQuality!, drift.monitors.modelQuality!]) {
        const schedule = t.Resources[stack.getLogicalId(m.schedule)];
        expect(schedule.DependsOn).toEqual(expect.arrayContaining([endpointId, stack.getLogicalId(m.jobDefinition)]));
        expect(t.Resources[stack.getLogicalId(m.jobDefinition)].DependsOn).toEqual(expect.arrayContaining([endpointId]));
      }
    });
  });

  describe('alarms', () => {
    it('alarms to SNS on feature_baseline_drift_<feature> in aws/sagemaker/Endpoints/data-metrics', () => {
      const { stack, endpoint, drift } = monitor({ dataQuality: DQ });
      const t = Template.fromStack(stack);
      t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'aws/sagemaker/Endpoints/data-metrics' }, 2);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'aws/sagemaker/Endpoints/data-metrics',
        MetricName: 'feature_baseline_drift_tenure_months',
        Dimensions: Match.arrayWith([{ Name: 'Endpoint', Value: endpoint.endpointName }, { Name: 'MonitoringSchedule', Value: drift.monitors.dataQuality!.scheduleName }]),
        Threshold: 0.1,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [stack.resolve(endpoint.alarmTopic.topicArn)],
      });
    });

    it('alarms on model-quality metrics in the bad direction, with defaults per problem type', () => {
      const t = Template.fromStack(monitor({ modelQuality: MQ }).stack);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'aws/sagemaker/Endpoints/model-metrics', MetricName: 'auc', Threshold: 0.7, ComparisonOperator: 'LessThanThreshold' });
      const reg = Template.fromStack(monitor({ modelQuality: { problemType: 'Regression', groundTruthUri: MQ.groundTruthUri, alarms: [{ metric: 'rmse', threshold: 12 }] } }).stack);
      reg.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'aws/sagemaker/Endpoints/model-metrics', MetricName: 'rmse', Threshold: 12, ComparisonOperator: 'GreaterThanThreshold' });
    });

    it('sends failed monitoring executions of its schedules to the alarm topic', () => {
      const { stack, drift, endpoint } = monitor({ dataQuality: DQ });
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          'source': ['aws.sagemaker'],
          'detail-type': ['SageMaker Processing Job State Change'],
          'detail': { ProcessingJobStatus: ['Failed'], MonitoringScheduleArn: [stack.resolve(drift.monitors.dataQuality!.schedule.attrMonitoringScheduleArn)] },
        },
        Targets: [Match.objectLike({ Arn: stack.resolve(endpoint.alarmTopic.topicArn) })],
      });
      Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Events',
        MetricName: 'MatchedEvents',
        Dimensions: [{ Name: 'RuleName', Value: stack.resolve(drift.failedExecutionRule.ruleName) }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmActions: [stack.resolve(endpoint.alarmTopic.topicArn)],
      });
    });
  });

  it("matches the processing job state change event as AWS documents it, by the schedule's ARN the event's DescribeProcessingJob detail carries", () => {
    const { stack, drift } = monitor({ dataQuality: DQ });
    const rule = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(drift.failedExecutionRule.node.defaultChild as CfnResource)].Properties;
    const scheduleArn = stack.resolve(drift.monitors.dataQuality!.schedule.attrMonitoringScheduleArn);
    // The documented sample is a job no schedule started: not one of this monitor's runs.
    expect(matchesPattern(rule.EventPattern, PROCESSING_JOB_FAILED)).toBe(false);
    // The same event of a run of this monitor's schedule (DescribeProcessingJob's MonitoringScheduleArn).
    const run = { ...PROCESSING_JOB_FAILED, detail: { ...PROCESSING_JOB_FAILED.detail, MonitoringScheduleArn: scheduleArn } };
    expect(matchesPattern(rule.EventPattern, run)).toBe(true);
    expect(matchesPattern(rule.EventPattern, { ...run, detail: { ...run.detail, ProcessingJobStatus: 'Completed' } })).toBe(false);
    // Every field the notice reads is in the documented event.
    const paths = Object.values(rule.Targets[0].InputTransformer.InputPathsMap as Record<string, string>);
    expect(paths).toEqual(expect.arrayContaining(['$.detail.ProcessingJobName', '$.detail.FailureReason', '$.detail.MonitoringScheduleArn']));
    for (const p of paths) expect(atPath(run, p)).toBeDefined();
    expect(atPath(PROCESSING_JOB_FAILED, '$.detail.FailureReason')).toMatch(/InternalServerError/);
  });

  describe('silent monitors', () => {
    /** The silence alarm of one monitor, with the rule whose matches it counts. */
    function silence(stack: Stack, drift: DriftMonitor, type: 'DataQuality' | 'ModelQuality') {
      const resources = Template.fromStack(stack).toJSON().Resources;
      const alarm = resources[stack.getLogicalId(drift.silenceAlarms[type]!.node.defaultChild as CfnResource)].Properties;
      const rule = resources[alarm.Dimensions[0].Value.Ref];
      expect(rule.Type).toBe('AWS::Events::Rule');
      return { alarm, rule: rule.Properties };
    }

    it('alarms per monitor when no run completed for longer than the hourly schedule and its runtime, missing data breaching', () => {
      const { stack, drift, endpoint } = monitor({ dataQuality: DQ, modelQuality: MQ });
      for (const type of ['DataQuality', 'ModelQuality'] as const) {
        const { alarm, rule } = silence(stack, drift, type);
        expect(rule.EventPattern).toEqual({
          'source': ['aws.sagemaker'],
          'detail-type': ['SageMaker Processing Job State Change'],
          'detail': { ProcessingJobStatus: ['Completed'], MonitoringScheduleArn: [stack.resolve(drift.monitors[type === 'DataQuality' ? 'dataQuality' : 'modelQuality']!.schedule.attrMonitoringScheduleArn)] },
        });
        expect(alarm).toMatchObject({ Namespace: 'AWS/Events', MetricName: 'MatchedEvents', Statistic: 'Sum', ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching' });
        // Every one of the window's periods must be empty: one completed run anywhere in it keeps the alarm OK.
        expect(alarm.DatapointsToAlarm).toBe(alarm.EvaluationPeriods);
        // The window covers the hourly interval plus the longest run (3600 s), within CloudWatch's 7 days.
        expect(alarm.Period * alarm.EvaluationPeriods).toBeGreaterThanOrEqual(3600 + 3600);
        expect(alarm.Period * alarm.EvaluationPeriods).toBeLessThanOrEqual(7 * 86400);
        expect(alarm.AlarmActions).toEqual([stack.resolve(endpoint.alarmTopic.topicArn)]);
        expect(alarm.OKActions).toEqual([stack.resolve(endpoint.alarmTopic.topicArn)]);
      }
      expect(silence(stack, drift, 'DataQuality').alarm.Dimensions).not.toEqual(silence(stack, drift, 'ModelQuality').alarm.Dimensions);
    });

    it('waits longer than a day for a daily monitor (a stopped or deleted schedule shows within that window)', () => {
      const { stack, drift } = monitor({ dataQuality: DQ, schedule: 'daily' });
      const { alarm } = silence(stack, drift, 'DataQuality');
      expect(alarm.Period * alarm.EvaluationPeriods).toBeGreaterThanOrEqual(86400 + 7200);
      expect(alarm.EvaluationPeriods).toBe(27);
      expect(alarm.TreatMissingData).toBe('breaching');
    });

    it('does not start retraining when a monitor is silent', () => {
      const { stack, drift } = monitor({ dataQuality: DQ }, CPU, withPipeline);
      const [guard] = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.cloudwatch'] } } }));
      expect(guard.Properties.EventPattern.resources).not.toContainEqual(stack.resolve(drift.silenceAlarms.DataQuality!.alarmArn));
      expect(guard.Properties.EventPattern.resources).toContainEqual(stack.resolve(drift.driftAlarms.tenure_months.alarmArn));
    });
  });

  describe('retraining', () => {
    it('starts the pipeline through a guard on drift and model-quality alarms entering ALARM', () => {
      const { stack, drift } = monitor({ dataQuality: DQ, modelQuality: MQ, retraining: { minIntervalHours: 12 } }, CPU, withPipeline);
      const t = Template.fromStack(stack);
      const alarms = [...Object.values(drift.driftAlarms), ...Object.values(drift.qualityAlarms)].map((a) => stack.resolve(a.alarmArn));
      t.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { 'source': ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], 'resources': alarms, 'detail': { state: { value: ['ALARM'] } } },
        Targets: [Match.objectLike({ Arn: stack.resolve(drift.retraining!.function.functionArn), RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }) })],
      });
      t.hasResourceProperties('AWS::Lambda::Function', {
        ReservedConcurrentExecutions: 1,
        Environment: { Variables: Match.objectLike({ PIPELINE_NAME: 'churn-training', MIN_INTERVAL_SECONDS: String(12 * 3600) }) },
      });
    });

    it('gives the guard its own role: start and read that pipeline only', () => {
      const { stack, drift } = monitor({ dataQuality: DQ }, CPU, withPipeline);
      const t = Template.fromStack(stack);
      const policy = Object.values(t.findResources('AWS::IAM::ManagedPolicy')).find((p) => JSON.stringify(p).includes('StartPipelineExecution'))!;
      const statements = (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement;
      expect(statements.flatMap(actionsOf)).toEqual(expect.arrayContaining(['sagemaker:StartPipelineExecution', 'sagemaker:ListPipelineExecutions']));
      expect(JSON.stringify(statements)).toContain(':pipeline/churn-training');
      expect((policy.Properties as { Roles: unknown[] }).Roles).toEqual([stack.resolve(drift.retraining!.role.roleName)]);
      expect(drift.retraining!.role).not.toBe(drift.role);
      t.hasResourceProperties('AWS::Lambda::Function', { Role: stack.resolve(drift.retraining!.role.roleArn) });
    });

    it('leaves retraining out, with a warning, when the spec asks for it but no pipeline is given', () => {
      const { stack, drift } = monitor({ dataQuality: DQ, retraining: {} });
      expect(drift.retraining).toBeUndefined();
      Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 0);
      Annotations.fromStack(stack).hasWarning('/Stack/Drift', Match.stringLikeRegexp('no retrainPipeline'));
    });

    describe('guard logic', () => {
      const sm = mockClient(SageMakerClient);
      type Result = { started: boolean; reason?: string };
      let retrain: (event: unknown, now: number) => Promise<Result>;
      let handler: (event: unknown) => Promise<Result>;
      const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
      const alarmEvent = { 'detail-type': 'CloudWatch Alarm State Change', 'detail': { alarmName: 'drift-tenure', state: { value: 'ALARM' } } };

      beforeAll(() => {
        const module = { exports: {} as { retrain: typeof retrain; handler: typeof handler } };
        // The exact source the function deploys, with this process's SDK (mocked below).
        vm.runInThisContext(`(function (require, module, exports, process, console) {\n${RETRAIN_GUARD_SOURCE}\n})`)(require, module, module.exports, process, { log: () => undefined });
        retrain = module.exports.retrain;
        handler = module.exports.handler;
      });
      beforeEach(() => {
        sm.reset();
        process.env.PIPELINE_NAME = 'churn-training';
        process.env.MIN_INTERVAL_SECONDS = String(24 * 3600);
        process.env.PIPELINE_PARAMETERS = JSON.stringify([{ Name: 'Reason', Value: 'drift' }]);
      });
      afterAll(() => {
        delete process.env.PIPELINE_NAME;
        delete process.env.MIN_INTERVAL_SECONDS;
        delete process.env.PIPELINE_PARAMETERS;
      });

      it('starts the pipeline when no execution was created within the interval', async () => {
        sm.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
        sm.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-training/execution/abc' });
        const result = await retrain(alarmEvent, NOW);
        expect(result.started).toBe(true);
        const list = sm.commandCalls(ListPipelineExecutionsCommand)[0].args[0].input;
        expect(list).toMatchObject({ PipelineName: 'churn-training', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 });
        expect(list.CreatedAfter!.getTime()).toBe(NOW - 24 * 3600 * 1000);
        const start = sm.commandCalls(StartPipelineExecutionCommand)[0].args[0].input;
        expect(start.PipelineName).toBe('churn-training');
        expect(start.PipelineParameters).toEqual([{ Name: 'Reason', Value: 'drift' }]);
        expect(start.ClientRequestToken!.length).toBeGreaterThanOrEqual(32);
        expect(start.PipelineExecutionDescription).toContain('drift-tenure');
      });

      it('does not start a second run when one was created within the interval (retraining storm)', async () => {
        sm.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [{ PipelineExecutionArn: 'arn:...:execution/previous', StartTime: new Date(NOW - 3600 * 1000) }] });
        const result = await retrain(alarmEvent, NOW);
        expect(result.started).toBe(false);
        expect(result.reason).toContain('execution/previous');
        expect(sm.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
      });

      it('uses the same client token for every alarm in one interval window, so racing starts collapse into one run', async () => {
        sm.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
        sm.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn' });
        await retrain(alarmEvent, NOW);
        await retrain(alarmEvent, NOW + 60_000);
        await retrain(alarmEvent, NOW + 25 * 3600 * 1000);
        const tokens = sm.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input.ClientRequestToken);
        expect(tokens[0]).toBe(tokens[1]);
        expect(tokens[2]).not.toBe(tokens[0]);
      });

      it('is an async one-argument handler deciding at the current time', async () => {
        expect(handler.length).toBe(1);
        sm.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
        sm.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn' });
        const before = Date.now();
        expect((await handler(alarmEvent)).started).toBe(true);
        const since = sm.commandCalls(ListPipelineExecutionsCommand)[0].args[0].input.CreatedAfter!.getTime();
        expect(since).toBeGreaterThanOrEqual(before - 24 * 3600 * 1000);
        expect(since).toBeLessThanOrEqual(Date.now() - 24 * 3600 * 1000);
      });

      it('ignores state changes other than to ALARM', async () => {
        const result = await retrain({ detail: { alarmName: 'x', state: { value: 'OK' } } }, NOW);
        expect(result.started).toBe(false);
        expect(sm.calls()).toHaveLength(0);
      });
    });
  });

  describe('compliance', () => {
    it('passes the AwsSolutions, NIST 800-53 R5 and HIPAA packs with every monitor, a VPC-less job and retraining on', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-drift-nag-'));
      try {
        const app = new App({ outdir });
        const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
        const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps(CPU));
        new DriftMonitor(stack, 'Drift', {
          endpoint, dataQuality: DQ, modelQuality: MQ,
          modelBias: { analysisConfigUri: 's3://clarify-bucket/churn/bias/analysis_config.json', groundTruthUri: 's3://ground-truth-bucket/churn/labels' },
          modelExplainability: { analysisConfigUri: 's3://clarify-bucket/churn/shap/analysis_config.json' },
          retraining: { minIntervalHours: 6 },
          retrainPipeline: new TestPipeline(stack, 'Pipeline', 'churn-training'),
        });
        addCompliancePacks(app);
        expect(() => app.synth()).not.toThrow();
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    });
  });

  describe('rejected input', () => {
    it('rejects an endpoint whose data capture is off, saying why', () => {
      expectValidationError(() => monitor({ dataQuality: DQ }, { ...CPU, dataCapture: { enabled: false } }), DM,
        { path: 'endpoint', message: 'has data capture off', got: "endpoint 'Stack/Ep' with dataCapture.enabled false", expected: 'an instance-backed endpoint with dataCapture enabled' });
    });

    it('rejects a serverless endpoint, which cannot capture data', () => {
      expectValidationError(() => monitor({ dataQuality: DQ }, { compute: { serverless: { memoryMiB: 2048 } } }), DM,
        { path: 'endpoint', message: 'has data capture off', got: "endpoint 'Stack/Ep' with dataCapture.enabled false (serverless endpoints cannot capture)" });
    });

    it('rejects a monitor with nothing to monitor', () => {
      expectValidationError(() => monitor({}), DM, { path: '', message: 'monitors nothing' });
    });

    it('rejects data quality without a baseline', () => {
      expectValidationError(() => monitor({ dataQuality: { alarmFeatures: ['a'] } }), DM, { path: 'dataQuality.baseline', message: 'is required' });
    });

    it('rejects a baseline that is not an S3 URI', () => {
      expectValidationError(() => monitor({ dataQuality: { ...DQ, baseline: { constraintsUri: 'https://x/constraints.json' } } }), DM,
        { path: 'dataQuality.baseline.constraintsUri', message: 'is not in the expected format' });
    });

    it('rejects a metric the problem type does not publish', () => {
      expectValidationError(() => monitor({ modelQuality: { ...MQ, alarms: [{ metric: 'rmse', threshold: 1 }] } }), DM,
        { path: 'modelQuality.alarms[0].metric', message: 'is not a BinaryClassification metric', got: "'rmse'" });
    });

    it('rejects a regression monitor without alarms', () => {
      expectValidationError(() => monitor({ modelQuality: { problemType: 'Regression', groundTruthUri: MQ.groundTruthUri } }), DM,
        { path: 'modelQuality.alarms', message: 'is required for a regression model' });
    });

    it('rejects a probability threshold outside binary classification', () => {
      expectValidationError(() => monitor({ modelQuality: { problemType: 'MulticlassClassification', groundTruthUri: MQ.groundTruthUri, probabilityThreshold: 0.5 } }), DM,
        { path: 'modelQuality.probabilityThreshold', message: 'only applies to binary classification' });
    });

    it('rejects an hourly schedule with a runtime over an hour', () => {
      expectValidationError(() => monitor({ dataQuality: DQ, compute: { maxRuntimeSeconds: 7200 } }), DM, { path: 'compute.maxRuntimeSeconds', expected: '≤ 3600' });
    });

    it('rejects a drift feature listed twice', () => {
      expectValidationError(() => monitor({ dataQuality: { ...DQ, alarmFeatures: ['a', 'a'] } }), DM, { path: 'dataQuality.alarmFeatures[1]', message: 'is listed twice' });
    });

    it('rejects retraining with no alarm to start it', () => {
      expectValidationError(() => monitor({ dataQuality: { baseline: DQ.baseline }, retraining: {} }), DM, { path: 'retraining', message: 'has no alarm to start it' });
    });

    it('rejects a region without a known monitoring image unless one is given', () => {
      const build = (imageUris?: Record<string, string>) => {
        const stack = new Stack(undefined, 'Stack', { env: { account: '123456789012', region: 'ap-southeast-5' } });
        const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps(CPU));
        return new DriftMonitor(stack, 'Drift', { endpoint, dataQuality: DQ, imageUris });
      };
      expectValidationError(() => build(), DM, { path: 'imageUris.modelMonitor', message: 'no SageMaker Model Monitor image is known for ap-southeast-5' });
      const given = '111122223333.dkr.ecr.ap-southeast-5.amazonaws.com/sagemaker-model-monitor-analyzer';
      Template.fromStack(Stack.of(build({ modelMonitor: given }))).hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
        DataQualityAppSpecification: Match.objectLike({ ImageUri: given }),
      });
    });

    it('refuses a drift metric when there is no data quality monitor', () => {
      const { drift } = monitor({ modelQuality: MQ });
      expectValidationError(() => drift.metricFeatureDrift('tenure_months'), DM, { path: 'dataQuality', message: "publishes no 'feature_baseline_drift_tenure_months' metric" });
    });

    it('rejects an image that is not an ECR URI', () => {
      expectValidationError(() => monitor({ dataQuality: DQ, imageUris: { modelMonitor: 'docker.io/monitor:latest' } }), DM, { path: 'imageUris.modelMonitor', message: 'is not an ECR image URI' });
    });
  });
});
