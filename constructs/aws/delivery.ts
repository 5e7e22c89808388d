/**
 * Model delivery on AWS: a Step Functions state machine (in the registry's account and region) that
 * an approval in the registry starts, and that deploys the approved version to each stage in turn
 * through CloudFormation (an UpdateStack of the stage's stack with its `ModelPackageArn` parameter,
 * the previous template kept), behind each stage's gate and bake time; and the role each stage's
 * account lets it assume to do so.
 *
 * A stage in another region is reached through a function of ours (./private/cross-region-delivery.ts):
 * Step Functions' AWS SDK integrations call the state machine's own region only, and SageMaker
 * creates a model only from a package, an artifact and an image of its own region ("The model
 * artifacts in an Amazon S3 bucket and the Docker image for inference container in Amazon EC2
 * Container Registry must be in the same region as the model or endpoint you are creating",
 * SageMaker API reference, ContainerDefinition). So each version is first replicated into the
 * {@link RegistryReplica} of that region (the registry's account), then that replica is deployed.
 */
import { ArnFormat, CfnOutput, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { approvedForStageKey, DELIVERY_RENDERING, servingInStageKey, StageApproval } from '../../lib/spec';
import { IModelRegistry, ModelRegistry } from './model-registry';
import { CrossRegionDelivery } from './private/cross-region-delivery';
import { CrossRegionStageConfig, REPLICA_BUCKET_OUTPUT, regionalEcrImage } from './private/cross-region-delivery-source';
import { justifyWildcards, WildcardJustification } from './private/execution-role';
import { newFunctionLogGroup } from './private/function-logs';
import { AccessLogsBucket, keyOrNew, SecureBucket } from './security';

export { regionalEcrImage };

/** One stage as the state machine sees it. */
export interface DeliveryStageTarget {
  readonly name: string;
  readonly approval: StageApproval;
  readonly bakeMinutes: number;
  /** The stage's stack (in the stage's account and region). */
  readonly stackName: string;
  /** The stage's account. */
  readonly account: string;
  /** The stage's region. */
  readonly region: string;
  /**
   * The stack of the registry's replica in the stage's region ({@link RegistryReplica}), when that
   * region is not the registry's: each version is replicated there, then deployed from there.
   * @default - the registry's region: the version is deployed as it is
   */
  readonly replicaStackName?: string;
  /** The role the state machine assumes in the stage's account ({@link StageDeployRole}). */
  readonly deployRoleArn: string;
  /** The role CloudFormation updates the stage's stack with (cdk bootstrap's execution role). */
  readonly cloudFormationRoleArn: string;
}

export interface ModelDeliveryProps {
  /** The state machine's name, also its role's name (the stages' deploy roles trust that role by name). */
  readonly name: string;
  /** The registry whose approvals start the delivery. */
  readonly registry: IModelRegistry;
  /** The stages, in order. */
  readonly stages: readonly DeliveryStageTarget[];
  /** Told when a stage fails. */
  readonly alarmTopic: sns.ITopic;
  /** Encrypts the execution log. */
  readonly encryptionKey: kms.IKey;
  /**
   * How long a manual stage waits for its promotion before the run fails.
   * @default Duration.days(7)
   */
  readonly gateTimeout?: Duration;
  /**
   * What a stage in another region needs: the name of the function (and its role) that replicates
   * and deploys there, and where the registry's artifacts are.
   * @default - required when a stage has a `replicaStackName`
   */
  readonly crossRegion?: CrossRegionDeliveryOptions;
}

/** Where the versions replicated into other regions come from, and what reaches those regions. */
export interface CrossRegionDeliveryOptions {
  /** The function's and its role's name: the cross-region stages' deploy roles trust that role. */
  readonly name: string;
  /** The registry's artifacts bucket (its key decrypts them). */
  readonly artifactsBucket: s3.IBucket;
  /** The key prefix (no trailing slash) of the registry's artifacts: only inputs under it are replicated. */
  readonly artifactsPrefix: string;
}

/** A role whose permissions are one customer-managed policy (NIST 800-53 and HIPAA refuse inline policies), even those aws-cdk-lib adds. */
class ManagedPolicyRole extends iam.Role {
  private managed?: iam.ManagedPolicy;

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.managed) {
      this.managed = new iam.ManagedPolicy(this, 'Policy', { description: `Permissions of ${this.node.path}` });
      this.managed.attachToRole(this);
    }
    this.managed.addStatements(statement);
    return { statementAdded: true, policyDependable: this.managed };
  }

  /** Acknowledges the wildcard findings of the policy that the justifications explain. */
  public justify(justifications: readonly WildcardJustification[]): void {
    if (this.managed) justifyWildcards(this.managed.node.defaultChild as CfnResource, justifications);
  }
}

