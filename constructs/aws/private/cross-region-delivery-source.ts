/**
 * The source of the function a delivery reaches its cross-region stages through (CommonJS, the
 * Node.js 24 Lambda runtime, which bundles the AWS SDK v3). Step Functions' AWS SDK integrations
 * call the state machine's own region only (aws-cdk's CallAwsServiceCrossRegion exists because of
 * it, and cannot assume a role in another account), so a stage in another region is reached here.
 *
 * A fixed set of operations, each on a stage named in the function's own configuration (the
 * environment variable {@link CROSS_REGION_CONFIG_VARIABLE}, written at synth): an execution chooses
 * the operation, the stage and the version, never a region, a stack, a role, a bucket or an API.
 *  - `replicate` { stage, modelPackageArn }: the version (of the source group only, approved) is
 *    copied into the stage region's replica: every S3 input of its inference specification copied
 *    into the replica bucket under the same key, the package created in the replica group
 *    (approved, the same inference specification on the replica's URIs, the image in the stage's
 *    region, metadata naming the source). Idempotent: the replica of a version is found by its
 *    source ARN (a rerun, a rollback). Returns { replicaPackageArn }.
 *  - `current` { stage }: the version serving in the stage, as its source package ARN (or `none`).
 *  - `deploy` { stage, modelPackageArn }: UpdateStack of the stage's stack with its previous
 *    template, the replica package (of the stage region's replica group only) as ModelPackageArn.
 *  - `status` { stage }: { status } of the stage's stack.
 *  - `alarms` { stage }: { alarming }: how many of the stage stack's alarms are in ALARM.
 * The stage's stack and alarms are reached with the stage's deploy role (assumed), the replica
 * with the function's own role (the registry's account).
 *
 * Errors carry names the state machine retries or reports: `CrossRegionDelivery.Throttled`
 * (retried with backoff: aws-sdk-client-mock and the state machine's retry, not the SDK's, are
 * what the tests see), `CrossRegionDelivery.AccessDenied`, `CrossRegionDelivery.Refused` (an input
 * outside the configuration, a version that cannot be replicated).
 */

/** The environment variable holding the function's configuration (JSON of {@link CrossRegionConfig}). */
export const CROSS_REGION_CONFIG_VARIABLE = 'DELIVERY_CONFIG';

/** The replica stack's output naming its artifacts bucket (CloudFormation generates the name). */
export const REPLICA_BUCKET_OUTPUT = 'ArtifactsBucketName';

/** Customer metadata key on a replica: the ARN of the version it replicates. */
export const REPLICA_OF_KEY = 'cdk-mlops:replica-of';

/** One cross-region stage, as the function knows it. */
export interface CrossRegionStageConfig {
  readonly region: string;
  readonly stackName: string;
  readonly deployRoleArn: string;
  readonly cloudFormationRoleArn: string;
  /** The replica stack (the registry's account, the stage's region). */
  readonly replicaStackName: string;
}

export interface CrossRegionConfig {
  /** The registry's model package group: only its versions are replicated. */
  readonly sourceGroupArn: string;
  /** The key prefix (no trailing slash) of the registry's artifacts: only S3 inputs under it are copied. */
  readonly artifactsPrefix: string;
  readonly parameterName: string;
  readonly noPackage: string;
  readonly stages: Readonly<Record<string, CrossRegionStageConfig>>;
}

/**
 * An ECR image URI of one region moved to another (same account and repository: where ECR
 * replication puts it, and where AWS publishes its per-region images); any other image as it is.
 * Written into the function's source too: the platform and the function agree on it.
 */
export function regionalEcrImage(uri: string, from: string, to: string): string {
  const ecr = /^(\d{12}\.dkr\.ecr\.)([a-z0-9-]+)(\.amazonaws\.com(?:\.cn)?\/.+)$/.exec(uri);
  return ecr && ecr[2] === from ? ecr[1] + to + ecr[3] : uri;
}

