/**
 * Data paths: for every runtime flow a synthesized platform sets up, the principal's identity
 * policies, the resource policy and the KMS key policy, evaluated together by a real IAM evaluator
 * (@cloud-copilot/iam-simulate), allow it; and what must stay closed is denied.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModelEndpoint, ModelImage, ModelData, ModelSource } from '../../../constructs/aws';
import { AccessLogsBucket, SecureBucket } from '../../../constructs/aws';
import { PlatformSpecInput } from '../../../lib/spec';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { loadPlatformSpec } from '../../../lib/spec';
import * as path from 'path';
import { referencePlatform } from '../../../stacks/reference-platform';
import { ENV, IamWorld } from './iam-paths';
import { Flow, FlowKind, FlowReader } from './runtime-flows';

/** cdk.json's context: what `npm run synth` synthesizes with. */
const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true, '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, '@aws-cdk/core:defaultCrossStackReferences': 'strong' };
const CONSUMER_ACCOUNT = '444455556666';

function platformWorld(spec: PlatformSpecInput): { world: IamWorld; platform: AwsPlatform } {
  const app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
  const platform = new AwsPlatform(app, 'Platform', { spec: { ...spec, aws: { ...spec.aws, account: ENV.account, region: ENV.region } } });
  return { world: IamWorld.fromApp(app), platform };
}

async function evaluateFlows(world: IamWorld, flows: Flow[]): Promise<{ counts: Partial<Record<FlowKind, number>>; denied: Record<string, string> }> {
  const counts: Partial<Record<FlowKind, number>> = {};
  const denied: Record<string, string> = {};
  for (const flow of flows) {
    counts[flow.kind] = (counts[flow.kind] ?? 0) + 1;
    const result = await world.evaluateAll(flow.requests);
    if (result !== 'Allowed') denied[flow.name] = result;
  }
  return { counts, denied };
}

describe('data paths of the reference platform', () => {
  let world: IamWorld;
  beforeAll(() => { ({ world } = platformWorld(referencePlatform)); });

  it('allows every runtime flow it sets up', async () => {
    const { counts, denied } = await evaluateFlows(world, new FlowReader(world).all());
    expect(denied).toEqual({});
    // Two endpoints with data capture (the support assistant's stage endpoints come with its first delivery), two monitors, the pipelines' jobs, the cluster's two groups,
    // the tracker, the alarms and rules, the flow logs of the VPCs (the platform's and the two stages') and every logged bucket.
    expect(counts).toEqual({
      endpoint: 2, dataCapture: 2, monitor: 2, pipelineStep: expect.any(Number), hyperpod: 2, mlflow: 1,
      alarmTopic: expect.any(Number), flowLogs: 3, accessLogs: expect.any(Number),
    });
    expect(counts.pipelineStep).toBeGreaterThanOrEqual(7);
    expect(counts.alarmTopic).toBeGreaterThanOrEqual(10);
    // The support assistant's data capture bucket comes with its first delivery.
    expect(counts.accessLogs).toBeGreaterThanOrEqual(7);
  });

  it("denies one model's endpoint role the other model's training data", async () => {
    const reader = new FlowReader(world);
    const churnRole = world.roleArn('mlops-reference-churn', 'EndpointExecutionRole');
    const llmPipeline = reader.pipelines().find((p) => p.name.startsWith('mlops-reference-support-assistant/'))!;
    const train = llmPipeline.steps.find((s) => s.Type === 'Training')!;
    const out = (train.Arguments as { OutputDataConfig: { S3OutputPath: unknown; KmsKeyId: string } }).OutputDataConfig;
    const object = `arn:aws:s3:::${llmPipeline.evaluate(out.S3OutputPath).replace('s3://', '')}/job/output/model.tar.gz`;
    expect(await world.evaluate({ principal: churnRole, action: 's3:GetObject', resource: object })).toEqual({ result: 'ImplicitlyDenied' });
  });
});

describe('data paths of batch transforms (examples/batch-scoring.yaml)', () => {
  let world: IamWorld;
  beforeAll(() => { ({ world } = platformWorld(loadPlatformSpec(path.join(__dirname, '..', '..', '..', 'examples', 'batch-scoring.yaml')))); });

  it('allows every runtime flow: each transform reads its input prefix and writes its output prefix with the platform key', async () => {
    const { counts, denied } = await evaluateFlows(world, new FlowReader(world).all());
    expect(denied).toEqual({});
    expect(counts.batchTransform).toBe(2);
  });

  it('gives the transform role nothing else: no write to the input, no read of the results or of the other model\'s data, no training', async () => {
    const role = world.roleArn('scoring-churn', 'BatchExecutionRole');
    const requests = [
      { action: 's3:PutObject', resource: 'arn:aws:s3:::my-data-us-east-1/churn/customers/part-0.csv' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::my-data-us-east-1/churn/scores/exec/part-0.csv.out' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::my-invoices-us-east-1/incoming/part-0.jsonl' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::my-data-us-east-1/churn/training/part-0.csv' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::my-data-us-east-1/churn/scores/exec/part-0.csv.out' },
      { action: 'sagemaker:CreateTrainingJob', resource: `arn:aws:sagemaker:${ENV.region}:${ENV.account}:training-job/pipelines-x-train-abc` },
    ];
    const decisions = await Promise.all(requests.map(async (r) => [`${r.action} ${r.resource}`, (await world.evaluate({ principal: role, ...r })).result]));
    expect(decisions.filter(([, result]) => result === 'Allowed')).toEqual([]);
  });
});

