/**
 * The function through which a delivery state machine reaches its stages in other regions (see
 * ./cross-region-delivery-source.ts for what it does and why). Its role may: describe the source
 * group's versions and read their artifacts (the registry's prefix, its key through S3); create and
 * list packages in the replica groups of the stage regions, write under the same prefix into the
 * replica buckets there (its account, those regions, their keys through S3) and read the replica
 * stacks' outputs; and assume the deploy roles of the cross-region stages, nothing else.
 */
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CROSS_REGION_CONFIG_VARIABLE, CROSS_REGION_DELIVERY_SOURCE, CrossRegionConfig } from './cross-region-delivery-source';
import { ExecutionRole } from './execution-role';
import { newFunctionLogGroup } from './function-logs';

export interface CrossRegionDeliveryProps {
  /** The function's and its role's name (the stage deploy roles trust the role by ARN). */
  readonly name: string;
  /** The source group, its artifacts prefix, and each cross-region stage. */
  readonly config: CrossRegionConfig;
  /** The source group's name. */
  readonly groupName: string;
  /** Where the registry's artifacts are (read under `config.artifactsPrefix`). */
  readonly artifactsBucket: s3.IBucket;
  /** Encrypts the function's logs and environment. */
  readonly encryptionKey: kms.IKey;
}

