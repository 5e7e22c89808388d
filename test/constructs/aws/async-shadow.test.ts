/** Asynchronous inference and shadow variants of a ModelEndpoint: what is rendered, what SageMaker refuses, what an update does. */
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ModelEndpoint, ModelImage, ModelSource } from '../../../constructs/aws';
import { specProblems } from './cfn-spec';
import { actionsOf, allStatements, EP, endpointProps, endpointTemplate, expectValidationError, IMAGE_URI, newStack, only } from './helpers';

const CANDIDATE_URI = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-2';
const candidate = () => ModelSource.fromImage(ModelImage.fromUri(CANDIDATE_URI));
const COMPUTE = { instanceType: 'ml.m5.large' };
const SPEC_TYPES = ['AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Model', 'AWS::SageMaker::Endpoint', 'AWS::ApplicationAutoScaling::ScalingPolicy', 'AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::CloudWatch::Alarm', 'AWS::SNS::Topic', 'AWS::S3::Bucket'];

const stringOf = (v: unknown) => JSON.stringify(v);
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the resource specification check', () => {
  it('finds a misspelled nested property and a missing required one', () => {
    const problems = specProblems({ Resources: { C: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'a', ModelName: 'm' }], AsyncInferenceConfig: { OutputConfig: { S3OutputPth: 's3://b/o' } } } } } }, ['AWS::SageMaker::EndpointConfig']);
    expect(problems).toEqual(['C (AWS::SageMaker::EndpointConfig).AsyncInferenceConfig.OutputConfig.S3OutputPth: not a property of the type']);
    expect(specProblems({ Resources: { T: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { MaxCapacity: 1 } } } }, ['AWS::ApplicationAutoScaling::ScalableTarget'])).toContain('T (AWS::ApplicationAutoScaling::ScalableTarget).MinCapacity: required');
  });
});

