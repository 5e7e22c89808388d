/**
 * Asynchronous inference of a ModelEndpoint: the AsyncInferenceConfig (output and failure paths in
 * an encrypted bucket of the endpoint, success and error topics encrypted with its key), the
 * execution role's grants to read queued inputs, write results and publish, and what an async
 * endpoint publishes instead of the real-time metrics (SageMaker's "Monitor asynchronous
 * endpoints": no Invocations, InvocationsPerInstance or OverheadLatency; the queue's metrics have
 * the EndpointName dimension only).
 */
import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EndpointSpec } from '../../../lib/spec';
import { SecureBucket } from '../security';
import { ExecutionRole, WildcardJustification } from './execution-role';

export type AsyncSpec = NonNullable<EndpointSpec['async']>;

/** Key prefixes of the async bucket: what callers upload, what SageMaker writes. */
export const ASYNC_PREFIXES = { input: 'async-input', output: 'async-output', failure: 'async-failures' } as const;

export interface AsyncInferenceProps {
  readonly spec: AsyncSpec;
  readonly endpointName: string;
  readonly encryptionKey: kms.IKey;
  readonly accessLogs: s3.IBucket;
  readonly execution: ExecutionRole;
  readonly maxConcurrentInvocationsPerInstance?: number;
}

/** The bucket, topics and grants of an asynchronous endpoint, and its AsyncInferenceConfig. */
export class AsyncInference extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly successTopic?: sns.Topic;
  public readonly errorTopic?: sns.Topic;
  /** Where callers put request payloads (InvokeEndpointAsync's InputLocation). */
  public readonly inputUri: string;
  public readonly outputUri: string;
  public readonly failureUri: string;
  public readonly config: sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty;
  public readonly justifications: WildcardJustification[];

  constructor(scope: Construct, id: string, props: AsyncInferenceProps) {
    super(scope, id);
    const { spec, encryptionKey, execution } = props;
    this.bucket = new SecureBucket(this, 'Bucket', {
      encryptionKey,
      accessLogs: props.accessLogs,
      accessLogsPrefix: `async/${props.endpointName}/`,
      lifecycleRules: Object.values(ASYNC_PREFIXES).map((prefix) => ({ id: `Expire-${prefix}`, prefix: `${prefix}/`, expiration: Duration.days(spec.outputRetentionDays), noncurrentVersionExpiration: Duration.days(1) })),
      replicationReason: 'Asynchronous inference requests and results are transient working data kept for a bounded retention period; they are not replicated.',
    });
    this.inputUri = this.bucket.s3UrlForObject(ASYNC_PREFIXES.input);
    this.outputUri = this.bucket.s3UrlForObject(ASYNC_PREFIXES.output);
    this.failureUri = this.bucket.s3UrlForObject(ASYNC_PREFIXES.failure);
    const topic = (topicId: string, what: string) => new sns.Topic(this, topicId, { masterKey: encryptionKey, enforceSSL: true, displayName: `${what} of ${props.endpointName}` });
    this.successTopic = spec.notifications.success ? topic('SuccessTopic', 'Asynchronous inference results') : undefined;
    this.errorTopic = spec.notifications.error ? topic('ErrorTopic', 'Asynchronous inference failures') : undefined;

    // SageMaker reads the queued payload, writes results and publishes notifications with the execution role.
    execution.addStatements(
      new iam.PolicyStatement({ sid: 'ReadAsyncInput', actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${ASYNC_PREFIXES.input}/*`)] }),
      new iam.PolicyStatement({ sid: 'WriteAsyncOutput', actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${ASYNC_PREFIXES.output}/*`), this.bucket.arnForObjects(`${ASYNC_PREFIXES.failure}/*`)] }),
    );
    const topics = [this.successTopic, this.errorTopic].filter((t): t is sns.Topic => t !== undefined);
    if (topics.length > 0) execution.addStatements(new iam.PolicyStatement({ sid: 'PublishAsyncNotifications', actions: ['sns:Publish'], resources: topics.map((t) => t.topicArn) }));
    execution.allowEncrypt(encryptionKey);
    execution.allowDecrypt(encryptionKey);
    this.justifications = [{
      finding: /^Resource::.*\/async-(input|output|failures)\/\*$/,
      reason: 'Asynchronous inference reads each queued payload and writes one result (or failure) object per request, with keys generated per request; limited to the prefixes of the endpoint\'s own bucket (read: input only; write: output and failures only).',
    }];

    const includeIn = spec.notifications.includeResponse
      ? [...(this.successTopic ? ['SUCCESS_NOTIFICATION_TOPIC'] : []), ...(this.errorTopic ? ['ERROR_NOTIFICATION_TOPIC'] : [])]
      : [];
    this.config = {
      clientConfig: props.maxConcurrentInvocationsPerInstance !== undefined ? { maxConcurrentInvocationsPerInstance: props.maxConcurrentInvocationsPerInstance } : undefined,
      outputConfig: {
        s3OutputPath: this.outputUri,
        s3FailurePath: this.failureUri,
        kmsKeyId: encryptionKey.keyArn,
        notificationConfig: topics.length > 0 ? {
          successTopic: this.successTopic?.topicArn,
          errorTopic: this.errorTopic?.topicArn,
          includeInferenceResponseIn: includeIn.length > 0 ? includeIn : undefined,
        } : undefined,
      },
    };
  }

  /** Lets a client start asynchronous requests: put payloads under the input prefix and read results and failures. */
  public grantClient(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${ASYNC_PREFIXES.input}/*`)] }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${ASYNC_PREFIXES.output}/*`), this.bucket.arnForObjects(`${ASYNC_PREFIXES.failure}/*`)] }));
  }
}

/**
 * A queue metric of an asynchronous endpoint: AWS/SageMaker, EndpointName only (the queue is the endpoint's).
 * SageMaker developer guide, "Monitoring asynchronous endpoints" (async-inference-monitor): ApproximateBacklogSize,
 * ApproximateBacklogSizePerInstance, ApproximateAgeOfOldestRequest (Average, Max, Min) and HasBacklogWithoutCapacity
 * (Average) have the EndpointName dimension; InvocationFailures, RequestDownloadFailures, ... have EndpointName and
 * VariantName (Sum). The guide spells the processed-count metric `InvocationsProcesssed` (three s): nothing here reads it.
 */
export function asyncQueueMetric(endpointName: string, metricName: 'ApproximateBacklogSize' | 'ApproximateBacklogSizePerInstance' | 'ApproximateAgeOfOldestRequest' | 'HasBacklogWithoutCapacity', props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName, dimensionsMap: { EndpointName: endpointName }, period: Duration.minutes(1), statistic: 'Average', ...props });
}

/**
 * Scaling of an asynchronous endpoint: target tracking on ApproximateBacklogSizePerInstance and,
 * when it scales to zero, the step scaling SageMaker documents for scaling out from zero
 * ("target tracking alone cannot": with no instance the per-instance backlog is not published):
 * one instance added when HasBacklogWithoutCapacity ≥ 1. Developer guide "Autoscale an asynchronous
 * endpoint" (async-inference-autoscale): ChangeInCapacity +1 from lower bound 0, aggregation Average;
 * alarm Average ≥ 1 over 60 s, 2 of 2 periods, missing data missing.
 */
export function addAsyncScaling(scope: Construct, target: appscaling.ScalableTarget, endpointName: string, spec: AsyncSpec, cooldowns: { scaleInCooldownSeconds: number; scaleOutCooldownSeconds: number }): void {
  target.scaleToTrackMetric('BacklogScaling', {
    customMetric: asyncQueueMetric(endpointName, 'ApproximateBacklogSizePerInstance'),
    targetValue: spec.targetBacklogPerInstance,
    scaleInCooldown: Duration.seconds(cooldowns.scaleInCooldownSeconds),
    scaleOutCooldown: Duration.seconds(cooldowns.scaleOutCooldownSeconds),
  });
  if (!spec.scaleToZero) return;
  const fromZero = new appscaling.StepScalingAction(target, 'ScaleOutFromZero', {
    scalingTarget: target,
    adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
    metricAggregationType: appscaling.MetricAggregationType.AVERAGE,
    cooldown: Duration.seconds(cooldowns.scaleOutCooldownSeconds),
  });
  fromZero.addAdjustment({ lowerBound: 0, adjustment: 1 });
  new cloudwatch.Alarm(scope, 'HasBacklogWithoutCapacityAlarm', {
    alarmDescription: `${endpointName} has queued requests and no instance: scale out from zero`,
    metric: asyncQueueMetric(endpointName, 'HasBacklogWithoutCapacity'),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: cloudwatch.TreatMissingData.MISSING,
  }).addAlarmAction(new cwActions.ApplicationScalingAction(fromZero));
}
