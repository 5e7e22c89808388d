/**
 * Observability on Kubernetes: request capture for drift monitors, scraping (PodMonitors and
 * ServiceMonitors), alerts from the endpoint spec's `alarms` (PrometheusRules) and Grafana dashboards
 * (ConfigMaps for Grafana's sidecar). Objects of the Prometheus Operator go in the CRD scope.
 *
 * Alarms → PrometheusRules. A CloudWatch alarm fires when `datapointsToAlarm` of the last
 * `evaluationPeriods` periods of `periodSeconds` breach. Each rule evaluates its condition over a
 * window of one period (rate, increase, avg_over_time over `periodSeconds`); `for:` is
 * datapointsToAlarm × periodSeconds (that many periods in breach before it fires: Prometheus needs
 * them in a row, CloudWatch does not, so the rule never fires on fewer breaching periods), and
 * `keep_firing_for:` is (evaluationPeriods − datapointsToAlarm) × periodSeconds, the periods
 * CloudWatch stays in ALARM after the condition clears.
 */
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import YAML from 'yaml';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { MlopsValidationError } from '../../lib/errors';
import { DEFAULT_PROMETHEUS, EndpointSpec, PrometheusAccess, RequestMetrics } from '../../lib/spec';
import type { CaptureTarget, EndpointMonitoringTarget } from './model-endpoint';
import type { QuotaReservation } from './platform-namespace';
import { alertRule, AlertContext, dashboardUid, duration, escapeRegex, grafanaDashboard, PanelInput, podMonitor, prometheusRule, q, serviceMonitor } from './private/monitoring';
import { newServiceAccount, prometheusPeer, restrictedPodSpec, selectorLabels, TMP, workloadLabels } from './private/pod';
import { escapeTerraformLiterals, subjectOf } from './private/validation';

/** Where the Prometheus Operator objects go (the platform's CRD stack) and the namespace's literal name. */
export interface CrdScope { readonly scope: Construct; readonly namespace: string }

