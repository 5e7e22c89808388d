/**
 * Many models on one endpoint: the shared endpoints' stack, the inference components of the model
 * stacks, what a second deployment does to them, what they are allowed to read, and their resources
 * against CloudFormation's resource specification.
 */
import * as path from 'path';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildAuditReport, readCloudAssembly } from '../../../lib/governance';
import { loadPlatformSpec, PlatformSpecInput } from '../../../lib/spec';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { ENV, IamWorld } from './iam-paths';
import { FlowReader } from './runtime-flows';

const EXAMPLE = loadPlatformSpec(path.join(__dirname, '..', '..', '..', 'examples', 'shared-gpu-endpoint.yaml'));
const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true, '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, '@aws-cdk/core:defaultCrossStackReferences': 'strong' };

function synth(spec: PlatformSpecInput): { app: App; platform: AwsPlatform } {
  const app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
  const platform = new AwsPlatform(app, 'Platform', { spec: { ...spec, aws: { ...spec.aws, account: ENV.account, region: ENV.region } } });
  return { app, platform };
}

/** The example with one model's image replaced: the next deployment of a new model version. */
function withImage(spec: PlatformSpecInput, model: string, image: string): PlatformSpecInput {
  return { ...spec, models: spec.models.map((m) => (m.name === model ? { ...m, source: { image } } : m)) };
}

