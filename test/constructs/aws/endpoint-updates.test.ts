/**
 * What a second deploy of a ModelEndpoint does: each test synthesizes twice, diffs the templates
 * with the engine behind `cdk diff`, and checks what CloudFormation and SageMaker will do with the change.
 */
import * as vm from 'vm';
import { ApplicationAutoScalingClient, DeregisterScalableTargetCommand, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand, StackStatus } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { ModelEndpoint, ModelImage, ModelSource } from '../../../constructs/aws';
import { SCALING_GUARD_SOURCE } from '../../../constructs/aws/private/scaling-guard';
import { MlopsValidationError } from '../../../lib/errors';
import { ACCOUNT, endpointProps, newStack, only, REGION } from './helpers';

const IMAGE_V1 = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const IMAGE_V2 = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-2';

function synth(input: Record<string, unknown>, image = IMAGE_V1): Record<string, unknown> {
  const { stack } = newStack();
  new ModelEndpoint(stack, 'Ep', { ...endpointProps(input), source: ModelSource.fromImage(ModelImage.fromUri(image)) });
  return Template.fromStack(stack).toJSON();
}

function impacts(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, ResourceImpact> {
  const out: Record<string, ResourceImpact> = {};
  fullDiff(before, after).resources.forEachDifference((id, change) => { out[`${change.resourceType}:${id}`] = change.changeImpact; });
  return out;
}

const endpointOf = (template: Record<string, unknown>) => only(Template.fromJSON(template), 'AWS::SageMaker::Endpoint').resource.Properties!;

describe('ModelEndpoint updates', () => {
  const AUTOSCALED = { compute: { instanceType: 'ml.m5.large' }, scaling: { minInstances: 1, maxInstances: 4 } };

  it('keeps the autoscaled instance count when a new model is deployed: the config is replaced, the endpoint updated in place with its variant properties retained', () => {
    const before = synth(AUTOSCALED);
    const after = synth(AUTOSCALED, IMAGE_V2);
    const changes = impacts(before, after);
    const endpointChange = Object.entries(changes).find(([k]) => k.startsWith('AWS::SageMaker::Endpoint:'));
    const configChange = Object.entries(changes).find(([k]) => k.startsWith('AWS::SageMaker::EndpointConfig:'));
    // The endpoint's template is unchanged; it points at the replaced config through Fn::GetAtt, so CloudFormation updates it in place (UpdateEndpoint).
    expect(endpointChange).toBeUndefined();
    expect(configChange?.[1]).toBe(ResourceImpact.WILL_REPLACE);
    expect(JSON.stringify(endpointOf(after).EndpointConfigName)).toContain('EndpointConfigName');
    // UpdateEndpoint with RetainAllVariantProperties keeps DesiredInstanceCount (what Application
    // Auto Scaling set) instead of the new config's InitialInstanceCount; data capture follows the new config.
    expect(endpointOf(after)).toMatchObject({ RetainAllVariantProperties: true, ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DataCaptureConfig' }] });
  });

  it('changes the instance type of an autoscaled variant without manual steps: guard first, endpoint next, a new scalable target last, the old one left', () => {
    const before = synth(AUTOSCALED);
    const after = synth({ ...AUTOSCALED, compute: { instanceType: 'ml.c5.xlarge' } });
    const changes = impacts(before, after);
    const byType = (type: string) => Object.entries(changes).filter(([k]) => k.startsWith(`${type}:`)).map(([, v]) => v);
    // The guard (a custom resource, same logical id: CloudFormation sends it an Update) sees the type change and deregisters the variant (its handler is tested below).
    const guard = (t: Record<string, unknown>) => only(Template.fromJSON(t), 'Custom::MlopsScalingGuard');
    expect(guard(after).id).toBe(guard(before).id);
    expect([guard(before).resource.Properties!.InstanceType, guard(after).resource.Properties!.InstanceType]).toEqual(['ml.m5.large', 'ml.c5.xlarge']);
    expect(byType('Custom::MlopsScalingGuard')).toHaveLength(1);
    expect(byType('AWS::SageMaker::EndpointConfig')).toEqual([ResourceImpact.WILL_REPLACE]);
    // The endpoint keeps its name and its variant name (blue/green and rolling deployments require the same variant name).
    expect(byType('AWS::SageMaker::Endpoint')).toEqual([]);
    const variant = (t: Record<string, unknown>) => (only(Template.fromJSON(t), 'AWS::SageMaker::EndpointConfig').resource.Properties!.ProductionVariants as { VariantName: string }[])[0].VariantName;
    expect(variant(after)).toBe(variant(before));
    // A new target (registered after the endpoint update: it depends on the endpoint) replaces the old, which is retained: deleting it would deregister the new one.
    expect(byType('AWS::ApplicationAutoScaling::ScalableTarget').sort()).toEqual([ResourceImpact.WILL_CREATE, ResourceImpact.WILL_ORPHAN].sort());
    const target = only(Template.fromJSON(after), 'AWS::ApplicationAutoScaling::ScalableTarget');
    const endpointId = only(Template.fromJSON(after), 'AWS::SageMaker::Endpoint').id;
    expect(target.resource.DependsOn).toContain(endpointId);
    expect(target.resource.DeletionPolicy).toBe('Retain');
    // The endpoint waits for the guard.
    const guardId = only(Template.fromJSON(after), 'Custom::MlopsScalingGuard').id;
    expect(only(Template.fromJSON(after), 'AWS::SageMaker::Endpoint').resource.DependsOn).toContain(guardId);
  });

  it('applies a changed instance count of an endpoint that does not autoscale (DesiredInstanceCount is not retained)', () => {
    const after = synth({ compute: { instanceType: 'ml.m5.large' }, scaling: { minInstances: 3, maxInstances: 3 } });
    expect(endpointOf(after)).toMatchObject({
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DataCaptureConfig' }, { VariantPropertyType: 'DesiredInstanceCount' }],
    });
  });
});

describe('ModelEndpoint instance type resolved from an intent', () => {
  const A10G = { compute: { accelerator: { type: 'nvidia-a10g', count: 1 } } };
  const KEY = 'cdk-mlops:instanceType:Stack/Ep';

  function synthWith(context: Record<string, unknown>): { stack: Stack; instanceType: unknown } {
    const app = new App({ context });
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    new ModelEndpoint(stack, 'Ep', endpointProps(A10G));
    const config = only(Template.fromStack(stack), 'AWS::SageMaker::EndpointConfig').resource.Properties!;
    return { stack, instanceType: (config.ProductionVariants as { InstanceType: unknown }[])[0].InstanceType };
  }

  it('warns, with the context entry to add, while the resolved type is not pinned', () => {
    const { stack, instanceType } = synthWith({});
    expect(instanceType).toBe('ml.g5.xlarge');
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Ep', Match.stringLikeRegexp('cdk-mlops:instanceTypeNotPinned'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0].entry.data)).toContain(`\\"${KEY}\\": \\"ml.g5.xlarge\\"`);
  });

  it('keeps the pinned type when the catalog resolves another (a catalog update), and says so', () => {
    const { stack, instanceType } = synthWith({ [KEY]: 'ml.g5.2xlarge' });
    expect(instanceType).toBe('ml.g5.2xlarge');
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Ep', Match.stringLikeRegexp('cdk-mlops:instanceTypeCatalogChanged'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0].entry.data)).toContain('now resolves to ml.g5.xlarge');
  });

  it('is silent when the pinned type is what the catalog resolves', () => {
    const { stack, instanceType } = synthWith({ [KEY]: 'ml.g5.xlarge' });
    expect(instanceType).toBe('ml.g5.xlarge');
    expect(Annotations.fromStack(stack).findWarning('/Stack/Ep', Match.stringLikeRegexp('cdk-mlops:instanceType'))).toEqual([]);
  });

  it('rejects a pinned value that is not an inference instance type, naming the context key', () => {
    expect(() => synthWith({ [KEY]: 'ml.g5.huge' })).toThrow(MlopsValidationError);
    expect(() => synthWith({ [KEY]: 'ml.g5.huge' })).toThrow(/compute: is pinned by the context key 'cdk-mlops:instanceType:Stack\/Ep'.*got 'ml.g5.huge'/);
  });
});

describe('the scaling guard function', () => {
  const autoscaling = mockClient(ApplicationAutoScalingClient);
  const cloudformation = mockClient(CloudFormationClient);
  const cloudwatch = mockClient(CloudWatchClient);
  // The inline source, run as Lambda runs it (CommonJS), on the SDK clients mocked above.
  const mod = { exports: {} as { release: (event: unknown) => Promise<string> } };
  vm.runInThisContext(`(function (require, module, exports) {\n${SCALING_GUARD_SOURCE}\n})`)(require, mod, mod.exports);
  const release = (event: Record<string, unknown>) => mod.exports.release({ StackId: STACK_ID, ...event });
  const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/Platform/1';
  const VARIANT = { ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/churn/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' };

  // The guard's properties as the template renders them, for the endpoint before (m5) and after (c5) a type change.
  const ASYNC = { compute: { instanceType: 'ml.m5.large' }, scaling: { minInstances: 1, maxInstances: 4 }, async: { scaleToZero: true } };
  const renderedGuard = (input: Record<string, unknown>) => {
    const template = synth(input);
    const properties = only(Template.fromJSON(template), 'Custom::MlopsScalingGuard').resource.Properties!;
    // The JSON joined around the partition (Ref AWS::Partition), as CloudFormation resolves it in the aws partition.
    const registration = (properties.Registration as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'aws')).join('');
    return { template, props: { ...properties, EndpointName: 'churn', Registration: registration } };
  };
  const m5 = renderedGuard(ASYNC);
  const c5 = renderedGuard({ ...ASYNC, compute: { instanceType: 'ml.c5.xlarge' } });
  const stackStatus = (status: string) => cloudformation.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [{ StackName: 'Platform', StackStatus: status as StackStatus, CreationTime: new Date() }] });
  const OLD_POLICY = 'arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:0ld:resource/sagemaker/endpoint/churn/variant/AllTraffic:policyName/StackEpScalableTargetmlm5largeScaleOutFromZeroB206E4C0';
  const NEW_POLICY = OLD_POLICY.replace(':0ld:', ':n3w:');
  const OTHER_POLICY = OLD_POLICY.replace('endpoint/churn/', 'endpoint/fraud/');

  beforeEach(() => {
    autoscaling.reset();
    cloudformation.reset();
    cloudwatch.reset();
  });

  it('renders the registration the template declares: the capacities, role and every policy of the scalable target', () => {
    const target = only(Template.fromJSON(m5.template), 'AWS::ApplicationAutoScaling::ScalableTarget').resource.Properties!;
    const policies = Object.values(Template.fromJSON(m5.template).findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map((r) => r.Properties as Record<string, unknown>);
    const registration = JSON.parse(m5.props.Registration);
    expect(registration).toMatchObject({ MinCapacity: target.MinCapacity, MaxCapacity: target.MaxCapacity });
    expect(registration.RoleARN).toMatch(/^arn:aws:iam::123456789012:role\/aws-service-role\/sagemaker\.application-autoscaling\.amazonaws\.com\//);
    expect(policies.map((p) => p.PolicyType).sort()).toEqual(['StepScaling', 'TargetTrackingScaling']);
    const withoutTarget = ({ ScalingTargetId: _target, ...rest }: Record<string, unknown>) => rest;
    expect(registration.Policies).toEqual(expect.arrayContaining(policies.map(withoutTarget)));
    expect(registration.Policies).toHaveLength(policies.length);
  });

  it('deregisters the variant when its instance type changes (a forward update)', async () => {
    stackStatus('UPDATE_IN_PROGRESS');
    autoscaling.on(DeregisterScalableTargetCommand).resolves({});
    await expect(release({ RequestType: 'Update', OldResourceProperties: m5.props, ResourceProperties: c5.props })).resolves.toBe('deregistered endpoint/churn/variant/AllTraffic');
    expect(autoscaling.commandCalls(DeregisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([VARIANT]);
    expect(autoscaling.commandCalls(RegisterScalableTargetCommand)).toEqual([]);
  });

  it('registers the variant again with the previous capacities and policies when the type change rolls back, and points the scale-from-zero alarm at the re-created policy', async () => {
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    autoscaling.on(RegisterScalableTargetCommand).resolves({});
    autoscaling.on(PutScalingPolicyCommand, { PolicyType: 'StepScaling' }).resolves({ PolicyARN: NEW_POLICY });
    autoscaling.on(PutScalingPolicyCommand, { PolicyType: 'TargetTrackingScaling' }).resolves({ PolicyARN: NEW_POLICY.replace('ScaleOutFromZero', 'Backlog'), Alarms: [] });
    const alarm = { AlarmName: 'Ep-HasBacklogWithoutCapacity', AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Ep-HasBacklogWithoutCapacity', StateValue: 'OK' as const, ActionsEnabled: true, MetricName: 'HasBacklogWithoutCapacity', Namespace: 'AWS/SageMaker', Statistic: 'Average' as const, Dimensions: [{ Name: 'EndpointName', Value: 'churn' }], Period: 300, EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' as const, TreatMissingData: 'missing', AlarmActions: [OLD_POLICY] };
    const otherEndpoints = { ...alarm, AlarmName: 'Fraud-HasBacklogWithoutCapacity', AlarmActions: [OTHER_POLICY] };
    cloudwatch.on(DescribeAlarmsCommand).resolvesOnce({ MetricAlarms: [otherEndpoints], NextToken: 'page-2' }).resolvesOnce({ MetricAlarms: [alarm] });
    cloudwatch.on(PutMetricAlarmCommand).resolves({});

    // CloudFormation rolls back with the previous properties: Old = the failed update's (c5), New = the previous (m5).
    const result = await release({ RequestType: 'Update', OldResourceProperties: c5.props, ResourceProperties: m5.props });

    expect(result).toMatch(/^registered endpoint\/churn\/variant\/AllTraffic again with /);
    expect(autoscaling.commandCalls(DeregisterScalableTargetCommand)).toEqual([]);
    const previous = JSON.parse(m5.props.Registration);
    expect(autoscaling.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([{ ...VARIANT, MinCapacity: 0, MaxCapacity: 4, RoleARN: previous.RoleARN }]);
    const puts = autoscaling.commandCalls(PutScalingPolicyCommand).map((c) => c.args[0].input);
    expect(puts).toEqual(previous.Policies.map((p: Record<string, unknown>) => ({ ...VARIANT, ...p })));
    expect(puts.map((p) => p.PolicyName)).toEqual(expect.arrayContaining([expect.stringContaining('mlm5large')]));
    // The alarm that named the deleted policy now names the new one; other endpoints' alarms are left alone.
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.ActionPrefix)).toEqual(['arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:', 'arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:']);
    const alarmPuts = cloudwatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
    expect(alarmPuts).toHaveLength(1);
    // The definition is kept (what DescribeAlarms reports of the state is not an input).
    const definition = Object.fromEntries(Object.entries(alarm).filter(([k]) => k !== 'AlarmArn' && k !== 'StateValue'));
    expect(alarmPuts[0]).toEqual({ ...definition, AlarmActions: [NEW_POLICY] });
  });

  it('does nothing when a rollback does not change the type (the forward update did not deregister)', async () => {
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    await expect(release({ RequestType: 'Update', OldResourceProperties: m5.props, ResourceProperties: { ...m5.props, Registration: c5.props.Registration } })).resolves.toBe('the variant is unchanged');
    expect(autoscaling.calls()).toEqual([]);
  });

  it('deregisters the variant when autoscaling is removed (the guard is deleted with it; the target is retained)', async () => {
    autoscaling.on(DeregisterScalableTargetCommand).resolves({});
    await release({ RequestType: 'Delete', ResourceProperties: m5.props });
    expect(autoscaling.commandCalls(DeregisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([VARIANT]);
    expect(cloudformation.calls()).toEqual([]);
  });

  it('does nothing on create or for an unchanged type', async () => {
    await release({ RequestType: 'Create', ResourceProperties: m5.props });
    await release({ RequestType: 'Update', OldResourceProperties: m5.props, ResourceProperties: m5.props });
    expect(autoscaling.calls()).toEqual([]);
  });

  it('accepts a variant that is not registered, and fails on any other error', async () => {
    stackStatus('UPDATE_IN_PROGRESS');
    autoscaling.on(DeregisterScalableTargetCommand).rejectsOnce(Object.assign(new Error('no target'), { name: 'ObjectNotFoundException' })).rejectsOnce(Object.assign(new Error('ConcurrentUpdateException'), { name: 'ConcurrentUpdateException' }));
    await expect(release({ RequestType: 'Update', OldResourceProperties: m5.props, ResourceProperties: c5.props })).resolves.toBe('the variant was not registered');
    await expect(release({ RequestType: 'Update', OldResourceProperties: m5.props, ResourceProperties: c5.props })).rejects.toThrow('ConcurrentUpdateException');
  });
});
