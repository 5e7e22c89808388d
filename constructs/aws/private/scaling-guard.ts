/**
 * Lets an autoscaled endpoint change instance type without manual steps. SageMaker refuses an
 * UpdateEndpoint that changes the instance type of (or removes) a variant registered with
 * Application Auto Scaling ("Update endpoints that use auto scaling"): the scalable target must be
 * deregistered first and registered again after. CloudFormation would do neither in that order
 * (it updates the endpoint before it deletes anything), so:
 *  1. this guard, a custom resource of every autoscaled endpoint, which the endpoint depends on,
 *     deregisters the variant (which deletes its scaling policies) when its instance type changes,
 *     before CloudFormation updates the endpoint; when autoscaling is removed, the guard's deletion
 *     deregisters the variant (the retained target would not);
 *  2. the scalable target and its policies have logical ids that follow the instance type, and are
 *     retained when removed from the template: after the endpoint update, CloudFormation creates the
 *     new ones (registering the variant again) and leaves the old ones, already deregistered, alone.
 * If the endpoint update then fails and rolls back, the variant stays deregistered until the next
 * successful deploy (the guard cannot re-register what it does not know); removing autoscaling and
 * changing the type in one deploy is refused by SageMaker (deploy one, then the other).
 */
import { CustomResource, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ExecutionRole } from './execution-role';
import { newFunctionLogGroup } from './function-logs';

/** The function's source (CommonJS, Node.js 24 Lambda runtime, which bundles the AWS SDK v3): the CloudFormation custom resource protocol around `release`. */
export const SCALING_GUARD_SOURCE = `'use strict';
const https = require('https');
const { ApplicationAutoScalingClient, DeregisterScalableTargetCommand } = require('@aws-sdk/client-application-auto-scaling');
const client = new ApplicationAutoScalingClient({});
/** Deregisters the variant before an update SageMaker would refuse while it is a scalable target. */
exports.release = async (event) => {
  if (event.RequestType === 'Create') return 'nothing to do on Create';
  const before = event.OldResourceProperties || {};
  const after = event.ResourceProperties || {};
  // Update: a new instance type or variant name; Delete: autoscaling removed from the endpoint (or the stack deleted).
  const target = event.RequestType === 'Delete' ? after : before;
  if (event.RequestType === 'Update' && before.InstanceType === after.InstanceType && before.VariantName === after.VariantName && before.EndpointName === after.EndpointName) return 'the variant is unchanged';
  try {
    await client.send(new DeregisterScalableTargetCommand({
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/' + target.EndpointName + '/variant/' + target.VariantName,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    }));
    return 'deregistered endpoint/' + target.EndpointName + '/variant/' + target.VariantName;
  } catch (e) {
    if (e && e.name === 'ObjectNotFoundException') return 'the variant was not registered';
    throw e;
  }
};
function respond(event, status, reason) {
  const body = JSON.stringify({
    Status: status, Reason: reason, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
    PhysicalResourceId: event.PhysicalResourceId || ('scaling-guard/' + event.ResourceProperties.EndpointName),
  });
  const url = new URL(event.ResponseURL);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: url.hostname, path: url.pathname + url.search, method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}
exports.handler = async (event) => {
  try {
    const result = await exports.release(event);
    console.log(JSON.stringify({ request: event.RequestType, result }));
    await respond(event, 'SUCCESS', result);
  } catch (e) {
    console.error(e);
    await respond(event, 'FAILED', String((e && e.message) || e).slice(0, 500));
  }
};
`;

export interface ScalingGuardProps {
  readonly endpointName: string;
  readonly variantName: string;
  /** The variant's instance type; a change deregisters the variant before the endpoint update. */
  readonly instanceType: string;
  /** Encrypts the function's logs and environment. */
  readonly encryptionKey: kms.IKey;
}

export class ScalingGuard extends Construct {
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ScalingGuardProps) {
    super(scope, id);
    const logGroup = newFunctionLogGroup(this, 'Logs', props.encryptionKey, 'AllowLogsToEncryptScalingGuardLogs');
    const execution = new ExecutionRole(this, 'Role', { servicePrincipal: 'lambda.amazonaws.com', description: `scaling guard of ${scope.node.path}` });
    execution.addStatements(
      new iam.PolicyStatement({ sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      new iam.PolicyStatement({
        sid: 'DeregisterVariant',
        actions: ['application-autoscaling:DeregisterScalableTarget'],
        resources: ['*'],
      }),
    );
    execution.justifyWildcards([
      { finding: /^Resource::.*:log-group:.*:\*$/, reason: 'The guard writes its log streams (one per execution environment, named at run time) into its own log group only.' },
      { finding: /^Resource::\*$/, reason: "Scalable targets are addressed by ARNs with generated ids, not by the endpoint's name: DeregisterScalableTarget is granted on this account's targets and called only for this endpoint's variant." },
    ]);
    const fn = new lambda.Function(this, 'Function', {
      description: `Deregisters ${props.endpointName}'s variant from Application Auto Scaling before an instance type change`,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(SCALING_GUARD_SOURCE),
      role: execution.role,
      timeout: Duration.minutes(2),
      memorySize: 256,
      reservedConcurrentExecutions: 1,
      logGroup,
      environmentEncryption: props.encryptionKey,
    });
    fn.node.addDependency(...execution.dependable);
    const dlqReason = 'The function answers CloudFormation custom resource requests, which CloudFormation retries and times out itself; there is no event to keep.';
    const vpcReason = 'The guard only calls the Application Auto Scaling API and the CloudFormation response URL, and touches no VPC resource.';
    Validations.of(fn).acknowledge(
      { id: 'NIST.800.53.R5-LambdaDLQ', reason: dlqReason },
      { id: 'HIPAA.Security-LambdaDLQ', reason: dlqReason },
      { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: vpcReason },
      { id: 'HIPAA.Security-LambdaInsideVPC', reason: vpcReason },
    );
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::MlopsScalingGuard',
      properties: { EndpointName: props.endpointName, VariantName: props.variantName, InstanceType: props.instanceType },
    });
  }
}
