/**
 * MlPipeline on Kubernetes: the same pipeline spec as the AWS MlPipeline, run by Argo Workflows.
 *
 * What is rendered:
 * - in the CRD scope (kubernetes_manifest objects): a WorkflowTemplate `<name>-pipeline` whose DAG has the
 *   steps of the AWS template, preprocess → train → evaluate → gate → register in MLflow, or fail; and a
 *   CronWorkflow submitting it on the spec's schedule (EventBridge cron/rate translated to cron, UTC).
 * - typed: the pipeline's ServiceAccount and the token Secret Argo mounts for its executor, a Role with
 *   what the executor needs (workflowtaskresults create/patch; TrainJobs when training is distributed)
 *   and its RoleBinding, the training contract's ConfigMaps (SageMaker config files, packaged sources)
 *   and NetworkPolicies for the steps and for training.
 * - with a feature store: preprocess (which reads history from the offline store and pushes features) and
 *   training unless network-isolated are the feature server's clients: they carry its client labels,
 *   get FEATURE_SERVER_URL, and a NetworkPolicy of their own lets them reach its port. Evaluation and
 *   registration read only the run's workspace and MLflow.
 *
 * How the steps meet the SageMaker container contract: preprocess gets the input data at
 * /opt/ml/processing/input (an S3 input artifact: inputDataUri, or the `<name>/data` key of the cluster's
 * artifact repository) and writes /opt/ml/processing/{train,validation,test}; training follows the
 * contract of ./private/training.ts; evaluation reads /opt/ml/processing/{model,test} and writes
 * /opt/ml/processing/evaluation/<reportFile>. Steps hand data over on a per-run volume
 * (`volumeClaimTemplates`, deleted with the run). The gate is a `when` on the evaluation report (an
 * output parameter); registration logs the model, the report and the gate metric to MLflow
 * (MLFLOW_TRACKING_URI of the platform's server) and registers a version.
 *
 * Distributed training (distribution 'torch') runs as a Kubeflow Trainer v2 TrainJob on the
 * 'torch-distributed' runtime that a resource step creates and waits for; its nodes mount the run's
 * volume, which is then ReadWriteMany. The TrainJob is named after the run, stops at
 * train.maxRuntimeSeconds (activeDeadlineSeconds), and the run's exit handler deletes it, so a failed
 * or timed-out run never leaves it holding GPUs. 'mpi' is rejected: Trainer 2.3's MPI runtime
 * (deepspeed-distributed) needs an sshd image of its own on every node.
 */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { AcceleratorNodeLabel, CatalogError, DEFAULT_PROCESSING_INSTANCE_TYPE, InstanceTypeInfo, kubernetesAcceleratorFor, lookupInstanceType } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { DNS_LABEL, JOBSET_POD_NAME_MAX, longestTrainingPodName, PipelineSpec, pipelineSpecSchema, PipelineSpecInput, PRIVATE_CIDRS, ResolvedCompute } from '../../lib/spec';
import { MLFLOW_PORT } from './mlflow-server';
import type { FeatureStoreAccess } from './model-endpoint';
import type { ModelRegistry } from './model-registry';
import type { QuotaReservation } from './platform-namespace';
import { CRON_WORKFLOW_NAME_MAX, executorPodSpecPatch, executorTokenSecretName, newCronWorkflow } from './private/argo';
import { apiContainerSecurityContext, apiPodSecurityContext, apiScratchVolumes, InstanceCompute, NETWORK_ISOLATION_LABEL, newServiceAccount, PEER_DNS_LABEL, PodSize, podSize, workloadLabels } from './private/pod';
import { toKubernetesCron } from './private/schedule';
import { CHANNELS, CONTRACT, packageSources, sagemakerConfigFiles, SourceFile, trainingProgram, TrainingProgram } from './private/training';
import { escapeTerraformLiterals, parseProps, subjectOf } from './private/validation';

/** The label Kueue admits workloads by: the LocalQueue they are submitted to. */
export const KUEUE_QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';
/** The label naming a pipeline pod's step (`train` for every training pod, Argo's or a TrainJob's). */
export const STEP_LABEL = 'mlops.cdk.io/step';

export interface MlPipelineProps extends PipelineSpecInput {
  /** The namespace of the typed objects (PlatformNamespace.name). */
  readonly namespace: string;
  /** Names the WorkflowTemplate `<name>-pipeline` and the rest (a DNS label; the model's name). */
  readonly name: string;
  /** Label `app.kubernetes.io/part-of` (the platform). */
  readonly partOf: string;
  /** The registry new versions are registered into (its MLflow server is the tracker). */
  readonly registry: ModelRegistry;
  /** An image with the MLflow client, for the register step (the platform's MLflow image). */
  readonly mlflowImage: string;
  /** Where the Argo and Trainer objects go (a construct in the CRD stack) and the namespace's literal name there. */
  readonly crdScope: { readonly scope: Construct; readonly namespace: string };
  /**
   * The Kueue LocalQueue training is submitted to: the training pod (or the TrainJob) carries
   * kueue.x-k8s.io/queue-name. Give a queue whose ClusterQueue has a flavor of the training's
   * accelerator: Kueue never admits a workload that no flavor fits. Other steps are not queued.
   * @default - not queued
   */
  readonly queueName?: string;
  /**
   * StorageClass of each run's workspace volume (separate from the databases'). Distributed training
   * mounts it on every node: it must offer ReadWriteMany (EFS, Filestore, Azure Files, CephFS).
   * @default - the cluster default (a synth warning when training is distributed)
   */
  readonly workspaceStorageClassName?: string;
  /**
   * CIDRs of the Kubernetes API endpoints: the only egress of network-isolated single-node training
   * (Argo's executor reports to the API), on ports 443 and 6443.
   * @default - the private ranges 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16
   */
  readonly apiServerCidrs?: readonly string[];
  /** The directory a relative `train.entryPoint.sourceDir` is read from. @default - the current directory */
  readonly sourceBaseDirectory?: string;
  /** How GPU nodes are labelled (lib/catalog). @default 'nvidia-gfd' */
  readonly acceleratorNodeLabel?: AcceleratorNodeLabel;
  /**
   * The model's feature server. Preprocess, and training unless network-isolated, are its clients:
   * they carry its client labels, reach its port, and get FEATURE_SERVER_URL.
   * @default - no feature store
   */
  readonly featureStore?: FeatureStoreAccess;
}

