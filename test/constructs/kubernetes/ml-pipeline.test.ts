import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { KUEUE_QUEUE_LABEL, MlPipeline, MlPipelineProps, ModelRegistry, PlatformNamespace } from '../../../constructs/kubernetes';
import { toKubernetesCron } from '../../../constructs/kubernetes/private/schedule';
import { PipelineSpecInput } from '../../../lib/spec';
import { argoErrors, submittedObjects, validateArgo, validateTrainJob } from './argo';
import { allowsConnection, PodRef } from './network-policy';
import { expectValidationError, Json, manifests, ofKind, only, Synth, validateAgainstCrd, validateAll } from './helpers';

const ECR = '683313688378.dkr.ecr.us-east-1.amazonaws.com';
const DLC = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311';
const MLFLOW = 'ghcr.io/acme/mlflow-postgres:2.22.1';
const WARN: string = AnnotationMetadataEntryType.WARN;
const SOURCES = path.join(__dirname, 'fixtures', 'train-src');

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
  train: { image: DLC, compute: { accelerator: { type: 'nvidia-a10g', count: 4 } }, instanceCount: 2, distribution: 'torch', entryPoint: { script: 'train.py', sourceDir: SOURCES }, hyperparameters: { epochs: '2' }, maxRuntimeSeconds: 7200 },
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

  it("refuses a misspelt field anywhere in an Argo object (Argo's schema made strict), at every depth", () => {
    const wt = template(cpuPipeline());
    const [main, first, ...rest] = wt.spec.templates as Json[];
    const misspelt = (t: Json) => ({ ...wt, spec: { ...wt.spec, templates: [main, t, ...rest] } });
    expect(argoErrors([misspelt({ ...first, activeDeadlineSecond: 10 })])[0]).toMatch(/must NOT have additional properties 'activeDeadlineSecond'/);
    expect(argoErrors([misspelt({ ...first, container: { ...(first.container as Json), volumeMount: [] } })])[0]).toMatch(/container must NOT have additional properties 'volumeMount'/);
    expect(argoErrors([{ ...wt, spec: { ...wt.spec, podGc: {} } }])[0]).toMatch(/'podGc'/);
    expect(argoErrors([wt])).toEqual([null]);
  });

  it('validates the TrainJob a workflow submits strictly against the Trainer CRD, and its runtime against those Trainer 2.3 installs', () => {
    const [job] = submittedObjects(template(gpuPipeline()));
    expect(() => validateTrainJob(job)).not.toThrow();
    const trainer = (job.spec as { trainer: Json }).trainer;
    expect(() => validateTrainJob({ ...job, spec: { ...(job.spec as Json), trainer: { ...trainer, numNode: 2 } } })).toThrow(/additionalProperty.*numNode/);
    expect(() => validateTrainJob({ ...job, spec: { ...(job.spec as Json), runtimeRef: { ...((job.spec as Json).runtimeRef as Json), name: 'mpi-distributed' } } })).toThrow(/not one Kubeflow Trainer 2.3 installs/);
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
    // The SageMaker training contract: the image's own `train`, hyperparameters in /opt/ml/input/config.
    expect(step(r, 'train').container).toMatchObject({ command: ['train'], args: [] });
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
    expect(role.rule).toContainEqual({ api_groups: ['trainer.kubeflow.org'], resources: ['trainjobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] });
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
    expect((step(r, 'train').metadata as { labels: Json }).labels).toEqual({ 'mlops.cdk.io/step': 'train', 'mlops.cdk.io/network-isolation': 'true', [KUEUE_QUEUE_LABEL]: 'cpu' });
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
    it("an accelerator the cluster's node labelling has no value for, naming acceleratorNodeLabel, the step and the valid labels", () => {
      const e = expectValidationError(() => render(GPU, { acceleratorNodeLabel: { key: 'acme.io/gpu', values: { 'nvidia-l4': 'l4', 'nvidia-h100': 'h100' } } }), "MlPipeline 'Pipeline'", { path: 'acceleratorNodeLabel' });
      const expected = 'one of nvidia-l4, nvidia-h100, or another acceleratorNodeLabel';
      expect(e.issues).toEqual([
        { path: 'acceleratorNodeLabel', message: "the label 'acme.io/gpu' has no node label value for 'nvidia-a10g', which train.compute asks for", got: "'nvidia-a10g'", expected },
        { path: 'acceleratorNodeLabel', message: "the label 'acme.io/gpu' has no node label value for 'nvidia-a10g', which evaluate.compute asks for", got: "'nvidia-a10g'", expected },
      ]);
      expectValidationError(() => render(GPU, { acceleratorNodeLabel: 'gke' }), "MlPipeline 'Pipeline'", { path: 'acceleratorNodeLabel', message: "preset 'gke' has no node label value for 'nvidia-a10g'" });
    });

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

/** The TrainJob a distributed pipeline submits, as the Trainer admission webhook receives it. */
const trainJobOf = (r: Rendered) => r.pipeline.trainJob as Json & { apiVersion: string; kind: string; metadata: Json; spec: Json & { trainer: Json } };
const podOfTrainJob = (r: Rendered) => ((((trainJobOf(r).spec.runtimePatches as Json[])[0].trainingRuntimeSpec as Json).template as Json).spec as { replicatedJobs: { template: { spec: { template: { metadata: { labels: Json }; spec: Json & { volumes: Json[]; containers: Json[] } } } } }[] }).replicatedJobs[0].template.spec.template;
const configMaps = (r: Rendered) => ofKind(r.typed, 'ConfigMap') as (Json & { metadata: Json; data?: Record<string, string>; binaryData?: Record<string, string> })[];
const policy = (r: Rendered, name: string) => ofKind(r.typed, 'NetworkPolicy').find((p) => p.metadata.name === name)! as unknown as { spec: { podSelector: Json; ingress?: Json[]; egress?: Json[] } };

describe('MlPipeline (Kubernetes): what Argo and Kubernetes do with it', () => {
  it("creates the executor's token Secret Argo mounts (Kubernetes >= 1.24 creates none): <sa>.service-account-token of type service-account-token", () => {
    const r = cpuPipeline();
    const [secret] = ofKind(r.typed, 'Secret') as (Json & { metadata: Json; type: string })[];
    // Argo 3.7 (util/secrets TokenName): the executor's volume is the Secret `<executor SA>.service-account-token`.
    const executorSa = (template(r).spec.executor as { serviceAccountName: string }).serviceAccountName;
    expect(secret.metadata.name).toBe(`${executorSa}.service-account-token`);
    expect(secret.type).toBe('kubernetes.io/service-account-token');
    expect(String((secret.metadata.annotations as Json)['kubernetes.io/service-account.name'])).toMatch(/^\$\{kubernetes_service_account_v1\.Pipeline_ServiceAccount_[0-9A-F]+\.metadata\[0\]\.name\}$/);
  });

  describe('the training contract', () => {
    it("runs a SageMaker-contract image's own `train` with the config files it reads at /opt/ml/input/config", () => {
      const r = cpuPipeline();
      const train = step(r, 'train');
      expect(train.container).toMatchObject({ command: ['train'], args: [] });
      const config = configMaps(r).find((c) => c.metadata.name === 'churn-pipeline-train-config')!;
      expect(JSON.parse(config.data!['hyperparameters.json'])).toEqual({ num_round: '200' });
      expect(Object.keys(JSON.parse(config.data!['inputdataconfig.json']))).toEqual(['train', 'validation']);
      expect(JSON.parse(config.data!['resourceconfig.json'])).toEqual({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'eth0' });
      expect(train.volumes).toContainEqual({ name: 'config', configMap: { name: 'churn-pipeline-train-config' } });
      const mounts = train.container!.volumeMounts as Json[];
      expect(mounts).toEqual(expect.arrayContaining([
        { name: 'config', mountPath: '/opt/ml/input/config', readOnly: true },
        { name: 'output', mountPath: '/opt/ml/output' },
        { name: 'workspace', subPath: 'train', mountPath: '/opt/ml/input/data/train', readOnly: true },
        { name: 'workspace', subPath: 'validation', mountPath: '/opt/ml/input/data/validation', readOnly: true },
        // What the evaluate and register steps read.
        { name: 'workspace', subPath: 'model', mountPath: '/opt/ml/model' },
      ]));
      expect(step(r, 'evaluate').container!.volumeMounts).toContainEqual({ name: 'workspace', subPath: 'model', mountPath: '/opt/ml/processing/model', readOnly: true });
    });

    it('runs train.command with train.arguments as written', () => {
      const r = render({ ...CPU, schedule: undefined, train: { ...CPU.train, command: ['python3', '-m', 'trainer'], arguments: ['--fast'] } });
      expect(step(r, 'train').container).toMatchObject({ command: ['python3', '-m', 'trainer'], args: ['--fast'] });
    });

    it('mounts entryPoint.sourceDir at /opt/ml/code from a ConfigMap (nested paths, binary files, no hidden files) and runs the script with the hyperparameters', () => {
      const r = render({ ...CPU, schedule: undefined, train: { ...CPU.train, entryPoint: { script: 'train.py', sourceDir: SOURCES }, arguments: ['--seed', '7'] } });
      expect(step(r, 'train').container).toMatchObject({ command: ['python3', '/opt/ml/code/train.py'], args: ['--num_round', '200', '--seed', '7'] });
      const code = configMaps(r).find((c) => c.metadata.name === 'churn-pipeline-code')!;
      const volume = (step(r, 'train').volumes as Json[]).find((v) => v.name === 'code') as { configMap: { name: string; items: { key: string; path: string }[] } };
      const files = Object.fromEntries(volume.configMap.items.map((i) => [i.path, code.data?.[i.key] ?? Buffer.from(code.binaryData![i.key], 'base64').toString('latin1')]));
      expect(Object.keys(files).sort()).toEqual(['lib/helpers.py', 'lib/vocab.bin', 'train.py']);
      // As Terraform reads the string: the script's own `${` is written `$${`.
      expect(files['train.py']).toContain('"$${not_terraform}"');
      expect(files['train.py'].replace(/\$\$\{/g, '${')).toBe(fs.readFileSync(path.join(SOURCES, 'train.py'), 'utf8'));
      expect(files['lib/vocab.bin']).toBe('\x00\x01\x02binary');
      expect(step(r, 'train').container!.volumeMounts).toContainEqual({ name: 'code', mountPath: '/opt/ml/code', readOnly: true });
    });

    it('runs distributed training with torchrun on the script (the runtime launches nothing itself), its sources and config mounted on every node', () => {
      const r = gpuPipeline();
      expect(trainJobOf(r).spec.trainer).toMatchObject({ command: ['torchrun', '/opt/ml/code/train.py'], args: ['--epochs', '2'] });
      const pod = podOfTrainJob(r);
      expect(pod.spec.volumes.map((v) => v.name)).toEqual(expect.arrayContaining(['workspace', 'config', 'code', 'output', 'dshm']));
      expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'code', mountPath: '/opt/ml/code', readOnly: true });
      const config = configMaps(r).find((c) => c.metadata.name === 'churn-pipeline-train-config')!;
      // Several hosts: no single resourceconfig.json.
      expect(Object.keys(config.data!).sort()).toEqual(['hyperparameters.json', 'inputdataconfig.json']);
    });

    it('names a TrainJob runtime that Kubeflow Trainer 2.3 installs', () => {
      const installed = fs.readdirSync(path.join(__dirname, '..', '..', '..', '..', 'shared', 'schemas')).filter((f) => f.startsWith('trainer-runtime-'))
        .map((f) => /\nmetadata:\n\s+name: (\S+)/.exec(fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'shared', 'schemas', f), 'utf8'))![1]);
      expect(installed).toEqual(expect.arrayContaining(['torch-distributed', 'deepspeed-distributed']));
      expect(installed).toContain((trainJobOf(gpuPipeline()).spec.runtimeRef as Json).name);
    });

    it('rejects distributed training with neither entryPoint nor command, naming train.entryPoint', () => {
      expectValidationError(() => render({ ...GPU, train: { ...GPU.train, entryPoint: undefined } }), 'MlPipeline', { path: 'train.entryPoint', message: /torchrun must be given a script/ });
    });

    it('rejects a sourceDir that does not exist, a script it does not hold, and sources over 1 MiB', () => {
      const withEntry = (entryPoint: { script: string; sourceDir: string }) => () => render({ ...CPU, schedule: undefined, train: { ...CPU.train, entryPoint } });
      expectValidationError(withEntry({ script: 'train.py', sourceDir: path.join(SOURCES, 'missing') }), 'MlPipeline', { path: 'train.entryPoint.sourceDir', message: /is not a directory/ });
      expectValidationError(withEntry({ script: 'fit.py', sourceDir: SOURCES }), 'MlPipeline', { path: 'train.entryPoint.script', message: /is not a file of sourceDir/ });
      const big = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-src-'));
      try {
        fs.writeFileSync(path.join(big, 'train.py'), 'print(1)\n');
        fs.writeFileSync(path.join(big, 'weights.txt'), 'x'.repeat(1_000_001));
        expectValidationError(withEntry({ script: 'train.py', sourceDir: big }), 'MlPipeline', { path: 'train.entryPoint.sourceDir', message: /at most 1 MiB/ });
      } finally {
        fs.rmSync(big, { recursive: true, force: true });
      }
    });
  });

  it("rejects distribution 'mpi' on Kubernetes, naming train.distribution (Trainer 2.3 has no mpi-distributed runtime)", () => {
    expectValidationError(() => render({ ...GPU, train: { ...GPU.train, distribution: 'mpi' } }), 'MlPipeline', { path: 'train.distribution', message: /deepspeed-distributed/ });
  });

  it("puts each run's workspace on kubernetes.pipeline.workspaceStorageClassName, and warns when distributed training has none (ReadWriteMany)", () => {
    const warnings = (r: Rendered) => r.pipeline.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data));
    expect(warnings(gpuPipeline())).toContainEqual(expect.stringContaining('[cdk-mlops:k8s-workspace-storage-class]'));
    const r = render(GPU, { workspaceStorageClassName: 'efs-sc' });
    expect((template(r).spec.volumeClaimTemplates as { spec: Json }[])[0].spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'efs-sc' });
    expect(warnings(r).filter((w) => w.includes('workspace-storage-class'))).toEqual([]);
    expect(warnings(cpuPipeline()).filter((w) => w.includes('workspace-storage-class'))).toEqual([]);
  });

  it('stops distributed training at train.maxRuntimeSeconds and deletes its TrainJob when the run ends, failed or not', () => {
    const r = gpuPipeline();
    const job = trainJobOf(r);
    expect(job.spec.activeDeadlineSeconds).toBe(7200);
    expect(job.metadata.name).toBe('{{workflow.name}}');
    expect(template(r).spec.onExit).toBe('cleanup');
    const cleanup = step(r, 'cleanup').resource as { action: string; manifest: string };
    expect(cleanup.action).toBe('delete');
    expect(JSON.parse(cleanup.manifest)).toEqual({ apiVersion: job.apiVersion, kind: 'TrainJob', metadata: { name: '{{workflow.name}}', namespace: 'ml' } });
    expect(only(r.typed, 'kubernetes_role_v1').rule).toContainEqual(expect.objectContaining({ resources: ['trainjobs'], verbs: expect.arrayContaining(['delete']) }));
    expect(template(cpuPipeline()).spec.onExit).toBeUndefined();
  });

  describe('train.networkIsolation', () => {
    it('isolates single-node training: no DNS, egress only to the API server CIDRs for the executor; the other steps are not selected', () => {
      const r = render(CPU, { apiServerCidrs: ['10.0.0.0/16'] });
      expect((step(r, 'train').metadata as { labels: Json }).labels['mlops.cdk.io/network-isolation']).toBe('true');
      const training = policy(r, 'churn-pipeline-train').spec;
      expect(training.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'ml-pipeline', 'mlops.cdk.io/step': 'train' } });
      expect(training.egress).toEqual([
        { to: [{ podSelector: training.podSelector }] },
        { to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] },
      ]);
      expect(policy(r, 'churn-pipeline').spec.podSelector).toMatchObject({ matchExpressions: [{ key: 'mlops.cdk.io/step', operator: 'NotIn', values: ['train'] }] });
    });

    it('labels isolated distributed training pods: with the namespace policies, they reach each other (rendezvous) and the cluster DNS, nothing else', () => {
      const r = gpuPipeline();
      const app = Testing.app();
      const nsStack = new TerraformStack(app, 'namespace');
      new PlatformNamespace(nsStack, 'Namespace', { name: 'ml' });
      const inNs = (p: Json) => ({ ...p, metadata: { ...(p.metadata as Json), namespace: 'ml' } });
      const policies = [...ofKind(JSON.parse(Testing.synth(nsStack)) as Synth, 'NetworkPolicy'), ...ofKind(r.typed, 'NetworkPolicy')].map(inNs);
      expect(policies.map((p) => (p.metadata as Json).name)).toEqual(expect.arrayContaining(['default-deny', 'allow-dns', 'allow-peer-dns', 'churn-pipeline-train']));
      const node: PodRef = { namespace: 'ml', labels: podOfTrainJob(r).metadata.labels as Record<string, string> };
      const dns: PodRef = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
      const server = ofKind(r.typed, 'Deployment');
      expect(server).toHaveLength(1); // the registry's MLflow server
      const mlflow: PodRef = { namespace: 'ml', labels: ((server[0].spec as Json).template as { metadata: { labels: Record<string, string> } }).metadata.labels };
      const otherStep: PodRef = { namespace: 'ml', labels: { 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'ml-pipeline', 'mlops.cdk.io/step': 'evaluate' } };
      // torchrun's c10d rendezvous on the first node (Kubeflow Trainer's torch-distributed: port 29400), and the NCCL ports.
      expect(allowsConnection(policies, node, node, 29400)).toBe(true);
      expect(allowsConnection(policies, node, node, 45000)).toBe(true);
      expect(allowsConnection(policies, node, dns, 53)).toBe(true);
      expect(allowsConnection(policies, node, dns, 443)).toBe(false);
      expect(allowsConnection(policies, node, mlflow, 5000)).toBe(false);
      expect(allowsConnection(policies, node, otherStep, 8080)).toBe(false);
      expect(allowsConnection(policies, otherStep, node, 29400)).toBe(false);
      // A non-isolated pod of another workload gets DNS from allow-dns, not from the peers' policy.
      const isolatedEndpoint: PodRef = { namespace: 'ml', labels: { 'mlops.cdk.io/network-isolation': 'true' } };
      expect(allowsConnection(policies, isolatedEndpoint, dns, 53)).toBe(false);
    });

    it('lets distributed training reach only its peers (and DNS, for the rendezvous host names)', () => {
      const r = gpuPipeline();
      expect(policy(r, 'churn-pipeline-train').spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'ml-pipeline', 'mlops.cdk.io/step': 'train' } } }] }]);
      expect(podOfTrainJob(r).metadata.labels).toMatchObject({ 'mlops.cdk.io/step': 'train' });
      expect(podOfTrainJob(r).metadata.labels).toMatchObject({ 'mlops.cdk.io/network-isolation': 'true', 'mlops.cdk.io/resolves-peers': 'true' });
      // The step that submits the TrainJob talks to the API: it is not a training pod.
      expect((step(r, 'train').metadata as { labels: Json }).labels['mlops.cdk.io/step']).toBe('train-submit');
    });

    it('opens egress when train.networkIsolation is false', () => {
      const r = render({ ...CPU, train: { ...CPU.train, networkIsolation: false } });
      expect(policy(r, 'churn-pipeline-train').spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] });
      expect((step(r, 'train').metadata as { labels: Json }).labels['mlops.cdk.io/network-isolation']).toBeUndefined();
    });
  });

  describe('a feature store', () => {
    const store = { url: 'http://churn-features:6566', selector: { 'app.kubernetes.io/name': 'churn-features' }, port: 6566, clientLabels: { 'mlops.cdk.io/churn-features-client': 'true' } };

    it("makes a distributed training that is not network-isolated its client: the TrainJob's pods carry its labels and get FEATURE_SERVER_URL", () => {
      const r = render({ ...GPU, train: { ...GPU.train, networkIsolation: false } }, { featureStore: store });
      expect(r.pipeline.featureStoreSteps).toEqual(['preprocess', 'train']);
      expect(podOfTrainJob(r).metadata.labels).toMatchObject({ ...store.clientLabels, 'mlops.cdk.io/step': 'train' });
      expect(trainJobOf(r).spec.trainer.env).toContainEqual({ name: 'FEATURE_SERVER_URL', value: store.url });
      expect(policy(r, 'churn-pipeline-features').spec).toMatchObject({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'churn', ...store.clientLabels } },
        egress: [{ to: [{ podSelector: { matchLabels: store.selector } }], ports: [{ port: 6566, protocol: 'TCP' }] }],
      });
    });

    it('leaves network-isolated distributed training out', () => {
      const r = render(GPU, { featureStore: store });
      expect(r.pipeline.featureStoreSteps).toEqual(['preprocess']);
      expect(Object.keys(podOfTrainJob(r).metadata.labels)).not.toContain('mlops.cdk.io/churn-features-client');
      expect((step(r, 'preprocess').metadata as { labels: Json }).labels).toMatchObject(store.clientLabels);
    });
  });

  describe('names Kubernetes derives', () => {
    it('rejects a name whose JobSet pod names would exceed 63 characters, and accepts the longest that fits', () => {
      expect(() => render(GPU, { name: 'a'.repeat(25) })).not.toThrow();
      expectValidationError(() => render(GPU, { name: 'a'.repeat(26) }), 'MlPipeline', { path: 'name', message: /JobSet names the training pods after it/ });
    });

    it("rejects a scheduled pipeline whose CronWorkflow name exceeds Argo's 52 characters", () => {
      expect(() => render(CPU, { name: 'a'.repeat(43) })).not.toThrow();
      expectValidationError(() => render(CPU, { name: 'a'.repeat(44) }), 'MlPipeline', { path: 'name', message: /CronWorkflow/ });
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
