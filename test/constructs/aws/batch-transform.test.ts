import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Baseline, BatchTransform, BatchTransformProps, DATA_QUALITY_BASELINE_STEP, MlPipeline, ModelData, ModelImage, ModelRegistry, ModelSource } from '../../../constructs/aws';
import { CreateModelStep, TransformStep } from '../../../constructs/aws/pipeline';
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
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': { bucket: { name: ['scoring-data'] }, object: { key: [{ prefix: 'incoming/' }] } } },
      Targets: [Match.objectLike({ SageMakerPipelineParameters: { PipelineParameterList: [{ Name: 'InputKey', Value: '$.detail.object.key' }] } })],
    });
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
