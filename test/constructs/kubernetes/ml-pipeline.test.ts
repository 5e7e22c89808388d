import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { KUEUE_QUEUE_LABEL, MlPipeline, MlPipelineProps, ModelRegistry } from '../../../constructs/kubernetes';
import { toKubernetesCron } from '../../../constructs/kubernetes/private/schedule';
import { PipelineSpecInput } from '../../../lib/spec';
import { argoErrors, validateArgo } from './argo';
import { expectValidationError, Json, manifests, ofKind, only, Synth, validateAgainstCrd, validateAll } from './helpers';

const ECR = '683313688378.dkr.ecr.us-east-1.amazonaws.com';
const DLC = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311';
const MLFLOW = 'ghcr.io/acme/mlflow-postgres:2.22.1';
const WARN: string = AnnotationMetadataEntryType.WARN;

/** The churn pipeline of the reference platform: CPU, one training instance, weekly. */
const CPU: PipelineSpecInput = {
  inputDataUri: 's3://mlops-data/churn/',
  preprocess: { image: `${ECR}/sagemaker-scikit-learn:1.2-1-cpu-py3`, command: ['python3', '/opt/ml/processing/input/code/preprocess.py'] },
  train: { image: `${ECR}/sagemaker-xgboost:1.7-1`, compute: { instanceType: 'ml.m5.xlarge' }, hyperparameters: { num_round: '200' } },
  evaluate: { image: `${ECR}/sagemaker-xgboost:1.7-1`, command: ['python3', '/opt/ml/processing/input/code/evaluate.py'] },
  gate: { metric: 'binary_classification_metrics.auc.value', comparison: '>=', threshold: 0.8 },
  schedule: 'cron(0 3 ? * MON *)',
};
/** Distributed fine-tuning on two 4-GPU nodes. */
const GPU: PipelineSpecInput = {
  preprocess: { image: DLC },
  train: { image: DLC, compute: { accelerator: { type: 'nvidia-a10g', count: 4 } }, instanceCount: 2, distribution: 'torch' },
  evaluate: { image: DLC, compute: { accelerator: { type: 'nvidia-a10g', count: 1 } } },
  gate: { metric: 'metrics.eval_loss.value', comparison: '<=', threshold: 1.2 },
};

interface Rendered { typed: Synth; crds: Synth; pipeline: MlPipeline; objects: (Json & { kind: string; spec: Json })[] }

function render(spec: PipelineSpecInput, extra: Partial<MlPipelineProps> = {}): Rendered {
  const app = Testing.app();
  const typed = new TerraformStack(app, 'typed');
  const crds = new TerraformStack(app, 'crds');
  const registry = new ModelRegistry(typed, 'Registry', { name: 'churn', namespace: 'ml', partOf: 'p', mlflowImage: MLFLOW });
  const pipeline = new MlPipeline(typed, 'Pipeline', {
    ...spec, namespace: 'ml', name: 'churn', partOf: 'p', registry, mlflowImage: MLFLOW,
    crdScope: { scope: new Construct(crds, 'churn'), namespace: 'ml' }, ...extra,
  });
  const crdTf = JSON.parse(Testing.synth(crds)) as Synth;
  return { typed: JSON.parse(Testing.synth(typed)) as Synth, crds: crdTf, pipeline, objects: manifests(crdTf) };
}

const template = (r: Rendered) => r.objects.find((o) => o.kind === 'WorkflowTemplate')!;
const templates = (r: Rendered) => template(r).spec.templates as (Json & { name: string; container?: Json })[];
const step = (r: Rendered, name: string) => templates(r).find((t) => t.name === name)!;

// The CPU and GPU pipelines, rendered once for the tests that only read them.
let cpu: Rendered | undefined;
let gpu: Rendered | undefined;
const cpuPipeline = () => (cpu ??= render(CPU));
const gpuPipeline = () => (gpu ??= render(GPU, { queueName: 'llm' }));