describe('data paths of a model serving the version its own pipeline trained, read by another account', () => {
  let world: IamWorld;
  beforeAll(() => {
    const spec: PlatformSpecInput = {
      ...referencePlatform,
      // Both models pin a version: no model follows the registry, so no delivery.
      delivery: undefined,
      models: referencePlatform.models.map((m) => m.name === 'churn'
        // The drift monitor compares with the baseline the pipeline computes (no S3 URIs of its own).
        ? { ...m, source: { registryVersion: 3 }, registry: { ...m.registry, crossAccountReadAccountIds: [CONSUMER_ACCOUNT] }, drift: { ...m.drift!, dataQuality: { ...m.drift!.dataQuality!, baseline: undefined } } }
        : m.name === 'support-assistant' ? { ...m, source: { registryVersion: 1 } } : m),
    };
    ({ world } = platformWorld(spec));
  });

  it('allows every runtime flow, the monitor reading the baseline the pipeline wrote among them', async () => {
    const reader = new FlowReader(world);
    const { counts, denied } = await evaluateFlows(world, reader.all());
    expect(denied).toEqual({});
    expect(counts).toMatchObject({ endpoint: 3, dataCapture: 3, monitor: 2 });
    const dataQuality = reader.monitors().find((f) => f.name.startsWith('mlops-reference-churn/DriftMonitorDataQualityJob'));
    expect(dataQuality?.requests.map((r) => r.resource)).toContainEqual(expect.stringMatching(/^arn:aws:s3:::mlops-reference-shared-modelartifacts[0-9a-f]+\/pipelines\/mlops-reference-churn\/baselines\/DataQualityBaseline\/constraints\.json$/));
  });

  it('lets the endpoint read the model.tar.gz its pipeline wrote, with the key the pipeline wrote it with, and pull the registered image', async () => {
    const flows = new FlowReader(world).endpoints().filter((f) => f.name.startsWith('mlops-reference-churn/'));
    expect(flows).toHaveLength(1);
    expect(flows[0].requests.map((r) => r.action)).toEqual(['sagemaker:DescribeModelPackage', 's3:GetObject', 'kms:Decrypt', 'ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']);
    expect(await world.evaluateAll(flows[0].requests)).toBe('Allowed');
  });

  it("denies another model's endpoint role this model's artifacts", async () => {
    const reader = new FlowReader(world);
    const churnPackage = 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn/3';
    const { modelObject, key } = reader.registeredBy(churnPackage);
    const otherRole = world.roleArn('mlops-reference-support-assistant', 'EndpointExecutionRole');
    expect(await world.evaluateAll(reader.read(otherRole, modelObject, key))).toMatch(/^ImplicitlyDenied: .* s3:GetObject /);
  });

  it('lets the other account describe the package, read its artifact and decrypt it through S3', async () => {
    const reader = new FlowReader(world);
    const churnPackage = 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn/3';
    const { modelObject, key } = reader.registeredBy(churnPackage);
    const consumer = `arn:aws:iam::${CONSUMER_ACCOUNT}:role/deployer`;
    // The consumer's own account lets its role do all of it; what matters is what this platform's policies allow.
    const consumerPolicy = { name: 'consumer', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sagemaker:DescribeModelPackage', 's3:GetObject', 'kms:Decrypt'], Resource: '*' }] } };
    const requests = [{ principal: consumer, action: 'sagemaker:DescribeModelPackage', resource: churnPackage }, ...reader.read(consumer, modelObject, key)];
    const results = [];
    for (const r of requests) results.push(await world.evaluateWith([consumerPolicy], r));
    expect(results).toEqual([{ result: 'Allowed' }, { result: 'Allowed' }, { result: 'Allowed' }]);
    // Only what the registry shares: another model's artifacts stay closed to that account.
    const other = reader.registeredBy('arn:aws:sagemaker:us-east-1:111122223333:model-package/support-assistant/1');
    expect(await world.evaluateWith([consumerPolicy], { principal: consumer, action: 's3:GetObject', resource: other.modelObject })).toEqual({ result: 'ImplicitlyDenied' });
  });
});

describe('data paths with an imported key and an imported role', () => {
  const KEY_ARN = `arn:aws:kms:${ENV.region}:${ENV.account}:key/11111111-2222-4333-8444-555555555555`;
  const ROLE_ARN = `arn:aws:iam::${ENV.account}:role/team-model-role`;
  let world: IamWorld;
  let stack: Stack;
  beforeAll(() => {
    const app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
    stack = new Stack(app, 'Team', { env: ENV });
    const key = kms.Key.fromKeyArn(stack, 'ImportedKey', KEY_ARN);
    const logs = new AccessLogsBucket(stack, 'Logs');
    const models = new SecureBucket(stack, 'Models', { encryptionKey: key, accessLogs: logs, accessLogsPrefix: 'models/', replicationReason: 'test' });
    new ModelEndpoint(stack, 'Endpoint', {
      source: ModelSource.fromImage(ModelImage.fromUri(`${ENV.account}.dkr.ecr.${ENV.region}.amazonaws.com/team/churn:1`), ModelData.fromBucket(models, 'churn/model.tar.gz')),
      role: iam.Role.fromRoleArn(stack, 'ImportedRole', ROLE_ARN),
      encryptionKey: key,
      alarmTopic: new sns.Topic(stack, 'Alarms', { masterKey: key }),
      accessLogsBucket: logs,
      compute: { instanceType: 'ml.m5.large' },
    });
    // A key imported by ARN keeps the policy its owner gave it: AWS's default, which delegates to IAM.
    world = IamWorld.fromApp(app, ENV, { [KEY_ARN]: defaultKeyPolicy(ENV.account) });
  });

  it("lets the imported role read the model and write captured data with the imported key, through the role's own policy", async () => {
    const reader = new FlowReader(world);
    const flows = [...reader.endpoints(), ...reader.dataCapture()];
    expect(flows.map((f) => f.requests[0].principal)).toEqual([ROLE_ARN, ROLE_ARN]);
    expect((await evaluateFlows(world, flows)).denied).toEqual({});
  });

  it('cannot let CloudWatch publish to a topic encrypted with an imported key, and says which statement to add to its key policy', async () => {
    const flows = new FlowReader(world).alarmTopics();
    expect(flows.length).toBeGreaterThan(0);
    expect(await world.evaluateAll(flows[0].requests)).toMatch(/^ImplicitlyDenied: cloudwatch\.amazonaws\.com kms:GenerateDataKey /);
    Annotations.fromStack(stack).hasWarning('/Team/Endpoint', Match.stringLikeRegexp('cloudwatch\\.amazonaws\\.com.*kms:Decrypt.*kms:GenerateDataKey\\*.*\\[ack: cdk-mlops:alarmTopicImportedKey\\]'));
  });
});

/** The key policy AWS gives a key created without one: the account's IAM policies decide. */
function defaultKeyPolicy(account: string) {
  return { Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] };
}

