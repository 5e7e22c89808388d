import { ArnFormat, CfnDeletionPolicy, Names, Resource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { SAGEMAKER_ROUTING_STRATEGY, SharedEndpointSpec, SharedEndpointSpecInput, sharedEndpointSpecSchema } from '../../lib/spec';
import { VpcPlacementProps } from './placement';
import { sagemakerArn, sagemakerArnName } from './private/arns';
import { ExecutionRole } from './private/execution-role';
import { newWorkloadSecurityGroup } from './private/network';
import { isComputeIntent, pinResolvedCompute } from './private/pinned-compute';
import { placementIssues, renderVpcPlacement } from './private/placement';
import { volumeKeyArn } from './private/sagemaker-hosting';
import { claimUniqueName } from './private/unique-names';
import { keyOrNew } from './security';
import { parseProps, physicalNameIssue, subjectOf } from './private/validation';

/** The spec of a shared endpoint, without the platform-level name (the construct's endpoint is `endpointName`). */
export type SharedEndpointSpecProps = Omit<SharedEndpointSpecInput, 'name'>;

/** A SageMaker endpoint whose variant hosts inference components. */
export interface ISharedEndpoint {
  /** @attribute */
  readonly endpointName: string;
  readonly endpointArn: string;
  /** The production variant the components are placed on. */
  readonly variantName: string;
  /** The instance type of every instance (an unresolved token when only known at deploy time). */
  readonly instanceType: string;
  /** Whether the endpoint runs its components network-isolated (its config's EnableNetworkIsolation). */
  readonly networkIsolation: boolean;
  /** The endpoint config's VpcConfig, which a component's model repeats. @default - not in a VPC */
  readonly vpcConfig?: sagemaker.CfnModel.VpcConfigProperty;
}

export interface SharedEndpointProps extends SharedEndpointSpecProps, VpcPlacementProps {
  /** @default - derived from the construct path */
  readonly endpointName?: string;
  /**
   * Role SageMaker assumes to run the endpoint (EndpointConfig ExecutionRoleArn, which an endpoint
   * hosting inference components requires): its logs and its network interfaces in the VPC.
   * @default - a new role with exactly that
   */
  readonly role?: iam.IRole;
  /**
   * Key of the instances' storage volumes (where SageMaker allows one: not on instance types with
   * local NVMe storage, which is hardware-encrypted).
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Many models on one endpoint: an endpoint config that names no model, with managed instance
 * scaling (SageMaker adds instances to place component copies and releases idle ones, down to zero
 * when minInstances is 0), a routing strategy, the execution role, network isolation, VPC placement
 * and a volume key. Models join it as {@link InferenceComponent}s.
 */
export class SharedEndpoint extends Resource implements ISharedEndpoint {
  public readonly endpointName: string;
  public readonly variantName: string;
  public readonly instanceType: string;
  public readonly networkIsolation: boolean;
  public readonly vpcConfig?: sagemaker.CfnModel.VpcConfigProperty;
  /** The resolved spec: defaults applied, compute resolved through the catalog. */
  public readonly spec: SharedEndpointSpec;
  public readonly role: iam.IRole;
  public readonly encryptionKey: kms.IKey;
  public readonly cfnEndpointConfig: sagemaker.CfnEndpointConfig;
  public readonly cfnEndpoint: sagemaker.CfnEndpoint;

  constructor(scope: Construct, id: string, props: SharedEndpointProps) {
    const { endpointName, role, encryptionKey, vpc, vpcSubnets, securityGroups, ...specInput } = props;
    const parsed = parseSharedEndpointProps(scope, id, specInput, props);
    super(scope, id);
    // A type resolved from an intent is pinned by context, so a catalog update cannot change it silently.
    this.spec = isComputeIntent(specInput.compute) ? { ...parsed, compute: pinResolvedCompute('SharedEndpoint', this, parsed.compute, 'inference') } : parsed;
    // parseSharedEndpointProps has refused serverless compute.
    if (this.spec.compute.kind !== 'instance') throw new Error('internal: a shared endpoint on serverless compute');
    this.instanceType = this.spec.compute.instanceType;
    this.endpointName = endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    this.variantName = this.spec.variantName;
    this.networkIsolation = this.spec.networkIsolation;
    this.encryptionKey = keyOrNew(this, 'Key', encryptionKey, `cdk-mlops SharedEndpoint ${this.node.path}: storage volumes`);

    const execution = this.renderExecutionRole(role);
    this.role = execution.role;
    this.vpcConfig = this.renderVpcConfig({ vpc, vpcSubnets, securityGroups }, execution);
    this.cfnEndpointConfig = this.renderEndpointConfig(execution);
    this.cfnEndpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: this.cfnEndpointConfig.attrEndpointConfigName,
    });
  }

  public get endpointArn(): string {
    return sagemakerArn(this, 'endpoint', sagemakerArnName(this.endpointName));
  }

  private renderExecutionRole(role: iam.IRole | undefined): ExecutionRole {
    const execution = new ExecutionRole(this, 'ExecutionRole', { role, servicePrincipal: 'sagemaker.amazonaws.com', description: `SageMaker execution role of the shared endpoint ${this.node.path}` });
    const logGroupArn = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/Endpoints/${this.endpointName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    execution.addStatements(new iam.PolicyStatement({
      sid: 'EndpointLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [logGroupArn, `${logGroupArn}:*`],
    }));
    return execution;
  }

  private renderVpcConfig(placementProps: VpcPlacementProps, execution: ExecutionRole): sagemaker.CfnModel.VpcConfigProperty | undefined {
    const placement = renderVpcPlacement(placementProps, execution, (v) => newWorkloadSecurityGroup(this, 'SecurityGroup', v, `Inference components of ${this.node.path}`));
    execution.justifyWildcards([
      { finding: /^Resource::.*:log-group:\/aws\/sagemaker\/Endpoints\/.*:\*$/, reason: "SageMaker creates one log stream per instance and component at run time; the statement is limited to this endpoint's own log group." },
      ...(placement ? [{ finding: /^Resource::\*$/, reason: 'The EC2 network-interface actions SageMaker needs to place the endpoint in the VPC do not support resource-level permissions.' }] : []),
    ]);
    return placement && { securityGroupIds: placement.securityGroupIds, subnets: placement.subnetIds };
  }

  private renderEndpointConfig(execution: ExecutionRole): sagemaker.CfnEndpointConfig {
    const scaling = this.spec.scaling;
    const volumeKey = volumeKeyArn(this, this.spec.compute, this.encryptionKey);
    // Generated name: a changed instance type or scaling replaces the config without a name clash.
    const config = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      executionRoleArn: this.role.roleArn,
      enableNetworkIsolation: this.networkIsolation,
      vpcConfig: this.vpcConfig && { securityGroupIds: this.vpcConfig.securityGroupIds, subnets: this.vpcConfig.subnets },
      kmsKeyId: volumeKey,
      productionVariants: [{
        variantName: this.variantName,
        instanceType: this.instanceType,
        // No ModelName: the variant hosts inference components, each naming its own model.
        initialInstanceCount: scaling.initialInstances,
        managedInstanceScaling: { status: 'ENABLED', minInstanceCount: scaling.minInstances, maxInstanceCount: scaling.maxInstances },
        routingConfig: { routingStrategy: SAGEMAKER_ROUTING_STRATEGY[this.spec.routing] },
      }],
    });
    // SageMaker checks the role when it creates the endpoint.
    config.node.addDependency(...execution.dependable);
    // A replaced config is kept (it costs nothing) until the endpoint has moved off it; deleting the stack deletes the current one.
    config.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
    config.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
    if (volumeKey === undefined && this.spec.compute.kind === 'instance' && this.spec.compute.info?.localNvmeStorage) {
      const reason = `${this.instanceType} has local NVMe instance storage, encrypted by the instance's hardware module; SageMaker rejects a KmsKeyId for it.`;
      Validations.of(config).acknowledge(
        { id: 'AwsSolutions-SM2', reason },
        { id: 'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', reason },
        { id: 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured', reason },
      );
    }
    return config;
  }
}

