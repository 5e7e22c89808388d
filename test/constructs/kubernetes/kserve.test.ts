import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ModelEndpoint } from '../../../constructs/kubernetes';
import { EndpointSpecInput } from '../../../lib/spec';
import { expectValidationError, Json, manifests, ofKind, Synth, validateAgainstCrd, validateAll, validateManifests } from './helpers';

const IMAGE = 'ghcr.io/acme/support-assistant:2.4.0';
const WARN: string = AnnotationMetadataEntryType.WARN;
const KSERVE: EndpointSpecInput = {
  compute: { accelerator: { type: 'nvidia-a10g', count: 1 } },
  scaling: { minInstances: 2, maxInstances: 6 },
  deployment: { strategy: 'canary', canaryPercent: 10 },
  kubernetes: { image: IMAGE, serving: 'kserve', healthPath: '/health' },
};

/** The endpoint in a typed stack, its InferenceService in a CRD stack, as the platform lays them out. */
function kserve(input: EndpointSpecInput = KSERVE): { typed: Synth; crds: Synth; endpoint: ModelEndpoint } {
  const app = Testing.app();
  const typed = new TerraformStack(app, 'typed');
  const crds = new TerraformStack(app, 'crds');
  const endpoint = new ModelEndpoint(typed, 'Endpoint', { ...input, namespace: 'ml', name: 'support-assistant', partOf: 'p', crdScope: { scope: new Construct(crds, 'support-assistant'), namespace: 'ml' } });
  return { typed: JSON.parse(Testing.synth(typed)) as Synth, crds: JSON.parse(Testing.synth(crds)) as Synth, endpoint };
}

const predictorOf = (crds: Synth) => manifests(crds)[0].spec.predictor as Json & { containers: Json[] };

