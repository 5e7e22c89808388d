/**
 * The SageMaker instance-type catalog: hardware facts, us-east-1 on-demand prices and which
 * SageMaker workloads accept each type. Pure data; the functions over it live in `catalog.ts`.
 *
 * Where the figures come from (see {@link PRICES} for the price snapshot):
 * - vCPUs, host memory, accelerator model/count/memory and local NVMe storage: the EC2 instance-type
 *   specifications (accelerated-computing and general-purpose pages) as mirrored by SageMaker.
 * - `uses`: the SageMaker API enums — `ProductionVariant.InstanceType` (inference),
 *   `ResourceConfig.InstanceType` (training) and `ProcessingClusterConfig.InstanceType` (processing) —
 *   with one deliberate exception: trn1/trn1n are listed as training-only (see the note on them).
 */

/** Accelerator models the catalog knows, one per distinct device a workload would target. */
export type AcceleratorType =
  | 'nvidia-t4' | 'nvidia-a10g' | 'nvidia-l4' | 'nvidia-l40s' | 'nvidia-v100'
  | 'nvidia-a100' | 'nvidia-a100-80gb' | 'nvidia-h100' | 'nvidia-h200'
  | 'aws-inferentia2' | 'aws-trainium';

export const ACCELERATOR_TYPES: readonly AcceleratorType[] = Object.freeze([
  'nvidia-t4', 'nvidia-a10g', 'nvidia-l4', 'nvidia-l40s', 'nvidia-v100',
  'nvidia-a100', 'nvidia-a100-80gb', 'nvidia-h100', 'nvidia-h200',
  'aws-inferentia2', 'aws-trainium',
] as const);

export interface AcceleratorInfo {
  readonly type: AcceleratorType;
  /** GPUs, or Neuron devices (chips), per instance. */
  readonly count: number;
  /** Accelerator memory per device, in GiB as AWS publishes it (H200: 141). */
  readonly memoryGiBEach: number;
}

/** The SageMaker workloads an instance type can run: real-time/async endpoints, training jobs, processing jobs. */
export type InstanceUse = 'inference' | 'training' | 'processing';

export interface InstanceTypeInfo {
  /** The SageMaker name, e.g. 'ml.g5.xlarge'. */
  readonly name: string;
  /** The family, e.g. 'g5'. */
  readonly family: string;
  readonly vCpus: number;
  /** Host memory in GiB. */
  readonly memoryGiB: number;
  /** The accelerators, for GPU and Neuron types; absent for CPU-only types. */
  readonly accelerator?: AcceleratorInfo;
  /**
   * true when the instance has local NVMe instance storage (e.g. g4dn, g5, g6, g6e, p3dn, p4d, p4de,
   * p5, p5e, m5d, trn1): SageMaker rejects a KmsKeyId on an EndpointConfig whose variants use such
   * instances (and a VolumeKmsKeyId on training jobs); the instance store is hardware-encrypted.
   */
  readonly localNvmeStorage: boolean;
  /**
   * us-east-1 on-demand price per hour in USD for real-time inference hosting (the training price
   * for types SageMaker does not host, such as trn1 or p3dn). See {@link PRICES}.
   */
  readonly pricePerHourUsd: number;
  /** The SageMaker workloads that accept this type. */
  readonly uses: readonly InstanceUse[];
}

/**
 * Where the prices come from. Most figures match a snapshot of the AWS Price List API
 * (AmazonSageMaker offer, us-east-1) taken on 2026-09-27 and recorded in the project's reference
 * material, cross-checked against older copies of AWS's public SageMaker pricing page; they
 * include the June 2025 P4/P5 price reduction. Prices drift: re-check before quoting a bill.
 */
export const PRICES: { readonly region: 'us-east-1'; readonly takenOn: string; readonly source: string } = Object.freeze({
  region: 'us-east-1' as const,
  takenOn: '2026-09-27',
  source:
    "AWS SageMaker on-demand prices for us-east-1 as recorded in the project's reference material: a 2026-09-27 snapshot of the "
    + 'AWS Price List API (AmazonSageMaker offer), cross-checked against older copies of the public SageMaker pricing page '
    + '(https://aws.amazon.com/sagemaker/pricing/). Not in that snapshot and taken from older or derived figures: p3 and p3dn '
    + '(older pricing-page copies), trn1n.32xlarge (EC2 price x 1.15, the SageMaker markup the other trn1 and P types show) and '
    + 'p5e.48xlarge (no published figure found: recorded as the p5.48xlarge price, a lower bound). Re-check before relying on them.',
});

