import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ModelEndpoint, ModelEndpointProps, ModelRegistry } from '../../../constructs/kubernetes';
import { EndpointSpecInput } from '../../../lib/spec';
import { expectValidationError, Json, KINDS, ofKind, only, podSpecOf, synth, toApiObject, validateAll } from './helpers';

const IMAGE = 'ghcr.io/acme/churn:1.4.0';
const WARN: string = AnnotationMetadataEntryType.WARN;
const CPU: EndpointSpecInput = { compute: { instanceType: 'ml.m5.large' }, kubernetes: { image: IMAGE } };
/** 1 x NVIDIA A10G, 16 GiB. */
const GPU: EndpointSpecInput = { compute: { accelerator: { type: 'nvidia-a10g', count: 1 } }, kubernetes: { image: IMAGE } };
const SERVERLESS: EndpointSpecInput = { compute: { serverless: { memoryMiB: 2048, maxConcurrency: 10 } }, kubernetes: { image: IMAGE } };

type Input = Partial<ModelEndpointProps> & Record<string, unknown>;
function build(scope: Construct, input: Input, registry?: ModelRegistry): ModelEndpoint {
  return new ModelEndpoint(scope, 'Endpoint', { namespace: 'ml', name: 'churn', partOf: 'platform', ...(input as EndpointSpecInput), source: registry ? { registry, version: 3 } : undefined });
}
const endpoint = (input: Input) => synth((scope) => { build(scope, input); });
const deploymentOf = (input: Input) => ofKind(endpoint(input).tf, 'Deployment')[0];
const containerOf = (input: Input) => podSpecOf(deploymentOf(input)).containers[0] as Json & { resources: { requests: Json; limits: Json }; securityContext: Json };

/** The ingress rule that lets kube-prometheus-stack's Prometheus scrape `port`. */
const PROMETHEUS_SCRAPE = (port: number) => ({
  from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
  ports: [{ port, protocol: 'TCP' }],
});

