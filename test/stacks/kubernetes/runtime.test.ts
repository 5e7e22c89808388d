/**
 * What the cluster does with the reference platform's objects at run time: images that exist and
 * are pinned, no Secret on a process command line, the pods that must reach Feast labelled as its
 * clients, and what the spec asks for that is not rendered listed by the synth.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdktf';
import { FeatureStore } from '../../../constructs/kubernetes';
import { DEFAULT_IMAGES, EndpointSpecInput, platformKubernetesSchema, PlatformSpecInput } from '../../../lib/spec';
import { KubernetesPlatformStack } from '../../../stacks/kubernetes/platform';
import { synthKubernetesPlatform } from '../../../stacks/kubernetes/synth';
import { referencePlatform } from '../../../stacks/reference-platform';
import { Json, manifests, ofKind, podSpecOf, Synth } from '../../constructs/kubernetes/helpers';

interface Container { name: string; image?: string; command?: string[]; args?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: Json } }[] }

let typed: Synth;
let crds: Synth;
let stack: KubernetesPlatformStack;
beforeAll(() => {
  stack = new KubernetesPlatformStack(Testing.app(), referencePlatform.name, { spec: referencePlatform });
  typed = JSON.parse(Testing.synth(stack)) as Synth;
  crds = JSON.parse(Testing.synth(stack.crdStack!)) as Synth;
});

/** Every container of every pod the platform will run: typed workloads, InferenceServices, Argo steps. */
function containers(): Container[] {
  const out: Container[] = [];
  const pod = (spec: Json) => out.push(...((spec.initContainers ?? []) as Container[]), ...((spec.containers ?? []) as Container[]));
  for (const o of [...ofKind(typed, 'Deployment'), ...ofKind(typed, 'StatefulSet')]) pod(podSpecOf(o));
  for (const c of ofKind(typed, 'CronJob')) pod(((((c.spec as Json).jobTemplate as Json).spec as Json).template as Json).spec as Json);
  for (const m of manifests(crds)) {
    if (m.kind === 'InferenceService') pod(m.spec.predictor as Json);
    if (m.kind === 'WorkflowTemplate') {
      for (const t of m.spec.templates as Json[]) {
        if (t.container) out.push({ ...(t.container as Container), name: String(t.name) });
        pod(t);
      }
    }
  }
  return out;
}

describe('images', () => {
  const PINNED = /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?\/[a-z0-9._/-]+(:v?\d+(\.\d+)+[\w.-]*|@sha256:[a-f0-9]{64})$/;

  it('pins every default image: a registry host, a release tag (never latest, never a bare major) or a digest', () => {
    const defaults = Object.entries(DEFAULT_IMAGES);
    expect(defaults.map(([k]) => k).sort()).toEqual(['busybox', 'captureReceiver', 'kserveAgent', 'kubectl', 'postgres', 'redis']);
    for (const [, image] of defaults) expect(image).toMatch(PINNED);
    expect(Object.values(DEFAULT_IMAGES).join(' ')).not.toMatch(/bitnami/);
  });

  it('makes every default configurable in the platform spec, defaulting to DEFAULT_IMAGES', () => {
    const k8s = platformKubernetesSchema.parse({});
    expect([k8s.drift.kubectlImage, k8s.drift.shellImage, k8s.featureStore.redisImage, k8s.registry.postgresImage, k8s.observability.captureImage, k8s.observability.agentImage].sort())
      .toEqual(Object.values(DEFAULT_IMAGES).sort());
    const custom = platformKubernetesSchema.parse({ drift: { kubectlImage: 'ghcr.io/acme/kubectl:1.32.0' } });
    expect(custom.drift.kubectlImage).toBe('ghcr.io/acme/kubectl:1.32.0');
  });

  it('runs only images the spec names or the pinned defaults', () => {
    const all = containers();
    expect(all.length).toBeGreaterThan(10);
    const named = JSON.stringify(referencePlatform);
    for (const c of all) {
      if (c.image === undefined || c.image.startsWith('${')) continue;
      expect(named.includes(c.image) || (Object.values(DEFAULT_IMAGES) as string[]).includes(c.image)).toBe(true);
    }
  });
});

