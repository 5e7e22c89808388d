/**
 * DriftMonitor on Kubernetes, from the same spec as the AWS DriftMonitor: a CronJob that compares
 * the requests captured from the model's endpoint with the baseline and pushes the result to a
 * Prometheus Pushgateway; a PrometheusRule (in the CRD stack) alerting on feature drift above the
 * threshold, on model quality past its thresholds, and on failed runs; and, with `retraining`, a
 * guarded submission of the model pipeline's Argo WorkflowTemplate.
 *
 * The analysis image is the user's (as the serving image is): cdk-mlops fixes its contract, not its
 * statistics. It reads its inputs from the environment (see {@link DRIFT_JOB_CONTRACT}), pushes
 * `mlops_feature_drift{feature}` and `mlops_model_quality{metric}` to
 * `$PUSHGATEWAY_URL/metrics/job/mlops-drift/platform/<platform>/model/<model>`, and writes 'drift'
 * or 'ok' to `$VERDICT_FILE`. A run that cannot compare exits non-zero: the Job fails and alerts.
 */
import { createHash } from 'crypto';
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { CronJobV1, CronJobV1SpecJobTemplateSpecTemplateSpecContainer, CronJobV1SpecJobTemplateSpecTemplateSpecVolume } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { DEFAULT_PROCESSING_INSTANCE_TYPE, lookupInstanceType } from '../../lib/catalog';
import { MlopsValidationError, ValidationIssue } from '../../lib/errors';
import { DEFAULT_IMAGES, DriftMonitorSpec, driftMonitorSpecSchema, DriftMonitorSpecInput, MODEL_QUALITY_METRICS } from '../../lib/spec';
import type { QuotaReservation } from './platform-namespace';
import { warnNotRendered } from './not-rendered';
import { newServiceAccount, PodSize, podSize, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolumes, TMP, workloadLabels } from './private/pod';
import { alertRule, AlertContext, escapeRegex, prometheusRule, q } from './private/monitoring';
import { parseProps, subjectOf } from './private/validation';

/** The environment the analysis container is given, and what it must do. */
export const DRIFT_JOB_CONTRACT = {
  env: ['MODEL', 'PLATFORM', 'CAPTURE_URI', 'BASELINE_STATISTICS_URI', 'BASELINE_CONSTRAINTS_URI', 'ALARM_FEATURES', 'DRIFT_THRESHOLD', 'MODEL_QUALITY', 'PUSHGATEWAY_URL', 'VERDICT_FILE', 'WINDOW_SECONDS', 'RETRAIN_ON_MODEL_QUALITY'],
  metrics: ['mlops_feature_drift', 'mlops_model_quality', 'mlops_drift_last_run_timestamp_seconds'],
  pushPath: '/metrics/job/mlops-drift/platform/<platform>/model/<model>',
} as const;

const VERDICT_DIR = '/var/run/mlops';
/** Where the gate's busybox and its applet links are. */
const TOOLS_DIR = '/opt/mlops-tools';

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
/** The containers and volumes of the monitor's Job pod, as they are added. */
interface JobPod {
  readonly initContainers: CronJobV1SpecJobTemplateSpecTemplateSpecContainer[];
  readonly containers: CronJobV1SpecJobTemplateSpecTemplateSpecContainer[];
  readonly volumes: CronJobV1SpecJobTemplateSpecTemplateSpecVolume[];
}
const PERIOD_SECONDS = { hourly: 3600, daily: 86400 } as const;

/** The Argo WorkflowTemplate a drift alarm submits, and the image that submits it. */
export interface RetrainingTarget {
  /** Name of the model pipeline's WorkflowTemplate in the namespace (`<platform>-<model>`, lower-cased). */
  readonly workflowTemplateName: string;
  /** An image with kubectl on its PATH (no shell needed). @default DEFAULT_IMAGES.kubectl (registry.k8s.io/kubectl) */
  readonly kubectlImage?: string;
  /** An image whose /bin/busybox is statically linked: the gate's shell. @default DEFAULT_IMAGES.busybox */
  readonly shellImage?: string;
}