// ---------------------------------------------------------------------------------------------
// The table. One block per family; a row is [size, vCPUs, memory GiB, accelerator count, USD/hour]
// plus, where a size differs from its family, the uses it supports.
// ---------------------------------------------------------------------------------------------

const ALL: readonly InstanceUse[] = ['inference', 'training', 'processing'];
const INFERENCE: readonly InstanceUse[] = ['inference'];
const TRAINING: readonly InstanceUse[] = ['training'];
const INFERENCE_TRAINING: readonly InstanceUse[] = ['inference', 'training'];
const TRAINING_PROCESSING: readonly InstanceUse[] = ['training', 'processing'];

type Row = readonly [size: string, vCpus: number, memoryGiB: number, acceleratorCount: number, pricePerHourUsd: number, uses?: readonly InstanceUse[]];

interface FamilySpec {
  readonly family: string;
  readonly localNvmeStorage: boolean;
  readonly uses: readonly InstanceUse[];
  readonly accelerator?: { readonly type: AcceleratorType; readonly memoryGiBEach: number };
  readonly rows: readonly Row[];
}

const FAMILIES: readonly FamilySpec[] = [
  // --- CPU: burstable. Not a SageMaker hosting type (ProductionVariant accepts t2, not t3).
  {
    family: 't3', localNvmeStorage: false, uses: TRAINING_PROCESSING, rows: [
      ['medium', 2, 4, 0, 0.05],
      ['large', 2, 8, 0, 0.1],
      ['xlarge', 4, 16, 0, 0.2],
      ['2xlarge', 8, 32, 0, 0.399],
    ],
  },
  // --- CPU: general purpose.
  {
    family: 'm5', localNvmeStorage: false, uses: ALL, rows: [
      ['large', 2, 8, 0, 0.115],
      ['xlarge', 4, 16, 0, 0.23],
      ['2xlarge', 8, 32, 0, 0.461],
      ['4xlarge', 16, 64, 0, 0.922],
      ['12xlarge', 48, 192, 0, 2.765],
      ['24xlarge', 96, 384, 0, 5.53],
    ],
  },
  // m5d: hosting only on SageMaker (not a training or processing type).
  {
    family: 'm5d', localNvmeStorage: true, uses: INFERENCE, rows: [
      ['large', 2, 8, 0, 0.136],
      ['xlarge', 4, 16, 0, 0.271],
      ['2xlarge', 8, 32, 0, 0.542],
      ['4xlarge', 16, 64, 0, 1.085],
      ['12xlarge', 48, 192, 0, 3.254],
      ['24xlarge', 96, 384, 0, 6.509],
    ],
  },
  {
    family: 'm6i', localNvmeStorage: false, uses: ALL, rows: [
      ['large', 2, 8, 0, 0.115],
      ['xlarge', 4, 16, 0, 0.23],
      ['2xlarge', 8, 32, 0, 0.461],
      ['4xlarge', 16, 64, 0, 0.922],
      ['8xlarge', 32, 128, 0, 1.843],
      ['12xlarge', 48, 192, 0, 2.765],
      ['16xlarge', 64, 256, 0, 3.686],
      ['24xlarge', 96, 384, 0, 5.53],
      ['32xlarge', 128, 512, 0, 7.373],
    ],
  },
  {
    family: 'm7i', localNvmeStorage: false, uses: ALL, rows: [
      ['large', 2, 8, 0, 0.121],
      ['xlarge', 4, 16, 0, 0.242],
      ['2xlarge', 8, 32, 0, 0.484],
      ['4xlarge', 16, 64, 0, 0.968],
      ['8xlarge', 32, 128, 0, 1.935],
      ['12xlarge', 48, 192, 0, 2.903],
      ['16xlarge', 64, 256, 0, 3.871],
      ['24xlarge', 96, 384, 0, 5.806],
      ['48xlarge', 192, 768, 0, 11.612],
    ],
  },
  // --- CPU: compute optimized. c5.large and c6i.large are hosting-only (not training/processing types).
  {
    family: 'c5', localNvmeStorage: false, uses: ALL, rows: [
      ['large', 2, 4, 0, 0.102, INFERENCE],
      ['xlarge', 4, 8, 0, 0.204],
      ['2xlarge', 8, 16, 0, 0.408],
      ['4xlarge', 16, 32, 0, 0.816],
      ['9xlarge', 36, 72, 0, 1.836],
      ['18xlarge', 72, 144, 0, 3.672],
    ],
  },
  {
    family: 'c6i', localNvmeStorage: false, uses: ALL, rows: [
      ['large', 2, 4, 0, 0.102, INFERENCE],
      ['xlarge', 4, 8, 0, 0.204],
      ['2xlarge', 8, 16, 0, 0.408],
      ['4xlarge', 16, 32, 0, 0.816],
      ['8xlarge', 32, 64, 0, 1.632],
      ['12xlarge', 48, 96, 0, 2.448],
      ['16xlarge', 64, 128, 0, 3.264],
      ['24xlarge', 96, 192, 0, 4.896],
      ['32xlarge', 128, 256, 0, 6.528],
    ],
  },
  {
    family: 'c7i', localNvmeStorage: false, uses: ALL, rows: [
      ['large', 2, 4, 0, 0.107],
      ['xlarge', 4, 8, 0, 0.214],
      ['2xlarge', 8, 16, 0, 0.428],
      ['4xlarge', 16, 32, 0, 0.857],
      ['8xlarge', 32, 64, 0, 1.714],
      ['12xlarge', 48, 96, 0, 2.57],
      ['16xlarge', 64, 128, 0, 3.427],
      ['24xlarge', 96, 192, 0, 5.141],
      ['48xlarge', 192, 384, 0, 10.282],
    ],
  },
  // --- CPU: memory optimized. r5.8xlarge and r5.16xlarge are not hosting types.
  {
    family: 'r5', localNvmeStorage: false, uses: ALL, rows: [
      ['large', 2, 16, 0, 0.151],
      ['xlarge', 4, 32, 0, 0.302],
      ['2xlarge', 8, 64, 0, 0.605],
      ['4xlarge', 16, 128, 0, 1.21],
      ['8xlarge', 32, 256, 0, 2.419, TRAINING_PROCESSING],
      ['12xlarge', 48, 384, 0, 3.629],
      ['16xlarge', 64, 512, 0, 4.838, TRAINING_PROCESSING],
      ['24xlarge', 96, 768, 0, 7.258],
    ],
  },
  // --- NVIDIA T4 (16 GiB).
  {
    family: 'g4dn', localNvmeStorage: true, uses: ALL, accelerator: { type: 'nvidia-t4', memoryGiBEach: 16 }, rows: [
      ['xlarge', 4, 16, 1, 0.7364],
      ['2xlarge', 8, 32, 1, 0.94],
      ['4xlarge', 16, 64, 1, 1.505],
      ['8xlarge', 32, 128, 1, 2.72],
      ['12xlarge', 48, 192, 4, 4.89],
      ['16xlarge', 64, 256, 1, 5.44],
    ],
  },
  // --- NVIDIA A10G (24 GiB).
  {
    family: 'g5', localNvmeStorage: true, uses: ALL, accelerator: { type: 'nvidia-a10g', memoryGiBEach: 24 }, rows: [
      ['xlarge', 4, 16, 1, 1.408],
      ['2xlarge', 8, 32, 1, 1.515],
      ['4xlarge', 16, 64, 1, 2.03],
      ['8xlarge', 32, 128, 1, 3.06],
      ['12xlarge', 48, 192, 4, 7.09],
      ['16xlarge', 64, 256, 1, 5.12],
      ['24xlarge', 96, 384, 4, 10.18],
      ['48xlarge', 192, 768, 8, 20.36],
    ],
  },
  // --- NVIDIA L4 (24 GiB).
  {
    family: 'g6', localNvmeStorage: true, uses: ALL, accelerator: { type: 'nvidia-l4', memoryGiBEach: 24 }, rows: [
      ['xlarge', 4, 16, 1, 1.127],
      ['2xlarge', 8, 32, 1, 1.222],
      ['4xlarge', 16, 64, 1, 1.654],
      ['8xlarge', 32, 128, 1, 2.518],
      ['12xlarge', 48, 192, 4, 5.752],
      ['16xlarge', 64, 256, 1, 4.246],
      ['24xlarge', 96, 384, 4, 8.344],
      ['48xlarge', 192, 768, 8, 16.688],
    ],
  },
  // --- NVIDIA L40S (48 GiB).
  {
    family: 'g6e', localNvmeStorage: true, uses: ALL, accelerator: { type: 'nvidia-l40s', memoryGiBEach: 48 }, rows: [
      ['xlarge', 4, 32, 1, 2.61],
      ['2xlarge', 8, 64, 1, 2.8],
      ['4xlarge', 16, 128, 1, 3.76],
      ['8xlarge', 32, 256, 1, 5.66],
      ['12xlarge', 48, 384, 4, 13.12],
      ['16xlarge', 64, 512, 1, 9.47],
      ['24xlarge', 96, 768, 4, 18.83],
      ['48xlarge', 192, 1536, 8, 37.66],
    ],
  },
  // --- NVIDIA V100 (16 GiB on p3; EBS-only).
  {
    family: 'p3', localNvmeStorage: false, uses: ALL, accelerator: { type: 'nvidia-v100', memoryGiBEach: 16 }, rows: [
      ['2xlarge', 8, 61, 1, 3.825],
      ['8xlarge', 32, 244, 4, 14.688],
      ['16xlarge', 64, 488, 8, 28.152],
    ],
  },
  // p3dn: V100 with 32 GiB each, 2 x 900 GB NVMe; a SageMaker training type only.
  {
    family: 'p3dn', localNvmeStorage: true, uses: TRAINING, accelerator: { type: 'nvidia-v100', memoryGiBEach: 32 }, rows: [
      ['24xlarge', 96, 768, 8, 35.894],
    ],
  },
  // --- NVIDIA A100. p4d/p4de/p5/p5e are hosting and training types, not processing types.
  {
    family: 'p4d', localNvmeStorage: true, uses: INFERENCE_TRAINING, accelerator: { type: 'nvidia-a100', memoryGiBEach: 40 }, rows: [
      ['24xlarge', 96, 1152, 8, 25.2513],
    ],
  },
  {
    family: 'p4de', localNvmeStorage: true, uses: INFERENCE_TRAINING, accelerator: { type: 'nvidia-a100-80gb', memoryGiBEach: 80 }, rows: [
      ['24xlarge', 96, 1152, 8, 31.5641],
    ],
  },
  // --- NVIDIA H100 (80 GiB). p5.4xlarge (one GPU) is also a processing type.
  {
    family: 'p5', localNvmeStorage: true, uses: INFERENCE_TRAINING, accelerator: { type: 'nvidia-h100', memoryGiBEach: 80 }, rows: [
      ['4xlarge', 16, 256, 1, 7.912, ALL],
      ['48xlarge', 192, 2048, 8, 63.296],
    ],
  },
  // --- NVIDIA H200 (141 GB each as AWS publishes it). Price: see PRICES.source (a lower bound).
  {
    family: 'p5e', localNvmeStorage: true, uses: INFERENCE_TRAINING, accelerator: { type: 'nvidia-h200', memoryGiBEach: 141 }, rows: [
      ['48xlarge', 192, 2048, 8, 63.296],
    ],
  },
  // --- AWS Inferentia2 (32 GiB per device); inference only (not a training or processing type).
  {
    family: 'inf2', localNvmeStorage: false, uses: INFERENCE, accelerator: { type: 'aws-inferentia2', memoryGiBEach: 32 }, rows: [
      ['xlarge', 4, 16, 1, 0.99],
      ['8xlarge', 32, 128, 1, 2.36],
      ['24xlarge', 96, 384, 6, 7.79],
      ['48xlarge', 192, 768, 12, 15.58],
    ],
  },
  // --- AWS Trainium (32 GiB per device), with local NVMe. Listed as training-only: the project
  // treats Trainium as a training target. Note that SageMaker's ProductionVariant.InstanceType enum
  // has also accepted ml.trn1.* and ml.trn1n.32xlarge since late 2024, so this is a policy choice,
  // not an API limit. Prices: SageMaker training.
  {
    family: 'trn1', localNvmeStorage: true, uses: TRAINING, accelerator: { type: 'aws-trainium', memoryGiBEach: 32 }, rows: [
      ['2xlarge', 8, 32, 1, 1.54],
      ['32xlarge', 128, 512, 16, 24.73],
    ],
  },
  {
    family: 'trn1n', localNvmeStorage: true, uses: TRAINING, accelerator: { type: 'aws-trainium', memoryGiBEach: 32 }, rows: [
      ['32xlarge', 128, 512, 16, 28.497],
    ],
  },
];

function build(spec: FamilySpec, row: Row): InstanceTypeInfo {
  const [size, vCpus, memoryGiB, count, pricePerHourUsd, uses] = row;
  const info: InstanceTypeInfo = {
    name: `ml.${spec.family}.${size}`,
    family: spec.family,
    vCpus,
    memoryGiB,
    ...(spec.accelerator ? { accelerator: Object.freeze({ type: spec.accelerator.type, count, memoryGiBEach: spec.accelerator.memoryGiBEach }) } : {}),
    localNvmeStorage: spec.localNvmeStorage,
    pricePerHourUsd,
    uses: Object.freeze([...(uses ?? spec.uses)]),
  };
  return Object.freeze(info);
}

/** Every SageMaker instance type the catalog knows, grouped by family, smallest size first. */
export const INSTANCE_TYPES: readonly InstanceTypeInfo[] = Object.freeze(
  FAMILIES.flatMap((spec) => spec.rows.map((row) => build(spec, row))),
);