describe('Secrets on command lines', () => {
  it('passes no Secret value, nor a $(VAR) expansion of one, on any container command line', () => {
    const all = containers();
    const withSecrets = all.filter((c) => (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef));
    // Redis, PostgreSQL, MLflow and Feast read Secrets: the check has something to check.
    expect(withSecrets.map((c) => c.name)).toEqual(expect.arrayContaining(['redis', 'postgres', 'mlflow', 'feast']));
    for (const c of all) {
      const secretVars = (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
      // A variable whose value expands a Secret-backed one carries the Secret too (MLFLOW_BACKEND_STORE_URI).
      const derived = (c.env ?? []).filter((e) => secretVars.some((s) => e.value?.includes(`$(${s})`))).map((e) => e.name);
      const line = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
      for (const v of [...secretVars, ...derived]) expect(`${c.name}: ${line}`).not.toContain(`$(${v})`);
      expect(line).not.toMatch(/--requirepass|--backend-store-uri|postgresql:\/\//);
    }
  });
});

describe('Feast clients and Prometheus', () => {
  it("labels churn's endpoint pods as the feature server's clients, and lets them reach it", () => {
    const store = stack.featureStores.get('churn')!;
    expect(store.clientLabels).toEqual(FeatureStore.clientLabelsFor('churn-features'));
    const d = ofKind(typed, 'Deployment').find((o) => o.metadata.name === 'churn')!;
    expect(((d.spec as Json).template as { metadata: { labels: Json } }).metadata.labels).toMatchObject(store.clientLabels);
    expect(podSpecOf(d).containers[0].env).toContainEqual({ name: 'FEATURE_SERVER_URL', value: 'http://churn-features:6566' });
    const policy = ofKind(typed, 'NetworkPolicy').find((p) => p.metadata.name === 'churn')!;
    expect((policy.spec as { egress: Json[] }).egress).toContainEqual({ to: [{ podSelector: { matchLabels: store.selector } }], ports: [{ port: 6566, protocol: 'TCP' }] });
  });

  it("admits the platform's Prometheus to every endpoint, the MLflow server and the feature server", () => {
    const policies = ofKind(typed, 'NetworkPolicy');
    const scraped = ['churn', 'support-assistant', 'ticket-router', 'mlflow', 'churn-features'];
    for (const name of scraped) {
      const p = policies.find((o) => o.metadata.name === name);
      expect(p).toBeDefined();
      const from = ((p!.spec as { ingress: { from: Json[] }[] }).ingress).flatMap((r) => r.from);
      expect(`${name}: ${JSON.stringify(from)}`).toContain('"podSelector":{"matchLabels":{"app.kubernetes.io/name":"prometheus"}}');
    }
  });
});

describe('what is not rendered', () => {
  it('lists the fields the Kubernetes target does not render in the synth summary, apart from other warnings', () => {
    const spec: PlatformSpecInput = {
      ...referencePlatform,
      models: referencePlatform.models.map((m) => (m.name === 'support-assistant'
        ? { ...m, endpoint: { ...(m.endpoint as EndpointSpecInput), scaling: { ...(m.endpoint as EndpointSpecInput).scaling, targetGpuUtilizationPercent: 60 }, kubernetes: { ...(m.endpoint as EndpointSpecInput).kubernetes!, serving: 'kserve' as const } } }
        : m)),
    };
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'not-rendered-'));
    try {
      const result = synthKubernetesPlatform(spec, path.join(out, 'cdktf.out'));
      expect(result.notRendered).toEqual(expect.arrayContaining([expect.stringContaining('[cdk-mlops:k8s-not-rendered-scaling.targetGpuUtilizationPercent]')]));
      expect(result.notRendered.every((w) => result.warnings.includes(w))).toBe(true);
      expect(result.notRendered.some((w) => w.includes('k8s-training-not-queued'))).toBe(false);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('README: what the cluster needs', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### What the cluster needs'), readme.indexOf('## The `mlops` command'));
  /** The Secrets table: each row's name (a pattern: <model> and <serverName> stand for names) and keys. */
  const rows = [...section.matchAll(/^\| `([^`]+)`[^|]*\| ([^|]+)\|/gm)]
    .map((m) => ({ pattern: new RegExp(`^${m[1].replace(/<[a-zA-Z]+>/g, '[a-z0-9-]+')}$`), keys: [...m[2].matchAll(/`([\w-]+)`/g)].map((k) => k[1]) }))
    .filter((r) => r.keys.length > 0);

  it('names, with their keys, every Secret the reference platform reads', () => {
    const refs = containers().flatMap((c) => (c.env ?? []).map((e) => e.valueFrom?.secretKeyRef as { name: string; key: string } | undefined)).filter((r): r is { name: string; key: string } => r !== undefined);
    expect(new Set(refs.map((r) => r.name))).toEqual(new Set(['mlflow-db', 'churn-features-redis']));
    for (const ref of refs) {
      const row = rows.find((r) => r.pattern.test(ref.name) && r.keys.includes(ref.key));
      expect(row ? `${ref.name}/${ref.key}` : `${ref.name}/${ref.key} missing from the README`).toBe(`${ref.name}/${ref.key}`);
    }
  });

  it('lists the minimum versions and the default images the code uses', () => {
    for (const v of ['Argo Workflows', '≥ 3.6', 'Kubeflow Trainer', '≥ 2.2', 'Kueue', '≥ 0.15', 'KServe', 'kube-prometheus-stack', 'ReadWriteMany']) expect(section).toContain(v);
    // Observability: the operator whose CRDs the scraping and alerts are validated against, Grafana's sidecar, DCGM exporter.
    for (const v of ['Prometheus Operator ≥ 0.93', 'Prometheus ≥ 2.42', 'dashboard sidecar', '`grafana_dashboard: "1"`', 'NVIDIA DCGM exporter', 'workflow-controller-metrics']) expect(section).toContain(v);
    for (const image of Object.values(DEFAULT_IMAGES)) expect(section).toContain(image);
  });
});

