/** SageMaker API fixtures for the ops tests: service errors as the SDK raises them, and a mocked platform. */
import {
  DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelPackageCommand, DescribeModelPackageGroupCommand, DescribeMonitoringScheduleCommand,
  DescribePipelineCommand, DescribePipelineExecutionCommand, ListEndpointConfigsCommand, ListEndpointsCommand, ListModelPackagesCommand,
  ListMonitoringSchedulesCommand, ListPipelineExecutionsCommand, ListPipelineExecutionStepsCommand, ListPipelinesCommand, ListTagsCommand,
  SageMakerClient, StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { AwsClientStub } from 'aws-sdk-client-mock';
import { OpsError } from '../../../lib/ops';

/** A service error shaped like the SDK's: name, message, HTTP status. */
export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export const throttled = () => awsError('ThrottlingException', 'Rate exceeded');
export const denied = (action: string) => awsError('AccessDeniedException', `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sagemaker:${action}`);

const ARN = 'arn:aws:sagemaker:us-east-1:123456789012';
export const PIPELINE_EXECUTION = `${ARN}:pipeline/churn-train/execution/abc123`;

/** A small platform: two pages of endpoints (one rolled back), a pipeline, a monitoring schedule, a pending version. */
export function mockPlatform(sm: AwsClientStub<SageMakerClient>): void {
  sm.on(ListEndpointsCommand).resolves({ Endpoints: [{ EndpointName: 'churn', EndpointArn: `${ARN}:endpoint/churn`, CreationTime: new Date(), LastModifiedTime: new Date(), EndpointStatus: 'InService' }], NextToken: 'page-2' });
  sm.on(ListEndpointsCommand, { NextToken: 'page-2' }).resolves({ Endpoints: [{ EndpointName: 'llm', EndpointArn: `${ARN}:endpoint/llm`, CreationTime: new Date(), LastModifiedTime: new Date(), EndpointStatus: 'InService' }] });
  sm.on(DescribeEndpointCommand, { EndpointName: 'churn' }).resolves({
    EndpointName: 'churn', EndpointArn: `${ARN}:endpoint/churn`, EndpointConfigName: 'churn-config-new', EndpointStatus: 'InService',
    CreationTime: new Date('2026-11-01T00:00:00Z'), LastModifiedTime: new Date('2026-11-20T10:00:00Z'),
    ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 3, DesiredInstanceCount: 4 }],
  });
  sm.on(DescribeEndpointCommand, { EndpointName: 'llm' }).resolves({
    EndpointName: 'llm', EndpointArn: `${ARN}:endpoint/llm`, EndpointConfigName: 'llm-config', EndpointStatus: 'InService',
    CreationTime: new Date('2026-11-01T00:00:00Z'), LastModifiedTime: new Date('2026-11-21T10:00:00Z'),
    FailureReason: 'Deployment rolled back: alarm llm-latency entered ALARM during the canary',
    LastDeploymentConfig: { AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'llm-latency' }] } },
    ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 2, DesiredInstanceCount: 2 }],
  });
  sm.on(ListPipelinesCommand).resolves({ PipelineSummaries: [{ PipelineName: 'churn-train' }] });
  sm.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [{ PipelineExecutionArn: PIPELINE_EXECUTION, PipelineExecutionStatus: 'Failed', StartTime: new Date('2026-11-22T02:00:00Z'), PipelineExecutionFailureReason: 'Step Train failed' }] });
  sm.on(ListMonitoringSchedulesCommand).resolves({ MonitoringScheduleSummaries: [{ MonitoringScheduleName: 'churn-drift', MonitoringScheduleArn: `${ARN}:monitoring-schedule/churn-drift`, CreationTime: new Date(), LastModifiedTime: new Date(), MonitoringScheduleStatus: 'Scheduled' }] });
  sm.on(DescribeMonitoringScheduleCommand).resolves({
    MonitoringScheduleName: 'churn-drift', MonitoringScheduleStatus: 'Scheduled', EndpointName: 'churn',
    LastMonitoringExecutionSummary: { MonitoringScheduleName: 'churn-drift', ScheduledTime: new Date('2026-11-23T10:00:00Z'), CreationTime: new Date(), LastModifiedTime: new Date(), MonitoringExecutionStatus: 'CompletedWithViolations' },
  } as never);
  sm.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [{ ModelPackageGroupName: 'churn', ModelPackageVersion: 3, ModelPackageArn: `${ARN}:model-package/churn/3`, CreationTime: new Date('2026-11-22T00:00:00Z'), ModelPackageStatus: 'Completed', ModelApprovalStatus: 'PendingManualApproval' }] });
}

