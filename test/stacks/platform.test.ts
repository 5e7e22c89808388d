import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PlatformSpecInput } from '../../lib/spec';
import { AwsPlatform } from '../../stacks/aws/platform';
import { referencePlatform } from '../../stacks/reference-platform';
import { definitionOf, expectValidDefinition, stepOf } from '../constructs/aws/pipeline-schema';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

function platformOf(n: number): PlatformSpecInput {
  return {
    name: 'big',
    models: Array.from({ length: n }, (_, i) => i % 3 === 0
      ? { name: `gpu-${i}`, registry: {}, source: { registryVersion: 1 }, endpoint: { compute: { accelerator: { type: 'nvidia-a10g' } }, scaling: { minInstances: 2, maxInstances: 4 }, deployment: { strategy: 'canary' } } }
      : i % 3 === 1
        ? { name: `cpu-${i}`, source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }
        : { name: `sls-${i}`, source: { image: IMAGE }, endpoint: { compute: { serverless: { memoryMiB: 2048 } } } }),
  };
}

function resourceCount(stack: Stack): number {
  return Object.keys(Template.fromStack(stack).toJSON().Resources ?? {}).length;
}

describe('AwsPlatform', () => {
  const app = new App();
  const platform = new AwsPlatform(app, 'Platform', { spec: referencePlatform });

  it('renders a shared stack and one stack per model, named after the platform', () => {
    expect(platform.shared.stackName).toBe('mlops-reference-shared');
    expect([...platform.models.values()].map((s) => s.stackName)).toEqual(['mlops-reference-support-assistant', 'mlops-reference-churn', 'mlops-reference-ticket-router']);
    expect(platform.training?.stackName).toBe('mlops-reference-training');
  });

  it('builds the GPU model and the churn model with pipelines whose definitions validate against the pipeline schema', () => {
    const templates = new Map(['support-assistant', 'churn'].map((name) => [name, Template.fromStack(platform.models.get(name)!)]));
    for (const name of ['support-assistant', 'churn']) {
      const d = definitionOf(templates.get(name)!);
      expectValidDefinition(d);
      expect(stepOf(d, 'Register').Arguments).toMatchObject({ ModelPackageGroupName: name, ModelApprovalStatus: 'PendingManualApproval' });
    }
    const llm = stepOf(definitionOf(templates.get('support-assistant')!), 'Train').Arguments;
    expect(llm).toMatchObject({ EnableManagedSpotTraining: true, ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.g5.12xlarge' }, HyperParameters: { sagemaker_torch_distributed_enabled: 'true' } });
    expect(stepOf(definitionOf(templates.get('churn')!), 'DataQualityBaseline').CheckType).toBe('DATA_QUALITY');
    templates.get('churn')!.resourceCountIs('AWS::Scheduler::Schedule', 1);
  });

  it('gives the pipelines the experiment tracker and renders the HyperPod cluster in the training stack', () => {
    const d = definitionOf(Template.fromStack(platform.models.get('churn')!));
    expect(stepOf(d, 'Train').Arguments.Environment.MLFLOW_TRACKING_URI).toContain('mlflow-tracking-server/mlops-reference-experiments');
    const t = Template.fromStack(platform.training!);
    t.resourceCountIs('AWS::SageMaker::MlflowTrackingServer', 1);
    t.hasResourceProperties('AWS::SageMaker::Cluster', { ClusterName: 'mlops-reference-llm', VpcConfig: { Subnets: ['subnet-0a1b2c3d4e5f60781'] } });
  });

  it('puts a model registry and its endpoint in the model stack, retained', () => {
    const t = Template.fromStack(platform.models.get('support-assistant')!);
    t.hasResource('AWS::SageMaker::ModelPackageGroup', { Properties: { ModelPackageGroupName: 'support-assistant' }, DeletionPolicy: 'Retain' });
    t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  it('shares one encrypted alarm topic, access log bucket and artifacts bucket', () => {
    const t = Template.fromStack(platform.shared);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::S3::Bucket', 2);
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlatformKey'), 'Arn'] } });
  });

  it('applies the platform tags to the stacks', () => {
    Template.fromStack(platform.models.get('churn')!).hasResourceProperties('AWS::SageMaker::Endpoint', { Tags: [{ Key: 'managed-by', Value: 'cdk-mlops' }] });
  });

  it('makes a model that deploys from another model\'s registry depend on that stack', () => {
    const a = new App();
    const p = new AwsPlatform(a, 'P', {
      spec: {
        name: 'x',
        models: [
          { name: 'consumer', source: { registryVersion: 4, registryOf: 'owner' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } },
          { name: 'owner', registry: {}, source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } },
        ],
      },
    });
    const consumer = p.models.get('consumer')!;
    expect(consumer.dependencies.map((d) => d.stackName)).toContain('x-owner');
    Template.fromStack(consumer).hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { ModelPackageName: { 'Fn::Join': ['', Match.arrayWith([':model-package/owner/4'])] } },
    });
  });

  it('keeps every stack of a 60-model platform under 500 resources, with a shared stack that does not grow', () => {
    const small = new AwsPlatform(new App(), 'P', { spec: platformOf(1) });
    const big = new AwsPlatform(new App(), 'P', { spec: platformOf(60) });
    expect(big.models.size).toBe(60);
    expect(resourceCount(big.shared)).toBe(resourceCount(small.shared));
    for (const stack of big.models.values()) expect(resourceCount(stack)).toBeLessThan(500);
  });

  it('keeps cross-stack references to the shared topic, buckets and key', () => {
    const template = JSON.stringify(Template.fromStack(platform.models.get('support-assistant')!).toJSON());
    const imports = new Set([...template.matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]));
    // Topic, access logs, key ARN, artifacts bucket ARN and (for the pipeline's S3 paths) its name.
    expect(imports.size).toBeLessThanOrEqual(5);
    for (const name of imports) expect(name).toMatch(/^mlops-reference-shared:ExportsOutput(Ref|FnGetAtt)(AlarmTopic|AccessLogs|ModelArtifacts|PlatformKey)/);
  });
});