const COMPONENT = 'ml-pipeline';
const UID = 1000;
const WORKSPACE = 'workspace';
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** Requests of Argo's `wait` sidecar in every step pod (LimitRange defaults), for the quota. */
const EXECUTOR = { cpuMillis: 100, memoryMiB: 512 };

/** NCCL settings of GPU training: fail fast on a hung collective, log warnings, never use loopback or docker bridges. */
export const NCCL_ENV: Record<string, string> = {
  NCCL_DEBUG: 'WARN',
  NCCL_SOCKET_IFNAME: '^lo,docker0',
  TORCH_NCCL_ASYNC_ERROR_HANDLING: '1',
};

type Json = Record<string, unknown>;

/** The step pods' sizes, known at synth time (they size pods on Kubernetes). */
type StepCompute = InstanceTypeInfo | InstanceCompute;
interface StepInfos { readonly preprocess: StepCompute; readonly train: StepCompute; readonly evaluate: StepCompute }

const env = (vars: Record<string, string>) => Object.entries({ HOME: '/tmp', ...vars }).map(([name, value]) => ({ name, value }));
const mount = (subPath: string, mountPath: string, readOnly = false) => ({ name: WORKSPACE, subPath, mountPath, ...(readOnly ? { readOnly } : {}) });
const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };
const tmpVolume = () => ({ name: 'tmp', emptyDir: { sizeLimit: '10Gi' } });
/** /dev/shm of a GPU pod (NCCL and PyTorch data loaders need far more than the runtime's 64 MiB), sized in pod.ts. */
const dshm = (size: PodSize) => apiScratchVolumes(size.accelerator ? [size.accelerator.sharedMemory] : []);

export class MlPipeline extends Construct {
  public readonly spec: PipelineSpec;
  /** `<name>-pipeline`: the WorkflowTemplate, ServiceAccount, Role and the rest. */
  public readonly pipelineName: string;
  public readonly serviceAccount: ServiceAccountV1;
  /** The token Secret Argo mounts into its executor containers (`<pipelineName>.service-account-token`). */
  public readonly executorToken: SecretV1;
  public readonly role: RoleV1;
  /** The steps' NetworkPolicy (every pod of a run but the training ones). */
  public readonly networkPolicy: NetworkPolicyV1;
  /** The training pods' NetworkPolicy: their peers only, and nothing else when train.networkIsolation is on. */
  public readonly trainingNetworkPolicy: NetworkPolicyV1;
  /** Egress of the feature store's clients among the steps to the feature server, when the model has one. */
  public readonly featureStoreNetworkPolicy?: NetworkPolicyV1;
  /** The steps that read and push features (`preprocess`, and `train` unless network-isolated); none without a feature store. */
  public readonly featureStoreSteps: readonly string[];
  public readonly workflowTemplate: Manifest;
  /** The CronWorkflow, when the spec has a schedule. */
  public readonly cronWorkflow?: Manifest;
  /** The TrainJob the training step creates (distributed training), as the object it submits. */
  public readonly trainJob?: Json;
  /** What the training container runs. */
  public readonly trainingProgram: TrainingProgram;
  /** The SageMaker config files training finds at /opt/ml/input/config. */
  public readonly trainingConfig: ConfigMapV1;
  /** train.entryPoint.sourceDir, mounted at /opt/ml/code. */
  public readonly sourceCode?: ConfigMapV1;
  /** The most one run uses at once (its largest step), for the namespace's ResourceQuota. */
  public readonly reservation: QuotaReservation;

  private readonly props: MlPipelineProps;
  private readonly infos: StepInfos;
  private readonly distributed: boolean;
  private readonly labels: Record<string, string>;
  private readonly podLabels: Record<string, string>;
  private readonly selector: Record<string, string>;
  private readonly sourceFiles?: SourceFile[];

  constructor(scope: Construct, id: string, props: MlPipelineProps) {
    super(scope, id);
    const { namespace, name, partOf, registry } = props;
    const specInput = specOf(props);
    this.props = props;
    this.spec = parseProps('MlPipeline', scope, id, pipelineSpecSchema, specInput);
    escapeTerraformLiterals(props.crdScope.scope);
    const { infos, cron, sources } = this.validate(scope, id);
    this.infos = infos;
    this.distributed = this.spec.train.distribution !== 'none';
    this.warnNotRendered(specInput, cron);

    this.pipelineName = `${name}-pipeline`;
    this.labels = workloadLabels(name, COMPONENT, partOf);
    this.podLabels = { ...this.labels, ...registry.server.clientLabels };
    this.selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': COMPONENT };
    this.trainingProgram = trainingProgram(this.spec.train);
    this.featureStoreSteps = props.featureStore ? ['preprocess', ...(this.spec.train.networkIsolation ? [] : ['train'])] : [];

    this.serviceAccount = newServiceAccount(this, namespace, this.pipelineName, this.labels);
    this.executorToken = this.renderExecutorToken();
    this.role = this.renderRole();
    [this.networkPolicy, this.trainingNetworkPolicy] = this.renderNetworkPolicies();
    if (props.featureStore) this.featureStoreNetworkPolicy = this.renderFeatureStoreNetworkPolicy(props.featureStore);
    this.trainingConfig = this.renderTrainingConfig();
    this.sourceFiles = sources;
    if (sources) this.sourceCode = this.renderSourceCode(sources);

    const train = this.distributed ? this.renderDistributedTraining() : this.renderTraining();
    if (this.distributed) this.trainJob = JSON.parse((train.resource as { manifest: string }).manifest) as Json;
    this.workflowTemplate = this.renderWorkflowTemplate(train);
    if (cron !== undefined) this.cronWorkflow = this.renderCronWorkflow(cron);
    this.reservation = this.renderReservation();
  }

