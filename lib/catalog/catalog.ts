/**
 * Functions over the instance-type catalog: look a name up (with did-you-mean), resolve an
 * accelerator intent to the cheapest type that meets it, and map an accelerator to Kubernetes
 * scheduling. No cloud toolkit is imported here: this is the cloud-neutral core.
 */
import { ACCELERATOR_TYPES, AcceleratorType, INSTANCE_TYPES, InstanceTypeInfo, InstanceUse } from './instance-types';

/** What a workload needs; resolved to the cheapest catalog type that meets all of it. */
export interface AcceleratorIntent {
  /** The accelerator model and how many per instance (at least; default 1). Absent: CPU-only types. */
  readonly accelerator?: { readonly type: AcceleratorType; readonly count?: number };
  /** Minimum host memory in GiB. */
  readonly memoryGiB?: number;
  /** Minimum vCPUs. */
  readonly vCpus?: number;
  /** The workload. @default 'inference' */
  readonly use?: InstanceUse;
}

/** A name or an intent the catalog cannot satisfy: what was asked, what would do, and the closest options. */
export class CatalogError extends Error {
  /** What was asked, rendered for humans (`'ml.g5.xlarg'`, `16 x nvidia-t4`). */
  public readonly got: string;
  /** What would have been accepted (`at most 4 x nvidia-t4`). */
  public readonly expected: string;
  /** The closest catalog names, best first; may be empty. */
  public readonly suggestions: string[];

  constructor(message: string, details: { got: string; expected: string; suggestions?: readonly string[] }) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'CatalogError';
    this.got = details.got;
    this.expected = details.expected;
    this.suggestions = [...(details.suggestions ?? [])];
  }
}

/** What processing, check and monitoring jobs run on when nothing names an instance type. */
export const DEFAULT_PROCESSING_INSTANCE_TYPE = 'ml.m5.xlarge';

const USES: readonly InstanceUse[] = ['inference', 'training', 'processing'];
const BY_NAME: ReadonlyMap<string, InstanceTypeInfo> = new Map(INSTANCE_TYPES.map((t) => [t.name, t]));

/** The catalog entry for an exact SageMaker name ('ml.g5.xlarge'), or undefined. */
export function lookupInstanceType(name: string): InstanceTypeInfo | undefined {
  return BY_NAME.get(name);
}

/** Edit distance (insertions, deletions, substitutions), two rows of memory. */
function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let curr = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      curr[j] = Math.min(prev[j] + 1, curr[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length];
}

/** The closest of `candidates` to `word` within a distance that grows with the word, best first. */
function closestNames(word: string, candidates: readonly string[], limit: number): string[] {
  const query = word.trim().toLowerCase();
  if (query === '') return [];
  const maxDistance = Math.max(2, Math.floor(query.length / 3));
  return candidates
    .map((name) => ({ name, distance: levenshtein(query, name.toLowerCase()) }))
    .filter((c) => c.distance <= maxDistance)
    .sort((x, y) => x.distance - y.distance || Math.abs(x.name.length - query.length) - Math.abs(y.name.length - query.length) || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map((c) => c.name);
}

/**
 * Up to 3 known names closest to `name` by edit distance, best first. Case is ignored and a missing
 * 'ml.' prefix is tolerated: 'g5.xlarge' suggests 'ml.g5.xlarge'.
 */
export function suggestInstanceTypes(name: string): string[] {
  const query = name.trim().toLowerCase();
  if (query === '') return [];
  const variants = query.startsWith('ml.') ? [query] : [query, `ml.${query}`];
  const maxDistance = Math.max(2, Math.floor(variants[variants.length - 1].length / 3));
  return INSTANCE_TYPES
    .map((t) => ({ name: t.name, distance: Math.min(...variants.map((v) => levenshtein(v, t.name))) }))
    .filter((c) => c.distance <= maxDistance)
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, 3)
    .map((c) => c.name);
}

/** The catalog entry for `name`; throws a {@link CatalogError} with a did-you-mean when it is unknown. */
export function getInstanceType(name: string): InstanceTypeInfo {
  const info = lookupInstanceType(name);
  if (info) return info;
  const suggestions = suggestInstanceTypes(name);
  const hint = suggestions.length > 0 ? `; did you mean '${suggestions[0]}'?` : '';
  throw new CatalogError(`unknown SageMaker instance type '${name}'${hint}`, {
    got: `'${name}'`,
    expected: "a SageMaker instance type the catalog knows, such as 'ml.m5.xlarge' or 'ml.g5.xlarge'",
    suggestions,
  });
}

// ---------------------------------------------------------------------------------------------
// Resolving an intent
// ---------------------------------------------------------------------------------------------

