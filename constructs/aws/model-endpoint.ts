import { ArnFormat, CfnDeletionPolicy, CfnResource, Duration, IResource, Names, RemovalPolicy, Resource, Stack, Token, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MlopsValidationError, ValidationIssue } from '../../lib/errors';
import { EndpointSpec, EndpointSpecInput, endpointSpecSchema, isGpu } from '../../lib/spec';
import { ModelSource, ModelSourceConfig } from './model-source';
import { VpcPlacementProps } from './placement';
import { sagemakerArn, sagemakerArnName } from './private/arns';
import { addAsyncScaling, AsyncInference, asyncQueueMetric } from './private/async-inference';
import { ExecutionRole, WildcardJustification } from './private/execution-role';
import { newWorkloadSecurityGroup } from './private/network';
import { isComputeIntent, pinResolvedCompute } from './private/pinned-compute';
import { placementIssues, renderVpcPlacement } from './private/placement';
import { addRequestAlarms, hostingAlarmSet, sagemakerAutoScalingRole, volumeKeyArn } from './private/sagemaker-hosting';
import { ScalingGuard } from './private/scaling-guard';
import { ShadowVariant } from './private/shadow-variant';
import { claimUniqueName } from './private/unique-names';
import { AccessLogsBucket, allowAlarmPublishing, keyOrNew, SecureBucket } from './security';
import { parseProps, physicalNameIssue, subjectOf } from './private/validation';

/** Namespaces SageMaker publishes endpoint metrics in. */
const INVOCATION_NAMESPACE = 'AWS/SageMaker';
const INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';

/** Where an endpoint's data capture lands: what a monitor reads. */
export interface DataCaptureLocation {
  readonly bucket: s3.IBucket;
  /** The key prefix of the capture's DestinationS3Uri (SageMaker writes `<prefix>/<endpoint>/<variant>/...`), without slashes at its ends. */
  readonly prefix: string;
  /** The key the captured objects are encrypted with. @default - none (SSE-S3) */
  readonly encryptionKey?: kms.IKey;
}

/** A SageMaker real-time or serverless endpoint serving one model variant. */
export interface IModelEndpoint extends IResource {
  /** @attribute */
  readonly endpointName: string;
  /** @attribute */
  readonly endpointArn: string;
  /** The production variant serving traffic. */
  readonly variantName: string;
  /** Where the endpoint's data capture lands, when it captures (and, imported, when it was told). */
  readonly dataCapture?: DataCaptureLocation;
  /** Where the endpoint's alarms go, when it has a topic. */
  readonly alarmTopic?: sns.ITopic;
  /** InvokeEndpoint, InvokeEndpointAsync and InvokeEndpointWithResponseStream. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /** Any metric of the endpoint's variant, in the namespace SageMaker publishes it in. */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests served (sum). */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Model latency in microseconds (p99 by default). */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Latency SageMaker adds on top of the model, in microseconds (p99 by default). */
  metricOverheadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests the model failed (sum). */
  metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests rejected as bad (sum). */
  metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** CPU utilization summed over cores, in percent (average). */
  metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Host memory utilization in percent (average). */
  metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** GPU utilization summed over GPUs, in percent: 0 to 100 × GPUs (average). */
  metricGpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** GPU memory utilization summed over GPUs, in percent: 0 to 100 × GPUs (average). */
  metricGpuMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

export interface ModelEndpointAttributes {
  readonly endpointName: string;
  /** @default 'AllTraffic' */
  readonly variantName?: string;
  /**
   * Where the endpoint captures requests and responses (its DataCaptureConfig's DestinationS3Uri
   * and KmsKeyId): a DriftMonitor of the imported endpoint reads it.
   * @default - unknown: the endpoint cannot be monitored
   */
  readonly dataCapture?: DataCaptureLocation;
  /** @default - none: a DriftMonitor of the imported endpoint needs its own alarmTopic */
  readonly alarmTopic?: sns.ITopic;
}

/** A shadow variant: the spec's shadow settings, with the candidate as a ModelSource. */
export interface ModelEndpointShadowProps extends Omit<NonNullable<EndpointSpecInput['shadow']>, 'source'> {
  /** The candidate model: `ModelSource.fromRegistry(registry, { version })` or `ModelSource.fromImage(image, data)`. */
  readonly source: ModelSource;
}

/** The endpoint's spec and its AWS resources. A VPC placement applies to instance-backed endpoints only (serverless inference has none). */
export interface ModelEndpointProps extends Omit<EndpointSpecInput, 'shadow'>, VpcPlacementProps {
  /** The model to serve: `ModelSource.fromRegistry(registry, { version })` or `ModelSource.fromImage(image, data)`. */
  readonly source: ModelSource;
  /**
   * The endpoint's name, which clients invoke. Kept across deployments: a new model or instance
   * type replaces the endpoint config, never the endpoint.
   * @default - derived from the construct path
   */
  readonly endpointName?: string;
  /**
   * Execution role of the model.
   * @default - a new role with exactly what the model needs (image pull, model data, logs, data capture)
   */
  readonly role?: iam.IRole;
  /**
   * Key for the endpoint's storage volume (where SageMaker allows one: not on instances with local
   * NVMe storage, which is hardware-encrypted), the captured data and the alarm topic.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where alarms are sent. A KMS-encrypted topic must let cloudwatch.amazonaws.com use its key.
   * @default - a new topic encrypted with the endpoint's key
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Destination of the data capture bucket's server access logs.
   * @default - a new access log bucket
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * Create a CloudWatch dashboard of the endpoint.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * A candidate receiving a copy of a share of production requests (ShadowProductionVariants), with
   * its own model; its responses are captured (under its own variant folder), never returned.
   * @default - none
   */
  readonly shadow?: ModelEndpointShadowProps;
}

abstract class ModelEndpointBase extends Resource implements IModelEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly variantName: string;