  /** Every problem of the props the schema cannot see (Kubernetes names, sizes, what Kubernetes cannot run), thrown once. */
  private validate(scope: Construct, id: string): { infos: StepInfos; cron?: string; sources?: SourceFile[] } {
    const { spec, props } = this;
    const { name, partOf } = props;
    const issues: ValidationIssue[] = [];
    if (!DNS_LABEL.test(name) || name.length > 50) {
      issues.push({ path: 'name', message: 'is not a Kubernetes object name (it is suffixed with -pipeline)', got: renderValue(name), expected: 'a DNS-1123 label of at most 50 characters' });
    } else if (spec.schedule !== undefined && `${name}-pipeline`.length > CRON_WORKFLOW_NAME_MAX) {
      issues.push({ path: 'name', message: `is too long for the pipeline's CronWorkflow '${name}-pipeline' (Argo allows ${CRON_WORKFLOW_NAME_MAX} characters)`, got: renderValue(name), expected: `at most ${CRON_WORKFLOW_NAME_MAX - '-pipeline'.length} characters` });
    }
    if (!LABEL_VALUE.test(partOf)) {
      issues.push({ path: 'partOf', message: 'is not a Kubernetes label value', got: renderValue(partOf), expected: 'at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit' });
    }
    const known = (field: string, c: ResolvedCompute | undefined): StepCompute => {
      if (c === undefined) return processingDefault();
      if (c.kind === 'instance' && c.info !== undefined) return c;
      issues.push({ path: field, message: 'must be known at synth time on Kubernetes (it sizes the pods)', got: 'an unresolved instance type', expected: 'a literal instance type or an accelerator intent' });
      return processingDefault();
    };
    const infos = { preprocess: known('preprocess.compute', spec.preprocess.compute), train: known('train.compute', spec.train.compute), evaluate: known('evaluate.compute', spec.evaluate.compute) };
    // The node label that selects each step's accelerator model (CatalogError: the labelling has no value for it).
    for (const [step, info] of Object.entries(infos)) {
      const accelerator = ('kind' in info ? info.info : info)?.accelerator?.type;
      if (accelerator === undefined) continue;
      try {
        kubernetesAcceleratorFor(accelerator, props.acceleratorNodeLabel ?? 'nvidia-gfd');
      } catch (e) {
        if (!(e instanceof CatalogError)) throw e;
        issues.push({ path: 'acceleratorNodeLabel', message: `${e.message}, which ${step}.compute asks for`, got: e.got, expected: e.expected });
      }
    }
    let cron: string | undefined;
    if (spec.schedule !== undefined) {
      const t = toKubernetesCron(spec.schedule);
      if ('error' in t) issues.push({ path: 'schedule', message: `${t.error} on Kubernetes`, got: renderValue(spec.schedule), expected: t.expected });
      else cron = t.cron;
    }
    for (const [field, n] of [['preprocess.instanceCount', spec.preprocess.instanceCount], ['evaluate.instanceCount', spec.evaluate.instanceCount]] as const) {
      if (n !== 1) issues.push({ path: field, message: 'must be 1 on Kubernetes: a processing step is one pod', got: String(n), expected: '1' });
    }
    issues.push(...this.validateTraining());
    let sources: SourceFile[] | undefined;
    if (spec.train.entryPoint) {
      const packaged = packageSources(spec.train.entryPoint, props.sourceBaseDirectory ?? process.cwd());
      if ('issues' in packaged) issues.push(...packaged.issues);
      else sources = packaged.files;
    }
    if (issues.length > 0) throw new MlopsValidationError(subjectOf('MlPipeline', scope, id), issues);
    return { infos, cron, sources };
  }

  /** What distributed training on Kubernetes cannot run: MPI, no program, names JobSet cannot derive. */
  private validateTraining(): ValidationIssue[] {
    const t = this.spec.train;
    const issues: ValidationIssue[] = [];
    if (t.distribution === 'mpi') {
      issues.push({
        path: 'train.distribution', message: "cannot run on Kubernetes: Kubeflow Trainer removed 'mpi-distributed' in 2.1, and 2.3's MPI runtime (deepspeed-distributed) runs sshd from its own image on every node as root-owned mpiuser, which the restricted namespace refuses",
        got: "'mpi'", expected: "'torch' (torchrun on the torch-distributed runtime) or 'none'",
      });
    } else if (t.distribution === 'torch') {
      if (!t.command && !t.entryPoint) {
        issues.push({ path: 'train.entryPoint', message: "is required for distributed training on Kubernetes: the torch-distributed runtime launches nothing of its own, torchrun must be given a script", got: 'nothing', expected: "{ script, sourceDir } (run with torchrun), or train.command (e.g. ['torchrun', '/opt/ml/code/train.py'])" });
      }
      const longest = longestTrainingPodName(this.props.name, t.instanceCount);
      if (longest.length > JOBSET_POD_NAME_MAX) {
        issues.push({ path: 'name', message: `is too long for distributed training: JobSet names the training pods after it ('${longest}', ${longest.length} characters)`, got: renderValue(this.props.name), expected: `at most ${this.props.name.length - (longest.length - JOBSET_POD_NAME_MAX)} characters` });
      }
    }
    return issues;
  }

