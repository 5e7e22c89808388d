/**
 * BatchTransform on Kubernetes: the same batch spec as the AWS BatchTransform, run by an Argo
 * CronWorkflow on the spec's schedule (EventBridge cron/rate translated to cron, UTC).
 *
 * The batch container contract (what the image must do, the counterpart of SageMaker's transform job):
 * - Argo's executor downloads every object under `input.s3Uri` to BATCH_INPUT_DIR
 *   (/opt/ml/input/data) before the container starts, with the pod's own cloud identity (IRSA /
 *   Pod Identity on the ServiceAccount `<name>-batch`);
 * - the container scores each file and writes one result file per input file, named
 *   `<input file>.out`, to BATCH_OUTPUT_DIR (/opt/ml/output), then exits 0 (any other code fails the run);
 * - Argo uploads BATCH_OUTPUT_DIR to `<output.s3Uri>/<run name>/` once the container has exited.
 * The container reads the spec's settings from the environment: BATCH_CONTENT_TYPE, BATCH_SPLIT_TYPE
 * (None | Line | RecordIO | TFRecord), BATCH_COMPRESSION_TYPE, BATCH_STRATEGY (MultiRecord |
 * SingleRecord), BATCH_MAX_PAYLOAD_MB, BATCH_ACCEPT, BATCH_ASSEMBLE_WITH, BATCH_INPUT_FILTER,
 * BATCH_OUTPUT_FILTER and BATCH_JOIN_SOURCE (as SageMaker applies them), plus the spec's `environment`.
 *
 * What it renders: the ServiceAccount and the executor's token Secret, a Role for Argo's task
 * results, a NetworkPolicy (no ingress; HTTPS egress only, for the executor's S3 and API calls:
 * Kubernetes isolates pods, not containers, so `networkIsolation` cannot cut the scoring container
 * off from what its executor needs), and in the CRD scope the CronWorkflow, whose pods run Pod
 * Security `restricted` (executor containers patched by podSpecPatch).
 * Not rendered on Kubernetes: onNewData (no S3 events in the cluster), qualityCheck (SageMaker Model
 * Monitor) and failureNotifications (Argo exports workflow metrics to Prometheus).
 */
import { Construct } from 'constructs';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { AcceleratorNodeLabel } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { BatchSpec, BatchSpecInput, batchSpecSchema, DNS_LABEL } from '../../lib/spec';
import type { QuotaReservation } from './platform-namespace';
import { warnNotRendered } from './not-rendered';
import { CRON_WORKFLOW_NAME_MAX, executorPodSpecPatch, executorTokenSecretName, newCronWorkflow } from './private/argo';
import { apiContainerSecurityContext, apiPodSecurityContext, apiScratchVolumes, InstanceCompute, newServiceAccount, PodSize, podSize, TMP, workloadLabels } from './private/pod';
import { toKubernetesCron } from './private/schedule';
import { escapeTerraformLiterals, parseProps, subjectOf } from './private/validation';

/** Where the container finds its input and writes its results (the batch container contract). */
export const BATCH_CONTRACT = { input: '/opt/ml/input/data', output: '/opt/ml/output' } as const;

export interface BatchTransformProps extends BatchSpecInput {
  /** The namespace of the typed objects (PlatformNamespace.name). */
  readonly namespace: string;
  /** Names the CronWorkflow `<name>-batch` and the rest (a DNS label; the model's name). */
  readonly name: string;
  /** Label `app.kubernetes.io/part-of` (the platform). */
  readonly partOf: string;
  /** Where the CronWorkflow goes (a construct in the CRD stack) and the namespace's literal name there. */
  readonly crdScope: { readonly scope: Construct; readonly namespace: string };
  /** The scoring image when the spec's kubernetes.image is not given (the endpoint's). @default - none: kubernetes.image is required */
  readonly defaultImage?: string;
  /** How GPU nodes are labelled (lib/catalog). @default 'nvidia-gfd' */
  readonly acceleratorNodeLabel?: AcceleratorNodeLabel;
}

const COMPONENT = 'batch-transform';
const UID = 1000;
/** Requests of Argo's `wait` sidecar (LimitRange defaults), for the quota. */
const EXECUTOR = { cpuMillis: 100, memoryMiB: 512 };
type Json = Record<string, unknown>;

export class BatchTransform extends Construct {
  public readonly spec: BatchSpec;
  /** `<name>-batch`: the CronWorkflow, ServiceAccount, Role and NetworkPolicy. */
  public readonly batchName: string;
  public readonly serviceAccount: ServiceAccountV1;
  public readonly executorToken: SecretV1;
  public readonly networkPolicy: NetworkPolicyV1;
  public readonly cronWorkflow: Manifest;
  /** What one run uses (its pods), for the namespace's ResourceQuota. */
  public readonly reservation: QuotaReservation;

  private readonly props: BatchTransformProps;
  private readonly labels: Record<string, string>;

