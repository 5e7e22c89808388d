import { Testing } from 'cdktf';
import { PlatformSpecInput } from '../../../lib/spec';
import { KubernetesPlatformStack } from '../../../stacks/kubernetes/platform';
import { validationErrorOf } from '../../thrown';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

describe('shared endpoints on the Kubernetes target', () => {
  it('are refused with the field named: KServe RawDeployment serves one model per InferenceService and cannot scale to zero', () => {
    const spec: PlatformSpecInput = {
      name: 'p',
      kubernetes: {},
      sharedEndpoints: [{ name: 'pool', compute: { instanceType: 'ml.m5.2xlarge' } }],
      models: [
        { name: 'a', source: { image: IMAGE }, endpoint: { sharedEndpoint: 'pool', reservation: { memoryMiB: 2048 } } },
        { name: 'b', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' }, kubernetes: { image: 'ghcr.io/acme/b:1.0.0' } } },
      ],
    };
    const err = validationErrorOf(() => new KubernetesPlatformStack(Testing.app(), 'p', { spec }));
    expect(err.issues.map((i) => i.path)).toEqual(['models[0].endpoint.sharedEndpoint']);
    expect(err.issues[0].message).toContain('is not rendered on Kubernetes');
  });
});
