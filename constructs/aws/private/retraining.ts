/**
 * Retraining on drift, guarded against storms: an EventBridge rule on the monitor's alarms entering
 * ALARM invokes a small function that starts the model's pipeline only when no execution of it was
 * created within the configured interval. The function runs one at a time (reserved concurrency 1)
 * and passes a client token derived from the interval window, so concurrent or repeated alarms in
 * one window start at most one run even if the ListPipelineExecutions view lags.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { IMlPipeline } from '../ml-pipeline';
import { ExecutionRole } from './execution-role';
import { acknowledgeEventFunction, newFunctionLogGroup } from './function-logs';

/**
 * The function's source (CommonJS, Node.js 24 Lambda runtime, which bundles the AWS SDK v3).
 * Environment: PIPELINE_NAME, MIN_INTERVAL_SECONDS, PIPELINE_PARAMETERS (JSON list of { Name, Value }).
 */
export const RETRAIN_GUARD_SOURCE = `'use strict';
const { SageMakerClient, ListPipelineExecutionsCommand, StartPipelineExecutionCommand } = require('@aws-sdk/client-sagemaker');
const client = new SageMakerClient({});
/** The decision, at a given time (milliseconds since the epoch). */
exports.retrain = async (event, now) => {
  const pipelineName = process.env.PIPELINE_NAME;
  const intervalSeconds = Number(process.env.MIN_INTERVAL_SECONDS);
  if (!pipelineName || !(intervalSeconds > 0)) throw new Error('PIPELINE_NAME and MIN_INTERVAL_SECONDS must be set');
  const detail = (event && event.detail) || {};
  const alarm = detail.alarmName || 'an alarm';
  if (!detail.state || detail.state.value !== 'ALARM') return { started: false, reason: 'not a change to ALARM' };
  const since = new Date(now - intervalSeconds * 1000);
  const recent = await client.send(new ListPipelineExecutionsCommand({
    PipelineName: pipelineName, CreatedAfter: since, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1,
  }));
  const last = (recent.PipelineExecutionSummaries || [])[0];
  if (last) {
    const reason = 'execution ' + last.PipelineExecutionArn + ' started at ' + new Date(last.StartTime).toISOString() + ', within ' + intervalSeconds + 's';
    console.log(JSON.stringify({ started: false, alarm, pipelineName, reason }));
    return { started: false, reason, lastExecutionArn: last.PipelineExecutionArn };
  }
  const window = Math.floor(now / (intervalSeconds * 1000));
  const out = await client.send(new StartPipelineExecutionCommand({
    PipelineName: pipelineName,
    PipelineExecutionDisplayName: 'drift-' + window,
    PipelineExecutionDescription: ('Retraining started by ' + alarm + ' entering ALARM').slice(0, 3072),
    PipelineParameters: JSON.parse(process.env.PIPELINE_PARAMETERS || '[]'),
    ClientRequestToken: ('drift-retraining-window-' + String(window).padStart(12, '0') + '-' + pipelineName).slice(0, 128),
  }));
  console.log(JSON.stringify({ started: true, alarm, pipelineName, executionArn: out.PipelineExecutionArn }));
  return { started: true, executionArn: out.PipelineExecutionArn };
};
// Async, one argument: the Node.js 24 runtime supports no callback-style handlers.
exports.handler = async (event) => exports.retrain(event, Date.now());
`;

export interface RetrainingProps {
  readonly pipeline: IMlPipeline;
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly minInterval: Duration;
  readonly pipelineParameters?: Readonly<Record<string, string>>;
  /** Encrypts the function's logs and environment. */
  readonly encryptionKey: kms.IKey;
}

/** The rule, the guard function and its role. */
export class Retraining extends Construct {
  public readonly rule: events.Rule;
  public readonly function: lambda.Function;
  public readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: RetrainingProps) {
    super(scope, id);
    const logGroup = newFunctionLogGroup(this, 'Logs', props.encryptionKey, 'AllowLogsToEncryptRetrainingLogs');

    const execution = new ExecutionRole(this, 'Role', { servicePrincipal: 'lambda.amazonaws.com', description: `retraining guard of ${this.node.path}` });
    this.role = execution.role;
    execution.addStatements(new iam.PolicyStatement({ sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    props.pipeline.grantRead(execution.grantee);
    props.pipeline.grantStartExecution(execution.grantee);
    execution.justifyWildcards([
      { finding: /^Resource::.*:log-group:.*:\*$/, reason: 'The guard writes its log streams (one per execution environment, named at run time) into its own log group only.' },
      { finding: /^Resource::.*:pipeline\/.*\/execution\/\*$/, reason: 'ListPipelineExecutions and DescribePipelineExecution address executions by generated ids under the one pipeline this monitor retrains.' },
    ]);

    const parameters = Object.entries(props.pipelineParameters ?? {}).map(([Name, Value]) => ({ Name, Value }));
    this.function = new lambda.Function(this, 'Function', {
      description: `Starts pipeline ${props.pipeline.pipelineName} on drift, at most once per ${props.minInterval.toHumanString()}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(RETRAIN_GUARD_SOURCE),
      role: execution.role,
      timeout: Duration.seconds(30),
      memorySize: 256,
      // One guard at a time: two alarms at once cannot both see "no recent run".
      reservedConcurrentExecutions: 1,
      logGroup,
      environmentEncryption: props.encryptionKey,
      environment: {
        PIPELINE_NAME: props.pipeline.pipelineName,
        MIN_INTERVAL_SECONDS: String(props.minInterval.toSeconds()),
        PIPELINE_PARAMETERS: JSON.stringify(parameters),
      },
    });
    this.function.node.addDependency(...execution.dependable);
    acknowledgeEventFunction(this.function, {
      deadLetterQueue: 'The guard is idempotent per interval and the alarm stays in ALARM: a dropped invocation is retried by EventBridge (2 attempts) and the next alarm transition; a dead-letter queue would only hold stale drift signals.',
      vpc: 'The guard only calls the SageMaker API (ListPipelineExecutions, StartPipelineExecution) and touches no VPC resource.',
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: `Drift or model-quality alarms entering ALARM start ${props.pipeline.pipelineName} (guarded)`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: props.alarms.map((a) => a.alarmArn),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }
}
