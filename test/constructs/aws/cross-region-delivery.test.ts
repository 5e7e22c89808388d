/**
 * The cross-region delivery function's handler (constructs/aws/private/cross-region-delivery-source.ts),
 * run as Lambda runs it, against aws-sdk-client-mock (which bypasses the SDK's retries: throttling
 * surfaces as an error the state machine retries, `CrossRegionDelivery.Throttled`).
 */
import * as vm from 'vm';
import { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import { CreateModelPackageCommand, DescribeModelPackageCommand, DescribeModelPackageCommandOutput, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3b from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { ModelDelivery, ModelRegistry } from '../../../constructs/aws';
import { CROSS_REGION_CONFIG_VARIABLE, CROSS_REGION_DELIVERY_SOURCE, CrossRegionConfig, regionalEcrImage, REPLICA_OF_KEY } from '../../../constructs/aws/private/cross-region-delivery-source';

const REGISTRY = '111122223333';
const PROD = '555566667777';
const SOURCE = `arn:aws:sagemaker:us-east-1:${REGISTRY}:model-package/support-assistant/7`;
const REPLICA = `arn:aws:sagemaker:eu-west-1:${REGISTRY}:model-package/support-assistant/2`;
const PREFIX = 'pipelines/p-support-assistant';
const ARTIFACT = `s3://source-bucket/${PREFIX}/job-1/output/model.tar.gz`;
const DEPLOY_ROLE = `arn:aws:iam::${PROD}:role/p-support-assistant-prod-deploy`;
const CONFIG: CrossRegionConfig = {
  sourceGroupArn: `arn:aws:sagemaker:us-east-1:${REGISTRY}:model-package-group/support-assistant`,
  artifactsPrefix: PREFIX,
  parameterName: 'ModelPackageArn',
  noPackage: 'none',
  stages: {
    prod: { region: 'eu-west-1', stackName: 'p-support-assistant-prod', deployRoleArn: DEPLOY_ROLE, cloudFormationRoleArn: `arn:aws:iam::${PROD}:role/cdk-hnb659fds-cfn-exec-role-${PROD}-eu-west-1`, replicaStackName: 'p-support-assistant-replica-eu-west-1' },
  },
};

const sagemaker = mockClient(SageMakerClient);
const s3 = mockClient(S3Client);
const cfn = mockClient(CloudFormationClient);
const cloudwatch = mockClient(CloudWatchClient);
const sts = mockClient(STSClient);

function load(): (event: unknown) => Promise<Record<string, unknown>> {
  const mod = { exports: {} as { handler: (event: unknown) => Promise<Record<string, unknown>> } };
  // The test's own process (jest gives each test file its copy of process.env).
  vm.runInThisContext(`(function (require, module, exports, process) {\n${CROSS_REGION_DELIVERY_SOURCE}\n})`)(require, mod, mod.exports, process);
  return mod.exports.handler;
}
const handler = load();

/** An error as the SDK raises it. */
function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} raised by the service`), { name, $metadata: { httpStatusCode: status } });
}

const approved: DescribeModelPackageCommandOutput = {
  $metadata: {}, ModelPackageName: 'support-assistant', CreationTime: new Date('2026-12-01T00:00:00Z'), ModelPackageStatus: 'Completed', ModelPackageStatusDetails: undefined,
  ModelPackageArn: SOURCE, ModelApprovalStatus: 'Approved',
  InferenceSpecification: {
    Containers: [{ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/assistant:2.4.0', ModelDataUrl: ARTIFACT, ModelDataETag: '"abc"', Environment: { PORT: '8080' } }],
    SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'], SupportedRealtimeInferenceInstanceTypes: ['ml.g5.2xlarge'],
  },
};

beforeEach(() => {
  for (const m of [sagemaker, s3, cfn, cloudwatch, sts]) m.reset();
  process.env[CROSS_REGION_CONFIG_VARIABLE] = JSON.stringify(CONFIG);
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAPROD', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2030-01-01T00:00:00Z') } });
  cfn.on(DescribeStacksCommand, { StackName: CONFIG.stages.prod.replicaStackName }).resolves({ Stacks: [{ StackName: 'r', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'ArtifactsBucketName', OutputValue: 'replica-bucket' }] }] });
});
afterAll(() => { delete process.env[CROSS_REGION_CONFIG_VARIABLE]; });

describe('replicate', () => {
  it('copies the artifact into the replica bucket under the same key and creates the approved replica with the image of the stage region', async () => {
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: SOURCE }).resolves(approved);
    s3.on(HeadObjectCommand).resolves({ ContentLength: 3 * 1024 ** 3 });
    s3.on(CopyObjectCommand).resolves({});
    sagemaker.on(CreateModelPackageCommand).resolves({ ModelPackageArn: REPLICA });

    await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE })).resolves.toEqual({ replicaPackageArn: REPLICA, created: true });
    expect(s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'source-bucket', Key: `${PREFIX}/job-1/output/model.tar.gz` }]);
    const copy = s3.commandCalls(CopyObjectCommand)[0];
    expect(copy.args[0].input).toEqual({ Bucket: 'replica-bucket', Key: `${PREFIX}/job-1/output/model.tar.gz`, CopySource: `source-bucket/${PREFIX}/job-1/output/model.tar.gz` });
    // The copy is sent to the destination's region (S3 copies from the source region server-side).
    expect(await (copy.thisValue as S3Client).config.region()).toBe('eu-west-1');
    const create = sagemaker.commandCalls(CreateModelPackageCommand)[0];
    expect(await (create.thisValue as SageMakerClient).config.region()).toBe('eu-west-1');
    expect(create.args[0].input).toEqual({
      ModelPackageGroupName: 'support-assistant',
      ModelPackageDescription: `Replica of ${SOURCE}`,
      ModelApprovalStatus: 'Approved',
      InferenceSpecification: {
        ...approved.InferenceSpecification,
        Containers: [{ Image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/assistant:2.4.0', ModelDataUrl: `s3://replica-bucket/${PREFIX}/job-1/output/model.tar.gz`, Environment: { PORT: '8080' } }],
      },
      CustomerMetadataProperties: { [REPLICA_OF_KEY]: SOURCE },
      ClientToken: expect.stringMatching(/^[0-9a-f]{36}$/),
    });
  });

  it('finds the replica of a version it already replicated (a rerun, a rollback) and copies nothing', async () => {
    sagemaker.on(ListModelPackagesCommand).resolvesOnce({ ModelPackageSummaryList: [{ ModelPackageArn: `${REPLICA.replace(/\/2$/, '/1')}`, ModelPackageDescription: 'Replica of another', CreationTime: new Date(), ModelPackageStatus: 'Completed', ModelPackageName: 'support-assistant' }], NextToken: 'page2' })
      .resolvesOnce({ ModelPackageSummaryList: [{ ModelPackageArn: REPLICA, ModelPackageDescription: `Replica of ${SOURCE}`, CreationTime: new Date(), ModelPackageStatus: 'Completed', ModelPackageName: 'support-assistant' }] });
    await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE })).resolves.toEqual({ replicaPackageArn: REPLICA, created: false });
    expect(sagemaker.commandCalls(ListModelPackagesCommand).map((c) => c.args[0].input)).toEqual([
      { ModelPackageGroupName: 'support-assistant', ModelPackageType: 'Versioned', NextToken: undefined },
      { ModelPackageGroupName: 'support-assistant', ModelPackageType: 'Versioned', NextToken: 'page2' },
    ]);
    expect(s3.commandCalls(CopyObjectCommand)).toEqual([]);
    expect(sagemaker.commandCalls(CreateModelPackageCommand)).toEqual([]);
  });

  it('copies an artifact over 5 GB part by part, and every object of an uncompressed (S3Prefix) model', async () => {
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    sagemaker.on(DescribeModelPackageCommand).resolves({ ...approved, InferenceSpecification: { Containers: [{ Image: 'img', ModelDataSource: { S3DataSource: { S3Uri: `s3://source-bucket/${PREFIX}/job-2/model/`, S3DataType: 'S3Prefix', CompressionType: 'None' } } }] } });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${PREFIX}/job-2/model/config.json` }, { Key: `${PREFIX}/job-2/model/weights.safetensors` }] });
    s3.on(HeadObjectCommand, { Key: `${PREFIX}/job-2/model/config.json` }).resolves({ ContentLength: 100 });
    s3.on(HeadObjectCommand, { Key: `${PREFIX}/job-2/model/weights.safetensors` }).resolves({ ContentLength: 6 * 1024 ** 3 + 1 });
    s3.on(CopyObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) => Promise.resolve({ CopyPartResult: { ETag: `"e${input.PartNumber}"` } }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    sagemaker.on(CreateModelPackageCommand).resolves({ ModelPackageArn: REPLICA });

    await handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE });
    expect(s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.Key)).toEqual([`${PREFIX}/job-2/model/config.json`]);
    const parts = s3.commandCalls(UploadPartCopyCommand).map((c) => [c.args[0].input.PartNumber, c.args[0].input.CopySourceRange]);
    expect(parts).toHaveLength(7);
    expect(parts[0]).toEqual([1, `bytes=0-${1024 ** 3 - 1}`]);
    expect(parts[6]).toEqual([7, `bytes=${6 * 1024 ** 3}-${6 * 1024 ** 3}`]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input.MultipartUpload!.Parts).toHaveLength(7);
    const container = sagemaker.commandCalls(CreateModelPackageCommand)[0].args[0].input.InferenceSpecification!.Containers![0];
    expect(container.ModelDataSource).toEqual({ S3DataSource: { S3Uri: `s3://replica-bucket/${PREFIX}/job-2/model/`, S3DataType: 'S3Prefix', CompressionType: 'None' } });
  });

  it('refuses a version of another group or account, an unapproved version, and an artifact outside the registry prefix', async () => {
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    for (const arn of [SOURCE.replace('support-assistant', 'churn'), SOURCE.replace(REGISTRY, '999988887777'), REPLICA, 'arn:aws:s3:::bucket/key']) {
      await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: arn })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused', message: expect.stringContaining('is not a version of') });
    }
    sagemaker.on(DescribeModelPackageCommand).resolvesOnce({ ...approved, ModelApprovalStatus: 'PendingManualApproval' })
      .resolvesOnce({ ...approved, InferenceSpecification: { Containers: [{ Image: 'img', ModelDataUrl: 's3://team-bucket/elsewhere/model.tar.gz' }] } });
    await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused', message: expect.stringContaining('not Approved') });
    await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused', message: expect.stringContaining(`only artifacts under the registry's prefix ${PREFIX}/`) });
    expect(sagemaker.commandCalls(CreateModelPackageCommand)).toEqual([]);
  });
});

describe('the stage stack, with the stage deploy role', () => {
  it('names the version serving in the stage by its source ARN, read from the replica', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'p-support-assistant-prod' }).resolves({ Stacks: [{ StackName: 'p', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Parameters: [{ ParameterKey: 'ModelPackageArn', ParameterValue: REPLICA }] }] });
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: REPLICA }).resolves({ CustomerMetadataProperties: { [REPLICA_OF_KEY]: SOURCE } });
    await expect(handler({ operation: 'current', stage: 'prod' })).resolves.toEqual({ previous: SOURCE, previousReplica: REPLICA });
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({ RoleArn: DEPLOY_ROLE, RoleSessionName: 'cdk-mlops-current' });
    // The stage's stack is read with the assumed role's credentials, in the stage's region.
    const describe = cfn.commandCalls(DescribeStacksCommand, { StackName: 'p-support-assistant-prod' })[0].thisValue as CloudFormationClient;
    expect(await describe.config.region()).toBe('eu-west-1');
    expect(await describe.config.credentials()).toMatchObject({ accessKeyId: 'ASIAPROD', sessionToken: 'token' });

    cfn.on(DescribeStacksCommand, { StackName: 'p-support-assistant-prod' }).resolves({ Stacks: [{ StackName: 'p', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Parameters: [{ ParameterKey: 'ModelPackageArn', ParameterValue: 'none' }] }] });
    await expect(handler({ operation: 'current', stage: 'prod' })).resolves.toEqual({ previous: 'none' });
  });

  it('updates the stack with its previous template, the replica as ModelPackageArn and every other parameter kept, through CloudFormation\'s role', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'p-support-assistant-prod' }).resolves({ Stacks: [{ StackName: 'p', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Parameters: [{ ParameterKey: 'ModelPackageArn', ParameterValue: 'none' }, { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' }] }] });
    cfn.on(UpdateStackCommand).resolves({ StackId: 'id' });
    await handler({ operation: 'deploy', stage: 'prod', modelPackageArn: REPLICA });
    expect(cfn.commandCalls(UpdateStackCommand)[0].args[0].input).toEqual({
      StackName: 'p-support-assistant-prod', UsePreviousTemplate: true,
      Parameters: [{ ParameterKey: 'ModelPackageArn', ParameterValue: REPLICA }, { ParameterKey: 'BootstrapVersion', UsePreviousValue: true }],
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'], RoleARN: CONFIG.stages.prod.cloudFormationRoleArn,
    });
  });

  it('deploys only a replica of the stage region: not the source version, not a package of another region or group', async () => {
    for (const arn of [SOURCE, REPLICA.replace('eu-west-1', 'ap-south-1'), REPLICA.replace('support-assistant', 'churn')]) {
      await expect(handler({ operation: 'deploy', stage: 'prod', modelPackageArn: arn })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused' });
    }
    expect(cfn.commandCalls(UpdateStackCommand)).toEqual([]);
    expect(sts.commandCalls(AssumeRoleCommand)).toEqual([]);
  });

  it("reads the stack's status, and counts its alarms in ALARM across pages", async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'p-support-assistant-prod' }).resolves({ Stacks: [{ StackName: 'p', CreationTime: new Date(), StackStatus: 'UPDATE_IN_PROGRESS' }] });
    await expect(handler({ operation: 'status', stage: 'prod' })).resolves.toEqual({ status: 'UPDATE_IN_PROGRESS' });
    cloudwatch.on(DescribeAlarmsCommand).resolvesOnce({ MetricAlarms: [{ AlarmName: 'p-support-assistant-prod-Latency-1' }], NextToken: 'n' }).resolvesOnce({ MetricAlarms: [], CompositeAlarms: [{ AlarmName: 'p-support-assistant-prod-All-2' }] });
    await expect(handler({ operation: 'alarms', stage: 'prod' })).resolves.toEqual({ alarming: 2 });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({ AlarmNamePrefix: 'p-support-assistant-prod-', StateValue: 'ALARM', NextToken: undefined });
  });
});

describe('what an execution cannot widen, and how failures surface', () => {
  it('refuses an operation or a stage outside its configuration, calling nothing', async () => {
    await expect(handler({ operation: 'deleteStack', stage: 'prod' })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused', message: expect.stringContaining('operations: replicate, current, deploy, status, alarms') });
    await expect(handler({ operation: 'toString', stage: 'prod' })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused' });
    await expect(handler({ operation: 'status', stage: 'staging' })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused', message: expect.stringContaining('no cross-region stage "staging"') });
    await expect(handler({ operation: 'status', stage: 'constructor' })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Refused' });
    expect(sts.calls()).toEqual([]);
    expect(cfn.calls()).toEqual([]);
  });

  it('names throttling CrossRegionDelivery.Throttled (the state machine retries it), whatever the service', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'p-support-assistant-prod' }).rejects(awsError('Throttling', 400));
    await expect(handler({ operation: 'status', stage: 'prod' })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Throttled', message: expect.stringContaining('cloudformation:DescribeStacks p-support-assistant-prod in eu-west-1: Throttling') });
    sagemaker.on(ListModelPackagesCommand).rejects(awsError('ThrottlingException', 400));
    await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Throttled' });
    s3.on(HeadObjectCommand).rejects(awsError('SlowDown', 503));
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    sagemaker.on(DescribeModelPackageCommand).resolves(approved);
    await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE })).rejects.toMatchObject({ name: 'CrossRegionDelivery.Throttled' });
  });

  it('names a missing permission CrossRegionDelivery.AccessDenied, saying which call as whom', async () => {
    sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 403));
    await expect(handler({ operation: 'alarms', stage: 'prod' })).rejects.toMatchObject({ name: 'CrossRegionDelivery.AccessDenied', message: expect.stringContaining(`sts:AssumeRole ${DEPLOY_ROLE}: AccessDenied`) });
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    sagemaker.on(DescribeModelPackageCommand).resolves(approved);
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    s3.on(CopyObjectCommand).rejects(awsError('AccessDenied', 403));
    await expect(handler({ operation: 'replicate', stage: 'prod', modelPackageArn: SOURCE })).rejects.toMatchObject({ name: 'CrossRegionDelivery.AccessDenied', message: expect.stringContaining(`s3:PutObject s3://replica-bucket/${PREFIX}/job-1/output/model.tar.gz`) });
    expect(sagemaker.commandCalls(CreateModelPackageCommand)).toEqual([]);
  });
});

