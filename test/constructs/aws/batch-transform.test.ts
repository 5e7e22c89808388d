import * as vm from 'vm';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Baseline, BatchTransform, BatchTransformProps, DATA_QUALITY_BASELINE_STEP, MlPipeline, ModelData, ModelImage, ModelRegistry, ModelSource } from '../../../constructs/aws';
import { CreateModelStep, TransformStep } from '../../../constructs/aws/pipeline';
import * as sagemakerSdk from '@aws-sdk/client-sagemaker';
import { SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { NEW_DATA_STARTER_SOURCE } from '../../../constructs/aws/private/new-data-trigger';
import { matchesPattern, S3_OBJECT_CREATED } from './fixtures/aws-events';
import { actionsOf, allStatements, expectValidationError, IMAGE_URI, imageSource, MODEL_DATA_URI, newStack } from './helpers';
import { definitionOf, expectValidDefinition, officialSchema, stepOf } from './pipeline-schema';

const INPUT = 's3://scoring-data/incoming/';
const OUTPUT = 's3://scoring-results/churn/';

function spec(overrides: Record<string, unknown> = {}): BatchTransformProps['spec'] {
  return {
    input: { s3Uri: INPUT },
    output: { s3Uri: OUTPUT },
    schedule: 'cron(0 2 * * ? *)',
    compute: { instanceType: 'ml.m5.xlarge' },
    ...overrides,
  };
}

function build(input: BatchTransformProps['spec'], props: Partial<BatchTransformProps> = {}) {
  const { stack } = newStack();
  const batch = new BatchTransform(stack, 'Batch', { spec: input, source: ModelSource.fromImage(ModelImage.fromUri(IMAGE_URI), ModelData.fromS3Uri(MODEL_DATA_URI)), pipelineName: 'churn-batch', ...props });
  return { stack, batch };
}
const BATCH = "BatchTransform 'Batch' (Stack/Batch)";

describe('BatchTransform on a schedule and on new data', () => {
  let template: Template;
  let definition: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(() => {
    const { stack } = build(spec({ onNewData: true, maxConcurrentTransforms: 4, maxPayloadInMB: 20, dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input' }, expectedRunMinutes: 90 }));
    template = Template.fromStack(stack);
    definition = definitionOf(template);
  });

  it('renders create model → transform, valid against the SageMaker pipeline schema (plus its documented additions)', () => {
    expect(definition.Steps.map((s: { Name: string; Type: string }) => `${s.Name}:${s.Type}`)).toEqual(['CreateModel:Model', 'Transform:Transform']);
    expectValidDefinition(definition);
  });

  it('encrypts the transform volume and results with the key, and writes each run under its execution id', () => {
    const args = stepOf(definition, 'Transform').Arguments;
    expect(args.TransformResources).toEqual({ InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeKmsKeyId: 'DEPLOYTIME' });
    expect(args.TransformOutput).toEqual({ S3OutputPath: { 'Std:Join': { On: '/', Values: ['s3://scoring-results/churn', { Get: 'Execution.PipelineExecutionId' }] } }, KmsKeyId: 'DEPLOYTIME', AssembleWith: 'Line' });
    expect(args).toMatchObject({ BatchStrategy: 'MultiRecord', MaxConcurrentTransforms: 4, MaxPayloadInMB: 20, DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input' }, ModelClientConfig: { InvocationsTimeoutInSeconds: 600, InvocationsMaxRetries: 3 } });
    expect(args.Tags).toEqual([{ Key: 'cdk-mlops:expected-run-minutes', Value: '90' }]);
  });

  it('scores the input prefix by default and the new object when one starts the run', () => {
    const args = stepOf(definition, 'Transform').Arguments;
    expect(args.TransformInput.DataSource.S3DataSource).toEqual({ S3DataType: 'S3Prefix', S3Uri: { 'Std:Join': { On: '', Values: ['s3://scoring-data/', { Get: 'Parameters.InputKey' }] } } });
    expect(definition.Parameters).toEqual([expect.objectContaining({ Name: 'InputKey', Type: 'String', DefaultValue: 'incoming/' })]);
    // The new object's key goes through the starter function, which decodes it (the event's key is URL-encoded).
    const starter = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('BatchNewDataFunction'))!;
    expect(starter[1].Properties.Environment.Variables).toEqual({ PIPELINE_NAME: 'churn-batch', INPUT_KEY_PARAMETER: 'InputKey' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': { bucket: { name: ['scoring-data'] }, object: { key: [{ prefix: 'incoming/' }] } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [starter[0], 'Arn'] } })],
    });
    expect(JSON.stringify(template.findResources('AWS::Events::Rule'))).not.toContain('$.detail.object.key');
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 2 * * ? *)', ScheduleExpressionTimezone: 'UTC', Target: Match.objectLike({ Arn: Match.anyValue() }) });
  });

  it('runs the model network-isolated', () => {
    expect(stepOf(definition, 'CreateModel').Arguments).toMatchObject({ EnableNetworkIsolation: true, PrimaryContainer: { Image: IMAGE_URI, ModelDataUrl: MODEL_DATA_URI } });
  });

  it('notifies failed or stopped runs and alarms on failed ones', () => {
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'source': ['aws.sagemaker'], 'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'], 'detail': { currentPipelineExecutionStatus: ['Failed', 'Stopped'] } } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Sagemaker/ModelBuildingPipeline', MetricName: 'ExecutionFailed', Dimensions: [{ Name: 'PipelineName', Value: 'churn-batch' }], Threshold: 1 });
  });

  it('lets the role read the input prefix and write the output prefix, and start only transform jobs', () => {
    const statements = allStatements(template);
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(bySid('ReadInput')).toMatchObject({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::scoring-data/incoming/*']] } });
    expect(bySid('ListInput')).toMatchObject({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['incoming/*'] } } });
    expect(bySid('WriteOutput')).toMatchObject({ Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::scoring-results/churn/*']] } });
    const actions = statements.flatMap(actionsOf);
    expect(actions).toContain('sagemaker:CreateTransformJob');
    expect(actions.filter((a) => /CreateTrainingJob|CreateProcessingJob|CreateHyperParameterTuningJob/.test(a))).toEqual([]);
    // The statements every SageMaker pipeline's role has (constructs/aws/private/pipeline-execution.ts), with MlPipeline's sids.
    expect(JSON.stringify(bySid('PipelineJobs')?.Resource)).toMatch(/:transform-job\/pipelines-\*"\]\]\}$/);
    expect(bySid('PassRoleToSageMakerJobs')).toMatchObject({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } });
  });
});

describe('BatchTransform variants', () => {
  it('creates the model from a registry version (its model package)', () => {
    const { stack } = newStack();
    const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
    new BatchTransform(stack, 'Batch', { spec: spec(), source: ModelSource.fromRegistry(registry, { version: 3, image: ModelImage.fromUri(IMAGE_URI) }), pipelineName: 'churn-batch' });
    const definition = definitionOf(Template.fromStack(stack));
    expect(Object.keys(stepOf(definition, 'CreateModel').Arguments.PrimaryContainer)).toEqual(['ModelPackageName']);
    expectValidDefinition(definition);
  });

  it('puts the model, and so the transform job, in the VPC', () => {
    const { stack } = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new BatchTransform(stack, 'Batch', { spec: spec(), source: imageSource(), pipelineName: 'b', vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const args = stepOf(definitionOf(Template.fromStack(stack)), 'CreateModel').Arguments;
    expect(args.VpcConfig.SecurityGroupIds).toEqual(['DEPLOYTIME']);
    expect(args.VpcConfig.Subnets.length).toBe(vpc.isolatedSubnets.length);
  });

  it("checks the input's data quality against the pipeline's baseline after scoring", () => {
    const { stack } = newStack();
    const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
    const pipeline = new MlPipeline(stack, 'Pipeline', {
      registry, pipelineName: 'churn-build',
      spec: {
        preprocess: { image: IMAGE_URI }, train: { image: IMAGE_URI, compute: { instanceType: 'ml.m5.xlarge' } }, evaluate: { image: IMAGE_URI },
        gate: { metric: 'auc', threshold: 0.8 }, dataQualityBaseline: true,
      },
    });
    new BatchTransform(stack, 'Batch', { spec: spec({ qualityCheck: true }), source: imageSource(), pipelineName: 'churn-batch', qualityBaseline: Baseline.fromPipelineCheck(pipeline, DATA_QUALITY_BASELINE_STEP) });
    const template = Template.fromStack(stack);
    const batch = Object.values(template.findResources('AWS::SageMaker::Pipeline')).find((r) => r.Properties.PipelineName === 'churn-batch')!;
    const definition = definitionOf(Template.fromJSON({ Resources: { P: batch } }));
    const check = stepOf(definition, 'InputQualityCheck');
    expect(check).toMatchObject({ Type: 'QualityCheck', DependsOn: ['Transform'], SkipCheck: false, RegisterNewBaseline: false });
    expect(check.SuppliedBaselineConstraints).toMatch(/\/pipelines\/churn-build\/baselines\/DataQualityBaseline\/constraints\.json$/);
    expect(check.SuppliedBaselineStatistics).toMatch(/\/baselines\/DataQualityBaseline\/statistics\.json$/);
    expect(check.Arguments.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri).toBe('s3://scoring-results/churn/quality-check');
    expectValidDefinition(definition);
    // The published schema knows SuppliedBaseline* of a QualityCheck step: no addition needed for them.
    expect(officialSchema()(definition) ? [] : officialSchema().errors!.filter((e) => /Supplied/.test(e.instancePath))).toEqual([]);
  });

  it('says the input bucket must send events to EventBridge', () => {
    const { stack } = build(spec({ onNewData: true }));
    Annotations.fromStack(stack).hasInfo('/Stack/Batch', Match.stringLikeRegexp('EventBridge notifications turned on for bucket scoring-data'));
  });

  it("matches the URL-encoded keys S3 puts in its events under an input prefix with characters it encodes (Hive partitions, spaces), as written and as encoded", () => {
    const { stack } = build(spec({ onNewData: true, input: { s3Uri: 's3://scoring-data/incoming/dt=2026-12-01/my files/' } }));
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')).map((r) => (r as { Properties: { EventPattern: unknown } }).Properties.EventPattern)
      .filter((p) => JSON.stringify(p).includes('Object Created'));
    expect(rules).toHaveLength(1);
    const created = (key: string) => ({ ...S3_OBJECT_CREATED, detail: { ...S3_OBJECT_CREATED.detail, bucket: { name: 'scoring-data' }, object: { ...S3_OBJECT_CREATED.detail.object, key } } });
    expect(matchesPattern(rules[0], created('incoming/dt%3D2026-12-01/my+files/a+b.csv'))).toBe(true);
    expect(matchesPattern(rules[0], created('incoming/dt=2026-12-01/my files/a.csv'))).toBe(true);
    expect(matchesPattern(rules[0], created('incoming/dt%3D2026-11-30/my+files/a.csv'))).toBe(false);
  });

  it('has no failure rule nor alarm when failure notifications are off', () => {
    const template = Template.fromStack(build(spec({ failureNotifications: false })).stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(Object.values(template.findResources('AWS::Events::Rule'))).toEqual([]);
  });

  it('keeps the volume key off local-NVMe instance types, which SageMaker refuses it on', () => {
    const args = stepOf(definitionOf(Template.fromStack(build(spec({ compute: { instanceType: 'ml.g4dn.xlarge' } })).stack)), 'Transform').Arguments;
    expect(args.TransformResources).toEqual({ InstanceType: 'ml.g4dn.xlarge', InstanceCount: 1 });
    expect(args.TransformOutput.KmsKeyId).toBe('DEPLOYTIME');
  });
});

describe('BatchTransform validation', () => {
  it('rejects a quality check without a baseline', () => {
    expectValidationError(() => build(spec({ qualityCheck: true })), BATCH, { path: 'qualityBaseline', message: 'is required by qualityCheck' });
  });

  it('rejects concurrent transforms whose payloads exceed 100 MB together', () => {
    expectValidationError(() => build(spec({ maxConcurrentTransforms: 8, maxPayloadInMB: 20 })), BATCH, { path: 'maxConcurrentTransforms', got: '8 × 20 MB = 160 MB', expected: 'at most 5 concurrent transforms of 20 MB' });
  });

  it('rejects a payload above 100 MB', () => {
    expectValidationError(() => build(spec({ maxPayloadInMB: 101 })), BATCH, { path: 'maxPayloadInMB' });
  });

  it('rejects an output under the input prefix (the next run would score its results)', () => {
    expectValidationError(() => build(spec({ output: { s3Uri: 's3://scoring-data/incoming-scored/' }, input: { s3Uri: 's3://scoring-data/incoming' } })), BATCH, { path: 'output.s3Uri', message: 'writes under input.s3Uri' });
  });

  it('rejects a batch nothing starts', () => {
    expectValidationError(() => build(spec({ schedule: undefined })), BATCH, { path: 'schedule', message: 'nothing would start the batch' });
  });

  it('rejects a quality check of a format Model Monitor does not read', () => {
    expectValidationError(() => build(spec({ qualityCheck: true, input: { s3Uri: INPUT, contentType: 'application/x-recordio-protobuf' } }), { qualityBaseline: Baseline.fromS3({ constraintsUri: 's3://b/c.json', statisticsUri: 's3://b/s.json' }) }), BATCH, { path: 'qualityCheck', expected: "input.contentType 'text/csv' or 'application/jsonlines'" });
  });

  it('rejects serverless compute (transform jobs run on instances)', () => {
    expectValidationError(() => build(spec({ compute: { serverless: { memoryMiB: 2048 } } })), BATCH, { path: 'compute.serverless', message: 'is not available for inference' });
  });
});

describe('TransformStep and CreateModelStep', () => {
  it('refuses more environment variables than CreateTransformJob takes', () => {
    const environment = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`V${i}`, 'x']));
    expectValidationError(() => new TransformStep({ name: 'T', modelName: 'm', input: 's3://b/x', instanceType: 'ml.m5.large', environment }), "TransformStep 'T'", { path: 'environment', expected: 'at most 16' });
  });

  it('refuses a model with both an image and a model package', () => {
    expectValidationError(() => new CreateModelStep({ name: 'M', imageUri: IMAGE_URI, modelPackageName: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1' }), "CreateModelStep 'M'", { path: 'imageUri', message: 'cannot be combined with modelPackageName' });
  });
});

describe('BatchTransform new-data starter (the function source, run against the S3 event AWS documents)', () => {
  const s3 = { send: jest.fn() };
  const sm = mockClient(SageMakerClient);
  class HeadObjectCommand { constructor(public readonly input: { Bucket: string; Key: string }) {} }
  type Result = { started: boolean; key: string };
  let start: (event: unknown) => Promise<Result>;
  let keyCandidates: (key: string) => string[];
  const event = (key: string) => ({ ...S3_OBJECT_CREATED, detail: { ...S3_OBJECT_CREATED.detail, object: { ...S3_OBJECT_CREATED.detail.object, key } } });
  const notFound = Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  const forbidden = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

  beforeAll(() => {
    const module = { exports: {} as { start: typeof start; keyCandidates: typeof keyCandidates } };
    // The exact source the function deploys; S3 is a stand-in (this package does not depend on @aws-sdk/client-s3), SageMaker the mocked SDK.
    const modules: Record<string, unknown> = { '@aws-sdk/client-s3': { S3Client: class { send = s3.send; }, HeadObjectCommand }, '@aws-sdk/client-sagemaker': sagemakerSdk };
    const fakeRequire = (id: string): unknown => modules[id];
    vm.runInThisContext(`(function (require, module, exports, process, console) {\n${NEW_DATA_STARTER_SOURCE}\n})`)(fakeRequire, module, module.exports, process, { log: () => undefined });
    start = module.exports.start;
    keyCandidates = module.exports.keyCandidates;
  });
  beforeEach(() => {
    s3.send.mockReset();
    sm.reset();
    sm.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn:aws:sagemaker:ca-central-1:111122223333:pipeline/churn-batch/execution/abc' });
    process.env.PIPELINE_NAME = 'churn-batch';
    process.env.INPUT_KEY_PARAMETER = 'InputKey';
  });
  afterAll(() => {
    delete process.env.PIPELINE_NAME;
    delete process.env.INPUT_KEY_PARAMETER;
  });

  it('decodes the key as S3 encodes keys in its notifications: + for a space, %XX for the rest', () => {
    expect(keyCandidates('example-key')).toEqual(['example-key']);
    expect(keyCandidates('incoming/day%3D2026-12-01/red+flower.csv')).toEqual(['incoming/day=2026-12-01/red flower.csv', 'incoming/day%3D2026-12-01/red+flower.csv']);
    // Not valid percent-encoding: the key as sent.
    expect(keyCandidates('incoming/100%.csv')).toEqual(['incoming/100%.csv']);
  });

  it("starts the pipeline on the documented event's object, the event id as client token", async () => {
    s3.send.mockResolvedValue({});
    const result = await start(S3_OBJECT_CREATED);
    expect(result).toMatchObject({ started: true, key: 'example-key' });
    expect(s3.send.mock.calls[0][0].input).toEqual({ Bucket: 'amzn-s3-demo-bucket1', Key: 'example-key' });
    const input = sm.commandCalls(StartPipelineExecutionCommand)[0].args[0].input;
    expect(input).toMatchObject({ PipelineName: 'churn-batch', PipelineParameters: [{ Name: 'InputKey', Value: 'example-key' }], ClientRequestToken: `new-data-${S3_OBJECT_CREATED.id}` });
    expect(input.ClientRequestToken!.length).toBeGreaterThanOrEqual(32);
  });

  it('scores the decoded key when that object exists, the key as sent when only it does', async () => {
    s3.send.mockResolvedValueOnce({});
    expect(await start(event('incoming/day%3D2026-12-01/red+flower.csv'))).toMatchObject({ started: true, key: 'incoming/day=2026-12-01/red flower.csv' });
    s3.send.mockRejectedValueOnce(notFound).mockResolvedValueOnce({});
    expect(await start(event('incoming/a+b.csv'))).toMatchObject({ started: true, key: 'incoming/a+b.csv' });
    expect(sm.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input.PipelineParameters![0].Value)).toEqual(['incoming/day=2026-12-01/red flower.csv', 'incoming/a+b.csv']);
  });

  it('starts nothing when the object is gone, and fails (EventBridge retries) on any other S3 error', async () => {
    s3.send.mockRejectedValue(notFound);
    expect(await start(event('incoming/gone.csv'))).toMatchObject({ started: false });
    expect(sm.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
    s3.send.mockReset().mockRejectedValue(forbidden);
    await expect(start(event('incoming/x.csv'))).rejects.toThrow('Access Denied');
  });

  it("takes S3's 403 for a missing decoded key (the function may not list the bucket) and scores the key as sent; a 403 on the last candidate fails", async () => {
    s3.send.mockRejectedValueOnce(forbidden).mockResolvedValueOnce({});
    expect(await start(event('incoming/a+b.csv'))).toMatchObject({ started: true, key: 'incoming/a+b.csv' });
    s3.send.mockReset().mockRejectedValue(forbidden);
    await expect(start(event('incoming/a+b.csv'))).rejects.toThrow('Access Denied');
    expect(s3.send.mock.calls.map((c) => (c[0] as { input: { Key: string } }).input.Key)).toEqual(['incoming/a b.csv', 'incoming/a+b.csv']);
  });

  it('lets the function check objects under the input prefix only and start this pipeline only', () => {
    const { stack } = build(spec({ onNewData: true }));
    const t = Template.fromStack(stack);
    const policies = Object.entries(t.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => id.startsWith('BatchNewDataRolePolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0][1].Properties.PolicyDocument.Statement as { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[];
    const bySid = (sid: string) => statements.find((st) => st.Sid === sid)!;
    expect(JSON.stringify(bySid('FindNewObject').Resource)).toContain(':s3:::scoring-data/incoming/*');
    // No listing: a prefix-scoped s3:ListBucket never applies to HeadObject, a bucket-wide one would list every prefix.
    expect(statements.flatMap((st) => actionsOf(st))).not.toContain('s3:ListBucket');
    expect(statements.flatMap((st) => actionsOf(st))).toContain('sagemaker:StartPipelineExecution');
  });
});
