/**
 * The platform the synth benchmark renders: N models cycling through the three kinds of model the
 * reference platform (stacks/reference-platform.ts) shows — a GPU LLM deployed from its own
 * registry with canary traffic shifting, a CPU image model (with a registry) shifted linearly, and
 * a serverless image model; the CPU model is retrained by a pipeline. The kinds are copied here, not imported, so the benchmark's workload
 * stays the same when the reference platform changes.
 */
import { PlatformSpecInput } from '../lib/spec';

type ModelInput = PlatformSpecInput['models'][number];

export const MODEL_KINDS = ['gpu', 'cpu', 'serverless'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const PLATFORM_NAME = 'bench';
export const REGION = 'us-east-1';
export const TAGS: Readonly<Record<string, string>> = { 'managed-by': 'cdk-mlops' };

/** Model i is of kind MODEL_KINDS[i % 3]. */
export function kindOf(index: number): ModelKind {
  return MODEL_KINDS[index % MODEL_KINDS.length];
}

/** `gpu-0`, `cpu-1`, `serverless-2`, `gpu-3`, … */
export function modelName(index: number): string {
  return `${kindOf(index)}-${index}`;
}

const MODELS: Record<ModelKind, Omit<ModelInput, 'name'>> = {
  gpu: {
    description: 'Generative support assistant (LLM) on NVIDIA A10G',
    registry: { description: 'Fine-tuned support assistant LLM' },
    source: { registryVersion: 1 },
    endpoint: {
      compute: { accelerator: { type: 'nvidia-a10g', count: 1 }, memoryGiB: 16 },
      environment: { SM_NUM_GPUS: '1', MAX_INPUT_LENGTH: '4096' },
      scaling: { minInstances: 2, maxInstances: 6, targetInvocationsPerInstance: 30, targetGpuUtilizationPercent: 70 },
      deployment: { strategy: 'canary', canaryPercent: 10, waitIntervalSeconds: 600 },
      alarms: { latencyP99Ms: 5000 },
      dataCapture: { samplingPercent: 10, retentionDays: 30 },
    },
  },
  cpu: {
    description: 'Customer churn classifier (XGBoost) on CPU',
    registry: { description: 'Churn classifier versions' },
    source: {
      image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      modelDataUrl: 's3://mlops-reference-models-us-east-1/churn/model.tar.gz',
    },
    endpoint: {
      compute: { instanceType: 'ml.m5.large' },
      scaling: { minInstances: 2, maxInstances: 4 },
      deployment: { strategy: 'linear', linearStepPercent: 50 },
      alarms: { latencyP99Ms: 200 },
      dataCapture: { samplingPercent: 100, retentionDays: 90, csvContentTypes: ['text/csv'] },
    },
    // Retrained by a pipeline: preprocess → train → evaluate → gate → register or fail.
    pipeline: {
      inputDataUri: 's3://mlops-reference-data-us-east-1/churn/',
      preprocess: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3', command: ['python3', '/opt/ml/processing/input/code/preprocess.py'] },
      train: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', compute: { instanceType: 'ml.m5.xlarge' }, hyperparameters: { num_round: '200' }, maxRuntimeSeconds: 3600 },
      evaluate: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', command: ['python3', '/opt/ml/processing/input/code/evaluate.py'] },
      gate: { metric: 'binary_classification_metrics.auc.value', threshold: 0.8 },
    },
  },
  serverless: {
    description: 'Routes rare back-office tickets: serverless, pays per request',
    source: {
      image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
      modelDataUrl: 's3://mlops-reference-models-us-east-1/ticket-router/model.tar.gz',
    },
    endpoint: {
      compute: { serverless: { memoryMiB: 2048, maxConcurrency: 10 } },
    },
  },
};

/** The PlatformSpec of a benchmark platform with n models. */
export function benchPlatform(n: number): PlatformSpecInput {
  return {
    name: PLATFORM_NAME,
    description: `cdk-mlops synth benchmark, ${n} models`,
    aws: { region: REGION },
    tags: { ...TAGS },
    models: Array.from({ length: n }, (_, i): ModelInput => ({ ...MODELS[kindOf(i)], name: modelName(i) })),
  };
}
