/**
 * The network of a platform at the strict governance level: private isolated subnets only (no
 * internet gateway, no NAT), VPC endpoints for everything a SageMaker model needs to start and
 * run, flow logs of all traffic, and one security group for model containers whose only egress is
 * HTTPS to those endpoints.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Interface endpoints a SageMaker model in an isolated subnet needs: image pull, logs, keys, credentials, metrics. */
const INTERFACE_ENDPOINTS: [string, ec2.InterfaceVpcEndpointAwsService][] = [
  ['SageMakerApi', ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API],
  ['SageMakerRuntime', ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME],
  ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
  ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['Monitoring', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
  ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
  ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
];

const FLOW_LOGS_PREFIX = 'vpc-flow-logs/';

/**
 * The bucket policy statements VPC flow log delivery needs. EC2 adds them to the bucket by itself
 * when the flow log is created, but the bucket policy belongs to this stack: the next deploy would
 * remove them and delivery would stop.
 */
function allowFlowLogDelivery(bucket: s3.IBucket): void {
  const { account, region } = Stack.of(bucket);
  const principals = [new iam.ServicePrincipal('delivery.logs.amazonaws.com')];
  const conditions = { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:${Stack.of(bucket).partition}:logs:${region}:${account}:*` } };
  bucket.addToResourcePolicy(new iam.PolicyStatement({ sid: 'AWSLogDeliveryAclCheck', principals, actions: ['s3:GetBucketAcl'], resources: [bucket.bucketArn], conditions }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AWSLogDeliveryWrite', principals, actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${FLOW_LOGS_PREFIX}AWSLogs/${account}/*`)],
    conditions: { ...conditions, StringEquals: { ...conditions.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
  }));
}

export interface PlatformVpcProps {
  /** Where flow logs are delivered (S3: no delivery role to pass). */
  readonly flowLogsBucket: s3.IBucket;
  /** @default 2 */
  readonly maxAzs?: number;
  /**
   * The VPC's address range (a literal, so the security group rules the packs check are literals too).
   * @default '10.42.0.0/16'
   */
  readonly cidr?: string;
}

export class PlatformVpc extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  /** Attach to model containers: HTTPS out to the VPC endpoints and S3, nothing in. */
  public readonly modelSecurityGroup: ec2.SecurityGroup;

  /** Where every SageMaker workload of the platform runs: the construct props `vpc`, `vpcSubnets`, `securityGroups`. */
  public get placement(): { vpc: ec2.IVpc; vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] } {
    return { vpc: this.vpc, vpcSubnets: this.subnets, securityGroups: [this.modelSecurityGroup] };
  }

  constructor(scope: Construct, id: string, props: PlatformVpcProps) {
    super(scope, id);
    const cidr = props.cidr ?? '10.42.0.0/16';
    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'models', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: { ToS3: { destination: ec2.FlowLogDestination.toS3(props.flowLogsBucket, FLOW_LOGS_PREFIX), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    allowFlowLogDelivery(props.flowLogsBucket);
    const endpointsSg = new ec2.SecurityGroup(this, 'EndpointsSecurityGroup', { vpc: this.vpc, description: 'VPC interface endpoints: HTTPS from inside the VPC', allowAllOutbound: false });
    endpointsSg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of INTERFACE_ENDPOINTS) {
      this.vpc.addInterfaceEndpoint(name, { service, subnets: this.subnets, privateDnsEnabled: true, securityGroups: [endpointsSg], open: false });
    }
    this.modelSecurityGroup = new ec2.SecurityGroup(this, 'ModelSecurityGroup', { vpc: this.vpc, description: 'SageMaker model containers: HTTPS to the VPC endpoints and S3 only', allowAllOutbound: false });
    // The subnets have no internet or NAT route: HTTPS out reaches only the interface endpoints and S3's gateway endpoint.
    this.modelSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the VPC endpoints (the isolated subnets route nowhere else)');
    Validations.of(this.vpc).acknowledge(
      { id: 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed', reason: 'Nothing in this VPC uses its default security group: model containers and endpoints each have their own; closing it needs a Lambda-backed custom resource that would itself be outside the VPC.' },
      { id: 'HIPAA.Security-VPCDefaultSecurityGroupClosed', reason: 'Nothing in this VPC uses its default security group: model containers and endpoints each have their own; closing it needs a Lambda-backed custom resource that would itself be outside the VPC.' },
    );
  }
}