  /** Synth warnings for what the spec asks that Kubernetes does not render, or needs of the cluster. */
  private warnNotRendered(specInput: PipelineSpecInput, cron: string | undefined): void {
    const spec = this.spec;
    const awsOnly: [string, unknown, string][] = [
      ['train.spot', specInput.train.spot, 'managed spot training'],
      ['train.metricDefinitions', spec.train.metricDefinitions.length > 0 ? true : undefined, 'metrics parsed from CloudWatch logs'],
      ['train.interContainerEncryption', specInput.train.interContainerEncryption, "SageMaker's encryption between training instances (use a CNI or mesh that encrypts pod traffic)"],
      ['train.dataDistribution', specInput.train.dataDistribution, 'S3 sharding of the training channel'],
      ['dataQualityBaseline', specInput.dataQualityBaseline, 'a SageMaker Model Monitor baselining job'],
      ['retrainOnNewData', specInput.retrainOnNewData, 'S3 object events through EventBridge'],
      ['failureNotifications', specInput.failureNotifications, 'EventBridge rules and CloudWatch alarms (Argo exports workflow metrics to Prometheus)'],
    ];
    for (const [field, value, what] of awsOnly) {
      if (value !== undefined) Annotations.of(this).addWarning(`[cdk-mlops:k8s-aws-only-${field}] ${field} is AWS-only (${what}); it is not rendered on Kubernetes.`);
    }
    if (spec.schedule?.startsWith('rate(') && cron !== undefined) {
      Annotations.of(this).addInfo(`[cdk-mlops:k8s-schedule] ${spec.schedule} runs as cron '${cron}' (UTC): the same period, aligned to the clock rather than to when the rule was created.`);
    }
    if (spec.train.distribution !== 'none' && this.props.workspaceStorageClassName === undefined) {
      Annotations.of(this).addWarning('[cdk-mlops:k8s-workspace-storage-class] distributed training mounts the run\'s workspace on every node (ReadWriteMany), which the default EBS, PD and Azure Disk classes never bind: set kubernetes.pipeline.workspaceStorageClassName to a class that offers it (EFS, Filestore, Azure Files, CephFS).');
    }
  }

  // --- Identity and network ----------------------------------------------------------------

  /** The executor's token: Argo mounts `<sa>.service-account-token`, which Kubernetes ≥ 1.24 no longer creates. */
  private renderExecutorToken(): SecretV1 {
    return new SecretV1(this, 'ExecutorToken', {
      metadata: { name: executorTokenSecretName(this.pipelineName), namespace: this.props.namespace, labels: this.labels, annotations: { 'kubernetes.io/service-account.name': this.serviceAccount.metadata.name } },
      type: 'kubernetes.io/service-account-token',
      waitForServiceAccountToken: true,
    });
  }

