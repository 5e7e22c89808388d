import { Aws, IResource, Names, Resource, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { TrainingClusterSpec, TrainingClusterSpecInput, trainingClusterSpecSchema } from '../../lib/spec';
import { ExecutionRole } from './private/execution-role';
import { keyOrNew } from './security';
import { parseProps, subjectOf } from './private/validation';

/** A persistent SageMaker HyperPod cluster. */
export interface ITrainingCluster extends IResource {
  /** @attribute */
  readonly clusterName: string;
  /** @attribute */
  readonly clusterArn: string;
  /** Describe the cluster and its nodes (what `sagemaker-hyperpod` tooling and dashboards need). */
  grantDescribe(grantee: iam.IGrantable): iam.Grant;
}

export interface TrainingClusterProps extends TrainingClusterSpecInput {
  /** The VPC the nodes run in (their network interfaces go into its private subnets). */
  readonly vpc: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group: nodes talk to each other (NCCL/EFA), HTTPS out */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Role of the cluster's instances. @default - a new role reading the lifecycle scripts */
  readonly role?: iam.IRole;
  /** Key for the instances' EBS volumes. @default - a new customer-managed key with rotation */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A persistent GPU cluster on SageMaker HyperPod (AWS::SageMaker::Cluster): instance groups of
 * catalog-validated types with counts, lifecycle scripts from S3 run at node creation, automatic
 * node recovery, Slurm or an existing EKS cluster as orchestrator, nodes in your VPC with
 * KMS-encrypted volumes.
 */
export class TrainingCluster extends Resource implements ITrainingCluster {
  public readonly clusterName: string;
  public readonly clusterArn: string;
  public readonly spec: TrainingClusterSpec;
  public readonly role: iam.IRole;
  public readonly encryptionKey: kms.IKey;
  public readonly securityGroups: ec2.ISecurityGroup[];
  public readonly cfnCluster: sagemaker.CfnCluster;

  constructor(scope: Construct, id: string, props: TrainingClusterProps) {
    const { vpc, vpcSubnets, securityGroups, role, encryptionKey, ...specInput } = props;
    const spec = parseProps('TrainingCluster', scope, id, trainingClusterSpecSchema, specInput);
    if (!vpc) throw new MlopsValidationError(subjectOf('TrainingCluster', scope, id), [{ path: 'vpc', message: 'is required', got: 'nothing', expected: 'the VPC the nodes run in' }]);
    super(scope, id);
    this.spec = spec;
    this.clusterName = spec.name ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    this.encryptionKey = keyOrNew(this, 'Key', encryptionKey, `cdk-mlops TrainingCluster ${this.node.path}: node volumes`);

    const execution = new ExecutionRole(this, 'InstanceRole', { role, servicePrincipal: 'sagemaker.amazonaws.com', description: `HyperPod instance role of ${this.node.path}` });
    this.role = execution.role;
    const { bucket, prefix } = /^s3:\/\/(?<bucket>[^/]+)\/?(?<prefix>.*)$/.exec(spec.lifecycleScriptsUri)?.groups ?? { bucket: '', prefix: '' };
    const scripts = Token.isUnresolved(spec.lifecycleScriptsUri)
      ? ['*']
      : [`arn:${Aws.PARTITION}:s3:::${bucket}`, `arn:${Aws.PARTITION}:s3:::${bucket}/${prefix}*`];
    execution.addStatements(
      new iam.PolicyStatement({ sid: 'ReadLifecycleScripts', actions: ['s3:GetObject', 's3:ListBucket'], resources: scripts }),
      new iam.PolicyStatement({
        sid: 'NodeNetworkInterfaces',
        actions: ['ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DetachNetworkInterface'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({ sid: 'ClusterNodeLogs', actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [`arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/Clusters/*`] }),
      new iam.PolicyStatement({ sid: 'VolumeEncryption', actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'], resources: [this.encryptionKey.keyArn] }),
    );
    execution.justifyWildcards([
      { finding: /^Resource::.*:s3:::.*\*$/, reason: 'Nodes read every lifecycle script under the configured prefix; the scripts are named by the user.' },
      { finding: /^Resource::\*$/, reason: 'The EC2 network-interface actions HyperPod needs to attach nodes to the VPC do not support resource-level permissions.' },
      { finding: /^Resource::.*:log-group:\/aws\/sagemaker\/Clusters\/\*$/, reason: 'HyperPod writes one log group per cluster and one stream per node, named at run time, under /aws/sagemaker/Clusters.' },
    ]);

    this.securityGroups = securityGroups ?? [this.newSecurityGroup(vpc)];
    const subnets = vpc.selectSubnets(vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });

    this.cfnCluster = new sagemaker.CfnCluster(this, 'Resource', {
      clusterName: this.clusterName,
      nodeRecovery: spec.nodeRecovery,
      orchestrator: spec.orchestrator === 'eks' ? { eks: { clusterArn: spec.eksClusterArn! } } : undefined,
      vpcConfig: { securityGroupIds: this.securityGroups.map((g) => g.securityGroupId), subnets: subnets.subnetIds },
      instanceGroups: spec.instanceGroups.map((g) => ({
        instanceGroupName: g.name,
        instanceType: (g.compute as { instanceType: string }).instanceType,
        instanceCount: g.count,
        executionRole: this.role.roleArn,
        threadsPerCore: g.threadsPerCore,
        lifeCycleConfig: { sourceS3Uri: spec.lifecycleScriptsUri, onCreate: spec.onCreate },
        instanceStorageConfigs: [{ ebsVolumeConfig: { volumeSizeInGb: g.volumeSizeGiB, volumeKmsKeyId: this.encryptionKey.keyArn } }],
      })),
    });
    this.cfnCluster.node.addDependency(...execution.dependable);
    this.clusterArn = this.cfnCluster.attrClusterArn;
  }

  public grantDescribe(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:DescribeCluster', 'sagemaker:ListClusterNodes', 'sagemaker:DescribeClusterNode'],
      resourceArns: [this.clusterArn],
    });
  }

  private newSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc, description: `HyperPod nodes of ${this.node.path}`, allowAllOutbound: false });
    // NCCL and EFA need every port between the nodes of a cluster.
    group.addIngressRule(group, ec2.Port.allTraffic(), 'Traffic between nodes (NCCL, EFA)');
    group.addEgressRule(group, ec2.Port.allTraffic(), 'Traffic between nodes (NCCL, EFA)');
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs, S3 and container registries');
    const reason = "The only all-port inbound rule has this cluster's own security group as its source: NCCL and EFA collectives between training nodes use dynamic ports. Nothing outside the cluster may connect.";
    Validations.of(group).acknowledge(
      { id: 'NIST.800.53.R5-EC2RestrictedCommonPorts', reason },
      { id: 'HIPAA.Security-EC2RestrictedCommonPorts', reason },
    );
    return group;
  }
}
