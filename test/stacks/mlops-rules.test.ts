/**
 * The MLOps rule pack, rule by rule: each with a compliant and a non-compliant hand-built L1
 * resource of the real CloudFormation shape, run through the cdk-nag plugin (validateScope), plus
 * acknowledgment and the governance level.
 */
import { App, CfnResource, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { ModelEndpoint, ModelImage, ModelSource } from '../../constructs/aws';
import { MLOPS_RULES } from '../../lib/governance';
import { MlopsChecks } from '../../stacks/aws/mlops-rules';

const ROLE = 'arn:aws:iam::123456789012:role/sm';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

function stack(): Stack {
  return new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
}

/** The rule ids the pack reports on a stack, with the construct paths. */
function violations(s: Stack, pack = new MlopsChecks()): Record<string, string[]> {
  const report = pack.validateScope(s);
  return Object.fromEntries(report.violations.map((v) => [v.ruleName, v.violatingResources.map((r) => r.constructPath ?? "?")]));
}
const ids = (s: Stack, pack?: MlopsChecks) => Object.keys(violations(s, pack));

function endpointConfig(s: Stack, id: string, variant: Partial<sagemaker.CfnEndpointConfig.ProductionVariantProperty>, extra: Partial<sagemaker.CfnEndpointConfigProps> = {}) {
  return new sagemaker.CfnEndpointConfig(s, id, { productionVariants: [{ variantName: 'AllTraffic', modelName: 'm', ...variant }], ...extra });
}

function monitoringJob(s: Stack, id: string, network: sagemaker.CfnDataQualityJobDefinition.NetworkConfigProperty | undefined, cluster: Partial<sagemaker.CfnDataQualityJobDefinition.ClusterConfigProperty> = {}, outputKey: string | undefined = KEY) {
  return new sagemaker.CfnDataQualityJobDefinition(s, id, {
    roleArn: ROLE,
    dataQualityAppSpecification: { imageUri: IMAGE },
    dataQualityJobInput: { endpointInput: { endpointName: 'ep', localPath: '/opt/ml/processing/input' } },
    dataQualityJobOutputConfig: { kmsKeyId: outputKey, monitoringOutputs: [{ s3Output: { localPath: '/opt/ml/processing/output', s3Uri: 's3://b/monitoring' } }] },
    jobResources: { clusterConfig: { instanceCount: 1, instanceType: 'ml.m5.large', volumeSizeInGb: 20, volumeKmsKeyId: KEY, ...cluster } },
    networkConfig: network,
  });
}

function pipeline(s: Stack, id: string, steps: unknown[]) {
  return new sagemaker.CfnPipeline(s, id, {
    pipelineName: id.toLowerCase(),
    roleArn: ROLE,
    pipelineDefinition: { PipelineDefinitionBody: JSON.stringify({ Version: '2020-12-01', Parameters: [], Steps: steps }) },
  });
}

function trainingStep(name: string, over: Record<string, unknown> = {}) {
  return {
    Name: name, Type: 'Training',
    Arguments: {
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      RoleArn: ROLE,
      OutputDataConfig: { S3OutputPath: 's3://b/out', KmsKeyId: KEY },
      ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30, VolumeKmsKeyId: KEY },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] },
      ...over,
    },
  };
}

function featureGroup(s: Stack, id: string, onlineKey?: string) {
  return new sagemaker.CfnFeatureGroup(s, id, {
    featureGroupName: id.toLowerCase(),
    recordIdentifierFeatureName: 'id',
    eventTimeFeatureName: 'ts',
    featureDefinitions: [{ featureName: 'id', featureType: 'String' }, { featureName: 'ts', featureType: 'String' }],
    // onlineStoreConfig is untyped in aws-cdk-lib: it is passed through as written, so it takes CloudFormation's PascalCase.
    onlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: onlineKey ? { KmsKeyId: onlineKey } : undefined },
  });
}

describe('MLOps rule pack: every rule has an id, an explanation and a level', () => {
  it.each(MLOPS_RULES.map((r) => [r.id, r]))('%s is documented', (_id, rule) => {
    expect(rule.id).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(rule.explanation.length).toBeGreaterThan(80);
    expect(['error', 'warning']).toContain(rule.level);
  });
});

