import { ComponentEndpointSpec, EndpointSpec, isComponentEndpoint, parsePlatformSpec, parsePlatformSpecFor, PlatformSpecInput } from '../../../lib/spec';
import { validationErrorOf } from '../../thrown';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

type ModelInput = PlatformSpecInput['models'][number];
type SharedInput = NonNullable<PlatformSpecInput['sharedEndpoints']>[number];

/** A platform with one GPU shared endpoint (ml.g5.12xlarge: 4 GPUs, 48 vCPUs, 192 GiB) and two models on it. */
function pool(over: { shared?: Partial<SharedInput>; a?: Record<string, unknown>; models?: ModelInput[]; platform?: Partial<PlatformSpecInput> } = {}): PlatformSpecInput {
  return {
    name: 'p',
    sharedEndpoints: [{ name: 'gpu-pool', compute: { instanceType: 'ml.g5.12xlarge' }, scaling: { minInstances: 0, maxInstances: 2 }, ...over.shared }],
    models: over.models ?? [
      { name: 'a', source: { image: IMAGE }, endpoint: { sharedEndpoint: 'gpu-pool', reservation: { acceleratorCount: 2, memoryMiB: 32768 }, copies: { min: 0, max: 2 }, ...over.a } },
      { name: 'b', source: { image: IMAGE }, endpoint: { sharedEndpoint: 'gpu-pool', reservation: { acceleratorCount: 1, memoryMiB: 16384, cpus: 4 }, copies: { min: 0, max: 4, initial: 2 } } },
    ],
    ...over.platform,
  };
}

/** The lines of the validation error a spec raises. */
function issuesOf(spec: PlatformSpecInput, target: 'aws' | 'kubernetes' | 'all' = 'all'): string[] {
  return validationErrorOf(() => parsePlatformSpecFor(target, spec)).issues.map((i) => `${i.path}: ${i.message} (got ${i.got}, expected ${i.expected})`);
}

