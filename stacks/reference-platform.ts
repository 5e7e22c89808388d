/**
 * The reference platform: what `npm run synth` renders and the tests check. Three models that
 * show the spectrum: a GPU LLM with canary traffic shifting, a CPU classifier with linear
 * shifting, its feature store and the data and model quality monitors that retrain it, and a
 * small CPU ticket router. It is held to the strict governance level: every model in a VPC,
 * network-isolated, with customer-managed keys, owner/cost-center/data-classification tags. The first two have registries that their training
 * pipelines register new versions into. The support assistant follows its registry: each version
 * approved there is delivered to a staging account (at once) and then to a production account (once
 * promoted, and after an hour without alarms) by the platform's delivery state machine; until the
 * first approval its stage stacks hold no endpoint, so the platform deploys in one step. The other
 * endpoints serve an image and an S3 artifact. Replace the three account ids with yours.
 *
 * The LLM is fine-tuned weekly by a pipeline (distributed PyTorch on two 4-GPU instances, on managed
 * spot with checkpoints, gated on evaluation loss, registered pending approval); the churn model is
 * retrained weekly on CPU with a data-quality baseline its drift monitor uses. Pipelines log to a
 * managed MLflow server. A HyperPod cluster for large runs joins an existing VPC: replace `vpcId`
 * and `subnetIds` with yours before deploying (synth needs no AWS account).
 */
import { PlatformSpecInput } from '../lib/spec';

