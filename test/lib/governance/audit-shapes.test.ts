/**
 * The audit readers on hand-built L1 resources of the types other constructs will create (pipelines,
 * feature groups, monitoring, HyperPod clusters, MLflow), so the report holds when they land.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, CfnResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { WriteNagSuppressionsToCloudFormationAspect } from 'cdk-nag';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { AuditReport, buildAuditReport } from '../../../lib/governance';

const ROLE = 'arn:aws:iam::123456789012:role/sm';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

describe('audit report over SageMaker pipeline, feature store, monitoring, cluster and MLflow resources', () => {
  let dir: string;
  let report: AuditReport;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-shapes-'));
    const app = new App({ outdir: dir, context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new Stack(app, 'Ml', { stackName: 'ml' });
    const fg = new sagemaker.CfnFeatureGroup(stack, 'Customers', {
      featureGroupName: 'customers', recordIdentifierFeatureName: 'id', eventTimeFeatureName: 'ts',
      featureDefinitions: [{ featureName: 'id', featureType: 'String' }, { featureName: 'ts', featureType: 'String' }],
      onlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: KEY }, TtlDuration: { Unit: 'Days', Value: 30 } },
      offlineStoreConfig: { S3StorageConfig: { S3Uri: 's3://features/customers' } },
    });
    fg.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new sagemaker.CfnPipeline(stack, 'Training', {
      pipelineName: 'churn-training', roleArn: ROLE,
      pipelineDefinition: { PipelineDefinitionBody: JSON.stringify({ Version: '2020-12-01', Steps: [{ Name: 'Train', Type: 'Training', Arguments: { RoleArn: ROLE, EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] }, ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.g5.12xlarge', VolumeSizeInGB: 100, VolumeKmsKeyId: KEY }, OutputDataConfig: { S3OutputPath: 's3://b/out', KmsKeyId: KEY } } }] }) },
    });
    const batch = (isolated: boolean) => JSON.stringify({ Version: '2020-12-01', Steps: [
      { Name: 'CreateModel', Type: 'Model', Arguments: { ExecutionRoleArn: ROLE, PrimaryContainer: { Image: IMAGE }, EnableNetworkIsolation: isolated, VpcConfig: { SecurityGroupIds: ['sg-2'], Subnets: ['subnet-2'] } } },
      { Name: 'Transform', Type: 'Transform', Arguments: { ModelName: { Get: 'Steps.CreateModel.ModelName' }, TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://d/in/' } } }, TransformOutput: { S3OutputPath: 's3://d/out/', KmsKeyId: KEY }, TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeKmsKeyId: KEY } } },
    ] });
    new sagemaker.CfnPipeline(stack, 'Batch', { pipelineName: 'churn-batch', roleArn: ROLE, pipelineDefinition: { PipelineDefinitionBody: batch(true) } });
    new sagemaker.CfnPipeline(stack, 'OpenBatch', { pipelineName: 'open-batch', roleArn: ROLE, pipelineDefinition: { PipelineDefinitionBody: batch(false) } });
    Validations.of(stack.node.findChild('OpenBatch')).acknowledge({ id: 'MLOps-NetworkIsolation', reason: 'The model container calls a licence server while scoring, from the VPC only.' });
    new sagemaker.CfnDataQualityJobDefinition(stack, 'DataQuality', {
      roleArn: ROLE, dataQualityAppSpecification: { imageUri: IMAGE },
      dataQualityJobInput: { endpointInput: { endpointName: 'ep', localPath: '/opt/ml/processing/input' } },
      dataQualityJobOutputConfig: { kmsKeyId: KEY, monitoringOutputs: [{ s3Output: { localPath: '/opt/ml/processing/output', s3Uri: 's3://b/m' } }] },
      jobResources: { clusterConfig: { instanceCount: 1, instanceType: 'ml.m5.large', volumeSizeInGb: 20, volumeKmsKeyId: KEY } },
      networkConfig: { enableNetworkIsolation: false },
    });
    const mlflow = new CfnResource(stack, 'Tracking', { type: 'AWS::SageMaker::MlflowTrackingServer', properties: { TrackingServerName: 'experiments', ArtifactStoreUri: 's3://mlflow-artifacts/', RoleArn: ROLE } });
    mlflow.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new CfnResource(stack, 'Cluster', { type: 'AWS::SageMaker::Cluster', properties: { ClusterName: 'llm', VpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] }, InstanceGroups: [{ InstanceGroupName: 'gpu', InstanceType: 'ml.p5.48xlarge', InstanceCount: 2, ExecutionRole: ROLE, LifeCycleConfig: { OnCreate: 'on_create.sh', SourceS3Uri: 's3://b/lc' } }] } });
    Validations.of(stack.node.findChild('DataQuality')).acknowledge({ id: 'MLOps-NetworkIsolation', reason: 'The data quality baseline job reads the captured data through the S3 VPC endpoint.' });
    // What addCompliancePacks does: acknowledgments written into the template metadata.
    Aspects.of(app).add(new WriteNagSuppressionsToCloudFormationAspect());
    app.synth();
    report = buildAuditReport(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('describes a feature group: online key, offline store without one, retention and TTL', () => {
    const store = report.dataStores.find((d) => d.kind === 'feature-group')!;
    expect(store.encryption).toBe(`online store: customer-managed KMS key ${KEY}; offline store: AWS-owned or AWS-managed key (not customer-managed)`);
    expect(store.customerManagedKey).toBe(false);
    expect(store.retention).toBe('retained when the stack is deleted; online records expire after 30 Days');
  });

  it('never counts a feature group against required tags: it is exempt, with the reason', () => {
    expect(report.tags.exempt).toEqual([expect.objectContaining({ logicalId: 'Customers', reason: expect.stringMatching(/replaces this resource/) })]);
  });

  it('shows pipeline steps, monitoring jobs and clusters with their placement and isolation', () => {
    const byId = Object.fromEntries(report.exposure.map((e) => [e.logicalId, e]));
    expect(byId.Training).toMatchObject({ kind: 'sagemaker-job', name: 'churn-training', vpcPlacement: 'VPC (subnets subnet-1; security groups sg-1)', networkIsolation: 'isolated' });
    expect(byId.DataQuality).toMatchObject({ kind: 'sagemaker-job', vpcPlacement: 'SageMaker service network (no VPC)', networkIsolation: 'network-access' });
    expect(byId.Cluster).toMatchObject({ kind: 'sagemaker-job', name: 'llm', vpcPlacement: expect.stringMatching(/^VPC/) });
    expect(byId.Tracking).toMatchObject({ kind: 'mlflow-tracking-server', authentication: expect.stringMatching(/SigV4.*presigned URL/) });
  });

  it('lists batch transform pipelines with the placement and isolation of the model their transform job runs', () => {
    const byId = Object.fromEntries(report.exposure.map((e) => [e.logicalId, e]));
    expect(byId.Batch).toMatchObject({ kind: 'sagemaker-job', name: 'churn-batch', vpcPlacement: 'VPC (subnets subnet-2; security groups sg-2)', networkIsolation: 'isolated' });
    expect(byId.OpenBatch).toMatchObject({ kind: 'sagemaker-job', name: 'open-batch', networkIsolation: 'network-access' });
  });

  it('runs the MLOps rules over the templates: open findings and acknowledged ones with their reason', () => {
    const mlops = report.findings.filter((f) => f.pack === 'MLOps').map((f) => [f.rule, f.logicalId, f.status, f.reason]);
    expect(mlops).toEqual(expect.arrayContaining([
      ['MLOps-FeatureStoreEncryption', 'Customers', 'open', undefined],
      ['MLOps-InterContainerEncryption', 'DataQuality', 'open', undefined],
      ['MLOps-NetworkIsolation', 'DataQuality', 'acknowledged', 'The data quality baseline job reads the captured data through the S3 VPC endpoint.'],
    ]));
    expect(mlops.find((f) => f[1] === 'Training')).toBeUndefined();
  });
});