describe('MlPipeline (Kubernetes)', () => {
  it('renders a WorkflowTemplate and a CronWorkflow that Argo Workflows models accept', () => {
    const r = cpuPipeline();
    expect(r.objects.map((o) => o.kind).sort()).toEqual(['CronWorkflow', 'WorkflowTemplate']);
    expect(validateArgo(r.objects)).toBe(2);
    expect(r.typed.resource.kubernetes_manifest).toBeUndefined();
  });

  it('the Argo validation can fail: container args given as a string are refused', () => {
    const wt = template(cpuPipeline());
    const [main, first, ...rest] = wt.spec.templates as Json[];
    const broken = { ...wt, spec: { ...wt.spec, templates: [main, { ...first, container: { ...(first.container as Json), args: '--epochs 2' } }, ...rest] } };
    expect(argoErrors([broken])[0]).toMatch(/templates\/1\/container\/args must be array/);
  });

  it('renders typed objects that are valid Kubernetes objects: ServiceAccount, Role, RoleBinding, NetworkPolicy', () => {
    const { typed } = cpuPipeline();
    expect(validateAll(typed)).toBeGreaterThan(4);
    expect(ofKind(typed, 'ServiceAccount').map((s) => s.metadata.name)).toContain('churn-pipeline');
  });

  it('runs preprocess → train → evaluate → gate → register in the MLflow tracker, or fails', () => {
    const r = cpuPipeline();
    const tasks = (step(r, 'pipeline').dag as { tasks: { name: string; depends?: string; when?: string }[] }).tasks;
    expect(tasks.map((t) => [t.name, t.depends])).toEqual([['preprocess', undefined], ['train', 'preprocess'], ['evaluate', 'train'], ['register', 'evaluate'], ['gate-failed', 'evaluate']]);
    const metric = "jsonpath(tasks.evaluate.outputs.parameters.report, '$.binary_classification_metrics.auc.value')";
    expect(tasks[3].when).toBe(`{{=${metric} >= 0.8}}`);
    expect(tasks[4].when).toBe(`{{=!(${metric} >= 0.8)}}`);
    expect(step(r, 'evaluate').outputs).toEqual({ parameters: [{ name: 'report', valueFrom: { path: '/opt/ml/processing/evaluation/evaluation.json' } }] });
    const register = step(r, 'register').container!;
    expect(register.image).toBe(MLFLOW);
    expect(register.env).toEqual(expect.arrayContaining([{ name: 'MLFLOW_TRACKING_URI', value: 'http://mlflow:5000' }, { name: 'MODEL_NAME', value: 'churn' }, { name: 'APPROVAL_STATUS', value: 'PendingManualApproval' }]));
  });

  it('labels the pipeline pods as MLflow clients, and lets them reach MLflow', () => {
    const r = cpuPipeline();
    const labels = (template(r).spec.podMetadata as { labels: Json }).labels;
    expect(labels).toMatchObject({ 'mlops.cdk.io/mlflow-client': 'true' });
    const policy = ofKind(r.typed, 'NetworkPolicy').find((p) => p.metadata.name === 'churn-pipeline')!;
    expect((policy.spec as { egress: Json[] }).egress).toContainEqual({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mlflow', 'app.kubernetes.io/component': 'tracking-server' } } }], ports: [{ port: 5000, protocol: 'TCP' }] });
  });

  it('meets the SageMaker container contract: input artifact, data channels, model and report paths', () => {
    const r = cpuPipeline();
    expect((step(r, 'preprocess').inputs as { artifacts: Json[] }).artifacts).toEqual([{ name: 'input', path: '/opt/ml/processing/input', s3: { endpoint: 's3.amazonaws.com', bucket: 'mlops-data', key: 'churn', useSDKCreds: true } }]);
    const mounts = (name: string) => (step(r, name).container!.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath);
    expect(mounts('train')).toEqual(expect.arrayContaining(['/opt/ml/input/data/train', '/opt/ml/input/data/validation', '/opt/ml/model']));
    expect(mounts('evaluate')).toEqual(expect.arrayContaining(['/opt/ml/processing/model', '/opt/ml/processing/test', '/opt/ml/processing/evaluation']));
    expect(step(r, 'train').container!.args).toEqual(['--num_round', '200']);
  });

  it("reads the input from the artifact repository's <name>/data key when the spec has no inputDataUri", () => {
    const r = render({ ...CPU, inputDataUri: undefined, schedule: undefined });
    expect((step(r, 'preprocess').inputs as { artifacts: Json[] }).artifacts[0].s3).toEqual({ key: 'churn/data' });
  });

  it('runs every step restricted: own ServiceAccount, no API token in step containers, non-root, read-only root', () => {
    const spec = template(cpuPipeline()).spec;
    expect(spec).toMatchObject({ serviceAccountName: 'churn-pipeline', automountServiceAccountToken: false, executor: { serviceAccountName: 'churn-pipeline' } });
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    const steps = templates(cpuPipeline()).filter((x) => x.container);
    expect(steps.map((t) => t.name).sort()).toEqual(['evaluate', 'gate-failed', 'preprocess', 'register', 'train']);
    expect(steps.map((t) => [t.name, t.container!.securityContext])).toEqual(steps.map((t) => [
      t.name, expect.objectContaining({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }),
    ]));
  });

  it("grants the executor only what it needs: workflowtaskresults create and patch", () => {
    const role = only(cpuPipeline().typed, 'kubernetes_role_v1');
    expect(role.rule).toEqual([{ api_groups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }]);
  });

  it('schedules the pipeline with the cron translated from EventBridge, in UTC, one run at a time', () => {
    const cron = cpuPipeline().objects.find((o) => o.kind === 'CronWorkflow')!;
    expect(cron.spec).toMatchObject({ schedules: ['0 3 * * 1'], timezone: 'UTC', concurrencyPolicy: 'Forbid', workflowSpec: { workflowTemplateRef: { name: 'churn-pipeline' } } });
  });

  it('renders no CronWorkflow without a schedule', () => {
    expect(render({ ...CPU, schedule: undefined }).objects.map((o) => o.kind)).toEqual(['WorkflowTemplate']);
  });

  it('gives GPU steps GPU limits, the device toleration, the GPU node selector, a memory-backed /dev/shm and NCCL settings', () => {
    const evaluate = step(gpuPipeline(), 'evaluate');
    expect((evaluate.container!.resources as { limits: Json }).limits['nvidia.com/gpu']).toBe('1');
    expect(evaluate.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A10G' });
    expect(evaluate.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(evaluate.volumes).toContainEqual(expect.objectContaining({ name: 'dshm', emptyDir: expect.objectContaining({ medium: 'Memory' }) }));
    expect(evaluate.container!.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    const job = gpuPipeline().pipeline.trainJob as { spec: { trainer: { env: Json[] } } };
    expect(job.spec.trainer.env).toEqual(expect.arrayContaining([{ name: 'NCCL_DEBUG', value: 'WARN' }, { name: 'TORCH_NCCL_ASYNC_ERROR_HANDLING', value: '1' }]));
  });

  it('trains on several nodes as a Kubeflow TrainJob that matches the Trainer CRD, created and awaited by a resource step', () => {
    const r = gpuPipeline();
    const train = step(r, 'train').resource as { action: string; manifest: string; successCondition: string; failureCondition: string };
    expect(train.action).toBe('create');
    const job = JSON.parse(train.manifest) as Json & { apiVersion: string; kind: string; spec: Json };
    expect(job).toEqual(r.pipeline.trainJob);
    expect(validateAgainstCrd(job)).toBeNull();
    expect(job.spec.trainer).toMatchObject({ numNodes: 2, numProcPerNode: 4, resourcesPerNode: { limits: { 'nvidia.com/gpu': '4' } } });
    expect(job.spec.runtimeRef).toMatchObject({ name: 'torch-distributed' });
    expect(train.successCondition).toBe('status.jobsStatus.0.succeeded > 0');
    expect(train.failureCondition).toBe('status.jobsStatus.0.failed > 0');
    // Argo parses the conditions as label selectors: each key must be a qualified label name, each value an integer for > and <.
    for (const condition of [train.successCondition, train.failureCondition]) {
      const [key, op, value] = condition.split(' ');
      expect(key).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
      expect(['>', '<', '=', '==', '!=']).toContain(op);
      expect(value).toMatch(/^\d+$/);
    }
    // Its nodes mount the run's volume, which all nodes must share.
    expect(JSON.stringify(job)).toContain('"claimName":"{{workflow.name}}-workspace"');
    expect((template(r).spec.volumeClaimTemplates as { spec: { accessModes: string[] } }[])[0].spec.accessModes).toEqual(['ReadWriteMany']);
    expect(validateArgo(r.objects)).toBe(1);
  });

  it('the Trainer CRD validation can fail: numNodes as a string is refused', () => {
    const job = gpuPipeline().pipeline.trainJob as Json & { apiVersion: string; kind: string; spec: { trainer: Json } };
    const broken = { ...job, spec: { ...job.spec, trainer: { ...job.spec.trainer, numNodes: 'two' } } };
    expect(validateAgainstCrd(broken)).toEqual(expect.arrayContaining([expect.objectContaining({ instancePath: '/spec/trainer/numNodes' })]));
  });

  it('lets the executor create and watch TrainJobs when training is distributed', () => {
    const role = only(gpuPipeline().typed, 'kubernetes_role_v1');
    expect(role.rule).toContainEqual({ api_groups: ['trainer.kubeflow.org'], resources: ['trainjobs'], verbs: ['create', 'get', 'list', 'watch'] });
  });

  it('submits distributed training to the Kueue queue: the TrainJob carries the queue label, the other steps do not', () => {
    const r = gpuPipeline();
    expect(((r.pipeline.trainJob!.metadata as Json).labels as Json)[KUEUE_QUEUE_LABEL]).toBe('llm');
    expect((template(r).spec.podMetadata as { labels: Json }).labels[KUEUE_QUEUE_LABEL]).toBeUndefined();
    expect(templates(r).length).toBeGreaterThan(3);
    expect(templates(r).filter((t) => (t.metadata as { labels?: Json } | undefined)?.labels?.[KUEUE_QUEUE_LABEL] !== undefined)).toEqual([]);
  });

  it('submits single-node training to the Kueue queue through the training pod label', () => {
    const r = render(CPU, { queueName: 'cpu' });
    expect((step(r, 'train').metadata as { labels: Json }).labels).toEqual({ 'mlops.cdk.io/step': 'train', [KUEUE_QUEUE_LABEL]: 'cpu' });
    expect((step(r, 'evaluate').metadata as { labels: Json }).labels[KUEUE_QUEUE_LABEL]).toBeUndefined();
    expect(JSON.stringify(template(cpuPipeline()))).not.toContain(KUEUE_QUEUE_LABEL);
  });

  it('reserves its largest step for the namespace quota: 2 nodes × 4 GPUs', () => {
    expect(gpuPipeline().pipeline.reservation).toMatchObject({ gpus: 8, pods: 3, persistentVolumeClaims: 1 });
    expect(cpuPipeline().pipeline.reservation.gpus).toBe(0);
  });

  it('warns about AWS-only fields instead of rendering them', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    const registry = new ModelRegistry(stack, 'Registry', { name: 'churn', namespace: 'ml', partOf: 'p', mlflowImage: MLFLOW });
    const p = new MlPipeline(stack, 'Pipeline', { ...CPU, train: { ...CPU.train, spot: {} }, namespace: 'ml', name: 'churn', partOf: 'p', registry, mlflowImage: MLFLOW, crdScope: { scope: new Construct(stack, 'crd'), namespace: 'ml' } });
    const warnings = p.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining('train.spot is AWS-only')]);
  });

  describe('rejects', () => {
    const build = (spec: PipelineSpecInput, extra: Partial<MlPipelineProps> = {}) => () => render(spec, extra);

    it('a cron schedule restricted to a year', () => {
      expectValidationError(build({ ...CPU, schedule: 'cron(0 3 ? * MON 2027)' }), 'MlPipeline', { path: 'schedule', message: /year/ });
    });

    it('a cron schedule with L (last day), which Kubernetes cron cannot express', () => {
      expectValidationError(build({ ...CPU, schedule: 'cron(0 3 L * ? *)' }), 'MlPipeline', { path: 'schedule', message: /L, W or #/ });
    });

    it('a rate that cron cannot express exactly', () => {
      expectValidationError(build({ ...CPU, schedule: 'rate(7 minutes)' }), 'MlPipeline', { path: 'schedule', message: /every 7 minutes/ });
    });

    it('a processing step on more than one instance', () => {
      expectValidationError(build({ ...CPU, preprocess: { ...CPU.preprocess, instanceCount: 2 } }), 'MlPipeline', { path: 'preprocess.instanceCount' });
    });

    it('a name that is not a DNS label', () => {
      expectValidationError(build(CPU, { name: 'Churn' }), 'MlPipeline', { path: 'name' });
    });

    it('an invalid spec field, named by its path', () => {
      expectValidationError(build({ ...CPU, gate: { ...CPU.gate, comparison: '==' as '>=' } }), 'MlPipeline', { path: 'gate.comparison' });
    });
  });
});

describe('toKubernetesCron', () => {
  it.each([
    ['cron(0 3 ? * MON *)', '0 3 * * 1'],
    ['cron(0 6 1 JAN,JUL ? *)', '0 6 1 1,7 *'],
    ['cron(0 8 ? * MON-FRI *)', '0 8 * * 1-5'],
    ['cron(0 2 ? * SUN *)', '0 2 * * 0'],
    ['cron(15 10 ? * 2-6 *)', '15 10 * * 1-5'],
    ['cron(0 12 1 * ? *)', '0 12 1 * *'],
    ['cron(0/15 * * * ? *)', '0/15 * * * *'],
    ['rate(1 hour)', '0 * * * *'],
    ['rate(15 minutes)', '*/15 * * * *'],
    ['rate(6 hours)', '0 */6 * * *'],
    ['rate(1 day)', '0 0 * * *'],
    ['rate(7 days)', '0 0 * * 0'],
    ['rate(120 minutes)', '0 */2 * * *'],
  ])('translates %s to %s', (expression, expected) => {
    expect(toKubernetesCron(expression)).toEqual({ cron: expected });
  });

  it.each([
    ['cron(0 3 ? * 6#3 *)', "uses day-of-week '6#3' (L, W or #), which Kubernetes cron cannot express"],
    ['cron(0 3 LW * ? *)', "uses day-of-month 'LW' (L, W or #), which Kubernetes cron cannot express"],
    ['rate(5 days)', 'runs every 5 days, which cron cannot express exactly'],
    ['rate(5 hours)', 'runs every 5 hours, which cron cannot express exactly'],
    ['cron(0 3 ? * 8 *)', "the day-of-week field has '8'"],
    ['cron(0 3 ? * MON 2027)', "restricts the year ('2027'), which Kubernetes cron cannot"],
    ['at(2027-01-01T00:00:00)', 'is a one-time schedule, which a CronWorkflow cannot express'],
  ])('refuses %s: %s', (expression, error) => {
    expect(toKubernetesCron(expression)).toMatchObject({ error });
  });
});
