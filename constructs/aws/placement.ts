import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * Where a construct's SageMaker workloads run in a VPC: the props ModelEndpoint, MlPipeline and
 * DriftMonitor share (as aws-cdk's ecs-patterns share `...ServiceBaseProps`). Each construct says
 * what its own new security group allows.
 */
export interface VpcPlacementProps {
  /**
   * VPC the containers or jobs run in.
   * @default - no VPC: SageMaker's service network (network isolation still applies where it is on)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` (needs `vpc`).
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the network interfaces SageMaker creates in `vpc` (needs `vpc`).
   * @default - a new security group of the construct's own: HTTPS out (S3, ECR, CloudWatch, through
   * the VPC's endpoints or NAT), no inbound rule from outside it
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}
