import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Testing } from 'cdktf';
import { MlopsValidationError } from '../../../lib/errors';
import { EndpointSpecInput, longestTrainingPodName, PlatformSpecInput } from '../../../lib/spec';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { KubernetesPlatformStack } from '../../../stacks/kubernetes/platform';
import { synthKubernetesPlatform } from '../../../stacks/kubernetes/synth';
import { referencePlatform } from '../../../stacks/reference-platform';
import { validateCrdStack } from '../../constructs/kubernetes/argo';
import { Json, manifests, ofKind, podSpecOf, Synth, validateAll } from '../../constructs/kubernetes/helpers';

function kubernetesOf(spec: PlatformSpecInput): { stack: KubernetesPlatformStack; tf: Synth } {
  const stack = new KubernetesPlatformStack(Testing.app(), spec.name, { spec });
  return { stack, tf: JSON.parse(Testing.synth(stack)) as Synth };
}

/** The reference platform on Kubernetes, synthesized once for the tests that only read it. */
let reference: { stack: KubernetesPlatformStack; tf: Synth } | undefined;
const referenceOnKubernetes = () => (reference ??= kubernetesOf(referencePlatform));

const named = (objects: (Json & { metadata: Json })[], name: string) => objects.find((o) => o.metadata.name === name)!;

describe('the reference platform on both targets', () => {
  // One spec, two renderers, in the same test: the same models, sizes and scaling bounds.
  it('renders the same models with the same compute and scaling on AWS and on Kubernetes', () => {
    const aws = new AwsPlatform(new App(), 'Platform', { spec: referencePlatform });
    const { tf } = referenceOnKubernetes();

    for (const model of referencePlatform.models) {
      // A model delivered through stages has its endpoint in each stage's stack.
      const awsStack: Stack = aws.stages.get(model.name)?.[0] ?? aws.models.get(model.name)!;
      const t = Template.fromStack(awsStack);
      const variants = Object.values(t.findResources('AWS::SageMaker::EndpointConfig')).map((r) => (r as { Properties: { ProductionVariants: Json[] } }).Properties.ProductionVariants[0]);
      expect(variants).toHaveLength(1);
      const deployment = named(ofKind(tf, 'Deployment'), model.name);
      expect(deployment).toBeDefined();
      const hpa = named(ofKind(tf, 'HorizontalPodAutoscaler'), model.name) as unknown as { spec: { minReplicas: number; maxReplicas: number } };
      const targets = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map((r) => (r as { Properties: { MinCapacity: number; MaxCapacity: number } }).Properties);
      if (targets.length > 0) {
        // Instance-backed: the HPA bounds are SageMaker's instance bounds.
        expect({ min: hpa.spec.minReplicas, max: hpa.spec.maxReplicas }).toEqual({ min: targets[0].MinCapacity, max: targets[0].MaxCapacity });
      } else {
        // Serverless: SageMaker's max concurrency bounds the pods.
        expect(variants[0].ServerlessConfig).toMatchObject({ MaxConcurrency: hpa.spec.maxReplicas });
      }
    }

    // The GPU model: ml.g5.xlarge (1 x A10G) on AWS, one A10G on Kubernetes.
    const llm = Template.fromStack(aws.stages.get('support-assistant')![0]);
    llm.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g5.xlarge' })] });
    const pod = podSpecOf(named(ofKind(tf, 'Deployment'), 'support-assistant'));
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A10G' });
    expect((pod.containers[0] as { resources: { limits: Json } }).resources.limits['nvidia.com/gpu']).toBe('1');
  });
});

