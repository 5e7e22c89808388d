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
import { KubernetesBackendSpec, ModelSpec, parsePlatformSpec, PlatformKubernetesSpec, platformKubernetesSchema, PlatformSpec, PlatformSpecInput } from '../../lib/spec';
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

  constructor(scope: Construct, id: string, props: KubernetesPlatformProps) {
    super(scope, id);
    const spec = parsePlatformSpec(props.spec, id);
    this.spec = spec;
    const k8s: PlatformKubernetesSpec = spec.kubernetes ?? platformKubernetesSchema.parse({});
    const seen = new Map<string, number>();
    spec.models.forEach((m, i) => {
      const other = seen.get(objectName(m.name));
      if (other !== undefined) {
        throw new MlopsValidationError({ kind: 'PlatformSpec', id: spec.name, location: id }, [{ path: `models[${i}].name`, message: `names the same Kubernetes objects as models[${other}] (names are lower-cased)`, got: `'${m.name}'`, expected: 'a name that differs from every other in more than case' }]);
      }
      seen.set(objectName(m.name), i);
    });

    // The provider reads the cluster from the environment (KUBE_CONFIG_PATH and KUBE_CTX, or in-cluster).
    new KubernetesProvider(this, 'kubernetes', {});
    // State where synth never touches it (kubernetes.backend; default: terraform-state/ beside the output).
    addBackend(this, k8s.backend);
    const partOf = spec.name;
    this.namespace = new PlatformNamespace(this, 'Namespace', {
      name: k8s.namespace ?? spec.name.toLowerCase(),
      viewerGroups: k8s.viewerGroups,
    });

    // Registries first: endpoints may load versions from another model's registry.
    const scopes = new Map(spec.models.map((m) => [m.name, new Construct(this, m.name)]));
    // The MLflow server settings of the registries and the tracker: the first one creates the server, the others share it.
    let first: ModelRegistry | undefined;
    const mlflow = () => ({
      server: first?.server,
      mlflowImage: k8s.registry.mlflowImage,
      databaseSecretName: k8s.registry.databaseSecretName,
      databaseVolumeGiB: k8s.registry.databaseVolumeGiB,
      artifacts: { volumeGiB: k8s.registry.artifactsVolumeGiB, storageClassName: k8s.storageClassName },
      storageClassName: k8s.storageClassName,
    });
    const registries = new Map<string, ModelRegistry>();
    for (const model of spec.models) {
      if (!model.registry) continue;
      const input = props.spec.models.find((m) => m.name === model.name)!;
      const registry = new ModelRegistry(scopes.get(model.name)!, 'Registry', {
        ...input.registry,
        name: model.registry.name ?? model.name,
        namespace: this.namespace.name,
        partOf,
        ...mlflow(),
      });
      first ??= registry;
      if (registry.reservation) this.namespace.reserve(registry.reservation);
      registries.set(model.name, registry);
    }
    this.registries = registries;

    // MLflow tracks experiments and registers models in one server: the tracker shares the registries'.
    if (spec.experimentTracker) {
      const tracker = new ExperimentTracker(this, 'ExperimentTracker', {
        ...props.spec.experimentTracker,
        namespace: this.namespace.name,
        partOf,
        ...mlflow(),
      });
      if (tracker.reservation) this.namespace.reserve(tracker.reservation);
      this.experimentTracker = tracker;
    }

    const kserve = spec.models.some((m) => m.endpoint.kubernetes?.serving === 'kserve');
    if (kserve || spec.models.some((m) => m.pipeline || m.drift) || spec.trainingClusters.length > 0) {
      this.crdStack = new KubernetesCrdStack(scope, `${id}-crds`, k8s.backend);
      this.crdStack.addDependency(this);
    }
    // One construct per model in the CRD stack, shared by its InferenceService and its pipeline.
    const crdScopes = new Map<string, Construct>();
    const crdScopeOf = (model: string) => {
      if (!this.crdStack) throw new Error('internal: no CRD stack');
      if (!crdScopes.has(model)) crdScopes.set(model, new Construct(this.crdStack, model));
      return { scope: crdScopes.get(model)!, namespace: this.namespace.namespaceName };
    };
    const endpoints = new Map<string, ModelEndpoint>();
    for (const model of spec.models) {
      const input = props.spec.models.find((m) => m.name === model.name)!;
      const crdScope = model.endpoint.kubernetes?.serving === 'kserve' ? crdScopeOf(model.name) : undefined;
      const endpoint = new ModelEndpoint(scopes.get(model.name)!, 'Endpoint', {
        ...input.endpoint,
        namespace: this.namespace.name,
        name: objectName(model.name),
        partOf,
        source: sourceOf(model, registries),
        crdScope,
      });
      const f = endpoint.footprint;
      this.namespace.reserve({ pods: f.maxPods, cpuMillis: f.maxPods * f.cpuMillis, memoryMiB: f.maxPods * f.memoryMiB, gpus: f.maxPods * f.gpus, neuronDevices: f.maxPods * f.neuronDevices });
      endpoints.set(model.name, endpoint);
    }
    this.endpoints = endpoints;

    // Training clusters: Kueue quotas. A pipeline's accelerated training queues on the first cluster with its accelerator.
    const clusters = new Map<string, TrainingCluster>();
    (props.spec.trainingClusters ?? []).forEach((input, i) => {
      const crds = this.crdStack!;
      clusters.set(input.name, new TrainingCluster(crds, `Cluster${i}`, { ...input, namespace: this.namespace.namespaceName, partOf }));
    });
    this.trainingClusters = clusters;

    const pipelines = new Map<string, MlPipeline>();
    for (const model of spec.models) {
      const input = props.spec.models.find((m) => m.name === model.name)!;
      if (!model.pipeline || !input.pipeline) continue;
      // parsePlatformSpec has checked that a model with a pipeline has a registry.
      const registry = registries.get(model.name)!;
      const train = model.pipeline.train.compute;
      const accelerator = train.kind === 'instance' ? train.info?.accelerator?.type : undefined;
      const cluster = accelerator ? [...clusters.values()].find((c) => c.acceleratorTypes.includes(accelerator)) : undefined;
      if (accelerator && clusters.size > 0 && !cluster) {
        Annotations.of(scopes.get(model.name)!).addWarning(`[cdk-mlops:k8s-training-not-queued] no training cluster has ${accelerator}: the pipeline's training is not queued by Kueue.`);
      }
      const pipeline = new MlPipeline(scopes.get(model.name)!, 'Pipeline', {
        ...input.pipeline,
        namespace: this.namespace.name,
        name: objectName(model.name),
        partOf,
        registry,
        // A registry exists, so the platform's MLflow image does (ModelRegistry requires it).
        mlflowImage: k8s.registry.mlflowImage!,
        crdScope: crdScopeOf(model.name),
        queueName: cluster?.queueName,
        workspaceStorageClassName: k8s.pipeline.workspaceStorageClassName,
        apiServerCidrs: k8s.pipeline.apiServerCidrs,
      });
      this.namespace.reserve(pipeline.reservation);
      pipelines.set(model.name, pipeline);
    }
    this.pipelines = pipelines;

    // Feature stores and drift monitors (which retrain through the model's pipeline).
    const subject = { kind: 'PlatformSpec', id: spec.name, location: id };
    const required = (value: string | undefined, i: number, section: string, path: string, expected: string): string => {
      if (value === undefined) throw new MlopsValidationError(subject, [{ path, message: `is required by models[${i}].${section}`, got: 'nothing', expected }]);
      return value;
    };

    const featureStores = new Map<string, FeatureStore>();
    const driftMonitors = new Map<string, DriftMonitor>();
    spec.models.forEach((model, i) => {
      const input = props.spec.models.find((m) => m.name === model.name)!;
      const name = objectName(model.name);
      if (input.featureStore) {
        const fs = k8s.featureStore;
        const store = new FeatureStore(scopes.get(model.name)!, 'FeatureStore', {
          ...input.featureStore,
          namespace: this.namespace.name,
          name: `${name}-features`,
          partOf,
          feastImage: required(fs.feastImage, i, 'featureStore', 'kubernetes.featureStore.feastImage', "a Feast image with the redis extra, e.g. 'docker.io/feastdev/feature-server:0.49.0'"),
          redisPasswordSecretName: `${name}-features-redis`,
          redisImage: fs.redisImage,
          redisVolumeGiB: fs.redisVolumeGiB,
          storageClassName: k8s.storageClassName,
          offlineStoreUri: fs.offlineStoreUri && `${fs.offlineStoreUri.replace(/\/+$/, '')}/${name}`,
          offlineStoreEndpointUrl: fs.storageEndpointUrl,
          offlineStoreCredentialsSecretName: fs.storageCredentialsSecretName,
        });
        this.namespace.reserve(store.reservation);
        featureStores.set(model.name, store);
      }
      if (input.drift) {
        const d = k8s.drift;
        if (model.drift?.retraining && !model.pipeline) {
          throw new MlopsValidationError(subject, [{ path: `models[${i}].drift.retraining`, message: "submits the model pipeline's Argo WorkflowTemplate on Kubernetes, but the model has no pipeline", got: 'retraining without a pipeline', expected: "a 'pipeline' section on the model, or no retraining" }]);
        }
        const monitor = new DriftMonitor(scopes.get(model.name)!, 'DriftMonitor', {
          ...input.drift,
          namespace: this.namespace.name,
          name,
          partOf,
          model: model.name,
          image: required(d.image, i, 'drift', 'kubernetes.drift.image', "the drift analysis image, e.g. 'ghcr.io/acme/drift-analysis:1.0.0'"),
          pushgatewayUrl: required(d.pushgatewayUrl, i, 'drift', 'kubernetes.drift.pushgatewayUrl', "the Pushgateway, e.g. 'http://pushgateway.monitoring:9091'"),
          captureUri: `${required(d.captureUri, i, 'drift', 'kubernetes.drift.captureUri', "where requests are captured, e.g. 's3://capture'").replace(/\/+$/, '')}/${name}/`,
          storageEndpointUrl: d.storageEndpointUrl,
          storageCredentialsSecretName: d.storageCredentialsSecretName,
          // Retraining submits the model pipeline's Argo WorkflowTemplate.
          retrainingTarget: pipelines.has(model.name) ? { workflowTemplateName: pipelines.get(model.name)!.pipelineName, kubectlImage: d.kubectlImage } : undefined,
          crdScope: crdScopeOf(model.name),
          ruleLabels: d.prometheusRuleLabels,
        });
        this.namespace.reserve(monitor.reservation);
        driftMonitors.set(model.name, monitor);
      }
    });
    this.featureStores = featureStores;
    this.driftMonitors = driftMonitors;
  }
}

function sourceOf(model: ModelSpec, registries: ReadonlyMap<string, ModelRegistry>): KubernetesModelSource | undefined {
  const source = model.source;
  if (!('registryVersion' in source)) return undefined;
  const owner = source.registryOf ?? model.name;
  // parsePlatformSpec has checked that the owner exists and has a registry.
  const registry = registries.get(owner);
  if (!registry) throw new Error(`internal: registry of model '${owner}' was not rendered`);
  return { registry, version: source.registryVersion };
}
