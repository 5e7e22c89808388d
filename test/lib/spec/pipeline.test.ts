import * as fc from 'fast-check';
import { experimentTrackerSpecSchema, parsePlatformSpec, parseSpec, pipelineSpecSchema, trainingClusterSpecSchema } from '../../../lib/spec';
import { issuePaths } from '../../thrown';

const subject = { kind: 'MlPipeline', id: 'P' };
const parse = (input: unknown) => parseSpec(pipelineSpecSchema, input, subject);
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const base = {
  preprocess: { image: IMAGE },
  train: { image: IMAGE, compute: { instanceType: 'ml.m5.xlarge' } },
  evaluate: { image: IMAGE },
  gate: { metric: 'metrics.auc.value', threshold: 0.7 },
};

const issuesOf = (input: unknown): string[] => issuePaths(() => parse(input));

describe('pipeline spec', () => {
  it('applies safe defaults: pending manual approval, network isolation, encryption between instances, failure notifications', () => {
    const s = parse(base);
    expect(s.register).toMatchObject({ approvalStatus: 'PendingManualApproval', contentTypes: ['text/csv'] });
    expect(s.train).toMatchObject({ instanceCount: 1, distribution: 'none', networkIsolation: true, interContainerEncryption: true, maxRuntimeSeconds: 86400 });
    expect(s.gate.comparison).toBe('>=');
    expect(s.evaluate.reportFile).toBe('evaluation.json');
    expect(s.failureNotifications).toBe(true);
    expect(s.retrainOnNewData).toBe(false);
  });

  it('resolves training compute through the catalog', () => {
    const s = parse({ ...base, train: { image: IMAGE, compute: { accelerator: { type: 'nvidia-h100', count: 8 } } } });
    expect(s.train.compute).toMatchObject({ kind: 'instance', instanceType: 'ml.p5.48xlarge' });
  });

  it('rejects every missing step section, each by its path', () => {
    expect(issuesOf({ gate: base.gate })).toEqual(expect.arrayContaining(['preprocess', 'train', 'evaluate']));
  });

  it('accepts a spot max wait exactly when it is at least the max runtime (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100000 }), fc.integer({ min: 1, max: 100000 }), (runtime, wait) => {
      const input = { ...base, train: { ...base.train, maxRuntimeSeconds: runtime, spot: { maxWaitSeconds: wait } } };
      expect(issuesOf(input)).toEqual(wait >= runtime ? [] : ['train.spot.maxWaitSeconds']);
    }), { numRuns: 60 });
  });

  it('requires a distribution exactly when there are several instances (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.constantFrom('none', 'torch', 'mpi'), (count, distribution) => {
      const input = { ...base, train: { ...base.train, instanceCount: count, distribution } };
      expect(issuesOf(input)).toEqual(count > 1 && distribution === 'none' ? ['train.distribution'] : []);
    }), { numRuns: 40 });
  });

  it('rejects a gate comparison it does not know', () => {
    expect(issuesOf({ ...base, gate: { ...base.gate, comparison: '==' } })).toEqual(['gate.comparison']);
  });

  it('rejects a report file that is not JSON', () => {
    expect(issuesOf({ ...base, evaluate: { image: IMAGE, reportFile: 'report.csv' } })).toEqual(['evaluate.reportFile']);
  });

  it('rejects a processing runtime beyond five days', () => {
    expect(issuesOf({ ...base, preprocess: { image: IMAGE, maxRuntimeSeconds: 6 * 86400 } })).toEqual(['preprocess.maxRuntimeSeconds']);
  });

  it('rejects serverless compute for training', () => {
    expect(issuesOf({ ...base, train: { image: IMAGE, compute: { serverless: { memoryMiB: 2048 } } } })).toEqual(['train.compute.serverless']);
  });

  it('rejects an inference instance type that is not a SageMaker name', () => {
    expect(issuesOf({ ...base, register: { inferenceInstanceTypes: ['m5.large'] } })).toEqual(['register.inferenceInstanceTypes[0]']);
  });
});

