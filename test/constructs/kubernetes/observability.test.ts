import { parser } from '@prometheus-io/lezer-promql';
import { Testing } from 'cdktf';
import { EndpointSpecInput, PlatformSpecInput } from '../../../lib/spec';
import { KubernetesPlatformStack } from '../../../stacks/kubernetes/platform';
import { referencePlatform } from '../../../stacks/reference-platform';
import { validateCrdStack, validatePrometheusOperatorObject } from './argo';
import { Json, manifests, ofKind, podSpecOf, Synth } from './helpers';
import { allowsConnection, PodRef } from './network-policy';

const NS = 'mlops-reference';
type Rule = Json & { alert: string; expr: string; for: string; keep_firing_for?: string; labels: Record<string, string>; annotations: Record<string, string> };
type Panel = Json & { id: number; type: string; gridPos: { h: number; w: number; x: number; y: number }; datasource?: Json; targets?: (Json & { expr: string })[] };

/** Syntax errors of a PromQL expression, by Prometheus' own grammar (the Lezer grammar Prometheus' UI parses with). */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({ enter: (n) => { if (n.type.isError) errors.push(`at ${n.from}: '${expr.slice(Math.max(0, n.from - 10), n.to + 10)}'`); } });
  return errors;
}

function platform(spec: PlatformSpecInput): { stack: KubernetesPlatformStack; tf: Synth; crds: Synth } {
  const stack = new KubernetesPlatformStack(Testing.app(), spec.name, { spec });
  return { stack, tf: JSON.parse(Testing.synth(stack)) as Synth, crds: JSON.parse(Testing.synth(stack.crdStack!)) as Synth };
}