/** The spec, plus the checks that need the AWS-only props, thrown as one error. */
function parseSharedEndpointProps(scope: Construct, id: string, specInput: SharedEndpointSpecProps, props: SharedEndpointProps): SharedEndpointSpec {
  const targetIssues = [...placementIssues(props)];
  // Endpoint names are one namespace per account and region, whichever construct makes the endpoint.
  const clash = props.endpointName !== undefined ? claimUniqueName(scope, id, { kind: 'ModelEndpoint', field: 'endpointName', name: props.endpointName }) : undefined;
  if (clash) targetIssues.push(clash);
  const badName = physicalNameIssue('endpointName', props.endpointName, 'endpoint');
  if (badName) targetIssues.push(badName);
  // The platform-level name is not this construct's: its endpoint is endpointName.
  let spec: SharedEndpointSpec | undefined;
  let specIssues: MlopsValidationError | undefined;
  try {
    spec = parseProps('SharedEndpoint', scope, id, sharedEndpointSpecSchema, { ...specInput, name: 'shared' });
  } catch (e) {
    if (!(e instanceof MlopsValidationError)) throw e;
    specIssues = e;
  }
  const issues = [...(specIssues?.issues ?? []), ...targetIssues];
  if (issues.length > 0) throw new MlopsValidationError(subjectOf('SharedEndpoint', scope, id), issues);
  return spec!;
}