function describeAccelerator(info: InstanceTypeInfo): string {
  return info.accelerator ? `${info.accelerator.count} x ${info.accelerator.type}, ` : '';
}

function describeInstance(info: InstanceTypeInfo): string {
  return `${info.name} (${describeAccelerator(info)}${info.vCpus} vCPUs, ${info.memoryGiB} GiB)`;
}

function describeIntent(type: AcceleratorType | undefined, count: number, memoryGiB: number | undefined, vCpus: number | undefined): string {
  const parts = [type ? `${count} x ${type}` : 'no accelerator'];
  if (memoryGiB !== undefined) parts.push(`≥ ${memoryGiB} GiB memory`);
  if (vCpus !== undefined) parts.push(`≥ ${vCpus} vCPUs`);
  return parts.join(', ');
}

/** Cheapest first; ties go to fewer vCPUs, then to the name. */
function byPrice(a: InstanceTypeInfo, b: InstanceTypeInfo): number {
  return a.pricePerHourUsd - b.pricePerHourUsd || a.vCpus - b.vCpus || a.name.localeCompare(b.name);
}

function checkMinimum(value: number | undefined, what: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CatalogError(`${what} must be a finite number ≥ 0`, { got: String(value), expected: `${what} ≥ 0` });
  }
}

/**
 * The cheapest catalog type (by price; ties → fewer vCPUs, then name) that has the requested
 * accelerator type with at least the requested count, at least the requested memory and vCPUs, and
 * supports the use. Without `accelerator`, only CPU-only types are candidates. Throws a
 * {@link CatalogError} naming what was asked and the closest option when nothing matches.
 */
export function resolveInstanceType(intent: AcceleratorIntent): InstanceTypeInfo {
  const use: InstanceUse = intent.use ?? 'inference';
  if (!USES.includes(use)) {
    throw new CatalogError(`unknown workload '${String(use)}'`, { got: `'${String(use)}'`, expected: `one of ${USES.map((u) => `'${u}'`).join(', ')}` });
  }
  const type = intent.accelerator?.type;
  if (type !== undefined && !ACCELERATOR_TYPES.includes(type)) {
    const suggestions = closestNames(String(type), ACCELERATOR_TYPES, 3);
    throw new CatalogError(`unknown accelerator type '${String(type)}'${suggestions.length > 0 ? `; did you mean '${suggestions[0]}'?` : ''}`, {
      got: `'${String(type)}'`, expected: `one of ${ACCELERATOR_TYPES.join(', ')}`, suggestions,
    });
  }
  const count = intent.accelerator?.count ?? 1;
  if (type !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw new CatalogError('accelerator count must be a whole number ≥ 1', { got: String(count), expected: 'a whole number ≥ 1' });
  }
  checkMinimum(intent.memoryGiB, 'memoryGiB');
  checkMinimum(intent.vCpus, 'vCpus');
  const { memoryGiB, vCpus } = intent;
  const asked = describeIntent(type, count, memoryGiB, vCpus);

  // 1. The accelerator type (or none), for the use.
  const ofType = INSTANCE_TYPES.filter((t) => t.accelerator?.type === type);
  const forUse = ofType.filter((t) => t.uses.includes(use));
  if (forUse.length === 0) {
    const others = [...new Set(ofType.flatMap((t) => t.uses))];
    throw new CatalogError(
      `no SageMaker instance type with ${type ?? 'no accelerator'} supports ${use}`
        + (others.length > 0 ? `; ${type ?? 'CPU-only'} types (${ofType.map((t) => t.name).join(', ')}) support ${others.join(' and ')}` : ''),
      { got: `${asked}, for ${use}`, expected: `an accelerator type offered for ${use}`, suggestions: ofType.map((t) => t.name).slice(0, 3) },
    );
  }

  // 2. The count.
  const withCount = forUse.filter((t) => (t.accelerator?.count ?? 0) >= (type ? count : 0));
  if (withCount.length === 0) {
    const max = Math.max(...forUse.map((t) => t.accelerator?.count ?? 0));
    const biggest = forUse.filter((t) => (t.accelerator?.count ?? 0) === max).sort(byPrice);
    throw new CatalogError(
      `no SageMaker instance type has ${count} x ${type} for ${use}: the most on one instance is ${max} (${biggest.map((t) => t.name).join(', ')})`,
      { got: `${count} x ${type}`, expected: `at most ${max} x ${type}`, suggestions: biggest.map((t) => t.name).slice(0, 3) },
    );
  }

  // 3. Memory and vCPUs.
  const matching = withCount.filter((t) => t.memoryGiB >= (memoryGiB ?? 0) && t.vCpus >= (vCpus ?? 0));
  if (matching.length === 0) {
    // The closest option is the one that comes nearest to every minimum at once.
    const shortfall = (t: InstanceTypeInfo) => Math.min(
      memoryGiB ? t.memoryGiB / memoryGiB : Infinity,
      vCpus ? t.vCpus / vCpus : Infinity,
    );
    const closest = [...withCount].sort((a, b) => shortfall(b) - shortfall(a) || byPrice(a, b));
    const maxMemory = Math.max(...withCount.map((t) => t.memoryGiB));
    const maxVCpus = Math.max(...withCount.map((t) => t.vCpus));
    const limits = [
      memoryGiB !== undefined && memoryGiB > maxMemory ? `${maxMemory} GiB memory` : undefined,
      vCpus !== undefined && vCpus > maxVCpus ? `${maxVCpus} vCPUs` : undefined,
    ].filter((s): s is string => s !== undefined);
    throw new CatalogError(
      `no SageMaker instance type has ${asked} for ${use}; the closest is ${describeInstance(closest[0])}`,
      {
        got: asked,
        expected: limits.length > 0
          ? `at most ${limits.join(' and ')} with ${type ? `${count} x ${type}` : 'no accelerator'}`
          : `a combination one instance type offers, e.g. ${describeInstance(closest[0])}`,
        suggestions: closest.slice(0, 3).map((t) => t.name),
      },
    );
  }
  return [...matching].sort(byPrice)[0];
}

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