describe('Observability on Kubernetes (the reference platform)', () => {
  let ref: ReturnType<typeof platform>;
  beforeAll(() => { ref = platform(referencePlatform); });
  const ofOperator = (kind: string) => manifests(ref.crds).filter((m) => m.kind === kind);
  const rulesOf = (name: string) => ((ofOperator('PrometheusRule').find((r) => r.metadata.name === name)!.spec.groups as Json[])[0].rules as Rule[]);
  const rule = (name: string, alert: string) => rulesOf(name).find((r) => r.alert === alert)!;
  const dashboards = () => ofKind(ref.tf, 'ConfigMap').filter((c) => (c.metadata.labels as Json | undefined)?.grafana_dashboard === '1');
  // As Terraform writes the ConfigMap: `$${` in Terraform JSON is the literal `${`.
  const dashboardJson = (c: Json) => JSON.parse(Object.values(c.data as Record<string, string>)[0].replace(/\$\$\{/g, '${')) as Json & { panels: Panel[] };

  describe('scraping', () => {
    it('renders a PodMonitor per endpoint and a ServiceMonitor for MLflow and Feast, valid against the Prometheus Operator CRDs and labelled for its selectors', () => {
      const pods = ofOperator('PodMonitor');
      const services = ofOperator('ServiceMonitor');
      expect(pods.map((m) => m.metadata.name).sort()).toEqual(['churn-endpoint', 'support-assistant-endpoint', 'ticket-router-endpoint']);
      expect(services.map((m) => m.metadata.name).sort()).toEqual(['churn-features', 'mlflow']);
      for (const m of [...pods, ...services]) {
        expect(() => validatePrometheusOperatorObject(m)).not.toThrow();
        expect(m.metadata.labels).toEqual(expect.objectContaining({ release: 'kube-prometheus-stack' }));
        expect(m.metadata.namespace).toBe(NS);
      }
      expect(pods.find((m) => m.metadata.name === 'churn-endpoint')!.spec).toEqual({
        selector: { matchLabels: { 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'model-endpoint' } },
        namespaceSelector: { matchNames: [NS] },
        podMetricsEndpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
      });
      expect((services.find((m) => m.metadata.name === 'churn-features')!.spec.endpoints as Json[])[0].port).toBe('metrics');
    });

    it('the CRD validation refuses a misspelt field and a wrong type', () => {
      const m = ofOperator('PodMonitor')[0];
      expect(() => validatePrometheusOperatorObject({ ...m, spec: { ...m.spec, podMetricEndpoints: m.spec.podMetricsEndpoints } })).toThrow(/podMetricEndpoints|additional/);
      const r = ofOperator('PrometheusRule')[0];
      expect(() => validatePrometheusOperatorObject({ ...r, spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up', for: 5 }] }] } })).toThrow(/for|string/);
    });

    it("scrapes each target's own named port: the endpoint's container port, MLflow's and Feast's Service ports", () => {
      const deployments = ofKind(ref.tf, 'Deployment');
      const portsOf = (name: string) => (podSpecOf(deployments.find((d) => d.metadata.name === name)!).containers[0].ports as Json[]).map((p) => p.name);
      expect(portsOf('churn')).toContain('http');
      expect(portsOf('churn-features')).toContain('metrics');
      const mlflow = podSpecOf(deployments.find((d) => d.metadata.name === 'mlflow')!).containers[0];
      expect(mlflow.args).toEqual(expect.arrayContaining(['--expose-prometheus', '/tmp/mlflow-metrics']));
      const services = ofKind(ref.tf, 'Service');
      expect(((services.find((s) => s.metadata.name === 'mlflow')!.spec as Json).ports as Json[]).map((p) => p.name)).toContain('http');
      expect(((services.find((s) => s.metadata.name === 'churn-features')!.spec as Json).ports as Json[]).map((p) => p.name)).toContain('metrics');
    });
  });

  describe('alerts', () => {
    it("every PromQL expression of every rule and dashboard parses with Prometheus' grammar", () => {
      const exprs = [
        ...ofOperator('PrometheusRule').flatMap((r) => ((r.spec.groups as Json[])[0].rules as Rule[]).map((x) => x.expr)),
        // Grafana replaces $__rate_interval before the query reaches Prometheus.
        ...dashboards().flatMap((c) => dashboardJson(c).panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr.replace(/\$__rate_interval/g, '5m')))),
      ];
      expect(exprs.length).toBeGreaterThan(40);
      for (const e of exprs) expect({ expr: e, errors: promqlErrors(e) }).toEqual({ expr: e, errors: [] });
    });

    it('the grammar check can fail: an unclosed call and a regex-free matcher typo are errors', () => {
      expect(promqlErrors('sum(rate(http_requests_total[5m])')).not.toEqual([]);
      expect(promqlErrors('up{namespace="a", pod=~}')).not.toEqual([]);
    });

    it("maps the spec's alarms: for = datapointsToAlarm x period, keep_firing_for = the rest of evaluationPeriods, over a one-period window", () => {
      // churn: latencyP99Ms 200, period 60 s, 5 evaluation periods, 3 datapoints to alarm (the defaults).
      const latency = rule('churn-endpoint', 'MlopsEndpointLatencyP99');
      expect(latency).toEqual(expect.objectContaining({ for: '3m', keep_firing_for: '2m' }));
      expect(latency.expr).toBe('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="mlops-reference", pod=~"churn-[a-z0-9]{1,10}-[a-z0-9]{5}"}[1m]))) > 0.2');
      expect(rule('churn-endpoint', 'MlopsEndpoint5xxErrors').expr).toBe('sum(increase(http_requests_total{namespace="mlops-reference", pod=~"churn-[a-z0-9]{1,10}-[a-z0-9]{5}", code=~"5.."}[1m])) >= 5');
      expect(rule('churn-endpoint', 'MlopsEndpoint4xxRate').expr).toMatch(/^100 \* sum\(rate\(http_requests_total\{.*code=~"4\.\."\}\[1m\]\)\) \/ sum\(rate\(http_requests_total\{.*\}\[1m\]\)\) > 5$/);
      expect(rule('churn-endpoint', 'MlopsEndpointMetricsAbsent').expr).toBe('absent(up{namespace="mlops-reference", pod=~"churn-[a-z0-9]{1,10}-[a-z0-9]{5}"} == 1)');
    });

    it('keeps no keep_firing_for when every evaluation period must breach', () => {
      const churn = referencePlatform.models[1];
      const spec: PlatformSpecInput = { ...referencePlatform, delivery: undefined, models: [{ ...churn, endpoint: { ...(churn.endpoint as EndpointSpecInput), alarms: { periodSeconds: 300, evaluationPeriods: 2, datapointsToAlarm: 2 } } }] };
      const crds = platform(spec).crds;
      const r = ((manifests(crds).find((m) => m.metadata.name === 'churn-endpoint' && m.kind === 'PrometheusRule')!.spec.groups as Json[])[0].rules as Rule[])[0];
      expect(r.for).toBe('10m');
      expect(r.keep_firing_for).toBeUndefined();
      expect(r.expr).toContain('[5m]');
    });

    it("alerts on GPU use from DCGM exporter's metrics only for GPU endpoints, per pod of the endpoint", () => {
      const gpu = rule('support-assistant-endpoint', 'MlopsEndpointGpuUtilization');
      expect(gpu.expr).toBe('avg(avg_over_time(DCGM_FI_DEV_GPU_UTIL{namespace="mlops-reference", pod=~"support-assistant-[a-z0-9]{1,10}-[a-z0-9]{5}"}[1m])) > 90');
      expect(rule('support-assistant-endpoint', 'MlopsEndpointGpuMemory').expr).toMatch(/DCGM_FI_DEV_FB_USED.*DCGM_FI_DEV_FB_FREE/);
      expect(rulesOf('churn-endpoint').map((r) => r.alert)).not.toContain('MlopsEndpointGpuUtilization');
    });

    it("selects the endpoint's pods and no other model's: pod names are <deployment>-<template hash>-<5 characters>", () => {
      const pattern = new RegExp(`^${/pod=~"([^"]+)"/.exec(rule('churn-endpoint', 'MlopsEndpointLatencyP99').expr)![1]}$`);
      expect(pattern.test('churn-7d9f8b6c5d-x2k9p')).toBe(true);
      expect(pattern.test('churn-capture-7d9f8b6c5d-x2k9p')).toBe(false);
      expect(pattern.test('churn-features-6b7c9d8f4-abcde')).toBe(false);
    });

    it('gives every rule of the platform the same labels and annotations, runbook_url included (endpoints, pipelines, drift)', () => {
      const all = ofOperator('PrometheusRule').flatMap((r) => ((r.spec.groups as Json[])[0].rules as Rule[]));
      expect(new Set(all.map((r) => r.alert))).toEqual(new Set([
        'MlopsEndpointLatencyP99', 'MlopsEndpoint5xxErrors', 'MlopsEndpoint4xxRate', 'MlopsEndpointMetricsAbsent', 'MlopsEndpointGpuUtilization', 'MlopsEndpointGpuMemory',
        'MlopsPipelineRunFailed', 'MlopsFeatureDrift', 'MlopsModelQuality', 'MlopsDriftMonitorRunFailed', 'MlopsDriftMonitorStale', 'MlopsDriftMonitorAbsent',
      ]));
      for (const r of all) {
        expect(Object.keys(r.labels)).toEqual(expect.arrayContaining(['severity', 'model', 'platform']));
        expect(r.annotations.runbook_url).toBe(`https://runbooks.mlops-reference.example/kubernetes/${r.alert}`);
        expect(r.annotations.summary.length).toBeGreaterThan(10);
        expect(r.for).toMatch(/^\d+[smh]$/);
      }
      for (const r of ofOperator('PrometheusRule')) expect(r.metadata.labels).toEqual(expect.objectContaining({ release: 'kube-prometheus-stack' }));
    });

    it("reads the pipeline's Argo metrics by its WorkflowTemplate's name", () => {
      expect(rule('churn-pipeline', 'MlopsPipelineRunFailed').expr).toBe('sum(increase(argo_workflows_workflowtemplate_triggered_total{namespace="mlops-reference", name="churn-pipeline", phase=~"Failed|Error"}[1h])) > 0');
    });
  });

  describe('dashboards', () => {
    it('renders a dashboard per endpoint, pipeline and drift monitor as ConfigMaps for the Grafana sidecar', () => {
      expect(dashboards().map((c) => c.metadata.name).sort()).toEqual([
        'churn-drift-dashboard', 'churn-endpoint-dashboard', 'churn-pipeline-dashboard',
        'support-assistant-endpoint-dashboard', 'support-assistant-pipeline-dashboard', 'ticket-router-endpoint-dashboard',
      ]);
    });

    it('parse as Grafana dashboard JSON: schemaVersion, unique ids and uids, panels on the 24-column grid without overlap, each query with a datasource', () => {
      const uids = new Set<string>();
      for (const c of dashboards()) {
        const d = dashboardJson(c);
        expect(d.schemaVersion).toBe(39);
        expect(typeof d.title).toBe('string');
        expect(String(d.uid).length).toBeLessThanOrEqual(40);
        uids.add(String(d.uid));
        expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
        const cells = new Set<string>();
        for (const p of d.panels) {
          expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
          for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
            for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
              expect(cells.has(`${x},${y}`)).toBe(false);
              cells.add(`${x},${y}`);
            }
          }
          if (p.type === 'row') continue;
          expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
          expect(p.targets!.length).toBeGreaterThan(0);
          for (const t of p.targets!) expect(t.datasource).toEqual(p.datasource);
        }
        expect((d.templating as { list: Json[] }).list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
      }
      expect(uids.size).toBe(dashboards().length);
    });

    it("shows an endpoint's traffic, latency, errors, replicas and, on GPUs, GPU use", () => {
      const titles = (name: string) => dashboardJson(dashboards().find((c) => c.metadata.name === name)!).panels.filter((p) => p.type === 'row').map((p) => p.title);
      expect(titles('support-assistant-endpoint-dashboard')).toEqual(['Traffic', 'Latency', 'Errors', 'Replicas', 'GPU']);
      expect(titles('churn-endpoint-dashboard')).toEqual(['Traffic', 'Latency', 'Errors', 'Replicas']);
    });
  });

  describe('request capture', () => {
    const capture = (model: string) => ref.stack.captures.get(model)!;

    it('captures each endpoint to <captureUri>/<model>/, sampling in the receiver as dataCapture.samplingPercent says', () => {
      const cfg = (m: string) => capture(m).vectorConfig as Json & { sinks: { capture: Json }; transforms: Json };
      expect(cfg('churn').sinks.capture).toEqual(expect.objectContaining({ type: 'aws_s3', bucket: 'mlops-reference-capture-us-east-1', key_prefix: 'churn/%Y/%m/%d/%H/' }));
      // churn captures 100 %: nothing filtered. support-assistant 10 %: a hash of the request id, so a request and its response stay together.
      expect(cfg('churn').transforms.sample).toBeUndefined();
      // VRL (vrl 0.23.0, pinned by Vector 0.46.1) has no `%` operator: `mod(value, modulus)` is its remainder.
      expect((cfg('support-assistant').transforms.sample as Json).condition).toEqual({ type: 'vrl', source: 'mod(parse_int!(slice!(md5(string!(."ce-id")), 0, 7), 16), 100) < 10' });
      expect(ref.stack.driftMonitors.get('churn')!.resource).toBeDefined();
      const env = (ofKind(ref.tf, 'CronJob')[0].spec as Json & { jobTemplate: { spec: { template: { spec: { initContainers: (Json & { env: Json[] })[] } } } } }).jobTemplate.spec.template.spec.initContainers[0].env;
      expect(env).toContainEqual({ name: 'CAPTURE_URI', value: 's3://mlops-reference-capture-us-east-1/churn/' });
    });

    it("puts KServe's agent in front of a Deployment's model: the Service targets it, and it logs to the receiver", () => {
      const churn = ofKind(ref.tf, 'Deployment').find((d) => d.metadata.name === 'churn')!;
      const agent = podSpecOf(churn).containers.find((c) => c.name === 'agent')! as Json & { args: string[] };
      expect(agent.image).toBe('docker.io/kserve/agent:v0.20.0');
      expect(agent.args.join(' ')).toMatch(/^--port 9081 --component-port 8080 --log-url http:\/\/churn-capture\.mlops-reference\.svc\.cluster\.local:8080 --source-uri \$\(POD_NAME\) --log-mode all --inference-service churn --namespace \$\{kubernetes_namespace_v1\.\w+\.metadata\[0\]\.name\} --component predictor/);
      const service = ofKind(ref.tf, 'Service').find((s) => s.metadata.name === 'churn')!;
      expect(((service.spec as Json).ports as Json[])[0]).toEqual(expect.objectContaining({ port: 8080, targetPort: 'agent' }));
    });

    describe('network paths (evaluated over every rendered NetworkPolicy)', () => {
      // Every policy is in the platform namespace (named by a reference to the Namespace resource).
      const policies = () => ofKind(ref.tf, 'NetworkPolicy').map((p) => ({ ...p, metadata: { ...p.metadata, namespace: NS } }));
      const podOf = (name: string): PodRef => ({ namespace: NS, labels: ((ofKind(ref.tf, 'Deployment').find((d) => d.metadata.name === name)!.spec as Json).template as { metadata: { labels: Record<string, string> } }).metadata.labels });
      const prometheus: PodRef = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
      const stranger: PodRef = { namespace: NS, labels: { app: 'other' } };
      // A pod of a namespace the endpoints admit (allowFromNamespaces), where no policy limits its egress.
      const ingressController: PodRef = { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };

      it('lets each endpoint reach its receiver, and nothing else in the namespace reach the receiver', () => {
        expect(policies().length).toBeGreaterThan(5);
        for (const m of ['churn', 'support-assistant', 'ticket-router']) expect(allowsConnection(policies(), podOf(m), podOf(`${m}-capture`), 8080)).toBe(true);
        expect(allowsConnection(policies(), podOf('churn'), podOf('ticket-router-capture'), 8080)).toBe(false);
        expect(allowsConnection(policies(), stranger, podOf('churn-capture'), 8080)).toBe(false);
        expect(allowsConnection(policies(), ingressController, podOf('churn-capture'), 8080)).toBe(false);
      });

      it("lets clients reach the model through the agent's port only", () => {
        expect(allowsConnection(policies(), ingressController, podOf('churn'), 9081)).toBe(true);
        expect(allowsConnection(policies(), ingressController, podOf('churn'), 8080)).toBe(false);
        // The namespace's own pods are held by the default-deny egress: a client needs an egress policy of its own.
        expect(allowsConnection(policies(), stranger, podOf('churn'), 9081)).toBe(false);
      });

      it('lets the platform Prometheus scrape every endpoint, receiver, MLflow and Feast on the port its monitor names', () => {
        expect(allowsConnection(policies(), prometheus, podOf('churn'), 8080)).toBe(true);
        expect(allowsConnection(policies(), prometheus, podOf('churn-capture'), 9598)).toBe(true);
        expect(allowsConnection(policies(), prometheus, podOf('mlflow'), 5000)).toBe(true);
        expect(allowsConnection(policies(), prometheus, podOf('churn-features'), 8000)).toBe(true);
        expect(allowsConnection(policies(), { namespace: 'default', labels: prometheus.labels }, podOf('churn'), 8080)).toBe(false);
      });
    });
  });
});

describe('Request capture of a platform', () => {
  it('rejects a capture URI the receiver cannot write to, naming the Kubernetes setting', () => {
    const spec: PlatformSpecInput = { ...referencePlatform, kubernetes: { ...referencePlatform.kubernetes, drift: { ...referencePlatform.kubernetes!.drift, captureUri: 'az://capture' } } };
    expect(() => platform(spec)).toThrow(/kubernetes\.drift\.captureUri: is not a store the capture receiver of models\[0\] writes to/);
  });
});

describe('Observability of a KServe endpoint', () => {
  it("sets the predictor's logger to the receiver, valid for KServe's CRD, and admits clients on the agent's port KServe's Service targets", () => {
    const llm = referencePlatform.models[0];
    const endpoint = llm.endpoint as EndpointSpecInput;
    const spec: PlatformSpecInput = { ...referencePlatform, models: [{ ...llm, endpoint: { ...endpoint, kubernetes: { ...endpoint.kubernetes, serving: 'kserve' } } }] };
    const { tf, crds } = platform(spec);
    expect(validateCrdStack(crds).crds).toBeGreaterThan(0);
    const isvc = manifests(crds).find((m) => m.kind === 'InferenceService')!;
    expect((isvc.spec.predictor as Json).logger).toEqual({ mode: 'all', url: `http://support-assistant-capture.${NS}.svc.cluster.local:8080` });
    const np = ofKind(tf, 'NetworkPolicy').find((p) => p.metadata.name === 'support-assistant')!;
    expect((((np.spec as Json).ingress as Json[])[0].ports as Json[])[0]).toEqual({ port: 9081, protocol: 'TCP' });
    const pm = manifests(crds).find((m) => m.kind === 'PrometheusRule' && m.metadata.name === 'support-assistant-endpoint')!;
    expect(JSON.stringify(pm)).toContain('support-assistant-predictor-[a-z0-9]{1,10}-[a-z0-9]{5}');
  });
});