describe('ModelEndpoint (Kubernetes)', () => {
  describe('objects', () => {
    it('creates a ServiceAccount, Deployment, Service, HPA, PodDisruptionBudget and NetworkPolicy, all valid API objects', () => {
      const { tf } = endpoint({ ...CPU, scaling: { minInstances: 2, maxInstances: 4 } });
      expect(Object.keys(tf.resource).sort()).toEqual([
        'kubernetes_deployment_v1', 'kubernetes_horizontal_pod_autoscaler_v2', 'kubernetes_network_policy_v1',
        'kubernetes_pod_disruption_budget_v1', 'kubernetes_service_account_v1', 'kubernetes_service_v1',
      ]);
      expect(validateAll(tf)).toBe(6);
    });

    it('validation catches a malformed object (the validator can fail)', () => {
      const d = only(endpoint(CPU).tf, 'kubernetes_deployment_v1');
      const broken = JSON.parse(JSON.stringify(d)) as { spec: { template: { spec: { container: { port: { container_port: unknown }[] }[] } } } };
      broken.spec.template.spec.container[0].port[0].container_port = 'http';
      expect(() => KINDS.kubernetes_deployment_v1.validate(toApiObject('kubernetes_deployment_v1', broken as unknown as Json))).toThrow(/containerPort/);
    });

    it("makes the Deployment the primary child 'Resource'", () => {
      synth((scope) => {
        const ep = build(scope, CPU);
        expect(ep.resource!.node.id).toBe('Resource');
      });
    });

    it('uses its own ServiceAccount without a mounted token', () => {
      const { json, tf } = endpoint(CPU);
      expect(json).toHaveResourceWithProperties(ServiceAccountV1, { automount_service_account_token: false });
      const pod = podSpecOf(ofKind(tf, 'Deployment')[0]);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toMatch(/kubernetes_service_account_v1\..*\.metadata\[0\]\.name/);
    });

    it('fixes the replica count and creates no HPA when min equals max', () => {
      const { tf } = endpoint({ ...CPU, scaling: { minInstances: 2 } });
      expect(tf.resource.kubernetes_horizontal_pod_autoscaler_v2).toBeUndefined();
      const d = only(tf, 'kubernetes_deployment_v1');
      expect((d.spec as Json).replicas).toBe('2');
      expect(d.lifecycle).toBeUndefined();
    });
  });

  describe('security', () => {
    it('runs the model restricted: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
      const d = deploymentOf(CPU);
      const pod = podSpecOf(d);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0].securityContext).toEqual({
        runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    it('mounts an emptyDir at /tmp for a read-only root filesystem, and points HOME there', () => {
      const pod = podSpecOf(deploymentOf(CPU));
      expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.containers[0].env).toContainEqual({ name: 'HOME', value: '/tmp' });
    });
  });

  describe('sizing and GPU scheduling', () => {
    it('requests 3/4 of the instance type and limits memory to the request (ml.m5.large: 2 vCPUs, 8 GiB)', () => {
      const c = containerOf(CPU);
      expect(c.resources).toEqual({ requests: { cpu: '1500m', memory: '6144Mi' }, limits: { memory: '6144Mi' } });
    });

    it('asks for the GPUs of the accelerator intent, tolerates the GPU taint and selects the GPU product', () => {
      const d = deploymentOf(GPU);
      const pod = podSpecOf(d);
      const c = pod.containers[0] as Json & { resources: { limits: Json; requests: Json } };
      expect(c.resources.limits['nvidia.com/gpu']).toBe('1');
      expect(c.resources.requests['nvidia.com/gpu']).toBe('1');
      expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A10G' });
    });

    it('gives GPU pods a memory-backed /dev/shm', () => {
      const pod = podSpecOf(deploymentOf(GPU));
      expect(pod.volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: expect.stringMatching(/Mi$/) } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    });

    it('asks for 4 GPUs of a 4-GPU instance type (ml.g5.12xlarge)', () => {
      const c = containerOf({ compute: { instanceType: 'ml.g5.12xlarge' }, kubernetes: { image: IMAGE } });
      expect(c.resources.limits['nvidia.com/gpu']).toBe('4');
    });

    it('asks for the 2 GPUs of { count: 2 }, not the 8 of the type it resolves to, with 2/8 of its CPU and memory', () => {
      // 2 x A100 resolves to ml.p4d.24xlarge: 8 GPUs, 96 vCPUs, 1152 GiB; 3/4 of it is 72 cores and 864 GiB.
      const c = containerOf({ compute: { accelerator: { type: 'nvidia-a100', count: 2 } }, kubernetes: { image: IMAGE } });
      expect(c.resources).toEqual({
        requests: { cpu: '18000m', memory: `${(864 * 1024) / 4}Mi`, 'nvidia.com/gpu': '2' },
        limits: { memory: `${(864 * 1024) / 4}Mi`, 'nvidia.com/gpu': '2' },
      });
    });

    it('requests the memory and vCPUs an intent names when they exceed the GPU share', () => {
      const c = containerOf({ compute: { accelerator: { type: 'nvidia-a100', count: 1 }, memoryGiB: 300, vCpus: 40 }, kubernetes: { image: IMAGE } });
      expect(c.resources.requests).toMatchObject({ cpu: '40000m', memory: `${300 * 1024}Mi`, 'nvidia.com/gpu': '1' });
    });

    it('sizes the KServe predictor the same way', () => {
      const app = Testing.app();
      const crds = new TerraformStack(app, 'crds');
      const typed = new TerraformStack(app, 'typed');
      new ModelEndpoint(typed, 'Endpoint', { namespace: 'ml', name: 'm', partOf: 'p', compute: { accelerator: { type: 'nvidia-a100', count: 2 } }, kubernetes: { image: IMAGE, serving: 'kserve' }, crdScope: { scope: crds, namespace: 'ml' } });
      const tf = JSON.parse(Testing.synth(crds)) as { resource: { kubernetes_manifest: Record<string, { manifest: { spec: { predictor: { containers: { resources: Json }[] } } } }> } };
      const [m] = Object.values(tf.resource.kubernetes_manifest);
      expect(m.manifest.spec.predictor.containers[0].resources).toEqual({
        requests: { cpu: '18000m', memory: `${(864 * 1024) / 4}Mi`, 'nvidia.com/gpu': '2' },
        limits: { memory: `${(864 * 1024) / 4}Mi`, 'nvidia.com/gpu': '2' },
      });
    });

    describe('GPU node labels', () => {
      const L4: EndpointSpecInput = { compute: { accelerator: { type: 'nvidia-l4' } }, kubernetes: { image: IMAGE } };
      const podWith = (input: EndpointSpecInput, acceleratorNodeLabel: ModelEndpointProps['acceleratorNodeLabel']) => podSpecOf(ofKind(synth((scope) => {
        new ModelEndpoint(scope, 'Endpoint', { namespace: 'ml', name: 'm', partOf: 'p', ...input, acceleratorNodeLabel });
      }).tf, 'Deployment')[0]);

      it("selects GKE's cloud.google.com/gke-accelerator", () => {
        expect(podWith(L4, 'gke').nodeSelector).toEqual({ 'cloud.google.com/gke-accelerator': 'nvidia-l4' });
      });

      it("selects Karpenter's instance-gpu-name, with the GPU memory where the name covers two models", () => {
        expect(podWith(L4, 'karpenter').nodeSelector).toEqual({ 'karpenter.k8s.aws/instance-gpu-name': 'l4' });
        expect(podWith({ compute: { accelerator: { type: 'nvidia-a100-80gb' } }, kubernetes: { image: IMAGE } }, 'karpenter').nodeSelector)
          .toEqual({ 'karpenter.k8s.aws/instance-gpu-name': 'a100', 'karpenter.k8s.aws/instance-gpu-memory': '81920' });
      });

      it("selects a label of the cluster's own, and nothing with 'none' (the taint and the GPU request still apply)", () => {
        expect(podWith(L4, { key: 'acme.io/gpu', values: { 'nvidia-l4': 'l4-24g' } }).nodeSelector).toEqual({ 'acme.io/gpu': 'l4-24g' });
        const none = podWith(L4, 'none');
        expect(none.nodeSelector).toBeUndefined();
        expect(none.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      });

      it('rejects a labelling with no value for the accelerator, naming the field', () => {
        expectValidationError(() => podWith(GPU, 'gke'), 'ModelEndpoint', { path: 'acceleratorNodeLabel', message: /gke.*nvidia-a10g/ });
        expectValidationError(() => podWith(GPU, { key: 'acme.io/gpu', values: { 'nvidia-l4': 'l4' } }), 'ModelEndpoint', { path: 'acceleratorNodeLabel' });
      });
    });

    it('schedules Inferentia on Neuron devices of inf2 nodes', () => {
      const d = deploymentOf({ compute: { accelerator: { type: 'aws-inferentia2' } }, kubernetes: { image: IMAGE } });
      const pod = podSpecOf(d);
      expect((pod.containers[0] as { resources: { limits: Json } }).resources.limits['aws.amazon.com/neuron']).toBe('1');
      expect(pod.nodeSelector).toEqual({ 'karpenter.k8s.aws/instance-family': 'inf2' });
      expect(pod.tolerations).toEqual([{ key: 'aws.amazon.com/neuron', operator: 'Exists', effect: 'NoSchedule' }]);
    });

    it('neither tolerates nor selects GPU nodes for a CPU model', () => {
      const pod = podSpecOf(deploymentOf(CPU));
      expect(pod.tolerations).toBeUndefined();
      expect(pod.nodeSelector).toBeUndefined();
    });

    it('takes explicit cpu and memory from the kubernetes section', () => {
      const c = containerOf({ ...CPU, kubernetes: { image: IMAGE, cpu: '0.5', memoryMiB: 1024 } });
      expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '1024Mi' }, limits: { memory: '1024Mi' } });
    });

    it('renders serverless as CPU pods of the serverless memory, scaled between 1 and maxConcurrency', () => {
      const { tf } = endpoint(SERVERLESS);
      const c = podSpecOf(ofKind(tf, 'Deployment')[0]).containers[0] as { resources: unknown };
      expect(c.resources).toEqual({ requests: { cpu: '1000m', memory: '2048Mi' }, limits: { memory: '2048Mi' } });
      expect(ofKind(tf, 'HorizontalPodAutoscaler')[0].spec).toMatchObject({ minReplicas: 1, maxReplicas: 10 });
    });

    it('keeps provisioned concurrency warm as the minimum replica count', () => {
      const { tf } = endpoint({ ...SERVERLESS, compute: { serverless: { memoryMiB: 2048, maxConcurrency: 10, provisionedConcurrency: 3 } } });
      expect(ofKind(tf, 'HorizontalPodAutoscaler')[0].spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    });
  });

  describe('probes and rollout', () => {
    it('probes the health path: startup covers model loading, then readiness and liveness', () => {
      const c = containerOf({ ...CPU, kubernetes: { image: IMAGE, healthPath: '/health', startupTimeoutSeconds: 300, port: 8000 } });
      expect(c.startupProbe).toMatchObject({ httpGet: { path: '/health', port: 'http' }, periodSeconds: 10, failureThreshold: 30 });
      expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/health', port: 'http' } });
      expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/health', port: 'http' } });
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    });

    it("probes /ping on 8080 by default (SageMaker's serving contract)", () => {
      const c = containerOf(CPU);
      expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/ping' } });
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    });

    it('never drops capacity during a rollout: maxUnavailable 0, and all-at-once surges a whole new fleet', () => {
      expect((deploymentOf(CPU).spec as Json).strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '100%' } });
    });

    it.each([
      ['canary', { strategy: 'canary' as const, canaryPercent: 10 }, '10%'],
      ['linear', { strategy: 'linear' as const, linearStepPercent: 25 }, '25%'],
      ['rolling', { strategy: 'rolling' as const, rollingBatchPercent: 20 }, '20%'],
    ])('surges by the %s step', (_name, deployment, surge) => {
      const spec = deploymentOf({ ...CPU, deployment }).spec as Json;
      expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: surge } });
    });

    it('bakes each new pod for waitIntervalSeconds (minReadySeconds) within a progress deadline that covers it', () => {
      const spec = deploymentOf({ ...CPU, deployment: { strategy: 'canary', waitIntervalSeconds: 900 } }).spec as Json;
      expect(spec.minReadySeconds).toBe(900);
      expect(spec.progressDeadlineSeconds).toBeGreaterThan(900 + 600);
    });

    it('waits for the rollout on purpose, with a timeout sized to the steps', () => {
      const d = only(endpoint({ ...CPU, scaling: { minInstances: 2, maxInstances: 4 }, deployment: { strategy: 'linear', linearStepPercent: 50, waitIntervalSeconds: 60 } }).tf, 'kubernetes_deployment_v1');
      expect(d.wait_for_rollout).toBe(true);
      // 2 steps x (600 s startup + 60 s bake) + 5 min.
      expect(d.timeouts).toEqual({ create: '27m', update: '27m' });
    });

    it('can be told not to wait for the rollout', () => {
      expect(only(endpoint({ ...CPU, kubernetes: { image: IMAGE, waitForRollout: false } }).tf, 'kubernetes_deployment_v1').wait_for_rollout).toBe(false);
    });

    it('leaves the replica count to the HPA once it scales', () => {
      const d = only(endpoint({ ...CPU, scaling: { minInstances: 2, maxInstances: 4, initialInstances: 3 } }).tf, 'kubernetes_deployment_v1');
      expect((d.spec as Json).replicas).toBe('3');
      expect(d.lifecycle).toEqual({ ignore_changes: ['spec[0].replicas'] });
    });
  });

  describe('autoscaling and disruption', () => {
    it('scales between the spec bounds on CPU, with the cooldowns as stabilization windows', () => {
      const { tf } = endpoint({ ...CPU, scaling: { minInstances: 2, maxInstances: 6, scaleInCooldownSeconds: 600, scaleOutCooldownSeconds: 30 } });
      const [hpa] = ofKind(tf, 'HorizontalPodAutoscaler');
      expect(hpa.spec).toMatchObject({
        minReplicas: 2, maxReplicas: 6,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment' },
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        behavior: { scaleUp: { stabilizationWindowSeconds: 30 }, scaleDown: { stabilizationWindowSeconds: 600 } },
      });
    });

    it('adds per-pod custom metrics: requests per second from targetInvocationsPerInstance, and GPU utilization', () => {
      const { tf } = endpoint({
        ...GPU,
        kubernetes: { image: IMAGE, requestsPerSecondMetric: 'http_requests_per_second' },
        scaling: { minInstances: 1, maxInstances: 3, targetInvocationsPerInstance: 90, targetGpuUtilizationPercent: 70 },
      });
      const metrics = (ofKind(tf, 'HorizontalPodAutoscaler')[0].spec as { metrics: unknown[] }).metrics;
      expect(metrics).toContainEqual({ type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '1500m' } } });
      expect(metrics).toContainEqual({ type: 'Pods', pods: { metric: { name: 'DCGM_FI_DEV_GPU_UTIL' }, target: { type: 'AverageValue', averageValue: '70' } } });
    });

    it('lets a node drain evict one pod at a time', () => {
      const [pdb] = ofKind(endpoint(CPU).tf, 'PodDisruptionBudget');
      expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'model-endpoint' } } });
    });
  });

  describe('network', () => {
    const policyOf = (input: Input, registry = false) => {
      const { tf } = synth((scope) => {
        const r = registry ? new ModelRegistry(scope, 'Registry', { namespace: 'ml', partOf: 'platform', name: 'churn', mlflowImage: 'ghcr.io/acme/mlflow:2.22.1' }) : undefined;
        build(scope, input, r);
      });
      return ofKind(tf, 'NetworkPolicy').find((p) => p.metadata.name === 'churn')! as unknown as { spec: { ingress: unknown[]; egress?: unknown[]; policyTypes: string[] } };
    };

    it("admits the endpoint's port from its own namespace and the listed ones only", () => {
      const p = policyOf({ ...CPU, kubernetes: { image: IMAGE, allowFromNamespaces: ['ingress-nginx'] } });
      expect(p.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(p.spec.ingress).toEqual([{
        from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      }, PROMETHEUS_SCRAPE(8080)]);
    });

    it('gives a network-isolated model no egress at all, not even DNS', () => {
      const { tf } = endpoint(CPU);
      const p = ofKind(tf, 'NetworkPolicy')[0] as unknown as { spec: Json };
      expect(p.spec.egress).toBeUndefined();
      const labels = (ofKind(tf, 'Deployment')[0].spec as { template: { metadata: { labels: Json } } }).template.metadata.labels;
      expect(labels['mlops.cdk.io/network-isolation']).toBe('true');
    });

    it('allows all egress when networkIsolation is false', () => {
      expect(policyOf({ ...CPU, networkIsolation: false }).spec.egress).toEqual([{}]);
    });

    it('loads a registry version: MLflow URIs in the env, client label, and egress to the tracking server only', () => {
      const { tf } = synth((scope) => {
        const r = new ModelRegistry(scope, 'Registry', { namespace: 'ml', partOf: 'platform', name: 'churn', mlflowImage: 'ghcr.io/acme/mlflow:2.22.1' });
        build(scope, CPU, r);
      });
      const d = ofKind(tf, 'Deployment').find((o) => o.metadata.name === 'churn')!;
      const env = podSpecOf(d).containers[0].env;
      expect(env).toContainEqual({ name: 'MODEL_URI', value: 'models:/churn/3' });
      expect(env).toContainEqual({ name: 'MLFLOW_TRACKING_URI', value: 'http://mlflow:5000' });
      const labels = (d.spec as { template: { metadata: { labels: Json } } }).template.metadata.labels;
      expect(labels['mlops.cdk.io/mlflow-client']).toBe('true');
      expect(labels['mlops.cdk.io/network-isolation']).toBeUndefined();
      const p = ofKind(tf, 'NetworkPolicy').find((o) => o.metadata.name === 'churn')! as unknown as { spec: Json };
      expect(p.spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mlflow', 'app.kubernetes.io/component': 'tracking-server' } } }], ports: [{ port: 5000, protocol: 'TCP' }] }]);
    });
  });

  describe('AWS-only fields', () => {
    it('warns that dataCapture is not rendered without a capture receiver, and not about alarms (EndpointObservability renders them)', () => {
      const stack = new TerraformStack(Testing.app(), 'S');
      const ep = build(stack, { ...CPU, dataCapture: { samplingPercent: 10 }, alarms: { latencyP99Ms: 200 } });
      const warnings = ep.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data));
      expect(warnings).toEqual([expect.stringContaining('k8s-aws-only-dataCapture')]);
    });

    it('warns that variantName and terminationWaitSeconds are not rendered on Kubernetes', () => {
      const stack = new TerraformStack(Testing.app(), 'S');
      const ep = build(stack, { ...CPU, variantName: 'Primary', deployment: { terminationWaitSeconds: 60 } });
      const warnings = ep.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data));
      expect(warnings).toEqual([expect.stringContaining('k8s-aws-only-variantName'), expect.stringContaining('k8s-aws-only-terminationWaitSeconds')]);
    });

    it('warns about nothing when the spec has no AWS-only sections', () => {
      const stack = new TerraformStack(Testing.app(), 'S');
      const ep = build(stack, CPU);
      expect(ep.node.metadata.filter((m) => m.type === WARN)).toEqual([]);
    });
  });

  describe('rejected input', () => {
    it('rejects asynchronous inference, which neither a Deployment nor KServe offers', () => {
      expectValidationError(() => endpoint({ ...CPU, async: {} }), 'ModelEndpoint', { path: 'async', message: /not supported on Kubernetes/ });
    });

    it('rejects a shadow variant, which KServe cannot mirror traffic to', () => {
      expectValidationError(() => endpoint({ ...CPU, shadow: { source: { registryVersion: 2 } } }), 'ModelEndpoint', { path: 'shadow', message: /does not copy it/ });
    });

    it('rejects an endpoint without a Kubernetes image', () => {
      expectValidationError(() => endpoint({ compute: { instanceType: 'ml.m5.large' } }), 'ModelEndpoint', { path: 'kubernetes.image', message: /required on Kubernetes/ });
    });

    it('rejects an object name that is not a DNS label', () => {
      expectValidationError(() => synth((scope) => { new ModelEndpoint(scope, 'Endpoint', { ...CPU, namespace: 'ml', name: 'Churn_Model', partOf: 'p' }); }), 'ModelEndpoint', { path: 'name' });
    });

    it('rejects a partOf that is not a label value', () => {
      expectValidationError(() => synth((scope) => { new ModelEndpoint(scope, 'Endpoint', { ...CPU, namespace: 'ml', name: 'churn', partOf: 'my platform' }); }), 'ModelEndpoint', { path: 'partOf' });
    });

    it("rejects an image pinned to 'latest'", () => {
      expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: 'ghcr.io/acme/churn:latest' } }), 'ModelEndpoint', { path: 'kubernetes.image' });
    });

    it('rejects an image without a tag or digest', () => {
      expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: 'ghcr.io/acme/churn' } }), 'ModelEndpoint', { path: 'kubernetes.image' });
    });

    it('rejects a port out of range', () => {
      expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: IMAGE, port: 70000 } }), 'ModelEndpoint', { path: 'kubernetes.port' });
    });

    it('rejects a privileged port, which a non-root container without capabilities cannot bind', () => {
      const err = expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: IMAGE, port: 80 } }), 'ModelEndpoint', { path: 'kubernetes.port' });
      expect(err.message).toContain('≥ 1024');
    });

    it('rejects a health path that is not a path', () => {
      expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: IMAGE, healthPath: 'ping' } }), 'ModelEndpoint', { path: 'kubernetes.healthPath' });
    });

    it('rejects a namespace that is not a DNS label in allowFromNamespaces', () => {
      expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: IMAGE, allowFromNamespaces: ['Ingress_Nginx'] } }), 'ModelEndpoint', { path: 'kubernetes.allowFromNamespaces[0]' });
    });

    it('rejects a CPU quantity Kubernetes does not read', () => {
      expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: IMAGE, cpu: '2 cores' } }), 'ModelEndpoint', { path: 'kubernetes.cpu' });
    });

    it('rejects an unknown field in the kubernetes section with a did-you-mean', () => {
      expectValidationError(() => endpoint({ ...CPU, kubernetes: { image: IMAGE, helthPath: '/ping' } as never }), 'ModelEndpoint', { path: 'kubernetes.helthPath', message: /healthPath/ });
    });

    it('rejects the shared spec problems as the AWS target does (max below min)', () => {
      expectValidationError(() => endpoint({ ...CPU, scaling: { minInstances: 3, maxInstances: 2 } }), 'ModelEndpoint', { path: 'scaling.maxInstances' });
    });
  });
});