/** A model package group with versions, newest first as ListModelPackages returns them. */
export function mockRegistry(sm: AwsClientStub<SageMakerClient>, statuses: Record<number, 'Approved' | 'PendingManualApproval' | 'Rejected'>): void {
  sm.on(DescribeModelPackageGroupCommand, { ModelPackageGroupName: 'churn' }).resolves({ ModelPackageGroupName: 'churn', ModelPackageGroupStatus: 'Completed' } as never);
  const list = Object.entries(statuses).map(([v, s]) => ({ ModelPackageGroupName: 'churn', ModelPackageVersion: Number(v), ModelPackageArn: `${ARN}:model-package/churn/${v}`, CreationTime: new Date(Date.UTC(2026, 10, Number(v))), ModelPackageStatus: 'Completed' as const, ModelApprovalStatus: s }))
    .sort((a, b) => b.ModelPackageVersion - a.ModelPackageVersion);
  sm.on(ListModelPackagesCommand, { ModelPackageGroupName: 'churn' }).resolves({ ModelPackageSummaryList: list });
}

/**
 * An endpoint on 'churn-config-new', with an older config of the same CloudFormation resource
 * ('churn-config-old') and one of another resource in between.
 */
export function mockEndpointHistory(sm: AwsClientStub<SageMakerClient>, options: { status?: string; withPrevious?: boolean } = {}): void {
  const cfn = (logicalId: string) => ({ Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'mlops-reference-churn' }, { Key: 'aws:cloudformation:logical-id', Value: logicalId }] });
  sm.on(DescribeEndpointCommand, { EndpointName: 'churn' }).resolves({ EndpointName: 'churn', EndpointArn: `${ARN}:endpoint/churn`, EndpointConfigName: 'churn-config-new', EndpointStatus: (options.status ?? 'InService') as never, CreationTime: new Date(), LastModifiedTime: new Date() });
  const variants = [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: 'ml.m5.large' as const, InitialInstanceCount: 2 }];
  sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'churn-config-new' }).resolves({ EndpointConfigName: 'churn-config-new', EndpointConfigArn: `${ARN}:endpoint-config/churn-config-new`, CreationTime: new Date('2026-11-20T00:00:00Z'), ProductionVariants: variants });
  sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'churn-config-old' }).resolves({ EndpointConfigName: 'churn-config-old', EndpointConfigArn: `${ARN}:endpoint-config/churn-config-old`, CreationTime: new Date('2026-11-10T00:00:00Z'), ProductionVariants: variants });
  sm.on(ListTagsCommand, { ResourceArn: `${ARN}:endpoint-config/churn-config-new` }).resolves(cfn('EndpointEndpointConfig5871F635'));
  sm.on(ListTagsCommand, { ResourceArn: `${ARN}:endpoint-config/churn-config-old` }).resolves(cfn('EndpointEndpointConfig5871F635'));
  sm.on(ListTagsCommand, { ResourceArn: `${ARN}:endpoint-config/llm-config` }).resolves(cfn('OtherConfig'));
  const older = [{ EndpointConfigName: 'llm-config', EndpointConfigArn: `${ARN}:endpoint-config/llm-config`, CreationTime: new Date('2026-11-15T00:00:00Z') }];
  if (options.withPrevious ?? true) older.push({ EndpointConfigName: 'churn-config-old', EndpointConfigArn: `${ARN}:endpoint-config/churn-config-old`, CreationTime: new Date('2026-11-10T00:00:00Z') });
  sm.on(ListEndpointConfigsCommand).resolves({ EndpointConfigs: older.slice(0, 1), NextToken: 'more' });
  sm.on(ListEndpointConfigsCommand, { NextToken: 'more' }).resolves({ EndpointConfigs: older.slice(1) });
}

