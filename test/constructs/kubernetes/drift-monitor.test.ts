import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { DRIFT_JOB_CONTRACT, DriftMonitor, DriftMonitorProps, RETRAIN_GATE } from '../../../constructs/kubernetes';
import { expectValidationError, Json, manifests, ofKind, Synth, validateAll } from './helpers';

const BASELINE = { constraintsUri: 's3://baselines/churn/constraints.json', statisticsUri: 's3://baselines/churn/statistics.json' };
type Input = Omit<DriftMonitorProps, 'crdScope'> & Partial<Pick<DriftMonitorProps, 'crdScope'>>;
const base: Input = {
  namespace: 'ml', name: 'churn', partOf: 'reference', model: 'churn',
  image: 'ghcr.io/acme/drift-analysis:1.2.0',
  captureUri: 's3://capture/churn/',
  pushgatewayUrl: 'http://pushgateway.monitoring:9091',
  dataQuality: { baseline: BASELINE, alarmFeatures: ['tenure_months', 'monthly_charges'], driftThreshold: 0.2 },
  modelQuality: { problemType: 'BinaryClassification', groundTruthUri: 's3://ground-truth/churn/' },
  retraining: { minIntervalHours: 12 },
  retrainingTarget: { workflowTemplateName: 'reference-churn' },
  ruleLabels: { release: 'kube-prometheus-stack' },
};

/** The monitor in a typed stack, its PrometheusRule in a CRD stack, as the platform lays them out. */
function monitor(props: Partial<Input> = {}): { typed: Synth; crds: Synth; monitor: DriftMonitor } {
  const app = Testing.app();
  const typed = new TerraformStack(app, 'typed');
  const crds = new TerraformStack(app, 'crds');
  const m = new DriftMonitor(typed, 'Drift', { ...base, crdScope: { scope: new Construct(crds, 'churn'), namespace: 'ml' }, ...props });
  return { typed: JSON.parse(Testing.synth(typed)) as Synth, crds: JSON.parse(Testing.synth(crds)) as Synth, monitor: m };
}

type Pod = Json & { containers: (Json & { env: Json[]; volumeMounts: Json[] })[]; initContainers?: (Json & { env: Json[] })[]; volumes: Json[]; securityContext: Json };
const cronJob = (tf: Synth) => ofKind(tf, 'CronJob')[0] as unknown as Json & { spec: Json & { jobTemplate: { spec: Json & { template: { spec: Pod } } } } };
const podOf = (tf: Synth) => cronJob(tf).spec.jobTemplate.spec.template.spec;
const rulesOf = (crds: Synth) => ((manifests(crds)[0].spec.groups as Json[])[0].rules as (Json & { alert: string; expr: string })[]);

