/**
 * Renders a PlatformSpec onto AWS: a shared stack (platform key, alarm topic, artifacts and access
 * log buckets), a training stack when the platform has an experiment tracker or training clusters,
 * and one stack per model (its registry, endpoint and build pipeline). No stack grows with the
 * number of models, so a platform of any size stays under CloudFormation's 500 resources per stack,
 * and cross-stack references are only the shared topic and buckets.
 */
import { Annotations, ArnFormat, Aws, CfnCondition, CfnOutput, CfnParameter, CfnResource, DefaultStackSynthesizer, Fn, Stack, StackProps, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AccessLogsBucket, allowAlarmPublishing, Baseline, BatchTransform, DATA_QUALITY_BASELINE_STEP, DeliveryStageTarget, DriftMonitor, ExperimentTracker, FeatureStore, InferenceComponent, keyOrNew, MlPipeline, ModelCard, ModelData, ModelDelivery, ModelEndpoint, ModelEndpointProps, ModelImage, ModelRegistry, ModelSource, Personas, pipelineOutputKeyPrefix, regionalEcrImage, RegistryReplica, SecureBucket, SharedEndpoint, StageDeployRole, TrainingCluster } from '../../constructs/aws';
import { isAwsImageAccount } from '../../lib/catalog';
import { MlopsValidationError, renderValue } from '../../lib/errors';
import { GOVERNANCE_METADATA_KEY, TAG_REPLACES_TYPES } from '../../lib/governance';
import { ComponentEndpointSpecInput, DELIVERY_RENDERING, DELIVERY_TAG, DeliveryStage, deliveryStagesOf, DERIVED_NAMES, ECR_IMAGE_URI, EndpointSpec, EndpointSpecInput, followsRegistry, isComponentEndpoint, isCrossRegionStage, ModelSourceSpec, ModelSpec, parsePlatformSpecFor, SHARED_ENDPOINT_NAMES, PlatformSpec, PlatformSpecInput, MODEL_TAG, PLATFORM_TAG, requiredTagsOf } from '../../lib/spec';
import { PlatformDashboard } from '../../constructs/aws/platform-dashboard';
import { MlopsChecks } from './mlops-rules';
import { PlatformVpc } from './platform-vpc';

/** The account AWS publishes its Deep Learning Containers from in the regions open by default (aws/deep-learning-containers available_images.md). */
const DLC_GLOBAL_ACCOUNT = '763104351884';

type ModelSpecInput = PlatformSpecInput['models'][number];

export interface SharedStackProps extends StackProps {
  readonly spec: PlatformSpec;
}

/** The prefix of the platform's artifacts bucket the audit report is published under. */
export const AUDIT_REPORT_PREFIX = 'audit/';

/**
 * What every endpoint of one account and region uses: a key, the alarm topic (the platform's
 * addresses subscribed), the access logs bucket and, at the strict level, the network.
 */
export abstract class PlatformEnvironmentStack extends Stack {
  public readonly key: kms.IKey;
  public readonly alarmTopic: sns.Topic;
  public readonly accessLogs: s3.IBucket;
  /** The platform's network, at the strict governance level: every model runs in it. */
  public readonly network?: PlatformVpc;

  constructor(scope: Construct, id: string, props: SharedStackProps, keyDescription: string) {
    super(scope, id, props);
    this.key = keyOrNew(this, 'PlatformKey', undefined, keyDescription);
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: this.key, enforceSSL: true, displayName: `${props.spec.name} alarms` });
    allowAlarmPublishing(this, this.alarmTopic);
    for (const email of props.spec.aws.alarmEmails) this.alarmTopic.addSubscription(new subs.EmailSubscription(email));
    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs');
    if (props.spec.governance.level === 'strict') {
      this.network = new PlatformVpc(this, 'Network', { flowLogsBucket: this.accessLogs });
    }
  }
}

/** What every model stack of a platform uses. */
export class SharedStack extends PlatformEnvironmentStack {
  /** Where training writes model artifacts and registries point endpoints to. */
  public readonly artifacts: s3.Bucket;
  /** Data scientist, ML engineer and auditor roles, when `governance.personas` is on. */
  public readonly personas?: Personas;

  constructor(scope: Construct, id: string, props: SharedStackProps) {
    super(scope, id, props, `cdk-mlops platform ${props.spec.name}: alarm topic and model artifacts`);
    this.artifacts = new SecureBucket(this, 'ModelArtifacts', {
      encryptionKey: this.key,
      accessLogs: this.accessLogs,
      accessLogsPrefix: 'model-artifacts/',
      replicationReason: 'Model artifacts are reproducible from versioned training data and code; versioning and retention protect them in-region.',
    });
    // The audit report is published beside the artifacts (`aws s3 cp cdk.out/audit <uri> --recursive`),
    // where the auditor persona may read it and nothing else.
    const auditReport = { bucket: this.artifacts, prefix: AUDIT_REPORT_PREFIX, key: this.key };
    new CfnOutput(this, 'AuditReportUri', { value: `s3://${this.artifacts.bucketName}/${AUDIT_REPORT_PREFIX}`, description: 'Where to publish cdk.out/audit/ for the auditor persona' });
    if (props.spec.governance.personas) {
      this.personas = new Personas(this, 'Personas', { scopeTag: { key: PLATFORM_TAG, value: props.spec.name }, auditReport, modelCardKey: this.key });
    }
  }
}

export interface TrainingStackProps extends StackProps {
  /** The platform as validated, defaults applied. */
  readonly spec: PlatformSpec;
  /** The platform as written: constructs parse their own props. */
  readonly specInput: PlatformSpecInput;
  readonly shared: SharedStack;
}

/** The endpoints' key, alarm topic, access logs and network of a delivery stage in another account or region than the platform's. */
export class StageSharedStack extends PlatformEnvironmentStack {
  /** The first stage in this environment. */
  public readonly stage: DeliveryStage;