describe('data paths of an asynchronous endpoint and of an endpoint with a shadow variant', () => {
  let world: IamWorld;
  beforeAll(() => {
    const app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Serving', { env: ENV });
    const image = (tag: string) => ModelSource.fromImage(ModelImage.fromUri(`683313688378.dkr.ecr.${ENV.region}.amazonaws.com/sagemaker-xgboost:${tag}`));
    new ModelEndpoint(stack, 'Async', { source: image('1.7-1'), compute: { instanceType: 'ml.m5.large' }, async: {} });
    new ModelEndpoint(stack, 'Shadowed', { source: image('1.7-1'), compute: { instanceType: 'ml.m5.large' }, shadow: { source: image('1.7-2') } });
    world = IamWorld.fromApp(app);
  });

  it('lets the async model read queued payloads, write results and failures, and publish to its encrypted topics; both shadowed models capture', async () => {
    const reader = new FlowReader(world);
    const { counts, denied } = await evaluateFlows(world, reader.all());
    expect(denied).toEqual({});
    expect(counts).toMatchObject({ asyncInference: 1, endpoint: 3, dataCapture: 2 });
    const flow = reader.asyncInference()[0];
    expect(flow.requests.map((r) => r.action)).toEqual(['s3:GetObject', 'kms:Decrypt', 's3:PutObject', 'kms:GenerateDataKey', 's3:PutObject', 'kms:GenerateDataKey', 'sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt', 'sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt']);
    const shadowCapture = reader.dataCapture().find((f) => f.name.includes('Shadowed'))!;
    expect(shadowCapture.requests.filter((r) => r.action === 's3:PutObject').map((r) => r.resource.split('/').slice(-7, -5).join('/'))).toEqual(['endpoint/AllTraffic', 'endpoint/Shadow']);
  });

  it("denies the async model reading results, writing payloads, or another endpoint's bucket", async () => {
    const reader = new FlowReader(world);
    const flow = reader.asyncInference()[0];
    const role = flow.requests[0].principal;
    const output = flow.requests.find((r) => r.action === 's3:PutObject')!.resource;
    const input = flow.requests[0].resource;
    expect(await world.evaluate({ principal: role, action: 's3:GetObject', resource: output })).toEqual({ result: 'ImplicitlyDenied' });
    expect(await world.evaluate({ principal: role, action: 's3:PutObject', resource: input })).toEqual({ result: 'ImplicitlyDenied' });
    const otherCapture = reader.dataCapture().find((f) => f.name.includes('Shadowed'))!.requests[0].resource;
    expect(await world.evaluate({ principal: role, action: 's3:GetObject', resource: otherCapture })).toEqual({ result: 'ImplicitlyDenied' });
    expect(await world.evaluate({ principal: role, action: 's3:PutObject', resource: otherCapture })).toEqual({ result: 'ImplicitlyDenied' });
  });
});