describe('DriftMonitor (Kubernetes)', () => {
  it('renders valid typed objects, and a PrometheusRule valid for the prometheus-operator in the CRD stack only', () => {
    const { typed, crds } = monitor();
    expect(validateAll(typed)).toBe(5);
    expect(Object.keys(typed.resource).sort()).toEqual(['kubernetes_cron_job_v1', 'kubernetes_network_policy_v1', 'kubernetes_role_binding_v1', 'kubernetes_role_v1', 'kubernetes_service_account_v1']);
    expect(Object.keys(crds.resource)).toEqual(['kubernetes_manifest']);
    const rule = manifests(crds)[0];
    expect(() => new PrometheusRule(rule as never).validate()).not.toThrow();
    expect(rule.metadata.labels).toEqual(expect.objectContaining({ release: 'kube-prometheus-stack' }));
  });

  it('the PrometheusRule validation can fail: a rule without expr is refused', () => {
    const rule = manifests(monitor().crds)[0];
    const broken = { ...rule, spec: { groups: [{ name: 'g', rules: [{ alert: 'A' }] }] } };
    expect(() => new PrometheusRule(broken as never).validate()).toThrow(/expr/);
  });

  describe('the CronJob', () => {
    it('runs hourly at a minute of its own, never two runs at once, never blocking terraform apply', () => {
      const { typed, monitor: m } = monitor();
      const spec = cronJob(typed).spec;
      expect(m.schedule).toMatch(/^([0-5]?[0-9]) \* \* \* \*$/);
      expect(spec.schedule).toBe(m.schedule);
      expect(spec.concurrencyPolicy).toBe('Forbid');
      expect(spec.jobTemplate.spec.activeDeadlineSeconds).toBe(3600);
      expect(spec.jobTemplate.spec.ttlSecondsAfterFinished).toBe(3600);
      expect(typed.resource.kubernetes_job_v1).toBeUndefined();
      expect(JSON.stringify(typed)).not.toContain('wait_for_completion":true');
    });

    it('runs daily with a longer deadline when the schedule is daily', () => {
      const { typed, monitor: m } = monitor({ schedule: 'daily' });
      expect(m.schedule).toMatch(/^([0-5]?[0-9]) 2 \* \* \*$/);
      expect(cronJob(typed).spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200);
    });

    it('gives the analysis the capture, the baseline, the alarm features and the Pushgateway', () => {
      const env = podOf(monitor({ retraining: undefined, retrainingTarget: undefined }).typed).containers[0].env;
      expect(env).toEqual(expect.arrayContaining([
        { name: 'CAPTURE_URI', value: 's3://capture/churn/' },
        { name: 'BASELINE_STATISTICS_URI', value: BASELINE.statisticsUri },
        { name: 'BASELINE_CONSTRAINTS_URI', value: BASELINE.constraintsUri },
        { name: 'ALARM_FEATURES', value: 'tenure_months,monthly_charges' },
        { name: 'DRIFT_THRESHOLD', value: '0.2' },
        { name: 'PUSHGATEWAY_URL', value: 'http://pushgateway.monitoring:9091' },
      ]));
      const quality = JSON.parse(String(env.find((e) => e.name === 'MODEL_QUALITY')!.value)) as Json;
      expect(quality.alarms).toEqual([{ metric: 'auc', threshold: 0.7, direction: 'higher' }]);
    });

    it('runs restricted under its own ServiceAccount, with no API token for the analysis image', () => {
      const pod = podOf(monitor().typed);
      expect(pod.serviceAccountName).toMatch(/kubernetes_service_account_v1\.Drift_ServiceAccount/);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext).toEqual(expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }));
      }
      expect(JSON.stringify(pod.initContainers)).not.toContain('kube-api-access');
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
    });
  });

  describe('retraining', () => {
    it('submits the pipeline WorkflowTemplate from a gate that runs after the analysis', () => {
      const pod = podOf(monitor().typed);
      expect(pod.initContainers!.map((c) => c.name)).toEqual(['analyse', 'shell']);
      expect(pod.containers.map((c) => c.name)).toEqual(['retrain-gate']);
      expect(pod.containers[0].env).toEqual(expect.arrayContaining([
        { name: 'TEMPLATE', value: 'reference-churn' },
        { name: 'MIN_INTERVAL_SECONDS', value: String(12 * 3600) },
      ]));
      expect(pod.initContainers![0].env).toContainEqual({ name: 'RETRAIN_ON_MODEL_QUALITY', value: 'true' });
      expect(RETRAIN_GATE).toContain('workflowTemplateRef:\n    name: $TEMPLATE');
      expect(RETRAIN_GATE).toContain('-l "mlops.cdk.io/retrain-of=$MODEL"');
      expect(RETRAIN_GATE).toMatch(/if \[ "\$verdict" != "drift" \]; then .*exit 0; fi/);
    });

    it('may create and list Workflows in its namespace, and nothing else', () => {
      const { typed } = monitor();
      const role = ofKind(typed, 'Role')[0] as unknown as Json & { metadata: Json } & { rules: Json[] };
      expect(role.metadata.namespace).toBe('ml');
      expect(role.rules).toEqual([{ apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create', 'list'] }]);
      const binding = ofKind(typed, 'RoleBinding')[0] as unknown as Json & { subjects: Json[] };
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: expect.stringMatching(/Drift_ServiceAccount/), namespace: 'ml' }]);
    });

    it('has no Role, gate or API token without retraining', () => {
      const { typed } = monitor({ retraining: undefined, retrainingTarget: undefined });
      expect(ofKind(typed, 'Role')).toHaveLength(0);
      const pod = podOf(typed);
      expect(pod.containers.map((c) => c.name)).toEqual(['analyse']);
      expect(JSON.stringify(pod)).not.toContain('serviceAccountToken');
    });
  });

  describe('the PrometheusRule', () => {
    it('alerts on drift of the alarm features above the threshold', () => {
      const drift = rulesOf(monitor().crds).find((r) => r.alert === 'MlopsFeatureDrift')!;
      expect(drift.expr).toBe('max by (platform, model, feature) (mlops_feature_drift{platform="reference", model="churn", feature=~"tenure_months|monthly_charges"}) > 0.2');
    });

    it('alerts on model quality in the bad direction of each metric', () => {
      const auc = rulesOf(monitor().crds).find((r) => r.alert === 'MlopsModelQuality')!;
      expect(auc.expr).toBe('max by (platform, model, metric) (mlops_model_quality{platform="reference", model="churn", metric="auc"}) < 0.7');
      const rmse = rulesOf(monitor({ modelQuality: { problemType: 'Regression', groundTruthUri: 's3://ground-truth/x/', alarms: [{ metric: 'rmse', threshold: 3 }] } }).crds).find((r) => r.alert === 'MlopsModelQuality')!;
      expect(rmse.expr).toContain('metric="rmse"}) > 3');
    });

    it("alerts on failed runs of this CronJob's Jobs, from kube-state-metrics", () => {
      const failed = rulesOf(monitor().crds).find((r) => r.alert === 'MlopsDriftMonitorRunFailed')!;
      // The Job's Failed condition, not kube_job_status_failed (which counts a pod that failed and was retried).
      expect(failed.expr).toBe('max by (namespace, job_name) (kube_job_failed{namespace="ml", job_name=~"churn-drift-[0-9]+", condition="true"}) == 1');
      expect(failed.for).toBe('5m');
    });
  });

  describe('network policy', () => {
    it('admits nothing in and lets the job reach only object storage, the API server and the Pushgateway', () => {
      const np = ofKind(monitor().typed, 'NetworkPolicy')[0].spec as Json;
      expect(np.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'churn-drift', 'app.kubernetes.io/component': 'drift-monitor' } });
      expect(np.ingress).toBeUndefined();
      expect(np.egress).toEqual([{ ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }, { port: 9091, protocol: 'TCP' }] }]);
    });
  });

  describe('rejects', () => {
    it('a bias monitor, which needs SageMaker Clarify', () => {
      expectValidationError(() => monitor({ modelBias: { analysisConfigUri: 's3://clarify/analysis.json', groundTruthUri: 's3://ground-truth/churn/' } }), 'DriftMonitor', { path: 'modelBias', message: /AWS-only/ });
    });

    it('retraining without a WorkflowTemplate to submit', () => {
      expectValidationError(() => monitor({ retrainingTarget: undefined }), 'DriftMonitor', { path: 'retrainingTarget' });
    });

    it('a Pushgateway URL with a path', () => {
      expectValidationError(() => monitor({ pushgatewayUrl: 'http://pushgateway:9091/metrics/job/x' }), 'DriftMonitor', { path: 'pushgatewayUrl' });
    });

    it('a capture location that is not an object store URI', () => {
      expectValidationError(() => monitor({ captureUri: '/var/capture' }), 'DriftMonitor', { path: 'captureUri' });
    });

    it('data quality without a baseline', () => {
      expectValidationError(() => monitor({ dataQuality: { alarmFeatures: ['tenure_months'] } }), 'DriftMonitor', { path: 'dataQuality.baseline' });
    });

    it('a name too long for a CronJob', () => {
      expectValidationError(() => monitor({ name: `m${'x'.repeat(46)}` }), 'DriftMonitor', { path: 'name', message: /CronJob/ });
    });

    it('a drift threshold above 1', () => {
      expectValidationError(() => monitor({ dataQuality: { baseline: BASELINE, driftThreshold: 2 } }), 'DriftMonitor', { path: 'dataQuality.driftThreshold' });
    });
  });
});