/**
 * NVIDIA GPU feature discovery's `nvidia.com/gpu.product` value for each GPU model, as found on the
 * SageMaker/EC2 instances that carry it. One value per model: p3dn's 32 GiB V100s report
 * 'Tesla-V100-SXM2-32GB', not the p3 value below.
 */
const GPU_PRODUCT: Readonly<Partial<Record<AcceleratorType, string>>> = Object.freeze({
  'nvidia-t4': 'Tesla-T4',
  'nvidia-a10g': 'NVIDIA-A10G',
  'nvidia-l4': 'NVIDIA-L4',
  'nvidia-l40s': 'NVIDIA-L40S',
  'nvidia-v100': 'Tesla-V100-SXM2-16GB',
  'nvidia-a100': 'NVIDIA-A100-SXM4-40GB',
  'nvidia-a100-80gb': 'NVIDIA-A100-SXM4-80GB',
  'nvidia-h100': 'NVIDIA-H100-80GB-HBM3',
  'nvidia-h200': 'NVIDIA-H200',
});

/**
 * The EC2 instance family that carries each Neuron device, matched through Karpenter's well-known
 * `karpenter.k8s.aws/instance-family` node label (set on every node Karpenter launches on EKS;
 * no AWS component labels Neuron nodes by device model). Trainium maps to 'trn1': trn1n nodes
 * carry 'trn1n' and need that value instead.
 */
const NEURON_FAMILY: Readonly<Partial<Record<AcceleratorType, string>>> = Object.freeze({
  'aws-inferentia2': 'inf2',
  'aws-trainium': 'trn1',
});

/**
 * The node labels that name each accelerator model, by who puts them on the node:
 * - 'nvidia-gfd': NVIDIA GPU feature discovery (GPU Operator, or the device plugin with GFD):
 *   `nvidia.com/gpu.product`, the product name the driver reports;
 * - 'gke': GKE on every GPU node, `cloud.google.com/gke-accelerator` (GKE offers neither A10G nor L40S);
 * - 'karpenter': Karpenter on EKS, `karpenter.k8s.aws/instance-gpu-name` (the lower-cased EC2 GPU name),
 *   with `karpenter.k8s.aws/instance-gpu-memory` (MiB) where one name covers two models (A100 40 and 80 GB).
 * Neuron devices carry no model label from any device plugin: every preset but 'gke' (which has no
 * Neuron) selects them by Karpenter's `karpenter.k8s.aws/instance-family` ({@link NEURON_FAMILY}).
 */
export const ACCELERATOR_NODE_LABEL_PRESETS = ['nvidia-gfd', 'gke', 'karpenter', 'none'] as const;
export type AcceleratorNodeLabelPreset = (typeof ACCELERATOR_NODE_LABEL_PRESETS)[number];

/**
 * How GPU nodes are told apart: a preset, or a label key of the cluster's own with its value for
 * each accelerator model the platform uses. 'none' selects no node label: the extended resource
 * request and the device taint alone place the pod (any GPU model will do).
 */
export type AcceleratorNodeLabel = AcceleratorNodeLabelPreset | { readonly key: string; readonly values: Readonly<Partial<Record<AcceleratorType, string>>> };

