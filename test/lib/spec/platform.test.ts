import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { EndpointSpec, loadPlatformSpec, parsePlatformSpec, PlatformSpecInput } from '../../../lib/spec';
import { referencePlatform } from '../../../stacks/reference-platform';
import { validationErrorOf } from '../../thrown';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

function minimal(overrides: Partial<PlatformSpecInput> = {}): PlatformSpecInput {
  return {
    name: 'p',
    models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }],
    ...overrides,
  };
}

describe('PlatformSpec', () => {
  it('accepts the reference platform and applies defaults', () => {
    const spec = parsePlatformSpec(referencePlatform);
    expect(spec.models.map((m) => m.name)).toEqual(['support-assistant', 'churn', 'ticket-router']);
    const gpu = spec.models[0].endpoint as EndpointSpec;
    expect(gpu.compute).toMatchObject({ kind: 'instance', instanceType: 'ml.g5.xlarge' });
    expect(gpu.deployment).toMatchObject({ strategy: 'canary', canaryPercent: 10, linearStepPercent: undefined });
    expect((spec.models[2].endpoint as EndpointSpec).dataCapture.enabled).toBe(true);
    expect(spec.governance).toEqual({ level: 'strict', personas: true, acknowledgements: [] });
    expect(spec.aws.alarmEmails).toEqual([]);
  });

  it('accepts the churn model\'s feature store and drift sections with defaults applied', () => {
    const churn = parsePlatformSpec(referencePlatform).models[1];
    expect(churn.featureStore!.featureGroups[0]).toMatchObject({ name: 'churn-customers', onlineStore: { enabled: true, storageType: 'Standard' }, offlineStore: { enabled: true, tableFormat: 'Glue' }, throughput: { mode: 'OnDemand' } });
    expect(churn.drift).toMatchObject({ schedule: 'hourly', compute: { instanceType: 'ml.m5.xlarge', maxRuntimeSeconds: 3600 }, retraining: { minIntervalHours: 24, onModelQuality: true } });
  });

  it('rejects drift on an endpoint without data capture, naming the drift section', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({
      models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' }, dataCapture: { enabled: false } }, drift: { dataQuality: { baseline: { constraintsUri: 's3://b-bucket/c.json' } } } }],
    })));
    expect(e.issues).toEqual([expect.objectContaining({ path: 'models[0].drift', message: "needs the endpoint's data capture: every monitor reads captured requests", got: 'endpoint.dataCapture.enabled false' })]);
  });

  it('rejects drift on a serverless endpoint, which cannot capture', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({
      models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { serverless: { memoryMiB: 2048 } } }, drift: { dataQuality: { baseline: { constraintsUri: 's3://b-bucket/c.json' } } } }],
    })));
    expect(e.issues[0]).toMatchObject({ path: 'models[0].drift', got: 'a serverless endpoint (it cannot capture)' });
  });

  it('rejects data quality drift without a baseline in a spec', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({
      models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } }, drift: { dataQuality: { alarmFeatures: ['a'] } } }],
    })));
    expect(e.issues[0]).toMatchObject({ path: 'models[0].drift.dataQuality.baseline', message: expect.stringContaining('is required') });
  });

  it("accepts data quality drift without URIs when the model's pipeline computes the baseline", () => {
    const pipeline = {
      inputDataUri: 's3://data-bucket/m/',
      preprocess: { image: IMAGE }, train: { image: IMAGE, compute: { instanceType: 'ml.m5.xlarge' } }, evaluate: { image: IMAGE },
      gate: { metric: 'auc', threshold: 0.8 },
    };
    const model = { name: 'm', registry: {}, source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } }, drift: { dataQuality: { alarmFeatures: ['a'] } } };
    expect(parsePlatformSpec(minimal({ models: [{ ...model, pipeline: { ...pipeline, dataQualityBaseline: true } }] })).models[0].drift?.dataQuality?.baseline).toBeUndefined();
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ ...model, pipeline }] })));
    expect(e.issues[0]).toMatchObject({ path: 'models[0].drift.dataQuality.baseline', expected: expect.stringContaining('pipeline.dataQualityBaseline: true') });
  });

  it('rejects a bad feature group inside a model, with the full path', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({
      models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } }, featureStore: { featureGroups: [{ name: 'g', recordIdentifier: 'id', eventTime: 'ts', features: [{ name: 'id', type: 'String' }] }] } }],
    })));
    expect(e.issues[0]).toMatchObject({ path: 'models[0].featureStore.featureGroups[0].eventTime', message: 'names no feature of the group' });
  });

  it('rejects minInstances 0 on an endpoint of its own, pointing to the two ways to scale to zero', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' }, scaling: { minInstances: 0, maxInstances: 3 } } }] })));
    expect(e.issues).toEqual([{
      path: 'models[0].endpoint.scaling.minInstances',
      message: expect.stringMatching(/^must be at least 1 on an endpoint of its own .*endpoint\.async\.scaleToZero.*shared endpoint \(inference components: sharedEndpoints\[\]\.scaling\.minInstances: 0\)$/),
      got: '0',
      expected: '≥ 1',
    }]);
  });

  it('rejects two models with the same name, naming the second', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [...minimal().models, ...minimal().models] })));
    expect(e.message).toContain("models[1].name: repeats the name of models[0] (got 'm', expected a name no other model has)");
  });

  it('rejects a shadow without a source, and one from a registry the platform does not have', () => {
    const endpoint = (shadow: Record<string, unknown>) => ({ compute: { instanceType: 'ml.m5.large' }, shadow });
    const none = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ name: 'm', source: { image: IMAGE }, endpoint: endpoint({ samplingPercent: 10 }) }] })));
    expect(none.issues).toEqual([expect.objectContaining({ path: 'models[0].endpoint.shadow.source', got: 'nothing' })]);
    const registry = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ name: 'm', source: { image: IMAGE }, endpoint: endpoint({ source: { registryVersion: 2 } }) }] })));
    expect(registry.issues).toEqual([expect.objectContaining({ path: 'models[0].endpoint.shadow.source', message: "uses the registry of 'm', which has none" })]);
    expect((parsePlatformSpec(minimal({ models: [{ name: 'm', registry: {}, source: { registryVersion: 1 }, endpoint: endpoint({ source: { registryVersion: 2 } }) }] })).models[0].endpoint as EndpointSpec).shadow).toMatchObject({ variantName: 'Shadow', samplingPercent: 100, instances: 1 });
  });

  it('rejects drift monitors of an endpoint with a shadow, whose captures they would mix', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ aws: { region: 'us-east-1' }, models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' }, shadow: { source: { image: IMAGE } } }, drift: { dataQuality: { baseline: { constraintsUri: 's3://baselines/c.json', statisticsUri: 's3://baselines/s.json' } } } }] })));
    expect(e.issues).toEqual([expect.objectContaining({ path: 'models[0].drift', got: 'drift with endpoint.shadow' })]);
  });

  it('rejects a registry source for a model without a registry', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ name: 'm', source: { registryVersion: 1 }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] })));
    expect(e.issues).toEqual([expect.objectContaining({ path: 'models[0].source', message: 'deploys from a registry but the model has none', expected: "a 'registry' section on model 'm'" })]);
  });

  it('rejects registryOf naming a model that does not exist', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ name: 'm', source: { registryVersion: 1, registryOf: 'nope' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] })));
    expect(e.issues[0]).toMatchObject({ path: 'models[0].source.registryOf', got: "'nope'", expected: "one of 'm'" });
  });

  it('rejects registryOf naming a model that has no registry', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({
      models: [
        { name: 'a', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } },
        { name: 'b', source: { registryVersion: 2, registryOf: 'a' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } },
      ],
    })));
    expect(e.issues[0]).toMatchObject({ path: 'models[1].source', message: "uses the registry of 'a', which has none" });
  });

  it('rejects an image that is not in ECR', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ name: 'm', source: { image: 'docker.io/library/python:3.12' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] })));
    expect(e.issues[0]).toMatchObject({ path: 'models[0].source.image', got: "'docker.io/library/python:3.12'" });
    expect(e.issues[0].expected).toContain('ECR image URI');
  });

  it('rejects a model data URL that is not an S3 URI', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [{ name: 'm', source: { image: IMAGE, modelDataUrl: 'https://example.com/model.tar.gz' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] })));
    expect(e.issues[0]).toMatchObject({ path: 'models[0].source.modelDataUrl' });
    expect(e.issues[0].expected).toContain('S3 URI');
  });

  it('rejects a platform name that cannot prefix a stack name', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ name: '1-platform' })));
    expect(e.issues[0]).toMatchObject({ path: 'name', got: "'1-platform'" });
  });

  it('rejects a platform without models', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ models: [] })));
    expect(e.issues[0]).toMatchObject({ path: 'models', message: 'is too small', expected: 'at least 1 items' });
  });

  it('rejects a malformed account id and region', () => {
    const e = validationErrorOf(() => parsePlatformSpec(minimal({ aws: { account: '1234', region: 'useast1' } })));
    expect(e.issues.map((i) => i.path)).toEqual(['aws.account', 'aws.region']);
  });

  it('rejects an unknown key with a did-you-mean', () => {
    const e = validationErrorOf(() => parsePlatformSpec({ ...minimal(), modles: [] }));
    expect(e.issues).toEqual([expect.objectContaining({ path: 'modles', message: "is not a known field; did you mean 'models'?" })]);
  });

  it('reports every problem in one error', () => {
    const e = validationErrorOf(() => parsePlatformSpec({ name: '', models: [{ name: 'm', source: { image: 'x' }, endpoint: { compute: {} } }] }));
    expect(e.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['name', 'models[0].source.image', 'models[0].endpoint.compute']));
    expect(e.message).toMatch(/^PlatformSpec: \d+ problems\n {2}- /);
  });
});