/** The platform's monitoring conventions (kubernetes.observability). */
export interface MonitoringConventions {
  /** Labels the Prometheus podMonitorSelector and serviceMonitorSelector match. @default - none */
  readonly monitorLabels?: Record<string, string>;
  /** Labels the Prometheus ruleSelector matches. @default - none */
  readonly ruleLabels?: Record<string, string>;
  /** Labels Grafana's dashboard sidecar watches ConfigMaps for. @default { grafana_dashboard: '1' } */
  readonly dashboardLabels?: Record<string, string>;
  /** runbook_url is '<runbookBaseUrl>/<alert>'. @default - none */
  readonly runbookBaseUrl?: string;
  /** The labels DCGM exporter's metrics carry the pod's namespace and name in. @default { namespace: 'namespace', pod: 'pod' } */
  readonly gpuMetricLabels?: { readonly namespace: string; readonly pod: string };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const DEFAULT_DASHBOARD_LABELS = { grafana_dashboard: '1' };

/** A Grafana dashboard in a ConfigMap the sidecar loads (the JSON under `<name>.json`). */
function dashboardConfigMap(scope: Construct, o: { name: string; namespace: string; labels: Record<string, string>; conventions: MonitoringConventions; dashboard: Record<string, unknown> }): ConfigMapV1 {
  return new ConfigMapV1(scope, 'Dashboard', {
    metadata: { name: `${o.name}-dashboard`, namespace: o.namespace, labels: { ...o.labels, ...(o.conventions.dashboardLabels ?? DEFAULT_DASHBOARD_LABELS) } },
    data: { [`${o.name}.json`]: JSON.stringify(o.dashboard) },
  });
}

// --- Request capture -------------------------------------------------------------------------

/** The receiver's ports: KServe's logger posts here; Vector's API (health) and its own metrics. */
const CAPTURE_PORT = 8080;
const CAPTURE_API_PORT = 8686;
const CAPTURE_METRICS_PORT = 9598;
const CONFIG_DIR = '/etc/vector';

export interface RequestCaptureProps {
  readonly namespace: string;
  /** The namespace's literal name, in the URL the logger posts to (KServe's is in the CRD stack). @default namespace */
  readonly namespaceName?: string;
  /** The endpoint's name: the receiver is '<name>-capture'. */
  readonly name: string;
  readonly partOf: string;
  /** Where the capture goes: an 's3://bucket/prefix/' or 'gs://bucket/prefix/' URI (the drift monitor's CAPTURE_URI). */
  readonly captureUri: string;
  /** Share of requests kept, 1-100 (dataCapture.samplingPercent). */
  readonly samplingPercent: number;
  /** The receiver image (Vector). */
  readonly image: string;
  /** KServe's agent image, the logger sidecar of plain Deployments. */
  readonly agentImage: string;
  /** The endpoint pods that send (their selector labels). */
  readonly clientSelector: Record<string, string>;
  /** S3-compatible endpoint of the store (MinIO, Ceph). @default - AWS S3 */
  readonly storageEndpointUrl?: string;
  /** Secret with 'access-key-id' and 'secret-access-key' for the store. @default - the pod's ambient credentials */
  readonly storageCredentialsSecretName?: string;
  readonly prometheus?: PrometheusAccess;
}

/**
 * The receiver of an endpoint's request logger: Vector receives KServe's CloudEvents (binary mode:
 * the payload as the body, `ce-*` headers), keeps `samplingPercent` of the request ids (a request and
 * its response share the id, so pairs are kept or dropped together: KServe's logger cannot sample),
 * and writes JSON Lines, gzip-compressed, under '<captureUri><yyyy>/<mm>/<dd>/<hh>/', one object a
 * line: { id, type ('org.kubeflow.serving.inference.request' or '.response'), time, source,
 * inferenceService, contentType, body (the payload as text) }. KServe's agent logs asynchronously: a
 * receiver that is down loses captures, never requests.
 */
export class RequestCapture extends Construct implements CaptureTarget {
  public readonly serviceAccount: ServiceAccountV1;
  public readonly config: ConfigMapV1;
  public readonly resource: DeploymentV1;
  public readonly service: ServiceV1;
  public readonly networkPolicy: NetworkPolicyV1;
  public readonly url: string;
  public readonly selector: Record<string, string>;
  public readonly port = CAPTURE_PORT;
  public readonly agentImage: string;
  /** The Vector configuration (vector.yaml). */
  public readonly vectorConfig: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: RequestCaptureProps) {
    super(scope, id);
    escapeTerraformLiterals(this);
    const store = RequestCapture.parseUri(props.captureUri);
    if (!store || !Number.isInteger(props.samplingPercent) || props.samplingPercent < 1 || props.samplingPercent > 100) {
      const issues = [];
      if (!store) issues.push({ path: 'captureUri', message: 'is not a store the capture receiver writes to', got: `'${props.captureUri}'`, expected: "an 's3://bucket/prefix/' or 'gs://bucket/prefix/' URI" });
      else issues.push({ path: 'samplingPercent', message: 'is not a percentage', got: String(props.samplingPercent), expected: 'a whole number from 1 to 100' });
      throw new MlopsValidationError(subjectOf('RequestCapture', scope, id), issues);
    }
    const name = `${props.name}-capture`;
    const labels = workloadLabels(name, 'request-capture', props.partOf);
    this.selector = selectorLabels(name, 'request-capture');
    this.agentImage = props.agentImage;
    this.url = `http://${name}.${props.namespaceName ?? props.namespace}.svc.cluster.local:${CAPTURE_PORT}`;
    this.vectorConfig = vectorConfig(store, props);
    this.serviceAccount = newServiceAccount(this, props.namespace, name, labels);
    const configYaml = YAML.stringify(this.vectorConfig);
    this.config = new ConfigMapV1(this, 'Config', { metadata: { name, namespace: props.namespace, labels }, data: { 'vector.yaml': configYaml } });
    this.resource = this.renderDeployment(props, name, labels, configYaml);
    this.service = new ServiceV1(this, 'Service', {
      metadata: { name, namespace: props.namespace, labels },
      spec: { type: 'ClusterIP', selector: this.selector, port: [{ name: 'http', port: CAPTURE_PORT, targetPort: 'http', protocol: 'TCP' }, { name: 'metrics', port: CAPTURE_METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }] },
    });
    this.networkPolicy = new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        podSelector: { matchLabels: this.selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: props.clientSelector } }], ports: [{ port: String(CAPTURE_PORT), protocol: 'TCP' }] },
          { from: [prometheusPeer(props.prometheus ?? DEFAULT_PROMETHEUS)], ports: [{ port: String(CAPTURE_METRICS_PORT), protocol: 'TCP' }] },
        ],
        // The object store (HTTPS, or the S3-compatible endpoint's port); DNS is the namespace's.
        egress: [{ ports: [{ port: '443', protocol: 'TCP' }, ...(props.storageEndpointUrl && urlPort(props.storageEndpointUrl) !== '443' ? [{ port: urlPort(props.storageEndpointUrl), protocol: 'TCP' }] : [])] }],
      },
    });
  }

  /** The bucket and key prefix of a capture URI, or undefined when the receiver cannot write there. */
  public static parseUri(uri: string): { kind: 's3' | 'gs'; bucket: string; prefix: string } | undefined {
    const m = /^(s3|gs):\/\/([^/\s]+)\/?(\S*)$/.exec(uri);
    if (!m) return undefined;
    const prefix = m[3] === '' || m[3].endsWith('/') ? m[3] : `${m[3]}/`;
    return { kind: m[1] as 's3' | 'gs', bucket: m[2], prefix };
  }

  private renderDeployment(props: RequestCaptureProps, name: string, labels: Record<string, string>, configYaml: string): DeploymentV1 {
    const env: { name: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[] = [];
    if (props.storageCredentialsSecretName) {
      env.push({ name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: props.storageCredentialsSecretName, key: 'access-key-id' } } });
      env.push({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: props.storageCredentialsSecretName, key: 'secret-access-key' } } });
    }
    const probe = { httpGet: { path: '/health', port: 'api' }, periodSeconds: 10 };
    const spec = restrictedPodSpec({
      serviceAccountName: this.serviceAccount.metadata.name,
      uid: 1000,
      scratch: [TMP, { name: 'data', path: '/var/lib/vector', sizeLimit: '1Gi' }],
      volumes: [{ name: 'config', configMap: { name: this.config.metadata.name } }],
      container: {
        name: 'vector',
        image: props.image,
        args: ['--config', `${CONFIG_DIR}/vector.yaml`],
        env,
        port: [
          { name: 'http', containerPort: CAPTURE_PORT, protocol: 'TCP' },
          { name: 'api', containerPort: CAPTURE_API_PORT, protocol: 'TCP' },
          { name: 'metrics', containerPort: CAPTURE_METRICS_PORT, protocol: 'TCP' },
        ],
        volumeMount: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
        resources: { requests: { cpu: `${CAPTURE_RESERVATION.cpuMillis}m`, memory: `${CAPTURE_RESERVATION.memoryMiB}Mi` }, limits: { memory: `${CAPTURE_RESERVATION.memoryMiB}Mi` } },
        readinessProbe: probe,
        livenessProbe: { ...probe, periodSeconds: 20, failureThreshold: 3 },
      },
    });
    return new DeploymentV1(this, 'Resource', {
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        replicas: '1',
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: '1' } },
        // A changed configuration rolls the receiver.
        template: { metadata: { labels, annotations: { 'mlops.cdk.io/config-sha256': sha256(configYaml) } }, spec },
      },
      waitForRollout: true,
    });
  }

  /** What the receiver may use at most (one pod and its surge). */
  public get reservation(): QuotaReservation {
    return { pods: 2, cpuMillis: 2 * CAPTURE_RESERVATION.cpuMillis, memoryMiB: 2 * CAPTURE_RESERVATION.memoryMiB };
  }
}