describe('experiment tracker and training cluster specs', () => {
  it('defaults a tracker to a small server without automatic registration', () => {
    expect(parseSpec(experimentTrackerSpecSchema, {}, subject)).toEqual({ size: 'Small', automaticModelRegistration: false });
  });

  it('defaults a cluster to Slurm, automatic node recovery and on_create.sh', () => {
    const c = parseSpec(trainingClusterSpecSchema, { lifecycleScriptsUri: 's3://scripts-bucket/lc/', instanceGroups: [{ name: 'gpu', compute: { instanceType: 'ml.g5.48xlarge' }, count: 2 }] }, subject);
    expect(c).toMatchObject({ orchestrator: 'slurm', nodeRecovery: 'Automatic', onCreate: 'on_create.sh' });
  });
});

describe('platform spec sections', () => {
  const model = { name: 'churn', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } };
  const cluster = { name: 'llm', lifecycleScriptsUri: 's3://scripts-bucket/lc/', instanceGroups: [{ name: 'gpu', compute: { instanceType: 'ml.p5.48xlarge' }, count: 1 }], aws: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] } };
  const platformIssues = (input: unknown): string[] => issuePaths(() => parsePlatformSpec(input));

  it('accepts a model pipeline, an experiment tracker and a training cluster', () => {
    expect(platformIssues({ name: 'p', models: [{ ...model, registry: {}, pipeline: base }], experimentTracker: {}, trainingClusters: [cluster] })).toEqual([]);
  });

  it('rejects a model pipeline without a registry', () => {
    expect(platformIssues({ name: 'p', models: [{ ...model, pipeline: base }] })).toEqual(['models[0].pipeline']);
  });

  it('rejects two training clusters with one name', () => {
    expect(platformIssues({ name: 'p', models: [model], trainingClusters: [cluster, cluster] })).toEqual(['trainingClusters[1].name']);
  });

  it('rejects a training cluster without its VPC below the strict level, and accepts it at strict (the platform VPC)', () => {
    const noVpc: Record<string, unknown> = { ...cluster };
    delete noVpc.aws;
    expect(platformIssues({ name: 'p', models: [model], trainingClusters: [noVpc] })).toEqual(['trainingClusters[0].aws']);
    const tags = { owner: 'a', 'cost-center': 'b', 'data-classification': 'c' };
    expect(platformIssues({ name: 'p', tags, governance: { level: 'strict' }, models: [model], trainingClusters: [noVpc] })).toEqual([]);
  });

  it('rejects a malformed subnet id', () => {
    expect(platformIssues({ name: 'p', models: [model], trainingClusters: [{ ...cluster, aws: { ...cluster.aws, subnetIds: ['subnet-xyz'] } }] })).toEqual(['trainingClusters[0].aws.subnetIds[0]']);
  });
});

describe('pipeline schedule', () => {
  it.each(['rate(7 days)', 'rate(1 hour)', 'cron(0 3 ? * MON *)', 'cron(0 6 1 JAN,JUL ? *)'])('accepts %s', (schedule) => {
    expect(parse({ ...base, schedule }).schedule).toBe(schedule);
  });

  it('refuses a cron expression EventBridge Scheduler refuses at deploy: a value in both day fields', () => {
    expect(() => parse({ ...base, schedule: 'cron(0 3 * * MON *)' })).toThrow(
      "schedule: is not a schedule EventBridge Scheduler accepts: the day fields are '*' and 'MON' (got 'cron(0 3 * * MON *)', expected '?' in exactly one of day-of-month and day-of-week)",
    );
  });

  it('refuses an hour out of range, once, naming the field', () => {
    expect(issuesOf({ ...base, schedule: 'cron(0 24 ? * MON *)' })).toEqual(['schedule']);
    expect(() => parse({ ...base, schedule: 'cron(0 24 ? * MON *)' })).toThrow("the hours field has '24'");
  });

  it('refuses a wrong shape with one issue', () => {
    expect(issuesOf({ ...base, schedule: 'every monday' })).toEqual(['schedule']);
  });
});