/** A pipeline with parameters Epochs and TrainType; executions go Executing → `final`. */
export function mockPipelineRun(sm: AwsClientStub<SageMakerClient>, final: 'Succeeded' | 'Failed' = 'Succeeded'): void {
  sm.on(DescribePipelineCommand, { PipelineName: 'churn-train' }).resolves({ PipelineName: 'churn-train', PipelineDefinition: JSON.stringify({ Version: '2020-12-01', Parameters: [{ Name: 'Epochs', Type: 'Integer', DefaultValue: 10 }, { Name: 'TrainType', Type: 'String', DefaultValue: 'ml.m5.xlarge' }], Steps: [] }) });
  sm.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: PIPELINE_EXECUTION });
  sm.on(DescribePipelineExecutionCommand)
    .resolvesOnce({ PipelineExecutionArn: PIPELINE_EXECUTION, PipelineExecutionStatus: 'Executing' })
    .resolvesOnce({ PipelineExecutionArn: PIPELINE_EXECUTION, PipelineExecutionStatus: 'Executing' })
    .resolves({ PipelineExecutionArn: PIPELINE_EXECUTION, PipelineExecutionStatus: final, ...(final === 'Failed' ? { FailureReason: 'Step Train failed' } : {}) });
  sm.on(ListPipelineExecutionStepsCommand)
    .resolvesOnce({ PipelineExecutionSteps: [{ StepName: 'Train', StepStatus: 'Executing' }] })
    .resolvesOnce({ PipelineExecutionSteps: [{ StepName: 'Train', StepStatus: 'Succeeded' }, { StepName: 'Register', StepStatus: 'Executing' }] })
    .resolves({ PipelineExecutionSteps: [{ StepName: 'Train', StepStatus: final === 'Failed' ? 'Failed' : 'Succeeded', ...(final === 'Failed' ? { FailureReason: 'AlgorithmError: out of memory' } : {}) }, { StepName: 'Register', StepStatus: 'Succeeded' }] });
}

export const GROUP_ARN = `${ARN}:model-package-group/churn`;
export const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:mlops-reference-churn-delivery';

/**
 * A delivered group: versions with their approval status and customer metadata (the delivery
 * contract's `cdk-mlops:stage:<stage>` and `cdk-mlops:approved:<stage>`), tagged with its state
 * machine unless `delivery` is false.
 */
export function mockDeliveredRegistry(sm: AwsClientStub<SageMakerClient>, versions: Record<number, { status: 'Approved' | 'PendingManualApproval' | 'Rejected'; metadata?: Record<string, string> }>, options: { delivery?: boolean } = {}): void {
  sm.on(DescribeModelPackageGroupCommand, { ModelPackageGroupName: 'churn' }).resolves({ ModelPackageGroupName: 'churn', ModelPackageGroupArn: GROUP_ARN, ModelPackageGroupStatus: 'Completed' } as never);
  sm.on(ListTagsCommand, { ResourceArn: GROUP_ARN }).resolves({ Tags: options.delivery === false ? [{ Key: 'team', Value: 'ml' }] : [{ Key: 'team', Value: 'ml' }, { Key: 'cdk-mlops:delivery', Value: STATE_MACHINE }] });
  const list = Object.entries(versions).map(([v, { status }]) => ({ ModelPackageGroupName: 'churn', ModelPackageVersion: Number(v), ModelPackageArn: `${ARN}:model-package/churn/${v}`, CreationTime: new Date(Date.UTC(2026, 10, Number(v))), ModelPackageStatus: 'Completed' as const, ModelApprovalStatus: status }))
    .sort((a, b) => b.ModelPackageVersion - a.ModelPackageVersion);
  // Two pages, as a long history comes.
  sm.on(ListModelPackagesCommand, { ModelPackageGroupName: 'churn' }).resolves({ ModelPackageSummaryList: list.slice(0, 1), NextToken: 'older' });
  sm.on(ListModelPackagesCommand, { ModelPackageGroupName: 'churn', NextToken: 'older' }).resolves({ ModelPackageSummaryList: list.slice(1) });
  for (const [v, { status, metadata }] of Object.entries(versions)) {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: `${ARN}:model-package/churn/${v}` }).resolves({
      ModelPackageName: 'churn', ModelPackageVersion: Number(v), ModelPackageArn: `${ARN}:model-package/churn/${v}`, ModelApprovalStatus: status, CreationTime: new Date(), ModelPackageStatus: 'Completed',
      ...(metadata ? { CustomerMetadataProperties: metadata } : {}),
    } as never);
  }
}

/** The OpsError a promise rejects with (the test fails if it resolves or rejects with anything else). */
export async function failure(p: Promise<unknown>): Promise<OpsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OpsError);
    return e as OpsError;
  }
  throw new Error('expected an OpsError');
}