export const CROSS_REGION_DELIVERY_SOURCE = `'use strict';
const crypto = require('crypto');
const sm = require('@aws-sdk/client-sagemaker');
const s3 = require('@aws-sdk/client-s3');
const cfn = require('@aws-sdk/client-cloudformation');
const cw = require('@aws-sdk/client-cloudwatch');
const sts = require('@aws-sdk/client-sts');
const REPLICA_OF = '${REPLICA_OF_KEY}';
const BUCKET_OUTPUT = '${REPLICA_BUCKET_OUTPUT}';
const PART = 1024 * 1024 * 1024;
const SINGLE_COPY_MAX = 5 * PART;

class DeliveryError extends Error {
  constructor(kind, message) { super(message); this.name = 'CrossRegionDelivery.' + kind; }
}
const THROTTLING = ['Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ServiceUnavailable', 'RequestThrottled', 'RequestThrottledException'];
const DENIED = ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'InvalidClientTokenId', 'ExpiredToken', 'KMS.AccessDeniedException'];
/** One SDK call, its failure named for the state machine: what was called, where, and as whom. */
async function call(client, command, what) {
  try {
    return await client.send(command);
  } catch (e) {
    const name = (e && (e.name || e.Code)) || 'Error';
    const detail = what + ': ' + name + ': ' + ((e && e.message) || e);
    if (THROTTLING.includes(name) || (e && e.$retryable && e.$retryable.throttling)) throw new DeliveryError('Throttled', detail);
    if (DENIED.includes(name) || (e && e.$metadata && e.$metadata.httpStatusCode === 403)) throw new DeliveryError('AccessDenied', detail);
    throw e;
  }
}

function config() {
  return JSON.parse(process.env.${CROSS_REGION_CONFIG_VARIABLE});
}
function stageOf(cfg, name) {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(cfg.stages, name)) throw new DeliveryError('Refused', 'no cross-region stage ' + JSON.stringify(name) + ' in this delivery (stages: ' + Object.keys(cfg.stages).join(', ') + ')');
  return cfg.stages[name];
}
function parseArn(arn) {
  const m = /^arn:(aws[a-z-]*):sagemaker:([a-z0-9-]+):(\\d{12}):model-package\\/([^/]+)\\/(\\d+)$/.exec(typeof arn === 'string' ? arn : '');
  return m && { partition: m[1], region: m[2], account: m[3], group: m[4], version: Number(m[5]) };
}
function sourceGroupOf(cfg) {
  const m = /^arn:(aws[a-z-]*):sagemaker:([a-z0-9-]+):(\\d{12}):model-package-group\\/(.+)$/.exec(cfg.sourceGroupArn);
  return { partition: m[1], region: m[2], account: m[3], group: m[4] };
}
/** A version of the source group, or a refusal. */
function sourcePackage(cfg, arn) {
  const a = parseArn(arn);
  const g = sourceGroupOf(cfg);
  if (!a || a.region !== g.region || a.account !== g.account || a.group !== g.group.toLowerCase()) throw new DeliveryError('Refused', JSON.stringify(arn) + ' is not a version of ' + cfg.sourceGroupArn);
  return a;
}
function replicaPackage(cfg, stage, arn) {
  const a = parseArn(arn);
  const g = sourceGroupOf(cfg);
  if (!a || a.region !== stage.region || a.account !== g.account || a.group !== g.group.toLowerCase()) throw new DeliveryError('Refused', JSON.stringify(arn) + ' is not a version of the replica of ' + g.group + ' in ' + stage.region);
  return a;
}

async function assumed(stage, operation) {
  const out = await call(new sts.STSClient({}), new sts.AssumeRoleCommand({ RoleArn: stage.deployRoleArn, RoleSessionName: ('cdk-mlops-' + operation).slice(0, 64) }), 'sts:AssumeRole ' + stage.deployRoleArn);
  const c = out.Credentials;
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}
async function stackOf(stage, credentials) {
  const out = await call(new cfn.CloudFormationClient({ region: stage.region, credentials }), new cfn.DescribeStacksCommand({ StackName: stage.stackName }), 'cloudformation:DescribeStacks ' + stage.stackName + ' in ' + stage.region);
  return out.Stacks[0];
}

/** s3://bucket/key → { bucket, key }, refused outside the registry's artifacts prefix. */
function s3Location(cfg, uri) {
  const m = /^s3:\\/\\/([^/]+)\\/(.*)$/.exec(uri);
  if (!m || !m[2].startsWith(cfg.artifactsPrefix + '/')) throw new DeliveryError('Refused', 'cannot replicate ' + uri + ': only artifacts under the registry\\'s prefix ' + cfg.artifactsPrefix + '/ are copied');
  return { bucket: m[1], key: m[2] };
}
async function copyObject(source, target, bucket, key) {
  const head = await call(source, new s3.HeadObjectCommand({ Bucket: bucket, Key: key }), 's3:GetObject s3://' + bucket + '/' + key);
  const copySource = bucket + '/' + encodeURIComponent(key).replace(/%2F/g, '/');
  const where = 's3:PutObject s3://' + target.bucket + '/' + key;
  if (head.ContentLength <= SINGLE_COPY_MAX) {
    await call(target.client, new s3.CopyObjectCommand({ Bucket: target.bucket, Key: key, CopySource: copySource }), where);
    return;
  }
  // Over 5 GB, CopyObject refuses: a multipart copy, part by part (S3 CopyObject, UploadPartCopy).
  const upload = await call(target.client, new s3.CreateMultipartUploadCommand({ Bucket: target.bucket, Key: key }), where);
  try {
    const parts = [];
    for (let start = 0, n = 1; start < head.ContentLength; start += PART, n++) {
      const end = Math.min(start + PART, head.ContentLength) - 1;
      const part = await call(target.client, new s3.UploadPartCopyCommand({ Bucket: target.bucket, Key: key, UploadId: upload.UploadId, PartNumber: n, CopySource: copySource, CopySourceRange: 'bytes=' + start + '-' + end }), where);
      parts.push({ PartNumber: n, ETag: part.CopyPartResult.ETag });
    }
    await call(target.client, new s3.CompleteMultipartUploadCommand({ Bucket: target.bucket, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }), where);
  } catch (e) {
    await target.client.send(new s3.AbortMultipartUploadCommand({ Bucket: target.bucket, Key: key, UploadId: upload.UploadId })).catch(() => undefined);
    throw e;
  }
}
/** Copies one S3 input (an object, or every object under a prefix) and returns its URI in the replica bucket. */
async function copyInput(cfg, sourceRegion, target, uri, isPrefix) {
  const { bucket, key } = s3Location(cfg, uri);
  const source = new s3.S3Client({ region: sourceRegion });
  if (!isPrefix) {
    await copyObject(source, target, bucket, key);
  } else {
    let token;
    do {
      const page = await call(source, new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }), 's3:ListBucket s3://' + bucket + '/' + key);
      for (const o of page.Contents || []) await copyObject(source, target, bucket, o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return 's3://' + target.bucket + '/' + key;
}
const regionalEcrImage = ${regionalEcrImage.toString()};
async function replicaContainer(cfg, sourceRegion, stage, target, c) {
  const out = { ...c, Image: typeof c.Image === 'string' ? regionalEcrImage(c.Image, sourceRegion, stage.region) : c.Image };
  delete out.ModelDataETag;
  if (c.ModelDataUrl) out.ModelDataUrl = await copyInput(cfg, sourceRegion, target, c.ModelDataUrl, false);
  const ds = c.ModelDataSource && c.ModelDataSource.S3DataSource;
  if (ds) out.ModelDataSource = { ...c.ModelDataSource, S3DataSource: { ...ds, S3Uri: await copyInput(cfg, sourceRegion, target, ds.S3Uri, ds.S3DataType === 'S3Prefix') } };
  const extra = c.AdditionalS3DataSource;
  if (extra) out.AdditionalS3DataSource = { ...extra, S3Uri: await copyInput(cfg, sourceRegion, target, extra.S3Uri, extra.S3DataType === 'S3Prefix') };
  return out;
}
function marker(sourceArn) {
  return 'Replica of ' + sourceArn;
}
async function findReplica(client, group, sourceArn) {
  let token;
  do {
    const page = await call(client, new sm.ListModelPackagesCommand({ ModelPackageGroupName: group, ModelPackageType: 'Versioned', NextToken: token }), 'sagemaker:ListModelPackages ' + group);
    const found = (page.ModelPackageSummaryList || []).find((p) => p.ModelPackageDescription === marker(sourceArn));
    if (found) return found.ModelPackageArn;
    token = page.NextToken;
  } while (token);
  return undefined;
}

const operations = {
  async replicate(cfg, stage, input) {
    const src = sourcePackage(cfg, input.modelPackageArn);
    const group = sourceGroupOf(cfg).group;
    const replicas = new sm.SageMakerClient({ region: stage.region });
    const existing = await findReplica(replicas, group, input.modelPackageArn);
    if (existing) return { replicaPackageArn: existing, created: false };
    const pkg = await call(new sm.SageMakerClient({ region: src.region }), new sm.DescribeModelPackageCommand({ ModelPackageName: input.modelPackageArn }), 'sagemaker:DescribeModelPackage ' + input.modelPackageArn);
    if (pkg.ModelApprovalStatus !== 'Approved') throw new DeliveryError('Refused', input.modelPackageArn + ' is ' + pkg.ModelApprovalStatus + ', not Approved: only approved versions are delivered');
    if (!pkg.InferenceSpecification) throw new DeliveryError('Refused', input.modelPackageArn + ' has no inference specification (an algorithm or Marketplace package): it cannot be replicated');
    const outputs = (await call(new cfn.CloudFormationClient({ region: stage.region }), new cfn.DescribeStacksCommand({ StackName: stage.replicaStackName }), 'cloudformation:DescribeStacks ' + stage.replicaStackName + ' in ' + stage.region)).Stacks[0].Outputs || [];
    const bucket = (outputs.find((o) => o.OutputKey === BUCKET_OUTPUT) || {}).OutputValue;
    if (!bucket) throw new DeliveryError('Refused', 'stack ' + stage.replicaStackName + ' in ' + stage.region + ' has no output ' + BUCKET_OUTPUT + ': deploy it (cdk deploy ' + stage.replicaStackName + ')');
    const target = { bucket, client: new s3.S3Client({ region: stage.region }) };
    const spec = pkg.InferenceSpecification;
    const containers = [];
    for (const c of spec.Containers) containers.push(await replicaContainer(cfg, src.region, stage, target, c));
    const created = await call(replicas, new sm.CreateModelPackageCommand({
      ModelPackageGroupName: group,
      ModelPackageDescription: marker(input.modelPackageArn),
      ModelApprovalStatus: 'Approved',
      InferenceSpecification: { ...spec, Containers: containers },
      CustomerMetadataProperties: { [REPLICA_OF]: input.modelPackageArn },
      // The same version replicated twice at once creates one package.
      ClientToken: crypto.createHash('sha256').update(input.modelPackageArn).digest('hex').slice(0, 36),
    }), 'sagemaker:CreateModelPackage ' + group + ' in ' + stage.region);
    return { replicaPackageArn: created.ModelPackageArn, created: true };
  },
  async current(cfg, stage) {
    const stack = await stackOf(stage, await assumed(stage, 'current'));
    const value = ((stack.Parameters || []).find((p) => p.ParameterKey === cfg.parameterName) || {}).ParameterValue;
    if (!value || value === cfg.noPackage) return { previous: cfg.noPackage };
    const replica = await call(new sm.SageMakerClient({ region: stage.region }), new sm.DescribeModelPackageCommand({ ModelPackageName: value }), 'sagemaker:DescribeModelPackage ' + value);
    return { previous: (replica.CustomerMetadataProperties || {})[REPLICA_OF] || value, previousReplica: value };
  },
  async deploy(cfg, stage, input) {
    replicaPackage(cfg, stage, input.modelPackageArn);
    const credentials = await assumed(stage, 'deploy');
    const stack = await stackOf(stage, credentials);
    const parameters = (stack.Parameters || []).map((p) => (p.ParameterKey === cfg.parameterName ? { ParameterKey: p.ParameterKey, ParameterValue: input.modelPackageArn } : { ParameterKey: p.ParameterKey, UsePreviousValue: true }));
    await call(new cfn.CloudFormationClient({ region: stage.region, credentials }), new cfn.UpdateStackCommand({
      StackName: stage.stackName, UsePreviousTemplate: true, Parameters: parameters, Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'], RoleARN: stage.cloudFormationRoleArn,
    }), 'cloudformation:UpdateStack ' + stage.stackName + ' in ' + stage.region);
    return { deployed: input.modelPackageArn };
  },
  async status(cfg, stage) {
    return { status: (await stackOf(stage, await assumed(stage, 'status'))).StackStatus };
  },
  async alarms(cfg, stage) {
    const credentials = await assumed(stage, 'alarms');
    const client = new cw.CloudWatchClient({ region: stage.region, credentials });
    let alarming = 0;
    let token;
    do {
      const page = await call(client, new cw.DescribeAlarmsCommand({ AlarmNamePrefix: stage.stackName + '-', StateValue: 'ALARM', NextToken: token }), 'cloudwatch:DescribeAlarms ' + stage.stackName + '-* in ' + stage.region);
      alarming += (page.MetricAlarms || []).length + (page.CompositeAlarms || []).length;
      token = page.NextToken;
    } while (token);
    return { alarming };
  },
};

exports.handler = async (event) => {
  const cfg = config();
  const op = event && event.operation;
  if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(operations, op)) throw new DeliveryError('Refused', 'no operation ' + JSON.stringify(op) + ' (operations: ' + Object.keys(operations).join(', ') + ')');
  const result = await operations[op](cfg, stageOf(cfg, event.stage), event);
  console.log(JSON.stringify({ operation: op, stage: event.stage, result }));
  return result;
};
`;
