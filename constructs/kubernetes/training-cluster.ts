/**
 * TrainingCluster on Kubernetes: the same training-cluster spec as the AWS TrainingCluster (SageMaker
 * HyperPod), rendered as Kueue quota objects. On Kubernetes the nodes come from the cluster's node
 * pools (Karpenter, managed node groups); what the spec's instance groups mean here is how much of that
 * capacity the platform's training may take at once:
 * - one ResourceFlavor per accelerator type (node labels under the platform's acceleratorNodeLabel and
 *   the device taint's toleration from lib/catalog, the same the pipeline's nodeSelector uses) and one
 *   per CPU instance type;
 * - a ClusterQueue whose nominal quotas are the instance groups × counts (cpu, memory, nvidia.com/gpu,
 *   aws.amazon.com/neuron), admitting only the platform namespace;
 * - a LocalQueue in the platform namespace, which workloads name with the kueue.x-k8s.io/queue-name label.
 *
 * Node provisioning fields have no Kubernetes meaning and are ignored with a synth warning
 * (lifecycle scripts, orchestrator/eksClusterArn, nodeRecovery, threadsPerCore, volumeSizeGiB, aws):
 * none of them changes what Kueue admits, so ignoring them cannot over-commit the cluster.
 * All objects are kubernetes_manifest: the construct belongs in the platform's CRD stack.
 */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { AcceleratorNodeLabel, CatalogError, kubernetesAcceleratorFor } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { DNS_LABEL, TrainingClusterSpec, trainingClusterSpecSchema, TrainingClusterSpecInput } from '../../lib/spec';
import { workloadLabels } from './private/pod';
import { parseProps, subjectOf } from './private/validation';

