import * as fc from 'fast-check';
import { ModelEndpoint } from '../../../constructs/kubernetes';
import { ACCELERATOR_TYPES, kubernetesAcceleratorFor, resolveInstanceType } from '../../../lib/catalog';
import { Json, ofKind, podSpecOf, synth } from './helpers';

/** Accelerator intents the catalog can satisfy for inference, with the instance type they resolve to. */
const intents = ACCELERATOR_TYPES.flatMap((type) => [1, 2, 4, 8].flatMap((count) => {
  try {
    return [{ type, count, info: resolveInstanceType({ accelerator: { type, count }, use: 'inference' }) }];
  } catch {
    return [];
  }
}));

describe('ModelEndpoint (Kubernetes) properties', () => {
  it('asks for exactly the accelerators the intent asks for (not the whole instance), on nodes of that model, for any intent the catalog meets', () => {
    fc.assert(fc.property(fc.constantFrom(...intents), ({ type, count, info }) => {
      const { tf } = synth((scope) => {
        new ModelEndpoint(scope, 'Endpoint', { namespace: 'ml', name: 'm', partOf: 'p', compute: { accelerator: { type, count } }, kubernetes: { image: 'ghcr.io/acme/m:1.0.0' } });
      });
      const pod = podSpecOf(ofKind(tf, 'Deployment')[0]);
      const k = kubernetesAcceleratorFor(type);
      const limits = (pod.containers[0] as { resources: { limits: Json } }).resources.limits;
      expect(limits[k.resourceName]).toBe(String(count));
      expect(count).toBeLessThanOrEqual(info.accelerator!.count);
      expect(pod.nodeSelector).toEqual(k.nodeSelector);
      expect(pod.tolerations).toEqual([{ key: k.resourceName, operator: 'Exists', effect: 'NoSchedule' }]);
    }), { numRuns: 15 });
  });

  it('bounds the HPA by the spec and never lets a rollout drop capacity, for any valid scaling', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 5, max: 50 }), (min, extra, batch) => {
      const { tf } = synth((scope) => {
        new ModelEndpoint(scope, 'Endpoint', {
          namespace: 'ml', name: 'm', partOf: 'p',
          compute: { instanceType: 'ml.m5.large' },
          scaling: { minInstances: min, maxInstances: min + extra },
          deployment: { strategy: 'rolling', rollingBatchPercent: batch },
          kubernetes: { image: 'ghcr.io/acme/m:1.0.0' },
        });
      });
      expect(ofKind(tf, 'HorizontalPodAutoscaler')[0].spec).toMatchObject({ minReplicas: min, maxReplicas: min + extra });
      expect((ofKind(tf, 'Deployment')[0].spec as Json).strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: `${batch}%` } });
    }), { numRuns: 15 });
  });
});