  constructor(scope: Construct, id: string, props: SharedStackProps & { readonly stage: DeliveryStage }) {
    super(scope, id, props, `cdk-mlops platform ${props.spec.name}, stage ${props.stage.name}: endpoint storage, captured data and alarms`);
    this.stage = props.stage;
  }
}

/** What the platform trains with beyond pipelines: the experiment tracker and the HyperPod clusters. */
export class TrainingStack extends Stack {
  public readonly experimentTracker?: ExperimentTracker;
  public readonly clusters: ReadonlyMap<string, TrainingCluster>;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const { spec, specInput, shared } = props;
    if (specInput.experimentTracker) {
      this.experimentTracker = new ExperimentTracker(this, 'ExperimentTracker', {
        ...specInput.experimentTracker,
        name: spec.experimentTracker?.name ?? DERIVED_NAMES.experimentTracker.of(spec.name),
        accessLogsBucket: shared.accessLogs,
      });
    }
    const clusters = new Map<string, TrainingCluster>();
    (specInput.trainingClusters ?? []).forEach((input, i) => {
      const { aws, name, ...clusterInput } = input;
      // Construct ids are API: the index, never the user's name.
      const existing = aws && ec2.Vpc.fromVpcAttributes(this, `ClusterVpc${i}`, {
        vpcId: aws.vpcId,
        availabilityZones: aws.subnetIds.map((_, z) => `${this.region}${String.fromCharCode(97 + z)}`),
        privateSubnetIds: aws.subnetIds,
      });
      // parsePlatformSpec has checked that a cluster without its own VPC is on a strict platform, which has one.
      const network = existing ? { vpc: existing, vpcSubnets: { subnets: existing.privateSubnets } } : { vpc: shared.network!.vpc, vpcSubnets: shared.network!.subnets };
      clusters.set(name, new TrainingCluster(this, `Cluster${i}`, { ...clusterInput, name: DERIVED_NAMES.trainingCluster.of(spec.name, name), ...network }));
    });
    this.clusters = clusters;
  }
}

export interface SharedEndpointsStackProps extends StackProps {
  /** The platform as validated, defaults applied. */
  readonly spec: PlatformSpec;
  /** The platform as written: constructs parse their own props. */
  readonly specInput: PlatformSpecInput;
  readonly shared: SharedStack;
}

/**
 * The platform's shared endpoints (many models on one endpoint, as inference components), in a stack
 * of their own named `<platform>-shared-endpoints`: the model stacks that place components on them
 * deploy after it, when the endpoints are InService.
 */
export class SharedEndpointsStack extends Stack {
  /** By the spec's name. */
  public readonly endpoints: ReadonlyMap<string, SharedEndpoint>;

  constructor(scope: Construct, id: string, props: SharedEndpointsStackProps) {
    super(scope, id, props);
    const { spec, specInput, shared } = props;
    const endpoints = new Map<string, SharedEndpoint>();
    for (const { name, ...input } of specInput.sharedEndpoints ?? []) {
      // The id is the user's name: renaming a shared endpoint renames (replaces) its SageMaker endpoint anyway.
      endpoints.set(name, new SharedEndpoint(this, name, { ...input, endpointName: SHARED_ENDPOINT_NAMES.endpoint.of(spec.name, name), ...shared.network?.placement }));
    }
    this.endpoints = endpoints;
  }
}

export interface ModelStackProps extends StackProps {
  /** The model as validated, defaults applied. */
  readonly model: ModelSpec;
  /** The model as written: constructs parse their own props. */
  readonly modelInput: ModelSpecInput;
  readonly shared: SharedStack;
  /** Registries of other models this one deploys from. */
  readonly registries: ReadonlyMap<string, ModelRegistry>;
  /** The models of the platform, by name: a model deploying from another's registry serves that model's registered image. */
  readonly models: ReadonlyMap<string, ModelSpec>;
  /** The platform's name: pipelines are named `<platform>-<model>`. */
  readonly platformName: string;
  /** The tracker the model's pipeline logs to. @default - none */
  readonly experimentTracker?: ExperimentTracker;
  /** The platform's shared endpoints, when it has any: a model served as an inference component is placed on one. */
  readonly sharedEndpoints?: SharedEndpointsStack;
  /**
   * The stages a model following its registry is delivered through: the stack holds the delivery
   * state machine, the endpoints are in the stages' stacks.
   * @default - not delivered: the stack holds the model's endpoint
   */
  readonly deliveryStages?: readonly DeliveryStageTarget[];
  /** Accounts of delivery stages that deploy from this model's registry: they read its packages, artifacts and key. @default - none */
  readonly deliveryReaderAccounts?: readonly string[];
}

/** One model: its registry, endpoint (of its own, an inference component of a shared endpoint, or delivered through stages), batch transform, build pipeline, feature store and drift monitor. */
export class ModelStack extends Stack {
  public readonly registry?: ModelRegistry;
  /** The model's endpoint of its own; undefined when it is served as an inference component, delivered through stages (see {@link AwsPlatform.stages}) or batch only. */
  public readonly endpoint?: ModelEndpoint;
  /** The model as an inference component of a shared endpoint; undefined when it has an endpoint of its own. */
  public readonly component?: InferenceComponent;
  /** The batch transform pipeline, when the model has a `batch` section. */
  public readonly batch?: BatchTransform;
  /** The delivery of a model that follows its registry. */
  public readonly delivery?: ModelDelivery;
  public readonly pipeline?: MlPipeline;
  public readonly featureStore?: FeatureStore;
  public readonly driftMonitor?: DriftMonitor;
  /** The model's card, when the spec has one. */
  public readonly card?: ModelCard;