  constructor(scope: Construct, id: string, props: BatchTransformProps) {
    super(scope, id);
    this.props = props;
    this.spec = parseProps('BatchTransform', scope, id, batchSpecSchema, specOf(props));
    escapeTerraformLiterals(props.crdScope.scope);
    const { cron, image, compute } = this.validate(scope, id);
    this.warnNotRendered(specOf(props));
    this.batchName = `${props.name}-batch`;
    this.labels = workloadLabels(props.name, COMPONENT, props.partOf);
    const size = podSize(compute, props.acceleratorNodeLabel);

    this.serviceAccount = newServiceAccount(this, props.namespace, this.batchName, this.labels);
    this.executorToken = new SecretV1(this, 'ExecutorToken', {
      metadata: { name: executorTokenSecretName(this.batchName), namespace: props.namespace, labels: this.labels, annotations: { 'kubernetes.io/service-account.name': this.serviceAccount.metadata.name } },
      type: 'kubernetes.io/service-account-token',
      waitForServiceAccountToken: true,
    });
    this.renderRole();
    this.networkPolicy = this.renderNetworkPolicy();
    this.cronWorkflow = this.renderCronWorkflow(cron, image, size);
    const pods = this.spec.instanceCount;
    this.reservation = {
      pods,
      cpuMillis: pods * (size.cpuMillis + EXECUTOR.cpuMillis),
      memoryMiB: pods * (size.memoryMiB + EXECUTOR.memoryMiB),
      gpus: pods * (size.accelerator?.resourceName === 'nvidia.com/gpu' ? size.accelerator.count : 0),
      neuronDevices: pods * (size.accelerator?.resourceName === 'aws.amazon.com/neuron' ? size.accelerator.count : 0),
    };
  }

  private validate(scope: Construct, id: string): { cron: string; image: string; compute: InstanceCompute } {
    const { spec, props } = this;
    const issues: ValidationIssue[] = [];
    if (!DNS_LABEL.test(props.name) || `${props.name}-batch`.length > CRON_WORKFLOW_NAME_MAX) {
      issues.push({ path: 'name', message: `is not a name Argo takes for the CronWorkflow '${props.name}-batch'`, got: renderValue(props.name), expected: `a DNS-1123 label of at most ${CRON_WORKFLOW_NAME_MAX - '-batch'.length} characters` });
    }
    let cron = '';
    if (spec.schedule === undefined) {
      issues.push({ path: 'schedule', message: 'is required on Kubernetes: the batch runs as an Argo CronWorkflow (onNewData needs S3 events, which the cluster does not receive)', got: 'nothing', expected: "a schedule such as 'rate(1 day)'" });
    } else {
      const t = toKubernetesCron(spec.schedule);
      if ('error' in t) issues.push({ path: 'schedule', message: `${t.error} on Kubernetes`, got: renderValue(spec.schedule), expected: t.expected });
      else cron = t.cron;
    }
    const image = spec.kubernetes?.image ?? props.defaultImage;
    if (image === undefined) {
      issues.push({ path: 'kubernetes.image', message: "is required on Kubernetes when the model has no endpoint with a kubernetes.image (SageMaker's ECR images are AWS-only)", got: 'nothing', expected: "an image following the batch container contract, e.g. 'ghcr.io/acme/churn-batch:1.4.0'" });
    }
    if (spec.compute.kind !== 'instance' || spec.compute.info === undefined) {
      issues.push({ path: 'compute', message: 'must be known at synth time on Kubernetes (it sizes the pods)', got: 'an unresolved instance type', expected: 'a literal instance type or an accelerator intent' });
    }
    if (spec.instanceCount !== 1) {
      issues.push({ path: 'instanceCount', message: 'must be 1 on Kubernetes: the run is one pod (Argo downloads the whole input prefix into it)', got: String(spec.instanceCount), expected: '1' });
    }
    if (issues.length > 0) throw new MlopsValidationError(subjectOf('BatchTransform', scope, id), issues);
    return { cron, image: image!, compute: spec.compute as InstanceCompute };
  }

  private warnNotRendered(input: BatchSpecInput): void {
    const fields: [string, unknown, string][] = [
      ['batch.onNewData', input.onNewData, 'S3 object events through EventBridge; the CronWorkflow runs on the schedule only'],
      ['batch.qualityCheck', input.qualityCheck, 'a SageMaker Model Monitor job against the pipeline\'s baseline'],
      ['batch.failureNotifications', input.failureNotifications, 'EventBridge rules and CloudWatch alarms (Argo exports workflow metrics to Prometheus)'],
      ['batch.maxConcurrentTransforms', input.maxConcurrentTransforms, 'parallel requests of SageMaker to the container (the container decides its own parallelism)'],
      ['batch.invocationTimeoutSeconds', input.invocationTimeoutSeconds, "SageMaker's per-request timeout (the run stops after expectedRunMinutes × 4 at most)"],
      ['batch.invocationMaxRetries', input.invocationMaxRetries, "SageMaker's per-request retries"],
    ];
    for (const [field, value, why] of fields) {
      if (value !== undefined && value !== false) warnNotRendered(this, field, why);
    }
  }

