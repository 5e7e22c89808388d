/**
 * MlPipeline spec, cloud-neutral: how a model is built. The default template is
 * preprocess → train → evaluate → gate on a metric of the evaluation report → register the model
 * (pending manual approval, with its metrics) or fail; optionally a data-quality baseline of the
 * training data. Targets render it (constructs/aws: a SageMaker model building pipeline).
 */
import { z } from 'zod';
import { DEFAULT_PROCESSING_INSTANCE_TYPE } from '../catalog';
import { renderValue } from '../errors';
import { parseSchedule, RECURRING_SCHEDULE_SHAPE, ScheduleError } from '../schedule';
import { computeSchema } from './compute';
import { addIssue, int, isUnresolved, s3Uri, tokenOr } from './primitives';
import { MODEL_APPROVAL_STATUSES } from './registry';

/** Container images of pipeline jobs: an ECR URI with a tag or digest. */
export const JOB_IMAGE_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+)(:[\w.-]{1,128}|@sha256:[a-f0-9]{64})$/;
const jobImage = () => tokenOr(z.string().regex(JOB_IMAGE_URI, { error: "an ECR image URI with a tag or digest, e.g. '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311'" }));

/** Longest a SageMaker training job may run: 28 days (the spot max wait included). */
export const MAX_JOB_RUNTIME_SECONDS = 28 * 24 * 3600;
/** Longest cdk-mlops lets a processing job run: 5 days (SageMaker itself allows up to 777600 s, 9 days). */
export const MAX_PROCESSING_RUNTIME_SECONDS = 5 * 24 * 3600;
/** How long a training or processing job may run when nothing says: one day. */
export const DEFAULT_JOB_RUNTIME_SECONDS = 24 * 3600;

export const DISTRIBUTIONS = ['none', 'torch', 'mpi'] as const;
export const GATE_COMPARISONS = ['>=', '>', '<=', '<'] as const;

const environment = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$/, { error: 'an environment variable name' }), tokenOr(z.string().max(1024))).default({});

const processingJob = z.strictObject({
  image: jobImage().meta({ description: 'The container image of the job.' }),
  command: z.array(tokenOr(z.string().min(1))).min(1).optional().meta({ description: "Container entrypoint, e.g. ['python3', '/opt/ml/processing/code/preprocess.py']. @default - the image's entrypoint" }),
  arguments: z.array(tokenOr(z.string())).default([]).meta({ description: 'Container arguments. @default - none' }),
  compute: computeSchema('processing', { allowServerless: false }).optional().meta({ description: `Instance type or intent. @default { instanceType: '${DEFAULT_PROCESSING_INSTANCE_TYPE}' }` }),
  instanceCount: int(1, 100).default(1).meta({ description: '@default 1' }),
  volumeSizeGiB: int(1, 16384).default(30).meta({ description: 'Storage volume per instance in GiB. @default 30' }),
  maxRuntimeSeconds: int(1, MAX_PROCESSING_RUNTIME_SECONDS).default(DEFAULT_JOB_RUNTIME_SECONDS).meta({ description: 'Stop the job after this long (at most 5 days). @default 86400' }),
  environment,
});