  constructor(scope: Construct, id: string, props: ModelStackProps) {
    super(scope, id, props);
    const { model, shared } = props;
    const pipelineName = DERIVED_NAMES.pipeline.of(props.platformName, model.name);
    if (model.registry) {
      this.registry = new ModelRegistry(this, 'Registry', {
        ...props.modelInput.registry,
        // Each later stage's account reads the approved packages, their artifacts and key (the registry's group, bucket and key policies).
        crossAccountReadAccountIds: [...new Set([...(props.modelInput.registry?.crossAccountReadAccountIds ?? []), ...(props.deliveryReaderAccounts ?? [])])],
        name: model.registry.name ?? model.name,
        notificationTopic: shared.alarmTopic,
        artifactsBucket: shared.artifacts,
        // The model's pipeline registers what it trains, from its outputs; versions registered
        // otherwise keep their artifacts there too.
        artifactsPrefix: pipelineOutputKeyPrefix(pipelineName),
      });
    }
    if (props.modelInput.card) {
      this.card = new ModelCard(this, 'Card', {
        ...props.modelInput.card,
        encryptionKey: shared.key,
        modelPackageGroupName: this.registry?.modelPackageGroupName,
        modelDescription: model.description,
        namePrefix: model.name,
      });
    }
    const endpointSpec = model.endpoint;
    if (props.deliveryStages) {
      this.delivery = this.renderDelivery(model, props.registries, shared, props.platformName, props.deliveryStages);
    } else if (endpointSpec && isComponentEndpoint(endpointSpec)) {
      this.component = this.addComponent(props, props.modelInput.endpoint as ComponentEndpointSpecInput, this.sourceOf(model, model.source, props.registries, props.models));
    } else if (endpointSpec) {
      const input = props.modelInput.endpoint as EndpointSpecInput;
      this.endpoint = new ModelEndpoint(this, 'Endpoint', {
        ...input,
        source: this.sourceOf(model, model.source, props.registries, props.models),
        // parsePlatformSpec has checked that a shadow names its source.
        shadow: endpointSpec.shadow && input.shadow && { ...input.shadow, source: this.sourceOf(model, endpointSpec.shadow.source!, props.registries, props.models) },
        alarmTopic: shared.alarmTopic,
        accessLogsBucket: shared.accessLogs,
        ...shared.network?.placement,
      });
    }
    if (props.modelInput.pipeline) {
      // parsePlatformSpec has checked that a model with a pipeline has a registry.
      this.pipeline = new MlPipeline(this, 'Pipeline', {
        spec: props.modelInput.pipeline,
        registry: this.registry,
        pipelineName,
        artifactsBucket: shared.artifacts,
        accessLogsBucket: shared.accessLogs,
        notificationTopic: shared.alarmTopic,
        experimentTracker: props.experimentTracker,
        modelCard: this.card,
        ...shared.network?.placement,
      });
      if (props.experimentTracker) this.addStackDependency(props.experimentTracker.stack, 'its pipeline logs to the experiment tracker');
    }
    if (props.modelInput.featureStore) {
      this.featureStore = new FeatureStore(this, 'FeatureStore', { ...props.modelInput.featureStore, accessLogsBucket: shared.accessLogs });
    }
    if (props.modelInput.batch) this.batch = this.renderBatch(props, props.modelInput.batch);
    // parsePlatformSpec has refused drift on a model served as an inference component (no data capture).
    if (props.modelInput.drift && this.endpoint) {
      this.driftMonitor = new DriftMonitor(this, 'DriftMonitor', {
        ...props.modelInput.drift,
        // parsePlatformSpec has checked that a model delivered through stages (no endpoint here) has no drift section.
        endpoint: this.endpoint,
        alarmTopic: shared.alarmTopic,
        accessLogsBucket: shared.accessLogs,
        retrainPipeline: this.pipeline,
        // parsePlatformSpec has checked that data quality without S3 URIs has the pipeline's baseline.
        baselines: !model.drift?.dataQuality?.baseline && this.pipeline && model.pipeline?.dataQualityBaseline
          ? { dataQuality: Baseline.fromPipelineCheck(this.pipeline, DATA_QUALITY_BASELINE_STEP) }
          : undefined,
        ...shared.network?.placement,
      });
    }
  }

  /** The model on a shared endpoint: its own model and inference component, after the shared endpoints' stack. */
  private addComponent(props: ModelStackProps, input: ComponentEndpointSpecInput, source: ModelSource): InferenceComponent {
    const { sharedEndpoint, ...componentInput } = input;
    // parsePlatformSpec has checked that the shared endpoint exists.
    const endpoint = props.sharedEndpoints?.endpoints.get(sharedEndpoint);
    if (!endpoint) throw new Error(`internal: shared endpoint '${sharedEndpoint}' of model '${props.model.name}' was not rendered`);
    this.addStackDependency(endpoint.stack, `places an inference component on shared endpoint '${sharedEndpoint}', which must be InService`);
    // The id follows the model endpoint's: 'Endpoint' is where the model is served.
    return new InferenceComponent(this, 'Endpoint', {
      ...componentInput,
      endpoint,
      source,
      inferenceComponentName: SHARED_ENDPOINT_NAMES.component.of(props.platformName, props.model.name),
      alarmTopic: props.shared.alarmTopic,
    });
  }

  /** The model's batch transform: the platform key and alarm topic, the platform's VPC, the pipeline's baseline for the quality check. */
  private renderBatch(props: ModelStackProps, batch: NonNullable<ModelSpecInput['batch']>): BatchTransform {
    const { model, shared } = props;
    return new BatchTransform(this, 'Batch', {
      spec: batch,
      source: this.sourceOf(model, model.source, props.registries, props.models),
      pipelineName: DERIVED_NAMES.batchPipeline.of(props.platformName, model.name),
      encryptionKey: shared.key,
      notificationTopic: shared.alarmTopic,
      // parsePlatformSpec has checked that a quality check has the pipeline's data-quality baseline.
      qualityBaseline: model.batch?.qualityCheck && this.pipeline ? Baseline.fromPipelineCheck(this.pipeline, DATA_QUALITY_BASELINE_STEP) : undefined,
      ...shared.network?.placement,
    });
  }