export class CrossRegionDelivery extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: CrossRegionDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stages = Object.values(props.config.stages);
    const regions = [...new Set(stages.map((s) => s.region))];
    const logGroup = newFunctionLogGroup(this, 'Logs', props.encryptionKey, 'CrossRegionDeliveryLogsUseKey');
    this.role = new iam.Role(this, 'Role', { roleName: props.name, assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Replicates approved ${props.groupName} versions to, and deploys them in, the delivery stages of ${regions.join(', ')}` });
    const execution = new ExecutionRole(this, 'Execution', { role: this.role, servicePrincipal: 'lambda.amazonaws.com', description: `cross-region delivery of ${props.groupName}` });
    const group = props.groupName.toLowerCase();
    const inRegion = (region: string, service: string, resource: string, resourceName: string, arnFormat = ArnFormat.SLASH_RESOURCE_NAME) => stack.formatArn({ service, region, resource, resourceName, arnFormat });
    const prefix = props.config.artifactsPrefix;
    execution.addStatements(
      new iam.PolicyStatement({ sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      new iam.PolicyStatement({ sid: 'DescribeSourceVersions', actions: ['sagemaker:DescribeModelPackage'], resources: [inRegion(stack.region, 'sagemaker', 'model-package', `${group}/*`)] }),
      new iam.PolicyStatement({ sid: 'ReadSourceArtifacts', actions: ['s3:GetObject'], resources: [props.artifactsBucket.arnForObjects(`${prefix}/*`)] }),
      new iam.PolicyStatement({ sid: 'ListSourceArtifacts', actions: ['s3:ListBucket'], resources: [props.artifactsBucket.bucketArn], conditions: { StringLike: { 's3:prefix': `${prefix}/*` } } }),
      new iam.PolicyStatement({ sid: 'ReplicaVersions', actions: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage'], resources: regions.map((r) => inRegion(r, 'sagemaker', 'model-package', `${group}/*`)) }),
      // ListModelPackages names model-package as an optional resource type (Service Authorization Reference): a list
      // request filtered by group may be authorized on '*', so it is granted there, in the stage regions only.
      new iam.PolicyStatement({ sid: 'FindReplicas', actions: ['sagemaker:ListModelPackages'], resources: ['*'], conditions: { StringEquals: { 'aws:RequestedRegion': regions } } }),
      new iam.PolicyStatement({ sid: 'ReplicaBuckets', actions: ['cloudformation:DescribeStacks'], resources: stages.map((s) => inRegion(s.region, 'cloudformation', 'stack', `${s.replicaStackName}/*`)) }),
      // The replica buckets' names are generated in their regions: this account's buckets there, the registry's prefix only.
      new iam.PolicyStatement({
        sid: 'WriteReplicaArtifacts', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [`arn:${stack.partition}:s3:::*/${prefix}/*`],
        conditions: { StringEquals: { 's3:ResourceAccount': stack.account, 'aws:RequestedRegion': regions } },
      }),
      new iam.PolicyStatement({
        sid: 'EncryptReplicaArtifacts', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: regions.map((r) => inRegion(r, 'kms', 'key', '*')),
        conditions: { StringEquals: { 'kms:ViaService': regions.map((r) => `s3.${r}.amazonaws.com`) } },
      }),
      new iam.PolicyStatement({ sid: 'DeployCrossRegionStages', actions: ['sts:AssumeRole'], resources: stages.map((s) => s.deployRoleArn) }),
    );
    if (props.artifactsBucket.encryptionKey) {
      execution.addStatements(new iam.PolicyStatement({ sid: 'DecryptSourceArtifacts', actions: ['kms:Decrypt'], resources: [props.artifactsBucket.encryptionKey.keyArn], conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } } }));
    }
    execution.justifyWildcards([
      { finding: /^Resource::.*:log-group:.*:\*$/, reason: 'The function writes its log streams (one per execution environment, named at run time) into its own log group only.' },
      { finding: /^Resource::arn:<AWS::Partition>:sagemaker:[^:]+:[^:]+:model-package\/[^/*]+\/\*$/, reason: "Each approved version of the one model package group is replicated: its source described, its replica created and described in the stage regions' group of the same name." },
      { finding: /^Resource::\*$/, reason: "ListModelPackages (a list, optional resource type) in the stage regions only (aws:RequestedRegion): the replica is found by its source ARN among the replica group's versions." },
      { finding: /^Resource::arn:<AWS::Partition>:cloudformation:[^:]+:[^:]+:stack\/[^/*]+\/\*$/, reason: "A stack's ARN ends in an id CloudFormation chooses: the replica stacks, by name, read for their bucket's name." },
      { finding: /^Resource::arn:<AWS::Partition>:s3:::\*\/.+\/\*$/, reason: "The replica buckets are named by CloudFormation in the stage regions: writes only in this account (s3:ResourceAccount), only in those regions (aws:RequestedRegion), only under the registry's artifacts prefix." },
      { finding: /^Resource::(<[^>]+\.Arn>|[\w-]+:ExportsOutput\w+)\/.+\/\*$/, reason: "The registry's artifacts under its prefix: read (s3:GetObject) to copy them into the replica buckets." },
      { finding: /^Resource::arn:<AWS::Partition>:kms:[^:]+:[^:]+:key\/\*$/, reason: "The replica buckets' keys are created in the stage regions: data keys only through S3 there (kms:ViaService), for the objects the function copies." },
    ]);
    const reason = 'Invoked synchronously by the delivery state machine, which retries throttling and reports any other failure to the alarm topic: there is no event to keep.';
    const vpcReason = 'The function calls only AWS APIs (SageMaker, S3, CloudFormation, CloudWatch, STS) in other regions, which a VPC of this region does not reach privately.';
    this.function = new lambda.Function(this, 'Function', {
      functionName: props.name,
      description: `Delivers ${props.groupName} to its stages in ${regions.join(', ')}: replicate, deploy, follow, read alarms`,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      // CloudFormation's ZipFile has no 4,096-character limit any more (aws-cdk #20624 removed the check).
      code: lambda.Code.fromInline(CROSS_REGION_DELIVERY_SOURCE),
      role: this.role,
      // Copies of large artifacts across regions, part by part.
      timeout: Duration.minutes(15),
      memorySize: 512,
      reservedConcurrentExecutions: 5,
      logGroup,
      environment: { [CROSS_REGION_CONFIG_VARIABLE]: stack.toJsonString(props.config) },
      environmentEncryption: props.encryptionKey,
    });
    this.function.node.addDependency(...execution.dependable);
    Validations.of(this.function).acknowledge(
      { id: 'NIST.800.53.R5-LambdaDLQ', reason },
      { id: 'HIPAA.Security-LambdaDLQ', reason },
      { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: vpcReason },
      { id: 'HIPAA.Security-LambdaInsideVPC', reason: vpcReason },
    );
  }
}