export interface DriftMonitorProps extends DriftMonitorSpecInput {
  /** The namespace (PlatformNamespace.name). */
  readonly namespace: string;
  /** Object name prefix (a DNS label), the model's: objects are `<name>-drift`. */
  readonly name: string;
  readonly partOf: string;
  /** The model's name, as the metrics label it. */
  readonly model: string;
  /** The analysis image (the contract: {@link DRIFT_JOB_CONTRACT}). */
  readonly image: string;
  /** Where the model's requests and responses are captured (an S3-compatible URI the endpoint's logger writes to). */
  readonly captureUri: string;
  /** The Prometheus Pushgateway, e.g. 'http://pushgateway.monitoring:9091'. */
  readonly pushgatewayUrl: string;
  /** S3-compatible endpoint of the capture and baseline store (MinIO, Ceph). @default - AWS S3 */
  readonly storageEndpointUrl?: string;
  /** Secret with 'access-key-id' and 'secret-access-key' for that store. @default - the pod's ambient credentials */
  readonly storageCredentialsSecretName?: string;
  /** Required with the spec's `retraining`. @default - no retraining */
  readonly retrainingTarget?: RetrainingTarget;
  /** Where the PrometheusRule goes (the platform's CRD stack) and the namespace's literal name. */
  readonly crdScope: { readonly scope: Construct; readonly namespace: string };
  /** Labels the Prometheus ruleSelector matches (kube-prometheus-stack: `release: <release>`). @default - none */
  readonly ruleLabels?: Record<string, string>;
  /** Where the alerts' runbooks are: runbook_url is '<runbookBaseUrl>/<alert>'. @default - no runbook_url */
  readonly runbookBaseUrl?: string;
}

export class DriftMonitor extends Construct {
  public readonly spec: DriftMonitorSpec;
  public readonly serviceAccount: ServiceAccountV1;
  public readonly resource: CronJobV1;
  public readonly networkPolicy: NetworkPolicyV1;
  public readonly rule: Manifest;
  /** The Role that lets the monitor submit its retraining Workflow (with retraining only). */
  public readonly retrainRole?: RoleV1;
  /** The CronJob's schedule (cron syntax, the controller's time zone: UTC on managed clusters). */
  public readonly schedule: string;
  /** The analysis container's size: the spec's compute.instanceType. */
  public readonly size: PodSize;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const { namespace, name, partOf, model, image, retrainingTarget, crdScope, ruleLabels } = props;
    const spec = parseProps('DriftMonitor', scope, id, driftMonitorSpecSchema, specInputOf(props));
    this.spec = spec;
    this.validate(subjectOf('DriftMonitor', scope, id), props);
    if (spec.compute.instanceCount > 1) {
      Annotations.of(this).addWarning('[cdk-mlops:k8s-drift-instance-count] compute.instanceCount > 1 distributes a SageMaker processing job; the Kubernetes job runs in one pod.');
    }

    // The analysis pod is sized as the processing instance the spec names (3/4 of it, private/pod).
    const info = lookupInstanceType(spec.compute.instanceType);
    if (!info) warnNotRendered(this, 'compute.instanceType', `'${spec.compute.instanceType}' is not a literal type the catalog knows; the analysis pod is sized as ${DEFAULT_PROCESSING_INSTANCE_TYPE}.`);
    this.size = podSize(info ?? lookupInstanceType(DEFAULT_PROCESSING_INSTANCE_TYPE)!);

    const objectName = `${name}-drift`;
    const labels = { ...workloadLabels(objectName, 'drift-monitor', partOf), 'mlops.cdk.io/model': model };
    this.serviceAccount = newServiceAccount(this, namespace, objectName, labels);
    // A minute of the hour derived from the name: the platform's monitors do not all start at :00.
    const minute = parseInt(createHash('sha256').update(objectName).digest('hex').slice(0, 8), 16) % 60;
    this.schedule = spec.schedule === 'hourly' ? `${minute} * * * *` : `${minute} 2 * * *`;
    const period = PERIOD_SECONDS[spec.schedule];