  private sourceOf(model: ModelSpec, source: ModelSourceSpec, registries: ReadonlyMap<string, ModelRegistry>, models: ReadonlyMap<string, ModelSpec>): ModelSource {
    if ('image' in source) {
      return ModelSource.fromImage(ModelImage.fromUri(source.image), source.modelDataUrl ? ModelData.fromS3Uri(source.modelDataUrl) : undefined);
    }
    const registry = this.registryOf(model, registries);
    const image = registeredImageOf(models.get(source.registryOf ?? model.name));
    // parsePlatformSpec has checked that a model without stages pins a version (a model following the registry is delivered).
    return ModelSource.fromRegistry(registry, { version: source.registryVersion as number, image });
  }

  /** The registry a model deploys from (its own or another model's): this stack deploys after it. */
  private registryOf(model: ModelSpec, registries: ReadonlyMap<string, ModelRegistry>): ModelRegistry {
    const owner = ('registryOf' in model.source && model.source.registryOf) || model.name;
    const registry = owner === model.name ? this.registry : registries.get(owner);
    // parsePlatformSpec has checked that the owner exists and has a registry.
    if (!registry) throw new Error(`internal: registry of model '${owner}' was not rendered before model '${model.name}'`);
    if (registry.stack !== this) this.addDependency(registry.stack, `deploys a version from the registry of '${owner}'`);
    return registry;
  }

  /** The state machine delivering each approved version through the stages; the registry's group names it in a tag (the `mlops` CLI's way to it). */
  private renderDelivery(model: ModelSpec, registries: ReadonlyMap<string, ModelRegistry>, shared: SharedStack, platformName: string, stages: readonly DeliveryStageTarget[]): ModelDelivery {
    const registry = this.registryOf(model, registries);
    const name = DERIVED_NAMES.delivery.of(platformName, model.name);
    const delivery = new ModelDelivery(this, 'Delivery', {
      name, registry, stages, alarmTopic: shared.alarmTopic, encryptionKey: shared.key,
      // Stages in other regions: replicated from the registry's artifacts (its prefix of the platform's bucket).
      crossRegion: { name: DERIVED_NAMES.crossRegionDelivery.of(platformName, model.name), artifactsBucket: registry.artifactsBucket ?? shared.artifacts, artifactsPrefix: registry.artifactsPrefix ?? '' },
    });
    // Built from the known name, not a reference: the registry's stack must not depend on this one.
    Tags.of(registry).add(DELIVERY_TAG, this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    return delivery;
  }
}

export interface StageStackProps extends StackProps {
  /** The model as validated, defaults applied. */
  readonly model: ModelSpec;
  /** The model as written: the endpoint parses its own props. */
  readonly modelInput: ModelSpecInput;
  readonly stage: DeliveryStage;
  /** The stage environment's key, alarm topic, access logs and network. */
  readonly environment: PlatformEnvironmentStack;
  readonly platformName: string;
  /** The registry's account (the platform's), model package group name and artifacts prefix. */
  readonly registry: { readonly account: string; readonly groupName: string; readonly artifactsPrefix: string };
  /** The image URI the registry's versions are registered with, when the platform's pipeline registers them. */
  readonly imageUri?: string;
  /**
   * True when the stage is in another region than the registry's: its endpoint serves the version's
   * replica there (same group name, account and artifacts prefix), deployed by the cross-region function.
   * @default false
   */
  readonly crossRegion?: boolean;
}

export interface RegistryReplicaStackProps extends StackProps {
  readonly replica: ConstructorParameters<typeof RegistryReplica>[2];
}

/** A model registry's replica in a delivery stage's region, in the registry's account (named `<platform>-<model>-replica-<region>`). */
export class RegistryReplicaStack extends Stack {
  public readonly replica: RegistryReplica;

  constructor(scope: Construct, id: string, props: RegistryReplicaStackProps) {
    super(scope, id, props);
    this.replica = new RegistryReplica(this, 'Replica', props.replica);
  }
}

/** The warning when the monitors of a stage in another account than the registry's read S3 objects named in the drift section. */
export const STAGE_MONITOR_DATA_WARNING = 'cdk-mlops:stageMonitorDataCrossAccount';

/** The warning (printed by `mlops synth`) when a stage's endpoint pulls its image from a private repository of another account. */
export const STAGE_IMAGE_PULL_WARNING = 'cdk-mlops:stageImagePullCrossAccount';

/**
 * A model's endpoint in one delivery stage. CloudFormation stays the source of truth: the endpoint
 * serves the model package named by the stack parameter `ModelPackageArn`, which only the delivery
 * state machine changes (an UpdateStack with the previous template); `cdk deploy` keeps the value
 * the stack has (`--previous-parameters`, on by default). Until the first delivery the parameter is
 * `none` and the stack holds no endpoint, only the role the state machine deploys it with.
 */
export class StageStack extends Stack {
  public readonly modelPackageArn: CfnParameter;
  /** True once a version was delivered: every endpoint resource is conditioned on it. */
  public readonly hasModelPackage: CfnCondition;
  public readonly endpoint: ModelEndpoint;
  /** The model's monitors on the stage's endpoint, when the model has a drift section: created with the endpoint, at the first delivery. */
  public readonly driftMonitor?: DriftMonitor;
  public readonly deployRole: StageDeployRole;
  public readonly stage: DeliveryStage;
  /** The delivered model's name. */
  public readonly model: string;
  /** The name of the role the delivery state machine assumes here. */
  public readonly deployRoleName: string;

