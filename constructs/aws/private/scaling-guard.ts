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
 * Rollback: the guard's properties carry the registration the template declares (capacities, role,
 * policies). When the endpoint update fails, CloudFormation rolls the endpoint back first (it
 * depends on the guard) and then sends the guard an Update with the previous properties while the
 * stack is UPDATE_ROLLBACK_IN_PROGRESS: the guard then registers the variant again with the previous
 * capacities and policies, and points the alarms of step policies (scale-out from zero) at the
 * re-created policies. Not covered: an endpoint update that succeeded followed by a failure later in
 * the same deploy (the new target is registered when CloudFormation rolls the endpoint back, and
 * SageMaker refuses that rollback); removing autoscaling and changing the type in one deploy is
 * refused by SageMaker (deploy one, then the other).
 */
import { ArnFormat, CustomResource, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { sagemakerArn, sagemakerArnName } from './arns';
import { ExecutionRole } from './execution-role';
import { newFunctionLogGroup } from './function-logs';

/**
 * The function's source (CommonJS, Node.js 24 Lambda runtime, which bundles the AWS SDK v3): the
 * CloudFormation custom resource protocol around `release`.
 */
export const SCALING_GUARD_SOURCE = `'use strict';
const https = require('https');
const { ApplicationAutoScalingClient, DeregisterScalableTargetCommand, RegisterScalableTargetCommand, PutScalingPolicyCommand } = require('@aws-sdk/client-application-auto-scaling');
const { CloudFormationClient, DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');
const { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } = require('@aws-sdk/client-cloudwatch');
const autoscaling = new ApplicationAutoScalingClient({});
const cloudformation = new CloudFormationClient({});
const cloudwatch = new CloudWatchClient({});
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const variantOf = (p) => ({ ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/' + p.EndpointName + '/variant/' + p.VariantName, ScalableDimension: DIMENSION });
const ALARM_FIELDS = ['AlarmName', 'AlarmDescription', 'ActionsEnabled', 'OKActions', 'AlarmActions', 'InsufficientDataActions', 'MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period', 'Unit', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold', 'ComparisonOperator', 'TreatMissingData', 'EvaluateLowSampleCountPercentile', 'Metrics', 'ThresholdMetricId'];

async function deregister(p) {
  const variant = variantOf(p);
  try {
    await autoscaling.send(new DeregisterScalableTargetCommand(variant));
    return 'deregistered ' + variant.ResourceId;
  } catch (e) {
    if (e && e.name === 'ObjectNotFoundException') return 'the variant was not registered';
    throw e;
  }
}

/** Alarms whose actions name an earlier policy of this variant with this name: a policy ARN carries a new id each time the policy is created. */
async function repointAlarms(policyArn) {
  const marker = ':scalingPolicy:';
  const prefix = policyArn.slice(0, policyArn.indexOf(marker) + marker.length);
  const suffix = policyArn.slice(policyArn.indexOf(':', prefix.length));
  const stale = (a) => a !== policyArn && a.startsWith(prefix) && a.endsWith(suffix);
  const names = [];
  let NextToken;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ ActionPrefix: prefix, AlarmTypes: ['MetricAlarm'], NextToken }));
    for (const alarm of page.MetricAlarms || []) {
      if (!(alarm.AlarmActions || []).some(stale)) continue;
      const input = {};
      for (const f of ALARM_FIELDS) if (alarm[f] !== undefined) input[f] = alarm[f];
      input.AlarmActions = alarm.AlarmActions.map((a) => (stale(a) ? policyArn : a));
      await cloudwatch.send(new PutMetricAlarmCommand(input));
      names.push(alarm.AlarmName);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return names;
}

/** Registers the variant again as the previous template declared it (the rollback of a type change). */
async function restore(p) {
  if (!p.Registration) return 'no registration to restore';
  const registration = JSON.parse(p.Registration);
  const variant = variantOf(p);
  await autoscaling.send(new RegisterScalableTargetCommand({ ...variant, MinCapacity: Number(registration.MinCapacity), MaxCapacity: Number(registration.MaxCapacity), RoleARN: registration.RoleARN }));
  const restored = [];
  for (const policy of registration.Policies) {
    const { PolicyARN } = await autoscaling.send(new PutScalingPolicyCommand({ ...variant, ...policy }));
    const alarms = policy.PolicyType === 'StepScaling' ? await repointAlarms(PolicyARN) : [];
    restored.push(policy.PolicyName + (alarms.length ? ' (alarms ' + alarms.join(', ') + ')' : ''));
  }
  return 'registered ' + variant.ResourceId + ' again with ' + (restored.join('; ') || 'no policy');
}

async function rollingBack(stackId) {
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackId }));
  return ((Stacks && Stacks[0] && Stacks[0].StackStatus) || '').startsWith('UPDATE_ROLLBACK');
}

/**
 * Update with a new instance type, variant or endpoint: deregisters the variant before CloudFormation
 * updates the endpoint, or, when the update is the rollback of such a change, registers it again with
 * the previous properties. Delete (autoscaling removed, or the stack deleted): deregisters.
 */
exports.release = async (event) => {
  if (event.RequestType === 'Create') return 'nothing to do on Create';
  const before = event.OldResourceProperties || {};
  const after = event.ResourceProperties || {};
  if (event.RequestType === 'Delete') return deregister(after);
  if (before.InstanceType === after.InstanceType && before.VariantName === after.VariantName && before.EndpointName === after.EndpointName) return 'the variant is unchanged';
  if (await rollingBack(event.StackId)) return restore(after);
  return deregister(before);
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
    await respond(event, 'SUCCESS', result.slice(0, 500));
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

/** `{ targetValue: 1, predefinedMetricSpecification: {...} }` → the API's `{ TargetValue: 1, PredefinedMetricSpecification: {...} }`. */
function apiShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(apiShape);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), apiShape(v)]));
}

export class ScalingGuard extends Construct {
  public readonly resource: CustomResource;
  private target?: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: ScalingGuardProps) {
    super(scope, id);
    const logGroup = newFunctionLogGroup(this, 'Logs', props.encryptionKey, 'AllowLogsToEncryptScalingGuardLogs');
    const execution = this.renderRole(scope, logGroup.logGroupArn, props.endpointName);
    const fn = new lambda.Function(this, 'Function', {
      description: `Deregisters ${props.endpointName}'s variant from Application Auto Scaling before an instance type change, and registers it again when the change rolls back`,
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
    const vpcReason = 'The guard only calls the Application Auto Scaling, CloudWatch, CloudFormation APIs and the CloudFormation response URL, and touches no VPC resource.';
    Validations.of(fn).acknowledge(
      { id: 'NIST.800.53.R5-LambdaDLQ', reason: dlqReason },
      { id: 'HIPAA.Security-LambdaDLQ', reason: dlqReason },
      { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: vpcReason },
      { id: 'HIPAA.Security-LambdaInsideVPC', reason: vpcReason },
    );
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::MlopsScalingGuard',
      properties: {
        EndpointName: props.endpointName,
        VariantName: props.variantName,
        InstanceType: props.instanceType,
        // JSON: CloudFormation hands custom resources every property value as a string.
        Registration: Lazy.string({ produce: () => this.target && Stack.of(this).toJsonString(this.registration(this.target)) }),
      },
    });
  }

  /**
   * The scalable target (and its policies) the rollback of an instance type change registers again.
   * Its values are copied into the guard's properties, never referenced: the target depends on the endpoint, which depends on the guard.
   */
  public restores(target: appscaling.ScalableTarget): void {
    this.target = target;
  }

  private registration(target: appscaling.ScalableTarget): Record<string, unknown> {
    const cfnTarget = target.node.defaultChild as appscaling.CfnScalableTarget;
    const policies = target.node.findAll().filter((c): c is appscaling.CfnScalingPolicy => c instanceof appscaling.CfnScalingPolicy);
    return {
      MinCapacity: cfnTarget.minCapacity,
      MaxCapacity: cfnTarget.maxCapacity,
      RoleARN: cfnTarget.roleArn,
      Policies: policies.map((p) => ({
        PolicyName: p.policyName,
        PolicyType: p.policyType,
        ...(p.targetTrackingScalingPolicyConfiguration && { TargetTrackingScalingPolicyConfiguration: apiShape(Stack.of(this).resolve(p.targetTrackingScalingPolicyConfiguration)) }),
        ...(p.stepScalingPolicyConfiguration && { StepScalingPolicyConfiguration: apiShape(Stack.of(this).resolve(p.stepScalingPolicyConfiguration)) }),
      })),
    };
  }

  private renderRole(scope: Construct, logGroupArn: string, endpointName: string): ExecutionRole {
    const stack = Stack.of(this);
    const execution = new ExecutionRole(this, 'Role', { servicePrincipal: 'lambda.amazonaws.com', description: `scaling guard of ${scope.node.path}` });
    execution.addStatements(
      new iam.PolicyStatement({ sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroupArn] }),
      new iam.PolicyStatement({
        sid: 'ManageVariantRegistration',
        actions: ['application-autoscaling:DeregisterScalableTarget', 'application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy'],
        resources: ['*'],
      }),
      // What Application Auto Scaling checks of the caller that registers a variant.
      new iam.PolicyStatement({
        sid: 'RegisterVariant',
        actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
        resources: [sagemakerArn(this, 'endpoint', sagemakerArnName(endpointName))],
      }),
      new iam.PolicyStatement({ sid: 'ReadEndpointConfigs', actions: ['sagemaker:DescribeEndpointConfig'], resources: [sagemakerArn(this, 'endpoint-config', '*')] }),
      new iam.PolicyStatement({ sid: 'ReadStackStatus', actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }),
      new iam.PolicyStatement({
        sid: 'RepointScalingAlarms',
        // Application Auto Scaling also checks the caller for DeleteAlarms when it deregisters a target or replaces a
        // target tracking policy (it deletes the policy's alarms on the caller's behalf).
        actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
        resources: [stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    execution.justifyWildcards([
      { finding: /^Resource::.*:log-group:.*:\*$/, reason: 'The guard writes its log streams (one per execution environment, named at run time) into its own log group only.' },
      { finding: /^Resource::\*$/, reason: "Scalable targets are addressed by ARNs with generated ids, not by the endpoint's name: the registration actions are granted on this account's targets and called only for this endpoint's variant." },
      { finding: /^Resource::.*:endpoint-config\/\*$/, reason: "Endpoint configs have generated names; Application Auto Scaling reads the endpoint's current config when the guard registers the variant again." },
      { finding: /^Resource::.*:alarm:\*$/, reason: "The alarm of a step scaling policy has a generated name: the guard finds it by the policy it names (this endpoint variant's) and points it at the re-created policy, and target tracking alarms are created by Application Auto Scaling on the caller's permissions." },
    ]);
    return execution;
  }
}