const STAGE_WILDCARDS: WildcardJustification[] = [
  { finding: /^Resource::arn:<AWS::Partition>:cloudformation:[^:]*:[^:]*:stack\/[^/]+\/\*$/, reason: "A stack's ARN ends in an id CloudFormation chooses: one stage stack, by name, all its ids." },
  { finding: /^Resource::arn:<AWS::Partition>:cloudwatch:[^:]*:[^:]*:alarm:[^:*]+-\*$/, reason: "CloudFormation names a stack's alarms '<stack>-<logical id>-<suffix>': the stage stack's alarms only, read (DescribeAlarms)." },
];

const DELIVERY_WILDCARDS: WildcardJustification[] = [
  ...STAGE_WILDCARDS,
  { finding: /^Resource::arn:<AWS::Partition>:sagemaker:[^:]*:[^:]*:model-package\/[^/]+\/\*$/, reason: 'Each approved version of the one model package group is delivered: described, and marked with the stages it serves in.' },
  { finding: /^Resource::<DeliveryCrossRegionFunction[0-9A-F]+\.Arn>:\*$/, reason: 'The cross-region delivery function of this model (its versions and aliases): invoked for the stages in other regions.' },
  { finding: /^Resource::\*$/, reason: 'X-Ray trace writes and CloudWatch Logs log delivery for the state machine have no resource-level permissions (AWS Step Functions developer guide).' },
];

/** The calls of one stage: `current` assigns `$previous`; `poll` outputs `{ status }`, `alarms` `{ alarming }`. */
interface StageCalls {
  /** Copies the version into the stage's region first, assigning `$stagePackageArn`. */
  readonly replicate?: sfn.TaskStateBase;
  readonly current: sfn.TaskStateBase;
  readonly deploy: sfn.TaskStateBase;
  readonly poll: sfn.TaskStateBase;
  readonly alarms: sfn.TaskStateBase;
}

/** The error the cross-region function raises when an API throttles it: retried with backoff. */
const CROSS_REGION_THROTTLED = 'CrossRegionDelivery.Throttled';

/** How often a manual gate looks at the package, and a stage's stack update at the stack. */
const GATE_POLL = Duration.minutes(15);
const STACK_POLL = Duration.minutes(1);
/** Stack states an update passes through on its way to UPDATE_COMPLETE. */
const UPDATING = ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'];