const CAPTURE_RESERVATION = { cpuMillis: 200, memoryMiB: 256 };

/** The CloudEvents headers KServe's logger sets (pkg/logger/worker.go), kept on each event. */
export const CAPTURE_HEADERS = ['ce-id', 'ce-type', 'ce-source', 'ce-time', 'ce-inferenceservicename', 'ce-namespace', 'ce-component', 'ce-endpoint', 'content-type'] as const;

/** Vector's configuration: http_server → (filter on a hash of the request id) → remap → object store; its own metrics for Prometheus. */
function vectorConfig(store: { kind: 's3' | 'gs'; bucket: string; prefix: string }, props: RequestCaptureProps): Record<string, unknown> {
  const sampled = props.samplingPercent < 100;
  const sink = {
    inputs: ['record'],
    bucket: store.bucket,
    key_prefix: `${store.prefix}%Y/%m/%d/%H/`,
    compression: 'gzip',
    encoding: { codec: 'json' },
    framing: { method: 'newline_delimited' },
    batch: { timeout_secs: 60, max_bytes: 10_000_000 },
  };
  return {
    data_dir: '/var/lib/vector',
    api: { enabled: true, address: `0.0.0.0:${CAPTURE_API_PORT}` },
    sources: {
      kserve: { type: 'http_server', address: `0.0.0.0:${CAPTURE_PORT}`, method: 'POST', decoding: { codec: 'bytes' }, headers: [...CAPTURE_HEADERS] },
      vector: { type: 'internal_metrics' },
    },
    transforms: {
      ...(sampled ? {
        sample: {
          type: 'filter',
          inputs: ['kserve'],
          // The first 28 bits of the id's MD5, modulo 100: the same id (a request and its response) always gets the same verdict.
          // VRL has no `%` operator (`%` starts a metadata path: vrl 0.23.0, Vector 0.46.1's, src/parser/ast.rs Opcode),
          // so the remainder is `mod`, infallible with a literal non-zero modulus (src/stdlib/mod_func.rs); `slice` and
          // `parse_int` with a base are fallible, hence `!`; `md5` is infallible (src/stdlib/slice.rs, parse_int.rs, md5.rs).
          condition: { type: 'vrl', source: `mod(parse_int!(slice!(md5(string!(."ce-id")), 0, 7), 16), 100) < ${props.samplingPercent}` },
        },
      } : {}),
      record: {
        type: 'remap',
        inputs: [sampled ? 'sample' : 'kserve'],
        source: '. = { "id": ."ce-id", "type": ."ce-type", "time": ."ce-time", "source": ."ce-source", "inferenceService": ."ce-inferenceservicename", "contentType": ."content-type", "body": .message }',
      },
    },
    sinks: {
      capture: store.kind === 's3'
        ? { type: 'aws_s3', ...sink, ...(props.storageEndpointUrl ? { endpoint: props.storageEndpointUrl, force_path_style: true } : {}) }
        : { type: 'gcp_cloud_storage', ...sink },
      metrics: { type: 'prometheus_exporter', inputs: ['vector'], address: `0.0.0.0:${CAPTURE_METRICS_PORT}` },
    },
  };
}

