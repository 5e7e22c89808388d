import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
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
    // No VPC of its own in the spec: the nodes join the strict platform's isolated subnets.
    t.hasResourceProperties('AWS::SageMaker::Cluster', {
      ClusterName: 'mlops-reference-llm',
      VpcConfig: { Subnets: [{ 'Fn::ImportValue': Match.stringLikeRegexp('NetworkmodelsSubnet1') }, { 'Fn::ImportValue': Match.stringLikeRegexp('NetworkmodelsSubnet2') }], SecurityGroupIds: Match.anyValue() },
    });
  });

  it('puts a model registry and its endpoint in the model stack, retained', () => {
    const t = Template.fromStack(platform.models.get('churn')!);
    t.hasResource('AWS::SageMaker::ModelPackageGroup', { Properties: { ModelPackageGroupName: 'churn' }, DeletionPolicy: 'Retain' });
    t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    // The support assistant is delivered through stages: its endpoints are in the stage stacks.
    Template.fromStack(platform.models.get('support-assistant')!).resourceCountIs('AWS::SageMaker::Endpoint', 0);
    Template.fromStack(platform.stages.get('support-assistant')![1]).resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  it('shares one encrypted alarm topic, access log bucket and artifacts bucket', () => {
    const t = Template.fromStack(platform.shared);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::S3::Bucket', 2);
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlatformKey'), 'Arn'] } });
  });

  it('applies the platform tags to the stacks', () => {
    Template.fromStack(platform.models.get('churn')!).hasResourceProperties('AWS::SageMaker::Endpoint', { Tags: Match.arrayWith([{ Key: 'managed-by', Value: 'cdk-mlops' }, { Key: 'owner', Value: 'ml-platform-team' }]) });
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

  it("renders the churn model's feature store and drift monitor in its own stack, alarming to the shared topic", () => {
    const churn = platform.models.get('churn')!;
    const t = Template.fromStack(churn);
    t.hasResource('AWS::SageMaker::FeatureGroup', { Properties: Match.objectLike({ FeatureGroupName: 'churn-customers' }), DeletionPolicy: 'Retain' });
    t.resourceCountIs('AWS::SageMaker::DataQualityJobDefinition', 1);
    t.resourceCountIs('AWS::SageMaker::ModelQualityJobDefinition', 1);
    t.resourceCountIs('AWS::SageMaker::MonitoringSchedule', 2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'aws/sagemaker/Endpoints/data-metrics',
      MetricName: 'feature_baseline_drift_monthly_charges',
      AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('AlarmTopic') }],
    });
    expect(churn.driftMonitor!.endpoint).toBe(churn.endpoint);
    // Stack tags reach the stack's other resources, never the feature group.
    t.hasResourceProperties('AWS::SageMaker::FeatureGroup', { Tags: Match.absent() });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { Tags: Match.arrayWith([{ Key: 'managed-by', Value: 'cdk-mlops' }]) });
  });

  it("retrains churn through its own pipeline when its drift monitor alarms", () => {
    const churn = platform.models.get('churn')!;
    expect(churn.pipeline).toBeDefined();
    expect(churn.driftMonitor!.retraining).toBeDefined();
    Annotations.fromStack(churn).hasNoWarning('/Platform/churn/DriftMonitor', Match.stringLikeRegexp('retrain'));
    // The guard function is told which pipeline to start.
    Template.fromStack(churn).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PIPELINE_NAME: 'mlops-reference-churn' }) },
    });
  });

  it("compares captured data with the baseline the model pipeline's QualityCheck writes when the spec names none, and may read exactly that", () => {
    const models = referencePlatform.models.map((m) => (m.name !== 'churn' ? m : { ...m, drift: { ...m.drift!, dataQuality: { ...m.drift!.dataQuality!, baseline: undefined } } }));
    const churn = new AwsPlatform(new App(), 'Platform', { spec: { ...referencePlatform, models } }).models.get('churn')!;
    const t = Template.fromStack(churn);
    const uri = (file: string) => ({ 'Fn::Join': ['', ['s3://', { 'Fn::ImportValue': Match.stringLikeRegexp('ModelArtifacts') }, `/pipelines/mlops-reference-churn/baselines/DataQualityBaseline/${file}`]] });
    t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
      DataQualityBaselineConfig: { ConstraintsResource: { S3Uri: uri('constraints.json') }, StatisticsResource: { S3Uri: uri('statistics.json') } },
    });
    // The pipeline's QualityCheck step writes to the same prefix.
    expect(JSON.stringify(stepOf(definitionOf(t), 'DataQualityBaseline'))).toContain('/baselines/DataQualityBaseline');
    const objectArn = (file: string) => ({ 'Fn::Join': ['', [{ 'Fn::ImportValue': Match.stringLikeRegexp('ModelArtifacts') }, `/pipelines/mlops-reference-churn/baselines/DataQualityBaseline/${file}`]] });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Resource: [objectArn('constraints.json'), objectArn('statistics.json')] })]) },
    });
  });

  it('lets the auditor persona read the audit report published under audit/ of the artifacts bucket, and says where', () => {
    const t = Template.fromStack(platform.shared);
    const artifacts = Object.keys(t.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('ModelArtifacts'))!;
    t.hasOutput('AuditReportUri', { Value: { 'Fn::Join': ['', ['s3://', { Ref: artifacts }, '/audit/']] } });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('[Aa]uditor'),
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReadAuditReport', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [artifacts, 'Arn'] }, '/audit/*']] } })]) },
    });
  });

  it('tags every model stack with its model, so cost and audit read it from the templates', () => {
    Template.fromStack(platform.models.get('churn')!).hasResourceProperties('AWS::SageMaker::Endpoint', {
      Tags: Match.arrayWith([{ Key: 'cdk-mlops:model', Value: 'churn' }]),
    });
    const group = Object.values(Template.fromStack(platform.models.get('churn')!).findResources('AWS::SageMaker::FeatureGroup'))[0];
    expect(JSON.stringify(group.Properties.Tags ?? [])).not.toContain('cdk-mlops:model');
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
    // The shared topic, access logs, key, artifacts bucket (ARN and, for the pipeline's S3 paths, its name) and
    // (strict level) the VPC (for the pipeline's group of distributed-job peers), its two subnets and the model security group.
    const shared = (name: string) => expect.stringMatching(new RegExp(`^mlops-reference-shared:ExportsOutput${name}`));
    expect([...imports].sort()).toEqual([
      shared('FnGetAttModelArtifacts\\w+Arn'),
      shared('FnGetAttNetworkModelSecurityGroup\\w+GroupId'),
      shared('FnGetAttPlatformKey\\w+Arn'),
      shared('RefAccessLogs'),
      shared('RefAlarmTopic'),
      shared('RefModelArtifacts'),
      shared('RefNetwork[0-9A-F]{16}$'),
      shared('RefNetworkmodelsSubnet1'),
      shared('RefNetworkmodelsSubnet2'),
    ]);
  });
});

describe('AwsPlatform governance', () => {
  const IMAGE_URI = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
  const tags = { owner: 'a', 'cost-center': 'b', 'data-classification': 'c' };

  it('attaches the permissions boundary to every role it creates', () => {
    const app = new App();
    const boundary = 'arn:aws:iam::123456789012:policy/ml-boundary';
    const platform = new AwsPlatform(app, 'Platform', { spec: { name: 'p', governance: { permissionsBoundary: boundary }, models: [{ name: 'm', source: { image: IMAGE_URI }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] } });
    const roles = Template.fromStack(platform.models.get('m')!).findResources('AWS::IAM::Role');
    expect(Object.keys(roles).length).toBeGreaterThan(0);
    for (const role of Object.values(roles)) expect(role.Properties.PermissionsBoundary).toBe(boundary);
  });

  it('creates no VPC at the baseline level, and one with isolated subnets, endpoints and flow logs at strict', () => {
    const base = new AwsPlatform(new App(), 'Platform', { spec: { name: 'p', models: [{ name: 'm', source: { image: IMAGE_URI }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] } });
    Template.fromStack(base.shared).resourceCountIs('AWS::EC2::VPC', 0);
    const strict = new AwsPlatform(new App(), 'Platform', { spec: { name: 'p', tags, governance: { level: 'strict' }, models: [{ name: 'm', source: { image: IMAGE_URI }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] } });
    const t = Template.fromStack(strict.shared);
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.hasResourceProperties('AWS::EC2::FlowLog', { LogDestinationType: 's3', TrafficType: 'ALL' });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    expect(Object.keys(t.findResources('AWS::EC2::VPCEndpoint')).length).toBe(9);
    Template.fromStack(strict.models.get('m')!).hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: true, VpcConfig: Match.objectLike({ Subnets: Match.anyValue() }) });
  });

  it('rejects a serverless endpoint at the strict level, naming the field', () => {
    expect(() => new AwsPlatform(new App(), 'Platform', { spec: { name: 'p', tags, governance: { level: 'strict' }, models: [{ name: 'm', source: { image: IMAGE_URI }, endpoint: { compute: { serverless: { memoryMiB: 2048 } } } }] } }))
      .toThrow(/models\[0\]\.endpoint\.compute: is serverless, which the strict governance level does not allow.*\(got serverless, expected an instance type/);
  });

  it('rejects network isolation turned off at the strict level', () => {
    expect(() => new AwsPlatform(new App(), 'Platform', { spec: { name: 'p', tags, governance: { level: 'strict' }, models: [{ name: 'm', source: { image: IMAGE_URI }, endpoint: { compute: { instanceType: 'ml.m5.large' }, networkIsolation: false } }] } }))
      .toThrow(/models\[0\]\.endpoint\.networkIsolation: is off, which the strict governance level does not allow/);
  });

  it('rejects a platform missing a required tag, naming the tag', () => {
    expect(() => new AwsPlatform(new App(), 'Platform', { spec: { name: 'p', tags: { owner: 'a' }, governance: { requiredTags: ['owner', 'cost-center'] }, models: [{ name: 'm', source: { image: IMAGE_URI }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] } }))
      .toThrow(/tags\.cost-center: is required by governance \(level 'baseline'\) \(got nothing, expected a 'cost-center' tag\)/);
  });

  it('rejects a permissions boundary that is not a policy ARN', () => {
    expect(() => new AwsPlatform(new App(), 'Platform', { spec: { name: 'p', governance: { permissionsBoundary: 'ml-boundary' }, models: [{ name: 'm', source: { image: IMAGE_URI }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] } }))
      .toThrow(/governance\.permissionsBoundary: is not in the expected format/);
  });
});