/** Deploys each version approved in a registry through the stages, in order. */
export class ModelDelivery extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly role: ManagedPolicyRole;
  /** The rule that starts a delivery on `Approved`. */
  public readonly rule: events.Rule;
  /** The function reaching the stages in other regions, when there are any. */
  public readonly crossRegion?: CrossRegionDelivery;

  constructor(scope: Construct, id: string, props: ModelDeliveryProps) {
    super(scope, id);
    // Named: the stages' deploy roles trust exactly this role, by ARN, from their own accounts.
    this.role = new ManagedPolicyRole(this, 'Role', { roleName: props.name, assumedBy: new iam.ServicePrincipal('states.amazonaws.com'), description: `Delivers ${props.registry.modelPackageGroupName} through its stages` });
    const logGroup = newFunctionLogGroup(this, 'Logs', props.encryptionKey, 'DeliveryLogsUseKey');
    this.crossRegion = this.addCrossRegion(props);
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      stateMachineName: props.name,
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(this.renderDefinition(props)),
      role: this.role,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `Delivers each approved version of ${props.registry.modelPackageGroupName} through ${props.stages.map((s) => s.name).join(' → ')}`,
    });
    // A failed stage is told on the alarm topic (encrypted with the key).
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'NotifyFailedStage', actions: ['sns:Publish'], resources: [props.alarmTopic.topicArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'EncryptNotification', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.encryptionKey.keyArn] }));
    const startRole = new ManagedPolicyRole(this, 'StartRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com'), description: 'Starts the delivery on approval' });
    this.rule = new events.Rule(this, 'ApprovedRule', {
      description: 'Starts the delivery of each approved model package version',
      eventPattern: props.registry.stateChangeEventPattern(['Approved']),
      targets: [new targets.SfnStateMachine(this.stateMachine, { role: startRole, input: events.RuleTargetInput.fromObject({ modelPackageArn: events.EventField.fromPath('$.detail.ModelPackageArn') }) })],
    });
    this.role.justify(DELIVERY_WILDCARDS);
  }

  /** The function the stages in other regions are reached through, configured with exactly those stages. */
  private addCrossRegion(props: ModelDeliveryProps): CrossRegionDelivery | undefined {
    const stages = props.stages.filter((s) => s.replicaStackName !== undefined);
    if (stages.length === 0) return undefined;
    if (!props.crossRegion) throw new Error(`ModelDelivery '${this.node.path}': crossRegion is required: stages ${stages.map((s) => s.name).join(', ')} are in another region than the registry's`);
    if (!/^[^/].*[^/]$|^[^/]$/.test(props.crossRegion.artifactsPrefix)) {
      throw new Error(`ModelDelivery '${this.node.path}': crossRegion.artifactsPrefix: expected the registry's key prefix without leading or trailing slash (only artifacts under it are replicated), got '${props.crossRegion.artifactsPrefix}'`);
    }
    const config: Record<string, CrossRegionStageConfig> = Object.fromEntries(stages.map((s) => [s.name, { region: s.region, stackName: s.stackName, deployRoleArn: s.deployRoleArn, cloudFormationRoleArn: s.cloudFormationRoleArn, replicaStackName: s.replicaStackName! }]));
    return new CrossRegionDelivery(this, 'CrossRegion', {
      name: props.crossRegion.name,
      groupName: props.registry.modelPackageGroupName,
      artifactsBucket: props.crossRegion.artifactsBucket,
      encryptionKey: props.encryptionKey,
      config: { sourceGroupArn: props.registry.modelPackageGroupArn, artifactsPrefix: props.crossRegion.artifactsPrefix, parameterName: DELIVERY_RENDERING.parameterName, noPackage: DELIVERY_RENDERING.noPackage, stages: config },
    });
  }

  private renderDefinition(props: ModelDeliveryProps): sfn.IChainable {
    const packages = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${props.registry.modelPackageGroupName.toLowerCase()}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const start = sfn.Pass.jsonata(this, 'Start', {
      comment: 'modelPackageArn: the version to deliver; stages: only these (pipeline order), e.g. for a rollback',
      assign: { packageArn: '{% $states.input.modelPackageArn %}', only: '{% $exists($states.input.stages) ? $states.input.stages : null %}' },
    });
    const describe = this.sagemakerCall('DescribeVersion', 'describeModelPackage', { ModelPackageName: '{% $packageArn %}' }, packages);
    const started = `$states.input.CustomerMetadataProperties.'${DELIVERY_RENDERING.startedKey}'`;
    const alreadyStarted = sfn.Succeed.jsonata(this, 'AlreadyDelivering', { comment: 'A metadata change of a version already being delivered (a promotion, a stage mark) raises another Approved event' });
    const markStarted = this.sagemakerCall('MarkStarted', 'updateModelPackage', {
      ModelPackageArn: '{% $packageArn %}',
      CustomerMetadataProperties: { [DELIVERY_RENDERING.startedKey]: '{% $states.context.Execution.Id %}' },
    }, packages);
    const done = sfn.Succeed.jsonata(this, 'Delivered');

    // Built from the last stage backwards: each stage continues with the next one's entry.
    let next: sfn.IChainable = done;
    for (const stage of [...props.stages].reverse()) next = this.renderStage(stage, props, packages, next);
    return start.next(describe).next(sfn.Choice.jsonata(this, 'NewDelivery')
      .when(sfn.Condition.jsonata(`{% $not($exists($only)) and $exists(${started}) %}`), alreadyStarted)
      .when(sfn.Condition.jsonata('{% $exists($only) %}'), next)
      .otherwise(markStarted.next(next)));
  }

  /** A stage: select → gate → (replicate, in another region) → deploy → wait for the stack → bake → mark; any failure notifies and stops the run. */
  private renderStage(stage: DeliveryStageTarget, props: ModelDeliveryProps, packages: string, next: sfn.IChainable): sfn.IChainable {
    const s = stage.name;
    const id = (what: string) => `${s}-${what}`;
    const failed = tasks.SnsPublish.jsonata(this, id('Failed'), {
      topic: props.alarmTopic,
      subject: `cdk-mlops delivery stopped at stage ${s}`,
      message: sfn.TaskInput.fromText(`{% 'The delivery of ' & $packageArn & ' stopped at stage ${s}: ' & $string($states.input) & '. CloudFormation keeps the version the stage served before; the later stages were not deployed.' %}`),
    }).next(sfn.Fail.jsonata(this, id('Stopped'), { error: 'StageFailed', cause: `stage ${s} did not accept the version` }));
    const onError = <T extends sfn.TaskStateBase>(task: T): T => { task.addCatch(failed, { errors: [sfn.Errors.ALL] }); return task; };
    const calls = stage.replicaStackName ? this.crossRegionCalls(stage) : this.sameRegionCalls(stage);

    // What the stage served before (`$previous`: a source package ARN, or `none`); then the previous
    // template, the new package, every other parameter as it is.
    const current = onError(calls.current);
    const update = onError(calls.deploy);
    const waitStack = sfn.Wait.jsonata(this, id('WaitForStack'), { time: sfn.WaitTime.duration(STACK_POLL) });
    const poll = onError(calls.poll);
    const status = '$states.input.status';

    // Bake: the stage's alarms (CloudFormation names them `<stack>-<logical id>-<suffix>`) quiet after bakeMinutes.
    const alarms = onError(calls.alarms);
    const bake = stage.bakeMinutes > 0 ? sfn.Wait.jsonata(this, id('Bake'), { time: sfn.WaitTime.duration(Duration.minutes(stage.bakeMinutes)) }).next(alarms) : alarms;

    // Mark: the new version serves in the stage, the one before no longer does (marks are on the source packages).
    const mark = onError(this.sagemakerCall(id('Mark'), 'updateModelPackage', { ModelPackageArn: '{% $packageArn %}', CustomerMetadataProperties: { [servingInStageKey(s)]: '{% $states.context.State.EnteredTime %}' } }, packages));
    const unmark = onError(this.sagemakerCall(id('Unmark'), 'updateModelPackage', { ModelPackageArn: '{% $previous %}', CustomerMetadataPropertiesToRemove: [servingInStageKey(s)] }, packages));
    mark.next(sfn.Choice.jsonata(this, id('ServedBefore'))
      .when(sfn.Condition.jsonata(`{% $previous != '${DELIVERY_RENDERING.noPackage}' and $previous != $packageArn %}`), unmark.next(next))
      .otherwise(next));
    alarms.next(sfn.Choice.jsonata(this, id('Quiet'))
      .when(sfn.Condition.jsonata('{% $states.input.alarming = 0 %}'), mark)
      .otherwise(failed));
    waitStack.next(poll).next(sfn.Choice.jsonata(this, id('Deployed'))
      .when(sfn.Condition.jsonata(`{% ${status} = 'UPDATE_COMPLETE' %}`), bake)
      .when(sfn.Condition.jsonata(`{% ${status} in ${JSON.stringify(UPDATING).replace(/"/g, "'")} %}`), waitStack)
      .otherwise(failed));
    current.next(sfn.Choice.jsonata(this, id('Serving'), { comment: 'The version already serves here (a rerun): bake and mark only' })
      .when(sfn.Condition.jsonata('{% $previous = $packageArn %}'), bake)
      .otherwise(update.next(waitStack)));

    // In another region, the version is replicated there first (after the gate: nothing is copied for a version not promoted).
    const deploy = calls.replicate ? onError(calls.replicate).next(current) : current;
    const gate = stage.approval === 'manual' ? this.renderGate(stage, props, packages, deploy, failed) : deploy;
    return sfn.Choice.jsonata(this, id('Selected'), { comment: `Runs stage ${s} unless the input names other stages` })
      .when(sfn.Condition.jsonata(`{% $not($exists($only)) or '${s}' in $only %}`), gate)
      .otherwise(next);
  }

  /** A stage in the registry's region: CloudFormation and CloudWatch through Step Functions' SDK integrations, with the stage's deploy role. */
  private sameRegionCalls(stage: DeliveryStageTarget): StageCalls {
    const id = (what: string) => `${stage.name}-${what}`;
    const stackArn = Stack.of(this).formatArn({ service: 'cloudformation', account: stage.account, resource: 'stack', resourceName: `${stage.stackName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const credentials = { role: sfn.TaskRole.fromRole(iam.Role.fromRoleArn(this, id('DeployRole'), stage.deployRoleArn, { mutable: false })) };
    const cfn = (what: string, action: string, parameters: Record<string, unknown>, more: Pick<tasks.CallAwsServiceJsonataProps, 'assign' | 'outputs'> = {}) =>
      tasks.CallAwsService.jsonata(this, id(what), { service: 'cloudformation', action, parameters, iamResources: [stackArn], credentials, ...more });
    return {
      current: cfn('Current', 'describeStacks', { StackName: stage.stackName }, {
        assign: { previous: `{% $states.result.Stacks[0].Parameters[ParameterKey = '${DELIVERY_RENDERING.parameterName}'].ParameterValue %}` },
      }),
      deploy: cfn('Deploy', 'updateStack', {
        StackName: stage.stackName,
        UsePreviousTemplate: true,
        Parameters: `{% $map($states.input.Stacks[0].Parameters, function($p) { $p.ParameterKey = '${DELIVERY_RENDERING.parameterName}' ? { 'ParameterKey': $p.ParameterKey, 'ParameterValue': $packageArn } : { 'ParameterKey': $p.ParameterKey, 'UsePreviousValue': true } }) %}`,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
        RoleARN: stage.cloudFormationRoleArn,
      }),
      poll: cfn('Poll', 'describeStacks', { StackName: stage.stackName }, { outputs: { status: '{% $states.result.Stacks[0].StackStatus %}' } }),
      alarms: tasks.CallAwsService.jsonata(this, id('Alarms'), {
        service: 'cloudwatch', action: 'describeAlarms',
        parameters: { AlarmNamePrefix: `${stage.stackName}-`, StateValue: 'ALARM' },
        iamResources: [Stack.of(this).formatArn({ service: 'cloudwatch', account: stage.account, resource: 'alarm', resourceName: `${stage.stackName}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        credentials,
        outputs: { alarming: '{% $count($states.result.MetricAlarms) + $count($states.result.CompositeAlarms) %}' },
      }),
    };
  }

  /**
   * A stage in another region: each call is an operation of the cross-region function on this stage
   * (which assumes the stage's deploy role there); the version deployed is its replica.
   */
  private crossRegionCalls(stage: DeliveryStageTarget): StageCalls {
    const fn = this.crossRegion!.function;
    const call = (what: string, operation: string, more: { modelPackageArn?: string; assign?: Record<string, string> } = {}) => {
      const task = tasks.LambdaInvoke.jsonata(this, `${stage.name}-${what}`, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject({ operation, stage: stage.name, ...(more.modelPackageArn ? { modelPackageArn: more.modelPackageArn } : {}) }),
        outputs: '{% $states.result.Payload %}',
        assign: more.assign,
        comment: `${operation} in ${stage.region}, through ${fn.node.path}`,
      });
      // Throttled by an API it calls, or by its own reserved concurrency (several deliveries at once).
      task.addRetry({ errors: [CROSS_REGION_THROTTLED, 'Lambda.TooManyRequestsException'], interval: Duration.seconds(20), backoffRate: 2, maxAttempts: 6 });
      return task;
    };
    return {
      replicate: call('Replicate', 'replicate', { modelPackageArn: '{% $packageArn %}', assign: { stagePackageArn: '{% $states.result.Payload.replicaPackageArn %}' } }),
      current: call('Current', 'current', { assign: { previous: '{% $states.result.Payload.previous %}' } }),
      deploy: call('Deploy', 'deploy', { modelPackageArn: '{% $stagePackageArn %}' }),
      poll: call('Poll', 'status'),
      alarms: call('Alarms', 'alarms'),
    };
  }

  /** A manual stage waits until the version carries `cdk-mlops:approved:<stage>`, polling; past the timeout the run fails. */
  private renderGate(stage: DeliveryStageTarget, props: ModelDeliveryProps, packages: string, then: sfn.IChainable, failed: sfn.IChainable): sfn.IChainable {
    const id = (what: string) => `${stage.name}-${what}`;
    const maxPolls = Math.ceil((props.gateTimeout ?? Duration.days(7)).toSeconds() / GATE_POLL.toSeconds());
    const begin = sfn.Pass.jsonata(this, id('Gate'), { comment: `Waits for metadata '${approvedForStageKey(stage.name)}' on the version (mlops promote --stage ${stage.name})`, assign: { polls: 0 } });
    const check = this.sagemakerCall(id('CheckPromotion'), 'describeModelPackage', { ModelPackageName: '{% $packageArn %}' }, packages);
    check.addCatch(failed, { errors: [sfn.Errors.ALL] });
    const wait = sfn.Wait.jsonata(this, id('WaitForPromotion'), { time: sfn.WaitTime.duration(GATE_POLL), assign: { polls: '{% $polls + 1 %}' } });
    wait.next(check);
    return begin.next(check).next(sfn.Choice.jsonata(this, id('Promoted'))
      .when(sfn.Condition.jsonata(`{% $exists($states.input.CustomerMetadataProperties.'${approvedForStageKey(stage.name)}') %}`), then)
      .when(sfn.Condition.jsonata(`{% $polls >= ${maxPolls} %}`), failed, { outputs: { gateTimedOut: `${stage.name} was not promoted within ${maxPolls * GATE_POLL.toMinutes()} minutes` } })
      .otherwise(wait));
  }

  private sagemakerCall(id: string, action: string, parameters: Record<string, unknown>, packages: string): tasks.CallAwsService {
    return tasks.CallAwsService.jsonata(this, id, { service: 'sagemaker', action, parameters, iamResources: [packages] });
  }
}

