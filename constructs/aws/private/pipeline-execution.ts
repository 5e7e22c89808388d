/**
 * What every SageMaker pipeline construct (MlPipeline, BatchTransform) grants its execution role the
 * same way, and how it is started: an EventBridge Scheduler schedule, or an EventBridge rule on new
 * objects in S3, each with a role of its own that may only start this pipeline.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct, IDependable } from 'constructs';
import type { MlPipelineBase } from '../ml-pipeline';
import { ExecutionRole, WildcardJustification } from './execution-role';
import { s3EventKeyPrefixes } from './new-data-trigger';

/** A kind of job a pipeline step starts, as its ARN names it. */
export type PipelineJobType = 'processing-job' | 'training-job' | 'hyper-parameter-tuning-job' | 'transform-job';

/** What the pipeline's role does to each kind of job, and the log group SageMaker writes its logs to (a tuning job logs through its training jobs). */
const JOBS: Record<PipelineJobType, { actions: string[]; logGroup?: string }> = {
  'processing-job': { actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob'], logGroup: 'ProcessingJobs' },
  'training-job': { actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'], logGroup: 'TrainingJobs' },
  'hyper-parameter-tuning-job': { actions: ['sagemaker:CreateHyperParameterTuningJob', 'sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:StopHyperParameterTuningJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob'] },
  'transform-job': { actions: ['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob'], logGroup: 'TransformJobs' },
};

/** Retries of a trigger whose StartPipelineExecution fails (throttling, a pipeline being updated). */
const TRIGGER_RETRY_POLICY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 };

/**
 * The statements a pipeline's role needs to run `jobs`: start, watch and stop them (only jobs named
 * `pipelines-*`, as SageMaker Pipelines names them), create the models of model steps, pass itself
 * to those jobs and models, write their logs and metrics.
 */
export function pipelineJobStatements(scope: Construct, jobs: readonly PipelineJobType[], role: iam.IRole): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  return [
    new iam.PolicyStatement({
      sid: 'PipelineJobs',
      actions: [...jobs.flatMap((j) => JOBS[j].actions), 'sagemaker:AddTags'],
      resources: jobs.map((j) => stack.formatArn({ service: 'sagemaker', resource: j, resourceName: 'pipelines-*' })),
    }),
    new iam.PolicyStatement({
      sid: 'PipelineModels',
      actions: ['sagemaker:CreateModel', 'sagemaker:DescribeModel', 'sagemaker:AddTags'],
      resources: [stack.formatArn({ service: 'sagemaker', resource: 'model', resourceName: '*' })],
    }),
    new iam.PolicyStatement({
      sid: 'PassRoleToSageMakerJobs',
      actions: ['iam:PassRole'],
      resources: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'JobLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: logGroups(jobs).map((g) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/${g}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
    }),
    new iam.PolicyStatement({
      sid: 'JobMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
    }),
  ];
}

/** Encrypt and decrypt job volumes and outputs with `key` (CreateGrant: SageMaker attaches the volume under a grant). */
export function jobEncryptionStatement(key: kms.IKey): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'JobEncryption',
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'],
    resources: [key.keyArn],
  });
}

/** Why the wildcards of {@link pipelineJobStatements} are needed: job and model names are chosen by SageMaker Pipelines at run time. */
export function pipelineJobJustifications(jobs: readonly PipelineJobType[], models: string): WildcardJustification[] {
  return [
    { finding: new RegExp(`^Resource::.*:(${jobs.join('|')})\\/pipelines-\\*$`), reason: 'SageMaker Pipelines names every job it starts pipelines-<execution>-<step>-<hash> at run time; the statement covers only jobs named so.' },
    { finding: /^Resource::.*:model\/\*$/, reason: models },
    { finding: new RegExp(`^Resource::.*:log-group:\\/aws\\/sagemaker\\/(${logGroups(jobs).join('|')}):\\*$`), reason: 'SageMaker jobs create one log stream per job and instance at run time, in the SageMaker job log groups only.' },
  ];
}

function logGroups(jobs: readonly PipelineJobType[]): string[] {
  return jobs.flatMap((j) => JOBS[j].logGroup ?? []);
}

/** A pipeline that a trigger starts: its ARN, the grant, and the resource the trigger waits for. */
type TriggeredPipeline = MlPipelineBase & { readonly cfnPipeline: IDependable };

/** An EventBridge Scheduler schedule (UTC) starting `pipeline`, with its own role (construct IDs `ScheduleRole`, `Schedule`). */
export function addPipelineSchedule(pipeline: TriggeredPipeline, options: { expression: string; description: string; parameters?: Record<string, string> }): scheduler.CfnSchedule {
  const role = new ExecutionRole(pipeline, 'ScheduleRole', { servicePrincipal: 'scheduler.amazonaws.com', description: `EventBridge Scheduler role starting ${pipeline.node.path}` });
  pipeline.grantStartExecution(role.grantee);
  const schedule = new scheduler.CfnSchedule(pipeline, 'Schedule', {
    description: options.description,
    scheduleExpression: options.expression,
    scheduleExpressionTimezone: 'UTC',
    flexibleTimeWindow: { mode: 'OFF' },
    target: {
      arn: pipeline.pipelineArn,
      roleArn: role.role.roleArn,
      sageMakerPipelineParameters: options.parameters && { pipelineParameterList: pipelineParameters(options.parameters) },
      retryPolicy: TRIGGER_RETRY_POLICY,
    },
  });
  schedule.node.addDependency(...role.dependable, pipeline.cfnPipeline);
  return schedule;
}

/**
 * An EventBridge rule starting `pipeline` when an object is created under `s3://bucket/prefix`, with
 * its own role (construct IDs `NewDataRole`, `NewDataRule`). `parameters` are pipeline parameters
 * EventBridge fills from the event (JSON paths such as `$.detail.object.key`).
 */
export function addPipelineNewDataRule(pipeline: TriggeredPipeline, options: { bucket: string; prefix: string; description: string; parameters: Record<string, string> }): events.CfnRule {
  const role = new ExecutionRole(pipeline, 'NewDataRole', { servicePrincipal: 'events.amazonaws.com', description: `EventBridge role starting ${pipeline.node.path} on new data` });
  pipeline.grantStartExecution(role.grantee);
  const rule = new events.CfnRule(pipeline, 'NewDataRule', {
    description: options.description,
    eventPattern: { 'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': { bucket: { name: [options.bucket] }, object: { key: s3EventKeyPrefixes(options.prefix) } } },
    targets: [{
      id: 'Pipeline',
      arn: pipeline.pipelineArn,
      roleArn: role.role.roleArn,
      sageMakerPipelineParameters: { pipelineParameterList: pipelineParameters(options.parameters) },
      retryPolicy: TRIGGER_RETRY_POLICY,
    }],
  });
  rule.node.addDependency(...role.dependable, pipeline.cfnPipeline);
  return rule;
}

function pipelineParameters(parameters: Record<string, string>): Array<{ name: string; value: string }> {
  return Object.entries(parameters).map(([name, value]) => ({ name, value }));
}