describe('KubernetesPlatformStack', () => {
  it('renders only valid Kubernetes objects for the reference platform', () => {
    const { tf } = referenceOnKubernetes();
    expect(validateAll(tf)).toBeGreaterThan(30);
  });

  it('writes no literal text that Terraform would read as a template: every ${ is a reference', () => {
    const json = JSON.stringify(referenceOnKubernetes().tf);
    const templates = [...json.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1]);
    expect(templates.length).toBeGreaterThan(10);
    for (const t of templates) expect(t).toMatch(/^(kubernetes_[a-z0-9_]+|data\.[a-z0-9_]+)\.[\w-]+\./);
    expect(json).not.toMatch(/(?<!%)%\{/);
  });

  it('puts every object in the platform namespace, which is created first', () => {
    const { tf } = referenceOnKubernetes();
    const [ns] = ofKind(tf, 'Namespace');
    expect(ns.metadata.name).toBe('mlops-reference');
    for (const o of [...ofKind(tf, 'Deployment'), ...ofKind(tf, 'NetworkPolicy'), ...ofKind(tf, 'ServiceAccount')]) {
      expect(o.metadata.namespace).toBe('${kubernetes_namespace_v1.Namespace_9B63B8C8.metadata[0].name}');
    }
  });

  it('gives every workload its own ServiceAccount and NetworkPolicy on top of the default deny', () => {
    const { tf } = referenceOnKubernetes();
    const workloads = [...ofKind(tf, 'Deployment'), ...ofKind(tf, 'StatefulSet')];
    const accounts = new Set(workloads.map((w) => podSpecOf(w).serviceAccountName));
    expect(accounts.size).toBe(workloads.length);
    const policies = ofKind(tf, 'NetworkPolicy').map((p) => p.metadata.name);
    expect(policies).toEqual(expect.arrayContaining(['default-deny', 'allow-dns', ...workloads.map((w) => w.metadata.name)]));
  });

  it("sizes the quota to every workload at full scale plus surge: 7 GPUs for support-assistant's 6 pods + 1 surging, 8 for its pipeline's 2 × 4-GPU training", () => {
    const [quota] = ofKind(referenceOnKubernetes().tf, 'ResourceQuota');
    // Claims: MLflow's database and artifacts (20 + 100 GiB), one run volume per pipeline (200 GiB for the LLM, 50 for churn), churn's Redis (10 GiB).
    expect((quota.spec as { hard: Json }).hard).toMatchObject({ 'requests.nvidia.com/gpu': '15', persistentvolumeclaims: '5', 'requests.storage': '380Gi' });
  });

  it('runs one MLflow server that every registry shares, and binds the viewer group', () => {
    const { stack, tf } = referenceOnKubernetes();
    expect([...stack.registries.keys()]).toEqual(['support-assistant', 'churn']);
    expect(stack.registries.get('churn')!.server).toBe(stack.registries.get('support-assistant')!.server);
    // The experiment tracker is the same MLflow server: MLflow tracks runs and registers models.
    expect(stack.experimentTracker!.server).toBe(stack.registries.get('churn')!.server);
    expect(ofKind(tf, 'StatefulSet').map((s) => s.metadata.name).sort()).toEqual(['churn-features-redis', 'mlflow-db']);
    expect(ofKind(tf, 'Deployment').filter((d) => d.metadata.name === 'mlflow')).toHaveLength(1);
    expect(ofKind(tf, 'RoleBinding')[0].subjects).toEqual([{ kind: 'Group', name: 'mlops-engineers', apiGroup: 'rbac.authorization.k8s.io' }]);
  });

  it('loads a registry version from MLflow for a model that deploys from its registry', () => {
    const spec: PlatformSpecInput = {
      ...referencePlatform,
      delivery: undefined,
      models: [{ ...referencePlatform.models[1], source: { registryVersion: 4 } }],
    };
    const env = podSpecOf(ofKind(kubernetesOf(spec).tf, 'Deployment').find((d) => d.metadata.name === 'churn')!).containers[0].env;
    expect(env).toContainEqual({ name: 'MODEL_URI', value: 'models:/churn/4' });
  });

  it('puts the scraping and alerts of a platform without pipelines, drift or KServe in the CRD stack, none in the typed stack', () => {
    const spec: PlatformSpecInput = { ...referencePlatform, trainingClusters: [], models: referencePlatform.models.map(({ pipeline: _pipeline, drift: _drift, ...m }) => m) };
    const { stack, tf } = kubernetesOf(spec);
    expect(tf.resource.kubernetes_manifest).toBeUndefined();
    const crds = JSON.parse(Testing.synth(stack.crdStack!)) as Synth;
    expect(manifests(crds).map((m) => m.kind).sort()).toEqual(['PodMonitor', 'PodMonitor', 'PodMonitor', 'PrometheusRule', 'PrometheusRule', 'PrometheusRule', 'ServiceMonitor', 'ServiceMonitor']);
  });

  it("renders each pipeline as Argo objects and the training cluster as Kueue queues in the CRD stack, the pipelines' pods queued on it", () => {
    const { stack } = referenceOnKubernetes();
    const crds = JSON.parse(Testing.synth(stack.crdStack!)) as Synth;
    // Two WorkflowTemplates and two CronWorkflows; two flavors (H100, m5.2xlarge), a ClusterQueue and a LocalQueue;
    // rules: three endpoints', two pipelines' and churn's drift; monitors: three endpoints' PodMonitors, MLflow's and Feast's ServiceMonitors.
    expect(validateCrdStack(crds)).toEqual({ argo: 4, crds: 4, prometheusRules: 6, monitors: 5, trainJobs: 1 });
    expect([...stack.pipelines.keys()]).toEqual(['support-assistant', 'churn']);
    const llm = stack.pipelines.get('support-assistant')!;
    expect(llm.trainJob).toBeDefined();
    expect(manifests(crds).find((m) => m.kind === 'CronWorkflow' && m.metadata.name === 'churn-pipeline')!.spec.schedules).toEqual(['0 3 * * 1']);
  });

  it("labels the training cluster's flavors as the platform labels GPU nodes: a flavor's nodeLabels are its pipeline's training pod's nodeSelector", () => {
    // On GKE (no A10G there): churn trains on a whole H100 node, the reference cluster's accelerator.
    const churn = referencePlatform.models[1];
    const pipeline = { ...churn.pipeline!, train: { ...churn.pipeline!.train, compute: { accelerator: { type: 'nvidia-h100' as const, count: 8 } } } };
    const spec: PlatformSpecInput = { ...referencePlatform, delivery: undefined, kubernetes: { ...referencePlatform.kubernetes, acceleratorNodeLabel: 'gke' }, models: [{ ...churn, pipeline }] };
    const { stack } = kubernetesOf(spec);
    const crds = manifests(JSON.parse(Testing.synth(stack.crdStack!)) as Synth);
    const template = crds.find((m) => m.kind === 'WorkflowTemplate' && m.metadata.name === 'churn-pipeline')!;
    const train = (template.spec.templates as { name: string; nodeSelector?: Json; metadata: { labels: Json } }[]).find((t) => t.name === 'train')!;
    const cluster = stack.trainingClusters.get('llm')!;
    expect(train.metadata.labels['kueue.x-k8s.io/queue-name']).toBe(cluster.queueName);
    const flavor = crds.find((m) => m.kind === 'ResourceFlavor' && String(m.metadata.name).endsWith('-nvidia-h100'))!;
    expect(train.nodeSelector).toEqual({ 'cloud.google.com/gke-accelerator': 'nvidia-h100-80gb' });
    expect(flavor.spec.nodeLabels).toEqual(train.nodeSelector);
  });

  it("queues a pipeline's training on the cluster that has its accelerator, and warns when none has", () => {
    // The reference cluster has H100s; the LLM fine-tunes on A10Gs: not queued, with a warning.
    const { stack } = referenceOnKubernetes();
    expect((stack.pipelines.get('support-assistant')!.trainJob!.metadata as { labels: Json }).labels['kueue.x-k8s.io/queue-name']).toBeUndefined();
    const warnings = stack.node.findChild('support-assistant').node.metadata.map((m) => String(m.data));
    expect(warnings).toContainEqual(expect.stringContaining('no training cluster has nvidia-a10g'));

    const [llm] = referencePlatform.trainingClusters!;
    const spec: PlatformSpecInput = { ...referencePlatform, trainingClusters: [llm, { ...llm, name: 'a10g', instanceGroups: [{ name: 'gpu', compute: { accelerator: { type: 'nvidia-a10g', count: 4 } }, count: 2 }] }] };
    const queued = kubernetesOf(spec).stack;
    expect((queued.pipelines.get('support-assistant')!.trainJob!.metadata as { labels: Json }).labels['kueue.x-k8s.io/queue-name']).toBe(queued.trainingClusters.get('a10g')!.queueName);
  });

  it("renders churn's feature store and drift monitor, its PrometheusRule in the CRD stack", () => {
    const { stack, tf } = referenceOnKubernetes();
    expect([...stack.featureStores.keys()]).toEqual(['churn']);
    expect(ofKind(tf, 'ConfigMap').map((c) => c.metadata.name)).toContain('churn-features-repo');
    expect(stack.featureStores.get('churn')!.repository['features.py']).toContain('path="s3://mlops-reference-features-us-east-1/churn/churn-customers/",');
    const [cron] = ofKind(tf, 'CronJob');
    expect(cron.metadata.name).toBe('churn-drift');
    // Retraining submits churn's pipeline: its Argo WorkflowTemplate.
    const gate = ((((cron.spec as Json).jobTemplate as Json).spec as Json).template as { spec: { containers: Json[] } }).spec.containers[0];
    expect(gate.env).toContainEqual({ name: 'TEMPLATE', value: stack.pipelines.get('churn')!.pipelineName });
    expect(stack.pipelines.get('churn')!.pipelineName).toBe('churn-pipeline');
    const crds = JSON.parse(Testing.synth(stack.crdStack!)) as Synth;
    expect(manifests(crds).filter((m) => m.kind === 'PrometheusRule').map((m) => `${String(m.metadata.name)}/${String(m.metadata.namespace)}`).sort()).toEqual([
      'churn-drift/mlops-reference', 'churn-endpoint/mlops-reference', 'churn-pipeline/mlops-reference',
      'support-assistant-endpoint/mlops-reference', 'support-assistant-pipeline/mlops-reference', 'ticket-router-endpoint/mlops-reference',
    ]);
  });

  it("bounds model names by the longest run name: the drift monitor's retraining runs, <template>-retrain-<5 random>", () => {
    const { tf } = referenceOnKubernetes();
    const [cron] = ofKind(tf, 'CronJob');
    const gate = JSON.stringify(cron.spec);
    const suffix = /generateName: \$TEMPLATE(-[a-z-]*)/.exec(gate)![1];
    // generateName adds 5 random characters; longestTrainingPodName counts the same suffix.
    expect(longestTrainingPodName('m', 1)).toContain(`m-pipeline${suffix}abcde-node-0-0`);
  });

  it('rejects a feature store without a Feast image, naming the Kubernetes setting', () => {
    const spec: PlatformSpecInput = { ...referencePlatform, kubernetes: { ...referencePlatform.kubernetes, featureStore: {} } };
    expect(() => kubernetesOf(spec)).toThrow(/kubernetes\.featureStore\.feastImage: is required by models\[1\]\.featureStore/);
  });

  it('rejects retraining on a model without a pipeline: there is no WorkflowTemplate to submit', () => {
    const churn = referencePlatform.models[1];
    // Without a pipeline, data quality needs a baseline in S3.
    const baseline = { constraintsUri: 's3://baselines-bucket/churn/constraints.json', statisticsUri: 's3://baselines-bucket/churn/statistics.json' };
    const drift = { ...churn.drift!, dataQuality: { ...churn.drift!.dataQuality!, baseline } };
    const spec: PlatformSpecInput = { ...referencePlatform, models: [referencePlatform.models[0], { ...churn, pipeline: undefined, drift }] };
    expect(() => kubernetesOf(spec)).toThrow(/models\[1\]\.drift\.retraining: submits the model pipeline's Argo WorkflowTemplate/);
  });

  it('rejects a drift monitor without a Pushgateway, naming the Kubernetes setting', () => {
    const spec: PlatformSpecInput = { ...referencePlatform, kubernetes: { ...referencePlatform.kubernetes, drift: { ...referencePlatform.kubernetes!.drift, pushgatewayUrl: undefined } } };
    expect(() => kubernetesOf(spec)).toThrow(/kubernetes\.drift\.pushgatewayUrl: is required by models\[1\]\.drift/);
  });

  it('puts a KServe-served endpoint in a CRD stack of its own, applied after the typed stack', () => {
    const llm = referencePlatform.models[0];
    const spec: PlatformSpecInput = { ...referencePlatform, models: [{ ...llm, endpoint: { ...(llm.endpoint as EndpointSpecInput), kubernetes: { ...(llm.endpoint as EndpointSpecInput).kubernetes, serving: 'kserve' } } }] };
    const { stack, tf } = kubernetesOf(spec);
    expect(stack.crdStack!.node.id).toBe('mlops-reference-crds');
    expect(stack.crdStack!.dependencies).toContain(stack);
    expect(tf.resource.kubernetes_manifest).toBeUndefined();
    const crds = JSON.parse(Testing.synth(stack.crdStack!)) as Synth;
    expect(validateCrdStack(crds).crds).toBeGreaterThan(1);
    const services = manifests(crds).filter((m) => m.kind === 'InferenceService');
    expect(services).toHaveLength(1);
    expect(services[0].metadata.namespace).toBe('mlops-reference');
  });

  it('uses the namespace the spec names', () => {
    const { tf } = kubernetesOf({ ...referencePlatform, kubernetes: { ...referencePlatform.kubernetes, namespace: 'ml-prod' } });
    expect(ofKind(tf, 'Namespace')[0].metadata.name).toBe('ml-prod');
  });

  it('rejects two models whose names differ only in case (their Kubernetes objects would clash)', () => {
    const spec: PlatformSpecInput = { ...referencePlatform, delivery: undefined, models: [referencePlatform.models[1], { ...referencePlatform.models[1], name: 'Churn' }] };
    expect(() => kubernetesOf(spec)).toThrow(MlopsValidationError);
    expect(() => kubernetesOf(spec)).toThrow(/models\[1\]\.name/);
  });

  it('rejects a platform with a registry but no MLflow image', () => {
    const spec: PlatformSpecInput = { ...referencePlatform, kubernetes: { registry: {} } };
    expect(() => kubernetesOf(spec)).toThrow(/ModelRegistry.*mlflowImage/);
  });

  it('rejects a namespace that is not a DNS label in the spec', () => {
    expect(() => kubernetesOf({ ...referencePlatform, kubernetes: { namespace: 'ML' } })).toThrow(/kubernetes\.namespace/);
  });
});

/** A NetworkPolicy as the API reads it (the parts these tests evaluate). */
interface Selector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }
interface Peer { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: Json }
interface Rule { from?: Peer[]; to?: Peer[]; ports?: { port?: string | number; protocol?: string }[] }
interface Policy { podSelector: Selector; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] }