describe('regionalEcrImage', () => {
  it("moves an ECR image of the source region to the stage's, and leaves any other image alone", () => {
    expect(regionalEcrImage('763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0', 'us-east-1', 'eu-west-1')).toBe('763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0');
    expect(regionalEcrImage('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/m@sha256:ab', 'cn-north-1', 'cn-northwest-1')).toBe('123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/m@sha256:ab');
    expect(regionalEcrImage('123456789012.dkr.ecr.us-west-2.amazonaws.com/m:1', 'us-east-1', 'eu-west-1')).toBe('123456789012.dkr.ecr.us-west-2.amazonaws.com/m:1');
    expect(regionalEcrImage('ghcr.io/team/m:1', 'us-east-1', 'eu-west-1')).toBe('ghcr.io/team/m:1');
  });
});

describe('ModelDelivery with a stage in another region', () => {
  const render = (crossRegion?: { artifactsPrefix: string }) => {
    const stack = new Stack(new App(), 'Registry', { env: { account: REGISTRY, region: 'us-east-1' } });
    return () => new ModelDelivery(stack, 'Delivery', {
      name: 'p-churn-delivery', registry: ModelRegistry.fromModelPackageGroupName(stack, 'Group', 'churn'), alarmTopic: new sns.Topic(stack, 'Topic'), encryptionKey: new kms.Key(stack, 'Key'),
      stages: [{ name: 'prod', approval: 'manual', bakeMinutes: 0, stackName: 'p-churn-prod', account: PROD, region: 'eu-west-1', deployRoleArn: DEPLOY_ROLE, cloudFormationRoleArn: 'arn:aws:iam::555566667777:role/cfn', replicaStackName: 'p-churn-replica-eu-west-1' }],
      crossRegion: crossRegion && { name: 'p-churn-xregion', artifactsBucket: s3b.Bucket.fromBucketName(stack, 'Artifacts', 'artifacts'), ...crossRegion },
    });
  };

  it('needs where the artifacts are, naming the construct and the field', () => {
    expect(render()).toThrow("ModelDelivery 'Registry/Delivery': crossRegion is required: stages prod are in another region than the registry's");
    expect(render({ artifactsPrefix: '/pipelines/p-churn/' })).toThrow(/crossRegion\.artifactsPrefix: expected the registry's key prefix without leading or trailing slash .* got '\/pipelines\/p-churn\/'/);
    expect(render({ artifactsPrefix: 'pipelines/p-churn' })).not.toThrow();
  });
});