function urlPort(url: string): string {
  const m = /^(https?):\/\/[^/:]+(?::(\d+))?/.exec(url);
  if (!m) return '443';
  return m[2] ?? (m[1] === 'http' ? '80' : '443');
}

// --- Endpoints -------------------------------------------------------------------------------

export interface EndpointObservabilityProps {
  /** ModelEndpoint.monitoring. */
  readonly target: EndpointMonitoringTarget;
  /** The endpoint's spec (ModelEndpoint.spec): its alarms. */
  readonly spec: EndpointSpec;
  /** What the serving container exposes (kubernetes.requestMetrics). */
  readonly requestMetrics: RequestMetrics;
  readonly partOf: string;
  /** The model's name, as the alerts label it. */
  readonly model: string;
  readonly crdScope: CrdScope;
  readonly conventions?: MonitoringConventions;
}

/**
 * An endpoint's PodMonitor, its PrometheusRule (the spec's alarms: p99 latency, 5XX errors, 4XX rate,
 * GPU and GPU memory utilization, and scraping that stopped) and its Grafana dashboard.
 */
export class EndpointObservability extends Construct {
  public readonly podMonitor: Manifest;
  public readonly rule: Manifest;
  public readonly dashboard: ConfigMapV1;

  constructor(scope: Construct, id: string, props: EndpointObservabilityProps) {
    super(scope, id);
    escapeTerraformLiterals(this);
    const { target, crdScope } = props;
    const conventions = props.conventions ?? {};
    const name = `${target.name}-endpoint`;
    const labels = { ...workloadLabels(target.name, 'model-endpoint', props.partOf), 'mlops.cdk.io/model': props.model };
    this.podMonitor = new Manifest(new Construct(crdScope.scope, `${id}PodMonitor`), 'Resource', {
      manifest: podMonitor({ name, namespace: crdScope.namespace, labels: { ...labels, ...conventions.monitorLabels }, selector: target.selector, port: target.metricsPortName }),
    });
    this.rule = new Manifest(new Construct(crdScope.scope, `${id}Rule`), 'Resource', {
      manifest: prometheusRule({ name, namespace: crdScope.namespace, labels: { ...labels, ...conventions.ruleLabels }, group: `${name}.rules`, rules: endpointAlertRules(props) }),
    });
    this.dashboard = dashboardConfigMap(this, { name, namespace: target.namespace, labels, conventions, dashboard: endpointDashboard(props) });
  }
}