describe('MLOps-SageMakerEncryption', () => {
  it('passes an endpoint config with a volume key and encrypted data capture', () => {
    const s = stack();
    endpointConfig(s, 'Ok', { instanceType: 'ml.m5.large', initialInstanceCount: 1 }, { kmsKeyId: KEY, dataCaptureConfig: { initialSamplingPercentage: 10, destinationS3Uri: 's3://b/c', kmsKeyId: KEY, captureOptions: [{ captureMode: 'Input' }] } });
    expect(ids(s)).not.toContain('MLOps-SageMakerEncryption');
  });

  it('flags a missing volume key and an unencrypted data capture', () => {
    const s = stack();
    endpointConfig(s, 'Bad', { instanceType: 'ml.m5.large', initialInstanceCount: 1 }, { dataCaptureConfig: { initialSamplingPercentage: 10, destinationS3Uri: 's3://b/c', captureOptions: [{ captureMode: 'Input' }] } });
    const report = new MlopsChecks().validateScope(s);
    const v = report.violations.find((x) => x.ruleName === 'MLOps-SageMakerEncryption');
    expect(v?.violatingResources.map((r) => r.constructPath)).toEqual(['Stack/Bad']);
    expect(v?.description).toMatch(/KmsKeyId \(storage volume key\) is missing; DataCaptureConfig.KmsKeyId is missing/);
  });

  it('does not ask for a volume key where SageMaker rejects one: NVMe instance types and serverless', () => {
    const s = stack();
    endpointConfig(s, 'Nvme', { instanceType: 'ml.g5.xlarge', initialInstanceCount: 1 });
    endpointConfig(s, 'Serverless', { serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 5 } });
    expect(ids(s)).not.toContain('MLOps-SageMakerEncryption');
  });

  it('flags a monitoring job without a volume or output key, and passes one with both', () => {
    const s = stack();
    monitoringJob(s, 'Ok', { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true });
    monitoringJob(s, 'Bad', { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true }, { volumeKmsKeyId: undefined }, undefined);
    expect(violations(s)['MLOps-SageMakerEncryption']).toEqual(['Stack/Bad']);
  });

  it('does not ask a training step on a local-NVMe instance type for a volume key, but does on others', () => {
    const s = stack();
    pipeline(s, 'Nvme', [trainingStep('Train', { ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.g5.12xlarge', VolumeSizeInGB: 100 } })]);
    pipeline(s, 'Ebs', [trainingStep('Train', { ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 100 } })]);
    const report = new MlopsChecks().validateScope(s);
    const v = report.violations.find((x) => x.ruleName === 'MLOps-SageMakerEncryption');
    expect(v?.violatingResources.map((r) => r.constructPath)).toEqual(['Stack/Ebs']);
    expect(v?.description).toContain("step 'Train': no volume KMS key");
  });

  it('reads pipeline steps from the definition body, including a step nested in a Condition', () => {
    const s = stack();
    pipeline(s, 'Ok', [trainingStep('Train')]);
    pipeline(s, 'Bad', [{ Name: 'Check', Type: 'Condition', Arguments: { Conditions: [], IfSteps: [trainingStep('Retrain', { OutputDataConfig: { S3OutputPath: 's3://b/out' } })], ElseSteps: [] } }]);
    const report = new MlopsChecks().validateScope(s);
    const v = report.violations.find((x) => x.ruleName === 'MLOps-SageMakerEncryption');
    expect(v?.violatingResources.map((r) => r.constructPath)).toEqual(['Stack/Bad']);
    expect(v?.description).toContain("step 'Retrain': no output KMS key");
  });
});

describe('MLOps-SageMakerEncryption on asynchronous and shadow endpoints', () => {
  const variant = { instanceType: 'ml.m5.large', initialInstanceCount: 1 };
  it('passes asynchronous output with a KMS key, and flags it without one', () => {
    const s = stack();
    endpointConfig(s, 'Ok', variant, { kmsKeyId: KEY, asyncInferenceConfig: { outputConfig: { s3OutputPath: 's3://b/async-output', s3FailurePath: 's3://b/async-failures', kmsKeyId: KEY } } });
    endpointConfig(s, 'Bad', variant, { kmsKeyId: KEY, asyncInferenceConfig: { outputConfig: { s3OutputPath: 's3://b/async-output' } } });
    const v = new MlopsChecks().validateScope(s).violations.find((x) => x.ruleName === 'MLOps-SageMakerEncryption');
    expect(v?.violatingResources.map((r) => r.constructPath)).toEqual(['Stack/Bad']);
    expect(v?.description).toContain('AsyncInferenceConfig.OutputConfig.KmsKeyId is missing');
  });

  it("asks for the volume key when only the shadow variant has an EBS volume", () => {
    const s = stack();
    endpointConfig(s, 'Bad', { instanceType: 'ml.g5.xlarge', initialInstanceCount: 1 }, { shadowProductionVariants: [{ variantName: 'Shadow', modelName: 'c', instanceType: 'ml.m5.large', initialInstanceCount: 1, initialVariantWeight: 1 }] });
    endpointConfig(s, 'Ok', { instanceType: 'ml.g5.xlarge', initialInstanceCount: 1 }, { shadowProductionVariants: [{ variantName: 'Shadow', modelName: 'c', instanceType: 'ml.g5.2xlarge', initialInstanceCount: 1, initialVariantWeight: 1 }] });
    expect(violations(s)['MLOps-SageMakerEncryption']).toEqual(['Stack/Bad']);
  });
});

describe('MLOps-ShadowVariantCaptured', () => {
  const shadow = { shadowProductionVariants: [{ variantName: 'Shadow', modelName: 'c', instanceType: 'ml.m5.large', initialInstanceCount: 1, initialVariantWeight: 0.5 }], kmsKeyId: KEY };
  it("passes a shadow whose responses are captured, and flags one without capture or capturing input only", () => {
    const s = stack();
    const variant = { instanceType: 'ml.m5.large', initialInstanceCount: 1 };
    endpointConfig(s, 'Ok', variant, { ...shadow, dataCaptureConfig: { initialSamplingPercentage: 100, destinationS3Uri: 's3://b/c', kmsKeyId: KEY, captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }] } });
    endpointConfig(s, 'NoCapture', variant, shadow);
    endpointConfig(s, 'InputOnly', variant, { ...shadow, dataCaptureConfig: { initialSamplingPercentage: 100, destinationS3Uri: 's3://b/c', kmsKeyId: KEY, captureOptions: [{ captureMode: 'Input' }] } });
    endpointConfig(s, 'NoShadow', variant, { kmsKeyId: KEY });
    expect(violations(s)['MLOps-ShadowVariantCaptured']).toEqual(['Stack/NoCapture', 'Stack/InputOnly']);
  });
});