  constructor(scope: Construct, id: string, props: StageStackProps) {
    super(scope, id, props);
    const { model, stage, environment, registry } = props;
    this.stage = stage;
    this.model = model.name;
    this.deployRoleName = DERIVED_NAMES.deployRole.of(props.platformName, model.name, stage.name);
    this.modelPackageArn = new CfnParameter(this, DELIVERY_RENDERING.parameterName, {
      type: 'String',
      default: DELIVERY_RENDERING.noPackage,
      allowedPattern: `^(${DELIVERY_RENDERING.noPackage}|arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:${Token.isUnresolved(registry.account) ? '[0-9]{12}' : registry.account}:model-package/.+)$`,
      description: `The ${registry.groupName} version serving in stage ${stage.name}: set by the delivery state machine (${DERIVED_NAMES.delivery.of(props.platformName, model.name)}); '${DELIVERY_RENDERING.noPackage}' until the first delivery (no endpoint). cdk deploy keeps its current value.`,
    });
    this.hasModelPackage = new CfnCondition(this, 'HasModelPackage', { expression: Fn.conditionNot(Fn.conditionEquals(this.modelPackageArn.valueAsString, DELIVERY_RENDERING.noPackage)) });
    // parsePlatformSpec has checked that a delivered model has an endpoint of its own.
    const endpointInput = props.modelInput.endpoint as EndpointSpecInput;
    this.endpoint = new ModelEndpoint(this, 'Endpoint', {
      ...endpointInput,
      shadow: this.shadowOf(props),
      source: ModelSource.fromDeliveredPackage(this.modelPackageArn.valueAsString, { registryAccount: registry.account, modelPackageGroupName: registry.groupName, artifactsPrefix: registry.artifactsPrefix, image: props.imageUri ? ModelImage.fromUri(props.imageUri) : undefined }),
      alarmTopic: environment.alarmTopic,
      accessLogsBucket: environment.accessLogs,
      ...environment.network?.placement,
    });
    for (const c of this.endpoint.node.findAll()) if (c instanceof CfnResource) c.cfnOptions.condition = this.hasModelPackage;
    const shadowSource = (model.endpoint as EndpointSpec).shadow?.source;
    for (const uri of [props.imageUri, shadowSource && 'image' in shadowSource ? shadowSource.image : undefined]) if (uri) this.warnImageInAnotherAccount(uri);
    this.driftMonitor = this.renderDriftMonitor(props);
    this.deployRole = new StageDeployRole(this, 'DeployRole', {
      roleName: this.deployRoleName,
      deliveryAccount: registry.account,
      deliveryRoleArn: this.deliveryRoleArnOf(props),
      stackName: this.stackName,
      cloudFormationRoleArn: this.cloudFormationRoleArn,
    });
  }

  /**
   * Who deploys this stack: the delivery state machine's role, or, for a stage in another region than
   * the registry's, the role of the function that reaches that region (Step Functions' SDK calls stay in theirs).
   */
  private deliveryRoleArnOf(props: StageStackProps): string {
    const name = props.crossRegion ? DERIVED_NAMES.crossRegionDelivery.of(props.platformName, props.model.name) : DERIVED_NAMES.delivery.of(props.platformName, props.model.name);
    return `arn:${this.partition}:iam::${props.registry.account}:role/${name}`;
  }

