import { CfnDeletionPolicy, Duration, Names, Resource, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { lookupInstanceType } from '../../lib/catalog';
import { ValidationIssue } from '../../lib/errors';
import { ComponentEndpointSpec, ComponentEndpointSpecInput, componentEndpointSpecSchema, reservationProblems } from '../../lib/spec';
import { ModelSource, ModelSourceConfig } from './model-source';
import { ISharedEndpoint } from './shared-endpoint';
import { ExecutionRole } from './private/execution-role';
import { addRequestAlarms, hostingAlarmSet, sagemakerAutoScalingRole } from './private/sagemaker-hosting';
import { claimUniqueName } from './private/unique-names';
import { allowAlarmPublishing, keyOrNew } from './security';
import { parseProps, physicalNameIssue, subjectOf } from './private/validation';

/** The namespace SageMaker publishes inference component metrics in (dimension InferenceComponentName). */
const NAMESPACE = 'AWS/SageMaker';
/** The metric a request raises when no copy can serve it: what brings a component back from zero copies. */
export const NO_CAPACITY_METRIC = 'NoCapacityInvocationFailures';

/** The model spec of a component, without the shared endpoint's platform-level name (the construct takes the endpoint itself). */
export type InferenceComponentSpecProps = Omit<ComponentEndpointSpecInput, 'sharedEndpoint'>;

export interface InferenceComponentProps extends InferenceComponentSpecProps {
  /** The endpoint whose instances run the component. */
  readonly endpoint: ISharedEndpoint;
  /** The model: `ModelSource.fromRegistry(registry, { version })` or `ModelSource.fromImage(image, data)`. */
  readonly source: ModelSource;
  /**
   * The component's name, which clients pass to InvokeEndpoint as InferenceComponentName. Kept across
   * deployments: a new model updates the component in place, copy by copy.
   * @default - derived from the construct path
   */
  readonly inferenceComponentName?: string;
  /**
   * Execution role of the model.
   * @default - a new role with exactly what the model needs (image pull, model data, logs)
   */
  readonly role?: iam.IRole;
  /**
   * Where alarms are sent. A KMS-encrypted topic must let cloudwatch.amazonaws.com use its key.
   * @default - a new topic encrypted with a new key
   */
  readonly alarmTopic?: sns.ITopic;
  /** @default - a new customer-managed key with rotation (for the alarm topic it creates) */
  readonly encryptionKey?: kms.IKey;
}

/**
 * One model served on a {@link SharedEndpoint}: its SageMaker model (from its source, with a
 * least-privilege role), an inference component reserving accelerators, memory and CPU cores per
 * copy, copy-count autoscaling (to zero copies, and back from zero on the first request SageMaker
 * could not place), alarms, and rolling updates rolled back on those alarms.
 */
export class InferenceComponent extends Resource {
  public readonly inferenceComponentName: string;
  /** The resolved spec, defaults applied. */
  public readonly spec: ComponentEndpointSpec;
  public readonly role: iam.IRole;
  public readonly alarmTopic: sns.ITopic;
  /** The component's alarms, by what they watch. */
  public readonly alarms: { readonly [name: string]: cloudwatch.IAlarm };
  public readonly scalableTarget?: appscaling.ScalableTarget;
  /** The alarm that scales the component out from zero copies, when it may scale to zero. */
  public readonly scaleFromZeroAlarm?: cloudwatch.Alarm;
  public readonly cfnModel: sagemaker.CfnModel;
  public readonly cfnInferenceComponent: sagemaker.CfnInferenceComponent;
  private readonly endpoint: ISharedEndpoint;

  constructor(scope: Construct, id: string, props: InferenceComponentProps) {
    const { endpoint, source, inferenceComponentName, role, alarmTopic, encryptionKey, ...specInput } = props;
    const spec = parseComponentProps(scope, id, specInput, props);
    super(scope, id);
    this.spec = spec;
    this.endpoint = endpoint;
    this.inferenceComponentName = inferenceComponentName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });

    const execution = new ExecutionRole(this, 'ExecutionRole', { role, servicePrincipal: 'sagemaker.amazonaws.com', description: `SageMaker execution role of ${this.node.path}` });
    this.role = execution.role;
    const bound = source.bind(this, execution.grantee);
    execution.justifyWildcards(bound.wildcardJustifications);
    this.cfnModel = this.renderModel(execution, bound);

    this.alarmTopic = alarmTopic ?? new sns.Topic(this, 'AlarmTopic', { masterKey: keyOrNew(this, 'Key', encryptionKey, `cdk-mlops InferenceComponent ${this.node.path}: alarms`), enforceSSL: true, displayName: `Alarms of ${this.inferenceComponentName}` });
    allowAlarmPublishing(this, this.alarmTopic);
    const { alarms, rollback } = this.createAlarms();
    this.alarms = alarms;
    this.cfnInferenceComponent = this.renderComponent(rollback);
    this.scalableTarget = this.addAutoscaling();
  }

  /** Any metric of the component, in the namespace SageMaker publishes it in. */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap: { InferenceComponentName: this.inferenceComponentName }, period: Duration.minutes(1), ...props });
  }

  /** InvokeEndpoint (and its async and streaming forms) on the shared endpoint: the caller names this component. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync', 'sagemaker:InvokeEndpointWithResponseStream'],
      resourceArns: [this.endpoint.endpointArn],
    });
  }

  /**
   * The component's model, with this component's role: CreateModel's ExecutionRoleArn is "the IAM role
   * that SageMaker can assume to access model artifacts and docker image for deployment" (API
   * reference), so the image pull and model data grants are on it. The shared endpoint's config role
   * (ExecutionRoleArn, required when the variant names no model) gets logs and VPC access only; no AWS
   * page says which of the two roles pulls a component's image, and the SDK (model_builder.py) passes
   * the same role to both, so a deploy is the only proof.
   */
  private renderModel(execution: ExecutionRole, bound: ModelSourceConfig): sagemaker.CfnModel {
    const environment = this.spec.environment;
    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: { ...bound.container, environment: Object.keys(environment).length > 0 ? environment : undefined },
      // The endpoint config's isolation and VPC apply to every component; the model says the same.
      enableNetworkIsolation: this.endpoint.networkIsolation,
      vpcConfig: this.endpoint.vpcConfig,
    });
    model.node.addDependency(...execution.dependable);
    // A replaced model is kept until the component has rolled onto the new one (and for rollback); deleting the stack deletes it.
    model.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
    model.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
    return model;
  }

  private renderComponent(rollbackAlarms: cloudwatch.IAlarm[]): sagemaker.CfnInferenceComponent {
    const { reservation, copies, deployment } = this.spec;
    const component = new sagemaker.CfnInferenceComponent(this, 'Resource', {
      inferenceComponentName: this.inferenceComponentName,
      endpointName: this.endpoint.endpointName,
      variantName: this.endpoint.variantName,
      specification: {
        modelName: this.cfnModel.attrModelName,
        computeResourceRequirements: {
          numberOfAcceleratorDevicesRequired: reservation.acceleratorCount,
          numberOfCpuCoresRequired: reservation.cpus,
          minMemoryRequiredInMb: reservation.memoryMiB,
        },
      },
      // Every deployment sets the copies to `initial`; autoscaling takes them from there.
      runtimeConfig: { copyCount: copies.initial },
      // A new model is an in-place update (UpdateInferenceComponent): copies are replaced batch by batch, never all at once.
      deploymentConfig: {
        rollingUpdatePolicy: {
          maximumBatchSize: { type: 'CAPACITY_PERCENT', value: deployment.rollingBatchPercent },
          rollbackMaximumBatchSize: { type: 'CAPACITY_PERCENT', value: 100 },
          waitIntervalInSeconds: deployment.waitIntervalSeconds,
          maximumExecutionTimeoutInSeconds: deployment.maximumExecutionTimeoutSeconds,
        },
        autoRollbackConfiguration: rollbackAlarms.length > 0 ? { alarms: rollbackAlarms.map((a) => ({ alarmName: a.alarmName })) } : undefined,
      },
    });
    // SageMaker places copies on an endpoint that is InService: in the same stack, after it.
    if (this.endpoint instanceof Construct && Stack.of(this.endpoint) === Stack.of(this)) component.node.addDependency(this.endpoint);
    return component;
  }

  private addAutoscaling(): appscaling.ScalableTarget | undefined {
    const c = this.spec.copies;
    const scales = Token.isUnresolved(c.max) || Token.isUnresolved(c.min) || c.max > c.min;
    if (!scales) return undefined;
    const target = new appscaling.ScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      resourceId: `inference-component/${this.inferenceComponentName}`,
      minCapacity: c.min,
      maxCapacity: c.max,
      role: sagemakerAutoScalingRole(this),
    });
    // A component is a scalable target only once it exists.
    target.node.addDependency(this.cfnInferenceComponent);
    target.scaleToTrackMetric('InvocationsPerCopy', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
      targetValue: c.targetInvocationsPerCopy,
      scaleInCooldown: Duration.seconds(c.scaleInCooldownSeconds),
      scaleOutCooldown: Duration.seconds(c.scaleOutCooldownSeconds),
    });
    if (!Token.isUnresolved(c.min) && c.min === 0) this.addScaleFromZero(target);
    return target;
  }

  /**
   * At zero copies nothing publishes invocations per copy, so target tracking cannot scale out: a
   * request SageMaker could not place raises NoCapacityInvocationFailures, and a step policy on it
   * adds one copy (SageMaker then adds an instance, when the endpoint has none).
   *
   * As AWS documents it ("Scale an endpoint to zero instances", developer guide
   * endpoint-auto-scaling-zero-instances): AWS/SageMaker NoCapacityInvocationFailures with the
   * InferenceComponentName dimension, statistic Sum over 60 s, one evaluation period; step policy
   * ChangeInCapacity +1 from MetricIntervalLowerBound 0, MetricAggregationType Maximum. The guide's
   * alarm is `> 1`; `>= 1` here scales out on the first request that found no capacity.
   */
  private addScaleFromZero(target: appscaling.ScalableTarget): void {
    const action = new appscaling.StepScalingAction(this, 'ScaleFromZero', {
      scalingTarget: target,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: Duration.seconds(this.spec.copies.scaleOutCooldownSeconds),
    });
    action.addAdjustment({ adjustment: 1, lowerBound: 0 });
    const alarm = new cloudwatch.Alarm(this, 'ScaleFromZeroAlarm', {
      alarmDescription: `A request to ${this.inferenceComponentName} found no copy to serve it: add one`,
      metric: this.metric(NO_CAPACITY_METRIC, { statistic: 'Sum', period: Duration.minutes(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.ApplicationScalingAction(action));
    (this as { scaleFromZeroAlarm?: cloudwatch.Alarm }).scaleFromZeroAlarm = alarm;
  }

  private createAlarms(): { alarms: Record<string, cloudwatch.Alarm>; rollback: cloudwatch.Alarm[] } {
    const a = this.spec.alarms;
    const set = hostingAlarmSet(this.alarmTopic, a);
    const { latency, errors5xx, rate4xx } = addRequestAlarms(this, set, a, this.inferenceComponentName, (name, props) => this.metric(name, props), { rate4xx: true });
    return { alarms: set.alarms, rollback: this.spec.deployment.autoRollback ? [latency, errors5xx, rate4xx!] : [] };
  }
}

/** The spec, plus the name check, thrown as one error. */
function parseComponentProps(scope: Construct, id: string, specInput: InferenceComponentSpecProps, props: InferenceComponentProps): ComponentEndpointSpec {
  const issues: ValidationIssue[] = [];
  const name = props.inferenceComponentName;
  const clash = name !== undefined ? claimUniqueName(scope, id, { kind: 'InferenceComponent', field: 'inferenceComponentName', name }) : undefined;
  if (clash) issues.push(clash);
  const badName = physicalNameIssue('inferenceComponentName', name, 'inferenceComponent');
  if (badName) issues.push(badName);
  let spec: ComponentEndpointSpec | undefined;
  try {
    // The shared endpoint is the construct's `endpoint`, not a platform-level name.
    spec = parseProps('InferenceComponent', scope, id, componentEndpointSpecSchema, { ...specInput, sharedEndpoint: 'endpoint' });
  } catch (e) {
    if (!(e instanceof MlopsValidationError)) throw e;
    issues.unshift(...e.issues);
  }
  // Each copy is placed on one instance of the endpoint: what it reserves must fit one.
  const info = spec && !Token.isUnresolved(props.endpoint.instanceType) ? lookupInstanceType(props.endpoint.instanceType) : undefined;
  for (const p of spec && info ? reservationProblems(spec.reservation, info) : []) {
    issues.push({ path: `reservation.${p.field}`, message: `does not fit one instance of the endpoint (${info!.name})`, got: p.got, expected: p.expected });
  }
  if (issues.length > 0) throw new MlopsValidationError(subjectOf('InferenceComponent', scope, id), issues);
  return spec!;
}