export interface StageDeployRoleProps {
  readonly roleName: string;
  /** The delivery state machine's role, in the registry's account: the one principal that may assume this role. */
  readonly deliveryRoleArn: string;
  /** The registry's account. */
  readonly deliveryAccount: string;
  /** The stage's stack, in this role's account and region. */
  readonly stackName: string;
  /** The role CloudFormation updates the stack with (cdk bootstrap's execution role). */
  readonly cloudFormationRoleArn: string;
}

/**
 * The role a delivery state machine assumes in a stage's account: it may update that one stack with
 * its previous template (through CloudFormation's execution role), follow it, and read its alarms.
 */
export class StageDeployRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StageDeployRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The account, narrowed to the state machine's role by ARN: no principal that does not exist yet
    // is written into the trust policy, and a replaced role of the same name keeps its trust.
    const principal = new iam.PrincipalWithConditions(new iam.AccountPrincipal(props.deliveryAccount), { ArnEquals: { 'aws:PrincipalArn': props.deliveryRoleArn } });
    this.role = new iam.Role(this, 'Resource', { roleName: props.roleName, assumedBy: principal, description: `Lets the delivery state machine deploy ${props.stackName}` });
    const stackArn = stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${props.stackName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const alarmsArn = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${props.stackName}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `What the delivery may do in ${props.stackName}`,
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ sid: 'DescribeStageStack', actions: ['cloudformation:DescribeStacks'], resources: [stackArn] }),
        new iam.PolicyStatement({ sid: 'UpdateStageStack', actions: ['cloudformation:UpdateStack'], resources: [stackArn], conditions: { StringEquals: { 'cloudformation:RoleArn': props.cloudFormationRoleArn } } }),
        new iam.PolicyStatement({ sid: 'PassCloudFormationRole', actions: ['iam:PassRole'], resources: [props.cloudFormationRoleArn], conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } } }),
        new iam.PolicyStatement({ sid: 'ReadStageAlarms', actions: ['cloudwatch:DescribeAlarms'], resources: [alarmsArn] }),
      ],
    });
    justifyWildcards(policy.node.defaultChild as CfnResource, STAGE_WILDCARDS);
  }
}