describe('shared endpoints and inference components: spec', () => {
  it('resolves the defaults: one instance at least, scale to zero when minInstances is 0, least outstanding requests, isolation on', () => {
    const spec = parsePlatformSpec(pool());
    expect(spec.sharedEndpoints[0]).toMatchObject({
      name: 'gpu-pool', routing: 'least-outstanding-requests', networkIsolation: true, variantName: 'AllTraffic',
      scaling: { minInstances: 0, maxInstances: 2, initialInstances: 1 },
      compute: { kind: 'instance', instanceType: 'ml.g5.12xlarge' },
    });
    const a = spec.models[0].endpoint;
    expect(isComponentEndpoint(a)).toBe(true);
    expect(a as ComponentEndpointSpec).toMatchObject({ copies: { min: 0, max: 2, initial: 1, targetInvocationsPerCopy: 100 }, deployment: { strategy: 'rolling', rollingBatchPercent: 50, autoRollback: true } });
    expect((spec.models[1].endpoint as ComponentEndpointSpec).copies.initial).toBe(2);
  });

  it('keeps the endpoint of its own working unchanged beside components', () => {
    const spec = parsePlatformSpec(pool({ models: [...pool().models, { name: 'c', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] }));
    const own = spec.models[2].endpoint;
    expect(isComponentEndpoint(own)).toBe(false);
    expect((own as EndpointSpec).dataCapture.enabled).toBe(true);
  });

  it("explains a mistake in a component with the component's fields, not the endpoint form's", () => {
    expect(issuesOf(pool({ a: { copies: { min: 0, max: 2, inital: 1 } } }))).toEqual([
      "models[0].endpoint.copies.inital: is not a known field; did you mean 'initial'? (got 1, expected one of 'min', 'max', 'initial', 'targetInvocationsPerCopy', 'scaleInCooldownSeconds', 'scaleOutCooldownSeconds')",
    ]);
  });

  it('rejects a model naming a shared endpoint the platform has not', () => {
    expect(issuesOf(pool({ a: { sharedEndpoint: 'gpu-pol' } }))).toContain(
      "models[0].endpoint.sharedEndpoint: names no shared endpoint of this platform (got 'gpu-pol', expected one of 'gpu-pool')",
    );
  });

  it('rejects serverless compute for a shared endpoint', () => {
    expect(issuesOf(pool({ shared: { compute: { serverless: { memoryMiB: 2048 } } } }))).toContain(
      "sharedEndpoints[0].compute.serverless: cannot host inference components: serverless capacity has no instances to share (got serverless, expected an instanceType or an accelerator intent (e.g. { instanceType: 'ml.g5.2xlarge' }))",
    );
  });

  it("rejects a reservation that does not fit one instance of the shared endpoint's type", () => {
    const lines = issuesOf(pool({ a: { reservation: { acceleratorCount: 8, memoryMiB: 300000, cpus: 64 } } }));
    expect(lines).toEqual(expect.arrayContaining([
      "models[0].endpoint.reservation.acceleratorCount: does not fit one instance of shared endpoint 'gpu-pool' (got 8, expected ≤ 4 (ml.g5.12xlarge has 4))",
      "models[0].endpoint.reservation.memoryMiB: does not fit one instance of shared endpoint 'gpu-pool' (got 300000, expected ≤ 196608 (ml.g5.12xlarge has 192 GiB))",
      "models[0].endpoint.reservation.cpus: does not fit one instance of shared endpoint 'gpu-pool' (got 64, expected ≤ 48 (ml.g5.12xlarge has 48 vCPUs))",
    ]));
  });

  it('rejects accelerators reserved on a CPU instance type', () => {
    const spec = pool({ shared: { compute: { instanceType: 'ml.m5.2xlarge' } }, a: { reservation: { acceleratorCount: 1, memoryMiB: 1024 } } });
    expect(issuesOf(spec)).toContain("models[0].endpoint.reservation.acceleratorCount: does not fit one instance of shared endpoint 'gpu-pool' (got 1, expected 0: ml.m5.2xlarge has no accelerators)");
  });

  it('rejects initial copies that cannot be placed on maxInstances instances', () => {
    // 1 × 2 + 2 × 1 = 4 GPUs fit one g5.12xlarge; 3 initial copies of a (6) + 2 (b) = 8 do not fit one.
    const spec = pool({ shared: { scaling: { minInstances: 0, maxInstances: 1 } }, a: { copies: { min: 0, max: 3, initial: 3 } } });
    expect(issuesOf(spec)).toContain(
      'sharedEndpoints[0].scaling.maxInstances: is too few for the initial copies of its components: they reserve 8 accelerators, 1 × ml.g5.12xlarge have 4 (got 1, expected enough ml.g5.12xlarge instances for 8 accelerators, or fewer initial copies)',
    );
    expect(() => parsePlatformSpec(pool({ shared: { scaling: { minInstances: 0, maxInstances: 1 } } }))).not.toThrow();
  });

  it('rejects a component that keeps a copy on an endpoint meant to scale to zero', () => {
    expect(issuesOf(pool({ a: { copies: { min: 1, max: 2 } } }))).toContain(
      "models[0].endpoint.copies.min: keeps a copy running, so shared endpoint 'gpu-pool' (minInstances 0) can never scale to zero (got 1, expected 0, or minInstances ≥ 1 on the shared endpoint)",
    );
    expect(() => parsePlatformSpec(pool({ shared: { scaling: { minInstances: 1, maxInstances: 2 } }, a: { copies: { min: 1, max: 2 } } }))).not.toThrow();
  });

  it('refuses data capture, drift monitors, endpoint-level settings and other deployment strategies on a component, saying where they go', () => {
    const lines = issuesOf(pool({
      a: { dataCapture: { samplingPercent: 10 }, compute: { instanceType: 'ml.g5.xlarge' }, networkIsolation: false, deployment: { strategy: 'canary' } },
      models: undefined,
    }));
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^models\[0\]\.endpoint\.dataCapture: is not available on an inference component: .*Model Monitor reads captures per endpoint and variant/),
      expect.stringMatching(/^models\[0\]\.endpoint\.compute: is set on the shared endpoint/),
      expect.stringMatching(/^models\[0\]\.endpoint\.networkIsolation: is set on the shared endpoint .*expected sharedEndpoints\[\]\.networkIsolation/),
      "models[0].endpoint.deployment.strategy: is not available on an inference component: SageMaker updates a component by rolling its copies (InferenceComponentDeploymentConfig has only RollingUpdatePolicy) (got 'canary', expected 'rolling')",
    ]));
    const drift = pool();
    drift.models[0] = { ...drift.models[0], drift: { dataQuality: { baseline: { constraintsUri: 's3://b/c.json', statisticsUri: 's3://b/s.json' } } } };
    expect(issuesOf(drift)).toEqual(expect.arrayContaining([expect.stringMatching(/^models\[0\]\.drift: needs data capture, which a model served as an inference component has not/)]));
  });

  it('rejects a shared endpoint no model uses, a repeated name, and network access at the strict level', () => {
    const unused = pool({ shared: { name: 'idle' }, models: [{ name: 'c', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] });
    expect(issuesOf(unused)).toContain("sharedEndpoints[0]: serves no model: it would keep instances for nothing (got 'idle', named by no model's endpoint.sharedEndpoint, expected a model with endpoint.sharedEndpoint naming it, or no such shared endpoint)");
    const twice = pool();
    twice.sharedEndpoints = [twice.sharedEndpoints![0], twice.sharedEndpoints![0]];
    expect(issuesOf(twice)).toContain("sharedEndpoints[1].name: repeats the name of sharedEndpoints[0] (got 'gpu-pool', expected a name no other shared endpoint has)");
    const strict = pool({ shared: { networkIsolation: false }, platform: { governance: { level: 'strict' }, tags: { owner: 'o', 'cost-center': 'c', 'data-classification': 'd' } } });
    expect(issuesOf(strict)).toContain('sharedEndpoints[0].networkIsolation: is off, which the strict governance level does not allow (got false, expected true (the default))');
  });

  it('refuses shared endpoints on the Kubernetes target, naming the field, and accepts them on AWS', () => {
    expect(issuesOf(pool(), 'kubernetes')).toContain(
      "models[0].endpoint.sharedEndpoint: is not rendered on Kubernetes: shared endpoints are SageMaker inference components (KServe serves one model per InferenceService in RawDeployment mode, which cannot scale to zero) (got 'gpu-pool', expected an endpoint of its own ({ compute, kubernetes, ... }), or targets: ['aws'])",
    );
    expect(() => parsePlatformSpecFor('aws', pool())).not.toThrow();
  });

  it('checks the endpoint and component names the AWS target derives against SageMaker\'s 63 characters', () => {
    const long = pool({ platform: { name: 'p'.repeat(40) }, shared: { name: 'g'.repeat(30) }, a: { sharedEndpoint: 'g'.repeat(30) } });
    long.models[1] = { ...long.models[1], endpoint: { ...(long.models[1].endpoint as object), sharedEndpoint: 'g'.repeat(30) } as ModelInput['endpoint'] };
    expect(issuesOf(long, 'aws')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^sharedEndpoints\[0\]\.name: derives the endpoint name 'p{40}-g{30}' \(71 characters\), over the 63 of SageMaker CreateEndpoint EndpointName/),
    ]));
  });
});