export const referencePlatform: PlatformSpecInput = {
  name: 'mlops-reference',
  description: 'cdk-mlops reference platform',
  aws: { account: '111122223333', region: 'us-east-1' },
  // Approved versions of the support assistant: staging at once, production once promoted and after an hour without alarms.
  delivery: {
    stages: [
      { name: 'staging', account: '222233334444', approval: 'auto', bakeMinutes: 30 },
      { name: 'prod', account: '555566667777', approval: 'manual', bakeMinutes: 60 },
    ],
  },
  // On Kubernetes: the registry's MLflow server is built from docker/mlflow/Dockerfile.
  kubernetes: {
    viewerGroups: ['mlops-engineers'],
    registry: { mlflowImage: 'ghcr.io/cdk-mlops/mlflow-postgres:2.22.1' },
    // churn's features: a Feast server on Redis, history in the same bucket the AWS offline store uses.
    featureStore: { feastImage: 'docker.io/feastdev/feature-server:0.49.0', offlineStoreUri: 's3://mlops-reference-features-us-east-1' },
    // churn's drift monitor: results to the kube-prometheus-stack's Pushgateway, rules picked up by its Prometheus.
    drift: {
      image: 'ghcr.io/cdk-mlops/drift-analysis:1.0.0',
      pushgatewayUrl: 'http://prometheus-pushgateway.monitoring:9091',
      captureUri: 's3://mlops-reference-capture-us-east-1',
      prometheusRuleLabels: { release: 'kube-prometheus-stack' },
    },
    // Scraped by kube-prometheus-stack's Prometheus (its monitor selectors match 'release'); runbooks on the
    // team's own site (a reserved .example name here: replace it with yours).
    observability: {
      monitorLabels: { release: 'kube-prometheus-stack' },
      runbookBaseUrl: 'https://runbooks.mlops-reference.example/kubernetes',
    },
  },
  tags: { 'managed-by': 'cdk-mlops', owner: 'ml-platform-team', 'cost-center': 'cc-1042', 'data-classification': 'confidential', environment: 'production' },
  governance: { level: 'strict', personas: true },
  models: [
    {
      name: 'support-assistant',
      description: 'Generative support assistant (LLM) on NVIDIA A10G',
      registry: { description: 'Fine-tuned support assistant LLM' },
      card: {
        owner: 'support-ml@example.com',
        purpose: 'Drafts answers to customer support questions for human agents to review and send.',
        intendedUses: 'Suggesting replies inside the support console; an agent edits and sends every reply.',
        outOfScopeUses: 'Replying to customers without an agent; legal, medical or financial advice; decisions about accounts or refunds.',
        riskRating: 'High',
        riskRatingExplanation: 'Generated text can be wrong or inappropriate and reaches customers if an agent does not catch it.',
        trainingData: { datasets: ['s3://mlops-reference-data-us-east-1/support-assistant/tickets/'], observations: 'Two years of resolved support tickets, English only, personal data removed before training.' },
        evaluation: { observations: 'Evaluation loss on held-out tickets, reviewed weekly on a sample by support leads.' },
        ethicalConsiderations: 'May reproduce tone or biases of past replies; agents are trained to review every suggestion.',
        caveatsAndRecommendations: 'Keep a human in the loop; do not use for languages other than English.',
      },
      // Each approved version, delivered through the stages (on Kubernetes: kubernetes.image below).
      source: { registryVersion: 'latest-approved' },
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
      pipeline: {
        description: 'Weekly fine-tuning of the support assistant on new support transcripts',
        // No inputDataUri: transcripts land under data/ of the pipeline's own versioned input bucket.
        preprocess: {
          image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04',
          command: ['python3', '/opt/ml/processing/input/code/prepare_dataset.py'],
          compute: { instanceType: 'ml.m5.2xlarge' },
        },
        train: {
          image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04',
          compute: { accelerator: { type: 'nvidia-a10g', count: 4 } },
          instanceCount: 2,
          distribution: 'torch',
          // Run with torchrun on every node (examples/code/support-assistant/train.py: LoRA on the base model in the train channel).
          entryPoint: { script: 'train.py', sourceDir: 'examples/code/support-assistant' },
          hyperparameters: { epochs: '2', learning_rate: '2e-5', per_device_train_batch_size: '4', lora_r: '16' },
          metricDefinitions: [{ name: 'eval_loss', regex: "'eval_loss': ([0-9.]+)" }],
          spot: { maxWaitSeconds: 172800 },
          maxRuntimeSeconds: 86400,
          volumeSizeGiB: 200,
        },
        evaluate: {
          image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04',
          command: ['python3', '/opt/ml/processing/input/code/evaluate.py'],
          compute: { accelerator: { type: 'nvidia-a10g', count: 1 } },
        },
        gate: { metric: 'metrics.eval_loss.value', comparison: '<=', threshold: 1.2 },
        register: {
          image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04',
          contentTypes: ['application/json'],
          responseTypes: ['application/json'],
          inferenceInstanceTypes: ['ml.g5.2xlarge', 'ml.g5.12xlarge'],
        },
        schedule: 'cron(0 2 ? * SUN *)',
      },
    },
    {
      name: 'churn',
      description: 'Customer churn classifier (XGBoost) on CPU',
      registry: { description: 'Churn classifier versions' },
      card: {
        owner: 'retention-analytics@example.com',
        status: 'Approved',
        purpose: 'Scores how likely a subscriber is to cancel in the next 30 days.',
        intendedUses: 'Prioritizing retention offers and outreach by the retention team.',
        outOfScopeUses: 'Pricing, credit or eligibility decisions about an individual.',
        factorsAffectingEfficiency: 'Degrades when tariffs or contract types change; drift monitors watch the inputs.',
        riskRating: 'Medium',
        riskRatingExplanation: 'Influences which customers receive offers; no decision is made without the retention team.',
        business: { problem: 'Subscriber churn', stakeholders: 'Retention team, customer success', lineOfBusiness: 'Consumer subscriptions' },
        trainingData: { datasets: ['s3://mlops-reference-data-us-east-1/churn/'], observations: 'Monthly snapshots of subscriber activity; customers under 18 excluded.' },
        objective: { function: 'Maximize', facet: 'AUC' },
        evaluation: { observations: 'Validation AUC on the held-out test split gates every registration.' },
        ethicalConsiderations: 'Tenure and contract type correlate with age; offers are reviewed for fairness quarterly.',
        caveatsAndRecommendations: 'Retrain after tariff changes.',
      },
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
      pipeline: {
        description: 'Weekly retraining of the churn classifier',
        inputDataUri: 's3://mlops-reference-data-us-east-1/churn/',
        preprocess: {
          image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
          command: ['python3', '/opt/ml/processing/input/code/preprocess.py'],
        },
        train: {
          image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
          compute: { instanceType: 'ml.m5.xlarge' },
          hyperparameters: { objective: 'binary:logistic', num_round: '200', max_depth: '5', eta: '0.2' },
          metricDefinitions: [{ name: 'validation:auc', regex: '.*\\[[0-9]+\\].*#011validation-auc:([-+]?[0-9]*\\.?[0-9]+).*' }],
          maxRuntimeSeconds: 3600,
        },
        evaluate: {
          image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
          command: ['python3', '/opt/ml/processing/input/code/evaluate.py'],
        },
        gate: { metric: 'binary_classification_metrics.auc.value', comparison: '>=', threshold: 0.8 },
        register: { inferenceInstanceTypes: ['ml.m5.large'] },
        dataQualityBaseline: true,
        schedule: 'cron(0 3 ? * MON *)',
      },
      featureStore: {
        featureGroups: [{
          name: 'churn-customers',
          description: 'Customer activity features of the churn classifier',
          recordIdentifier: 'customer_id',
          eventTime: 'event_time',
          features: [
            { name: 'customer_id', type: 'String' },
            { name: 'event_time', type: 'Fractional' },
            { name: 'tenure_months', type: 'Integral' },
            { name: 'monthly_charges', type: 'Fractional' },
            { name: 'support_calls', type: 'Integral' },
            { name: 'contract_type', type: 'String' },
          ],
          onlineStore: { ttl: { value: 90, unit: 'Days' } },
        }],
      },
      drift: {
        schedule: 'hourly',
        dataQuality: {
          // On AWS, leaving these out compares with the baseline the pipeline's DataQualityBaseline step
          // writes on every retraining; the Kubernetes pipeline computes none, so the reference names one.
          baseline: {
            constraintsUri: 's3://mlops-reference-models-us-east-1/churn/baseline/constraints.json',
            statisticsUri: 's3://mlops-reference-models-us-east-1/churn/baseline/statistics.json',
          },
          alarmFeatures: ['tenure_months', 'monthly_charges', 'support_calls'],
        },
        modelQuality: {
          problemType: 'BinaryClassification',
          groundTruthUri: 's3://mlops-reference-models-us-east-1/churn/ground-truth',
          // XGBoost's CSV output is one column: the churn probability.
          probabilityAttribute: '0',
          probabilityThreshold: 0.5,
          alarms: [{ metric: 'auc', threshold: 0.75 }, { metric: 'recall', threshold: 0.6 }],
        },
        retraining: { minIntervalHours: 24 },
      },
    },
    {
      name: 'ticket-router',
      description: 'Routes back-office tickets on a small CPU instance (the strict level rejects serverless, which cannot run in a VPC)',
      card: {
        owner: 'back-office-tools@example.com',
        purpose: 'Routes internal back-office tickets to the right queue.',
        intendedUses: 'Suggesting a queue for internal tickets; staff can re-route any ticket.',
        riskRating: 'Low',
        riskRatingExplanation: 'Internal tickets only; a wrong queue delays a ticket and is corrected by staff.',
      },
      source: {
        image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
        modelDataUrl: 's3://mlops-reference-models-us-east-1/ticket-router/model.tar.gz',
      },
      endpoint: {
        compute: { instanceType: 'ml.c5.large' },
        scaling: { minInstances: 2, maxInstances: 3 },
        dataCapture: { samplingPercent: 20, retentionDays: 30 },
        kubernetes: { image: 'ghcr.io/cdk-mlops/ticket-router-sklearn:1.2-1' },
      },
    },
  ],
  experimentTracker: { size: 'Small', weeklyMaintenanceWindowStart: 'Sun:04:00' },
  trainingClusters: [
    {
      name: 'llm',
      lifecycleScriptsUri: 's3://mlops-reference-hyperpod-us-east-1/lifecycle/',
      instanceGroups: [
        { name: 'controller', compute: { instanceType: 'ml.m5.2xlarge' }, count: 1, volumeSizeGiB: 100 },
        { name: 'gpu', compute: { accelerator: { type: 'nvidia-h100', count: 8 } }, count: 2 },
      ],
      // No `aws` section: the nodes join the platform's own (strict level) VPC.
    },
  ],
};