    const scratch = scratchVolumes([TMP, { name: 'work', path: '/work', sizeLimit: `${spec.compute.volumeSizeGiB}Gi` }, { name: 'verdict', path: VERDICT_DIR, sizeLimit: '1Mi' }]);
    const analysis: CronJobV1SpecJobTemplateSpecTemplateSpecContainer = {
      name: 'analyse',
      image,
      env: this.analysisEnvironment(props, period),
      volumeMount: scratch.volumeMount,
      resources: { requests: this.size.requests, limits: this.size.limits },
      securityContext: restrictedContainerSecurityContext(),
    };
    const pod: JobPod = { initContainers: [], containers: [analysis], volumes: [...scratch.volume] };
    if (spec.retraining && retrainingTarget) this.retrainRole = this.addRetrainGate(pod, { namespace, model, objectName, labels, target: retrainingTarget, minIntervalSeconds: spec.retraining.minIntervalHours * 3600 });
    this.resource = this.renderCronJob(namespace, objectName, labels, period, pod);
    this.networkPolicy = this.renderNetworkPolicy(namespace, objectName, labels, props);
    this.rule = new Manifest(crdScope.scope, 'PrometheusRule', {
      manifest: prometheusRule({
        name: objectName, namespace: crdScope.namespace, labels: { ...labels, ...ruleLabels }, group: `${objectName}.rules`,
        rules: alertRules(spec, { model, partOf, namespace: crdScope.namespace, cronJob: objectName, period, runbookBaseUrl: props.runbookBaseUrl }),
      }),
    });
  }

  private validate(subject: ReturnType<typeof subjectOf>, props: DriftMonitorProps): void {
    const spec = this.spec;
    const issues: ValidationIssue[] = [];
    for (const field of ['modelBias', 'modelExplainability'] as const) {
      if (spec[field]) issues.push({ path: field, message: 'is AWS-only: it runs SageMaker Clarify', got: `a ${field} monitor`, expected: 'dataQuality or modelQuality on Kubernetes' });
    }
    if (!spec.dataQuality && !spec.modelQuality && issues.length === 0) {
      issues.push({ path: 'dataQuality', message: 'is required on Kubernetes unless modelQuality is set', got: 'nothing', expected: 'dataQuality or modelQuality' });
    }
    if (spec.dataQuality && !spec.dataQuality.baseline) {
      issues.push({ path: 'dataQuality.baseline', message: 'is required: the job compares captured data with a baseline', got: 'nothing', expected: '{ constraintsUri, statisticsUri }' });
    }
    if (spec.retraining && !props.retrainingTarget) {
      issues.push({ path: 'retrainingTarget', message: 'is required by retraining', got: 'nothing', expected: "the model pipeline's WorkflowTemplate name, e.g. { workflowTemplateName: 'reference-churn' }" });
    }
    if (!/^https?:\/\/[^/\s]+\/?$/.test(props.pushgatewayUrl)) {
      issues.push({ path: 'pushgatewayUrl', message: 'is not a Pushgateway base URL', got: `'${props.pushgatewayUrl}'`, expected: "an http(s) URL with no path, e.g. 'http://pushgateway.monitoring:9091'" });
    }
    if (!/^(s3|gs|az|abfss?):\/\/[^/\s]+(\/\S*)?$/.test(props.captureUri)) {
      issues.push({ path: 'captureUri', message: 'is not an object store URI', got: `'${props.captureUri}'`, expected: "an URI such as 's3://capture/churn/'" });
    }
    // A CronJob's name is at most 52 characters (its Jobs append 11): '<name>-drift' leaves 46.
    if (!/^[a-z0-9]([-a-z0-9]{0,44}[a-z0-9])?$/.test(props.name)) issues.push({ path: 'name', message: 'is not a DNS label short enough for a CronJob name', got: `'${props.name}'`, expected: 'at most 46 lowercase letters, digits and hyphens, starting and ending with a letter or digit' });
    if (issues.length > 0) throw new MlopsValidationError(subject, issues);
  }

  /** The analysis container's environment: {@link DRIFT_JOB_CONTRACT}. */
  private analysisEnvironment(props: DriftMonitorProps, period: number): Env[] {
    const spec = this.spec;
    const dq = spec.dataQuality;
    const env: Env[] = [
      { name: 'HOME', value: '/tmp' },
      { name: 'MODEL', value: props.model },
      { name: 'PLATFORM', value: props.partOf },
      { name: 'CAPTURE_URI', value: props.captureUri },
      { name: 'WINDOW_SECONDS', value: String(period) },
      { name: 'PUSHGATEWAY_URL', value: props.pushgatewayUrl.replace(/\/$/, '') },
      { name: 'VERDICT_FILE', value: `${VERDICT_DIR}/verdict` },
    ];
    if (dq) {
      env.push({ name: 'BASELINE_CONSTRAINTS_URI', value: dq.baseline!.constraintsUri });
      if (dq.baseline!.statisticsUri) env.push({ name: 'BASELINE_STATISTICS_URI', value: dq.baseline!.statisticsUri });
      env.push({ name: 'ALARM_FEATURES', value: dq.alarmFeatures.join(',') }, { name: 'DRIFT_THRESHOLD', value: String(dq.driftThreshold) });
    }
    const mq = spec.modelQuality;
    if (mq) env.push({ name: 'MODEL_QUALITY', value: JSON.stringify({ ...mq, alarms: mq.alarms.map((a) => ({ ...a, direction: MODEL_QUALITY_METRICS[mq.problemType][a.metric] })) }) });
    // The verdict is 'drift' when an alarm feature drifted, or (when this is true) a quality alarm fired.
    if (spec.retraining) env.push({ name: 'RETRAIN_ON_MODEL_QUALITY', value: String(spec.retraining.onModelQuality && !!mq) });
    if (props.storageEndpointUrl) env.push({ name: 'AWS_ENDPOINT_URL_S3', value: props.storageEndpointUrl });
    if (props.storageCredentialsSecretName) {
      env.push({ name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: props.storageCredentialsSecretName, key: 'access-key-id' } } });
      env.push({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: props.storageCredentialsSecretName, key: 'secret-access-key' } } });
    }
    return env;
  }

  /**
   * The retraining gate: the analysis runs first (an init container), then the gate reads its verdict
   * and submits at most one Workflow per interval. kubectl comes from the Kubernetes project's image,
   * which is distroless; the gate's shell is busybox, copied (with its applets linked) from the
   * official busybox image by an init container into a volume the gate runs it from.
   */
  private addRetrainGate(pod: JobPod, o: { namespace: string; model: string; objectName: string; labels: Record<string, string>; target: RetrainingTarget; minIntervalSeconds: number }): RoleV1 {
    pod.initContainers.push(...pod.containers.splice(0), {
      name: 'shell',
      image: o.target.shellImage ?? DEFAULT_IMAGES.busybox,
      command: ['/bin/busybox', 'sh', '-c', `cp /bin/busybox ${TOOLS_DIR}/busybox && ${TOOLS_DIR}/busybox --install -s ${TOOLS_DIR}`],
      volumeMount: [{ name: 'tools', mountPath: TOOLS_DIR }],
      resources: { requests: { cpu: '50m', memory: '16Mi' }, limits: { memory: '32Mi' } },
      securityContext: restrictedContainerSecurityContext(),
    });
    pod.containers.push({
      name: 'retrain-gate',
      image: o.target.kubectlImage ?? DEFAULT_IMAGES.kubectl,
      command: [`${TOOLS_DIR}/busybox`, 'sh', '-c', RETRAIN_GATE],
      env: [
        { name: 'HOME', value: '/tmp' },
        // The image's own directories first (kubectl), then busybox's applets.
        { name: 'PATH', value: `/usr/local/bin:/usr/bin:/bin:${TOOLS_DIR}` },
        { name: 'NAMESPACE', value: o.namespace },
        { name: 'MODEL', value: o.model },
        { name: 'TEMPLATE', value: o.target.workflowTemplateName },
        { name: 'MIN_INTERVAL_SECONDS', value: String(o.minIntervalSeconds) },
        { name: 'VERDICT_FILE', value: `${VERDICT_DIR}/verdict` },
      ],
      volumeMount: [
        { name: TMP.name, mountPath: TMP.path },
        { name: 'tools', mountPath: TOOLS_DIR, readOnly: true },
        { name: 'verdict', mountPath: VERDICT_DIR, readOnly: true },
        { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
      ],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      securityContext: restrictedContainerSecurityContext(),
    });
    pod.volumes.push({ name: 'tools', emptyDir: { sizeLimit: '16Mi' } });
    // The API token is projected into the gate container only: the analysis image never sees it.
    pod.volumes.push({
      name: 'kube-api-access',
      projected: [{
        defaultMode: '0440',
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          { configMap: [{ name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] }] },
          { downwardApi: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      }],
    });
    const role = new RoleV1(this, 'RetrainRole', {
      metadata: { name: `${o.objectName}-retrain`, namespace: o.namespace, labels: o.labels },
      // create: submit the pipeline's Workflow; list: the one-run-per-interval guard. Nothing else.
      rule: [{ apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create', 'list'] }],
    });
    new RoleBindingV1(this, 'RetrainBinding', {
      metadata: { name: `${o.objectName}-retrain`, namespace: o.namespace, labels: o.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: this.serviceAccount.metadata.name, namespace: o.namespace }],
    });
    return role;
  }

  private renderCronJob(namespace: string, objectName: string, labels: Record<string, string>, period: number, pod: JobPod): CronJobV1 {
    return new CronJobV1(this, 'Resource', {
      metadata: { name: objectName, namespace, labels },
      spec: {
        schedule: this.schedule,
        concurrencyPolicy: 'Forbid',
        // A run missed by more than a tenth of the period is skipped, not started late.
        startingDeadlineSeconds: period / 10,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: this.spec.compute.maxRuntimeSeconds,
            // A finished Job (and its failed status, which alerts) is removed after one period.
            ttlSecondsAfterFinished: String(period),
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: this.serviceAccount.metadata.name,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                restartPolicy: 'Never',
                securityContext: restrictedPodSecurityContext(1000),
                initContainer: pod.initContainers,
                container: pod.containers,
                volume: pod.volumes,
              },
            },
          },
        },
      },
    });
  }

  /** Egress to the capture and baseline store, the Kubernetes API (443 or 6443) when retraining, the Pushgateway. */
  private renderNetworkPolicy(namespace: string, objectName: string, labels: Record<string, string>, props: DriftMonitorProps): NetworkPolicyV1 {
    const ports = [
      { port: '443', protocol: 'TCP' },
      ...(this.retrainRole ? [{ port: '6443', protocol: 'TCP' }] : []),
      { port: urlPort(props.pushgatewayUrl), protocol: 'TCP' },
      ...(props.storageEndpointUrl ? [{ port: urlPort(props.storageEndpointUrl), protocol: 'TCP' }] : []),
    ];
    return new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name: objectName, namespace, labels },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': objectName, 'app.kubernetes.io/component': 'drift-monitor' } },
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ ports: ports.filter((p, i) => ports.findIndex((o) => o.port === p.port) === i) }],
      },
    });
  }

  /** What the monitor's Job may use at most (one pod: Forbid never runs two). */
  public get reservation(): QuotaReservation {
    return { pods: 1, cpuMillis: this.size.cpuMillis + (this.retrainRole ? 50 : 0), memoryMiB: this.size.memoryMiB };
  }
}

