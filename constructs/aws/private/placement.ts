/** VPC placement of SageMaker workloads, rendered once for every construct that takes VpcPlacementProps. */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ValidationIssue } from '../../../lib/errors';
import type { VpcPlacementProps } from '../placement';
import type { ExecutionRole } from './execution-role';

/** The security groups and subnets a VpcConfig names. */
export interface VpcPlacement {
  readonly vpc: ec2.IVpc;
  readonly securityGroups: ec2.ISecurityGroup[];
  readonly securityGroupIds: string[];
  readonly subnetIds: string[];
}

/** Subnets or security groups given without a VPC. */
export function placementIssues(props: VpcPlacementProps): ValidationIssue[] {
  if (props.vpc || (!props.vpcSubnets && !props.securityGroups)) return [];
  return [{ path: props.vpcSubnets ? 'vpcSubnets' : 'securityGroups', message: 'needs a vpc', got: 'subnets or security groups without a vpc', expected: 'a vpc as well' }];
}

/**
 * The placement of `props` (undefined without a VPC): the security groups given or the one
 * `newSecurityGroup` makes, the selected subnets (private with egress by default), and the EC2
 * network-interface permissions SageMaker needs, granted to the execution role.
 */
export function renderVpcPlacement(props: VpcPlacementProps, execution: ExecutionRole, newSecurityGroup: (vpc: ec2.IVpc) => ec2.ISecurityGroup): VpcPlacement | undefined {
  const vpc = props.vpc;
  if (!vpc) return undefined;
  const securityGroups = props.securityGroups ?? [newSecurityGroup(vpc)];
  const subnets = vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
  execution.addStatements(new iam.PolicyStatement({
    sid: 'VpcNetworkInterfaces',
    actions: ['ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
    resources: ['*'],
  }));
  return { vpc, securityGroups, securityGroupIds: securityGroups.map((g) => g.securityGroupId), subnetIds: subnets.subnetIds };
}