  private renderRole(): void {
    const { namespace } = this.props;
    const role = new RoleV1(this, 'Role', { metadata: { name: this.batchName, namespace, labels: this.labels }, rule: [{ apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }] });
    new RoleBindingV1(this, 'RoleBinding', {
      metadata: { name: this.batchName, namespace, labels: this.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: this.serviceAccount.metadata.name, namespace }],
    });
  }

  /** No ingress; HTTPS out only: the executor's S3 download and upload and its reports to the Kubernetes API. */
  private renderNetworkPolicy(): NetworkPolicyV1 {
    return new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name: this.batchName, namespace: this.props.namespace, labels: this.labels },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': this.props.name, 'app.kubernetes.io/component': COMPONENT } },
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] }],
      },
    });
  }

  private environment(): Record<string, string> {
    const s = this.spec;
    const d = s.dataProcessing;
    const optional = (name: string, value: string | undefined) => (value === undefined ? {} : { [name]: value });
    return {
      HOME: '/tmp',
      BATCH_INPUT_DIR: BATCH_CONTRACT.input,
      BATCH_OUTPUT_DIR: BATCH_CONTRACT.output,
      BATCH_CONTENT_TYPE: s.input.contentType,
      BATCH_SPLIT_TYPE: s.input.splitType,
      BATCH_COMPRESSION_TYPE: s.input.compressionType,
      BATCH_STRATEGY: s.batchStrategy,
      BATCH_MAX_PAYLOAD_MB: String(s.maxPayloadInMB),
      BATCH_ASSEMBLE_WITH: s.output.assembleWith,
      ...optional('BATCH_ACCEPT', s.output.accept),
      ...optional('BATCH_INPUT_FILTER', d?.inputFilter),
      ...optional('BATCH_OUTPUT_FILTER', d?.outputFilter),
      BATCH_JOIN_SOURCE: d?.joinSource ?? 'None',
      ...s.environment,
    };
  }

  private renderTemplate(image: string, size: PodSize): Json {
    const s = this.spec;
    const artifact = (uri: string, suffix: string) => {
      const [, bucket, key] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)!;
      // Read and written with the pod's own cloud identity (IRSA / Pod Identity on the ServiceAccount), not a stored key.
      return { endpoint: 's3.amazonaws.com', bucket, key: `${key.replace(/\/$/, '')}${suffix}`, useSDKCreds: true };
    };
    const scratch = apiScratchVolumes([TMP, ...(size.accelerator ? [size.accelerator.sharedMemory] : [])]);
    return {
      name: 'transform',
      metadata: { labels: this.labels },
      inputs: { artifacts: [{ name: 'input', path: BATCH_CONTRACT.input, s3: artifact(s.input.s3Uri, '') }] },
      outputs: { artifacts: [{ name: 'results', path: BATCH_CONTRACT.output, s3: artifact(s.output.s3Uri, '/{{workflow.name}}'), archive: { none: {} } }] },
      // A run that takes four times longer than expected is stopped (and fails).
      activeDeadlineSeconds: s.expectedRunMinutes * 60 * 4,
      ...(size.accelerator ? { ...(size.accelerator.nodeSelector ? { nodeSelector: size.accelerator.nodeSelector } : {}), tolerations: size.accelerator.tolerations } : {}),
      volumes: [...scratch.volumes, { name: 'output', emptyDir: { sizeLimit: '50Gi' } }],
      podSpecPatch: executorPodSpecPatch('container'),
      container: {
        name: 'main',
        image,
        ...(s.kubernetes?.command ? { command: s.kubernetes.command } : {}),
        ...(s.kubernetes && s.kubernetes.args.length > 0 ? { args: s.kubernetes.args } : {}),
        env: Object.entries(this.environment()).map(([name, value]) => ({ name, value })),
        resources: { requests: size.requests, limits: size.limits },
        securityContext: apiContainerSecurityContext(),
        volumeMounts: [...scratch.volumeMounts, { name: 'output', mountPath: BATCH_CONTRACT.output }],
      },
    };
  }

  private renderCronWorkflow(cron: string, image: string, size: PodSize): Manifest {
    const { crdScope } = this.props;
    return newCronWorkflow(crdScope.scope, 'BatchCronWorkflow', {
      name: this.batchName,
      namespace: crdScope.namespace,
      labels: this.labels,
      cron,
      workflowSpec: {
        entrypoint: 'transform',
        serviceAccountName: this.batchName,
        // The scoring container gets no Kubernetes API token; only Argo's executor containers do.
        automountServiceAccountToken: false,
        executor: { serviceAccountName: this.batchName },
        securityContext: apiPodSecurityContext(UID),
        podGC: { strategy: 'OnPodSuccess' },
        ttlStrategy: { secondsAfterSuccess: 7 * 24 * 3600, secondsAfterFailure: 14 * 24 * 3600 },
        templates: [this.renderTemplate(image, size)],
      },
    });
  }
}

/** The batch spec among the props: everything but the construct's own. */
function specOf(props: BatchTransformProps): BatchSpecInput {
  const own = new Set(['namespace', 'name', 'partOf', 'crdScope', 'defaultImage', 'acceleratorNodeLabel']);
  return Object.fromEntries(Object.entries(props).filter(([k]) => !own.has(k))) as unknown as BatchSpecInput;
}
