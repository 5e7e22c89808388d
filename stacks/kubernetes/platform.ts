/**
 * Renders a PlatformSpec onto Kubernetes: one cdktf stack named after the platform, with the
 * namespace and its governance, the registry (one MLflow server that every model's registry shares)
 * and one endpoint per model. Objects that need CRDs (KServe InferenceServices, the pipelines' Argo
 * WorkflowTemplates and CronWorkflows, the training clusters' Kueue queues) go in a stack of their own
 * so this one plans on a cluster without them.
 */
import { Annotations, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { KubernetesModelSource, MlPipeline, ModelEndpoint, ModelRegistry, PlatformNamespace, TrainingCluster } from '../../constructs/kubernetes';
import { MlopsValidationError } from '../../lib/errors';
import { ModelSpec, parsePlatformSpec, PlatformKubernetesSpec, platformKubernetesSchema, PlatformSpec, PlatformSpecInput } from '../../lib/spec';

export interface KubernetesPlatformProps {
  /** The platform as written (a TypeScript object, or `loadPlatformSpec(file)`). */
  readonly spec: PlatformSpecInput;
}

/** A model's Kubernetes objects are named after it, lower-cased (a DNS label). */
export function objectName(model: string): string {
  return model.toLowerCase();
}

/**
 * The objects of a platform that need CRDs (KServe, Argo Workflows, Kueue), in a stack of their own named
 * `<platform>-crds`: apply it after the platform stack, on a cluster that has the CRDs.
 */
export class KubernetesCrdStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new KubernetesProvider(this, 'kubernetes', {});
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
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
    // State beside the stack's Terraform JSON, not at an absolute path of the machine that synthesized
    // it; replace it with a remote backend (`stack.addOverride('terraform.backend', ...)`) for a team.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    const partOf = spec.name;
    this.namespace = new PlatformNamespace(this, 'Namespace', {
      name: k8s.namespace ?? spec.name.toLowerCase(),
      viewerGroups: k8s.viewerGroups,
    });

    // Registries first: endpoints may load versions from another model's registry.
    const scopes = new Map(spec.models.map((m) => [m.name, new Construct(this, m.name)]));
    const registries = new Map<string, ModelRegistry>();
    let first: ModelRegistry | undefined;
    for (const model of spec.models) {
      if (!model.registry) continue;
      const input = props.spec.models.find((m) => m.name === model.name)!;
      const registry = new ModelRegistry(scopes.get(model.name)!, 'Registry', {
        ...input.registry,
        name: model.registry.name ?? model.name,
        namespace: this.namespace.name,
        partOf,
        server: first?.server,
        mlflowImage: k8s.registry.mlflowImage,
        databaseSecretName: k8s.registry.databaseSecretName,
        databaseVolumeGiB: k8s.registry.databaseVolumeGiB,
        artifacts: { volumeGiB: k8s.registry.artifactsVolumeGiB, storageClassName: k8s.storageClassName },
        storageClassName: k8s.storageClassName,
      });
      first ??= registry;
      if (registry.reservation) this.namespace.reserve(registry.reservation);
      registries.set(model.name, registry);
    }
    this.registries = registries;

    const kserve = spec.models.some((m) => m.endpoint.kubernetes?.serving === 'kserve');
    if (kserve || spec.models.some((m) => m.pipeline) || spec.trainingClusters.length > 0) {
      this.crdStack = new KubernetesCrdStack(scope, `${id}-crds`);
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
        storageClassName: k8s.storageClassName,
      });
      this.namespace.reserve(pipeline.reservation);
      pipelines.set(model.name, pipeline);
    }
    this.pipelines = pipelines;
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