/** The PromQL selectors of an endpoint's request series and of its pods' GPUs (the namespace's literal name). */
function endpointSelectors(props: EndpointObservabilityProps) {
  const t = props.target;
  const ns = props.crdScope.namespace;
  const gpu = props.conventions?.gpuMetricLabels ?? { namespace: 'namespace', pod: 'pod' };
  return {
    ns,
    pods: `namespace=${q(ns)}, pod=~${q(t.podPattern)}`,
    gpus: `${gpu.namespace}=${q(ns)}, ${gpu.pod}=~${q(t.podPattern)}`,
  };
}

/** The spec's alarms as alerting rules (see the file's comment for the `for:` mapping). */
export function endpointAlertRules(props: EndpointObservabilityProps): Record<string, unknown>[] {
  const a = props.spec.alarms;
  const m = props.requestMetrics;
  const c: AlertContext = { platform: props.partOf, model: props.model, runbookBaseUrl: props.conventions?.runbookBaseUrl };
  const sel = endpointSelectors(props);
  const w = duration(a.periodSeconds);
  const timing = {
    for: duration(a.datapointsToAlarm * a.periodSeconds),
    ...(a.evaluationPeriods > a.datapointsToAlarm ? { keepFiringFor: duration((a.evaluationPeriods - a.datapointsToAlarm) * a.periodSeconds) } : {}),
  };
  const who = `endpoint ${props.target.name} (model ${props.model})`;
  const code = (re: string) => `${m.codeLabel}=~${q(re)}`;
  const rules = [
    alertRule(c, {
      alert: 'MlopsEndpointLatencyP99', severity: 'warning', ...timing,
      expr: `histogram_quantile(0.99, sum by (le) (rate(${m.durationSeconds}_bucket{${sel.pods}}[${w}]))) > ${a.latencyP99Ms / 1000}`,
      summary: `p99 latency of ${who} above ${a.latencyP99Ms} ms`,
      description: `The 99th percentile of request duration is {{ $value | humanizeDuration }} over ${w} (alarm above ${a.latencyP99Ms} ms).`,
    }),
    alertRule(c, {
      alert: 'MlopsEndpoint5xxErrors', severity: 'critical', ...timing,
      expr: `sum(increase(${m.requestsTotal}{${sel.pods}, ${code('5..')}}[${w}])) >= ${a.invocation5xxErrors}`,
      summary: `${who} answers with 5XX errors`,
      description: `{{ $value }} requests failed with a 5XX status in ${w} (alarm at ${a.invocation5xxErrors}). Check the model container's logs and restarts.`,
    }),
    alertRule(c, {
      alert: 'MlopsEndpoint4xxRate', severity: 'warning', ...timing,
      expr: `100 * sum(rate(${m.requestsTotal}{${sel.pods}, ${code('4..')}}[${w}])) / sum(rate(${m.requestsTotal}{${sel.pods}}[${w}])) > ${a.rate4xxPercent}`,
      summary: `${who} refuses more than ${a.rate4xxPercent} % of requests with 4XX`,
      description: `{{ $value | humanize }} % of requests got a 4XX status over ${w}: clients send what the model does not accept.`,
    }),
    alertRule(c, {
      alert: 'MlopsEndpointMetricsAbsent', severity: 'warning', for: '10m',
      // No pod of the endpoint is scraped: every other rule of the endpoint is blind.
      expr: `absent(up{${sel.pods}} == 1)`,
      summary: `${who} is not scraped`,
      description: `No pod of ${who} has been scraped for 10 minutes: its other alerts cannot fire. Check its pods, its PodMonitor and its NetworkPolicy.`,
    }),
  ];
  if (props.target.gpus > 0) {
    const used = `avg_over_time(DCGM_FI_DEV_FB_USED{${sel.gpus}}[${w}])`;
    rules.push(
      alertRule(c, {
        alert: 'MlopsEndpointGpuUtilization', severity: 'warning', ...timing,
        expr: `avg(avg_over_time(DCGM_FI_DEV_GPU_UTIL{${sel.gpus}}[${w}])) > ${a.gpuUtilizationPercent}`,
        summary: `GPUs of ${who} above ${a.gpuUtilizationPercent} % utilization`,
        description: `The endpoint's GPUs average {{ $value | humanize }} % utilization over ${w} (DCGM exporter).`,
      }),
      alertRule(c, {
        alert: 'MlopsEndpointGpuMemory', severity: 'warning', ...timing,
        expr: `100 * avg(${used} / (${used} + avg_over_time(DCGM_FI_DEV_FB_FREE{${sel.gpus}}[${w}]))) > ${a.gpuMemoryUtilizationPercent}`,
        summary: `GPU memory of ${who} above ${a.gpuMemoryUtilizationPercent} %`,
        description: `The endpoint's GPUs use {{ $value | humanize }} % of their frame buffer over ${w} (DCGM exporter).`,
      }),
    );
  }
  return rules;
}

