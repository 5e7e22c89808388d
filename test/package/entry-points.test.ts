import * as fs from 'fs';
import * as path from 'path';
import * as root from '../../index';
import * as aws from '../../aws';
import * as pipeline from '../../constructs/aws/pipeline';
import * as kubernetes from '../../kubernetes';

const repo = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  typesVersions: Record<string, Record<string, string[]>>;
  files: string[];
  bin: Record<string, string>;
};

describe('the public API', () => {
  it('cdk-mlops has the spec, its schemas, the catalog, the errors and the audit API, and nothing of a target', () => {
    expect(Object.keys(root)).toEqual(expect.arrayContaining([
      'platformSpecSchema', 'parsePlatformSpec', 'loadPlatformSpec', 'platformJsonSchema', 'MlopsValidationError',
      'resolveInstanceType', 'INSTANCE_TYPES', 'buildAuditReport', 'governanceDiff', 'estimateCost',
    ]));
    for (const internal of ['tokenOr', 'parseSpec', 'addIssue', 'registerTokenDetector', 'int', 'num', 'fromZodIssues', 'pipelineDefinition', 'block', 'blocks']) {
      expect(Object.keys(root)).not.toContain(internal);
    }
  });

  it('cdk-mlops/aws has the constructs, the platform renderer and the rule packs, without generic pipeline names', () => {
    expect(Object.keys(aws)).toEqual(expect.arrayContaining([
      'ModelEndpoint', 'ModelRegistry', 'ModelSource', 'MlPipeline', 'FeatureStore', 'DriftMonitor', 'Baseline', 'ExperimentTracker',
      'TrainingCluster', 'Personas', 'AwsPlatform', 'addCompliancePacks', 'MlopsChecks', 'synthAwsPlatform',
    ]));
    for (const generic of ['Get', 'Join', 'Condition', 'JsonGet', 'renderPipelineDefinition', 'toJson', 'DEPLOY_AND_APPROVE_ACTIONS']) {
      expect(Object.keys(aws)).not.toContain(generic);
    }
  });

  it('cdk-mlops/aws/pipeline has the steps and expressions, not the renderer', () => {
    expect(Object.keys(pipeline)).toEqual(expect.arrayContaining(['Get', 'Join', 'JsonGet', 'Condition', 'ProcessingStep', 'TrainingStep', 'PipelineParameter']));
    for (const internal of ['renderPipelineDefinition', 'toPlainJson', 'expressionsIn', 'isExpression', 'STEP_NAME']) expect(Object.keys(pipeline)).not.toContain(internal);
  });

  it('cdk-mlops/kubernetes has the constructs and the platform renderer, not their internals', () => {
    expect(Object.keys(kubernetes)).toEqual(expect.arrayContaining([
      'ModelEndpoint', 'ModelRegistry', 'MlPipeline', 'FeatureStore', 'DriftMonitor', 'ExperimentTracker', 'TrainingCluster',
      'PlatformNamespace', 'MlflowServer', 'KubernetesPlatformStack', 'synthKubernetesPlatform',
    ]));
    for (const internal of ['VIEWER_RULES', 'RETRAIN_GATE', 'alertRules', 'feastRepository', 'objectName']) expect(Object.keys(kubernetes)).not.toContain(internal);
  });

  it('entry points re-export by name: no export * except of an index that lists its names', () => {
    const stars = ['index.ts', 'constructs/aws/index.ts', 'constructs/aws/pipeline/index.ts', 'constructs/kubernetes/index.ts', 'aws.ts', 'kubernetes.ts']
      .flatMap((file) => [...fs.readFileSync(path.join(repo, file), 'utf8').matchAll(/^export \* from '([^']+)'/gm)].map((m) => ({
        file, target: m[1], starInTarget: /^export \*/m.test(fs.readFileSync(path.join(repo, path.dirname(file), m[1], 'index.ts'), 'utf8')),
      })));
    expect(stars).toEqual([
      { file: 'aws.ts', target: './constructs/aws', starInTarget: false },
      { file: 'kubernetes.ts', target: './constructs/kubernetes', starInTarget: false },
    ]);
  });
});

describe('package.json', () => {
  it('builds on prepare (npm ci, git installs, and npm pack, which runs it too), and ships dist/ and the schemas', () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
    // npm pack runs prepack and prepare: a prepack build would be a second one.
    expect(pkg.scripts.prepack).toBeUndefined();
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'schemas/']));
    expect(pkg.bin.mlops).toBe('dist/bin/mlops.js');
  });

  it('gives every entry point its types, also under moduleResolution node (typesVersions)', () => {
    const entries = Object.entries(pkg.exports).filter(([k]) => k !== './package.json' && !k.includes('*'));
    expect(entries.map(([k]) => k)).toEqual(['.', './aws', './aws/pipeline', './kubernetes']);
    for (const [subpath, target] of entries) {
      if (typeof target === 'string') throw new Error(`${subpath} has no types condition`);
      expect(target.types).toBe(target.default.replace(/\.js$/, '.d.ts'));
      // The source file each entry point is compiled from exists.
      expect(fs.existsSync(path.join(repo, target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts')))).toBe(true);
      if (subpath !== '.') expect(pkg.typesVersions['*'][subpath.slice(2)]).toEqual([target.types.slice(2)]);
    }
  });
});
