/**
 * Renders a PlatformSpec onto Kubernetes: one cdktf stack named after the platform, with the
 * namespace and its governance, the registry (one MLflow server that every model's registry shares)
 * and one endpoint per model. Objects that need CRDs (KServe InferenceServices, the pipelines' Argo
 * WorkflowTemplates and CronWorkflows, the training clusters' Kueue queues, the drift monitors'
 * PrometheusRules) go in a stack of their own so this one plans on a cluster without them. Each
 * model's feature store and drift monitor live under its construct; the experiment tracker shares
 * the registries' MLflow server when there is one.
 */
import { Annotations, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { DriftMonitor, ExperimentTracker, FeatureStore, KubernetesModelSource, MlPipeline, ModelEndpoint, ModelRegistry, PlatformNamespace, TrainingCluster } from '../../constructs/kubernetes';
import { MlopsValidationError } from '../../lib/errors';
import { KubernetesBackendSpec, LATEST_APPROVED, ModelSpec, parsePlatformSpec, PlatformKubernetesSpec, platformKubernetesSchema, PlatformSpec, PlatformSpecInput } from '../../lib/spec';
import { addBackend } from './backend';

export interface KubernetesPlatformProps {
  /** The platform as written (a TypeScript object, or `loadPlatformSpec(file)`). */
  readonly spec: PlatformSpecInput;
}

/** A model's Kubernetes objects are named after it, lower-cased (a DNS label). */
export function objectName(model: string): string {
  return model.toLowerCase();
}

/**
 * The objects of a platform that need CRDs (KServe, Argo Workflows, Kueue, PrometheusRules), in a stack of their own named
 * `<platform>-crds`: apply it after the platform stack, on a cluster that has the CRDs.
 */
export class KubernetesCrdStack extends TerraformStack {
  constructor(scope: Construct, id: string, backend: KubernetesBackendSpec) {
    super(scope, id);
    new KubernetesProvider(this, 'kubernetes', {});
    addBackend(this, backend);
  }
}

/**
 * A whole platform on Kubernetes, in one stack of typed resources (plus a CRD stack when an endpoint
 * is served by KServe). Each model's objects live under a construct named after it, as on AWS.
 */
export class KubernetesPlatformStack extends TerraformStack {
  public readonly spec: PlatformSpec;
  public readonly namespace: PlatformNamespace;
  public readonly registries: ReadonlyMap<string, ModelRegistry>;
  public readonly endpoints: ReadonlyMap<string, ModelEndpoint>;
  /** The stack of objects that need CRDs; undefined when the platform has none. */
  public readonly crdStack?: KubernetesCrdStack;
  /** Each model's pipeline (Argo Workflows), by model name. */
  public readonly pipelines: ReadonlyMap<string, MlPipeline>;
  /** The training clusters (Kueue queues), by cluster name. */
  public readonly trainingClusters: ReadonlyMap<string, TrainingCluster>;
  public readonly featureStores: ReadonlyMap<string, FeatureStore>;
  public readonly driftMonitors: ReadonlyMap<string, DriftMonitor>;
  /** The platform's experiment tracker: the registries' MLflow server when there is one. */
  public readonly experimentTracker?: ExperimentTracker;
  private readonly input: PlatformSpecInput;
  private readonly k8s: PlatformKubernetesSpec;
  /** One construct per model, named after it (its objects' Terraform addresses start with it). */
  private readonly scopes: ReadonlyMap<string, Construct>;
  /** One construct per model in the CRD stack, shared by its InferenceService, pipeline and PrometheusRule. */
  private readonly crdScopes = new Map<string, Construct>();

  constructor(scope: Construct, id: string, props: KubernetesPlatformProps) {
    super(scope, id);
    const spec = parsePlatformSpec(props.spec, id);
    this.spec = spec;
    this.input = props.spec;
    this.k8s = spec.kubernetes ?? platformKubernetesSchema.parse({});
    this.checkObjectNames(id);

    // The provider reads the cluster from the environment (KUBE_CONFIG_PATH and KUBE_CTX, or in-cluster).
    new KubernetesProvider(this, 'kubernetes', {});
    // State where synth never touches it (kubernetes.backend; default: terraform-state/ beside the output).
    addBackend(this, this.k8s.backend);
    this.namespace = new PlatformNamespace(this, 'Namespace', {
      name: this.k8s.namespace ?? spec.name.toLowerCase(),
      viewerGroups: this.k8s.viewerGroups,
      dns: this.k8s.dns,
    });
    this.scopes = new Map(spec.models.map((m) => [m.name, new Construct(this, m.name)]));

    // Registries first: endpoints may load versions from another model's registry.
    this.registries = this.addRegistries();
    this.experimentTracker = this.addExperimentTracker();
    const kserve = spec.models.some((m) => m.endpoint.kubernetes?.serving === 'kserve');
    if (kserve || spec.models.some((m) => m.pipeline || m.drift) || spec.trainingClusters.length > 0) {
      this.crdStack = new KubernetesCrdStack(scope, `${id}-crds`, this.k8s.backend);
      this.crdStack.addDependency(this);
    }
    // Feature stores before endpoints: an endpoint of a model with features is the store's client.
    this.featureStores = this.addFeatureStores(id);
    this.endpoints = this.addEndpoints();
    this.trainingClusters = this.addTrainingClusters();
    this.pipelines = this.addPipelines();
    this.driftMonitors = this.addDriftMonitors(id);
  }

  private checkObjectNames(id: string): void {
    const seen = new Map<string, number>();
    this.spec.models.forEach((m, i) => {
      const other = seen.get(objectName(m.name));
      if (other !== undefined) {
        throw new MlopsValidationError({ kind: 'PlatformSpec', id: this.spec.name, location: id }, [{ path: `models[${i}].name`, message: `names the same Kubernetes objects as models[${other}] (names are lower-cased)`, got: `'${m.name}'`, expected: 'a name that differs from every other in more than case' }]);
      }
      seen.set(objectName(m.name), i);
    });
  }

  private inputOf(model: string): PlatformSpecInput['models'][number] {
    return this.input.models.find((m) => m.name === model)!;
  }

  private crdScopeOf(model: string): { scope: Construct; namespace: string } {
    if (!this.crdStack) throw new Error('internal: no CRD stack');
    if (!this.crdScopes.has(model)) this.crdScopes.set(model, new Construct(this.crdStack, model));
    return { scope: this.crdScopes.get(model)!, namespace: this.namespace.namespaceName };
  }

  /** The MLflow server settings of the registries and the tracker: the first registry creates the server, the others share it. */
  private mlflow(server: ModelRegistry['server'] | undefined) {
    const k8s = this.k8s;
    return {
      server,
      mlflowImage: k8s.registry.mlflowImage,
      databaseSecretName: k8s.registry.databaseSecretName,
      databaseVolumeGiB: k8s.registry.databaseVolumeGiB,
      artifacts: { volumeGiB: k8s.registry.artifactsVolumeGiB, storageClassName: k8s.storageClassName },
      storageClassName: k8s.storageClassName,
      postgresImage: k8s.registry.postgresImage,
      prometheus: k8s.prometheus,
    };
  }

  private addRegistries(): Map<string, ModelRegistry> {
    const registries = new Map<string, ModelRegistry>();
    let first: ModelRegistry | undefined;
    for (const model of this.spec.models) {
      if (!model.registry) continue;
      const registry = new ModelRegistry(this.scopes.get(model.name)!, 'Registry', {
        ...this.inputOf(model.name).registry,
        name: model.registry.name ?? model.name,
        namespace: this.namespace.name,
        partOf: this.spec.name,
        ...this.mlflow(first?.server),
      });
      first ??= registry;
      if (registry.reservation) this.namespace.reserve(registry.reservation);
      registries.set(model.name, registry);
    }
    return registries;
  }

  /** MLflow tracks experiments and registers models in one server: the tracker shares the registries'. */
  private addExperimentTracker(): ExperimentTracker | undefined {
    if (!this.spec.experimentTracker) return undefined;
    const first = [...this.registries.values()][0];
    const tracker = new ExperimentTracker(this, 'ExperimentTracker', {
      ...this.input.experimentTracker,
      namespace: this.namespace.name,
      partOf: this.spec.name,
      ...this.mlflow(first?.server),
    });
    if (tracker.reservation) this.namespace.reserve(tracker.reservation);
    return tracker;
  }

  private addEndpoints(): Map<string, ModelEndpoint> {
    const endpoints = new Map<string, ModelEndpoint>();
    for (const model of this.spec.models) {
      if ('registryVersion' in model.source && model.source.registryVersion === LATEST_APPROVED) {
        Annotations.of(this.scopes.get(model.name)!).addWarning(`[cdk-mlops:k8s-delivery-not-rendered] ${model.name} follows its registry ('${LATEST_APPROVED}'): delivery stages are rendered on AWS only; on Kubernetes the endpoint serves its kubernetes.image.`);
      }
      const endpoint = new ModelEndpoint(this.scopes.get(model.name)!, 'Endpoint', {
        ...this.inputOf(model.name).endpoint,
        namespace: this.namespace.name,
        name: objectName(model.name),
        partOf: this.spec.name,
        source: sourceOf(model, this.registries),
        crdScope: model.endpoint.kubernetes?.serving === 'kserve' ? this.crdScopeOf(model.name) : undefined,
        acceleratorNodeLabel: this.k8s.acceleratorNodeLabel,
        featureStore: this.featureStores.get(model.name),
        prometheus: this.k8s.prometheus,
      });
      const f = endpoint.footprint;
      this.namespace.reserve({ pods: f.maxPods, cpuMillis: f.maxPods * f.cpuMillis, memoryMiB: f.maxPods * f.memoryMiB, gpus: f.maxPods * f.gpus, neuronDevices: f.maxPods * f.neuronDevices });
      endpoints.set(model.name, endpoint);
    }
    return endpoints;
  }

  /** Training clusters: Kueue quotas. */
  private addTrainingClusters(): Map<string, TrainingCluster> {
    const clusters = new Map<string, TrainingCluster>();
    (this.input.trainingClusters ?? []).forEach((input, i) => {
      clusters.set(input.name, new TrainingCluster(this.crdStack!, `Cluster${i}`, { ...input, namespace: this.namespace.namespaceName, partOf: this.spec.name, acceleratorNodeLabel: this.k8s.acceleratorNodeLabel }));
    });
    return clusters;
  }

  /** A pipeline's accelerated training queues on the first cluster with its accelerator. */
  private addPipelines(): Map<string, MlPipeline> {
    const pipelines = new Map<string, MlPipeline>();
    const clusters = this.trainingClusters;
    for (const model of this.spec.models) {
      const input = this.inputOf(model.name);
      if (!model.pipeline || !input.pipeline) continue;
      const train = model.pipeline.train.compute;
      const accelerator = train.kind === 'instance' ? train.info?.accelerator?.type : undefined;
      const cluster = accelerator ? [...clusters.values()].find((c) => c.acceleratorTypes.includes(accelerator)) : undefined;
      if (accelerator && clusters.size > 0 && !cluster) {
        Annotations.of(this.scopes.get(model.name)!).addWarning(`[cdk-mlops:k8s-training-not-queued] no training cluster has ${accelerator}: the pipeline's training is not queued by Kueue.`);
      }
      const pipeline = new MlPipeline(this.scopes.get(model.name)!, 'Pipeline', {
        ...input.pipeline,
        namespace: this.namespace.name,
        name: objectName(model.name),
        partOf: this.spec.name,
        // parsePlatformSpec has checked that a model with a pipeline has a registry.
        registry: this.registries.get(model.name)!,
        // A registry exists, so the platform's MLflow image does (ModelRegistry requires it).
        mlflowImage: this.k8s.registry.mlflowImage!,
        crdScope: this.crdScopeOf(model.name),
        queueName: cluster?.queueName,
        workspaceStorageClassName: this.k8s.pipeline.workspaceStorageClassName,
        apiServerCidrs: this.k8s.pipeline.apiServerCidrs,
        acceleratorNodeLabel: this.k8s.acceleratorNodeLabel,
        featureStore: this.featureStores.get(model.name),
      });
      this.namespace.reserve(pipeline.reservation);
      pipelines.set(model.name, pipeline);
    }
    return pipelines;
  }

  private required(id: string, value: string | undefined, i: number, section: string, path: string, expected: string): string {
    if (value === undefined) throw new MlopsValidationError({ kind: 'PlatformSpec', id: this.spec.name, location: id }, [{ path, message: `is required by models[${i}].${section}`, got: 'nothing', expected }]);
    return value;
  }

  private addFeatureStores(id: string): Map<string, FeatureStore> {
    const stores = new Map<string, FeatureStore>();
    const fs = this.k8s.featureStore;
    this.spec.models.forEach((model, i) => {
      const input = this.inputOf(model.name);
      if (!input.featureStore) return;
      const name = objectName(model.name);
      const store = new FeatureStore(this.scopes.get(model.name)!, 'FeatureStore', {
        ...input.featureStore,
        namespace: this.namespace.name,
        name: `${name}-features`,
        partOf: this.spec.name,
        feastImage: this.required(id, fs.feastImage, i, 'featureStore', 'kubernetes.featureStore.feastImage', "a Feast image with the redis extra, e.g. 'docker.io/feastdev/feature-server:0.49.0'"),
        redisPasswordSecretName: `${name}-features-redis`,
        redisImage: fs.redisImage,
        redisVolumeGiB: fs.redisVolumeGiB,
        storageClassName: this.k8s.storageClassName,
        offlineStoreUri: fs.offlineStoreUri && `${fs.offlineStoreUri.replace(/\/+$/, '')}/${name}`,
        offlineStoreEndpointUrl: fs.storageEndpointUrl,
        offlineStoreCredentialsSecretName: fs.storageCredentialsSecretName,
        prometheus: this.k8s.prometheus,
      });
      this.namespace.reserve(store.reservation);
      stores.set(model.name, store);
    });
    return stores;
  }

  /** Drift monitors, which retrain through the model's pipeline. */
  private addDriftMonitors(id: string): Map<string, DriftMonitor> {
    const monitors = new Map<string, DriftMonitor>();
    const d = this.k8s.drift;
    this.spec.models.forEach((model, i) => {
      const input = this.inputOf(model.name);
      if (!input.drift) return;
      const name = objectName(model.name);
      if (model.drift?.retraining && !model.pipeline) {
        throw new MlopsValidationError({ kind: 'PlatformSpec', id: this.spec.name, location: id }, [{ path: `models[${i}].drift.retraining`, message: "submits the model pipeline's Argo WorkflowTemplate on Kubernetes, but the model has no pipeline", got: 'retraining without a pipeline', expected: "a 'pipeline' section on the model, or no retraining" }]);
      }
      const pipeline = this.pipelines.get(model.name);
      const monitor = new DriftMonitor(this.scopes.get(model.name)!, 'DriftMonitor', {
        ...input.drift,
        namespace: this.namespace.name,
        name,
        partOf: this.spec.name,
        model: model.name,
        image: this.required(id, d.image, i, 'drift', 'kubernetes.drift.image', "the drift analysis image, e.g. 'ghcr.io/acme/drift-analysis:1.0.0'"),
        pushgatewayUrl: this.required(id, d.pushgatewayUrl, i, 'drift', 'kubernetes.drift.pushgatewayUrl', "the Pushgateway, e.g. 'http://pushgateway.monitoring:9091'"),
        captureUri: `${this.required(id, d.captureUri, i, 'drift', 'kubernetes.drift.captureUri', "where requests are captured, e.g. 's3://capture'").replace(/\/+$/, '')}/${name}/`,
        storageEndpointUrl: d.storageEndpointUrl,
        storageCredentialsSecretName: d.storageCredentialsSecretName,
        // Retraining submits the model pipeline's Argo WorkflowTemplate.
        retrainingTarget: pipeline ? { workflowTemplateName: pipeline.pipelineName, kubectlImage: d.kubectlImage, shellImage: d.shellImage } : undefined,
        crdScope: this.crdScopeOf(model.name),
        ruleLabels: d.prometheusRuleLabels,
      });
      this.namespace.reserve(monitor.reservation);
      monitors.set(model.name, monitor);
    });
    return monitors;
  }
}

function sourceOf(model: ModelSpec, registries: ReadonlyMap<string, ModelRegistry>): KubernetesModelSource | undefined {
  const source = model.source;
  if (!('registryVersion' in source)) return undefined;
  const owner = source.registryOf ?? model.name;
  // parsePlatformSpec has checked that the owner exists and has a registry.
  const registry = registries.get(owner);
  if (!registry) throw new Error(`internal: registry of model '${owner}' was not rendered`);
  // Delivery stages are rendered on AWS only: on Kubernetes the endpoint serves its kubernetes.image (warned in addEndpoints).
  if (source.registryVersion === LATEST_APPROVED) return undefined;
  return { registry, version: source.registryVersion };
}