describe('the retraining gate script', () => {
  // Runs the gate with /bin/sh and a kubectl stub that lists the given creation timestamps and records what it is asked to create.
  const fs = jest.requireActual<typeof import('fs')>('fs');
  const os = jest.requireActual<typeof import('os')>('os');
  const path = jest.requireActual<typeof import('path')>('path');
  const { spawnSync } = jest.requireActual<typeof import('child_process')>('child_process');

  function runGate(verdict: string | undefined, existing: string[]): { created?: string; stdout: string; status: number | null } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
    const kubectl = path.join(dir, 'kubectl');
    fs.writeFileSync(kubectl, [
      '#!/bin/sh',
      `if [ "$1" = get ]; then echo "${existing.join(' ')}"; exit 0; fi`,
      `if [ "$1" = create ]; then echo "$@" > "${dir}/create-args"; cat > "${dir}/created"; exit 0; fi`,
      'exit 3',
    ].join('\n'), { mode: 0o755 });
    if (verdict !== undefined) fs.writeFileSync(path.join(dir, 'verdict'), verdict);
    const r = spawnSync('/bin/sh', ['-c', RETRAIN_GATE], {
      env: { PATH: `${dir}:${process.env.PATH}`, NAMESPACE: 'ml', MODEL: 'churn', TEMPLATE: 'reference-churn', MIN_INTERVAL_SECONDS: String(12 * 3600), VERDICT_FILE: path.join(dir, 'verdict') },
      encoding: 'utf8',
    });
    const created = fs.existsSync(path.join(dir, 'created')) ? fs.readFileSync(path.join(dir, 'created'), 'utf8') : undefined;
    fs.rmSync(dir, { recursive: true, force: true });
    return { created, stdout: r.stdout, status: r.status };
  }
  const iso = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

  it('submits a Workflow from the template, labelled with the model, on drift with no recent run', () => {
    const r = runGate('drift', [iso(30), iso(13)]);
    expect(r.status).toBe(0);
    expect(r.created).toContain('kind: Workflow');
    expect(r.created).toContain('generateName: reference-churn-retrain-');
    expect(r.created).toContain('mlops.cdk.io/retrain-of: churn');
    expect(r.created).toContain('workflowTemplateRef:\n    name: reference-churn');
  });

  it('submits nothing when a run started within the minimum interval', () => {
    const r = runGate('drift', [iso(30), iso(2)]);
    expect(r.status).toBe(0);
    expect(r.created).toBeUndefined();
    expect(r.stdout).toContain('already started');
  });

  it('submits nothing without drift, or when the analysis left no verdict', () => {
    expect(runGate('ok', []).created).toBeUndefined();
    expect(runGate(undefined, []).created).toBeUndefined();
  });

  describe('images and alerts as they run', () => {
    it('runs the gate on registry.k8s.io/kubectl (distroless) with a busybox shell copied in by an init container', () => {
      const pod = podOf(monitor().typed);
      const shell = pod.initContainers!.find((c) => c.name === 'shell')! as unknown as Json & { command: string[] };
      const gate = pod.containers[0] as unknown as Json & { command: string[]; env: Json[]; volumeMounts: Json[] };
      expect(shell.image).toBe('docker.io/library/busybox:1.37.0-musl');
      expect(shell.command.join(' ')).toBe('/bin/busybox sh -c cp /bin/busybox /opt/mlops-tools/busybox && /opt/mlops-tools/busybox --install -s /opt/mlops-tools');
      expect(gate.image).toBe('registry.k8s.io/kubectl:v1.31.4');
      expect(gate.command.slice(0, 3)).toEqual(['/opt/mlops-tools/busybox', 'sh', '-c']);
      expect(gate.env).toContainEqual({ name: 'PATH', value: '/usr/local/bin:/usr/bin:/bin:/opt/mlops-tools' });
      expect(gate.volumeMounts).toContainEqual({ name: 'tools', mountPath: '/opt/mlops-tools', readOnly: true });
    });

    it('takes the gate images from the retraining target', () => {
      const pod = podOf(monitor({ retrainingTarget: { workflowTemplateName: 'reference-churn', kubectlImage: 'ghcr.io/acme/kubectl:1.32.0', shellImage: 'ghcr.io/acme/busybox:1.37.0' } }).typed);
      expect(pod.containers[0].image).toBe('ghcr.io/acme/kubectl:1.32.0');
      expect(pod.initContainers!.find((c) => c.name === 'shell')!.image).toBe('ghcr.io/acme/busybox:1.37.0');
    });

    it('sizes the analysis pod as the processing instance the spec names (3/4 of it), and reserves that', () => {
      const { typed, monitor: m } = monitor({ compute: { instanceType: 'ml.m5.2xlarge' } });
      const analyse = podOf(typed).initContainers!.find((c) => c.name === 'analyse')! as unknown as { resources: Json };
      // ml.m5.2xlarge: 8 vCPUs, 32 GiB.
      expect(analyse.resources).toEqual({ requests: { cpu: '6000m', memory: '24576Mi' }, limits: { memory: '24576Mi' } });
      expect(m.reservation).toMatchObject({ cpuMillis: 6050, memoryMiB: 24576 });
    });

    it('holds every alert with a `for`, so one bad scrape never pages', () => {
      const rules = rulesOf(monitor().crds);
      expect(rules.length).toBeGreaterThanOrEqual(4);
      for (const r of rules) expect(r.for).toMatch(/^\d+[smh]$/);
    });

    it('alerts with absent() when no drift result ever reached Prometheus, held for two periods', () => {
      const absent = rulesOf(monitor().crds).find((r) => r.alert === 'MlopsDriftMonitorAbsent')!;
      expect(absent.expr).toBe('absent(mlops_drift_last_run_timestamp_seconds{platform="reference", model="churn"})');
      expect(absent.for).toBe(`${2 * 3600}s`); // hourly by default
    });

    it('uses only metric names kube-state-metrics exports or the drift job pushes', () => {
      // kube-state-metrics' Job metrics (docs/metrics/workload/job.md) and DRIFT_JOB_CONTRACT.metrics.
      const known = new Set(['kube_job_failed', 'kube_job_status_failed', 'kube_job_complete', ...DRIFT_JOB_CONTRACT.metrics]);
      const functions = new Set(['max', 'by', 'time', 'absent', 'and', 'or', 'unless', 'on']);
      const rules = rulesOf(monitor().crds);
      const names = rules.flatMap((r) => [...r.expr.replace(/"[^"]*"/g, '').replace(/\{[^}]*\}/g, '').matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]))
        .filter((n) => !functions.has(n) && !['platform', 'model', 'feature', 'metric', 'namespace', 'job_name'].includes(n));
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) expect(known).toContain(n);
    });
  });
});