describe('MLOps-NetworkIsolation and StrictVpcPlacement on a shadow model', () => {
  it('holds the shadow variant of a ModelEndpoint to the same rules as production: compliant as rendered, flagged when isolation is off', () => {
    const s = stack();
    const src = () => ModelSource.fromImage(ModelImage.fromUri(IMAGE));
    new ModelEndpoint(s, 'Isolated', { source: src(), compute: { instanceType: 'ml.m5.large' }, shadow: { source: src() } });
    new ModelEndpoint(s, 'Open', { source: src(), compute: { instanceType: 'ml.m5.large' }, networkIsolation: false, shadow: { source: src() } });
    const found = violations(s)['MLOps-NetworkIsolation'];
    expect([...found].sort()).toEqual(['Stack/Open/Model', 'Stack/Open/Shadow/Model']);
    const strict = violations(s, new MlopsChecks(undefined, { level: 'strict' }))['MLOps-StrictVpcPlacement'];
    expect(strict).toEqual(expect.arrayContaining(['Stack/Isolated/Shadow/Model']));
  });
});

describe('MLOps-NetworkIsolation', () => {
  it('passes an isolated model and flags one with network access', () => {
    const s = stack();
    new sagemaker.CfnModel(s, 'Ok', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE }, enableNetworkIsolation: true });
    new sagemaker.CfnModel(s, 'Bad', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE } });
    expect(violations(s)['MLOps-NetworkIsolation']).toEqual(['Stack/Bad']);
  });

  it('flags a processing step and a monitoring job with network access', () => {
    const s = stack();
    pipeline(s, 'Pipe', [{ Name: 'Prep', Type: 'Processing', Arguments: { AppSpecification: { ImageUri: IMAGE }, RoleArn: ROLE, ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30, VolumeKmsKeyId: KEY } }, ProcessingOutputConfig: { KmsKeyId: KEY, Outputs: [] }, NetworkConfig: { EnableNetworkIsolation: false } } }]);
    monitoringJob(s, 'Monitor', { enableInterContainerTrafficEncryption: true });
    monitoringJob(s, 'Isolated', { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true });
    expect(violations(s)['MLOps-NetworkIsolation']).toEqual(['Stack/Pipe', 'Stack/Monitor']);
  });

  it('is silenced on one resource by an acknowledgment with a reason', () => {
    const s = stack();
    const model = new sagemaker.CfnModel(s, 'NeedsNetwork', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE } });
    Validations.of(model).acknowledge({ id: 'MLOps-NetworkIsolation', reason: 'The container reads online features from the feature store at inference time.' });
    expect(ids(s)).not.toContain('MLOps-NetworkIsolation');
  });
});

