/**
 * Secure-by-construction building blocks shared by every AWS construct, and by stacks composing
 * them (the platform's shared stack): customer-managed keys and buckets that are encrypted,
 * versioned, private, TLS-only, logged and retained.
 */
import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The key passed in, or a new customer-managed key with rotation, retained on delete. */
export function keyOrNew(scope: Construct, id: string, provided: kms.IKey | undefined, description: string): kms.IKey {
  if (provided) return provided;
  return new kms.Key(scope, id, {
    description,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/**
 * Lets a service principal (CloudWatch alarms, EventBridge) publish to a KMS-encrypted SNS topic.
 * False when the key's policy cannot be changed here (a key imported by ARN).
 */
export function allowServiceToUseKey(key: kms.IKey, servicePrincipal: string): boolean {
  return key.addToResourcePolicy(new iam.PolicyStatement({
    sid: `Allow${servicePrincipal.split('.')[0]}ToEncrypt`,
    principals: [new iam.ServicePrincipal(servicePrincipal)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
  })).statementAdded;
}

/** The services that publish alarms and events to a topic: CloudWatch alarm actions and EventBridge rule targets. */
const PUBLISHING_SERVICES = ['cloudwatch.amazonaws.com', 'events.amazonaws.com'];

/**
 * Lets CloudWatch alarms and EventBridge rules of the topic's account publish to it. CloudWatch
 * needs the topic policy to allow it once the topic has a policy of its own (an `enforceSSL` topic
 * does: it replaces SNS's default policy); EventBridge targets add their own statement. Both use the
 * topic's KMS key: its key policy must let them (a key imported by ARN cannot be changed here: a
 * warning names the statement its owner must add).
 */
export function allowAlarmPublishing(scope: Construct, topic: sns.ITopic): void {
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToPublish',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(topic).account } },
  }));
  const key = topic.masterKey;
  if (!key) return;
  const added = PUBLISHING_SERVICES.map((service) => allowServiceToUseKey(key, service));
  if (added.some((a) => !a)) {
    Annotations.of(scope).addWarningV2('cdk-mlops:alarmTopicImportedKey',
      `The alarm topic is encrypted with an imported KMS key (${key.keyArn}) whose key policy cannot be changed here: CloudWatch alarms and EventBridge rules cannot publish to it until its owner adds to the key policy { "Sid": "AllowAlarmsToUseKey", "Effect": "Allow", "Principal": { "Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*" }.`);
  }
}

export interface AccessLogsBucketProps {
  /** @default 365 */
  readonly retentionDays?: number;
}

/** The service principal that delivers S3 server access logs. */
const S3_LOGGING_SERVICE = 'logging.s3.amazonaws.com';

/** A statement CDK adds for a bucket that logs here: PutObject for the logging service under that bucket's prefix. */
function isLogDeliveryGrant(statement: iam.PolicyStatement): boolean {
  return statement.effect === iam.Effect.ALLOW
    && statement.principals.length === 1 && statement.principals[0] instanceof iam.ServicePrincipal && statement.principals[0].service === S3_LOGGING_SERVICE
    && statement.actions.length === 1 && statement.actions[0] === 's3:PutObject' && statement.notResources.length === 0;
}

/**
 * Destination of S3 server access logs. S3 server access logging only delivers to buckets encrypted
 * with SSE-S3 (not SSE-KMS), and a log bucket cannot log to itself: both are acknowledged with that reason.
 *
 * Every bucket logging here is let in by one statement: the logging service may write any key, for
 * source buckets of this account only (`aws:SourceAccount`). CDK would add a statement per source
 * bucket, listing its prefix: at a few hundred buckets the policy passes S3's 20 KB limit.
 */
export class AccessLogsBucket extends s3.Bucket {
  private logDeliveryAllowed = false;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id, {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      // Object ownership is left to CDK: with '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy' it
      // grants the logging service by bucket policy (ACLs disabled), without it by the LogDeliveryWrite ACL.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(props.retentionDays ?? 365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    const reasonSelf = 'This is the server access log destination; logging it to itself would loop. Access to it is recorded by CloudTrail.';
    const reasonKms = 'S3 server access logging delivers only to SSE-S3 encrypted buckets; SSE-KMS is not supported for log destinations.';
    const reasonRepl = 'Access logs are a secondary record; replicating them is a cost decision left to the account owner.';
    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-S1', reason: reasonSelf },
      { id: 'NIST.800.53.R5-S3BucketLoggingEnabled', reason: reasonSelf },
      { id: 'HIPAA.Security-S3BucketLoggingEnabled', reason: reasonSelf },
      { id: 'NIST.800.53.R5-S3DefaultEncryptionKMS', reason: reasonKms },
      { id: 'HIPAA.Security-S3DefaultEncryptionKMS', reason: reasonKms },
      { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason: reasonRepl },
      { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: reasonRepl },
    );
  }

  public override addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    if (!isLogDeliveryGrant(statement)) return super.addToResourcePolicy(statement);
    if (!this.logDeliveryAllowed) {
      this.logDeliveryAllowed = true;
      super.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'S3ServerAccessLogDelivery',
        principals: [new iam.ServicePrincipal(S3_LOGGING_SERVICE)],
        actions: ['s3:PutObject'],
        resources: [this.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }));
    }
    return { statementAdded: true, policyDependable: this.policy };
  }
}

export interface SecureBucketProps {
  readonly encryptionKey: kms.IKey;
  readonly accessLogs: s3.IBucket;
  readonly accessLogsPrefix: string;
  readonly lifecycleRules?: s3.LifecycleRule[];
  /** Why cross-region replication is not configured, for the audit trail. */
  readonly replicationReason: string;
}

/** A data bucket: KMS-encrypted with the given key, versioned, private, TLS-only, access-logged, retained. */
export class SecureBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: props.accessLogsPrefix,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: props.lifecycleRules,
    });
    Validations.of(this).acknowledge(
      { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason: props.replicationReason },
      { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: props.replicationReason },
    );
  }
}