function endpointDashboard(props: EndpointObservabilityProps): Record<string, unknown> {
  const t = props.target;
  const m = props.requestMetrics;
  const sel = endpointSelectors(props);
  const w = '$__rate_interval';
  const deployment = `namespace=${q(sel.ns)}, deployment=${q(t.deploymentName)}`;
  const rows: { title: string; panels: PanelInput[] }[] = [
    { title: 'Traffic', panels: [
      { title: 'Requests per second by status', unit: 'reqps', targets: [{ expr: `sum by (${m.codeLabel}) (rate(${m.requestsTotal}{${sel.pods}}[${w}]))`, legend: `{{${m.codeLabel}}}` }] },
      { title: 'Requests per second by pod', unit: 'reqps', targets: [{ expr: `sum by (pod) (rate(${m.requestsTotal}{${sel.pods}}[${w}]))`, legend: '{{pod}}' }] },
    ] },
    { title: 'Latency', panels: [
      { title: 'Request duration', unit: 's', targets: [0.5, 0.9, 0.99].map((p) => ({ expr: `histogram_quantile(${p}, sum by (le) (rate(${m.durationSeconds}_bucket{${sel.pods}}[${w}])))`, legend: `p${Math.round(p * 100)}` })) },
      { title: 'p99 alarm threshold', type: 'stat', unit: 's', targets: [{ expr: `vector(${props.spec.alarms.latencyP99Ms / 1000})`, legend: 'threshold' }] },
    ] },
    { title: 'Errors', panels: [
      { title: '5XX per second', unit: 'reqps', targets: [{ expr: `sum(rate(${m.requestsTotal}{${sel.pods}, ${m.codeLabel}=~"5.."}[${w}]))`, legend: '5XX' }] },
      { title: '4XX share of requests', unit: 'percent', targets: [{ expr: `100 * sum(rate(${m.requestsTotal}{${sel.pods}, ${m.codeLabel}=~"4.."}[${w}])) / sum(rate(${m.requestsTotal}{${sel.pods}}[${w}]))`, legend: '4XX %' }] },
    ] },
    { title: 'Replicas', panels: [
      { title: 'Replicas', targets: [
        { expr: `kube_deployment_spec_replicas{${deployment}}`, legend: 'desired' },
        { expr: `kube_deployment_status_replicas_available{${deployment}}`, legend: 'available' },
        ...(t.autoscalerName ? [{ expr: `kube_horizontalpodautoscaler_status_desired_replicas{namespace=${q(sel.ns)}, horizontalpodautoscaler=${q(t.autoscalerName)}}`, legend: 'autoscaler' }] : []),
      ] },
      { title: 'Container restarts', targets: [{ expr: `sum by (pod) (increase(kube_pod_container_status_restarts_total{${sel.pods}}[1h]))`, legend: '{{pod}}' }] },
    ] },
  ];
  if (t.gpus > 0) {
    rows.push({ title: 'GPU', panels: [
      { title: 'GPU utilization', unit: 'percent', targets: [{ expr: `avg by (${props.conventions?.gpuMetricLabels?.pod ?? 'pod'}) (DCGM_FI_DEV_GPU_UTIL{${sel.gpus}})`, legend: 'gpu' }] },
      { title: 'GPU memory used', unit: 'percent', targets: [{ expr: `100 * avg(DCGM_FI_DEV_FB_USED{${sel.gpus}} / (DCGM_FI_DEV_FB_USED{${sel.gpus}} + DCGM_FI_DEV_FB_FREE{${sel.gpus}}))`, legend: 'memory' }] },
    ] });
  }
  return grafanaDashboard({ uid: dashboardUid(`mlops-${t.name}-endpoint`, sha256), title: `${props.partOf} / ${props.model} endpoint`, tags: ['cdk-mlops', props.partOf, 'endpoint'], rows });
}