  /**
   * The endpoint's shadow variant: a pinned candidate served beside the version the delivery put in
   * production, in every stage (what a shadow test compares the delivered versions with). Its image,
   * or a version of the delivered registry, read like the delivered package (the registry's
   * group, bucket and key policies grant the stage accounts that registry only).
   * parsePlatformSpec has checked that a registry version is of the delivered registry.
   */
  private shadowOf(props: StageStackProps): ModelEndpointProps['shadow'] {
    const input = (props.modelInput.endpoint as EndpointSpecInput).shadow;
    const source = (props.model.endpoint as EndpointSpec).shadow?.source;
    if (!input || !source) return undefined;
    if ('image' in source) return { ...input, source: ModelSource.fromImage(ModelImage.fromUri(source.image), source.modelDataUrl ? ModelData.fromS3Uri(source.modelDataUrl) : undefined) };
    const { registry } = props;
    const packageArn = this.formatArn({ service: 'sagemaker', account: registry.account, resource: 'model-package', resourceName: `${registry.groupName.toLowerCase()}/${source.registryVersion}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    return { ...input, source: ModelSource.fromDeliveredPackage(packageArn, { registryAccount: registry.account, modelPackageGroupName: registry.groupName, artifactsPrefix: registry.artifactsPrefix, image: props.imageUri ? ModelImage.fromUri(props.imageUri) : undefined }) };
  }

  /**
   * The model's monitors on this stage's endpoint, conditioned like it (Model Monitor schedules an
   * existing endpoint: nothing is created while `ModelPackageArn` is 'none'). Their drift, quality
   * and failed-execution alarms are named by CloudFormation after this stack, so the delivery's bake
   * reads them; the silence alarms are named apart: a new monitor is silent (in ALARM) until its first
   * run, hours after the deploy, and would fail every first delivery's bake.
   * parsePlatformSpec has checked that every baseline is given by URI and that nothing retrains.
   */
  private renderDriftMonitor(props: StageStackProps): DriftMonitor | undefined {
    const drift = props.modelInput.drift;
    if (!drift) return undefined;
    const { environment } = props;
    const monitor = new DriftMonitor(this, 'DriftMonitor', {
      ...drift,
      endpoint: this.endpoint,
      alarmTopic: environment.alarmTopic,
      accessLogsBucket: environment.accessLogs,
      ...environment.network?.placement,
    });
    for (const c of monitor.node.findAll()) if (c instanceof CfnResource) c.cfnOptions.condition = this.hasModelPackage;
    for (const [type, alarm] of Object.entries(monitor.silenceAlarms)) (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName = `monitor-silence-${this.stackName}-${type}`;
    if (props.model.drift && !Token.isUnresolved(props.registry.account) && !Token.isUnresolved(this.account) && props.registry.account !== this.account) this.warnMonitorDataInAnotherAccount(monitor, props.model.drift);
    return monitor;
  }

  /**
   * The baselines, ground truth and Clarify configurations the monitors read were named for the
   * platform's account: in a bucket of another account than the stage's, that bucket's policy must
   * let the stage account read them (the monitor role's own policy is not enough across accounts).
   */
  private warnMonitorDataInAnotherAccount(monitor: DriftMonitor, drift: NonNullable<ModelSpec['drift']>): void {
    const objects = [drift.dataQuality?.baseline, drift.modelQuality?.baseline, drift.modelBias?.baseline, drift.modelExplainability?.baseline]
      .flatMap((b): string[] => (b ? [b.constraintsUri, ...('statisticsUri' in b && typeof b.statisticsUri === 'string' ? [b.statisticsUri] : [])] : []));
    const configs = [drift.modelBias?.analysisConfigUri, drift.modelExplainability?.analysisConfigUri].filter((u): u is string => u !== undefined);
    const prefixes = [drift.modelQuality?.groundTruthUri, drift.modelBias?.groundTruthUri].filter((u): u is string => u !== undefined).map((u) => `${u.replace(/\/+$/, '')}/*`);
    const arns = [...new Set([...objects, ...configs, ...prefixes])].map((u) => u.replace(/^s3:\/\//, 'arn:aws:s3:::'));
    if (arns.length === 0) return;
    const statement = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${this.account}:root` }, Action: 's3:GetObject', Resource: arns };
    Annotations.of(monitor).addWarningV2(STAGE_MONITOR_DATA_WARNING,
      `The monitors of model '${this.model}' in stage '${this.stage.name}' (account ${this.account}) read ${arns.length} object(s) or prefix(es) named in its drift section. A bucket of another account must let account ${this.account} read them: add ${JSON.stringify(statement)} to its bucket policy (and s3:ListBucket on the ground-truth buckets, kms:Decrypt for an SSE-KMS key).`);
  }

  /**
   * SageMaker pulls the endpoint's image with the execution role of the stage's account: from a
   * private repository of another account (the registry's, where the pipeline pushed it), only if
   * that repository's policy allows the stage account (the role's own policy is not enough across
   * accounts). This platform creates no repository to grant it on: the warning says what to add.
   * AWS's published images (Deep Learning Containers, built-in algorithms) let every account pull.
   */
  private warnImageInAnotherAccount(imageUri: string): void {
    const match = Token.isUnresolved(imageUri) ? undefined : ECR_IMAGE_URI.exec(imageUri);
    if (!match || Token.isUnresolved(this.account)) return;
    const [, account, region, , repository] = match;
    if (account === this.account || isAwsImageAccount(account)) return;
    const statement = { Sid: `PullFrom${this.stage.name.replace(/[^A-Za-z0-9]/g, '')}${this.account}`, Effect: 'Allow', Principal: { AWS: `arn:${Token.isUnresolved(this.partition) ? 'aws' : this.partition}:iam::${this.account}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] };
    Annotations.of(this.endpoint).addWarningV2(STAGE_IMAGE_PULL_WARNING,
      `Model '${this.model}' in stage '${this.stage.name}' (account ${this.account}) serves image ${imageUri}, from the private ECR repository '${repository}' of account ${account} (${region}): SageMaker pulls it only if that repository's policy lets account ${this.account} pull. Add this statement to the repository policy of '${repository}' in account ${account}: ${JSON.stringify(statement)}`);
  }

  /** The role CloudFormation deploys this stack with: cdk bootstrap's execution role. */
  public get cloudFormationRoleArn(): string {
    const synthesizer = this.synthesizer;
    const arn = synthesizer instanceof DefaultStackSynthesizer ? synthesizer.cloudFormationExecutionRoleArn : `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-\${AWS::AccountId}-\${AWS::Region}`;
    return Fn.sub(arn);
  }
}

export interface AwsPlatformProps {
  /** The platform as written (a TypeScript object, or `loadPlatformSpec(file)`). */
  readonly spec: PlatformSpecInput;
}

/** A whole platform on AWS: the shared stack and a stack per model, named `<platform>-shared`, `<platform>-<model>`. */
export class AwsPlatform extends Construct {
  public readonly spec: PlatformSpec;
  public readonly shared: SharedStack;
  /** The shared endpoints, when the platform has any. */
  public readonly sharedEndpoints?: SharedEndpointsStack;
  /** The experiment tracker and training clusters, when the platform has any. */
  public readonly training?: TrainingStack;
  public readonly models: ReadonlyMap<string, ModelStack>;
  /** Across the models, in the shared stack (search expressions: no export per model). */
  public readonly dashboard: PlatformDashboard;
  /** The stage stacks of each model delivered through stages, in stage order. */
  public readonly stages: ReadonlyMap<string, readonly StageStack[]>;
  /** The shared stacks of stages in another account or region than the platform's, by stage name. */
  public readonly stageEnvironments = new Map<string, StageSharedStack>();
  /** The registry replicas of each model delivered to stages in other regions, by model name, then region. */
  public readonly replicas = new Map<string, Map<string, RegistryReplicaStack>>();

  constructor(scope: Construct, id: string, props: AwsPlatformProps) {
    super(scope, id);
    const spec = parsePlatformSpecFor('aws', props.spec, this.node.path);
    this.spec = spec;
    const env = spec.aws.account || spec.aws.region ? { account: spec.aws.account, region: spec.aws.region } : undefined;
    this.shared = new SharedStack(this, 'Shared', { spec, env, stackName: DERIVED_NAMES.sharedStack.of(spec.name), description: `cdk-mlops platform ${spec.name}: shared key, alarm topic, artifacts and access logs` });

    if (spec.sharedEndpoints.length > 0) {
      this.sharedEndpoints = new SharedEndpointsStack(this, 'SharedEndpoints', { spec, specInput: props.spec, shared: this.shared, env, stackName: SHARED_ENDPOINT_NAMES.stack.of(spec.name), description: `cdk-mlops platform ${spec.name}: endpoints shared by several models (inference components)` });
    }
    if (spec.experimentTracker || spec.trainingClusters.length > 0) {
      this.training = new TrainingStack(this, 'Training', { spec, specInput: props.spec, shared: this.shared, env, stackName: DERIVED_NAMES.trainingStack.of(spec.name), description: `cdk-mlops platform ${spec.name}: experiment tracking and training clusters` });
    }

    // Models whose registry others deploy from are rendered first.
    const order = [...spec.models].sort((a, b) => Number(usesOtherRegistry(a)) - Number(usesOtherRegistry(b)));
    const registries = new Map<string, ModelRegistry>();
    const models = new Map<string, ModelStack>();
    const modelSpecs = new Map(spec.models.map((m) => [m.name, m]));
    const stages = this.renderStages(spec, props.spec);
    this.stages = stages;
    for (const model of order) {
      const modelInput = props.spec.models.find((m) => m.name === model.name)!;
      const deliveryStages = stages.get(model.name)?.map((st) => deliveryTargetOf(st, this.replicas.get(model.name)?.get(st.region)));
      // The stages of the registry's region read it; those of other regions read its replica there.
      const deliveryReaderAccounts = [...new Set(spec.models.filter((m) => followsRegistry(m) && registryOwnerOf(m) === model.name)
        .flatMap(() => deliveryStagesOf(spec).filter((st) => !isCrossRegionStage(spec, st)).map((st) => st.account).filter((a): a is string => a !== undefined && a !== spec.aws.account)))];
      const stack = new ModelStack(this, model.name, { model, modelInput, shared: this.shared, registries, models: modelSpecs, platformName: spec.name, experimentTracker: this.training?.experimentTracker, deliveryStages, deliveryReaderAccounts, sharedEndpoints: this.sharedEndpoints, env, stackName: DERIVED_NAMES.modelStack.of(spec.name, model.name), description: `cdk-mlops platform ${spec.name}: model ${model.name}` });
      if (stack.registry) registries.set(model.name, stack.registry);
      models.set(model.name, stack);
      // The delivery copies versions into the replicas: they exist before it runs.
      for (const replica of this.replicas.get(model.name)?.values() ?? []) stack.addStackDependency(replica, 'its delivery replicates versions into the registry replica of a stage region');
    }
    this.models = models;
    // Each model's own endpoint, and the endpoints models share (their names are literals: no export).
    const endpointNames = [
      ...spec.models.flatMap((m) => models.get(m.name)!.endpoint?.endpointName ?? []),
      ...[...(this.sharedEndpoints?.endpoints.values() ?? [])].map((e) => e.endpointName),
      // A delivered model's stage endpoints in the platform's own account and region (the others
      // publish their metrics in their own accounts, where each endpoint has its dashboard).
      ...[...stages.values()].flat().filter((st) => st.account === this.shared.account && st.region === this.shared.region).map((st) => st.endpoint.endpointName),
    ];
    this.dashboard = new PlatformDashboard(this.shared, 'PlatformDashboard', { platformName: spec.name, endpointNames });
    // What a model costs and owns is read from the templates by this tag (lib/cost, the audit report).
    for (const [name, stack] of [...models, ...[...stages].flatMap(([name, list]) => list.map((st) => [name, st] as const)), ...[...this.replicas].flatMap(([name, m]) => [...m.values()].map((st) => [name, st] as const))]) {
      Tags.of(stack).add(MODEL_TAG, name, { excludeResourceTypes: [...TAG_REPLACES_TYPES] });
    }
    // A tag change replaces a feature group (and loses its data): tags never reach one.
    for (const [key, value] of Object.entries({ ...spec.tags, [PLATFORM_TAG]: spec.name })) Tags.of(this).add(key, value, { excludeResourceTypes: [...TAG_REPLACES_TYPES] });
    const governance = { level: spec.governance.level, requiredTags: requiredTagsOf(spec.governance), permissionsBoundary: spec.governance.permissionsBoundary };
    if (governance.permissionsBoundary) {
      iam.PermissionsBoundary.of(this).apply(iam.ManagedPolicy.fromManagedPolicyArn(this, 'PermissionsBoundary', governance.permissionsBoundary));
    }
    // The MLOps pack holds this platform's resources to its level; the templates say which, for the audit report.
    MlopsChecks.govern(this, governance);
    const replicaStacks = [...this.replicas.values()].flatMap((m) => [...m.values()]);
    for (const stack of [this.shared, ...(this.sharedEndpoints ? [this.sharedEndpoints] : []), ...(this.training ? [this.training] : []), ...models.values(), ...this.stageEnvironments.values(), ...[...stages.values()].flat(), ...replicaStacks]) stack.templateOptions.metadata = { ...stack.templateOptions.metadata, [GOVERNANCE_METADATA_KEY]: governance };
  }

  /** A stack per (model following its registry, stage), in the stage's account and region, with the stage environment's shared stack. */
  private renderStages(spec: PlatformSpec, input: PlatformSpecInput): Map<string, StageStack[]> {
    const stages = new Map<string, StageStack[]>();
    const platformEnv = envKey(spec.aws.account, spec.aws.region);
    for (const model of spec.models.filter(followsRegistry)) {
      const owner = spec.models.find((m) => m.name === registryOwnerOf(model))!;
      // parsePlatformSpec has checked that the owner has a registry, and that a stage in another account knows the platform's.
      const registry = { account: spec.aws.account ?? Aws.ACCOUNT_ID, groupName: owner.registry!.name ?? owner.name, artifactsPrefix: pipelineOutputKeyPrefix(DERIVED_NAMES.pipeline.of(spec.name, owner.name)) };
      const list = deliveryStagesOf(spec).map((stage) => {
        const env = stage.account || stage.region ? { account: stage.account, region: stage.region } : undefined;
        const environment = envKey(stage.account, stage.region) === platformEnv ? this.shared : this.stageEnvironmentOf(spec, stage, env);
        const crossRegion = isCrossRegionStage(spec, stage);
        const stack = new StageStack(this, `${model.name}-${stage.name}`, {
          model, modelInput: input.models.find((m) => m.name === model.name)!, stage, environment, platformName: spec.name, registry, crossRegion,
          imageUri: crossRegion ? this.regionalImageUriOf(owner, stage.region!) : registeredImageUriOf(owner),
          env, stackName: DERIVED_NAMES.stageStack.of(spec.name, model.name, stage.name), description: `cdk-mlops platform ${spec.name}: model ${model.name} in stage ${stage.name}`,
        });
        if (crossRegion) this.warnImageRegion(stack, owner, stage.region!);
        return stack;
      });
      stages.set(model.name, list);
      this.renderReplicas(spec, model, registry);
    }
    return stages;
  }

  /**
   * The registry's replica in each stage region other than the platform's, in the registry's account:
   * its group, bucket and key grant the stage accounts of that region (other than the registry's).
   */
  private renderReplicas(spec: PlatformSpec, model: ModelSpec, registry: { readonly account: string; readonly groupName: string; readonly artifactsPrefix: string }): void {
    const byRegion = new Map<string, RegistryReplicaStack>();
    const crossRegion = deliveryStagesOf(spec).filter((st) => isCrossRegionStage(spec, st));
    for (const region of new Set(crossRegion.map((st) => st.region!))) {
      const readerAccountIds = [...new Set(crossRegion.filter((st) => st.region === region).map((st) => st.account).filter((a): a is string => a !== undefined && a !== spec.aws.account))];
      byRegion.set(region, new RegistryReplicaStack(this, `${model.name}-replica-${region}`, {
        env: { account: spec.aws.account, region },
        stackName: DERIVED_NAMES.replicaStack.of(spec.name, model.name, region),
        description: `cdk-mlops platform ${spec.name}: replica of ${registry.groupName} for the delivery stages in ${region}`,
        replica: { modelPackageGroupName: registry.groupName, artifactsPrefix: registry.artifactsPrefix, readerAccountIds },
      }));
    }
    if (byRegion.size > 0) this.replicas.set(model.name, byRegion);
  }

  /** The registered image in another region: an ECR image of the platform's region is expected at the same path there (ECR replication). */
  private regionalImageUriOf(owner: ModelSpec, region: string): string | undefined {
    const uri = registeredImageUriOf(owner);
    return uri === undefined || Token.isUnresolved(uri) ? uri : regionalEcrImage(uri, this.spec.aws.region!, region);
  }

  /**
   * SageMaker pulls a model's image from its own region's ECR: the image must be replicated there. An
   * image AWS publishes from a per-region account (built-in algorithms, monitoring) is at another
   * account's path in each region, so moving it to the stage's region names nothing: refused.
   */
  private warnImageRegion(stack: StageStack, owner: ModelSpec, region: string): void {
    const uri = registeredImageUriOf(owner);
    const from = this.spec.aws.region!;
    const regional = uri === undefined || Token.isUnresolved(uri) ? undefined : regionalEcrImage(uri, from, region);
    const account = regional !== undefined && regional !== uri ? regional.split('.')[0] : undefined;
    if (account !== undefined && isAwsImageAccount(account) && account !== DLC_GLOBAL_ACCOUNT) {
      const i = (this.spec.delivery?.stages ?? []).findIndex((st) => st.name === stack.stage.name);
      throw new MlopsValidationError({ kind: 'AwsPlatform', id: this.spec.name }, [{
        path: `delivery.stages[${i}].region`,
        message: `is another region than the registry's, and model '${owner.name}' serves an image AWS publishes from account ${account} for ${from} (${uri}): AWS publishes it from another account in each region, so the replica's image ${regional} does not exist`,
        got: renderValue(region),
        expected: `'${from}' (the registry's region), or a model image of your own replicated to ${region}`,
      }]);
    }
    Annotations.of(stack).addWarningV2('cdk-mlops:crossRegionImage', account === DLC_GLOBAL_ACCOUNT
      ? `Stage '${stack.stage.name}' is in ${region}: the delivery registers each version's replica with the image ${regional} (SageMaker pulls an ECR image of the model's region only). AWS publishes Deep Learning Containers from ${DLC_GLOBAL_ACCOUNT} in most regions, but from other accounts in opt-in regions (ap-east-1, me-south-1, af-south-1, eu-south-1, il-central-1 and others): check that ${regional} exists before a version is delivered.`
      : `Stage '${stack.stage.name}' is in ${region}: SageMaker pulls an ECR image of the model's region only, and the delivery moves an image of ${from} to the same repository in ${region}${regional !== undefined && regional !== uri ? ` (${regional})` : ''}: replicate the repository there (ECR replication rules) or push the image there before a version is delivered.`);
  }

  /** One shared stack per stage environment other than the platform's, named after the first stage there. */
  private stageEnvironmentOf(spec: PlatformSpec, stage: DeliveryStage, env: { account?: string; region?: string } | undefined): StageSharedStack {
    const key = envKey(stage.account, stage.region);
    const existing = [...this.stageEnvironments.values()].find((s) => envKey(s.stage.account, s.stage.region) === key);
    if (existing) return existing;
    const stack = new StageSharedStack(this, `Shared-${stage.name}`, { spec, stage, env, stackName: DERIVED_NAMES.stageSharedStack.of(spec.name, stage.name), description: `cdk-mlops platform ${spec.name}: stage ${stage.name}'s key, alarm topic and access logs` });
    this.stageEnvironments.set(stage.name, stack);
    return stack;
  }
}

/** What a model's pipeline registers: its inference image, else its training image. */
function registeredImageUriOf(owner: ModelSpec | undefined): string | undefined {
  const pipeline = owner?.pipeline;
  return pipeline ? pipeline.register.image ?? pipeline.train.image : undefined;
}

function registeredImageOf(owner: ModelSpec | undefined): ModelImage | undefined {
  const uri = registeredImageUriOf(owner);
  return uri ? ModelImage.fromUri(uri) : undefined;
}

function envKey(account: string | undefined, region: string | undefined): string {
  return `${account ?? ''}/${region ?? ''}`;
}

function registryOwnerOf(model: ModelSpec): string {
  return ('registryOf' in model.source && model.source.registryOf) || model.name;
}

function deliveryTargetOf(stack: StageStack, replica: RegistryReplicaStack | undefined): DeliveryStageTarget {
  return {
    ...stack.stage,
    stackName: stack.stackName,
    account: stack.account,
    region: stack.region,
    replicaStackName: replica?.stackName,
    // From the known name, not a reference: the stage may be another account.
    deployRoleArn: stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: stack.deployRoleName }),
    cloudFormationRoleArn: stack.cloudFormationRoleArn,
  };
}

function usesOtherRegistry(model: ModelSpec): boolean {
  return 'registryVersion' in model.source && model.source.registryOf !== undefined && model.source.registryOf !== model.name;
}