  private renderRole(): RoleV1 {
    const { namespace } = this.props;
    const rules = [{ apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }];
    // The resource step creates the TrainJob and polls it; the exit handler deletes it.
    if (this.distributed) rules.push({ apiGroups: ['trainer.kubeflow.org'], resources: ['trainjobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] });
    const role = new RoleV1(this, 'Role', { metadata: { name: this.pipelineName, namespace, labels: this.labels }, rule: rules });
    new RoleBindingV1(this, 'RoleBinding', {
      metadata: { name: this.pipelineName, namespace, labels: this.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: this.serviceAccount.metadata.name, namespace }],
    });
    return role;
  }

  /**
   * The steps reach MLflow and HTTPS (S3 artifacts, the Kubernetes API for Argo's executor). Training
   * pods reach only each other (rendezvous, NCCL) and, network-isolated on one node, the API server
   * for the executor; without isolation, anything.
   */
  private renderNetworkPolicies(): [NetworkPolicyV1, NetworkPolicyV1] {
    const { namespace, registry } = this.props;
    const t = this.spec.train;
    const steps = new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name: this.pipelineName, namespace, labels: this.labels },
      spec: {
        podSelector: { matchLabels: this.selector, matchExpressions: [{ key: STEP_LABEL, operator: 'NotIn', values: ['train'] }] },
        policyTypes: ['Ingress', 'Egress'],
        egress: [
          { to: [{ podSelector: { matchLabels: registry.server.selector } }], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] },
          // HTTPS: the S3 input artifact and Argo's executor reporting to the Kubernetes API.
          { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] },
        ],
      },
    });
    const training = { ...this.selector, [STEP_LABEL]: 'train' };
    const apiServer = { to: (this.props.apiServerCidrs ?? PRIVATE_CIDRS).map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] };
    const beyondPeers = !t.networkIsolation ? [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] : this.distributed ? [] : [apiServer];
    const trainingPolicy = new NetworkPolicyV1(this, 'TrainingNetworkPolicy', {
      metadata: { name: `${this.pipelineName}-train`, namespace, labels: this.labels },
      spec: {
        podSelector: { matchLabels: training },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: training } }] }],
        egress: [{ to: [{ podSelector: { matchLabels: training } }] }, ...beyondPeers],
      },
    });
    return [steps, trainingPolicy];
  }

  /**
   * The feature server's clients among the steps reach its port. NetworkPolicies add up: this one
   * selects only pods with the client labels, which the steps of featureStoreSteps carry.
   */
  private renderFeatureStoreNetworkPolicy(store: FeatureStoreAccess): NetworkPolicyV1 {
    return new NetworkPolicyV1(this, 'FeatureStoreNetworkPolicy', {
      metadata: { name: `${this.pipelineName}-features`, namespace: this.props.namespace, labels: this.labels },
      spec: {
        podSelector: { matchLabels: { ...this.selector, ...store.clientLabels } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: store.selector } }], ports: [{ port: String(store.port), protocol: 'TCP' }] }],
      },
    });
  }

  /** A step's labels and environment as a feature store client, when it is one. */
  private featureStoreClient(step: string): { labels: Record<string, string>; env: Record<string, string> } {
    const store = this.props.featureStore;
    if (!store || !this.featureStoreSteps.includes(step)) return { labels: {}, env: {} };
    return { labels: store.clientLabels, env: { FEATURE_SERVER_URL: store.url } };
  }

  // --- The training contract ------------------------------------------------------------------

  /** /opt/ml/input/config: the SageMaker config files. */
  private renderTrainingConfig(): ConfigMapV1 {
    return new ConfigMapV1(this, 'TrainingConfig', {
      metadata: { name: this.trainingConfigName, namespace: this.props.namespace, labels: this.labels },
      data: sagemakerConfigFiles(this.spec.train, !this.distributed),
    });
  }

  /** /opt/ml/code: train.entryPoint.sourceDir, packaged at synth (size checked in validate). */
  private renderSourceCode(files: SourceFile[]): ConfigMapV1 {
    const key = (i: number) => `f${i}`;
    return new ConfigMapV1(this, 'SourceCode', {
      metadata: { name: this.sourceCodeName, namespace: this.props.namespace, labels: this.labels },
      data: Object.fromEntries(files.flatMap((f, i) => (f.text !== undefined ? [[key(i), f.text]] : []))),
      binaryData: Object.fromEntries(files.flatMap((f, i) => (f.base64 !== undefined ? [[key(i), f.base64]] : []))),
    });
  }

  /** The training pod's volumes and mounts: config files, sources, channels, model, output, scratch. */
  private trainingVolumes(size: PodSize, claim?: string): { volumes: Json[]; mounts: Json[] } {
    const volumes: Json[] = [
      ...(claim ? [{ name: WORKSPACE, persistentVolumeClaim: { claimName: claim } }] : []),
      tmpVolume(),
      { name: 'output', emptyDir: { sizeLimit: '10Gi' } },
      // Literal names: these objects are in the CRD stack, the ConfigMaps in the typed one (applied first).
      { name: 'config', configMap: { name: this.trainingConfigName } },
    ];
    const mounts: Json[] = [
      TMP_MOUNT,
      { name: 'output', mountPath: CONTRACT.output },
      { name: 'config', mountPath: CONTRACT.config, readOnly: true },
      ...CHANNELS.map((c) => mount(c, `${CONTRACT.data}/${c}`, true)),
      mount('model', CONTRACT.model),
    ];
    if (this.sourceFiles) {
      volumes.push({ name: 'code', configMap: { name: this.sourceCodeName, items: this.sourceFiles.map((f, i) => ({ key: `f${i}`, path: f.path })) } });
      mounts.push({ name: 'code', mountPath: CONTRACT.code, readOnly: true });
    }
    volumes.push(...dshm(size).volumes);
    mounts.push(...dshm(size).volumeMounts);
    return { volumes, mounts };
  }

  /** The training container's environment: SageMaker's SM_* variables, NCCL on GPUs, the spec's own. */
  private trainingEnv(size: PodSize): Record<string, string> {
    const t = this.spec.train;
    const gpus = size.accelerator?.resourceName === 'nvidia.com/gpu' ? size.accelerator.count : 0;
    return {
      ...(gpus > 0 ? NCCL_ENV : {}),
      SM_MODEL_DIR: CONTRACT.model,
      SM_INPUT_CONFIG_DIR: CONTRACT.config,
      SM_OUTPUT_DATA_DIR: `${CONTRACT.output}/data`,
      SM_CHANNELS: JSON.stringify(CHANNELS),
      ...Object.fromEntries(CHANNELS.map((c) => [`SM_CHANNEL_${c.toUpperCase()}`, `${CONTRACT.data}/${c}`])),
      SM_NUM_GPUS: String(gpus),
      SM_HPS: JSON.stringify(t.hyperparameters),
      ...(this.distributed ? {} : { SM_CURRENT_HOST: 'algo-1', SM_HOSTS: '["algo-1"]' }),
      ...this.featureStoreClient('train').env,
      ...t.environment,
    };
  }

  // --- Steps ------------------------------------------------------------------------------------

  /** A step's pod size: what its compute asks for, on nodes labelled as the platform says. */
  private podSize(compute: StepCompute): PodSize {
    return podSize(compute, this.props.acceleratorNodeLabel);
  }

  /** A container template for one step pod: GPU scheduling, shared memory, the executor patch. */
  private step(name: string, compute: StepCompute, c: Json, extra: Json = {}): Json {
    const size = this.podSize(compute);
    const volumes: Json[] = [tmpVolume(), ...((extra.volumes as Json[] | undefined) ?? [])];
    const mounts: Json[] = [TMP_MOUNT, ...((c.volumeMounts as Json[] | undefined) ?? [])];
    const gpu: Json = {};
    if (size.accelerator) {
      if (!volumes.some((v) => v.name === 'dshm')) volumes.push(...dshm(size).volumes);
      if (!mounts.some((m) => m.name === 'dshm')) mounts.push(...dshm(size).volumeMounts);
      if (size.accelerator.nodeSelector) gpu.nodeSelector = size.accelerator.nodeSelector;
      gpu.tolerations = size.accelerator.tolerations;
    }
    return {
      name,
      metadata: { labels: { [STEP_LABEL]: name, ...this.featureStoreClient(name).labels } },
      ...gpu,
      ...extra,
      volumes,
      podSpecPatch: executorPodSpecPatch('container'),
      container: { name: 'main', ...c, resources: { requests: size.requests, limits: size.limits }, securityContext: apiContainerSecurityContext(), volumeMounts: mounts },
    };
  }

  private renderPreprocess(): Json {
    const p = this.spec.preprocess;
    let input: Json;
    if (this.spec.inputDataUri !== undefined) {
      const [, bucket, key] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(this.spec.inputDataUri)!;
      // Read with the pod's own cloud identity (IRSA / Pod Identity on the ServiceAccount), not a stored key.
      input = { endpoint: 's3.amazonaws.com', bucket, key: key.replace(/\/$/, ''), useSDKCreds: true };
    } else {
      // Key-only: the cluster's artifact repository fills in the bucket and credentials.
      input = { key: `${this.props.name}/data` };
    }
    return this.step('preprocess', this.infos.preprocess, {
      image: p.image,
      ...(p.command ? { command: p.command } : {}),
      args: p.arguments,
      env: env({ ...this.featureStoreClient('preprocess').env, ...p.environment }),
      volumeMounts: ['train', 'validation', 'test'].map((o) => mount(o, `/opt/ml/processing/${o}`)),
    }, {
      inputs: { artifacts: [{ name: 'input', path: '/opt/ml/processing/input', s3: input }] },
      activeDeadlineSeconds: p.maxRuntimeSeconds,
    });
  }

  /** Single-node training: one Argo step pod, queued by Kueue's pod integration when a queue is given. */
  private renderTraining(): Json {
    const t = this.spec.train;
    const size = this.podSize(this.infos.train);
    const { volumes, mounts } = this.trainingVolumes(size);
    const train = this.step('train', this.infos.train, {
      image: t.image,
      command: this.trainingProgram.command,
      args: this.trainingProgram.args,
      env: env(this.trainingEnv(size)),
      volumeMounts: mounts.filter((m) => m.name !== 'tmp'),
    }, { volumes: volumes.filter((v) => v.name !== 'tmp'), activeDeadlineSeconds: t.maxRuntimeSeconds });
    const isolation = t.networkIsolation ? { [NETWORK_ISOLATION_LABEL]: 'true' } : {};
    train.metadata = { labels: { ...(train.metadata as { labels: Record<string, string> }).labels, ...isolation, ...this.queueLabel() } };
    return train;
  }

  private queueLabel(): Record<string, string> {
    return this.props.queueName ? { [KUEUE_QUEUE_LABEL]: this.props.queueName } : {};
  }

  /** Distributed training: a resource step that creates the run's TrainJob and waits for it. */
  private renderDistributedTraining(): Json {
    return {
      name: 'train',
      metadata: { labels: { [STEP_LABEL]: 'train-submit' } },
      activeDeadlineSeconds: this.spec.train.maxRuntimeSeconds,
      podSpecPatch: executorPodSpecPatch('resource'),
      resource: {
        action: 'create',
        // The TrainJob is owned by the run: deleting the run deletes the training.
        setOwnerReference: true,
        manifest: JSON.stringify(this.renderTrainJob(), undefined, 2),
        // Argo reads these as label selectors over gjson paths, so a key must be a label key: no
        // `conditions.#(type=="Complete")` queries. The replicated job 'node' of torch-distributed
        // decides the outcome, and its entry in jobsStatus counts its finished Jobs.
        successCondition: 'status.jobsStatus.0.succeeded > 0',
        failureCondition: 'status.jobsStatus.0.failed > 0',
      },
    };
  }

  /** A Kubeflow Trainer v2 TrainJob on the 'torch-distributed' runtime, named after the run, patched to the platform's pod rules. */
  private renderTrainJob(): Json {
    const t = this.spec.train;
    const size = this.podSize(this.infos.train);
    const { volumes, mounts } = this.trainingVolumes(size, `{{workflow.name}}-${WORKSPACE}`);
    return {
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainJob',
      metadata: {
        // One per run: the exit handler deletes it by this name (see longestTrainingPodName for its length).
        name: '{{workflow.name}}',
        namespace: this.props.crdScope.namespace,
        // Kueue admits the TrainJob as one workload (all its nodes or none).
        labels: { ...this.labels, ...this.queueLabel() },
      },
      spec: {
        runtimeRef: { apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime', name: 'torch-distributed' },
        // Stops the training (and frees its GPUs) even when nothing else does.
        activeDeadlineSeconds: t.maxRuntimeSeconds,
        trainer: {
          image: t.image,
          command: this.trainingProgram.command,
          args: this.trainingProgram.args,
          env: env(this.trainingEnv(size)),
          numNodes: t.instanceCount,
          numProcPerNode: size.accelerator?.count ?? 1,
          resourcesPerNode: { requests: size.requests, limits: size.limits },
        },
        runtimePatches: [{
          manager: 'cdk-mlops',
          trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: 'node', template: { spec: { template: {
            metadata: { labels: { ...this.podLabels, [STEP_LABEL]: 'train', ...this.featureStoreClient('train').labels, ...(t.networkIsolation ? { [NETWORK_ISOLATION_LABEL]: 'true', [PEER_DNS_LABEL]: 'true' } : {}) } },
            spec: {
              serviceAccountName: this.pipelineName,
              securityContext: apiPodSecurityContext(UID),
              ...(size.accelerator ? { nodeSelector: size.accelerator.nodeSelector, tolerations: size.accelerator.tolerations } : {}),
              volumes,
              containers: [{ name: 'node', securityContext: apiContainerSecurityContext(), volumeMounts: mounts }],
            },
          } } } }] } } },
        }],
      },
    };
  }

  /** The exit handler of distributed runs: deletes the run's TrainJob, whatever the outcome. */
  private renderCleanup(): Json {
    return {
      name: 'cleanup',
      metadata: { labels: { [STEP_LABEL]: 'cleanup' } },
      activeDeadlineSeconds: 600,
      podSpecPatch: executorPodSpecPatch('resource'),
      resource: {
        action: 'delete',
        manifest: JSON.stringify({ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: '{{workflow.name}}', namespace: this.props.crdScope.namespace } }),
      },
    };
  }

  private renderEvaluate(): Json {
    const e = this.spec.evaluate;
    return this.step('evaluate', this.infos.evaluate, {
      image: e.image,
      ...(e.command ? { command: e.command } : {}),
      args: e.arguments,
      env: env(e.environment),
      volumeMounts: [mount('model', '/opt/ml/processing/model', true), mount('test', '/opt/ml/processing/test', true), mount('evaluation', '/opt/ml/processing/evaluation')],
    }, {
      outputs: { parameters: [{ name: 'report', valueFrom: { path: `/opt/ml/processing/evaluation/${e.reportFile}` } }] },
      activeDeadlineSeconds: e.maxRuntimeSeconds,
    });
  }

  /** The register step (MLflow) and the gate's failure step. */
  private renderGateSteps(): Json[] {
    const { registry, mlflowImage } = this.props;
    const g = this.spec.gate;
    const r = this.spec.register;
    const register = {
      name: 'register',
      metadata: { labels: { [STEP_LABEL]: 'register' } },
      inputs: { parameters: [{ name: 'report' }] },
      volumes: [tmpVolume()],
      activeDeadlineSeconds: 3600,
      podSpecPatch: executorPodSpecPatch('container'),
      container: {
        name: 'main',
        image: mlflowImage,
        command: ['python3', '-c', REGISTER_SCRIPT],
        env: env({
          MLFLOW_TRACKING_URI: registry.server.trackingUri,
          MODEL_NAME: registry.registeredModelName,
          MODEL_DIR: CONTRACT.model,
          REPORT: '{{inputs.parameters.report}}',
          GATE_METRIC: g.metric,
          APPROVAL_STATUS: r.approvalStatus,
          INFERENCE_IMAGE: r.image ?? this.spec.train.image,
          CONTENT_TYPES: r.contentTypes.join(','),
          RESPONSE_TYPES: r.responseTypes.join(','),
          RUN_NAME: '{{workflow.name}}',
        }),
        resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
        securityContext: apiContainerSecurityContext(),
        volumeMounts: [TMP_MOUNT, mount('model', CONTRACT.model, true)],
      },
    };
    const gateFailed = {
      name: 'gate-failed',
      metadata: { labels: { [STEP_LABEL]: 'gate-failed' } },
      inputs: { parameters: [{ name: 'report' }] },
      podSpecPatch: executorPodSpecPatch('container'),
      container: {
        name: 'main',
        image: mlflowImage,
        command: ['python3', '-c', 'import os, sys; sys.exit(os.environ["MESSAGE"])'],
        env: [{ name: 'MESSAGE', value: `quality gate failed: ${g.metric} ${g.comparison} ${g.threshold} does not hold; the model is not registered. Report: {{inputs.parameters.report}}` }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } },
        securityContext: apiContainerSecurityContext(),
      },
    };
    return [register, gateFailed];
  }

  /** The DAG: preprocess → train → evaluate → register when the gate holds, gate-failed otherwise. */
  private renderDag(): Json {
    const g = this.spec.gate;
    const metricExpr = `jsonpath(tasks.evaluate.outputs.parameters.report, '$.${g.metric}')`;
    const report = { parameters: [{ name: 'report', value: '{{tasks.evaluate.outputs.parameters.report}}' }] };
    // A DAG rather than steps: the same sequence, and its tasks validate against Argo's published schema
    // (which describes the JSON list-of-lists form of `steps` as an object).
    return {
      name: 'pipeline',
      dag: {
        tasks: [
          { name: 'preprocess', template: 'preprocess' },
          { name: 'train', template: 'train', depends: 'preprocess' },
          { name: 'evaluate', template: 'evaluate', depends: 'train' },
          { name: 'register', template: 'register', depends: 'evaluate', when: `{{=${metricExpr} ${g.comparison} ${g.threshold}}}`, arguments: report },
          { name: 'gate-failed', template: 'gate-failed', depends: 'evaluate', when: `{{=!(${metricExpr} ${g.comparison} ${g.threshold})}}`, arguments: report },
        ],
      },
    };
  }

  private get trainingConfigName(): string {
    return `${this.pipelineName}-train-config`;
  }

  private get sourceCodeName(): string {
    return `${this.pipelineName}-code`;
  }

  private workspaceGiB(): number {
    const { preprocess: p, train: t, evaluate: e } = this.spec;
    return Math.max(p.volumeSizeGiB, t.volumeSizeGiB, e.volumeSizeGiB);
  }

  private renderWorkflowTemplate(train: Json): Manifest {
    const { preprocess: p, train: t, evaluate: e } = this.spec;
    const { crdScope, workspaceStorageClassName } = this.props;
    const templates = [this.renderDag(), this.renderPreprocess(), train, this.renderEvaluate(), ...this.renderGateSteps(), ...(this.distributed ? [this.renderCleanup()] : [])];
    const spec: Json = {
      entrypoint: 'pipeline',
      ...(this.distributed ? { onExit: 'cleanup' } : {}),
      serviceAccountName: this.pipelineName,
      // The step containers get no Kubernetes API token; only Argo's executor containers do (the Secret above).
      automountServiceAccountToken: false,
      executor: { serviceAccountName: this.pipelineName },
      securityContext: apiPodSecurityContext(UID),
      podMetadata: { labels: this.podLabels },
      activeDeadlineSeconds: p.maxRuntimeSeconds + t.maxRuntimeSeconds + e.maxRuntimeSeconds + 3600,
      volumeClaimTemplates: [{
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: WORKSPACE },
        spec: {
          accessModes: [this.distributed ? 'ReadWriteMany' : 'ReadWriteOnce'],
          resources: { requests: { storage: `${this.workspaceGiB()}Gi` } },
          ...(workspaceStorageClassName ? { storageClassName: workspaceStorageClassName } : {}),
        },
      }],
      volumeClaimGC: { strategy: 'OnWorkflowCompletion' },
      podGC: { strategy: 'OnPodSuccess' },
      ttlStrategy: { secondsAfterSuccess: 7 * 24 * 3600, secondsAfterFailure: 14 * 24 * 3600 },
      templates,
    };
    return new Manifest(crdScope.scope, 'WorkflowTemplate', {
      manifest: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'WorkflowTemplate',
        metadata: { name: this.pipelineName, namespace: crdScope.namespace, labels: this.labels, ...(this.spec.description ? { annotations: { 'mlops.cdk.io/description': this.spec.description } } : {}) },
        spec,
      },
    });
  }

  private renderCronWorkflow(cron: string): Manifest {
    const { crdScope } = this.props;
    const cronWorkflow = newCronWorkflow(crdScope.scope, 'CronWorkflow', {
      name: this.pipelineName,
      namespace: crdScope.namespace,
      labels: this.labels,
      cron,
      workflowSpec: { workflowTemplateRef: { name: this.pipelineName } },
    });
    cronWorkflow.node.addDependency(this.workflowTemplate);
    return cronWorkflow;
  }

  /** Steps run one at a time: the largest step bounds what a run uses (plus the executor sidecars). */
  private renderReservation(): QuotaReservation {
    const sizes = [
      { pods: 1, size: this.podSize(this.infos.preprocess) },
      { pods: this.spec.train.instanceCount, size: this.podSize(this.infos.train) },
      { pods: 1, size: this.podSize(this.infos.evaluate) },
    ];
    const gpuOf = (s: PodSize, r: string) => (s.accelerator?.resourceName === r ? s.accelerator.count : 0);
    const max = (f: (x: { pods: number; size: PodSize }) => number) => Math.max(...sizes.map(f));
    return {
      pods: max((x) => x.pods) + 1,
      cpuMillis: max((x) => x.pods * (x.size.cpuMillis + EXECUTOR.cpuMillis)),
      memoryMiB: max((x) => x.pods * (x.size.memoryMiB + EXECUTOR.memoryMiB)),
      gpus: max((x) => x.pods * gpuOf(x.size, 'nvidia.com/gpu')),
      neuronDevices: max((x) => x.pods * gpuOf(x.size, 'aws.amazon.com/neuron')),
      persistentVolumeClaims: 1,
      storageGiB: this.workspaceGiB(),
    };
  }
}

