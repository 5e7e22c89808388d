import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { TrainingCluster } from '../../../constructs/aws';
import { actionsOf, allStatements, expectValidationError, newStack, only } from './helpers';

const SUBJECT = "TrainingCluster 'Cluster' (Stack/Cluster)";
const GROUPS = [
  { name: 'controller', compute: { instanceType: 'ml.m5.xlarge' }, count: 1 },
  { name: 'gpu', compute: { instanceType: 'ml.p5.48xlarge' }, count: 4 },
];

function build(input: Record<string, unknown> = {}) {
  const { stack } = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  const cluster = new TrainingCluster(stack, 'Cluster', { vpc, lifecycleScriptsUri: 's3://lifecycle-bucket/hyperpod/', instanceGroups: GROUPS, ...input });
  return { stack, cluster };
}

describe('TrainingCluster', () => {
  it('creates a HyperPod cluster with instance groups, lifecycle scripts, VPC and automatic node recovery', () => {
    const { stack, cluster } = build({ name: 'llm-training' });
    const { resource } = only(Template.fromStack(stack), 'AWS::SageMaker::Cluster');
    const p = resource.Properties as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(p).toMatchObject({ ClusterName: 'llm-training', NodeRecovery: 'Automatic' });
    expect(p.Orchestrator).toBeUndefined();
    expect(p.InstanceGroups).toHaveLength(2);
    expect(p.InstanceGroups[1]).toMatchObject({
      InstanceGroupName: 'gpu', InstanceType: 'ml.p5.48xlarge', InstanceCount: 4, ThreadsPerCore: 1,
      LifeCycleConfig: { SourceS3Uri: 's3://lifecycle-bucket/hyperpod/', OnCreate: 'on_create.sh' },
      InstanceStorageConfigs: [{ EbsVolumeConfig: { VolumeSizeInGB: 500 } }],
    });
    expect(p.InstanceGroups[1].InstanceStorageConfigs[0].EbsVolumeConfig.VolumeKmsKeyId).toBeDefined();
    expect(p.VpcConfig.Subnets).toHaveLength(2);
    expect(cluster.node.defaultChild).toBe(cluster.cfnCluster);
  });

  it('resolves an accelerator intent through the catalog', () => {
    const { stack } = build({ instanceGroups: [{ name: 'gpu', compute: { accelerator: { type: 'nvidia-h100', count: 8 } }, count: 2 }] });
    const { resource } = only(Template.fromStack(stack), 'AWS::SageMaker::Cluster');
    expect((resource.Properties as { InstanceGroups: { InstanceType: string }[] }).InstanceGroups[0].InstanceType).toBe('ml.p5.48xlarge');
  });

  it('is orchestrated by an existing EKS cluster when asked', () => {
    const arn = 'arn:aws:eks:us-east-1:123456789012:cluster/ml';
    const { stack } = build({ orchestrator: 'eks', eksClusterArn: arn });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Cluster', { Orchestrator: { Eks: { ClusterArn: arn } } });
  });

  it('gives the nodes a role that reads only the lifecycle scripts prefix', () => {
    const t = Template.fromStack(build().stack);
    const s = allStatements(t).find((x) => x.Sid === 'ReadLifecycleScripts')!;
    expect(JSON.stringify(s.Resource)).toContain(':s3:::lifecycle-bucket/hyperpod/*');
    expect(allStatements(t).flatMap(actionsOf).filter((a) => a === '*' || a.endsWith(':*'))).toEqual(expect.not.arrayContaining(['*']));
  });

  it('lets nodes talk to each other on every port (NCCL, EFA) and reach only HTTPS outside', () => {
    const t = Template.fromStack(build().stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }] });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { IpProtocol: '-1' });
  });

  it('grants describing the cluster', () => {
    const { stack, cluster } = build();
    cluster.grantDescribe(new iam.Role(stack, 'Ops', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(allStatements(Template.fromStack(stack)).flatMap(actionsOf)).toContain('sagemaker:DescribeCluster');
  });

  it('rejects a cluster without an accelerated group', () => {
    expectValidationError(() => build({ instanceGroups: [GROUPS[0]] }), SUBJECT, { path: 'instanceGroups', message: 'has no accelerated instance group' });
  });

  it('rejects an instance type the catalog does not know, with a did-you-mean', () => {
    expectValidationError(() => build({ instanceGroups: [{ name: 'gpu', compute: { instanceType: 'ml.p5.48xlage' }, count: 1 }] }), SUBJECT, { path: 'instanceGroups[0].compute.instanceType', message: "did you mean 'ml.p5.48xlarge'?" });
  });

  it('rejects an inference-only type', () => {
    expectValidationError(() => build({ instanceGroups: [{ name: 'inf', compute: { instanceType: 'ml.inf2.xlarge' } , count: 1 }] }), SUBJECT, { path: 'instanceGroups[0].compute.instanceType', message: 'is not offered for training' });
  });

  it('rejects a group count of zero', () => {
    expectValidationError(() => build({ instanceGroups: [{ ...GROUPS[1], count: 0 }] }), SUBJECT, { path: 'instanceGroups[0].count', got: '0', expected: '≥ 1' });
  });

  it('rejects two groups with one name', () => {
    expectValidationError(() => build({ instanceGroups: [GROUPS[1], GROUPS[1]] }), SUBJECT, { path: 'instanceGroups[1].name', message: 'repeats the name of instanceGroups[0]' });
  });

  it('rejects EKS orchestration without a cluster ARN', () => {
    expectValidationError(() => build({ orchestrator: 'eks' }), SUBJECT, { path: 'eksClusterArn', message: "is required with orchestrator 'eks'" });
  });

  it('rejects an EKS cluster ARN with Slurm', () => {
    expectValidationError(() => build({ eksClusterArn: 'arn:aws:eks:us-east-1:123456789012:cluster/ml' }), SUBJECT, { path: 'eksClusterArn', message: "only applies to orchestrator 'eks'" });
  });

  it('rejects lifecycle scripts outside S3', () => {
    expectValidationError(() => build({ lifecycleScriptsUri: 'file:///tmp/scripts' }), SUBJECT, { path: 'lifecycleScriptsUri' });
  });

  it('rejects threadsPerCore other than 1 or 2', () => {
    expectValidationError(() => build({ instanceGroups: [{ ...GROUPS[1], threadsPerCore: 4 }] }), SUBJECT, { path: 'instanceGroups[0].threadsPerCore' });
  });
});