// --- Registry, feature servers ---------------------------------------------------------------

export interface WorkloadMonitorProps {
  readonly name: string;
  readonly partOf: string;
  /** The Service's labels (a ServiceMonitor selects Services). */
  readonly serviceLabels: Record<string, string>;
  /** The Service port serving /metrics, by name. */
  readonly port: string;
  readonly crdScope: CrdScope;
  readonly conventions?: MonitoringConventions;
}

/** A ServiceMonitor for a platform workload's Service (MLflow, a Feast feature server). */
export class WorkloadMonitor extends Construct {
  public readonly resource: Manifest;

  constructor(scope: Construct, id: string, props: WorkloadMonitorProps) {
    super(scope, id);
    this.resource = new Manifest(props.crdScope.scope, id, {
      manifest: serviceMonitor({
        name: props.name, namespace: props.crdScope.namespace,
        labels: { ...props.serviceLabels, ...props.conventions?.monitorLabels },
        selector: props.serviceLabels, port: props.port,
      }),
    });
  }
}

// --- Pipelines and drift monitors ------------------------------------------------------------

export interface PipelineObservabilityProps {
  /** The namespace of the dashboard's ConfigMap (PlatformNamespace.name); the queries use crdScope.namespace, its literal name. */
  readonly namespace: string;
  /** The model's name. */
  readonly model: string;
  readonly partOf: string;
  /** The WorkflowTemplate's name (MlPipeline.pipelineName). */
  readonly workflowTemplateName: string;
  /** The CronWorkflow's name, when the pipeline is scheduled. */
  readonly cronWorkflowName?: string;
  readonly crdScope: CrdScope;
  readonly conventions?: MonitoringConventions;
}

/**
 * A pipeline's dashboard (runs by phase, durations, failures) and an alert on failed runs, from the
 * Argo Workflows controller's metrics (≥ 3.6): argo_workflows_workflowtemplate_triggered_total
 * {name, namespace, phase}, argo_workflows_workflowtemplate_runtime (a histogram of seconds,
 * workflows run from a workflowTemplateRef) and argo_workflows_cronworkflows_triggered_total.
 */
export class PipelineObservability extends Construct {
  public readonly rule: Manifest;
  public readonly dashboard: ConfigMapV1;