describe('MLOps-InterContainerEncryption', () => {
  it('flags a multi-instance training step without it and passes a single-instance one', () => {
    const s = stack();
    pipeline(s, 'Single', [trainingStep('Train', { EnableInterContainerTrafficEncryption: false })]);
    pipeline(s, 'Multi', [trainingStep('Train', { EnableInterContainerTrafficEncryption: false, ResourceConfig: { InstanceCount: 4, InstanceType: 'ml.p4d.24xlarge', VolumeSizeInGB: 100, VolumeKmsKeyId: KEY } })]);
    pipeline(s, 'MultiOk', [trainingStep('Train', { ResourceConfig: { InstanceCount: 4, InstanceType: 'ml.p4d.24xlarge', VolumeSizeInGB: 100, VolumeKmsKeyId: KEY } })]);
    expect(violations(s)['MLOps-InterContainerEncryption']).toEqual(['Stack/Multi']);
  });

  it('requires it on monitoring jobs', () => {
    const s = stack();
    monitoringJob(s, 'Ok', { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true });
    monitoringJob(s, 'Bad', { enableNetworkIsolation: true });
    expect(violations(s)['MLOps-InterContainerEncryption']).toEqual(['Stack/Bad']);
  });

  it('reads an inline monitoring job definition of a schedule', () => {
    const s = stack();
    new sagemaker.CfnMonitoringSchedule(s, 'Schedule', {
      monitoringScheduleName: 'drift',
      monitoringScheduleConfig: {
        monitoringJobDefinition: {
          roleArn: ROLE,
          monitoringAppSpecification: { imageUri: IMAGE },
          monitoringInputs: [{ endpointInput: { endpointName: 'ep', localPath: '/opt/ml/processing/input' } }],
          monitoringOutputConfig: { kmsKeyId: KEY, monitoringOutputs: [{ s3Output: { localPath: '/opt/ml/processing/output', s3Uri: 's3://b/m' } }] },
          monitoringResources: { clusterConfig: { instanceCount: 1, instanceType: 'ml.m5.large', volumeSizeInGb: 20, volumeKmsKeyId: KEY } },
          networkConfig: { enableNetworkIsolation: true },
        },
      },
    });
    expect(violations(s)['MLOps-InterContainerEncryption']).toEqual(['Stack/Schedule']);
  });
});

describe('MLOps-FeatureStoreEncryption', () => {
  it('passes an online store with a key and flags one without', () => {
    const s = stack();
    featureGroup(s, 'Ok', KEY);
    featureGroup(s, 'Bad');
    expect(violations(s)['MLOps-FeatureStoreEncryption']).toEqual(['Stack/Bad']);
  });
});