  public get endpointArn(): string {
    return sagemakerArn(this, 'endpoint', sagemakerArnName(this.endpointName));
  }

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync', 'sagemaker:InvokeEndpointWithResponseStream'],
      resourceArns: [this.endpointArn],
    });
  }

  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    const instanceMetric = ['CPUUtilization', 'MemoryUtilization', 'DiskUtilization', 'GPUUtilization', 'GPUMemoryUtilization', 'CPUReservation', 'MemoryReservation', 'GPUReservation'].includes(metricName);
    return new cloudwatch.Metric({
      namespace: instanceMetric ? INSTANCE_NAMESPACE : INVOCATION_NAMESPACE,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      period: Duration.minutes(1),
      ...props,
    });
  }

  public metricInvocations(props?: cloudwatch.MetricOptions) { return this.metric('Invocations', { statistic: 'Sum', ...props }); }
  public metricModelLatency(props?: cloudwatch.MetricOptions) { return this.metric('ModelLatency', { statistic: 'p99', ...props }); }
  public metricOverheadLatency(props?: cloudwatch.MetricOptions) { return this.metric('OverheadLatency', { statistic: 'p99', ...props }); }
  public metricInvocation5XXErrors(props?: cloudwatch.MetricOptions) { return this.metric('Invocation5XXErrors', { statistic: 'Sum', ...props }); }
  public metricInvocation4XXErrors(props?: cloudwatch.MetricOptions) { return this.metric('Invocation4XXErrors', { statistic: 'Sum', ...props }); }
  public metricCpuUtilization(props?: cloudwatch.MetricOptions) { return this.metric('CPUUtilization', { statistic: 'Average', ...props }); }
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions) { return this.metric('MemoryUtilization', { statistic: 'Average', ...props }); }
  public metricGpuUtilization(props?: cloudwatch.MetricOptions) { return this.metric('GPUUtilization', { statistic: 'Average', ...props }); }
  public metricGpuMemoryUtilization(props?: cloudwatch.MetricOptions) { return this.metric('GPUMemoryUtilization', { statistic: 'Average', ...props }); }
}

/**
 * A model in production on SageMaker: model, endpoint config and endpoint, with safe deployments
 * (blue/green or rolling, rolled back on the endpoint's own alarms), autoscaling, alarms, a
 * dashboard, encrypted data capture and a least-privilege execution role.
 */
export class ModelEndpoint extends ModelEndpointBase {
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IModelEndpoint {
    return ModelEndpoint.fromEndpointAttributes(scope, id, { endpointName });
  }

  public static fromEndpointAttributes(scope: Construct, id: string, attrs: ModelEndpointAttributes): IModelEndpoint {
    class Import extends ModelEndpointBase {
      public readonly endpointName = attrs.endpointName;
      public readonly variantName = attrs.variantName ?? 'AllTraffic';
      public readonly dataCapture = attrs.dataCapture;
      public readonly alarmTopic = attrs.alarmTopic;
    }
    return new Import(scope, id);
  }