  constructor(scope: Construct, id: string, props: PipelineObservabilityProps) {
    super(scope, id);
    escapeTerraformLiterals(this);
    const conventions = props.conventions ?? {};
    const name = props.workflowTemplateName;
    const labels = { ...workloadLabels(name, 'ml-pipeline', props.partOf), 'mlops.cdk.io/model': props.model };
    const ns = props.crdScope.namespace;
    const sel = `namespace=${q(ns)}, name=${q(name)}`;
    const c: AlertContext = { platform: props.partOf, model: props.model, runbookBaseUrl: conventions.runbookBaseUrl };
    this.rule = new Manifest(new Construct(props.crdScope.scope, `${id}Rule`), 'Resource', {
      manifest: prometheusRule({
        name, namespace: props.crdScope.namespace, labels: { ...labels, ...conventions.ruleLabels }, group: `${name}.rules`,
        rules: [alertRule(c, {
          alert: 'MlopsPipelineRunFailed', severity: 'warning', for: '0m', keepFiringFor: '1h',
          expr: `sum(increase(argo_workflows_workflowtemplate_triggered_total{${sel}, phase=~"Failed|Error"}[1h])) > 0`,
          summary: `A run of pipeline ${name} failed`,
          description: `{{ $value }} runs of ${name} failed or errored in the last hour: no new version was registered. See 'argo list -n ${ns}'.`,
        })],
      }),
    });
    const w = '$__rate_interval';
    const runs: PanelInput[] = [
      { title: 'Runs by phase (per hour)', targets: [{ expr: `sum by (phase) (increase(argo_workflows_workflowtemplate_triggered_total{${sel}}[1h]))`, legend: '{{phase}}' }] },
      { title: 'Failed runs (24 h)', type: 'stat', targets: [{ expr: `sum(increase(argo_workflows_workflowtemplate_triggered_total{${sel}, phase=~"Failed|Error"}[24h]))`, legend: 'failed' }] },
    ];
    if (props.cronWorkflowName) {
      runs.push({ title: 'Scheduled triggers (24 h)', type: 'stat', targets: [{ expr: `sum(increase(argo_workflows_cronworkflows_triggered_total{namespace=${q(ns)}, name=${q(props.cronWorkflowName)}}[24h]))`, legend: 'triggered' }] });
    }
    this.dashboard = dashboardConfigMap(this, {
      name, namespace: props.namespace, labels, conventions,
      dashboard: grafanaDashboard({
        uid: dashboardUid(`mlops-${name}`, sha256), title: `${props.partOf} / ${props.model} pipeline`, tags: ['cdk-mlops', props.partOf, 'pipeline'],
        rows: [
          { title: 'Runs', panels: runs },
          { title: 'Durations', panels: [
            { title: 'Run duration', unit: 's', targets: [0.5, 0.99].map((p) => ({ expr: `histogram_quantile(${p}, sum by (le) (rate(argo_workflows_workflowtemplate_runtime_bucket{${sel}}[${w}])))`, legend: `p${Math.round(p * 100)}` })) },
            { title: 'Mean run duration (7 d)', type: 'stat', unit: 's', targets: [{ expr: `sum(increase(argo_workflows_workflowtemplate_runtime_sum{${sel}}[7d])) / sum(increase(argo_workflows_workflowtemplate_runtime_count{${sel}}[7d]))`, legend: 'mean' }] },
          ] },
        ],
      }),
    });
  }
}

export interface DriftDashboardProps {
  /** The namespace of the ConfigMap (PlatformNamespace.name). */
  readonly namespace: string;
  /** The namespace's literal name, in the queries. */
  readonly namespaceName: string;
  readonly model: string;
  readonly partOf: string;
  /** The monitor's CronJob (DriftMonitor.resource's name: '<name>-drift'). */
  readonly cronJobName: string;
  /** The drift threshold, drawn beside the drift. @default - none */
  readonly driftThreshold?: number;
  readonly conventions?: MonitoringConventions;
}

/** A drift monitor's dashboard: feature drift, model quality, the age of the last result, failed runs. */
export class DriftDashboard extends Construct {
  public readonly resource: ConfigMapV1;

  constructor(scope: Construct, id: string, props: DriftDashboardProps) {
    super(scope, id);
    escapeTerraformLiterals(this);
    const sel = `platform=${q(props.partOf)}, model=${q(props.model)}`;
    const labels = { ...workloadLabels(props.cronJobName, 'drift-monitor', props.partOf), 'mlops.cdk.io/model': props.model };
    this.resource = dashboardConfigMap(this, {
      name: props.cronJobName, namespace: props.namespace, labels, conventions: props.conventions ?? {},
      dashboard: grafanaDashboard({
        uid: dashboardUid(`mlops-${props.cronJobName}`, sha256), title: `${props.partOf} / ${props.model} drift`, tags: ['cdk-mlops', props.partOf, 'drift'],
        rows: [
          { title: 'Drift', panels: [
            { title: 'Feature drift', targets: [
              { expr: `max by (feature) (mlops_feature_drift{${sel}})`, legend: '{{feature}}' },
              ...(props.driftThreshold !== undefined ? [{ expr: `vector(${props.driftThreshold})`, legend: 'threshold' }] : []),
            ] },
            { title: 'Model quality', targets: [{ expr: `max by (metric) (mlops_model_quality{${sel}})`, legend: '{{metric}}' }] },
          ] },
          { title: 'Runs', panels: [
            { title: 'Age of the last result', type: 'stat', unit: 's', targets: [{ expr: `time() - max(mlops_drift_last_run_timestamp_seconds{${sel}})`, legend: 'age' }] },
            { title: 'Failed runs', targets: [{ expr: `sum(kube_job_failed{namespace=${q(props.namespaceName)}, job_name=~${q(`${escapeRegex(props.cronJobName)}-[0-9]+`)}, condition="true"})`, legend: 'failed' }] },
          ] },
        ],
      }),
    });
  }
}
