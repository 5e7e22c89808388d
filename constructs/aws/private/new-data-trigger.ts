/**
 * A batch run per new object: an EventBridge rule on S3's "Object Created" events under the input
 * prefix invokes a small function that starts the pipeline on that object's key.
 *
 * Why a function and not the rule's SageMaker pipeline target with `$.detail.object.key`: S3 URL-encodes
 * the key in its event notifications ("red flower.jpg" becomes "red+flower.jpg", `=` becomes `%3D`:
 * Amazon S3 user guide, "Event message structure"), AWS's own Lambda Powertools decodes the
 * EventBridge event's `detail.object.key` the same way (`unquote_plus`, powertools-lambda-python
 * data_classes/s3_event.py S3EventBridgeNotificationObject), and the EventBridge page of the S3 user
 * guide ("EventBridge event message structure") says neither. EventBridge cannot decode, so a key
 * with a space, `=` (Hive-style partitions) or `+` would have named an object that does not exist.
 * The function tries the decoded key, then the key as sent, and starts the run on the one that
 * exists (HeadObject), with the event's id as the client token (a retried event starts one run).
 */
import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ExecutionRole } from './execution-role';
import { acknowledgeEventFunction, newFunctionLogGroup } from './function-logs';

/**
 * The function's source (CommonJS, Node.js 24 Lambda runtime, which bundles the AWS SDK v3).
 * Environment: PIPELINE_NAME, INPUT_KEY_PARAMETER (the pipeline parameter that takes the key).
 */
export const NEW_DATA_STARTER_SOURCE = `'use strict';
const { S3Client, HeadObjectCommand } = require('@aws-sdk/client-s3');
const { SageMakerClient, StartPipelineExecutionCommand } = require('@aws-sdk/client-sagemaker');
const s3 = new S3Client({});
const sagemaker = new SageMakerClient({});
/** The keys the event's key may stand for: URL-decoded ('+' is a space), then as sent. */
exports.keyCandidates = (sent) => {
  let decoded = sent;
  try { decoded = decodeURIComponent(sent.replace(/\\+/g, ' ')); } catch (e) { decoded = sent; }
  return decoded === sent ? [sent] : [decoded, sent];
};
/**
 * Whether the object exists. The function may read the input prefix but not list the bucket (HeadObject
 * carries no s3:prefix, so no prefix-scoped ListBucket applies to it): S3 answers a missing key with 403,
 * not 404. A 403 on a candidate with another left means try the next; on the last, it is an error
 * (EventBridge retries), as the object may also be refused by the bucket's policy or key.
 */
const exists = async (bucket, key, last) => {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    const status = e && e.$metadata && e.$metadata.httpStatusCode;
    if (e && (e.name === 'NotFound' || status === 404)) return false;
    if (!last && status === 403) return false;
    throw e;
  }
};
exports.start = async (event) => {
  const pipelineName = process.env.PIPELINE_NAME;
  const parameter = process.env.INPUT_KEY_PARAMETER;
  if (!pipelineName || !parameter) throw new Error('PIPELINE_NAME and INPUT_KEY_PARAMETER must be set');
  const detail = (event && event.detail) || {};
  const bucket = detail.bucket && detail.bucket.name;
  const sent = detail.object && detail.object.key;
  if (!bucket || typeof sent !== 'string') throw new Error('not an S3 Object Created event: ' + JSON.stringify(event));
  const candidates = exports.keyCandidates(sent);
  for (const [i, key] of candidates.entries()) {
    if (!(await exists(bucket, key, i === candidates.length - 1))) continue;
    const out = await sagemaker.send(new StartPipelineExecutionCommand({
      PipelineName: pipelineName,
      PipelineExecutionDescription: ('New data: s3://' + bucket + '/' + key).slice(0, 3072),
      PipelineParameters: [{ Name: parameter, Value: key }],
      ClientRequestToken: ('new-data-' + event.id).slice(0, 128),
    }));
    console.log(JSON.stringify({ started: true, bucket, key, executionArn: out.PipelineExecutionArn }));
    return { started: true, key, executionArn: out.PipelineExecutionArn };
  }
  // Deleted since, or overwritten under another name: nothing to score.
  console.log(JSON.stringify({ started: false, bucket, key: sent, reason: 'no such object, as sent or URL-decoded' }));
  return { started: false, key: sent };
};
// Async, one argument: the Node.js 24 runtime supports no callback-style handlers.
exports.handler = async (event) => exports.start(event);
`;