  public readonly endpointName: string;
  public readonly variantName: string;
  /** The resolved spec: defaults applied, compute resolved through the catalog. */
  public readonly spec: EndpointSpec;
  public readonly role: iam.IRole;
  public readonly encryptionKey: kms.IKey;
  public readonly alarmTopic: sns.ITopic;
  /** Bucket receiving captured requests and responses, when data capture is on. */
  public readonly dataCaptureBucket?: s3.IBucket;
  /** S3 URI under which captured data lands. */
  public readonly dataCaptureUri?: string;
  public readonly dataCapture?: DataCaptureLocation;
  /** The endpoint's alarms, by what they watch. */
  public readonly alarms: { readonly [name: string]: cloudwatch.IAlarm };
  /** Alarms that roll a deployment back. */
  public readonly rollbackAlarms: cloudwatch.IAlarm[];
  public readonly scalableTarget?: appscaling.ScalableTarget;
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The SageMaker instance type, or undefined for serverless. */
  public readonly instanceType?: string;
  public readonly cfnModel: sagemaker.CfnModel;
  public readonly cfnEndpointConfig: sagemaker.CfnEndpointConfig;
  public readonly cfnEndpoint: sagemaker.CfnEndpoint;
  /** Asynchronous inference: its bucket, topics and config, when the spec has an `async` section. */
  public readonly asyncInference?: AsyncInference;
  /** The shadow variant and its model, when the endpoint has one. */
  public readonly shadow?: ShadowVariant;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    const { source, endpointName, role, encryptionKey, alarmTopic, accessLogsBucket, vpc, vpcSubnets, securityGroups, dashboard, shadow, ...rest } = props;
    // The shadow's source is a ModelSource here; the spec's `source` (a platform spec's) is not read.
    const specInput: EndpointSpecInput = { ...rest, shadow: shadow && { ...shadow, source: undefined } };
    const parsed = parseEndpointProps(scope, id, specInput, props);
    super(scope, id);
    // A type resolved from an intent is pinned by context, so a catalog update cannot change it silently.
    const spec: EndpointSpec = isComputeIntent(specInput.compute) ? { ...parsed, compute: pinResolvedCompute('ModelEndpoint', this, parsed.compute, 'inference') } : parsed;
    this.spec = spec;
    this.endpointName = endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    this.variantName = spec.variantName;
    this.encryptionKey = keyOrNew(this, 'Key', encryptionKey, `cdk-mlops ModelEndpoint ${this.node.path}: storage volume, captured data, alarms`);

    const { execution, justifications } = this.renderExecutionRole(role);
    this.role = execution.role;
    const bound = source.bind(this, execution.grantee);
    const accessLogs = accessLogsBucket ?? (spec.dataCapture.enabled || spec.async ? new AccessLogsBucket(this, 'AccessLogs') : undefined);
    const capture = spec.dataCapture.enabled ? this.renderDataCapture(execution, justifications, accessLogs!) : undefined;
    this.asyncInference = spec.async && this.renderAsync(execution, justifications, accessLogs!);
    this.dataCaptureBucket = capture?.bucket;
    this.dataCaptureUri = capture?.uri;
    this.dataCapture = capture && { bucket: capture.bucket, prefix: 'datacapture', encryptionKey: this.encryptionKey };
    const vpcConfig = this.renderVpcConfig({ vpc, vpcSubnets, securityGroups }, execution, justifications);
    this.shadow = shadow && this.renderShadow(shadow, execution, vpcConfig);
    execution.justifyWildcards([...justifications, ...bound.wildcardJustifications, ...(this.shadow?.wildcardJustifications ?? [])]);

    this.cfnModel = this.renderModel(execution, bound, vpcConfig);
    this.instanceType = spec.compute.kind === 'instance' ? spec.compute.instanceType : undefined;
    this.cfnEndpointConfig = this.renderEndpointConfig(capture?.config);

