/**
 * MlPipeline on Kubernetes: the same pipeline spec as the AWS MlPipeline, run by Argo Workflows.
 *
 * What is rendered:
 * - in the CRD scope (kubernetes_manifest objects): a WorkflowTemplate `<name>-pipeline` whose DAG has the
 *   steps of the AWS template, preprocess → train → evaluate → gate → register in MLflow, or fail; and a
 *   CronWorkflow submitting it on the spec's schedule (EventBridge cron/rate translated to cron, UTC).
 * - typed: the pipeline's ServiceAccount, a Role with what Argo's executor needs (workflowtaskresults
 *   create/patch; TrainJobs when training is distributed) and its RoleBinding, and a NetworkPolicy.
 *
 * How the steps meet the SageMaker container contract: preprocess gets the input data at
 * /opt/ml/processing/input (an S3 input artifact: inputDataUri, or the `<name>/data` key of the cluster's
 * artifact repository) and writes /opt/ml/processing/{train,validation,test}; training reads
 * /opt/ml/input/data/{train,validation} and writes /opt/ml/model; evaluation reads
 * /opt/ml/processing/{model,test} and writes /opt/ml/processing/evaluation/<reportFile>. Steps hand
 * data over on a per-run volume (`volumeClaimTemplates`, deleted with the run). The gate is a `when` on
 * the evaluation report (an output parameter); registration logs the model, the report and the gate
 * metric to MLflow (MLFLOW_TRACKING_URI of the platform's server) and registers a version.
 *
 * Distributed training (distribution 'torch' or 'mpi') runs as a Kubeflow Trainer v2 TrainJob that a
 * resource step creates and waits for (the runtime 'torch-distributed' or 'mpi-distributed' provides
 * torchrun/mpirun); its nodes mount the run's volume, which is then ReadWriteMany.
 */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { DEFAULT_PROCESSING_INSTANCE_TYPE, InstanceTypeInfo, kubernetesAcceleratorFor, lookupInstanceType } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { DNS_LABEL, PipelineSpec, pipelineSpecSchema, PipelineSpecInput, ResolvedCompute } from '../../lib/spec';
import { MLFLOW_PORT } from './mlflow-server';
import type { ModelRegistry } from './model-registry';
import type { QuotaReservation } from './platform-namespace';
import { apiContainerSecurityContext, apiPodSecurityContext, newServiceAccount, workloadLabels } from './private/pod';
import { toKubernetesCron } from './private/schedule';
import { parseProps, subjectOf } from './private/validation';

/** The label Kueue admits workloads by: the LocalQueue they are submitted to. */
export const KUEUE_QUEUE_LABEL = 'kueue.x-k8s.io/queue-name';

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
  /** StorageClass of the per-run volume; must offer ReadWriteMany for distributed training. @default - the cluster default */
  readonly storageClassName?: string;
}

const COMPONENT = 'ml-pipeline';
const UID = 1000;
const WORKSPACE = 'workspace';
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** Requests of Argo's `wait` sidecar in every step pod (LimitRange defaults), for the quota. */
const EXECUTOR = { cpuMillis: 100, memoryMiB: 512 };

interface PodSize {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly requests: Record<string, string | number>;
  readonly limits: Record<string, string | number>;
  readonly accelerator?: { readonly resourceName: string; readonly count: number; readonly nodeSelector: Record<string, string> };
}

/** A pod sized to 3/4 of an instance type (room for the kubelet and daemons on a node of that size), with its accelerators. */
function podSize(info: InstanceTypeInfo): PodSize {
  const cpuMillis = Math.max(250, Math.floor(info.vCpus * 750));
  const memoryMiB = Math.floor(info.memoryGiB * 1024 * 0.75);
  const requests: Record<string, string> = { cpu: `${cpuMillis}m`, memory: `${memoryMiB}Mi` };
  const limits: Record<string, string> = { memory: `${memoryMiB}Mi` };
  if (!info.accelerator) return { cpuMillis, memoryMiB, requests, limits };
  const k = kubernetesAcceleratorFor(info.accelerator.type);
  // Extended resources: request = limit.
  requests[k.resourceName] = String(info.accelerator.count);
  limits[k.resourceName] = String(info.accelerator.count);
  return { cpuMillis, memoryMiB, requests, limits, accelerator: { resourceName: k.resourceName, count: info.accelerator.count, nodeSelector: k.nodeSelector } };
}