describe('ModelEndpoint asynchronous inference', () => {
  let template: Template;
  let json: Record<string, Json>;
  beforeAll(() => {
    template = endpointTemplate({ compute: COMPUTE, scaling: { maxInstances: 3 }, async: { maxConcurrentInvocationsPerInstance: 4, notifications: { includeResponse: true } } });
    json = template.toJSON();
  });

  it('writes results and failures under the endpoint bucket, encrypted with its key, and notifies encrypted topics', () => {
    const config = only(template, 'AWS::SageMaker::EndpointConfig').resource.Properties!;
    const key = only(template, 'AWS::KMS::Key').id;
    const out = (config.AsyncInferenceConfig as Json).OutputConfig;
    expect((config.AsyncInferenceConfig as Json).ClientConfig).toEqual({ MaxConcurrentInvocationsPerInstance: 4 });
    expect(out.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    expect(stringOf(out.S3OutputPath)).toMatch(/AsyncBucket.*\/async-output/);
    expect(stringOf(out.S3FailurePath)).toMatch(/AsyncBucket.*\/async-failures/);
    expect(out.NotificationConfig.IncludeInferenceResponseIn).toEqual(['SUCCESS_NOTIFICATION_TOPIC', 'ERROR_NOTIFICATION_TOPIC']);
    const topics = template.findResources('AWS::SNS::Topic');
    for (const ref of [out.NotificationConfig.SuccessTopic.Ref, out.NotificationConfig.ErrorTopic.Ref]) {
      expect(topics[ref].Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    }
    const bucketId = out.S3OutputPath['Fn::Join'][1][1].Ref as string;
    expect(json.Resources[bucketId].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] } });
  });

  it("grants the execution role exactly: read queued inputs, write results and failures, publish to the two topics", () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: Json) => p.Properties.Description.includes('SageMaker execution role')) as Json;
    const statements = policy.Properties.PolicyDocument.Statement as Record<string, Json>[];
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;
    expect(bySid('ReadAsyncInput').Action).toBe('s3:GetObject');
    expect(stringOf(bySid('ReadAsyncInput').Resource)).toMatch(/\/async-input\/\*/);
    expect(stringOf(bySid('WriteAsyncOutput').Resource)).toMatch(/async-output\/\*.*async-failures\/\*/);
    expect(stringOf(bySid('WriteAsyncOutput').Resource)).not.toMatch(/async-input/);
    expect(bySid('PublishAsyncNotifications').Action).toBe('sns:Publish');
    expect(bySid('PublishAsyncNotifications').Resource).toHaveLength(2);
    // Topics are encrypted with the endpoint key: publishing needs GenerateDataKey and Decrypt on it.
    const kmsActions = statements.filter((s) => stringOf(s.Resource).includes('Key')).flatMap(actionsOf);
    expect(kmsActions).toEqual(expect.arrayContaining(['kms:GenerateDataKey', 'kms:Decrypt']));
  });

  it('scales on the backlog per instance down to zero, and out from zero on HasBacklogWithoutCapacity (step scaling)', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 3 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 5,
        CustomizedMetricSpecification: { MetricName: 'ApproximateBacklogSizePerInstance', Namespace: 'AWS/SageMaker', Statistic: 'Average', Dimensions: [{ Name: 'EndpointName', Value: Match.anyValue() }] },
      },
    });
    const step = Object.entries(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', { Properties: { PolicyType: 'StepScaling' } }));
    expect(step).toHaveLength(1);
    expect(step[0][1].Properties.StepScalingPolicyConfiguration).toMatchObject({ AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] });
    // As the developer guide's "Autoscale an asynchronous endpoint" configures it (async-inference-autoscale).
    expect(step[0][1].Properties.StepScalingPolicyConfiguration).toMatchObject({ MetricAggregationType: 'Average' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HasBacklogWithoutCapacity', Namespace: 'AWS/SageMaker', Statistic: 'Average', Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'missing',
      Dimensions: [{ Name: 'EndpointName', Value: Match.anyValue() }], Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [{ Ref: step[0][0] }],
    });
    // No policy on InvocationsPerInstance, which an asynchronous endpoint does not publish.
    expect(stringOf(json)).not.toContain('SageMakerVariantInvocationsPerInstance');
  });

  it('alarms on the age of the oldest request and on failures into the alarm topic, instead of the 4XX rate (no Invocations metric)', () => {
    const alarmTopic = Object.entries(template.findResources('AWS::SNS::Topic')).find(([id]) => id.includes('AlarmTopic'))![0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestRequest', Statistic: 'Maximum', Threshold: 1800, Dimensions: [{ Name: 'EndpointName', Value: Match.anyValue() }], AlarmActions: [{ Ref: alarmTopic }] });
    // "Monitoring asynchronous endpoints": InvocationFailures has the EndpointName and VariantName dimensions, statistic Sum.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'InvocationFailures', Namespace: 'AWS/SageMaker', Statistic: 'Sum', Threshold: 5, Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: Match.anyValue() }, { Name: 'VariantName', Value: Match.anyValue() }]), AlarmActions: [{ Ref: alarmTopic }] });
    expect(stringOf(template.findResources('AWS::CloudWatch::Alarm'))).not.toContain('"MetricName":"Invocations"');
    // The failures alarm rolls deployments back, with latency and 5XX errors.
    const rollback = (only(template, 'AWS::SageMaker::Endpoint').resource.Properties!.DeploymentConfig as Json).AutoRollbackConfiguration.Alarms;
    const failures = Object.entries(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'InvocationFailures' } }))[0][0];
    expect(rollback).toContainEqual({ AlarmName: { Ref: failures } });
    expect(rollback).toHaveLength(3);
  });

  it("shows the queue on the dashboard", () => {
    const body = stringOf(only(template, 'AWS::CloudWatch::Dashboard').resource.Properties!.DashboardBody);
    expect(body).toContain('ApproximateBacklogSize');
    expect(body).toContain('ApproximateAgeOfOldestRequest');
    expect(body).toContain('InvocationFailures');
  });

  it("is valid against CloudFormation's resource specification", () => {
    expect(specProblems(json, SPEC_TYPES)).toEqual([]);
  });

  it('keeps a minimum of instances when it does not scale to zero, without the step policy', () => {
    const t = endpointTemplate({ compute: COMPUTE, scaling: { minInstances: 2, maxInstances: 3 }, async: { scaleToZero: false, notifications: { success: false, error: false } } });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2 });
    t.resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' }, 0);
    expect((only(t, 'AWS::SageMaker::EndpointConfig').resource.Properties!.AsyncInferenceConfig as Json).OutputConfig.NotificationConfig).toBeUndefined();
    t.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('scales to zero even with one instance at most, and keeps its scaled count across a deploy (DesiredInstanceCount retained)', () => {
    const t = endpointTemplate({ compute: COMPUTE, async: {} });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 1 });
    expect(only(t, 'AWS::SageMaker::Endpoint').resource.Properties).toMatchObject({ RetainAllVariantProperties: true, ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DataCaptureConfig' }] });
  });

  it('changes the instance type of an asynchronous endpoint through the scaling guard, with a new scalable target and the old one retained', () => {
    const synth = (instanceType: string) => endpointTemplate({ compute: { instanceType }, scaling: { maxInstances: 2 }, async: {} }).toJSON();
    const before = synth('ml.m5.large');
    const after = synth('ml.c5.xlarge');
    const guard = (t: Record<string, unknown>) => only(Template.fromJSON(t), 'Custom::MlopsScalingGuard');
    expect([guard(before).resource.Properties!.InstanceType, guard(after).resource.Properties!.InstanceType]).toEqual(['ml.m5.large', 'ml.c5.xlarge']);
    const impacts: Record<string, ResourceImpact> = {};
    fullDiff(before, after).resources.forEachDifference((id, change) => { impacts[id] = change.changeImpact; });
    const policies = Object.entries(impacts).filter(([id]) => /ScalableTarget.*(BacklogScaling|ScaleOutFromZero)/.test(id));
    expect(policies.filter(([, i]) => i === ResourceImpact.WILL_CREATE)).toHaveLength(2);
    expect(policies.filter(([, i]) => i === ResourceImpact.WILL_ORPHAN)).toHaveLength(2);
    expect(Object.entries(after.Resources as Record<string, Json>).filter(([, r]) => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy').every(([, r]) => r.DeletionPolicy === 'Retain')).toBe(true);
  });

  it('rejects asynchronous inference on serverless compute', () => {
    expectValidationError(() => endpointTemplate({ compute: { serverless: { memoryMiB: 2048 } }, async: {} }), EP, { path: 'async', message: 'is not supported by serverless inference' });
  });

  it('rejects a shadow variant on an asynchronous endpoint', () => {
    expectValidationError(() => endpointTemplate({ compute: COMPUTE, async: {}, shadow: { source: candidate() } }), EP, { path: 'shadow', message: 'not supported on an asynchronous endpoint', got: 'shadow with async' });
  });

  it('rejects concurrency outside 1-1000', () => {
    expectValidationError(() => endpointTemplate({ compute: COMPUTE, async: { maxConcurrentInvocationsPerInstance: 1001 } }), EP, { path: 'async.maxConcurrentInvocationsPerInstance' });
  });

  it('lets a client put payloads and read results, nothing else of the bucket', () => {
    const { stack } = newStack();
    const ep = new ModelEndpoint(stack, 'Ep', endpointProps({ compute: COMPUTE, async: {} }));
    const client = new iam.Role(stack, 'Client', { assumedBy: new iam.AccountRootPrincipal() });
    ep.asyncInference!.grantClient(client);
    const statements = allStatements(Template.fromStack(stack)).filter((s) => stringOf(s).includes('async-'));
    const put = statements.find((s) => actionsOf(s).includes('s3:PutObject') && stringOf(s.Resource).includes('async-input'));
    expect(put).toBeDefined();
  });
});