/** The Kubernetes-only props of a DriftMonitor: the rest is the spec. */
const K8S_PROPS: readonly string[] = ['namespace', 'name', 'partOf', 'model', 'image', 'captureUri', 'pushgatewayUrl', 'storageEndpointUrl', 'storageCredentialsSecretName', 'retrainingTarget', 'crdScope', 'ruleLabels', 'runbookBaseUrl'] satisfies (keyof DriftMonitorProps)[];

function specInputOf(props: DriftMonitorProps): DriftMonitorSpecInput {
  return Object.fromEntries(Object.entries(props).filter(([k]) => !K8S_PROPS.includes(k)));
}

function urlPort(url: string): string {
  const m = /^(https?):\/\/[^/:]+(?::(\d+))?/.exec(url);
  if (!m) return '443';
  return m[2] ?? (m[1] === 'http' ? '80' : '443');
}

interface RuleContext { model: string; partOf: string; namespace: string; cronJob: string; period: number; runbookBaseUrl?: string }

/** The alerting rules: feature drift, model quality, failed and missing runs (private/monitoring's conventions). */
export function alertRules(spec: DriftMonitorSpec, c: RuleContext): Record<string, unknown>[] {
  const sel = `platform=${q(c.partOf)}, model=${q(c.model)}`;
  const ctx: AlertContext = { platform: c.partOf, model: c.model, runbookBaseUrl: c.runbookBaseUrl };
  const rules: Record<string, unknown>[] = [];
  const dq = spec.dataQuality;
  if (dq && dq.alarmFeatures.length > 0) {
    rules.push(alertRule(ctx, {
      alert: 'MlopsFeatureDrift', severity: 'warning',
      expr: `max by (platform, model, feature) (mlops_feature_drift{${sel}, feature=~${q(dq.alarmFeatures.map(escapeRegex).join('|'))}}) > ${dq.driftThreshold}`,
      // The result stays in the Pushgateway until the next run: held 10 minutes, so a scrape glitch never pages.
      for: '10m',
      summary: `Feature drift on model ${c.model}`, description: `Feature {{ $labels.feature }} of model ${c.model} drifted {{ $value }} from its baseline (threshold ${dq.driftThreshold}).`,
    }));
  }
  const mq = spec.modelQuality;
  for (const a of mq?.alarms ?? []) {
    const direction = MODEL_QUALITY_METRICS[mq!.problemType][a.metric];
    const op = direction === 'lower' ? '>' : '<';
    rules.push(alertRule(ctx, {
      alert: 'MlopsModelQuality', severity: 'warning',
      expr: `max by (platform, model, metric) (mlops_model_quality{${sel}, metric=${q(a.metric)}}) ${op} ${a.threshold}`,
      for: '10m',
      labels: { metric: a.metric },
      summary: `Model quality of ${c.model}: ${a.metric} ${op} ${a.threshold}`, description: `${a.metric} of model ${c.model} is {{ $value }} (alarm ${op} ${a.threshold}).`,
    }));
  }
  rules.push(alertRule(ctx, {
    alert: 'MlopsDriftMonitorRunFailed', severity: 'warning',
    // kube_job_failed{condition="true"}: the Job gave up (its Failed condition), not a pod that failed
    // and was retried (kube_job_status_failed counts those). Jobs of a CronJob are named
    // <cronjob>-<minutes since the epoch>; a failed Job is kept for one period (ttlSecondsAfterFinished).
    expr: `max by (namespace, job_name) (kube_job_failed{namespace=${q(c.namespace)}, job_name=~${q(`${escapeRegex(c.cronJob)}-[0-9]+`)}, condition="true"}) == 1`,
    for: '5m',
    summary: `Drift monitor run of ${c.model} failed`, description: `Job {{ $labels.job_name }} in ${c.namespace} failed: no drift result for this period.`,
  }));
  rules.push(alertRule(ctx, {
    alert: 'MlopsDriftMonitorStale', severity: 'warning',
    expr: `time() - max by (platform, model) (mlops_drift_last_run_timestamp_seconds{${sel}}) > ${c.period * 2}`,
    for: '15m',
    summary: `Drift monitor of ${c.model} has not reported for two periods`, description: `The last drift result of ${c.model} is {{ $value | humanizeDuration }} old.`,
  }));
  rules.push(alertRule(ctx, {
    alert: 'MlopsDriftMonitorAbsent', severity: 'warning',
    // No result at all (never reported, or the Pushgateway lost it): the staleness rule has no series to
    // compare. Held for two periods, so a monitor just deployed has its first run before it alerts.
    expr: `absent(mlops_drift_last_run_timestamp_seconds{${sel}})`,
    for: `${c.period * 2}s`,
    summary: `Drift monitor of ${c.model} has never reported`, description: `No drift result of ${c.model} has reached Prometheus for two periods: check the CronJob and the Pushgateway.`,
  }));
  return rules;
}