export interface TrainingClusterProps extends TrainingClusterSpecInput {
  /** The platform namespace's literal name: the only namespace the ClusterQueue admits, and the LocalQueue's. */
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` (the platform). */
  readonly partOf: string;
  /** The existing VPC of the AWS target: ignored on Kubernetes. */
  readonly aws?: unknown;
  /**
   * How GPU nodes are labelled (lib/catalog): an accelerator flavor's nodeLabels are the node selector
   * the platform's training pods get, so Kueue places admitted pods on the nodes they select.
   * @default 'nvidia-gfd'
   */
  readonly acceleratorNodeLabel?: AcceleratorNodeLabel;
}

const COMPONENT = 'training-cluster';
const KUEUE = 'kueue.x-k8s.io/v1beta2';

interface FlavorQuota {
  readonly name: string;
  readonly nodeLabels?: Record<string, string>;
  readonly tolerations: Record<string, string>[];
  cpu: number;
  memoryGiB: number;
  gpus: number;
  neuron: number;
}

export class TrainingCluster extends Construct {
  public readonly spec: TrainingClusterSpec;
  /** The LocalQueue's name in the platform namespace (the value of kueue.x-k8s.io/queue-name). */
  public readonly queueName: string;
  /** The cluster-scoped ClusterQueue's name: `<namespace>-<cluster>`. */
  public readonly clusterQueueName: string;
  /** The accelerator types the cluster has quota for (catalog names, e.g. 'nvidia-h100'). */
  public readonly acceleratorTypes: readonly string[];
  public readonly resourceFlavors: Manifest[];
  public readonly clusterQueue: Manifest;
  public readonly localQueue: Manifest;

  constructor(scope: Construct, id: string, props: TrainingClusterProps) {
    super(scope, id);
    const { namespace, partOf, aws, acceleratorNodeLabel = 'nvidia-gfd', ...specInput } = props;
    const spec = parseProps('TrainingCluster', scope, id, trainingClusterSpecSchema, specInput);
    this.spec = spec;
    const subject = subjectOf('TrainingCluster', scope, id);
    const base = (spec.name ?? id).toLowerCase();
    const issues: ValidationIssue[] = [];
    if (!DNS_LABEL.test(namespace)) issues.push({ path: 'namespace', message: 'is not a namespace name', got: renderValue(namespace), expected: 'a DNS-1123 label' });
    spec.instanceGroups.forEach((g, i) => {
      if (g.compute.kind !== 'instance' || g.compute.info === undefined) {
        issues.push({ path: `instanceGroups[${i}].compute`, message: 'must be known at synth time on Kubernetes (it sizes the quota)', got: 'an unresolved instance type', expected: 'a literal instance type or an accelerator intent' });
      } else if (g.compute.info.accelerator) {
        try {
          kubernetesAcceleratorFor(g.compute.info.accelerator.type, acceleratorNodeLabel);
        } catch (e) {
          if (!(e instanceof CatalogError)) throw e;
          issues.push({ path: 'acceleratorNodeLabel', message: `${e.message} (instanceGroups[${i}])`, got: e.got, expected: e.expected });
        }
      }
    });
    if (issues.length > 0) throw new MlopsValidationError(subject, issues);

    const ignored: [string, boolean, string][] = [
      ['lifecycleScriptsUri', true, 'HyperPod node lifecycle scripts; Kubernetes nodes are configured by their node pool'],
      ['orchestrator', specInput.orchestrator !== undefined || spec.eksClusterArn !== undefined, 'HyperPod orchestration; Kueue on this cluster schedules the workloads'],
      ['nodeRecovery', specInput.nodeRecovery !== undefined, 'HyperPod node replacement; the node pool replaces unhealthy nodes'],
      ['instanceGroups.threadsPerCore', specInput.instanceGroups.some((g) => g.threadsPerCore !== undefined), 'an EC2 CPU option of the node pool'],
      ['instanceGroups.volumeSizeGiB', specInput.instanceGroups.some((g) => g.volumeSizeGiB !== undefined), 'the node root volume of the node pool'],
      ['aws', aws !== undefined, 'the VPC the HyperPod nodes join'],
    ];
    for (const [field, present, what] of ignored) {
      if (present) Annotations.of(this).addWarning(`[cdk-mlops:k8s-ignored-${field}] ${field} (${what}) has no Kubernetes meaning; it is not rendered.`);
    }

    const labels = workloadLabels(base, COMPONENT, partOf);
    this.clusterQueueName = `${namespace}-${base}`.slice(0, 63).replace(/-+$/, '');
    this.queueName = base;

    // --- Flavors: one per accelerator type, one per CPU instance type --------------------------
    const flavors = new Map<string, FlavorQuota>();
    for (const g of spec.instanceGroups) {
      const info = (g.compute as { info: NonNullable<Extract<typeof g.compute, { kind: 'instance' }>['info']> }).info;
      const key = info.accelerator ? info.accelerator.type : info.name.replace(/^ml\./, '');
      let f = flavors.get(key);
      if (!f) {
        let nodeLabels: Record<string, string> | undefined;
        let tolerations: Record<string, string>[] = [];
        if (info.accelerator) {
          // The labels the pipeline's pods select (undefined with 'none': the device resource alone places them).
          const k = kubernetesAcceleratorFor(info.accelerator.type, acceleratorNodeLabel);
          nodeLabels = k.nodeSelector;
          // Kueue adds the flavor's tolerations to the pods it admits on it.
          tolerations = [{ key: k.resourceName, operator: 'Exists', effect: 'NoSchedule' }];
        } else {
          nodeLabels = { 'node.kubernetes.io/instance-type': key };
        }
        f = { name: `${this.clusterQueueName}-${key.replace(/\./g, '-')}`.slice(0, 63).replace(/-+$/, ''), nodeLabels, tolerations, cpu: 0, memoryGiB: 0, gpus: 0, neuron: 0 };
        flavors.set(key, f);
      }
      f.cpu += g.count * info.vCpus;
      f.memoryGiB += g.count * info.memoryGiB;
      if (info.accelerator) {
        const resource = kubernetesAcceleratorFor(info.accelerator.type).resourceName;
        if (resource === 'nvidia.com/gpu') f.gpus += g.count * info.accelerator.count;
        else f.neuron += g.count * info.accelerator.count;
      }
    }
    const all = [...flavors.values()];
    this.acceleratorTypes = spec.instanceGroups.flatMap((g) => (g.compute.kind === 'instance' && g.compute.info?.accelerator ? [g.compute.info.accelerator.type] : []))
      .filter((t, i, a) => a.indexOf(t) === i);
    this.resourceFlavors = all.map((f, i) => new Manifest(this, `ResourceFlavor${i === 0 ? '' : i + 1}`, {
      manifest: {
        apiVersion: KUEUE,
        kind: 'ResourceFlavor',
        metadata: { name: f.name, labels },
        spec: { ...(f.nodeLabels ? { nodeLabels: f.nodeLabels } : {}), ...(f.tolerations.length > 0 ? { tolerations: f.tolerations } : {}) },
      },
    }));

    // --- ClusterQueue: every flavor in one resource group, covering the same resources ----------
    const covered: [string, (f: FlavorQuota) => string | number][] = [
      ['cpu', (f) => f.cpu],
      ['memory', (f) => `${f.memoryGiB}Gi`],
    ];
    if (all.some((f) => f.gpus > 0)) covered.push(['nvidia.com/gpu', (f) => f.gpus]);
    if (all.some((f) => f.neuron > 0)) covered.push(['aws.amazon.com/neuron', (f) => f.neuron]);
    this.clusterQueue = new Manifest(this, 'ClusterQueue', {
      manifest: {
        apiVersion: KUEUE,
        kind: 'ClusterQueue',
        metadata: { name: this.clusterQueueName, labels },
        spec: {
          // Only the platform's namespace may submit to it.
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
          // A large job waiting for GPUs does not block smaller ones behind it.
          queueingStrategy: 'BestEffortFIFO',
          preemption: { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'Never' },
          resourceGroups: [{
            coveredResources: covered.map(([r]) => r),
            flavors: all.map((f) => ({ name: f.name, resources: covered.map(([r, q]) => ({ name: r, nominalQuota: q(f) })) })),
          }],
        },
      },
    });
    this.resourceFlavors.forEach((f) => this.clusterQueue.node.addDependency(f));

    this.localQueue = new Manifest(this, 'LocalQueue', {
      manifest: {
        apiVersion: KUEUE,
        kind: 'LocalQueue',
        metadata: { name: this.queueName, namespace, labels },
        spec: { clusterQueue: this.clusterQueueName },
      },
    });
    this.localQueue.node.addDependency(this.clusterQueue);
  }
}