/** The pipeline spec among the props: everything but the construct's own. */
function specOf(props: MlPipelineProps): PipelineSpecInput {
  const own = new Set(['namespace', 'name', 'partOf', 'registry', 'mlflowImage', 'crdScope', 'queueName', 'workspaceStorageClassName', 'apiServerCidrs', 'sourceBaseDirectory', 'acceleratorNodeLabel', 'featureStore']);
  return Object.fromEntries(Object.entries(props).filter(([k]) => !own.has(k))) as unknown as PipelineSpecInput;
}

/** The processing default of the spec. */
const processingDefault = (): InstanceTypeInfo => lookupInstanceType(DEFAULT_PROCESSING_INSTANCE_TYPE)!;

/**
 * The register step: logs the model directory, the evaluation report and the gate metric to an MLflow
 * run, registers a version of the model from it, and tags the version as the AWS model package is
 * described (approval status, inference image, content types).
 */
const REGISTER_SCRIPT = `
import json, os, re
import mlflow
from mlflow import MlflowClient

report = json.loads(os.environ["REPORT"])
value = report
for part in re.findall(r"[^.\\[\\]]+", os.environ["GATE_METRIC"]):
    value = value[int(part)] if isinstance(value, list) else value[part]
with mlflow.start_run(run_name=os.environ["RUN_NAME"]) as run:
    mlflow.log_dict(report, "evaluation/report.json")
    mlflow.log_metric(os.environ["GATE_METRIC"].replace("[", "_").replace("]", ""), float(value))
    mlflow.log_artifacts(os.environ["MODEL_DIR"], "model")
version = mlflow.register_model(f"runs:/{run.info.run_id}/model", os.environ["MODEL_NAME"])
client = MlflowClient()
for key, env in (("approval_status", "APPROVAL_STATUS"), ("inference_image", "INFERENCE_IMAGE"), ("content_types", "CONTENT_TYPES"), ("response_types", "RESPONSE_TYPES")):
    client.set_model_version_tag(version.name, version.version, key, os.environ[env])
print(f"registered {version.name} version {version.version}")
`.trim();