/**
 * The retraining gate: submits the pipeline's WorkflowTemplate when the analysis found drift, unless
 * a Workflow it submitted started less than MIN_INTERVAL_SECONDS ago (ISO-8601 UTC timestamps
 * compare as strings). concurrencyPolicy Forbid keeps two gates from racing.
 */
export const RETRAIN_GATE = [
  'set -eu',
  'verdict=$(cat "$VERDICT_FILE" 2>/dev/null || echo missing)',
  'if [ "$verdict" != "drift" ]; then echo "verdict: $verdict; no retraining"; exit 0; fi',
  'since=$(date -u -d "@$(( $(date +%s) - MIN_INTERVAL_SECONDS ))" +%Y-%m-%dT%H:%M:%SZ)',
  'for ts in $(kubectl get workflows.argoproj.io -n "$NAMESPACE" -l "mlops.cdk.io/retrain-of=$MODEL" -o jsonpath="{.items[*].metadata.creationTimestamp}"); do',
  '  if expr "$ts" \\> "$since" >/dev/null; then echo "retraining of $MODEL already started at $ts (at most one per $MIN_INTERVAL_SECONDS s)"; exit 0; fi',
  'done',
  'cat <<EOF | kubectl create -n "$NAMESPACE" -f -',
  'apiVersion: argoproj.io/v1alpha1',
  'kind: Workflow',
  'metadata:',
  '  generateName: $TEMPLATE-retrain-',
  '  labels:',
  '    mlops.cdk.io/retrain-of: $MODEL',
  'spec:',
  '  workflowTemplateRef:',
  '    name: $TEMPLATE',
  'EOF',
].join('\n');