    this.alarmTopic = alarmTopic ?? this.newAlarmTopic();
    allowAlarmPublishing(this, this.alarmTopic);
    const { alarms, rollback } = this.createAlarms(spec);
    this.alarms = alarms;
    this.rollbackAlarms = rollback;
    this.cfnEndpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: this.cfnEndpointConfig.attrEndpointConfigName,
      deploymentConfig: deploymentConfig(spec, rollback),
      ...retainedVariantProperties(this.isAutoscaled()),
    });
    const guard = spec.compute.kind === 'instance' && this.isAutoscaled() ? this.addScalingGuard(spec.compute.instanceType) : undefined;

    this.scalableTarget = this.addAutoscaling();
    if (guard && this.scalableTarget) guard.restores(this.scalableTarget);
    if (dashboard ?? true) this.dashboard = this.createDashboard(bound.description);
  }

  // --- Execution role: only what this model needs, in one customer-managed policy -------------
  private renderExecutionRole(role: iam.IRole | undefined): { execution: ExecutionRole; justifications: WildcardJustification[] } {
    const execution = new ExecutionRole(this, 'ExecutionRole', { role, servicePrincipal: 'sagemaker.amazonaws.com', description: `SageMaker execution role of ${this.node.path}` });
    const logGroupArn = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/Endpoints/${this.endpointName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    execution.addStatements(new iam.PolicyStatement({
      sid: 'EndpointLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [logGroupArn, `${logGroupArn}:*`],
    }));
    const justifications: WildcardJustification[] = [{
      finding: /^Resource::.*:log-group:\/aws\/sagemaker\/Endpoints\/.*:\*$/,
      reason: "SageMaker creates one log stream per instance at run time; the statement is limited to this endpoint's own log group.",
    }];
    return { execution, justifications };
  }

  // --- Data capture -------------------------------------------------------------------------
  private renderDataCapture(execution: ExecutionRole, justifications: WildcardJustification[], accessLogs: s3.IBucket) {
    const capture = this.spec.dataCapture;
    const bucket = new SecureBucket(this, 'DataCaptureBucket', {
      encryptionKey: this.encryptionKey,
      accessLogs,
      accessLogsPrefix: `datacapture/${this.endpointName}/`,
      lifecycleRules: [{ id: 'DataCaptureRetention', prefix: 'datacapture/', expiration: Duration.days(capture.retentionDays), noncurrentVersionExpiration: Duration.days(1) }],
      replicationReason: 'Captured inference data is a monitoring sample kept for a bounded retention period; it is not replicated.',
    });
    // SageMaker writes captured data with the model's execution role.
    execution.addStatements(new iam.PolicyStatement({ sid: 'WriteDataCapture', actions: ['s3:PutObject'], resources: [bucket.arnForObjects('datacapture/*')] }));
    execution.allowEncrypt(this.encryptionKey);
    justifications.unshift({
      finding: /^Resource::.*\/datacapture\/\*$/,
      reason: 'SageMaker writes one object per captured batch under the capture prefix, with generated keys; write-only (s3:PutObject), limited to that prefix.',
    });
    const uri = bucket.s3UrlForObject('datacapture');
    const { csvContentTypes, jsonContentTypes } = capture;
    const config: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty = {
      enableCapture: true,
      initialSamplingPercentage: capture.samplingPercent,
      destinationS3Uri: uri,
      kmsKeyId: this.encryptionKey.keyArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      captureContentTypeHeader: csvContentTypes || jsonContentTypes ? { csvContentTypes, jsonContentTypes } : undefined,
    };
    return { bucket, uri, config };
  }

  // --- Asynchronous inference, shadow variant (constructs/aws/private) -----------------------
  private renderAsync(execution: ExecutionRole, justifications: WildcardJustification[], accessLogs: s3.IBucket): AsyncInference {
    const a = new AsyncInference(this, 'Async', {
      spec: this.spec.async!,
      endpointName: this.endpointName,
      encryptionKey: this.encryptionKey,
      accessLogs,
      execution,
      maxConcurrentInvocationsPerInstance: this.spec.async!.maxConcurrentInvocationsPerInstance,
    });
    justifications.push(...a.justifications);
    return a;
  }

  private renderShadow(shadow: ModelEndpointShadowProps, execution: ExecutionRole, vpcConfig: sagemaker.CfnModel.VpcConfigProperty | undefined): ShadowVariant {
    return new ShadowVariant(this, 'Shadow', {
      spec: this.spec.shadow!,
      computeInput: shadow.compute,
      productionCompute: this.spec.compute,
      source: shadow.source,
      execution,
      roleArn: execution.role.roleArn,
      networkIsolation: this.spec.networkIsolation,
      vpcConfig,
      environment: this.spec.environment,
    });
  }

  // --- Network ------------------------------------------------------------------------------
  private renderVpcConfig(placementProps: VpcPlacementProps, execution: ExecutionRole, justifications: WildcardJustification[]): sagemaker.CfnModel.VpcConfigProperty | undefined {
    const placement = renderVpcPlacement(placementProps, execution, (vpc) => newWorkloadSecurityGroup(this, 'SecurityGroup', vpc, `Model containers of ${this.node.path}`));
    if (!placement) return undefined;
    justifications.push({ finding: /^Resource::\*$/, reason: 'The EC2 network-interface actions SageMaker needs to place containers in the VPC do not support resource-level permissions.' });
    return { securityGroupIds: placement.securityGroupIds, subnets: placement.subnetIds };
  }

  // --- Model, endpoint config ----------------------------------------------------------------
  private renderModel(execution: ExecutionRole, bound: ModelSourceConfig, vpcConfig: sagemaker.CfnModel.VpcConfigProperty | undefined): sagemaker.CfnModel {
    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: { ...bound.container, environment: Object.keys(this.spec.environment).length > 0 ? this.spec.environment : undefined },
      enableNetworkIsolation: this.spec.networkIsolation,
      vpcConfig,
    });
    // SageMaker checks the role's permissions when it creates the model.
    model.node.addDependency(...execution.dependable);
    return model;
  }

  private renderEndpointConfig(dataCaptureConfig: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | undefined): sagemaker.CfnEndpointConfig {
    const compute = this.spec.compute;
    const variant: sagemaker.CfnEndpointConfig.ProductionVariantProperty = compute.kind === 'serverless'
      ? {
        variantName: this.variantName,
        modelName: this.cfnModel.attrModelName,
        serverlessConfig: { memorySizeInMb: compute.memoryMiB, maxConcurrency: compute.maxConcurrency, provisionedConcurrency: compute.provisionedConcurrency },
      }
      : {
        variantName: this.variantName,
        modelName: this.cfnModel.attrModelName,
        instanceType: compute.instanceType,
        initialInstanceCount: this.spec.scaling!.initialInstances,
        initialVariantWeight: 1,
      };
    // The config's key covers every variant's volume: none when the shadow runs on local NVMe storage either.
    const shadow = this.shadow?.compute;
    const shadowNvme = shadow?.kind === 'instance' && shadow.info?.localNvmeStorage === true;
    const volumeKey = shadowNvme ? undefined : volumeKeyArn(this, this.spec.compute, this.encryptionKey);
    // Generated names: a changed model or instance type replaces the config without a name clash.
    const config = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [variant],
      shadowProductionVariants: this.shadow && [this.shadow.variant()],
      asyncInferenceConfig: this.asyncInference?.config,
      kmsKeyId: volumeKey,
      dataCaptureConfig,
    });
    // A replaced model and config are kept (they cost nothing), so the endpoint can be returned to
    // them (`mlops rollback`); deleting the stack still deletes the current ones.
    this.cfnModel.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
    this.cfnModel.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
    config.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
    config.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
    this.acknowledgeNoVolumeKey(config, volumeKey);
    return config;
  }

  /** Why a config without a volume key (local NVMe, serverless) passes the checks that ask for one. */
  private acknowledgeNoVolumeKey(config: sagemaker.CfnEndpointConfig, volumeKey: string | undefined): void {
    const compute = this.spec.compute;
    if (volumeKey === undefined && compute.kind === 'instance' && compute.info?.localNvmeStorage) {
      Validations.of(config).acknowledge(
        { id: 'AwsSolutions-SM2', reason: `${compute.instanceType} has local NVMe instance storage, encrypted by the instance's hardware module; SageMaker rejects a KmsKeyId for it.` },
        { id: 'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', reason: `${compute.instanceType} has local NVMe instance storage, encrypted by the instance's hardware module; SageMaker rejects a KmsKeyId for it.` },
        { id: 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured', reason: `${compute.instanceType} has local NVMe instance storage, encrypted by the instance's hardware module; SageMaker rejects a KmsKeyId for it.` },
      );
    }
    if (compute.kind === 'serverless') {
      Validations.of(this.cfnModel).acknowledge({ id: 'MLOps-NetworkIsolation', reason: 'SageMaker serverless inference supports neither network isolation nor VPC placement; the strict governance level rejects serverless endpoints for that reason.' });
      const reason = 'Serverless inference has no customer storage volume; SageMaker does not accept a KmsKeyId for serverless endpoint configs.';
      Validations.of(config).acknowledge(
        { id: 'AwsSolutions-SM2', reason },
        { id: 'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', reason },
        { id: 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured', reason },
      );
    }
  }

  // --- Autoscaling ----------------------------------------------------------------------
  /** Whether Application Auto Scaling manages the variant's instance count. */
  private isAutoscaled(): boolean {
    const scaling = this.spec.scaling;
    // A deploy-time maxInstances (a token) may exceed minInstances: scale, with the value CloudFormation resolves.
    if (scaling !== undefined && this.spec.async?.scaleToZero) return true;
    return scaling !== undefined && (Token.isUnresolved(scaling.maxInstances) || scaling.maxInstances > scaling.minInstances);
  }

  /** Deregisters the variant from Application Auto Scaling before an update SageMaker would refuse (see ScalingGuard). */
  private addScalingGuard(instanceType: string): ScalingGuard {
    const guard = new ScalingGuard(this, 'ScalingGuard', { endpointName: this.endpointName, variantName: this.variantName, instanceType, encryptionKey: this.encryptionKey });
    this.cfnEndpoint.node.addDependency(guard.resource);
    return guard;
  }

  private addAutoscaling(): appscaling.ScalableTarget | undefined {
    const scaling = this.spec.scaling;
    const compute = this.spec.compute;
    if (!scaling || !this.isAutoscaled()) return undefined;
    // The id follows the instance type (see ScalingGuard): a type change creates a new target after the endpoint update.
    const targetId = compute.kind === 'instance' && !Token.isUnresolved(compute.instanceType) ? `ScalableTarget-${compute.instanceType}` : 'ScalableTarget';
    const target = new appscaling.ScalableTarget(this, targetId, {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      resourceId: `endpoint/${this.endpointName}/variant/${this.variantName}`,
      // An asynchronous endpoint may scale in to zero instances when its queue is empty.
      minCapacity: this.spec.async?.scaleToZero ? 0 : scaling.minInstances,
      maxCapacity: scaling.maxInstances,
      role: sagemakerAutoScalingRole(this),
    });
    target.node.addDependency(this.cfnEndpoint);
    // An asynchronous endpoint publishes no InvocationsPerInstance: it scales on its queue.
    if (this.spec.async) {
      addAsyncScaling(this, target, this.endpointName, this.spec.async, scaling);
    } else {
      target.scaleToTrackMetric('InvocationsScaling', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        targetValue: scaling.targetInvocationsPerInstance,
        scaleInCooldown: Duration.seconds(scaling.scaleInCooldownSeconds),
        scaleOutCooldown: Duration.seconds(scaling.scaleOutCooldownSeconds),
      });
    }
    if (scaling.targetGpuUtilizationPercent !== undefined && compute.kind === 'instance' && compute.info?.accelerator) {
      target.scaleToTrackMetric('GpuScaling', {
        customMetric: this.metricGpuUtilization({ period: Duration.minutes(1) }),
        // GPUUtilization sums over the instance's GPUs: target per GPU × GPUs.
        targetValue: scaling.targetGpuUtilizationPercent * compute.info.accelerator.count,
        scaleInCooldown: Duration.seconds(scaling.scaleInCooldownSeconds),
        scaleOutCooldown: Duration.seconds(scaling.scaleOutCooldownSeconds),
      });
    }
    // Removed from the template after a type change, they were deregistered by the guard already; deleting them would deregister the new ones.
    for (const child of target.node.findAll()) {
      if (child instanceof CfnResource) child.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    return target;
  }

  private newAlarmTopic(): sns.Topic {
    return new sns.Topic(this, 'AlarmTopic', { masterKey: this.encryptionKey, enforceSSL: true, displayName: `Alarms of ${this.endpointName}` });
  }

  private createAlarms(spec: EndpointSpec): { alarms: Record<string, cloudwatch.Alarm>; rollback: cloudwatch.Alarm[] } {
    const a = spec.alarms;
    const set = hostingAlarmSet(this.alarmTopic, a);
    const { alarms, period, common, add } = set;
    // An asynchronous endpoint publishes no Invocations (the 4XX rate's denominator): it alarms on failures and queue age instead.
    const { latency, errors5xx, rate4xx } = addRequestAlarms(this, set, a, this.endpointName, (name, props) => this.metric(name, props), { rate4xx: !spec.async });
    const third = spec.async ? this.addAsyncAlarms(spec.async, add, common, period) : rate4xx!;
    const compute = spec.compute;
    if (isGpu(compute) && compute.kind === 'instance' && compute.info?.accelerator) {
      const gpus = compute.info.accelerator.count;
      add('gpuUtilization', new cloudwatch.Alarm(this, 'GpuUtilizationAlarm', {
        ...common,
        alarmDescription: `GPU utilization of ${this.endpointName} above ${a.gpuUtilizationPercent}% per GPU (${gpus} GPUs)`,
        metric: this.metricGpuUtilization({ period }),
        threshold: a.gpuUtilizationPercent * gpus,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      }));
      add('gpuMemoryUtilization', new cloudwatch.Alarm(this, 'GpuMemoryAlarm', {
        ...common,
        alarmDescription: `GPU memory of ${this.endpointName} above ${a.gpuMemoryUtilizationPercent}% per GPU (${gpus} GPUs)`,
        metric: this.metricGpuMemoryUtilization({ period }),
        threshold: a.gpuMemoryUtilizationPercent * gpus,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      }));
    }
    // A bad model shows as latency or errors; saturation (GPU) is a scaling matter, not a rollback one.
    return { alarms, rollback: spec.deployment.autoRollback ? [latency, errors5xx, third] : [] };
  }

  /** Failures and queue age of an asynchronous endpoint; returns the failures alarm (a rollback alarm). */
  private addAsyncAlarms(spec: NonNullable<EndpointSpec['async']>, add: (key: string, alarm: cloudwatch.Alarm) => cloudwatch.Alarm, common: Pick<cloudwatch.AlarmProps, 'evaluationPeriods' | 'datapointsToAlarm' | 'treatMissingData'>, period: Duration): cloudwatch.Alarm {
    add('backlogAge', new cloudwatch.Alarm(this, 'BacklogAgeAlarm', {
      ...common,
      alarmDescription: `The oldest queued request of ${this.endpointName} is older than ${spec.backlogAgeAlarmSeconds}s`,
      metric: asyncQueueMetric(this.endpointName, 'ApproximateAgeOfOldestRequest', { statistic: 'Maximum', period }),
      threshold: spec.backlogAgeAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    }));
    return add('invocationFailures', new cloudwatch.Alarm(this, 'InvocationFailuresAlarm', {
      ...common,
      alarmDescription: `${this.endpointName} failed ${spec.invocationFailures} or more asynchronous requests in ${period.toSeconds()}s`,
      metric: this.metric('InvocationFailures', { statistic: 'Sum', period }),
      threshold: spec.invocationFailures,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    }));
  }

  private createDashboard(sourceDescription: string): cloudwatch.Dashboard {
    const d = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    d.addWidgets(new cloudwatch.TextWidget({ markdown: `# ${this.endpointName}\nServing ${sourceDescription} on ${this.instanceType ?? 'serverless inference'}.`, width: 24, height: 2 }));
    d.addWidgets(
      this.spec.async
        ? new cloudwatch.GraphWidget({ title: 'Queue (requests)', left: [asyncQueueMetric(this.endpointName, 'ApproximateBacklogSize'), asyncQueueMetric(this.endpointName, 'ApproximateBacklogSizePerInstance')], right: [asyncQueueMetric(this.endpointName, 'ApproximateAgeOfOldestRequest', { statistic: 'Maximum' })], width: 8 })
        : new cloudwatch.GraphWidget({ title: 'Invocations', left: [this.metricInvocations()], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Latency p99 (µs)', left: [this.metricModelLatency(), this.metricOverheadLatency()], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Errors', left: [this.metricInvocation4XXErrors(), this.metricInvocation5XXErrors(), ...(this.spec.async ? [this.metric('InvocationFailures', { statistic: 'Sum' })] : [])], width: 8 }),
    );
    if (this.shadow) {
      const shadowMetric = (name: string, statistic: string) => this.metric(name, { statistic, dimensionsMap: { EndpointName: this.endpointName, VariantName: this.shadow!.variantName } });
      d.addWidgets(
        new cloudwatch.GraphWidget({ title: `Latency p99 (µs): ${this.variantName} vs shadow ${this.shadow.variantName}`, left: [this.metricModelLatency(), shadowMetric('ModelLatency', 'p99')], width: 12 }),
        new cloudwatch.GraphWidget({ title: `5XX errors: ${this.variantName} vs shadow ${this.shadow.variantName}`, left: [this.metricInvocation5XXErrors(), shadowMetric('Invocation5XXErrors', 'Sum')], width: 12 }),
      );
    }
    if (this.instanceType) {
      const gpu = isGpu(this.spec.compute);
      d.addWidgets(
        new cloudwatch.GraphWidget({ title: 'CPU / memory (%)', left: [this.metricCpuUtilization(), this.metricMemoryUtilization()], width: gpu ? 12 : 24 }),
        ...(gpu ? [new cloudwatch.GraphWidget({ title: 'GPU / GPU memory (% summed over GPUs)', left: [this.metricGpuUtilization(), this.metricGpuMemoryUtilization()], width: 12 })] : []),
      );
    }
    d.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24 }));
    return d;
  }
}

