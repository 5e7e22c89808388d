/**
 * What a second deploy of a ModelEndpoint does: each test synthesizes twice, diffs the templates
 * with the engine behind `cdk diff`, and checks what CloudFormation and SageMaker will do with the change.
 */
import * as https from 'https';
import * as vm from 'vm';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
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
  const calls: Record<string, unknown>[] = [];
  let failWith: string | undefined;
  const fakeRequire = (name: string): unknown => {
    if (name === '@aws-sdk/client-application-auto-scaling') {
      return {
        ApplicationAutoScalingClient: class {
          public send(command: { input: Record<string, unknown> }): Promise<unknown> {
            calls.push(command.input);
            if (!failWith) return Promise.resolve({});
            const e = new Error(failWith);
            e.name = failWith;
            return Promise.reject(e);
          }
        },
        DeregisterScalableTargetCommand: class { constructor(public readonly input: Record<string, unknown>) {} },
      };
    }
    throw new Error(`unexpected require('${name}')`);
  };
  const mod = { exports: {} as { release: (event: unknown) => Promise<string> } };
  const realRequire = (name: string) => (name === 'https' ? https : fakeRequire(name));
  vm.runInThisContext(`(function (require, module, exports) {\n${SCALING_GUARD_SOURCE}\n})`)(realRequire, mod, mod.exports);
  const props = (instanceType: string) => ({ EndpointName: 'churn', VariantName: 'AllTraffic', InstanceType: instanceType });
  beforeEach(() => { calls.length = 0; failWith = undefined; });

  it('deregisters the variant when its instance type changes', async () => {
    await expect(mod.exports.release({ RequestType: 'Update', OldResourceProperties: props('ml.m5.large'), ResourceProperties: props('ml.c5.xlarge') })).resolves.toMatch(/^deregistered/);
    expect(calls).toEqual([{ ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/churn/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' }]);
  });

  it('deregisters the variant when autoscaling is removed (the guard is deleted with it; the target is retained)', async () => {
    await mod.exports.release({ RequestType: 'Delete', ResourceProperties: props('ml.m5.large') });
    expect(calls).toEqual([{ ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/churn/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' }]);
  });

  it('does nothing on create or for an unchanged type', async () => {
    await mod.exports.release({ RequestType: 'Create', ResourceProperties: props('ml.m5.large') });
    await mod.exports.release({ RequestType: 'Update', OldResourceProperties: props('ml.m5.large'), ResourceProperties: props('ml.m5.large') });
    expect(calls).toEqual([]);
  });

  it('accepts a variant that is not registered, and fails on any other error', async () => {
    failWith = 'ObjectNotFoundException';
    await expect(mod.exports.release({ RequestType: 'Update', OldResourceProperties: props('ml.m5.large'), ResourceProperties: props('ml.c5.xlarge') })).resolves.toBe('the variant was not registered');
    failWith = 'ConcurrentUpdateException';
    await expect(mod.exports.release({ RequestType: 'Update', OldResourceProperties: props('ml.m5.large'), ResourceProperties: props('ml.c5.xlarge') })).rejects.toThrow('ConcurrentUpdateException');
  });
});