describe('loadPlatformSpec', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-spec-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('loads the reference platform from YAML and from JSON to the same spec', () => {
    const yamlFile = write('p.yaml', stringify(referencePlatform));
    const fromYaml = loadPlatformSpec(yamlFile);
    const fromJson = loadPlatformSpec(write('p.json', JSON.stringify(referencePlatform)));
    // train.entryPoint.sourceDir is relative to the spec file: the loader makes it absolute.
    const [llm, ...rest] = referencePlatform.models;
    const entryPoint = llm.pipeline!.train.entryPoint!;
    const expected = { ...referencePlatform, models: [{ ...llm, pipeline: { ...llm.pipeline!, train: { ...llm.pipeline!.train, entryPoint: { ...entryPoint, sourceDir: path.join(path.dirname(yamlFile), entryPoint.sourceDir) } } } }, ...rest] };
    expect(fromYaml).toEqual(expected);
    expect(fromJson).toEqual(expected);
  });

  it('names the line of a field that fails validation', () => {
    const file = write('p.yaml', [
      'name: p',
      'models:',
      '  - name: m',
      "    source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1' }",
      '    endpoint:',
      '      compute: { instanceType: ml.m5.large }',
      '      scaling:',
      '        minInstances: 3',
      '        maxInstances: 2',
    ].join('\n'));
    const e = validationErrorOf(() => loadPlatformSpec(file));
    expect(e.message).toContain(`PlatformSpec (${file}): models[0].endpoint.scaling.maxInstances (line 9): must be ≥ minInstances (got 2, expected ≥ 3)`);
  });

  it('names the line and column of a YAML syntax error', () => {
    const e = validationErrorOf(() => loadPlatformSpec(write('p.yaml', 'name: p\nmodels:\n  - name: [unclosed\n')));
    expect(e.issues[0].path).toMatch(/^line \d+, column \d+$/);
    expect(e.issues[0].message).toMatch(/^is not valid YAML/);
  });

  it('names the line of a JSON syntax error', () => {
    const e = validationErrorOf(() => loadPlatformSpec(write('p.json', '{\n  "name": "p",\n  "models": [\n}')));
    expect(e.issues[0].path).toMatch(/^line 4, column \d+$/);
    expect(e.issues[0].message).toMatch(/^is not valid JSON/);
  });

  it('rejects a duplicate key instead of keeping the last one', () => {
    const e = validationErrorOf(() => loadPlatformSpec(write('p.yaml', 'name: a\nname: b\nmodels: []\n')));
    expect(e.issues[0].message).toContain('is not valid YAML');
  });

  it('says when the file does not exist', () => {
    const missing = path.join(dir, 'nope.yaml');
    const e = validationErrorOf(() => loadPlatformSpec(missing));
    expect(e.message).toBe(`PlatformSpec (${missing}): file not found (got '${missing}', expected a readable .yaml, .yml or .json file)`);
  });

  it('rejects a file type it cannot read', () => {
    const e = validationErrorOf(() => loadPlatformSpec(write('p.toml', 'name = "p"')));
    expect(e.issues[0]).toMatchObject({ message: 'has an unknown file type', got: "'.toml'" });
  });
});