export interface RegistryReplicaProps {
  /** The registry's model package group name: the replica group has the same name, in this region. */
  readonly modelPackageGroupName: string;
  /** The key prefix (no trailing slash) of the registry's artifacts: replicated objects keep their keys. */
  readonly artifactsPrefix: string;
  /** The accounts of this region's stages other than this one: they read the replica's packages, artifacts and key. */
  readonly readerAccountIds: readonly string[];
}

/**
 * A model registry's replica in a delivery stage's region, in the registry's account: the model
 * package group (same name), an artifacts bucket encrypted with a key of this region, and the
 * grants the stage accounts of this region get on them (as the source registry grants the stage
 * accounts of its own region). The delivery copies each version it deploys here: SageMaker
 * creates a model only from a package and an artifact of its own region.
 */
export class RegistryReplica extends Construct {
  public readonly registry: ModelRegistry;
  public readonly artifactsBucket: s3.Bucket;
  public readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: RegistryReplicaProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.key = keyOrNew(this, 'Key', undefined, `cdk-mlops replica of ${props.modelPackageGroupName}'s artifacts in ${region}`);
    const accessLogs = new AccessLogsBucket(this, 'AccessLogs');
    this.artifactsBucket = new SecureBucket(this, 'Artifacts', {
      encryptionKey: this.key,
      accessLogs,
      accessLogsPrefix: 'replica-artifacts/',
      replicationReason: 'This bucket is itself the cross-region copy of the registry\'s artifacts, written by the delivery for the stages of this region; the source bucket keeps the originals.',
    });
    this.registry = new ModelRegistry(this, 'Registry', {
      name: props.modelPackageGroupName,
      description: `Replica of ${props.modelPackageGroupName} for the delivery stages in ${region}: each version is a copy of the registry's, deployed here`,
      crossAccountReadAccountIds: [...props.readerAccountIds],
      artifactsBucket: this.artifactsBucket,
      artifactsPrefix: props.artifactsPrefix,
    });
    // The cross-region function finds the bucket by this output (CloudFormation names it).
    new CfnOutput(this, 'ArtifactsBucketName', { key: REPLICA_BUCKET_OUTPUT, value: this.artifactsBucket.bucketName, description: `Where the delivery copies ${props.modelPackageGroupName}'s artifacts for the stages in ${region}` });
  }
}
