/**
 * Renders a PlatformSpec onto Kubernetes: one cdktf stack named after the platform, with the
 * namespace and its governance, the registry (one MLflow server that every model's registry shares)
 * and one endpoint per model. Objects that need CRDs (KServe InferenceServices, the pipelines' Argo
 * WorkflowTemplates and CronWorkflows, the training clusters' Kueue queues, the drift monitors'
 * PrometheusRules) go in a stack of their own so this one plans on a cluster without them. Each
 * model's feature store and drift monitor live under its construct; the experiment tracker shares
 * the registries' MLflow server when there is one.
 */
import { Annotations, TerraformResource, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { BatchTransform, DriftDashboard, DriftMonitor, EndpointObservability, ExperimentTracker, FeatureStore, KubernetesModelSource, MlPipeline, ModelCard, ModelEndpoint, ModelRegistry, MonitoringConventions, PipelineObservability, PlatformNamespace, RequestCapture, TrainingCluster, WorkloadMonitor } from '../../constructs/kubernetes';
import { MlopsValidationError, ValidationIssue } from '../../lib/errors';
import { GOVERNANCE_METADATA_KEY, KubernetesGovernanceMetadata } from '../../lib/governance';
import { EndpointSpec, EndpointSpecInput, isComponentEndpoint, KubernetesBackendSpec, LATEST_APPROVED, ModelSpec, parsePlatformSpecFor, PlatformKubernetesSpec, platformKubernetesSchema, PlatformSpec, PlatformSpecInput, requiredTagsOf } from '../../lib/spec';
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
  /** Each model's card (a ConfigMap, and MLflow tags on its registered model), by model name. */
  public readonly cards: ReadonlyMap<string, ModelCard>;
  /** Each endpoint's request capture receiver (dataCapture, with kubernetes.drift.captureUri), by model name. */
  public readonly captures: ReadonlyMap<string, RequestCapture>;
  /** The batch transforms (Argo CronWorkflows), by model. */
  public readonly batches: ReadonlyMap<string, BatchTransform>;
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
    const spec = parsePlatformSpecFor('kubernetes', props.spec, id);
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
    this.cards = this.addCards();
    // Every endpoint has a PodMonitor and a PrometheusRule: the CRD stack always exists (a platform has models).
    this.crdStack = new KubernetesCrdStack(scope, `${id}-crds`, this.k8s.backend);
    this.crdStack.addDependency(this);
    // Feature stores before endpoints: an endpoint of a model with features is the store's client.
    this.featureStores = this.addFeatureStores(id);
    this.captures = this.addCaptures(id);
    this.endpoints = this.addEndpoints();
    this.trainingClusters = this.addTrainingClusters();
    this.pipelines = this.addPipelines();
    this.driftMonitors = this.addDriftMonitors(id);
    this.batches = this.addBatches();
    this.addObservability();
    this.renderGovernance(id);
  }

  /** The platform's monitoring conventions (kubernetes.observability; drift.prometheusRuleLabels still label every rule). */
  private get conventions(): MonitoringConventions {
    const o = this.k8s.observability;
    return { ...o, ruleLabels: { ...this.k8s.drift.prometheusRuleLabels, ...o.ruleLabels } };
  }

  /**
   * Request capture: a receiver per endpoint whose spec captures (dataCapture.enabled, on by default
   * for instance endpoints) when the platform names where captures go (kubernetes.drift.captureUri),
   * under '<captureUri>/<model>/', the drift monitor's CAPTURE_URI.
   */
  private addCaptures(id: string): Map<string, RequestCapture> {
    const captures = new Map<string, RequestCapture>();
    const d = this.k8s.drift;
    const o = this.k8s.observability;
    this.spec.models.forEach((model, i) => {
      const endpoint = endpointOf(model);
      if (!endpoint?.dataCapture.enabled || !d.captureUri) return;
      const name = objectName(model.name);
      if (!RequestCapture.parseUri(d.captureUri)) {
        throw new MlopsValidationError({ kind: 'PlatformSpec', id: this.spec.name, location: id }, [{ path: 'kubernetes.drift.captureUri', message: `is not a store the capture receiver of models[${i}] writes to`, got: `'${d.captureUri}'`, expected: "an 's3://' or 'gs://' URI (or dataCapture.enabled false)" }]);
      }
      const capture = new RequestCapture(this.scopes.get(model.name)!, 'Capture', {
        namespace: this.namespace.name, namespaceName: this.namespace.namespaceName, name, partOf: this.spec.name,
        captureUri: `${d.captureUri.replace(/\/+$/, '')}/${name}/`,
        samplingPercent: endpoint.dataCapture.samplingPercent,
        image: o.captureImage, agentImage: o.agentImage,
        clientSelector: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'model-endpoint' },
        storageEndpointUrl: d.storageEndpointUrl, storageCredentialsSecretName: d.storageCredentialsSecretName,
        prometheus: this.k8s.prometheus,
      });
      this.namespace.reserve(capture.reservation);
      captures.set(model.name, capture);
    });
    return captures;
  }

  /** Scraping, alerts and dashboards of every endpoint, pipeline and drift monitor, and scraping of MLflow and Feast. */
  private addObservability(): void {
    const conventions = this.conventions;
    for (const model of this.spec.models) {
      const endpoint = this.endpoints.get(model.name);
      if (endpoint) {
        new EndpointObservability(this.scopes.get(model.name)!, 'Observability', {
          target: endpoint.monitoring, spec: endpoint.spec, requestMetrics: endpoint.kubernetes.requestMetrics,
          partOf: this.spec.name, model: model.name, crdScope: this.crdScopeOf(model.name), conventions,
        });
      }
      const pipeline = this.pipelines.get(model.name);
      if (pipeline) {
        new PipelineObservability(this.scopes.get(model.name)!, 'PipelineObservability', {
          namespace: this.namespace.name, model: model.name, partOf: this.spec.name,
          workflowTemplateName: pipeline.pipelineName, cronWorkflowName: pipeline.cronWorkflow ? pipeline.pipelineName : undefined,
          crdScope: this.crdScopeOf(model.name), conventions,
        });
      }
      const monitor = this.driftMonitors.get(model.name);
      if (monitor) {
        new DriftDashboard(this.scopes.get(model.name)!, 'DriftDashboard', {
          namespace: this.namespace.name, namespaceName: this.namespace.namespaceName, model: model.name, partOf: this.spec.name,
          cronJobName: `${objectName(model.name)}-drift`, driftThreshold: monitor.spec.dataQuality?.driftThreshold, conventions,
        });
      }
      const store = this.featureStores.get(model.name);
      if (store) new WorkloadMonitor(this.scopes.get(model.name)!, 'FeatureStoreMonitor', { name: store.selector['app.kubernetes.io/name'], partOf: this.spec.name, serviceLabels: store.serviceLabels, port: 'metrics', crdScope: this.crdScopeOf(model.name), conventions });
    }
    const server = [...this.registries.values()][0]?.server ?? this.experimentTracker?.server;
    if (server) new WorkloadMonitor(this, 'MlflowMonitor', { name: server.selector['app.kubernetes.io/name'], partOf: this.spec.name, serviceLabels: server.serviceLabels, port: 'http', crdScope: { scope: this.crdStack!, namespace: this.namespace.namespaceName }, conventions });
  }

  /**
   * What the audit report reads back from the Terraform JSON (never from the spec): the level, the
   * required tags and the spec's acknowledgements in each stack's top-level `//` block (a comment to
   * Terraform, as Metadata is to CloudFormation), each acknowledgement in the stack of its object; and
   * the platform's tags as annotations of its namespace. An acknowledgement of an object the output
   * does not have is rejected here, at its spec path.
   */
  private renderGovernance(id: string): void {
    const governance = this.spec.governance;
    const stacks: TerraformStack[] = [this, ...(this.crdStack ? [this.crdStack] : [])];
    const paths = new Map(stacks.map((stack) => [stack, new Set(stack.node.findAll().filter((c) => c instanceof TerraformResource).map((c) => c.node.path))]));
    const issues: ValidationIssue[] = [];
    governance.acknowledgements.forEach((ack, i) => {
      if (stacks.some((stack) => paths.get(stack)!.has(ack.path))) return;
      const near = stacks.flatMap((stack) => [...paths.get(stack)!]).filter((p) => p.startsWith(ack.path.split('/').slice(0, 2).join('/'))).slice(0, 3);
      issues.push({ path: `governance.acknowledgements[${i}].path`, message: 'names no object of the Kubernetes output', got: `'${ack.path}'`, expected: `the construct path of an object, as the audit report shows it${near.length ? ` (e.g. ${near.map((p) => `'${p}'`).join(', ')})` : ''}` });
    });
    if (issues.length) throw new MlopsValidationError({ kind: 'PlatformSpec', id: this.spec.name, location: id }, issues);
    for (const stack of stacks) {
      const metadata: KubernetesGovernanceMetadata = {
        level: governance.level,
        requiredTags: requiredTagsOf(governance),
        acknowledgements: governance.acknowledgements.filter((ack) => paths.get(stack)!.has(ack.path)).map(({ rule, path, reason }) => ({ rule, path, reason })),
      };
      stack.addOverride(`//.${GOVERNANCE_METADATA_KEY}`, metadata);
    }
    // Annotation names: an optional DNS-subdomain prefix and '/', then 1-63 of [A-Za-z0-9-_.], alphanumeric at both ends.
    const annotation = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
    const tags = Object.entries(this.spec.tags);
    const invalid = tags.filter(([key]) => !annotation.test(key)).map(([key]) => key);
    if (invalid.length) Annotations.of(this.namespace).addWarning(`[cdk-mlops:tagNotAnnotation] tag(s) ${invalid.join(', ')} are not valid Kubernetes annotation names and are left off the namespace`);
    if (tags.length > invalid.length) this.namespace.resource.addOverride('metadata.annotations', Object.fromEntries(tags.filter(([key]) => annotation.test(key))));
  }

  /** Batch transforms: Argo CronWorkflows running the endpoint's image (or the batch's own) over the input. */
  private addBatches(): Map<string, BatchTransform> {
    const batches = new Map<string, BatchTransform>();
    for (const model of this.spec.models) {
      const input = this.inputOf(model.name).batch;
      if (!input) continue;
      const batch = new BatchTransform(this.scopes.get(model.name)!, 'Batch', {
        ...input,
        namespace: this.namespace.name,
        name: objectName(model.name),
        partOf: this.spec.name,
        crdScope: this.crdScopeOf(model.name),
        defaultImage: model.endpoint && !isComponentEndpoint(model.endpoint) ? model.endpoint.kubernetes?.image : undefined,
        acceleratorNodeLabel: this.k8s.acceleratorNodeLabel,
      });
      this.namespace.reserve(batch.reservation);
      batches.set(model.name, batch);
    }
    return batches;
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

  /** Cards after registries: a card's tags go to its model's registered model. */
  private addCards(): Map<string, ModelCard> {
    const cards = new Map<string, ModelCard>();
    for (const model of this.spec.models) {
      const input = this.inputOf(model.name).card;
      if (!input) continue;
      const registry = this.registries.get(model.name);
      const card = new ModelCard(this.scopes.get(model.name)!, 'Card', {
        ...input,
        namespace: this.namespace.name,
        partOf: this.spec.name,
        name: objectName(model.name),
        modelDescription: model.description,
        // A registry exists, so the platform's MLflow image does (ModelRegistry requires it).
        registry: registry ? { registeredModelName: registry.registeredModelName, server: registry.server, image: this.k8s.registry.mlflowImage! } : undefined,
      });
      if (card.reservation) this.namespace.reserve(card.reservation);
      cards.set(model.name, card);
    }
    return cards;
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
      const input = this.inputOf(model.name).endpoint;
      if (!input || !model.endpoint) continue;
      const endpoint = new ModelEndpoint(this.scopes.get(model.name)!, 'Endpoint', {
        // parsePlatformSpecFor('kubernetes') has refused inference components: the endpoint is one of its own.
        ...(this.inputOf(model.name).endpoint as EndpointSpecInput),
        namespace: this.namespace.name,
        name: objectName(model.name),
        partOf: this.spec.name,
        source: sourceOf(model, this.registries),
        crdScope: endpointOf(model)?.kubernetes?.serving === 'kserve' ? this.crdScopeOf(model.name) : undefined,
        acceleratorNodeLabel: this.k8s.acceleratorNodeLabel,
        featureStore: this.featureStores.get(model.name),
        prometheus: this.k8s.prometheus,
        capture: this.captures.get(model.name),
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
        ruleLabels: this.conventions.ruleLabels,
        runbookBaseUrl: this.k8s.observability.runbookBaseUrl,
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

/** The model's endpoint of its own (none for a batch-only model): parsePlatformSpecFor('kubernetes') has refused inference components of shared endpoints. */
function endpointOf(model: ModelSpec): EndpointSpec | undefined {
  if (isComponentEndpoint(model.endpoint)) throw new Error(`internal: model '${model.name}' is an inference component, which the Kubernetes target refuses`);
  return model.endpoint;
}