describe('MLOps-RegistryNotPublic', () => {
  const policy = (principal: unknown) => ({ Version: '2012-10-17', Statement: [{ Sid: 'Share', Effect: 'Allow', Principal: principal, Action: ['sagemaker:DescribeModelPackage'], Resource: '*' }] });
  it('flags a public principal and passes a named account', () => {
    const s = stack();
    new sagemaker.CfnModelPackageGroup(s, 'Ok', { modelPackageGroupName: 'ok', modelPackageGroupPolicy: policy({ AWS: 'arn:aws:iam::210987654321:root' }) });
    new sagemaker.CfnModelPackageGroup(s, 'Bad', { modelPackageGroupName: 'bad', modelPackageGroupPolicy: policy({ AWS: '*' }) });
    new sagemaker.CfnModelPackageGroup(s, 'BadStar', { modelPackageGroupName: 'bad2', modelPackageGroupPolicy: policy('*') });
    expect(violations(s)['MLOps-RegistryNotPublic']).toEqual(['Stack/Bad', 'Stack/BadStar']);
  });
});

describe('MLOps-NoActionWildcard', () => {
  it('flags `*` and `service:*` actions in a role, and passes named actions', () => {
    const s = stack();
    const ok = new iam.Role(s, 'Ok', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    ok.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }));
    new iam.CfnRole(s, 'Star', { assumeRolePolicyDocument: {}, policies: [{ policyName: 'p', policyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }] });
    new iam.CfnManagedPolicy(s, 'ServiceStar', { policyDocument: { Statement: [{ Effect: 'Allow', Action: ['sagemaker:*'], Resource: '*' }] } });
    expect(violations(s)['MLOps-NoActionWildcard']).toEqual(['Stack/Star', 'Stack/ServiceStar']);
  });
});

describe('MLOps-PassRoleConditioned', () => {
  it('flags iam:PassRole without iam:PassedToService and passes it with the condition', () => {
    const s = stack();
    new iam.CfnManagedPolicy(s, 'Ok', { policyDocument: { Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: ROLE, Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }] } });
    new iam.CfnManagedPolicy(s, 'Bad', { policyDocument: { Statement: [{ Effect: 'Allow', Action: 'iam:Pass*', Resource: ROLE }] } });
    expect(violations(s)['MLOps-PassRoleConditioned']).toEqual(['Stack/Bad']);
  });
});

describe('MLOps-ProductionEndpointResilience', () => {
  it('holds production-tagged endpoints to two instances and rollback alarms; others are not checked', () => {
    const s = stack();
    const prodTag = [{ key: 'environment', value: 'production' }];
    endpointConfig(s, 'ProdOk', { instanceType: 'ml.m5.large', initialInstanceCount: 2 }, { kmsKeyId: KEY, tags: prodTag });
    endpointConfig(s, 'ProdSingle', { instanceType: 'ml.m5.large', initialInstanceCount: 1 }, { kmsKeyId: KEY, tags: prodTag });
    endpointConfig(s, 'Dev', { instanceType: 'ml.m5.large', initialInstanceCount: 1 }, { kmsKeyId: KEY });
    new sagemaker.CfnEndpoint(s, 'ProdEndpoint', { endpointConfigName: 'c', tags: prodTag, deploymentConfig: { autoRollbackConfiguration: { alarms: [{ alarmName: 'latency' }] } } });
    new sagemaker.CfnEndpoint(s, 'ProdNoRollback', { endpointConfigName: 'c', tags: prodTag });
    expect(violations(s)['MLOps-ProductionEndpointResilience']).toEqual(['Stack/ProdSingle', 'Stack/ProdNoRollback']);
  });
});