const GKE_ACCELERATOR: Readonly<Partial<Record<AcceleratorType, string>>> = Object.freeze({
  'nvidia-t4': 'nvidia-tesla-t4',
  'nvidia-l4': 'nvidia-l4',
  'nvidia-v100': 'nvidia-tesla-v100',
  'nvidia-a100': 'nvidia-tesla-a100',
  'nvidia-a100-80gb': 'nvidia-a100-80gb',
  'nvidia-h100': 'nvidia-h100-80gb',
  'nvidia-h200': 'nvidia-h200-141gb',
});

const KARPENTER_GPU: Readonly<Partial<Record<AcceleratorType, Record<string, string>>>> = Object.freeze({
  'nvidia-t4': { 'karpenter.k8s.aws/instance-gpu-name': 't4' },
  'nvidia-a10g': { 'karpenter.k8s.aws/instance-gpu-name': 'a10g' },
  'nvidia-l4': { 'karpenter.k8s.aws/instance-gpu-name': 'l4' },
  'nvidia-l40s': { 'karpenter.k8s.aws/instance-gpu-name': 'l40s' },
  'nvidia-v100': { 'karpenter.k8s.aws/instance-gpu-name': 'v100' },
  'nvidia-a100': { 'karpenter.k8s.aws/instance-gpu-name': 'a100', 'karpenter.k8s.aws/instance-gpu-memory': '40960' },
  'nvidia-a100-80gb': { 'karpenter.k8s.aws/instance-gpu-name': 'a100', 'karpenter.k8s.aws/instance-gpu-memory': '81920' },
  'nvidia-h100': { 'karpenter.k8s.aws/instance-gpu-name': 'h100' },
  'nvidia-h200': { 'karpenter.k8s.aws/instance-gpu-name': 'h200' },
});

/** The node selector of an accelerator under a labelling; throws a {@link CatalogError} when the labelling has no value for it. */
function acceleratorNodeSelector(type: AcceleratorType, labels: AcceleratorNodeLabel): Record<string, string> | undefined {
  if (labels === 'none') return undefined;
  const family = NEURON_FAMILY[type];
  const unknown = (where: string, known: readonly string[]) => new CatalogError(`${where} has no node label value for '${type}'`, {
    got: `'${type}'`, expected: known.length > 0 ? `one of ${known.join(', ')}, or another acceleratorNodeLabel` : 'another acceleratorNodeLabel',
  });
  if (typeof labels === 'object') {
    const value = labels.values[type];
    if (value === undefined) throw unknown(`the label '${labels.key}'`, Object.keys(labels.values));
    return { [labels.key]: value };
  }
  if (family !== undefined) {
    if (labels === 'gke') throw unknown("preset 'gke' (GKE offers no Neuron devices)", Object.keys(GKE_ACCELERATOR));
    return { 'karpenter.k8s.aws/instance-family': family };
  }
  if (labels === 'gke') {
    const value = GKE_ACCELERATOR[type];
    if (value === undefined) throw unknown("preset 'gke'", Object.keys(GKE_ACCELERATOR));
    return { 'cloud.google.com/gke-accelerator': value };
  }
  if (labels === 'karpenter') return { ...KARPENTER_GPU[type] };
  return { 'nvidia.com/gpu.product': GPU_PRODUCT[type]! };
}

/**
 * How a Kubernetes pod asks for an accelerator: the extended resource to request (the NVIDIA device
 * plugin's `nvidia.com/gpu`, the Neuron device plugin's `aws.amazon.com/neuron`, counted in devices)
 * and a node selector that pins the model under the cluster's labelling ({@link AcceleratorNodeLabel},
 * default 'nvidia-gfd'); undefined with 'none'.
 */
export function kubernetesAcceleratorFor(type: AcceleratorType): { resourceName: string; nodeSelector: Record<string, string> };
export function kubernetesAcceleratorFor(type: AcceleratorType, labels: AcceleratorNodeLabel): { resourceName: string; nodeSelector?: Record<string, string> };
export function kubernetesAcceleratorFor(type: AcceleratorType, labels: AcceleratorNodeLabel = 'nvidia-gfd'): { resourceName: string; nodeSelector?: Record<string, string> } {
  const resourceName = GPU_PRODUCT[type] !== undefined ? 'nvidia.com/gpu' : NEURON_FAMILY[type] !== undefined ? 'aws.amazon.com/neuron' : undefined;
  if (resourceName === undefined) {
    const suggestions = closestNames(String(type), ACCELERATOR_TYPES, 3);
    throw new CatalogError(`unknown accelerator type '${String(type)}'${suggestions.length > 0 ? `; did you mean '${suggestions[0]}'?` : ''}`, {
      got: `'${String(type)}'`, expected: `one of ${ACCELERATOR_TYPES.join(', ')}`, suggestions,
    });
  }
  const nodeSelector = acceleratorNodeSelector(type, labels);
  return nodeSelector ? { resourceName, nodeSelector } : { resourceName };
}
