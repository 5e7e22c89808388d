/**
 * Secure-by-construction building blocks shared by every AWS construct, and by stacks composing
 * them (the platform's shared stack): customer-managed keys and buckets that are encrypted,
 * versioned, private, TLS-only, logged and retained.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
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

/** Lets a service principal (CloudWatch alarms, EventBridge) publish to a KMS-encrypted SNS topic. */
export function allowServiceToUseKey(key: kms.IKey, servicePrincipal: string): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: `Allow${servicePrincipal.split('.')[0]}ToEncrypt`,
    principals: [new iam.ServicePrincipal(servicePrincipal)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
  }));
}

export interface AccessLogsBucketProps {
  /** @default 365 */
  readonly retentionDays?: number;
}

/**
 * Destination of S3 server access logs. S3 server access logging only delivers to buckets encrypted
 * with SSE-S3 (not SSE-KMS), and a log bucket cannot log to itself: both are acknowledged with that reason.
 */
export class AccessLogsBucket extends s3.Bucket {
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