/** Whether a label selector selects a pod with these labels (matchLabels and the set-based operators). */
function selects(selector: Selector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabels && (selector.matchExpressions ?? []).every((e) => {
    if (e.operator === 'In') return e.values!.includes(labels[e.key]);
    if (e.operator === 'NotIn') return !(e.key in labels) || !e.values!.includes(labels[e.key]);
    if (e.operator === 'Exists') return e.key in labels;
    return !(e.key in labels);
  });
}

/** Whether a rule lets traffic through to or from a pod of the same namespace with these labels, on a TCP port. */
const admits = (rule: Rule, peers: Peer[] | undefined, labels: Record<string, string>, port: number) =>
  (peers === undefined || peers.some((p) => p.podSelector !== undefined && p.namespaceSelector === undefined && selects(p.podSelector, labels)))
  && (rule.ports === undefined || rule.ports.some((p) => String(p.port) === String(port) && p.protocol === 'TCP'));

/**
 * Whether the namespace's NetworkPolicies let a pod with labels `from` open a TCP connection to a pod
 * with labels `to` on `port`: both ends must allow it (policies add up; a pod no policy of a direction
 * selects is open in that direction).
 */
function connects(policies: Policy[], from: Record<string, string>, to: Record<string, string>, port: number): boolean {
  const out = policies.filter((p) => p.policyTypes.includes('Egress') && selects(p.podSelector, from));
  const into = policies.filter((p) => p.policyTypes.includes('Ingress') && selects(p.podSelector, to));
  return out.length > 0 && into.length > 0
    && out.some((p) => (p.egress ?? []).some((r) => admits(r, r.to, to, port)))
    && into.some((p) => (p.ingress ?? []).some((r) => admits(r, r.from, from, port)));
}