/** NCCL settings of GPU training: fail fast on a hung collective, log warnings, never use loopback or docker bridges. */
export const NCCL_ENV: Record<string, string> = {
  NCCL_DEBUG: 'WARN',
  NCCL_SOCKET_IFNAME: '^lo,docker0',
  TORCH_NCCL_ASYNC_ERROR_HANDLING: '1',
};

type Json = Record<string, unknown>;

export class MlPipeline extends Construct {
  public readonly spec: PipelineSpec;
  /** `<name>-pipeline`: the WorkflowTemplate, ServiceAccount, Role and the rest. */
  public readonly pipelineName: string;
  public readonly serviceAccount: ServiceAccountV1;
  public readonly role: RoleV1;
  public readonly networkPolicy: NetworkPolicyV1;
  public readonly workflowTemplate: Manifest;
  /** The CronWorkflow, when the spec has a schedule. */
  public readonly cronWorkflow?: Manifest;
  /** The TrainJob the training step creates (distributed training), as the object it submits. */
  public readonly trainJob?: Json;
  /** The most one run uses at once (its largest step), for the namespace's ResourceQuota. */
  public readonly reservation: QuotaReservation;

  constructor(scope: Construct, id: string, props: MlPipelineProps) {
    super(scope, id);
    const { namespace, name, partOf, registry, mlflowImage, crdScope, queueName, storageClassName, ...specInput } = props;
    const spec = parseProps('MlPipeline', scope, id, pipelineSpecSchema, specInput);
    this.spec = spec;
    const subject = subjectOf('MlPipeline', scope, id);

    const issues: ValidationIssue[] = [];
    if (!DNS_LABEL.test(name) || name.length > 50) {
      issues.push({ path: 'name', message: 'is not a Kubernetes object name (it is suffixed with -pipeline)', got: renderValue(name), expected: 'a DNS-1123 label of at most 50 characters' });
    }
    if (!LABEL_VALUE.test(partOf)) {
      issues.push({ path: 'partOf', message: 'is not a Kubernetes label value', got: renderValue(partOf), expected: 'at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit' });
    }
    const known = (path: string, c: ResolvedCompute | undefined): InstanceTypeInfo | undefined => {
      if (c === undefined) return undefined;
      if (c.kind === 'instance' && c.info !== undefined) return c.info;
      issues.push({ path, message: 'must be known at synth time on Kubernetes (it sizes the pods)', got: 'an unresolved instance type', expected: 'a literal instance type or an accelerator intent' });
      return undefined;
    };
    const preprocessInfo = known('preprocess.compute', spec.preprocess.compute);
    const trainInfo = known('train.compute', spec.train.compute);
    const evaluateInfo = known('evaluate.compute', spec.evaluate.compute);
    let cron: string | undefined;
    if (spec.schedule !== undefined) {
      const t = toKubernetesCron(spec.schedule);
      if ('error' in t) issues.push({ path: 'schedule', message: `${t.error} on Kubernetes`, got: renderValue(spec.schedule), expected: t.expected });
      else cron = t.cron;
    }
    for (const [path, n] of [['preprocess.instanceCount', spec.preprocess.instanceCount], ['evaluate.instanceCount', spec.evaluate.instanceCount]] as const) {
      if (n !== 1) issues.push({ path, message: 'must be 1 on Kubernetes: a processing step is one pod', got: String(n), expected: '1' });
    }
    if (issues.length > 0) throw new MlopsValidationError(subject, issues);

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

    const pipelineName = `${name}-pipeline`;
    this.pipelineName = pipelineName;
    const labels = workloadLabels(name, COMPONENT, partOf);
    const server = registry.server;
    const podLabels: Record<string, string> = { ...labels, ...server.clientLabels };
    const queueLabel: Record<string, string> = queueName ? { [KUEUE_QUEUE_LABEL]: queueName } : {};

    // --- Identity and network --------------------------------------------------------------
    this.serviceAccount = newServiceAccount(this, namespace, pipelineName, labels);
    const distributed = spec.train.distribution !== 'none';
    const rules = [{ apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }];
    // The resource step creates the TrainJob and polls it until it completes or fails.
    if (distributed) rules.push({ apiGroups: ['trainer.kubeflow.org'], resources: ['trainjobs'], verbs: ['create', 'get', 'list', 'watch'] });
    this.role = new RoleV1(this, 'Role', { metadata: { name: pipelineName, namespace, labels }, rule: rules });
    new RoleBindingV1(this, 'RoleBinding', {
      metadata: { name: pipelineName, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: this.serviceAccount.metadata.name, namespace }],
    });
    const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': COMPONENT };
    this.networkPolicy = new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name: pipelineName, namespace, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        // Distributed training: rendezvous and NCCL between the run's pods, any port.
        ingress: [{ from: [{ podSelector: { matchLabels: selector } }] }],
        egress: [
          { to: [{ podSelector: { matchLabels: selector } }] },
          { to: [{ podSelector: { matchLabels: server.selector } }], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] },
          // HTTPS: the S3 input artifact and Argo's executor reporting to the Kubernetes API.
          { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] },
        ],
      },
    });

    // --- Steps -------------------------------------------------------------------------------
    const env = (vars: Record<string, string>) => Object.entries({ HOME: '/tmp', ...vars }).map(([k, v]) => ({ name: k, value: v }));
    const mount = (subPath: string, mountPath: string, readOnly = false) => ({ name: WORKSPACE, subPath, mountPath, ...(readOnly ? { readOnly } : {}) });
    const tmp = { name: 'tmp', mountPath: '/tmp' };
    /** A container template for one step pod, GPU scheduling and shared memory included. */
    const step = (tname: string, info: InstanceTypeInfo, c: Json, extra: Json = {}): Json => {
      const size = podSize(info);
      const volumes: Json[] = [{ name: 'tmp', emptyDir: { sizeLimit: '10Gi' } }];
      const mounts: Json[] = [tmp, ...((c.volumeMounts as Json[] | undefined) ?? [])];
      const gpu: Json = {};
      if (size.accelerator) {
        // NCCL and PyTorch data loaders need far more than the container runtime's 64 MiB of /dev/shm.
        volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: `${Math.min(65536, Math.floor(size.memoryMiB / 4))}Mi` } });
        mounts.push({ name: 'dshm', mountPath: '/dev/shm' });
        gpu.nodeSelector = size.accelerator.nodeSelector;
        gpu.tolerations = [{ key: size.accelerator.resourceName, operator: 'Exists', effect: 'NoSchedule' }];
      }
      return {
        name: tname,
        metadata: { labels: { 'mlops.cdk.io/step': tname } },
        ...gpu,
        volumes,
        container: { name: 'main', ...c, resources: { requests: size.requests, limits: size.limits }, securityContext: apiContainerSecurityContext(), volumeMounts: mounts },
        ...extra,
      };
    };

    const input = spec.inputDataUri !== undefined
      ? (() => {
        const [, bucket, key] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(spec.inputDataUri)!;
        // Read with the pod's own cloud identity (IRSA / Pod Identity on the ServiceAccount), not a stored key.
        return { endpoint: 's3.amazonaws.com', bucket, key: key.replace(/\/$/, ''), useSDKCreds: true };
      })()
      // Key-only: the cluster's artifact repository fills in the bucket and credentials.
      : { key: `${name}/data` };

    const p = spec.preprocess;
    const preprocess = step('preprocess', preprocessInfo ?? processingDefault(), {
      image: p.image,
      ...(p.command ? { command: p.command } : {}),
      args: p.arguments,
      env: env(p.environment),
      volumeMounts: ['train', 'validation', 'test'].map((o) => mount(o, `/opt/ml/processing/${o}`)),
    }, {
      inputs: { artifacts: [{ name: 'input', path: '/opt/ml/processing/input', s3: input }] },
      activeDeadlineSeconds: p.maxRuntimeSeconds,
    });

    const t = spec.train;
    const trainSize = podSize(trainInfo!);
    const trainEnv: Record<string, string> = {
      ...(trainSize.accelerator?.resourceName === 'nvidia.com/gpu' ? NCCL_ENV : {}),
      SM_MODEL_DIR: '/opt/ml/model',
      SM_CHANNEL_TRAIN: '/opt/ml/input/data/train',
      SM_CHANNEL_VALIDATION: '/opt/ml/input/data/validation',
      SM_NUM_GPUS: String(trainSize.accelerator?.resourceName === 'nvidia.com/gpu' ? trainSize.accelerator.count : 0),
      SM_HPS: JSON.stringify(t.hyperparameters),
      ...t.environment,
    };
    // As SageMaker script mode passes them: `--name value`.
    const trainArgs = Object.entries(t.hyperparameters).flatMap(([k, v]) => [`--${k}`, v]);
    const trainMounts = [mount('train', '/opt/ml/input/data/train', true), mount('validation', '/opt/ml/input/data/validation', true), mount('model', '/opt/ml/model')];
    let train: Json;
    if (!distributed) {
      train = step('train', trainInfo!, { image: t.image, args: trainArgs, env: env(trainEnv), volumeMounts: trainMounts }, { activeDeadlineSeconds: t.maxRuntimeSeconds });
      // Kueue's pod integration admits the training pod against the queue's quota.
      train.metadata = { labels: { ...(train.metadata as { labels: Record<string, string> }).labels, ...queueLabel } };
    } else {
      const trainJob = this.renderTrainJob(pipelineName, crdScope.namespace, labels, podLabels, queueLabel, trainSize, trainArgs, trainEnv, trainMounts);
      this.trainJob = trainJob;
      train = {
        name: 'train',
        metadata: { labels: { 'mlops.cdk.io/step': 'train' } },
        activeDeadlineSeconds: t.maxRuntimeSeconds,
        resource: {
          action: 'create',
          // The TrainJob is owned by the run: deleting the run deletes the training.
          setOwnerReference: true,
          manifest: JSON.stringify(trainJob, undefined, 2),
          // Argo reads these as label selectors over gjson paths, so a key must be a label key: no
          // `conditions.#(type=="Complete")` queries. The first replicated job of both runtimes decides
          // the outcome ('node' of torch-distributed, 'launcher' of mpi-distributed), and its entry in
          // jobsStatus counts its finished Jobs.
          successCondition: 'status.jobsStatus.0.succeeded > 0',
          failureCondition: 'status.jobsStatus.0.failed > 0',
        },
      };
    }

    const e = spec.evaluate;
    const reportPath = `/opt/ml/processing/evaluation/${e.reportFile}`;
    const evaluate = step('evaluate', evaluateInfo ?? processingDefault(), {
      image: e.image,
      ...(e.command ? { command: e.command } : {}),
      args: e.arguments,
      env: env(e.environment),
      volumeMounts: [mount('model', '/opt/ml/processing/model', true), mount('test', '/opt/ml/processing/test', true), mount('evaluation', '/opt/ml/processing/evaluation')],
    }, {
      outputs: { parameters: [{ name: 'report', valueFrom: { path: reportPath } }] },
      activeDeadlineSeconds: e.maxRuntimeSeconds,
    });

    const g = spec.gate;
    const metricExpr = `jsonpath(tasks.evaluate.outputs.parameters.report, '$.${g.metric}')`;
    const passes = `{{=${metricExpr} ${g.comparison} ${g.threshold}}}`;
    const fails = `{{=!(${metricExpr} ${g.comparison} ${g.threshold})}}`;
    const r = spec.register;
    const small = { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } };
    const register = {
      name: 'register',
      metadata: { labels: { 'mlops.cdk.io/step': 'register' } },
      inputs: { parameters: [{ name: 'report' }] },
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '10Gi' } }],
      activeDeadlineSeconds: 3600,
      container: {
        name: 'main',
        image: mlflowImage,
        command: ['python3', '-c', REGISTER_SCRIPT],
        env: env({
          MLFLOW_TRACKING_URI: server.trackingUri,
          MODEL_NAME: registry.registeredModelName,
          MODEL_DIR: '/opt/ml/model',
          REPORT: '{{inputs.parameters.report}}',
          GATE_METRIC: g.metric,
          APPROVAL_STATUS: r.approvalStatus,
          INFERENCE_IMAGE: r.image ?? t.image,
          CONTENT_TYPES: r.contentTypes.join(','),
          RESPONSE_TYPES: r.responseTypes.join(','),
          RUN_NAME: '{{workflow.name}}',
        }),
        resources: small,
        securityContext: apiContainerSecurityContext(),
        volumeMounts: [tmp, mount('model', '/opt/ml/model', true)],
      },
    };
    const gateFailed = {
      name: 'gate-failed',
      metadata: { labels: { 'mlops.cdk.io/step': 'gate-failed' } },
      inputs: { parameters: [{ name: 'report' }] },
      container: {
        name: 'main',
        image: mlflowImage,
        command: ['python3', '-c', 'import os, sys; sys.exit(os.environ["MESSAGE"])'],
        env: [{ name: 'MESSAGE', value: `quality gate failed: ${g.metric} ${g.comparison} ${g.threshold} does not hold; the model is not registered. Report: {{inputs.parameters.report}}` }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } },
        securityContext: apiContainerSecurityContext(),
      },
    };
    const report = { parameters: [{ name: 'report', value: '{{tasks.evaluate.outputs.parameters.report}}' }] };
    // A DAG rather than steps: the same sequence, and its tasks validate against Argo's published schema
    // (which describes the JSON list-of-lists form of `steps` as an object).
    const main = {
      name: 'pipeline',
      dag: {
        tasks: [
          { name: 'preprocess', template: 'preprocess' },
          { name: 'train', template: 'train', depends: 'preprocess' },
          { name: 'evaluate', template: 'evaluate', depends: 'train' },
          { name: 'register', template: 'register', depends: 'evaluate', when: passes, arguments: report },
          { name: 'gate-failed', template: 'gate-failed', depends: 'evaluate', when: fails, arguments: report },
        ],
      },
    };

    const stepMaxSeconds = p.maxRuntimeSeconds + t.maxRuntimeSeconds + e.maxRuntimeSeconds + 3600;
    const workspaceGiB = Math.max(p.volumeSizeGiB, t.volumeSizeGiB, e.volumeSizeGiB);
    const workflowSpec: Json = {
      entrypoint: 'pipeline',
      serviceAccountName: pipelineName,
      // The step containers get no Kubernetes API token; only Argo's executor sidecar does.
      automountServiceAccountToken: false,
      executor: { serviceAccountName: pipelineName },
      securityContext: apiPodSecurityContext(UID),
      podMetadata: { labels: podLabels },
      activeDeadlineSeconds: stepMaxSeconds,
      volumeClaimTemplates: [{
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: WORKSPACE },
        spec: {
          accessModes: [distributed ? 'ReadWriteMany' : 'ReadWriteOnce'],
          resources: { requests: { storage: `${workspaceGiB}Gi` } },
          ...(storageClassName ? { storageClassName } : {}),
        },
      }],
      volumeClaimGC: { strategy: 'OnWorkflowCompletion' },
      podGC: { strategy: 'OnPodSuccess' },
      ttlStrategy: { secondsAfterSuccess: 7 * 24 * 3600, secondsAfterFailure: 14 * 24 * 3600 },
      templates: [main, preprocess, train, evaluate, register, gateFailed],
    };
    this.workflowTemplate = new Manifest(crdScope.scope, 'WorkflowTemplate', {
      manifest: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'WorkflowTemplate',
        metadata: { name: pipelineName, namespace: crdScope.namespace, labels, ...(spec.description ? { annotations: { 'mlops.cdk.io/description': spec.description } } : {}) },
        spec: workflowSpec,
      },
    });
    if (cron !== undefined) {
      this.cronWorkflow = new Manifest(crdScope.scope, 'CronWorkflow', {
        manifest: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'CronWorkflow',
          metadata: { name: pipelineName, namespace: crdScope.namespace, labels },
          spec: {
            schedules: [cron],
            timezone: 'UTC',
            // A run still going when the next is due is left to finish; the next one is skipped.
            concurrencyPolicy: 'Forbid',
            startingDeadlineSeconds: 3600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            workflowSpec: { workflowTemplateRef: { name: pipelineName } },
          },
        },
      });
      this.cronWorkflow.node.addDependency(this.workflowTemplate);
    }

    // Steps run one at a time: the largest step bounds what a run uses (plus the executor sidecars).
    const sizes = [
      { pods: 1, size: podSize(preprocessInfo ?? processingDefault()) },
      { pods: t.instanceCount, size: trainSize },
      { pods: 1, size: podSize(evaluateInfo ?? processingDefault()) },
    ];
    const gpuOf = (s: PodSize, r: string) => (s.accelerator?.resourceName === r ? s.accelerator.count : 0);
    const max = (f: (x: { pods: number; size: PodSize }) => number) => Math.max(...sizes.map(f));
    this.reservation = {
      pods: max((x) => x.pods) + 1,
      cpuMillis: max((x) => x.pods * (x.size.cpuMillis + EXECUTOR.cpuMillis)),
      memoryMiB: max((x) => x.pods * (x.size.memoryMiB + EXECUTOR.memoryMiB)),
      gpus: max((x) => x.pods * gpuOf(x.size, 'nvidia.com/gpu')),
      neuronDevices: max((x) => x.pods * gpuOf(x.size, 'aws.amazon.com/neuron')),
      persistentVolumeClaims: 1,
      storageGiB: workspaceGiB,
    };
  }

  /** A Kubeflow Trainer v2 TrainJob on the 'torch-distributed' or 'mpi-distributed' runtime, patched to the platform's pod rules. */
  private renderTrainJob(pipelineName: string, namespace: string, labels: Record<string, string>, podLabels: Record<string, string>, queueLabel: Record<string, string>, size: PodSize, args: string[], env: Record<string, string>, mounts: Json[]): Json {
    const t = this.spec.train;
    const procs = t.distribution === 'mpi' ? (t.processesPerHost ?? size.accelerator?.count ?? 1) : (size.accelerator?.count ?? 1);
    const volumes: Json[] = [
      { name: WORKSPACE, persistentVolumeClaim: { claimName: `{{workflow.name}}-${WORKSPACE}` } },
      { name: 'tmp', emptyDir: { sizeLimit: '10Gi' } },
    ];
    const nodeMounts: Json[] = [{ name: 'tmp', mountPath: '/tmp' }, ...mounts];
    if (size.accelerator) {
      volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: `${Math.min(65536, Math.floor(size.memoryMiB / 4))}Mi` } });
      nodeMounts.push({ name: 'dshm', mountPath: '/dev/shm' });
    }
    return {
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainJob',
      metadata: {
        generateName: `${pipelineName}-train-`,
        namespace,
        // Kueue admits the TrainJob as one workload (all its nodes or none).
        labels: { ...labels, ...queueLabel },
      },
      spec: {
        runtimeRef: { apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime', name: t.distribution === 'mpi' ? 'mpi-distributed' : 'torch-distributed' },
        trainer: {
          image: t.image,
          args,
          env: Object.entries({ HOME: '/tmp', ...env }).map(([name, value]) => ({ name, value })),
          numNodes: t.instanceCount,
          numProcPerNode: procs,
          resourcesPerNode: { requests: size.requests, limits: size.limits },
        },
        runtimePatches: [{
          manager: 'cdk-mlops',
          trainingRuntimeSpec: {
            template: {
              spec: {
                replicatedJobs: [{
                  name: 'node',
                  template: {
                    spec: {
                      template: {
                        metadata: { labels: podLabels },
                        spec: {
                          serviceAccountName: pipelineName,
                          securityContext: apiPodSecurityContext(UID),
                          ...(size.accelerator ? { nodeSelector: size.accelerator.nodeSelector, tolerations: [{ key: size.accelerator.resourceName, operator: 'Exists', effect: 'NoSchedule' }] } : {}),
                          volumes,
                          containers: [{ name: 'node', securityContext: apiContainerSecurityContext(), volumeMounts: nodeMounts }],
                        },
                      },
                    },
                  },
                }],
              },
            },
          },
        }],
      },
    };
  }
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