describe('ModelEndpoint served by KServe', () => {
  it('renders an InferenceService that matches the KServe CRD schema, in the CRD stack only', () => {
    const { typed, crds } = kserve();
    expect(validateManifests(crds)).toBe(1);
    expect(typed.resource.kubernetes_manifest).toBeUndefined();
    expect(Object.keys(crds.resource)).toEqual(['kubernetes_manifest']);
  });

  it('the CRD validation can fail: a replica count of the wrong type is refused', () => {
    const m = manifests(kserve().crds)[0];
    const broken = { ...m, spec: { predictor: { ...(m.spec.predictor as Json), minReplicas: 'two' } } };
    expect(validateAgainstCrd(broken)).toEqual(expect.arrayContaining([expect.objectContaining({ instancePath: '/spec/predictor/minReplicas' })]));
  });

  it('leaves the Deployment, Service and HPA to KServe, and keeps the ServiceAccount, PDB and NetworkPolicy typed', () => {
    const { typed } = kserve();
    expect(Object.keys(typed.resource).sort()).toEqual(['kubernetes_network_policy_v1', 'kubernetes_pod_disruption_budget_v1', 'kubernetes_service_account_v1']);
    expect(validateAll(typed)).toBe(3);
  });

  it('uses RawDeployment mode with an HPA, the spec bounds and a rollout that never drops capacity', () => {
    const { crds } = kserve();
    const [m] = manifests(crds);
    expect(m.metadata.annotations).toEqual({ 'serving.kserve.io/deploymentMode': 'RawDeployment', 'serving.kserve.io/autoscalerClass': 'hpa' });
    expect(m.spec.predictor).toMatchObject({
      minReplicas: 2, maxReplicas: 6, scaleMetric: 'cpu', scaleTarget: 70,
      deploymentStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } },
    });
  });

  it('runs the same restricted GPU pod as a Deployment would', () => {
    const p = predictorOf(kserve().crds);
    expect(p.serviceAccountName).toBe('support-assistant');
    expect(p.automountServiceAccountToken).toBe(false);
    expect(p.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(p.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A10G' });
    expect(p.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    const c = p.containers[0] as Json & { resources: { limits: Json } };
    expect(c.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/health', port: 8080 } });
    expect(p.volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: expect.stringMatching(/Mi$/) } });
  });

  it('selects the predictor pods with the typed NetworkPolicy and PDB through the labels it puts on them', () => {
    const { typed, crds } = kserve();
    const labels = predictorOf(crds).labels as Json;
    const [pdb] = ofKind(typed, 'PodDisruptionBudget');
    const selector = ((pdb.spec as Json).selector as { matchLabels: Json }).matchLabels;
    expect(labels).toMatchObject(selector);
  });

  it('waits for the InferenceService to be Ready, as a Deployment rollout is waited for', () => {
    const { crds } = kserve();
    const r = Object.values(crds.resource.kubernetes_manifest)[0];
    expect(r.wait).toEqual({ condition: [{ type: 'Ready', status: 'True' }] });
  });

  it('leaves autoScaling unset, so KServe scales on scaleMetric/scaleTarget, and warns that it drops the cooldowns', () => {
    // KServe's HPA reconciler reads only autoScaling.metrics when autoScaling is set, and always gives
    // the HPA an empty behavior (pkg/controller/v1beta1/inferenceservice/reconcilers/hpa).
    const { crds, endpoint } = kserve({ ...KSERVE, scaling: { minInstances: 2, maxInstances: 6, scaleInCooldownSeconds: 600, scaleOutCooldownSeconds: 30 } });
    expect(predictorOf(crds).autoScaling).toBeUndefined();
    const ids = endpoint.node.metadata.filter((m) => m.type === WARN).map((m) => /^\[([^\]]+)\]/.exec(String(m.data))?.[1]);
    expect(ids).toEqual(['cdk-mlops:k8s-not-rendered-scaling.scaleInCooldownSeconds', 'cdk-mlops:k8s-not-rendered-scaling.scaleOutCooldownSeconds']);
  });

  it('warns, with a stable id each, for the GPU and requests-per-second metrics and the bake time KServe cannot render', () => {
    const { endpoint } = kserve({
      ...KSERVE,
      scaling: { minInstances: 2, maxInstances: 6, targetGpuUtilizationPercent: 60 },
      deployment: { strategy: 'canary', canaryPercent: 10, waitIntervalSeconds: 300 },
      kubernetes: { image: IMAGE, serving: 'kserve', requestsPerSecondMetric: 'http_requests_per_second' },
    });
    const warnings = endpoint.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data));
    expect(warnings.map((w) => /^\[([^\]]+)\]/.exec(w)?.[1]).sort()).toEqual([
      'cdk-mlops:k8s-not-rendered-deployment.waitIntervalSeconds',
      'cdk-mlops:k8s-not-rendered-kubernetes.requestsPerSecondMetric',
      'cdk-mlops:k8s-not-rendered-scaling.targetGpuUtilizationPercent',
    ]);
  });

  it('warns about nothing it renders', () => {
    const { endpoint } = kserve();
    expect(endpoint.node.metadata.filter((m) => m.type === WARN)).toEqual([]);
  });

  it('is refused without a CRD scope to put it in', () => {
    expectValidationError(
      () => new ModelEndpoint(new TerraformStack(Testing.app(), 'S'), 'Endpoint', { ...KSERVE, namespace: 'ml', name: 'x', partOf: 'p' }),
      'ModelEndpoint', { path: 'kubernetes.serving', message: /kserve/ },
    );
  });

  it("rejects a name too long for KServe's '-predictor' suffix", () => {
    expectValidationError(
      () => new ModelEndpoint(new TerraformStack(Testing.app(), 'S'), 'Endpoint', { ...KSERVE, namespace: 'ml', name: 'a'.repeat(54), partOf: 'p' }),
      'ModelEndpoint', { path: 'name', message: /predictor/ },
    );
  });

  it("rejects a serving mode that is neither 'deployment' nor 'kserve'", () => {
    expectValidationError(() => kserve({ ...KSERVE, kubernetes: { image: IMAGE, serving: 'knative' as never } }), 'ModelEndpoint', { path: 'kubernetes.serving' });
  });
});
