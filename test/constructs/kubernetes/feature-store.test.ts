import { spawnSync } from 'child_process';
import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { Construct } from 'constructs';
import YAML from 'yaml';
import { FeatureStore, FeatureStoreProps } from '../../../constructs/kubernetes';
import { REDIS_START } from '../../../constructs/kubernetes/feature-store';
import { FeatureGroupSpecInput } from '../../../lib/spec';
import { expectValidationError, Json, ofKind, podSpecOf, synth, validateAll } from './helpers';

const CUSTOMERS: FeatureGroupSpecInput = {
  name: 'customers',
  description: 'Customer profile "v2"',
  recordIdentifier: 'customer_id',
  eventTime: 'event_time',
  features: [
    { name: 'customer_id', type: 'String' },
    { name: 'event_time', type: 'Fractional' },
    { name: 'tenure_months', type: 'Integral' },
    { name: 'monthly_charges', type: 'Fractional' },
    { name: 'contract', type: 'String' },
  ],
  onlineStore: { ttl: { value: 7, unit: 'Days' } },
};
const SESSIONS: FeatureGroupSpecInput = {
  name: 'sessions',
  recordIdentifier: 'session_id',
  eventTime: 'ts',
  features: [{ name: 'session_id', type: 'Integral' }, { name: 'ts', type: 'String' }, { name: 'clicks', type: 'Integral' }],
  onlineStore: { storageType: 'InMemory' },
  offlineStore: { enabled: false },
};
const base: FeatureStoreProps = {
  namespace: 'ml', name: 'churn-features', partOf: 'reference',
  feastImage: 'docker.io/feastdev/feature-server:0.49.0',
  redisPasswordSecretName: 'churn-redis',
  offlineStoreUri: 's3://features/churn',
  featureGroups: [CUSTOMERS, SESSIONS],
};
const build = (scope: Construct, props: Partial<FeatureStoreProps> = {}) => new FeatureStore(scope, 'Features', { ...base, ...props });
const store = (props: Partial<FeatureStoreProps> = {}) => synth((scope) => { build(scope, props); });
const byName = (objects: (Json & { metadata: Json })[], name: string) => objects.find((o) => o.metadata.name === name)!;