describe('MLOps-RequiredTags', () => {
  it('flags taggable resources missing a required tag, never a feature group', () => {
    const s = stack();
    const tagged = new sagemaker.CfnModel(s, 'Tagged', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE }, enableNetworkIsolation: true });
    new sagemaker.CfnModel(s, 'Untagged', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE }, enableNetworkIsolation: true });
    featureGroup(s, 'Features', KEY);
    Tags.of(tagged).add('owner', 'ml-team');
    Tags.of(tagged).add('cost-center', 'cc-42');
    Tags.of(tagged).add('data-classification', 'internal');
    const app = s.node.root as App;
    app.synth(); // Tags are aspects: they render at synthesis
    expect(violations(s, new MlopsChecks(undefined, { requiredTags: ['owner', 'cost-center', 'data-classification'] }))['MLOps-RequiredTags']).toEqual(['Stack/Untagged']);
    expect(ids(s)).not.toContain('MLOps-RequiredTags');
  });
});

describe('MLOps-StrictVpcPlacement', () => {
  it('applies only at the strict level, where a model outside a VPC fails', () => {
    const s = stack();
    new sagemaker.CfnModel(s, 'InVpc', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE }, enableNetworkIsolation: true, vpcConfig: { securityGroupIds: ['sg-1'], subnets: ['subnet-1'] } });
    new sagemaker.CfnModel(s, 'NoVpc', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE }, enableNetworkIsolation: true });
    expect(ids(s)).not.toContain('MLOps-StrictVpcPlacement');
    expect(violations(s, new MlopsChecks(undefined, { level: 'strict' }))['MLOps-StrictVpcPlacement']).toEqual(['Stack/NoVpc']);
  });

  it('checks a HyperPod cluster for a VpcConfig', () => {
    const s = stack();
    new CfnResource(s, 'Cluster', { type: 'AWS::SageMaker::Cluster', properties: { ClusterName: 'c', InstanceGroups: [{ InstanceGroupName: 'g', InstanceType: 'ml.p5.48xlarge', InstanceCount: 2, ExecutionRole: ROLE, LifeCycleConfig: { OnCreate: 'on_create.sh', SourceS3Uri: 's3://b/lc' } }] } });
    expect(violations(s, new MlopsChecks(undefined, { level: 'strict' }))['MLOps-StrictVpcPlacement']).toEqual(['Stack/Cluster']);
  });
});

describe('MLOps-InferenceComponentEndpoint', () => {
  const hosting = { variantName: 'AllTraffic', instanceType: 'ml.g5.12xlarge', initialInstanceCount: 1, managedInstanceScaling: { status: 'ENABLED', minInstanceCount: 0, maxInstanceCount: 2 } };
  const vpcConfig = { securityGroupIds: ['sg-1'], subnets: ['subnet-1'] };

  it('passes an endpoint config hosting components with a role, isolation and a VPC, at the strict level too', () => {
    const s = stack();
    new sagemaker.CfnEndpointConfig(s, 'Shared', { productionVariants: [hosting], executionRoleArn: ROLE, enableNetworkIsolation: true, vpcConfig });
    expect(violations(s, new MlopsChecks(undefined, { level: 'strict' }))['MLOps-InferenceComponentEndpoint']).toBeUndefined();
  });

  it('flags one without an execution role or network isolation, and without a VPC only at the strict level', () => {
    const s = stack();
    new sagemaker.CfnEndpointConfig(s, 'NoRole', { productionVariants: [hosting], enableNetworkIsolation: true, vpcConfig });
    new sagemaker.CfnEndpointConfig(s, 'Open', { productionVariants: [hosting], executionRoleArn: ROLE, vpcConfig });
    new sagemaker.CfnEndpointConfig(s, 'NoVpc', { productionVariants: [hosting], executionRoleArn: ROLE, enableNetworkIsolation: true });
    expect(violations(s)['MLOps-InferenceComponentEndpoint']).toEqual(['Stack/NoRole', 'Stack/Open']);
    expect(violations(s, new MlopsChecks(undefined, { level: 'strict' }))['MLOps-InferenceComponentEndpoint']).toEqual(['Stack/NoRole', 'Stack/Open', 'Stack/NoVpc']);
  });

  it('does not apply to an endpoint config whose variants name their model', () => {
    const s = stack();
    endpointConfig(s, 'OwnModel', { instanceType: 'ml.m5.large', initialInstanceCount: 1 }, { kmsKeyId: KEY });
    expect(ids(s)).not.toContain('MLOps-InferenceComponentEndpoint');
  });
});

