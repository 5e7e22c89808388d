import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { MlPipeline, ModelRegistry } from '../../../constructs/kubernetes';
import { podSize, sharedMemory } from '../../../constructs/kubernetes/private/pod';
import { computeSchema } from '../../../lib/spec';
import { Json, manifests, Synth } from './helpers';

const DLC = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311';
const instance = (input: Record<string, unknown>, use: 'inference' | 'training' = 'training') => {
  const c = computeSchema(use, { allowServerless: false }).parse(input);
  if (c.kind !== 'instance') throw new Error('not an instance');
  return c;
};

describe('pod sizing (one place for endpoints and pipelines)', () => {
  it('gives an explicit instance type 3/4 of the instance, all its GPUs', () => {
    const s = podSize(instance({ instanceType: 'ml.p4d.24xlarge' }));
    expect(s).toMatchObject({ cpuMillis: 72000, memoryMiB: 864 * 1024, accelerator: { resourceName: 'nvidia.com/gpu', count: 8 } });
  });

  it('gives an accelerator intent its GPU share of the type it resolves to', () => {
    const s = podSize(instance({ accelerator: { type: 'nvidia-a100', count: 2 } }));
    expect(s.requests).toEqual({ cpu: '18000m', memory: `${216 * 1024}Mi`, 'nvidia.com/gpu': '2' });
    expect(s.limits).toEqual({ memory: `${216 * 1024}Mi`, 'nvidia.com/gpu': '2' });
  });

  it('never requests more than 3/4 of the node, whatever the intent names', () => {
    const c = instance({ memoryGiB: 16 }, 'inference');
    expect(c.info!.memoryGiB).toBe(16);
    expect(podSize(c).memoryMiB).toBe(12 * 1024);
  });

  it('sizes /dev/shm at a quarter of the memory, at most 64 GiB (one rule: endpoints had 16 GiB, pipelines 64 GiB)', () => {
    expect(sharedMemory(8192).sizeLimit).toBe('2048Mi');
    expect(sharedMemory(864 * 1024).sizeLimit).toBe('65536Mi');
    expect(podSize(instance({ instanceType: 'ml.p4d.24xlarge' })).accelerator!.sharedMemory).toEqual({ name: 'dshm', path: '/dev/shm', medium: 'Memory', sizeLimit: '65536Mi' });
  });

  it('asks for the 2 GPUs of a training intent in the pipeline train step, not the 8 of its instance type', () => {
    const app = Testing.app();
    const typed = new TerraformStack(app, 'typed');
    const crds = new TerraformStack(app, 'crds');
    const registry = new ModelRegistry(typed, 'Registry', { name: 'llm', namespace: 'ml', partOf: 'p', mlflowImage: 'ghcr.io/acme/mlflow:2.22.1' });
    new MlPipeline(typed, 'Pipeline', {
      preprocess: { image: DLC },
      train: { image: DLC, compute: { accelerator: { type: 'nvidia-a100', count: 2 } } },
      evaluate: { image: DLC },
      gate: { metric: 'metrics.eval_loss.value', comparison: '<=', threshold: 1.2 },
      namespace: 'ml', name: 'llm', partOf: 'p', registry, mlflowImage: 'ghcr.io/acme/mlflow:2.22.1',
      crdScope: { scope: new Construct(crds, 'llm'), namespace: 'ml' },
      acceleratorNodeLabel: 'gke',
    });
    const template = manifests(JSON.parse(Testing.synth(crds)) as Synth).find((m) => m.kind === 'WorkflowTemplate')!;
    const train = (template.spec.templates as (Json & { name: string; container: { resources: Json } })[]).find((t) => t.name === 'train')!;
    expect(train.container.resources).toEqual({
      requests: { cpu: '18000m', memory: `${216 * 1024}Mi`, 'nvidia.com/gpu': '2' },
      limits: { memory: `${216 * 1024}Mi`, 'nvidia.com/gpu': '2' },
    });
    expect(train.nodeSelector).toEqual({ 'cloud.google.com/gke-accelerator': 'nvidia-tesla-a100' });
  });
});