describe('FeatureStore (Kubernetes)', () => {
  it('runs a Feast feature server on Redis, every object a valid API object', () => {
    const { tf } = store();
    expect(Object.keys(tf.resource).sort()).toEqual([
      'kubernetes_config_map_v1', 'kubernetes_deployment_v1', 'kubernetes_network_policy_v1',
      'kubernetes_service_account_v1', 'kubernetes_service_v1', 'kubernetes_stateful_set_v1',
    ]);
    expect(validateAll(tf)).toBe(9);
  });

  describe('the Feast feature repository', () => {
    const repo = () => {
      let r: Record<string, string> = {};
      const { tf } = synth((scope) => { r = build(scope).repository; });
      return { r, tf };
    };

    it('is the ConfigMap mounted read-only into the server, and applied by an init container before it starts', () => {
      const { r, tf } = repo();
      const cm = ofKind(tf, 'ConfigMap')[0];
      // Terraform would read ${REDIS_PASSWORD} as its own template syntax: the JSON carries $${...}, applied as ${...}.
      expect(cm.data).toEqual({ ...r, 'feature_store.yaml': r['feature_store.yaml'].replace('${REDIS_PASSWORD}', () => '$${REDIS_PASSWORD}') });
      expect(JSON.stringify(tf)).not.toMatch(/[^$]\$\{REDIS_PASSWORD\}/);
      const pod = podSpecOf(ofKind(tf, 'Deployment')[0]) as Json & { containers: Json[]; initContainers: Json[]; volumes: Json[] };
      // A reference to the ConfigMap resource: Terraform creates it before the Deployment.
      expect(cm.metadata.name).toBe('churn-features-repo');
      expect(pod.volumes).toContainEqual({ name: 'repo', configMap: { name: expect.stringMatching(/^\$\{kubernetes_config_map_v1\.Features_Repository_\w+\.metadata\[0\]\.name\}$/) } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'repo', mountPath: '/feast/repo', readOnly: true });
      // --metrics: Prometheus metrics on port 8000, the port the ServiceMonitor scrapes and the NetworkPolicy admits Prometheus to.
      expect(pod.containers[0].args).toEqual(['--chdir', '/feast/repo', 'serve', '--host', '0.0.0.0', '--port', '6566', '--metrics']);
      expect(pod.containers[0].ports).toContainEqual({ name: 'metrics', containerPort: 8000 });
      expect(pod.initContainers[0].args).toEqual(['--chdir', '/feast/repo', 'apply']);
    });

    it('configures a Redis online store whose password Feast reads from the environment, never from the file', () => {
      const config = YAML.parse(repo().r['feature_store.yaml']) as Json & { online_store: Json; registry: Json };
      expect(config.project).toBe('reference_churn_features');
      expect(config.provider).toBe('local');
      expect(config.online_store).toEqual({ type: 'redis', redis_type: 'redis', connection_string: 'churn-features-redis:6379,password=${REDIS_PASSWORD}' });
      expect(config.registry).toEqual(expect.objectContaining({ registry_type: 'file', path: '/var/feast/registry.db' }));
    });

    it('maps Integral to Int64, Fractional to Float64 and String to String, leaving the event time to the source', () => {
      const py = repo().r['features.py'];
      expect(py).toContain('from feast.types import Float64, Int64, String');
      expect(py).toContain('Field(name="customer_id", dtype=String),');
      expect(py).toContain('Field(name="tenure_months", dtype=Int64),');
      expect(py).toContain('Field(name="monthly_charges", dtype=Float64),');
      expect(py).toContain('Field(name="session_id", dtype=Int64),');
      expect(py).not.toContain('Field(name="event_time"');
      expect(py).toContain('timestamp_field="event_time",');
    });

    // Python parses the generated definitions (Feast itself is not installed here: syntax, not semantics).
    const python = spawnSync('python3', ['--version']).status === 0;
    (python ? it : it.skip)('is Python that parses, names resolved from the imports', () => {
      const source = repo().r['features.py'];
      const check = [
        'import ast, sys',
        'tree = ast.parse(sys.stdin.read())',
        'defined = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}',
        'defined |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets}',
        'used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}',
        'missing = used - defined - {"True", "False", "None"}',
        'print(",".join(sorted(missing)))',
      ].join('\n');
      const r = spawnSync('python3', ['-c', check], { input: source, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('');
    });

    it('keys each feature view by an entity of the record identifier with its value type', () => {
      const py = repo().r['features.py'];
      expect(py).toMatch(/entity_0 = Entity\(\n {4}name="customers_customer_id",\n {4}join_keys=\["customer_id"\],\n {4}value_type=ValueType\.STRING,\n\)/);
      expect(py).toMatch(/entity_1 = Entity\(\n {4}name="sessions_session_id",\n {4}join_keys=\["session_id"\],\n {4}value_type=ValueType\.INT64,/);
      expect(py).toMatch(/feature_view_0 = FeatureView\(\n {4}name="customers",\n {4}entities=\[entity_0\],/);
    });

    it('takes the TTL from the online store ttl, and 0 (never expires) without one', () => {
      const py = repo().r['features.py'];
      expect(py).toMatch(/name="customers",[\s\S]*?ttl=timedelta\(seconds=604800\),/);
      expect(py).toMatch(/name="sessions",[\s\S]*?ttl=timedelta\(seconds=0\),/);
    });

    it('writes the history of groups with an offline store under the offline store URI', () => {
      const py = repo().r['features.py'];
      expect(py).toContain('path="s3://features/churn/customers/",');
      expect(py).not.toContain('s3://features/churn/sessions');
      expect(py).toContain('description="Customer profile \\"v2\\"",');
    });

    it('is rolled out again when the feature definitions change', () => {
      const hash = (tf: ReturnType<typeof store>['tf']) => ((ofKind(tf, 'Deployment')[0].spec as Json).template as Json & { metadata: { annotations: Record<string, string> } }).metadata.annotations['mlops.cdk.io/repository-sha256'];
      const before = hash(store().tf);
      const after = hash(store({ featureGroups: [{ ...CUSTOMERS, features: [...CUSTOMERS.features, { name: 'region', type: 'String' }] }, SESSIONS] }).tf);
      expect(before).toMatch(/^[0-9a-f]{64}$/);
      expect(after).not.toBe(before);
    });
  });

  describe('Redis online store', () => {
    it('keeps its volume when the StatefulSet is deleted or scaled down', () => {
      const { json } = store({ redisVolumeGiB: 25, storageClassName: 'encrypted-gp3' });
      expect(json).toHaveResourceWithProperties(StatefulSetV1, {
        spec: expect.objectContaining({
          persistent_volume_claim_retention_policy: [{ when_deleted: 'Retain', when_scaled: 'Retain' }],
          volume_claim_template: [expect.objectContaining({ spec: expect.objectContaining({ storage_class_name: 'encrypted-gp3', resources: { requests: { storage: '25Gi' } } }) })],
        }),
      });
    });

    it('takes its password from an existing Secret and authenticates its probes without a command-line password', () => {
      const { tf } = store();
      expect(tf.resource.kubernetes_secret_v1).toBeUndefined();
      const c = podSpecOf(ofKind(tf, 'StatefulSet')[0]).containers[0] as Json & { args: string[]; env: Json[] };
      const ref = { secretKeyRef: { name: 'churn-redis', key: 'password' } };
      expect(c.env).toEqual([{ name: 'REDIS_PASSWORD', valueFrom: ref }, { name: 'REDISCLI_AUTH', valueFrom: ref }]);
      // The password reaches Redis through a config file the shell writes, never as an argument.
      expect(c.command).toEqual(['sh', '-c', REDIS_START, 'redis-server']);
      expect(REDIS_START).toContain('printf \'requirepass %s\\n\' "$REDIS_PASSWORD" > /tmp/redis.conf');
      expect(REDIS_START).toContain('exec redis-server /tmp/redis.conf "$@"');
      expect(c.args.join(' ')).not.toMatch(/requirepass|REDIS_PASSWORD/);
      expect(c.readinessProbe).toEqual({ exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 10, failureThreshold: 3 });
    });

    it("appends every write to the volume when a group's online store is 'Standard', and only snapshots when all are 'InMemory'", () => {
      const args = (tf: ReturnType<typeof store>['tf']) => (podSpecOf(ofKind(tf, 'StatefulSet')[0]).containers[0] as Json & { args: string[] }).args.join(' ');
      expect(args(store().tf)).toContain('--appendonly yes');
      expect(args(store({ featureGroups: [SESSIONS] }).tf)).toContain('--appendonly no');
    });

    it('runs restricted as the redis user', () => {
      const pod = podSpecOf(ofKind(store().tf, 'StatefulSet')[0]) as Json & { containers: Json[]; securityContext: Json };
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } }));
      expect(pod.containers[0].securityContext).toEqual(expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }));
    });
  });

  describe('network policies', () => {
    it('admits only the feature server to Redis, and lets Redis reach nothing', () => {
      const np = byName(ofKind(store().tf, 'NetworkPolicy'), 'churn-features-redis').spec as Json;
      expect(np.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'churn-features-redis', 'app.kubernetes.io/component': 'online-store' } });
      expect(np.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'churn-features', 'app.kubernetes.io/component': 'feature-server' } } }], ports: [{ port: 6379, protocol: 'TCP' }] }]);
      expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(np.egress).toBeUndefined();
    });

    it('admits only labelled clients to the feature server, which may reach Redis and the offline store only', () => {
      let clientLabels: Record<string, string> = {};
      const { tf } = synth((scope) => { clientLabels = build(scope).clientLabels; });
      expect(clientLabels).toEqual({ 'mlops.cdk.io/churn-features-client': 'true' });
      const np = byName(ofKind(tf, 'NetworkPolicy'), 'churn-features').spec as Json;
      expect(np.ingress).toEqual([{ from: [{ podSelector: { matchLabels: clientLabels } }], ports: [{ port: 6566, protocol: 'TCP' }] }, { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [{ port: 8000, protocol: 'TCP' }] }]);
      expect(np.egress).toEqual([
        { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'churn-features-redis', 'app.kubernetes.io/component': 'online-store' } } }], ports: [{ port: 6379, protocol: 'TCP' }] },
        { ports: [{ port: 443, protocol: 'TCP' }] },
      ]);
    });

    it('opens no egress beyond Redis when no group keeps history', () => {
      const np = byName(ofKind(store({ featureGroups: [SESSIONS], offlineStoreUri: undefined }).tf, 'NetworkPolicy'), 'churn-features').spec as Json;
      expect(np.egress as Json[]).toHaveLength(1);
    });
  });

  describe('rejects', () => {
    it('a group with an offline store and no offline store URI', () => {
      expectValidationError(() => store({ offlineStoreUri: undefined }), 'FeatureStore', { path: 'offlineStoreUri', message: /featureGroups\[0\]/ });
    });

    it("a Feast image older than 0.41, whose `feast serve` has no --metrics option (feast-dev/feast sdk/python/feast/cli.py: added in v0.41.0)", () => {
      expectValidationError(() => store({ feastImage: 'docker.io/feastdev/feature-server:0.40.1' }), 'FeatureStore', { path: 'feastImage', message: /--metrics/ });
      // A tag that names no version is the user's to vouch for; 0.41 and later pass.
      expect(() => store({ feastImage: 'registry.example.com/feast:latest' })).not.toThrow();
      expect(() => store({ feastImage: 'docker.io/feastdev/feature-server:v0.41.0' })).not.toThrow();
    });

    it('an offline store URI that is not an object store', () => {
      expectValidationError(() => store({ offlineStoreUri: '/data/features' }), 'FeatureStore', { path: 'offlineStoreUri' });
    });

    it('a feature of an unknown type', () => {
      expectValidationError(() => store({ featureGroups: [{ ...CUSTOMERS, features: [...CUSTOMERS.features, { name: 'flag', type: 'Boolean' as never }] }] }), 'FeatureStore', { path: 'featureGroups[0].features[5].type' });
    });

    it('a record identifier that names no feature', () => {
      expectValidationError(() => store({ featureGroups: [{ ...CUSTOMERS, recordIdentifier: 'id' }] }), 'FeatureStore', { path: 'featureGroups[0].recordIdentifier' });
    });

    it('a name too long for the objects and labels derived from it', () => {
      expectValidationError(() => store({ name: `f${'x'.repeat(56)}` }), 'FeatureStore', { path: 'name', message: /short enough/ });
    });

    it('a Redis volume that is not a whole number of GiB', () => {
      expectValidationError(() => store({ redisVolumeGiB: 0.5 }), 'FeatureStore', { path: 'redisVolumeGiB' });
    });
  });

  describe('not rendered', () => {
    it("warns, per group, for SageMaker's throughput and offline table format, and for nothing else", () => {
      const fs = build(new TerraformStack(Testing.app(), 'S'), { featureGroups: [{ ...CUSTOMERS, throughput: { mode: 'Provisioned', readCapacityUnits: 10, writeCapacityUnits: 10 }, offlineStore: { tableFormat: 'Iceberg' } }, SESSIONS] });
      const warn: string = AnnotationMetadataEntryType.WARN;
      expect(fs.node.metadata.filter((m) => m.type === warn).map((m) => /^\[([^\]]+)\]/.exec(String(m.data))?.[1])).toEqual([
        'cdk-mlops:k8s-not-rendered-featureGroups.0.throughput',
        'cdk-mlops:k8s-not-rendered-featureGroups.0.offlineStore.tableFormat',
      ]);
      expect(build(new TerraformStack(Testing.app(), 'T')).node.metadata.filter((m) => m.type === warn)).toEqual([]);
    });
  });
});