/**
 * What an update of the endpoint (a new endpoint config) keeps of the running variant. Without
 * RetainAllVariantProperties, SageMaker resets the variant to the new config's initial instance
 * count and weight on every update: an autoscaled endpoint would lose its scale-out on each
 * deploy. The data capture config always follows the new config (a changed sampling percentage or
 * destination applies), and so does the instance count of an endpoint that does not autoscale (its
 * count is the spec's, not Application Auto Scaling's).
 */
function retainedVariantProperties(autoscaled: boolean): Pick<sagemaker.CfnEndpointProps, 'retainAllVariantProperties' | 'excludeRetainedVariantProperties'> {
  return {
    retainAllVariantProperties: true,
    excludeRetainedVariantProperties: [
      { variantPropertyType: 'DataCaptureConfig' },
      ...(autoscaled ? [] : [{ variantPropertyType: 'DesiredInstanceCount' }]),
    ],
  };
}

function deploymentConfig(spec: EndpointSpec, rollbackAlarms: cloudwatch.IAlarm[]): sagemaker.CfnEndpoint.DeploymentConfigProperty {
  const d = spec.deployment;
  const autoRollbackConfiguration = rollbackAlarms.length > 0 ? { alarms: rollbackAlarms.map((a) => ({ alarmName: a.alarmName })) } : undefined;
  if (d.strategy === 'rolling') {
    return {
      autoRollbackConfiguration,
      rollingUpdatePolicy: {
        maximumBatchSize: { type: 'CAPACITY_PERCENT', value: d.rollingBatchPercent! },
        rollbackMaximumBatchSize: { type: 'CAPACITY_PERCENT', value: 100 },
        waitIntervalInSeconds: d.waitIntervalSeconds,
        maximumExecutionTimeoutInSeconds: d.maximumExecutionTimeoutSeconds,
      },
    };
  }
  const trafficRoutingConfiguration: sagemaker.CfnEndpoint.TrafficRoutingConfigProperty = {
    type: d.strategy === 'canary' ? 'CANARY' : d.strategy === 'linear' ? 'LINEAR' : 'ALL_AT_ONCE',
    waitIntervalInSeconds: d.waitIntervalSeconds,
    canarySize: d.strategy === 'canary' ? { type: 'CAPACITY_PERCENT', value: d.canaryPercent! } : undefined,
    linearStepSize: d.strategy === 'linear' ? { type: 'CAPACITY_PERCENT', value: d.linearStepPercent! } : undefined,
  };
  return {
    autoRollbackConfiguration,
    blueGreenUpdatePolicy: {
      trafficRoutingConfiguration,
      terminationWaitInSeconds: d.terminationWaitSeconds,
      maximumExecutionTimeoutInSeconds: d.maximumExecutionTimeoutSeconds,
    },
  };
}

