import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { MlflowServer, ModelRegistry, ModelRegistryProps } from '../../../constructs/kubernetes';
import { expectValidationError, Json, ofKind, only, podSpecOf, synth, validateAll } from './helpers';

const MLFLOW = 'ghcr.io/acme/mlflow-postgres:2.22.1';
const WARN: string = AnnotationMetadataEntryType.WARN;
const base = { namespace: 'ml', partOf: 'platform', mlflowImage: MLFLOW };
const build = (scope: Construct, props: Partial<ModelRegistryProps> & Record<string, unknown> = {}) => new ModelRegistry(scope, 'Registry', { ...base, ...props });
const registry = (props: Partial<ModelRegistryProps> & Record<string, unknown> = {}) => synth((scope) => { build(scope, props); });
const byName = (objects: (Json & { metadata: Json })[], name: string) => objects.find((o) => o.metadata.name === name)!;

describe('ModelRegistry (Kubernetes)', () => {
  it('runs an MLflow tracking server on PostgreSQL, every object a valid API object', () => {
    const { tf } = registry({ name: 'churn' });
    expect(Object.keys(tf.resource).sort()).toEqual([
      'kubernetes_deployment_v1', 'kubernetes_network_policy_v1', 'kubernetes_persistent_volume_claim_v1',
      'kubernetes_service_account_v1', 'kubernetes_service_v1', 'kubernetes_stateful_set_v1',
    ]);
    expect(validateAll(tf)).toBe(9);
  });

  it('names the registered model after the spec and gives its versions models:/ URIs', () => {
    synth((scope) => {
      const r = build(scope, { name: 'churn' });
      expect(r.registeredModelName).toBe('churn');
      expect(r.modelUri(7)).toBe('models:/churn/7');
      expect(r.server.trackingUri).toBe('http://mlflow:5000');
    });
  });

  it('names the registered model after its construct path when the spec gives no name', () => {
    synth((scope) => {
      const r = build(scope);
      expect(r.registeredModelName).toBe(r.node.path.replace(/\//g, '-'));
      expect(r.registeredModelName).toMatch(/Registry$/);
    });
  });

  describe('PostgreSQL', () => {
    it('keeps its volume when the StatefulSet is deleted or scaled down', () => {
      const { json } = registry();
      expect(json).toHaveResourceWithProperties(StatefulSetV1, {
        spec: expect.objectContaining({
          persistent_volume_claim_retention_policy: [{ when_deleted: 'Retain', when_scaled: 'Retain' }],
          volume_claim_template: [expect.objectContaining({ spec: expect.objectContaining({ access_modes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } }) })],
        }),
      });
    });

    it('reads its credentials from an existing Secret, so the password never enters the Terraform state', () => {
      const { tf } = registry({ databaseSecretName: 'registry-db' });
      expect(tf.resource.kubernetes_secret_v1).toBeUndefined();
      const env = podSpecOf(ofKind(tf, 'StatefulSet')[0]).containers[0].env as Json[];
      expect(env).toContainEqual({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'registry-db', key: 'password' } } });
      expect(JSON.stringify(tf)).not.toMatch(/POSTGRES_PASSWORD","value"/);
    });

    it('runs restricted as the postgres user with writable scratch for its socket', () => {
      const pod = podSpecOf(ofKind(registry().tf, 'StatefulSet')[0]);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
      expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(pod.containers[0].volumeMounts).toEqual(expect.arrayContaining([{ name: 'run', mountPath: '/var/run/postgresql' }, { name: 'data', mountPath: '/var/lib/postgresql/data' }]));
    });

    it('admits only the tracking server to the database port', () => {
      const policy = byName(ofKind(registry().tf, 'NetworkPolicy'), 'mlflow-db') as unknown as { spec: Json };
      expect(policy.spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mlflow-db', 'app.kubernetes.io/component': 'database' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: MlflowServer.selectorFor('mlflow') } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
      });
    });
  });

  describe('tracking server', () => {
    it('passes the backend URI in MLFLOW_BACKEND_STORE_URI, built from the Secret by $(VAR) expansion in the env, never on the command line', () => {
      const c = podSpecOf(ofKind(registry().tf, 'Deployment')[0]).containers[0] as Json & { args: string[]; env: Json[] };
      expect(c.args).toEqual(expect.arrayContaining(['--serve-artifacts', '--artifacts-destination', '/mlartifacts']));
      expect(c.args.join(' ')).not.toMatch(/backend-store-uri|DB_PASSWORD|postgresql/);
      expect(c.env).toContainEqual({ name: 'MLFLOW_BACKEND_STORE_URI', value: 'postgresql://$(DB_USER):$(DB_PASSWORD)@mlflow-db:5432/mlflow' });
      // Kubernetes expands $(VAR) only from variables defined before: the credentials come first.
      const names = c.env.map((e) => e.name);
      expect(names.indexOf('DB_PASSWORD')).toBeLessThan(names.indexOf('MLFLOW_BACKEND_STORE_URI'));
      expect(c.env).toContainEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'mlflow-db', key: 'password' } } });
    });

    it('keeps artifacts on a retained volume claim that does not block apply waiting for a consumer', () => {
      const claim = only(registry().tf, 'kubernetes_persistent_volume_claim_v1');
      expect(claim.lifecycle).toEqual({ prevent_destroy: true });
      expect(claim.wait_until_bound).toBe(false);
      expect((claim.spec as Json).resources).toEqual({ requests: { storage: '100Gi' } });
    });

    it('recreates (never surges) a server whose artifacts volume is ReadWriteOnce', () => {
      expect((ofKind(registry().tf, 'Deployment')[0].spec as Json).strategy).toEqual({ type: 'Recreate' });
    });

    it('can store artifacts at an S3-compatible URI instead, with credentials from a Secret and HTTPS egress', () => {
      const { tf } = registry({ artifacts: { uri: 's3://mlflow-artifacts', endpointUrl: 'https://minio.storage:9000', credentialsSecretName: 'mlflow-s3' } });
      expect(tf.resource.kubernetes_persistent_volume_claim_v1).toBeUndefined();
      const c = podSpecOf(ofKind(tf, 'Deployment')[0]).containers[0] as Json & { args: string[]; env: Json[] };
      expect(c.args).toEqual(expect.arrayContaining(['--artifacts-destination', 's3://mlflow-artifacts']));
      expect(c.env).toContainEqual({ name: 'MLFLOW_S3_ENDPOINT_URL', value: 'https://minio.storage:9000' });
      expect(c.env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'mlflow-s3', key: 'secret-access-key' } } });
      const policy = byName(ofKind(tf, 'NetworkPolicy'), 'mlflow') as unknown as { spec: { egress: unknown[] } };
      expect(policy.spec.egress).toContainEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
    });

    it('admits only labelled clients, and reaches only its database', () => {
      const policy = byName(ofKind(registry().tf, 'NetworkPolicy'), 'mlflow') as unknown as { spec: Json };
      expect(policy.spec).toEqual({
        podSelector: { matchLabels: MlflowServer.selectorFor('mlflow') },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { 'mlops.cdk.io/mlflow-client': 'true' } } }], ports: [{ port: 5000, protocol: 'TCP' }] }, { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [{ port: 5000, protocol: 'TCP' }] }],
        egress: [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mlflow-db', 'app.kubernetes.io/component': 'database' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
      });
    });

    it('uses an external database from a Secret when given one', () => {
      const { tf } = synth((scope) => {
        new MlflowServer(scope, 'Server', { namespace: 'ml', name: 'tracking', partOf: 'p', image: MLFLOW, database: { uriSecretName: 'tracking-db' }, artifacts: { volumeGiB: 10 } });
      });
      expect(tf.resource.kubernetes_stateful_set_v1).toBeUndefined();
      const c = podSpecOf(ofKind(tf, 'Deployment')[0]).containers[0] as Json & { args: string[]; env: Json[] };
      expect(c.args.join(' ')).not.toMatch(/backend-store-uri/);
      expect(c.env).toContainEqual({ name: 'MLFLOW_BACKEND_STORE_URI', valueFrom: { secretKeyRef: { name: 'tracking-db', key: 'uri' } } });
      expect(validateAll(tf)).toBe(5);
    });

    it('shares a server: a second registry creates no objects of its own', () => {
      const { tf } = synth((scope) => {
        const first = build(scope, { name: 'churn' });
        const second = new ModelRegistry(scope, 'Second', { namespace: 'ml', partOf: 'platform', name: 'fraud', server: first.server });
        expect(second.server).toBe(first.server);
        expect(second.reservation).toBeUndefined();
        expect(second.modelUri(1)).toBe('models:/fraud/1');
      });
      expect(Object.keys(tf.resource.kubernetes_deployment_v1)).toHaveLength(1);
    });
  });

  describe('AWS-only fields', () => {
    it('warns that notifyOn (EventBridge) is not rendered', () => {
      const stack = new TerraformStack(Testing.app(), 'S');
      const r = build(stack, { notifyOn: ['Approved'] });
      expect(r.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data))).toEqual([expect.stringContaining('k8s-aws-only-notify-on')]);
    });

    it('warns that a description is not rendered (MLflow creates the registered model at its first registration)', () => {
      const r = build(new TerraformStack(Testing.app(), 'S'), { description: 'Churn classifier' });
      expect(r.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data))).toEqual([expect.stringMatching(/^\[cdk-mlops:k8s-not-rendered-description\]/)]);
    });

    it('rejects cross-account read access, which has no meaning for MLflow', () => {
      expectValidationError(() => registry({ crossAccountReadAccountIds: ['123456789012'] }), 'ModelRegistry', { path: 'crossAccountReadAccountIds', message: /AWS-only/ });
    });
  });

  describe('rejected input', () => {
    it('rejects a registry without a server or an MLflow image', () => {
      expectValidationError(() => registry({ mlflowImage: undefined }), 'ModelRegistry', { path: 'mlflowImage', message: /required/ });
    });

    it('rejects a registry name that is not a SageMaker-compatible name (the same spec as on AWS)', () => {
      expectValidationError(() => registry({ name: 'churn model' }), 'ModelRegistry', { path: 'name' });
    });
  });
});