const trainSchema = z.strictObject({
  image: jobImage().meta({ description: 'The training image (e.g. an AWS Deep Learning Container or an algorithm image).' }),
  compute: computeSchema('training', { allowServerless: false }).meta({ description: "{ instanceType } or an accelerator intent: { accelerator: { type: 'nvidia-a10g', count: 4 } }." }),
  instanceCount: int(1, 100).default(1).meta({ description: 'Instances of the training cluster; > 1 needs a distribution. @default 1' }),
  distribution: z.enum(DISTRIBUTIONS).default('none').meta({ description: "'torch' (torchrun, the SageMaker SDK's torch_distributed), 'mpi' (mpirun) or 'none'. @default 'none'" }),
  processesPerHost: int(1, 64).optional().meta({ description: 'Processes per instance for mpi. @default - the accelerators per instance (1 on CPU)' }),
  entryPoint: z.strictObject({
    script: z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[\w./-]+$/, { error: "a path relative to sourceDir, e.g. 'train.py'" }).meta({ description: "The program the framework container runs, relative to sourceDir, e.g. 'train.py'." }),
    sourceDir: z.string().min(1).meta({ description: 'A folder of your repository (relative to the spec file, or absolute) packaged with the job; it must contain script.' }),
  }).optional().meta({ description: "A training script from your repository, run by a framework container (AWS Deep Learning Containers: sagemaker_program / sagemaker_submit_directory). @default - the image's own program" }),
  command: z.array(tokenOr(z.string().min(1))).min(1).optional().meta({ description: "Container entrypoint of the training job, e.g. ['python3', '/opt/ml/code/train.py'] (SageMaker ContainerEntrypoint; the container command on Kubernetes). @default - the image's entrypoint, run as the SageMaker training contract ('train')" }),
  arguments: z.array(tokenOr(z.string())).default([]).meta({ description: 'Arguments of command (SageMaker ContainerArguments). @default - none' }),
  hyperparameters: z.record(z.string().min(1).max(256), tokenOr(z.string().max(2500))).default({}).meta({ description: 'Passed to the training container as strings. @default - none' }),
  metricDefinitions: z.array(z.strictObject({ name: z.string().min(1).max(255), regex: z.string().min(1).max(500) })).max(40).default([]).meta({ description: 'Metrics parsed from the training logs. @default - none' }),
  environment,
  spot: z.strictObject({
    maxWaitSeconds: int(1, MAX_JOB_RUNTIME_SECONDS).optional().meta({ description: 'How long to wait for spot capacity plus run, ≥ maxRuntimeSeconds. @default - 2 × maxRuntimeSeconds, capped at 28 days' }),
  }).optional().meta({ description: 'Managed spot training, checkpointed to S3. @default - on-demand' }),
  maxRuntimeSeconds: int(1, MAX_JOB_RUNTIME_SECONDS).default(DEFAULT_JOB_RUNTIME_SECONDS).meta({ description: 'Stop training after this long. @default 86400' }),
  volumeSizeGiB: int(1, 16384).default(50).meta({ description: 'Storage volume per instance in GiB. @default 50' }),
  networkIsolation: z.boolean().default(true).meta({ description: 'No outbound network from the training container. @default true' }),
  interContainerEncryption: z.boolean().default(true).meta({ description: 'Encrypt traffic between the instances of a distributed job. @default true' }),
  dataDistribution: z.enum(['FullyReplicated', 'ShardedByS3Key']).default('FullyReplicated').meta({ description: "How the training channel is split over instances. @default 'FullyReplicated'" }),
}).superRefine((t, ctx) => {
  if (isUnresolved(t.instanceCount) || isUnresolved(t.maxRuntimeSeconds)) return;
  if (t.instanceCount > 1 && t.distribution === 'none') {
    addIssue(ctx, ['distribution'], 'must say how to distribute training over several instances', { got: `'none' with instanceCount ${t.instanceCount}`, expected: "'torch' or 'mpi'" });
  }
  if (t.processesPerHost !== undefined && t.distribution !== 'mpi') {
    addIssue(ctx, ['processesPerHost'], "only applies to distribution 'mpi'", { got: String(t.processesPerHost), expected: "no processesPerHost, or distribution 'mpi'" });
  }
  const wait = t.spot?.maxWaitSeconds;
  if (wait !== undefined && !isUnresolved(wait) && wait < t.maxRuntimeSeconds) {
    addIssue(ctx, ['spot', 'maxWaitSeconds'], 'must be ≥ maxRuntimeSeconds', { got: String(wait), expected: `≥ ${t.maxRuntimeSeconds}` });
  }
  if (t.entryPoint && t.command) {
    addIssue(ctx, ['entryPoint'], "cannot be combined with command: the framework container's own entrypoint runs the script", { got: 'entryPoint and command', expected: 'one of them' });
  }
  const reserved = Object.keys(t.hyperparameters).filter((k) => k.startsWith('sagemaker_'));
  for (const key of reserved) {
    addIssue(ctx, ['hyperparameters', key], 'is reserved for the distribution settings cdk-mlops writes', { got: renderValue(key), expected: "a name not starting with 'sagemaker_'" });
  }
});

