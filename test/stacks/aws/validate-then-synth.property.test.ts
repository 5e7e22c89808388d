/**
 * `mlops validate` accepts only what `mlops synth` renders: for any platform spec
 * parsePlatformSpecFor('aws') (what `mlops validate` runs for the AWS target) accepts, the AWS platform synthesizes without throwing, and the SageMaker names it derives stay
 * within their APIs' limits. The generator aims at the edges validation must see: names near
 * their limits and with trailing hyphens, tags with characters AWS refuses, repeated alarm
 * addresses, trackers and clusters named after the platform, monitored models in any region.
 */
import * as fc from 'fast-check';
import { App } from 'aws-cdk-lib';
import { MlopsValidationError } from '../../../lib/errors';
import { parsePlatformSpecFor } from '../../../lib/spec';
import { AwsPlatform } from '../../../stacks/aws/platform';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1';

/** The name properties SageMaker limits, from its API reference (Create* requests). */
const SAGEMAKER_NAME_LIMITS: Record<string, Record<string, number>> = {
  'AWS::SageMaker::Endpoint': { EndpointName: 63 },
  'AWS::SageMaker::EndpointConfig': { EndpointConfigName: 63 },
  'AWS::SageMaker::Model': { ModelName: 63 },
  'AWS::SageMaker::ModelPackageGroup': { ModelPackageGroupName: 63 },
  'AWS::SageMaker::MonitoringSchedule': { MonitoringScheduleName: 63 },
  'AWS::SageMaker::DataQualityJobDefinition': { JobDefinitionName: 63 },
  'AWS::SageMaker::ModelQualityJobDefinition': { JobDefinitionName: 63 },
  'AWS::SageMaker::Pipeline': { PipelineName: 256 },
  'AWS::SageMaker::FeatureGroup': { FeatureGroupName: 64 },
  'AWS::SageMaker::Cluster': { ClusterName: 63 },
  'AWS::SageMaker::MlflowTrackingServer': { TrackingServerName: 63 },
};

/** Letters and digits with hyphens inside: mostly short, sometimes at the limit `max`, sometimes ending in hyphens. */
const name = (first: string, max: number) => fc.tuple(
  fc.constantFrom(...first),
  fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: max - 6, max }) }),
  fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('-', '--') }),
).map(([f, n, tail]) => `${f}${'a1-b'.repeat(Math.ceil(n / 4)).slice(0, n).replace(/-$/, 'c')}${tail}`);
const tagText = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: fc.constantFrom('a', 'Z', '9', ' ', '_', '.', ':', '/', '=', '+', '-', '@', 'é'), minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '#', ',', '*', 'aws:', '\u0007'), maxLength: 4 }) },
);

const specs = fc.record({
  name: name('pP', 63),
  region: fc.oneof({ weight: 3, arbitrary: fc.constant('us-east-1') }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'eu-west-1', 'af-south-1') }),
  monitored: fc.boolean(),
  registered: fc.boolean(),
  models: fc.uniqueArray(name('mM', 62), { minLength: 1, maxLength: 2, selector: (n) => n.toLowerCase() }),
  tags: fc.dictionary(tagText, tagText, { maxKeys: 2 }),
  alarmEmails: fc.array(fc.constantFrom('ops@example.com', 'ml@example.com', 'Ops@example.com'), { maxLength: 2 }),
  tracker: fc.option(fc.record({ name: fc.option(name('t', 66), { nil: undefined }) }), { nil: undefined }),
  cluster: fc.option(name('c', 40), { nil: undefined }),
}).map((g) => ({
  name: g.name,
  aws: { region: g.region, alarmEmails: g.alarmEmails },
  tags: g.tags,
  models: g.models.map((m, i) => ({
    name: m, source: { image: IMAGE, modelDataUrl: 's3://bucket-abc/m.tar.gz' }, endpoint: { compute: { instanceType: 'ml.m5.large' } },
    ...(g.registered ? { registry: {} } : {}),
    ...(g.monitored && i === 0 ? { drift: { dataQuality: { baseline: { constraintsUri: 's3://bucket-abc/c.json', statisticsUri: 's3://bucket-abc/s.json' } } } } : {}),
  })),
  experimentTracker: g.tracker,
  trainingClusters: g.cluster === undefined ? [] : [{
    name: g.cluster, lifecycleScriptsUri: 's3://bucket-abc/lifecycle/', aws: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
    instanceGroups: [{ name: 'gpu', compute: { instanceType: 'ml.g5.xlarge' }, count: 1 }],
  }],
}));

describe('validate, then synth (property-based)', () => {
  it('synthesizes every spec validation accepts, with SageMaker names within their limits', () => {
    let synthesized = 0;
    fc.assert(fc.property(specs, (spec) => {
      try {
        parsePlatformSpecFor('aws', spec);
      } catch (e) {
        if (e instanceof MlopsValidationError) return; // refused up front: nothing to synthesize
        throw e;
      }
      const app = new App();
      new AwsPlatform(app, 'Platform', { spec });
      const assembly = app.synth();
      synthesized += 1;
      for (const stack of assembly.stacks) {
        expect(stack.stackName.length).toBeLessThanOrEqual(128);
        for (const r of Object.values((stack.template as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }).Resources)) {
          for (const [property, max] of Object.entries(SAGEMAKER_NAME_LIMITS[r.Type] ?? {})) {
            const value = r.Properties?.[property];
            if (typeof value === 'string') expect({ [`${r.Type}.${property}`]: value.length }).toEqual({ [`${r.Type}.${property}`]: Math.min(value.length, max) });
          }
        }
      }
    }), { numRuns: 25, seed: 1042 });
    // The generator reaches synth, not only validation errors.
    expect(synthesized).toBeGreaterThanOrEqual(5);
  }, 240_000);
});