describe('ModelEndpoint shadow variant', () => {
  let template: Template;
  beforeAll(() => {
    const { stack } = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new ModelEndpoint(stack, 'Ep', { ...endpointProps({ compute: COMPUTE, scaling: { maxInstances: 3 } }), vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, shadow: { source: candidate(), samplingPercent: 25, compute: { instanceType: 'ml.c5.xlarge' }, instances: 2 } });
    template = Template.fromStack(stack);
  });

  it('renders the candidate as ShadowProductionVariants: its own model, its weight the sampling share of the production weight', () => {
    const config = only(template, 'AWS::SageMaker::EndpointConfig').resource.Properties!;
    expect(config.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'AllTraffic', InitialVariantWeight: 1 })]);
    expect(config.ShadowProductionVariants).toEqual([{ VariantName: 'Shadow', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 0.25, ModelName: { 'Fn::GetAtt': [expect.stringMatching(/ShadowModel/), 'ModelName'] } }]);
    // One data capture for the endpoint: SageMaker files each variant's captures under its own folder.
    expect(config.DataCaptureConfig).toMatchObject({ EnableCapture: true });
  });

  it('holds the shadow model to the same isolation and VPC placement as production', () => {
    const models = Object.values(template.findResources('AWS::SageMaker::Model')) as Json[];
    expect(models).toHaveLength(2);
    expect(models.map((m) => m.Properties.EnableNetworkIsolation)).toEqual([true, true]);
    expect(models[0].Properties.VpcConfig).toEqual(models[1].Properties.VpcConfig);
    expect(models[1].Properties.VpcConfig.Subnets).toHaveLength(2);
    expect(models.map((m) => m.Properties.PrimaryContainer.Image).sort()).toEqual([IMAGE_URI, CANDIDATE_URI].sort());
  });

  it('shows both variants on the dashboard', () => {
    const body = stringOf(only(template, 'AWS::CloudWatch::Dashboard').resource.Properties!.DashboardBody);
    expect(body).toContain('vs shadow Shadow');
  });

  it("is valid against CloudFormation's resource specification", () => {
    expect(specProblems(template.toJSON(), SPEC_TYPES)).toEqual([]);
  });

  it('grants the role both images, with statement ids unique in its policy', () => {
    const { stack } = newStack();
    const repo = ecr.Repository.fromRepositoryName(stack, 'Repo', 'candidate');
    new ModelEndpoint(stack, 'Ep', { ...endpointProps({ compute: COMPUTE }), shadow: { source: ModelSource.fromImage(ModelImage.fromEcrRepository(repo, 'v2')) } });
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).find((p: Json) => p.Properties.Description.includes('SageMaker execution role')) as Json;
    const statements = policy.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    const sids = statements.map((s) => s.Sid).filter((s) => s !== undefined);
    expect(new Set(sids).size).toBe(sids.length);
    expect(stringOf(statements)).toContain('repository/candidate');
    expect(stringOf(statements)).toContain('repository/sagemaker-xgboost');
  });

  it('omits the volume key when the shadow runs on local NVMe storage (SageMaker rejects it for the config)', () => {
    const t = endpointTemplate({ compute: COMPUTE, shadow: { source: candidate(), compute: { instanceType: 'ml.m5d.large' } } });
    expect(only(t, 'AWS::SageMaker::EndpointConfig').resource.Properties!.KmsKeyId).toBeUndefined();
  });

  it('rejects a shadow on serverless compute', () => {
    expectValidationError(() => endpointTemplate({ compute: { serverless: { memoryMiB: 2048 } }, shadow: { source: candidate() } }), EP, { path: 'shadow', message: 'is not supported by serverless inference' });
  });

  it('rejects a shadow variant named like the production variant', () => {
    expectValidationError(() => endpointTemplate({ compute: COMPUTE, variantName: 'Blue', shadow: { source: candidate(), variantName: 'Blue' } }), EP, { path: 'shadow.variantName', got: "'Blue'" });
  });

  it('rejects a rolling deployment, which SageMaker excludes for multi-variant endpoints', () => {
    expectValidationError(() => endpointTemplate({ compute: COMPUTE, deployment: { strategy: 'rolling' }, shadow: { source: candidate() } }), EP, { path: 'deployment.strategy', message: 'multi-variant', got: "'rolling'" });
  });

  it('rejects a shadow without a ModelSource', () => {
    expectValidationError(() => endpointTemplate({ compute: COMPUTE, shadow: { samplingPercent: 10 } }), EP, { path: 'shadow.source', got: 'nothing' });
  });

  it('rejects a sampling share outside 1-100', () => {
    expectValidationError(() => endpointTemplate({ compute: COMPUTE, shadow: { source: candidate(), samplingPercent: 0 } }), EP, { path: 'shadow.samplingPercent' });
  });
});
