import { AnnotationMetadataEntryType } from 'cdktf';
import { TrainingCluster, TrainingClusterProps } from '../../../constructs/kubernetes';
import { expectValidationError, Json, manifests, synth, validateAgainstCrd, validateManifests } from './helpers';

const WARN: string = AnnotationMetadataEntryType.WARN;
/** The reference platform's cluster: a CPU controller and two 8 × H100 nodes. */
const LLM: TrainingClusterProps = {
  name: 'llm',
  namespace: 'mlops-reference',
  partOf: 'mlops-reference',
  lifecycleScriptsUri: 's3://hyperpod/lifecycle/',
  instanceGroups: [
    { name: 'controller', compute: { instanceType: 'ml.m5.2xlarge' }, count: 1, volumeSizeGiB: 100 },
    { name: 'gpu', compute: { accelerator: { type: 'nvidia-h100', count: 8 } }, count: 2 },
  ],
};

type Manifest = ReturnType<typeof manifests>[number];
const render = (props: TrainingClusterProps = LLM) => {
  let cluster: TrainingCluster | undefined;
  const { tf } = synth((scope) => { cluster = new TrainingCluster(scope, 'Cluster', props); });
  return { tf, cluster: cluster!, objects: manifests(tf) };
};
const ofKind = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind);

describe('TrainingCluster (Kubernetes)', () => {
  it('renders ResourceFlavors, a ClusterQueue and a LocalQueue, each matching its Kueue CRD schema', () => {
    const { tf, objects } = render();
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterQueue', 'LocalQueue', 'ResourceFlavor', 'ResourceFlavor']);
    expect(validateManifests(tf)).toBe(4);
  });

  it('the Kueue validation can fail: a ClusterQueue with an unknown queueing strategy is refused', () => {
    const [cq] = ofKind(render().objects, 'ClusterQueue');
    expect(validateAgainstCrd({ ...cq, spec: { ...cq.spec, queueingStrategy: 'Random' } })).toEqual(expect.arrayContaining([expect.objectContaining({ instancePath: '/spec/queueingStrategy' })]));
  });

  it('gives the GPU flavor the GPU product label and the device toleration from the catalog', () => {
    const flavors = ofKind(render().objects, 'ResourceFlavor');
    const gpu = flavors.find((f) => f.metadata.name === 'mlops-reference-llm-nvidia-h100')!;
    expect(gpu.spec).toEqual({ nodeLabels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] });
    const cpu = flavors.find((f) => f.metadata.name === 'mlops-reference-llm-m5-2xlarge')!;
    expect(cpu.spec).toEqual({ nodeLabels: { 'node.kubernetes.io/instance-type': 'm5.2xlarge' } });
  });

  it("labels the GPU flavor as the platform labels its GPU nodes (acceleratorNodeLabel), with no node labels under 'none'", () => {
    const flavor = (props: TrainingClusterProps) => ofKind(render(props).objects, 'ResourceFlavor').find((f) => f.metadata.name === 'mlops-reference-llm-nvidia-h100')!;
    expect(flavor({ ...LLM, acceleratorNodeLabel: 'karpenter' }).spec.nodeLabels).toEqual({ 'karpenter.k8s.aws/instance-gpu-name': 'h100' });
    expect(flavor({ ...LLM, acceleratorNodeLabel: 'none' }).spec).toEqual({ tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] });
  });

  it('rejects an accelerator the node labelling has no value for, naming acceleratorNodeLabel', () => {
    const props: TrainingClusterProps = { ...LLM, acceleratorNodeLabel: { key: 'gpu-model', values: { 'nvidia-a100': 'a100' } } };
    expectValidationError(() => render(props), 'TrainingCluster', { path: 'acceleratorNodeLabel', message: /'gpu-model' has no node label value for 'nvidia-h100'.*instanceGroups\[1\]/ });
  });

  it('sets quotas to the instance groups × counts: 16 H100s, their CPUs and memory', () => {
    const [cq] = ofKind(render().objects, 'ClusterQueue');
    const group = (cq.spec.resourceGroups as { coveredResources: string[]; flavors: { name: string; resources: Json[] }[] }[])[0];
    expect(group.coveredResources).toEqual(['cpu', 'memory', 'nvidia.com/gpu']);
    const gpu = group.flavors.find((f) => f.name.endsWith('nvidia-h100'))!;
    // ml.p5.48xlarge: 192 vCPUs, 2048 GiB, 8 H100s.
    expect(gpu.resources).toEqual([{ name: 'cpu', nominalQuota: 384 }, { name: 'memory', nominalQuota: '4096Gi' }, { name: 'nvidia.com/gpu', nominalQuota: 16 }]);
    const cpu = group.flavors.find((f) => f.name.endsWith('m5-2xlarge'))!;
    expect(cpu.resources).toEqual([{ name: 'cpu', nominalQuota: 8 }, { name: 'memory', nominalQuota: '32Gi' }, { name: 'nvidia.com/gpu', nominalQuota: 0 }]);
  });

  it('admits only the platform namespace, through a LocalQueue there', () => {
    const { objects, cluster } = render();
    const [cq] = ofKind(objects, 'ClusterQueue');
    expect(cq.spec.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'mlops-reference' } });
    const [lq] = ofKind(objects, 'LocalQueue');
    expect(lq.metadata).toMatchObject({ name: 'llm', namespace: 'mlops-reference' });
    expect(lq.spec).toEqual({ clusterQueue: cluster.clusterQueueName });
    expect(cluster.queueName).toBe('llm');
    expect(cluster.acceleratorTypes).toEqual(['nvidia-h100']);
  });

  it('adds up groups of the same accelerator type in one flavor', () => {
    const { objects } = render({ ...LLM, instanceGroups: [
      { name: 'a', compute: { accelerator: { type: 'nvidia-a10g', count: 4 } }, count: 2 },
      { name: 'b', compute: { accelerator: { type: 'nvidia-a10g', count: 4 } }, count: 3 },
    ] });
    expect(ofKind(objects, 'ResourceFlavor')).toHaveLength(1);
    const [cq] = ofKind(objects, 'ClusterQueue');
    expect(JSON.stringify(cq.spec)).toContain('{"name":"nvidia.com/gpu","nominalQuota":20}');
  });

  it('ignores node provisioning fields with a warning', () => {
    const { cluster } = render({ ...LLM, nodeRecovery: 'None', aws: { vpcId: 'vpc-0a1b2c3d' } });
    const warnings = cluster.node.metadata.filter((m) => m.type === WARN).map((m) => String(m.data));
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringContaining('lifecycleScriptsUri'), expect.stringContaining('nodeRecovery'), expect.stringContaining('instanceGroups.volumeSizeGiB'), expect.stringContaining('aws ('),
    ]));
    expect(warnings.some((w) => w.includes('orchestrator'))).toBe(false);
  });

  describe('rejects', () => {
    it('a cluster without an accelerated group, naming the field', () => {
      expectValidationError(() => render({ ...LLM, instanceGroups: [LLM.instanceGroups[0]] }), 'TrainingCluster', { path: 'instanceGroups', message: /accelerated/ });
    });

    it('a namespace that is not a DNS label', () => {
      expectValidationError(() => render({ ...LLM, namespace: 'ML' }), 'TrainingCluster', { path: 'namespace' });
    });

    it('an instance group count of 0', () => {
      expectValidationError(() => render({ ...LLM, instanceGroups: [{ ...LLM.instanceGroups[1], count: 0 }] }), 'TrainingCluster', { path: 'instanceGroups[0].count' });
    });
  });
});