describe('MLOps rules on batch transform steps (create model → transform)', () => {
  const modelStep = (over: Record<string, unknown> = {}) => ({ Name: 'CreateModel', Type: 'Model', Arguments: { ExecutionRoleArn: ROLE, PrimaryContainer: { Image: IMAGE }, EnableNetworkIsolation: true, VpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] }, ...over } });
  const transformStep = (over: Record<string, unknown> = {}, modelName: unknown = { Get: 'Steps.CreateModel.ModelName' }) => ({
    Name: 'Transform', Type: 'Transform',
    Arguments: {
      ModelName: modelName,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://d/in/' } } },
      TransformOutput: { S3OutputPath: 's3://d/out/', KmsKeyId: KEY },
      TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2, VolumeKmsKeyId: KEY },
      ...over,
    },
  });
  const strict = () => new MlopsChecks(undefined, { level: 'strict' });

  it('passes a transform with volume and output keys whose model is isolated and in a VPC (no inter-container setting asked of it)', () => {
    const s = stack();
    pipeline(s, 'Batch', [modelStep(), transformStep()]);
    expect(ids(s, strict())).toEqual([]);
  });

  it('flags a transform without volume or output key, and one whose model has network access or no VPC at strict', () => {
    const s = stack();
    pipeline(s, 'Unkeyed', [modelStep(), transformStep({ TransformOutput: { S3OutputPath: 's3://d/out/' }, TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 } })]);
    pipeline(s, 'Open', [modelStep({ EnableNetworkIsolation: false, VpcConfig: undefined }), transformStep()]);
    const report = strict().validateScope(s);
    const of = (rule: string) => report.violations.find((v) => v.ruleName === rule);
    expect(of('MLOps-SageMakerEncryption')?.violatingResources.map((r) => r.constructPath)).toEqual(['Stack/Unkeyed']);
    expect(of('MLOps-SageMakerEncryption')?.description).toContain("step 'Transform': no volume KMS key; step 'Transform': no output KMS key");
    expect(of('MLOps-NetworkIsolation')?.violatingResources.map((r) => r.constructPath)).toEqual(['Stack/Open']);
    expect(of('MLOps-StrictVpcPlacement')?.violatingResources.map((r) => r.constructPath)).toEqual(['Stack/Open']);
    expect(of('MLOps-InterContainerEncryption')).toBeUndefined();
  });

  it('does not ask for a volume key on a local-NVMe instance type', () => {
    const s = stack();
    pipeline(s, 'Nvme', [modelStep(), transformStep({ TransformResources: { InstanceType: 'ml.g4dn.xlarge', InstanceCount: 1 } })]);
    expect(ids(s)).not.toContain('MLOps-SageMakerEncryption');
  });

  it('counts the isolation of a model it cannot see (named literally) as missing', () => {
    const s = stack();
    pipeline(s, 'Elsewhere', [transformStep({}, 'some-existing-model')]);
    expect(violations(s)['MLOps-NetworkIsolation']).toEqual(['Stack/Elsewhere']);
  });
});

describe('MlopsChecks as a validation plugin', () => {
  it('fails synth on an unacknowledged finding and names the rule', () => {
    const app = new App();
    const s = new Stack(app, 'Stack');
    new sagemaker.CfnModel(s, 'Open', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE } });
    Validations.of(app).addPlugins(new MlopsChecks(app));
    expect(() => app.synth()).toThrow(/MLOps-NetworkIsolation/);
  });

  it('uses the governance a platform sets on its scope over the pack defaults', () => {
    const s = stack();
    new sagemaker.CfnModel(s, 'NoVpc', { executionRoleArn: ROLE, primaryContainer: { image: IMAGE }, enableNetworkIsolation: true });
    MlopsChecks.govern(s, { level: 'strict', requiredTags: [] });
    expect(ids(s)).toContain('MLOps-StrictVpcPlacement');
  });
});