describe('shared endpoints (inference components) on AWS', () => {
  let platform: AwsPlatform;
  let app: App;
  let endpoints: Template;
  let assistant: Template;
  let ranker: Template;
  beforeAll(() => {
    ({ app, platform } = synth(EXAMPLE));
    endpoints = Template.fromStack(platform.sharedEndpoints!);
    assistant = Template.fromStack(platform.models.get('support-assistant')!);
    ranker = Template.fromStack(platform.models.get('ranker')!);
  });

  it('renders each shared endpoint in its own stack: no model, managed instance scaling down to zero, routing, role, isolation and VPC', () => {
    expect(platform.sharedEndpoints!.stackName).toBe('assistants-shared-endpoints');
    endpoints.resourceCountIs('AWS::SageMaker::Endpoint', 2);
    endpoints.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^gpupoolExecutionRole'), 'Arn'] },
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      // ml.g5 has local NVMe storage: SageMaker refuses a volume key for it.
      KmsKeyId: Match.absent(),
      ProductionVariants: [{
        VariantName: 'AllTraffic', InstanceType: 'ml.g5.12xlarge', InitialInstanceCount: 1, ModelName: Match.absent(),
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 },
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
      }],
    });
    endpoints.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^cpupoolKey'), 'Arn'] },
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.m5.2xlarge', ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 2 } })],
    });
    endpoints.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'assistants-gpu-pool' });
  });

  it("places each model as an inference component with its own model, reservation, copies and rolling updates rolled back on its alarms", () => {
    assistant.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: 'assistants-support-assistant',
      EndpointName: 'assistants-gpu-pool',
      VariantName: 'AllTraffic',
      Specification: {
        ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointModel'), 'ModelName'] },
        ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 2, MinMemoryRequiredInMb: 65536, NumberOfCpuCoresRequired: 8 },
      },
      RuntimeConfig: { CopyCount: 1 },
      DeploymentConfig: {
        RollingUpdatePolicy: { MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, RollbackMaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 100 }, WaitIntervalInSeconds: 120 },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: Match.stringLikeRegexp('^EndpointLatencyAlarm') } }, { AlarmName: { Ref: Match.stringLikeRegexp('^EndpointInvocation5xxAlarm') } }, { AlarmName: { Ref: Match.stringLikeRegexp('^EndpointRate4xxAlarm') } }] },
      },
    });
    // The model's isolation and VPC repeat the endpoint config's, which apply to every component.
    assistant.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: true, VpcConfig: Match.anyValue() });
    assistant.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    assistant.resourceCountIs('AWS::SageMaker::EndpointConfig', 0);
  });

  it('alarms on each component by its InferenceComponentName, into the platform alarm topic', () => {
    assistant.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ModelLatency', Namespace: 'AWS/SageMaker', ExtendedStatistic: 'p99', Threshold: 20_000_000,
      Dimensions: [{ Name: 'InferenceComponentName', Value: 'assistants-support-assistant' }],
      AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('^assistants-shared:ExportsOutputRefAlarmTopic') }],
    });
  });

  it('scales copies on invocations per copy, to zero and back from zero on NoCapacityInvocationFailures', () => {
    assistant.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker', ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      ResourceId: 'inference-component/assistants-support-assistant', MinCapacity: 0, MaxCapacity: 2,
    });
    const targets = assistant.findResources('AWS::ApplicationAutoScaling::ScalableTarget');
    expect(Object.values(targets)[0].DependsOn).toEqual([expect.stringMatching(/^Endpoint[0-9A-F]{8}$/)]);
    assistant.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentInvocationsPerCopy' }, TargetValue: 20 },
    });
    assistant.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', MetricAggregationType: 'Maximum', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] },
    });
    assistant.hasResourceProperties('AWS::CloudWatch::Alarm', {
      // AWS's "Scale an endpoint to zero instances": Sum over 60 s of NoCapacityInvocationFailures per component.
      MetricName: 'NoCapacityInvocationFailures', Namespace: 'AWS/SageMaker', Statistic: 'Sum', Period: 60, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1,
      Dimensions: [{ Name: 'InferenceComponentName', Value: 'assistants-support-assistant' }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^EndpointScaleFromZero') }],
    });
    // A component that keeps a copy scales on invocations only: nothing to bring back from zero.
    ranker.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 3 });
    ranker.resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' }, 0);
    ranker.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'NoCapacityInvocationFailures' }, 0);
  });

  it('deploys every component stack after the shared endpoints, which must be InService', () => {
    const assembly = app.synth();
    const deps = assembly.getStackByName('assistants-support-assistant').dependencies.map((d) => d.id);
    expect(deps).toContain(platform.sharedEndpoints!.artifactId);
  });

  it("updates a component in place, copy by copy, when its model changes: the model is replaced, never the component", () => {
    const next = Template.fromStack(synth(withImage(EXAMPLE, 'support-assistant', '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.6.0-tgi3.2.0-gpu-py311-cu124-ubuntu22.04')).platform.models.get('support-assistant')!);
    const db = loadAwsServiceSpecSync();
    const replacing = (type: string) => Object.entries(db.lookup('resource', 'cloudFormationType', 'equals', type).only().properties).filter(([, p]) => p.causesReplacement === 'yes').map(([k]) => k);
    const changed = (type: string) => {
      const [before] = Object.entries(assistant.findResources(type));
      const [after] = Object.entries(next.findResources(type));
      expect(after[0]).toBe(before[0]); // the same logical id: an update, not a new resource
      const props = new Set([...Object.keys(before[1].Properties), ...Object.keys(after[1].Properties)]);
      return [...props].filter((k) => JSON.stringify(before[1].Properties[k]) !== JSON.stringify(after[1].Properties[k]));
    };
    // The model's container changes: CloudFormation replaces the model (a new generated name), and keeps the old one (UpdateReplacePolicy) until cleanup.
    expect(changed('AWS::SageMaker::Model')).toEqual(['PrimaryContainer']);
    expect(replacing('AWS::SageMaker::Model')).toContain('PrimaryContainer');
    expect(Object.values(next.findResources('AWS::SageMaker::Model'))[0].UpdateReplacePolicy).toBe('Retain');
    // The component only sees a new ModelName, which it takes in place (UpdateInferenceComponent) with its rolling policy.
    const componentChanges = changed('AWS::SageMaker::InferenceComponent');
    expect(componentChanges).toEqual([]); // ModelName is a GetAtt of the same logical id: the new name flows through it
    expect(replacing('AWS::SageMaker::InferenceComponent')).toEqual([]);
    next.hasResourceProperties('AWS::SageMaker::InferenceComponent', { DeploymentConfig: { RollingUpdatePolicy: Match.objectLike({ MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 50 } }) } });
  });

  it('renders only properties, types and allowed values that CloudFormation\'s resource specification has', () => {
    const db = loadAwsServiceSpecSync();
    const problems: string[] = [];
    const check = (where: string, props: Record<string, unknown>, spec: Record<string, { type: unknown; required?: boolean }>) => {
      for (const [name, p] of Object.entries(spec)) if (p.required && props[name] === undefined) problems.push(`${where}.${name}: required`);
      for (const [name, value] of Object.entries(props)) {
        const prop = spec[name];
        if (!prop) { problems.push(`${where}.${name}: not in the specification`); continue; }
        checkValue(`${where}.${name}`, value, prop.type as SpecType);
      }
    };
    type SpecType = { type: string; reference?: { $ref: string }; element?: SpecType; allowedValues?: string[] };
    const checkValue = (where: string, value: unknown, type: SpecType) => {
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some((k) => k.startsWith('Fn::') || k === 'Ref')) return; // intrinsic
      if (type.type === 'ref') {
        const typeDef = db.get('typeDefinition', type.reference!.$ref);
        check(where, value as Record<string, unknown>, typeDef.properties);
      } else if (type.type === 'array') {
        if (!Array.isArray(value)) problems.push(`${where}: not a list`);
        else value.forEach((v, i) => checkValue(`${where}[${i}]`, v, type.element!));
      } else if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(value as string)) {
        problems.push(`${where}: '${String(value)}' not one of ${type.allowedValues.join(', ')}`);
      } else if (['integer', 'number'].includes(type.type) && typeof value !== 'number') {
        problems.push(`${where}: not a number`);
      }
    };
    const types = ['AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint', 'AWS::SageMaker::InferenceComponent', 'AWS::SageMaker::Model', 'AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy'];
    const checked: string[] = [];
    for (const template of [endpoints, assistant]) {
      for (const type of types) {
        const resource = db.lookup('resource', 'cloudFormationType', 'equals', type).only();
        for (const [id, r] of Object.entries(template.findResources(type))) {
          checked.push(type);
          check(`${type} ${id}`, r.Properties as Record<string, unknown>, resource.properties);
        }
      }
    }
    expect(new Set(checked)).toEqual(new Set(types));
    expect(problems).toEqual([]);
  });

  it("lets each component's model read its artifact and pull its image, and nothing of another model's", async () => {
    const world = IamWorld.fromApp(app);
    const flows = new FlowReader(world).endpoints();
    expect(flows.map((f) => f.name).sort()).toEqual([
      expect.stringMatching(/^assistants-ranker\/EndpointModel/),
      expect.stringMatching(/^assistants-summarizer\/EndpointModel/),
      expect.stringMatching(/^assistants-support-assistant\/EndpointModel/),
    ]);
    for (const flow of flows) expect(await world.evaluateAll(flow.requests)).toBe('Allowed');
    const assistantRole = world.roleArn('assistants-support-assistant', 'EndpointExecutionRole');
    expect(await world.evaluateAll([{ principal: assistantRole, action: 's3:GetObject', resource: 'arn:aws:s3:::my-models-us-east-1/summarizer/model.tar.gz' }])).not.toBe('Allowed');
  });

  it('lists each shared endpoint and the inference components on it in the audit report', () => {
    const report = buildAuditReport(readCloudAssembly(app.synth().directory));
    const shared = report.exposure.filter((e) => e.kind === 'sagemaker-endpoint' && e.name?.startsWith('assistants-'));
    expect(shared.map((e) => [e.name, e.networkIsolation, e.vpcPlacement.startsWith('VPC (subnets')])).toEqual([['assistants-gpu-pool', 'isolated', true], ['assistants-cpu-pool', 'isolated', true]]);
    expect(shared[0].authentication).toContain('shared by several models (inference components)');
    const components = report.exposure.filter((e) => e.kind === 'sagemaker-inference-component');
    expect(components.map((e) => e.name).sort()).toEqual(['assistants-ranker', 'assistants-summarizer', 'assistants-support-assistant']);
    expect(components.find((e) => e.name === 'assistants-ranker')).toMatchObject({ networkIsolation: 'isolated', vpcPlacement: expect.stringMatching(/^on shared endpoint assistants-cpu-pool/) });
  });
});