const evaluateSchema = processingJob.extend({
  reportFile: z.string().regex(/^[\w.-]+\.json$/, { error: "a JSON file name such as 'evaluation.json'" }).default('evaluation.json').meta({ description: "The report the job writes to /opt/ml/processing/evaluation. @default 'evaluation.json'" }),
});

const gateSchema = z.strictObject({
  metric: z.string().regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d+\])*$/, { error: "a JSON path into the evaluation report, e.g. 'metrics.auc.value'" })
    .meta({ description: "JSON path of the metric in the evaluation report, e.g. 'metrics.auc.value'." }),
  comparison: z.enum(GATE_COMPARISONS).default('>=').meta({ description: "How the metric is compared with the threshold. @default '>='" }),
  threshold: z.number().meta({ description: 'The model registers only when `metric comparison threshold` holds.' }),
});

const registerSchema = z.strictObject({
  image: jobImage().optional().meta({ description: 'The inference image of the registered model. @default - the training image' }),
  approvalStatus: z.enum(MODEL_APPROVAL_STATUSES).default('PendingManualApproval').meta({ description: "@default 'PendingManualApproval'" }),
  contentTypes: z.array(z.string().min(1)).min(1).default(['text/csv']).meta({ description: "@default ['text/csv']" }),
  responseTypes: z.array(z.string().min(1)).min(1).default(['text/csv']).meta({ description: "@default ['text/csv']" }),
  inferenceInstanceTypes: z.array(z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { error: "a SageMaker instance type such as 'ml.m5.large'" })).default([]).meta({ description: 'Real-time instance types the model supports. @default - none listed' }),
});

/** A schedule of the right shape whose fields EventBridge Scheduler would refuse at deploy (the regex reports a wrong shape). */
function readableSchedule(text: string, ctx: z.RefinementCtx): void {
  if (!RECURRING_SCHEDULE_SHAPE.test(text)) return;
  try {
    parseSchedule(text);
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    addIssue(ctx, [], `is not a schedule EventBridge Scheduler accepts: ${e.reason}`, { got: renderValue(text), expected: e.expected });
  }
}

/** A recurring schedule expression EventBridge Scheduler accepts (UTC), token-tolerant: what every spec `schedule` field takes. */
export const recurringSchedule = () => tokenOr(z.string().regex(RECURRING_SCHEDULE_SHAPE, { error: "a schedule expression: 'rate(7 days)' or 'cron(0 3 ? * MON *)'" }).superRefine(readableSchedule));

export const pipelineSpecSchema = z.strictObject({
  description: z.string().max(3072).optional(),
  inputDataUri: s3Uri().optional().meta({ description: "Where the training data lives (an S3 prefix); the default of the InputDataUri pipeline parameter. @default - the data/ prefix of the pipeline's own input bucket" }),
  preprocess: processingJob.meta({ description: 'Splits and prepares the input data: reads /opt/ml/processing/input, writes train/, validation/ and test/ under /opt/ml/processing/.' }),
  train: trainSchema,
  evaluate: evaluateSchema.meta({ description: 'Scores the model on the test split and writes a JSON report the gate reads.' }),
  gate: gateSchema,
  register: registerSchema.prefault({}).meta({ description: 'Registration of a model that passes the gate. @default - pending manual approval, text/csv' }),
  dataQualityBaseline: z.boolean().default(false).meta({ description: 'Compute a data-quality baseline (statistics.json, constraints.json) of the training split, for drift monitoring. @default false' }),
  schedule: recurringSchedule().optional()
    .meta({ description: "Start the pipeline on a schedule: 'rate(7 days)' or 'cron(0 3 ? * MON *)' (UTC). @default - no schedule" }),
  retrainOnNewData: z.boolean().default(false).meta({ description: 'Start the pipeline when an object is created under inputDataUri. @default false' }),
  failureNotifications: z.boolean().default(true).meta({ description: 'Notify failed or stopped executions, and alarm on failed executions. @default true' }),
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { PipelineSpecInput } from './types.generated';
export type { PipelineSpecInput };
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