/** The spec, plus the checks that need the AWS-only props, thrown as one error. */
function parseEndpointProps(scope: Construct, id: string, specInput: EndpointSpecInput, props: ModelEndpointProps): EndpointSpec {
  const targetIssues: ValidationIssue[] = [];
  const serverless = (specInput.compute as { serverless?: unknown } | undefined)?.serverless !== undefined;
  if (serverless && props.vpc) targetIssues.push({ path: 'vpc', message: 'is not supported by serverless inference', got: 'a VPC', expected: 'no vpc, or an instance-backed endpoint' });
  targetIssues.push(...placementIssues(props));
  if (props.shadow && !(props.shadow.source instanceof ModelSource)) {
    targetIssues.push({ path: 'shadow.source', message: 'is required: the candidate model', got: props.shadow.source === undefined ? 'nothing' : 'not a ModelSource', expected: 'ModelSource.fromRegistry(registry, { version }) or ModelSource.fromImage(image, data)' });
  }
  // SageMaker endpoint names are unique per account and region: a clash would fail the second deployment.
  const clash = props.endpointName !== undefined ? claimUniqueName(scope, id, { kind: 'ModelEndpoint', field: 'endpointName', name: props.endpointName }) : undefined;
  if (clash) targetIssues.push(clash);
  const badName = physicalNameIssue('endpointName', props.endpointName, 'endpoint');
  if (badName) targetIssues.push(badName);
  try {
    const spec = parseProps('ModelEndpoint', scope, id, endpointSpecSchema, specInput);
    if (targetIssues.length > 0) throw new MlopsValidationError(subjectOf('ModelEndpoint', scope, id), targetIssues);
    return spec;
  } catch (e) {
    if (e instanceof MlopsValidationError && targetIssues.length > 0 && e.issues !== targetIssues) {
      throw new MlopsValidationError(e.subject, [...e.issues, ...targetIssues]);
    }
    throw e;
  }
}