describe("a pipeline's steps as clients of the model's feature server", () => {
  type Template = { name: string; metadata?: { labels?: Record<string, string> } };
  /** What each pod of churn's pipeline is labelled (Argo merges the workflow's podMetadata with the template's metadata), and the typed stack's policies. */
  function churnPods(spec: PlatformSpecInput) {
    const { stack, tf } = kubernetesOf(spec);
    const crds = JSON.parse(Testing.synth(stack.crdStack!)) as Synth;
    const wt = manifests(crds).find((m) => m.kind === 'WorkflowTemplate' && m.metadata.name === 'churn-pipeline')!;
    const common = ((wt.spec.podMetadata as { labels: Record<string, string> }).labels);
    const pods = Object.fromEntries((wt.spec.templates as Template[]).filter((t) => t.metadata?.labels).map((t) => [t.name, { ...common, ...t.metadata!.labels }]));
    const store = stack.featureStores.get('churn')!;
    const server = { ...(ofKind(tf, 'Deployment').find((d) => d.metadata.name === 'churn-features')!.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels };
    const policies = ofKind(tf, 'NetworkPolicy').map((p) => p.spec as Policy);
    return { pods, server, policies, store, pipeline: stack.pipelines.get('churn')! };
  }

  let isolated: ReturnType<typeof churnPods>;
  let open: ReturnType<typeof churnPods>;
  beforeAll(() => {
    isolated = churnPods(referencePlatform);
    const churn = referencePlatform.models[1];
    const pipeline = { ...churn.pipeline!, train: { ...churn.pipeline!.train, networkIsolation: false } };
    open = churnPods({ ...referencePlatform, models: [referencePlatform.models[0], { ...churn, pipeline }] });
  });

  it('lets preprocess reach the feature server: its pod carries the client labels the server admits, and its egress allows the port', () => {
    const { pods, server, policies, store } = isolated;
    expect(Object.keys(pods)).toEqual(expect.arrayContaining(['preprocess', 'train', 'evaluate', 'register']));
    expect(pods.preprocess).toMatchObject(store.clientLabels);
    expect(connects(policies, pods.preprocess, server, store.port)).toBe(true);
  });

  it('keeps network-isolated training, evaluation and registration away from it', () => {
    const { pods, server, policies, store, pipeline } = isolated;
    expect(pipeline.featureStoreSteps).toEqual(['preprocess']);
    for (const step of ['train', 'evaluate', 'register'] as const) {
      expect(connects(policies, pods[step], server, store.port)).toBe(false);
      expect(Object.keys(pods[step])).not.toContain(Object.keys(store.clientLabels)[0]);
    }
  });

  it('lets training reach it when not network-isolated, and tells both clients where it is', () => {
    const { pods, server, policies, store, pipeline } = open;
    expect(pipeline.featureStoreSteps).toEqual(['preprocess', 'train']);
    expect(connects(policies, pods.train, server, store.port)).toBe(true);
    expect(connects(policies, pods.evaluate, server, store.port)).toBe(false);
    const templates = (pipeline.workflowTemplate.manifestInput as { spec: { templates: (Template & { container?: { env: Json[] } })[] } }).spec.templates;
    for (const step of ['preprocess', 'train']) {
      expect(templates.find((t) => t.name === step)!.container!.env).toContainEqual({ name: 'FEATURE_SERVER_URL', value: store.url });
    }
  });

  it('the connection check can fail: without the client labels the server refuses preprocess', () => {
    const { pods, server, policies, store } = isolated;
    const [key] = Object.keys(store.clientLabels);
    const unlabelled = Object.fromEntries(Object.entries(pods.preprocess).filter(([k]) => k !== key));
    expect(connects(policies, unlabelled, server, store.port)).toBe(false);
    expect(connects(policies, pods.preprocess, server, store.port + 1)).toBe(false);
  });
});

describe('synthKubernetesPlatform', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-k8s-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the platform stack as Terraform JSON into the outdir', () => {
    const out = path.join(dir, 'cdktf.out');
    synthKubernetesPlatform(referencePlatform, out);
    const file = path.join(out, 'stacks', 'mlops-reference', 'cdk.tf.json');
    const tf = JSON.parse(fs.readFileSync(file, 'utf8')) as Synth & { provider: Json };
    expect(Object.keys(tf.provider)).toEqual(['kubernetes']);
    // Reproducible output: no absolute path of the machine that synthesized it; state outside the output.
    expect((tf as unknown as { terraform: { backend: Json } }).terraform.backend).toEqual({ local: { path: '../../../terraform-state/mlops-reference.tfstate' } });
    expect(validateAll(tf)).toBeGreaterThan(30);
  });

  it('keeps Terraform state where synth never touches it: a state file survives a second synth', () => {
    const out = path.join(dir, 'cdktf.out');
    const first = synthKubernetesPlatform(referencePlatform, out);
    // Where Terraform writes it, run as the README says: terraform -chdir=cdktf.out/stacks/<stack> apply.
    const stateFiles = first.state;
    expect(stateFiles).toEqual([path.join(dir, 'terraform-state', 'mlops-reference.tfstate'), path.join(dir, 'terraform-state', 'mlops-reference-crds.tfstate')]);
    for (const [i, stack] of ['mlops-reference', 'mlops-reference-crds'].entries()) {
      const tf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as { terraform: { backend: { local: { path: string } } } };
      expect(path.resolve(out, 'stacks', stack, tf.terraform.backend.local.path)).toBe(stateFiles[i]);
      fs.mkdirSync(path.dirname(stateFiles[i]), { recursive: true });
      fs.writeFileSync(stateFiles[i], '{"version": 4, "serial": 7}');
    }
    synthKubernetesPlatform(referencePlatform, out);
    for (const f of stateFiles) expect(fs.readFileSync(f, 'utf8')).toBe('{"version": 4, "serial": 7}');
  });

  it('refuses a local state directory inside the synth output, naming kubernetes.backend.directory', () => {
    const spec: PlatformSpecInput = { ...referencePlatform, kubernetes: { ...referencePlatform.kubernetes, backend: { type: 'local', directory: 'cdktf.out/state' } } };
    expect(() => synthKubernetesPlatform(spec, path.join(dir, 'cdktf.out'))).toThrow(/kubernetes\.backend\.directory: is inside the synth output/);
  });

  it.each([
    [{ type: 's3', bucket: 'acme-tfstate', region: 'eu-west-1' }, { s3: { bucket: 'acme-tfstate', key: 'cdk-mlops/mlops-reference.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true } }, { s3: expect.objectContaining({ key: 'cdk-mlops/mlops-reference-crds.tfstate' }) }],
    [{ type: 'gcs', bucket: 'acme-tfstate', prefix: 'ml' }, { gcs: { bucket: 'acme-tfstate', prefix: 'ml/mlops-reference' } }, { gcs: { bucket: 'acme-tfstate', prefix: 'ml/mlops-reference-crds' } }],
    [{ type: 'kubernetes', namespace: 'tfstate' }, { kubernetes: { secret_suffix: 'mlops-reference', namespace: 'tfstate' } }, { kubernetes: { secret_suffix: 'mlops-reference-crds', namespace: 'tfstate' } }],
  ] as const)('renders kubernetes.backend %j, one state per stack', (backend, platformBackend, crdBackend) => {
    const spec = { ...referencePlatform, kubernetes: { ...referencePlatform.kubernetes, backend } } as PlatformSpecInput;
    const { stack } = kubernetesOf(spec);
    expect((JSON.parse(Testing.synth(stack)) as { terraform: { backend: Json } }).terraform.backend).toEqual(platformBackend);
    expect((JSON.parse(Testing.synth(stack.crdStack!)) as { terraform: { backend: Json } }).terraform.backend).toEqual(crdBackend);
  });

  it('leaves the previous output as it was when the spec is bad', () => {
    const out = path.join(dir, 'cdktf.out');
    synthKubernetesPlatform(referencePlatform, out);
    expect(() => synthKubernetesPlatform({ ...referencePlatform, models: [] }, out)).toThrow(MlopsValidationError);
    expect(fs.existsSync(path.join(out, 'stacks', 'mlops-reference', 'cdk.tf.json'))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['cdktf.out']);
  });
});
