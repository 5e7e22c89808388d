/**
 * The reference platform: what `npm run synth` renders and the tests check. Three models that
 * show the spectrum: a GPU LLM with canary traffic shifting, a CPU classifier with linear
 * shifting, and a low-traffic serverless one. The first two have registries that their training
 * pipelines register new versions into; every endpoint serves an image and an S3 artifact, so the
 * platform deploys in one step (an endpoint serving `{ registryVersion }` needs that version
 * registered before its first deploy).
 */
import { PlatformSpecInput } from '../lib/spec';

export const referencePlatform: PlatformSpecInput = {
  name: 'mlops-reference',
  description: 'cdk-mlops reference platform',
  aws: { region: 'us-east-1' },
  // On Kubernetes: the registry's MLflow server is built from docker/mlflow/Dockerfile.
  kubernetes: {
    viewerGroups: ['mlops-engineers'],
    registry: { mlflowImage: 'ghcr.io/cdk-mlops/mlflow-postgres:2.22.1' },
  },
  tags: { 'managed-by': 'cdk-mlops' },
  models: [
    {
      name: 'support-assistant',
      description: 'Generative support assistant (LLM) on NVIDIA A10G',
      registry: { description: 'Fine-tuned support assistant LLM' },
      source: {
        image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04',
        modelDataUrl: 's3://mlops-reference-models-us-east-1/support-assistant/model.tar.gz',
      },
      endpoint: {
        compute: { accelerator: { type: 'nvidia-a10g', count: 1 }, memoryGiB: 16 },
        environment: { SM_NUM_GPUS: '1', MAX_INPUT_LENGTH: '4096' },
        scaling: { minInstances: 2, maxInstances: 6, targetInvocationsPerInstance: 30, targetGpuUtilizationPercent: 70 },
        deployment: { strategy: 'canary', canaryPercent: 10, waitIntervalSeconds: 600 },
        alarms: { latencyP99Ms: 5000 },
        dataCapture: { samplingPercent: 10, retentionDays: 30 },
        // Text Generation Inference (the server inside the SageMaker TGI image) with the model baked in,
        // listening on 8080 (PORT=8080 in the image): a non-root pod cannot bind port 80.
        kubernetes: { image: 'ghcr.io/cdk-mlops/support-assistant-tgi:2.4.0', port: 8080, healthPath: '/health', startupTimeoutSeconds: 900, allowFromNamespaces: ['ingress-nginx'] },
      },
    },
    {
      name: 'churn',
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
        // The SageMaker serving contract (/ping, /invocations on 8080), model baked into the image.
        kubernetes: { image: 'ghcr.io/cdk-mlops/churn-xgboost:1.7-1', allowFromNamespaces: ['ingress-nginx'] },
      },
    },
    {
      name: 'ticket-router',
      description: 'Routes rare back-office tickets: serverless, pays per request',
      source: {
        image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
        modelDataUrl: 's3://mlops-reference-models-us-east-1/ticket-router/model.tar.gz',
      },
      endpoint: {
        compute: { serverless: { memoryMiB: 2048, maxConcurrency: 10 } },
        kubernetes: { image: 'ghcr.io/cdk-mlops/ticket-router-sklearn:1.2-1' },
      },
    },
  ],
};