/**
 * The key prefixes an S3 "Object Created" event's `detail.object.key` may start with for objects under
 * `prefix`: S3 URL-encodes the key in its events ("red flower.jpg" is "red+flower.jpg", "dt=1" is
 * "dt%3D1"), so a prefix with such characters is matched as written and as encoded (EventBridge
 * prefix patterns, any of them). Slashes stay as they are.
 */
export function s3EventKeyPrefixes(prefix: string): Array<{ prefix: string }> {
  if (Token.isUnresolved(prefix)) return [{ prefix }];
  const encoded = prefix.split('/').map((segment) => encodeURIComponent(segment).replace(/%20/g, '+')).join('/');
  return encoded === prefix ? [{ prefix }] : [{ prefix }, { prefix: encoded }];
}

/** What the trigger starts: a pipeline and how to let a principal start it. */
export interface NewDataPipeline {
  readonly pipelineName: string;
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;
}

export interface NewDataTriggerProps {
  readonly pipeline: NewDataPipeline;
  /** The pipeline parameter that takes the object's key. */
  readonly inputKeyParameter: string;
  readonly bucket: string;
  /** The input prefix (may be empty: the whole bucket). */
  readonly prefix: string;
  /** Encrypts the function's logs and environment. */
  readonly encryptionKey: kms.IKey;
  readonly description: string;
}

/** The rule, the starter function and its role. */
export class NewDataTrigger extends Construct {
  public readonly rule: events.Rule;
  public readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: NewDataTriggerProps) {
    super(scope, id);
    const logGroup = newFunctionLogGroup(this, 'Logs', props.encryptionKey, 'AllowLogsToEncryptNewDataStarterLogs');
    const execution = new ExecutionRole(this, 'Role', { servicePrincipal: 'lambda.amazonaws.com', description: `new-data starter of ${scope.node.path}` });
    execution.addStatements(
      new iam.PolicyStatement({ sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      // HeadObject: s3:GetObject. No s3:ListBucket: a prefix-scoped one never applies to HeadObject, and a
      // bucket-wide one would list every other prefix; a missing key is then a 403 (see the source).
      new iam.PolicyStatement({ sid: 'FindNewObject', actions: ['s3:GetObject'], resources: [`arn:${Aws.PARTITION}:s3:::${props.bucket}/${props.prefix}*`] }),
    );
    props.pipeline.grantStartExecution(execution.grantee);
    execution.justifyWildcards([
      { finding: /^Resource::.*:log-group:.*:\*$/, reason: 'The starter writes its log streams (one per execution environment, named at run time) into its own log group only.' },
      { finding: /^Resource::arn:.*:s3:::.*\*$/, reason: 'The starter checks that the new object exists under the input prefix: its key is known only when it arrives.' },
    ]);

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(NEW_DATA_STARTER_SOURCE),
      role: execution.role,
      timeout: Duration.seconds(30),
      memorySize: 256,
      // A bulk upload queues its events in Lambda's asynchronous queue (retried for up to 6 hours) rather than fanning out.
      reservedConcurrentExecutions: 2,
      logGroup,
      environmentEncryption: props.encryptionKey,
      environment: { PIPELINE_NAME: props.pipeline.pipelineName, INPUT_KEY_PARAMETER: props.inputKeyParameter },
    });
    this.function.node.addDependency(...execution.dependable);
    acknowledgeEventFunction(this.function, {
      deadLetterQueue: 'EventBridge retries a failed invocation (3 attempts within an hour) and the event id is the client token, so a retry starts at most one run; a dead-letter queue would hold objects the next run of the schedule, or a re-upload, scores anyway.',
      vpc: 'The starter only calls the S3 (HeadObject) and SageMaker (StartPipelineExecution) APIs and touches no VPC resource.',
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: `Starts ${props.pipeline.pipelineName} when data arrives under s3://${props.bucket}/${props.prefix}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.bucket] }, object: { key: s3EventKeyPrefixes(props.prefix) } },
      },
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 3, maxEventAge: Duration.hours(1) })],
    });
  }
}
