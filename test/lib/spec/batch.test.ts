import { batchSpecSchema, parsePlatformSpec, parseSpec, PlatformSpecInput } from '../../../lib/spec';
import { validationErrorOf } from '../../thrown';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const BATCH = { input: { s3Uri: 's3://d-bucket/in/' }, output: { s3Uri: 's3://d-bucket/out/' }, schedule: 'rate(1 day)', compute: { instanceType: 'ml.m5.large' } };
const PIPELINE = {
  preprocess: { image: IMAGE }, train: { image: IMAGE, compute: { instanceType: 'ml.m5.xlarge' } }, evaluate: { image: IMAGE },
  gate: { metric: 'auc', threshold: 0.8 },
};

function platform(model: Record<string, unknown>, overrides: Partial<PlatformSpecInput> = {}): PlatformSpecInput {
  return { name: 'p', models: [{ name: 'm', source: { image: IMAGE }, ...model }], ...overrides };
}

const messageOf = (fn: () => unknown) => validationErrorOf(fn).message;

describe('batch spec', () => {
  it('applies SageMaker-shaped defaults', () => {
    expect(parseSpec(batchSpecSchema, BATCH, { kind: 'BatchSpec' })).toMatchObject({
      input: { contentType: 'text/csv', splitType: 'Line', compressionType: 'None' },
      output: { assembleWith: 'Line' },
      onNewData: false, instanceCount: 1, maxPayloadInMB: 6, batchStrategy: 'MultiRecord',
      invocationTimeoutSeconds: 600, invocationMaxRetries: 3, expectedRunMinutes: 60,
      qualityCheck: false, networkIsolation: true, failureNotifications: true,
      compute: { kind: 'instance', instanceType: 'ml.m5.large' },
    });
  });

  it('accepts concurrent transforms whose payloads reach exactly 100 MB, and rejects one more', () => {
    expect(() => parseSpec(batchSpecSchema, { ...BATCH, maxConcurrentTransforms: 5, maxPayloadInMB: 20 }, { kind: 'BatchSpec' })).not.toThrow();
    expect(messageOf(() => parseSpec(batchSpecSchema, { ...BATCH, maxConcurrentTransforms: 6, maxPayloadInMB: 20 }, { kind: 'BatchSpec' })))
      .toContain('maxConcurrentTransforms: times maxPayloadInMB exceeds SageMaker\'s 100 MB (got 6 × 20 MB = 120 MB');
  });

  it('rejects an output whose keys the input prefix matches, even without a slash', () => {
    expect(messageOf(() => parseSpec(batchSpecSchema, { ...BATCH, input: { s3Uri: 's3://d-bucket/in' }, output: { s3Uri: 's3://d-bucket/in-scored' } }, { kind: 'BatchSpec' })))
      .toContain('output.s3Uri: writes under input.s3Uri');
    expect(() => parseSpec(batchSpecSchema, { ...BATCH, input: { s3Uri: 's3://d-bucket/in/' }, output: { s3Uri: 's3://d-bucket/in-scored/' } }, { kind: 'BatchSpec' })).not.toThrow();
  });

  it('rejects more than 16 environment variables and an unreadable schedule', () => {
    const environment = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`V${i}`, 'x']));
    const message = messageOf(() => parseSpec(batchSpecSchema, { ...BATCH, environment, schedule: 'cron(0 25 * * ? *)' }, { kind: 'BatchSpec' }));
    expect(message).toContain('environment: has more variables than a transform job takes (got 17 variables, expected at most 16)');
    expect(message).toContain('schedule: is not a schedule EventBridge Scheduler accepts');
  });
});

describe('a model with a batch section', () => {
  it('may have no endpoint', () => {
    const spec = parsePlatformSpec(platform({ batch: BATCH }));
    expect(spec.models[0].endpoint).toBeUndefined();
    expect(spec.models[0].batch?.schedule).toBe('rate(1 day)');
  });

  it('needs an endpoint or a batch section', () => {
    expect(messageOf(() => parsePlatformSpec(platform({})))).toContain("models[0].endpoint: is required when the model has no batch section: nothing would serve the model (got nothing, expected an 'endpoint' section, a 'batch' section, or both)");
  });

  it('cannot have drift monitors without an endpoint', () => {
    expect(messageOf(() => parsePlatformSpec(platform({ batch: BATCH, drift: { dataQuality: { baseline: { constraintsUri: 's3://b-bucket/c.json', statisticsUri: 's3://b-bucket/s.json' } } } }))))
      .toContain("models[0].drift: monitors the model's endpoint, and the model has none");
  });

  it("checks quality only against the baseline of the model's pipeline", () => {
    expect(messageOf(() => parsePlatformSpec(platform({ batch: { ...BATCH, qualityCheck: true } })))).toContain('models[0].batch.qualityCheck: checks against the data-quality baseline the model\'s pipeline computes, and the model has none (got no pipeline');
    expect(() => parsePlatformSpec(platform({ registry: {}, pipeline: { ...PIPELINE, dataQualityBaseline: true }, batch: { ...BATCH, qualityCheck: true } }))).not.toThrow();
  });

  it('cannot turn network isolation off at the strict level', () => {
    const strict = { governance: { level: 'strict' as const }, tags: { owner: 'o', 'cost-center': 'c', 'data-classification': 'd' } };
    expect(messageOf(() => parsePlatformSpec(platform({ batch: { ...BATCH, networkIsolation: false } }, strict)))).toContain('models[0].batch.networkIsolation: is off, which the strict governance level does not allow');
    expect(() => parsePlatformSpec(platform({ batch: { ...BATCH, networkIsolation: false } }))).not.toThrow();
  });
});
