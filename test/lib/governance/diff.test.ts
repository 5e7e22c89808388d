/**
 * `mlops audit diff` on pairs of synthesized platforms: one widens a role, one removes a key, one
 * replaces a feature group; each exits 1 and says why. An unchanged pair exits 0.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnWaitConditionHandle, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { runMlops } from '../../bin/cli';
import { governanceDiff } from '../../../lib/governance';
import { PlatformSpecInput } from '../../../lib/spec';
import { AwsPlatform } from '../../../stacks/aws/platform';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const spec: PlatformSpecInput = { name: 'diffp', aws: { region: 'us-east-1', account: '123456789012' }, models: [{ name: 'm', registry: {}, source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] };

let root: string;
beforeAll(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-diff-')); });
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Synthesizes an app into a fresh directory under the test root. */
function synth(name: string, build: (app: App) => void): string {
  const outdir = path.join(root, name);
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  build(app);
  app.synth();
  return outdir;
}
const platform = (app: App) => new AwsPlatform(app, 'Platform', { spec });


describe('mlops audit diff', () => {
  let base: string;
  beforeAll(() => { base = synth('base', platform); });

  it('exits 0 on an unchanged pair and says so', async () => {
    const same = synth('same', platform);
    const r = await runMlops(['audit', 'diff', base, same]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^No governance changes/);
  });

  it('exits 1 when a role gains a permission, naming the action and the resource', async () => {
    const widened = synth('widened', (app) => {
      const p = platform(app);
      p.models.get('m')!.endpoint!.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::customer-exports/*'] }));
    });
    const r = await runMlops(['audit', 'diff', base, widened]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✖ New or wider permission: diffp-m\/.*Allow s3:GetObject on arn:aws:s3:::customer-exports\/\*/);
    expect(r.err).toMatch(/widen access or can lose data/);
  });

  it('exits 1 when encryption is removed from data capture', async () => {
    const unkeyed = synth('unkeyed', (app) => {
      platform(app).models.get('m')!.endpoint!.cfnEndpointConfig.addPropertyDeletionOverride('DataCaptureConfig.KmsKeyId');
    });
    const diff = governanceDiff(base, unkeyed);
    expect(diff.blocking).toBe(true);
    expect(diff.changes).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'encryption-removed', stack: 'diffp-m', type: 'AWS::SageMaker::EndpointConfig', detail: 'DataCaptureConfig.KmsKeyId is missing', blocking: true }),
    ]));
    expect((await runMlops(['audit', 'diff', base, unkeyed])).code).toBe(1);
  });

  it('exits 1 when a feature group is replaced (its record identifier changes)', async () => {
    const featureGroup = (recordId: string) => (app: App) => {
      const stack = new Stack(app, 'Features', { stackName: 'diffp-features' });
      const fg = new sagemaker.CfnFeatureGroup(stack, 'Customers', {
        featureGroupName: 'customers',
        recordIdentifierFeatureName: recordId,
        eventTimeFeatureName: 'event_time',
        featureDefinitions: [{ featureName: recordId, featureType: 'String' }, { featureName: 'event_time', featureType: 'String' }],
        onlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' } },
      });
      fg.applyRemovalPolicy(RemovalPolicy.RETAIN);
    };
    const before = synth('fg-before', featureGroup('customer_id'));
    const after = synth('fg-after', featureGroup('account_id'));
    const diff = governanceDiff(before, after);
    expect(diff.changes).toEqual([expect.objectContaining({ kind: 'stateful-replaced', logicalId: 'Customers', type: 'AWS::SageMaker::FeatureGroup', blocking: true })]);
    expect(diff.changes[0].detail).toMatch(/will be replaced .* because .*RecordIdentifierFeatureName/);
    expect((await runMlops(['audit', 'diff', before, after])).code).toBe(1);
  });

  it('tells a deleted bucket that loses data from a retained one that is only orphaned', () => {
    const buckets = (keep: boolean) => (app: App) => {
      const stack = new Stack(app, 'Data', { stackName: 'diffp-data' });
      new CfnWaitConditionHandle(stack, 'Placeholder'); // a template needs one resource
      if (keep) {
        new s3.Bucket(stack, 'Retained', { removalPolicy: RemovalPolicy.RETAIN });
        new s3.Bucket(stack, 'Destroyed', { removalPolicy: RemovalPolicy.DESTROY });
      }
    };
    const diff = governanceDiff(synth('b-before', buckets(true)), synth('b-after', buckets(false)));
    expect(diff.changes.map((c) => [c.kind, c.logicalId.replace(/[0-9A-F]{8}$/, ''), c.blocking])).toEqual([
      ['stateful-deleted', 'Destroyed', true],
      ['stateful-orphaned', 'Retained', false],
    ]);
  });

  it('exits 2 when a side is not a cloud assembly', async () => {
    const r = await runMlops(['audit', 'diff', path.join(root, 'nothing-here'), base]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/<old>: is not a cloud assembly/);
  });
});

describe('mlops audit', () => {
  it('writes the three report files and exits 0 on a compliant platform', async () => {
    const dir = synth('audited', platform);
    const out = path.join(root, 'audit-out');
    const r = await runMlops(['audit', '--cdk-out', dir, '--out', out]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['report.html', 'report.json', 'report.md']);
    expect(r.out).toMatch(/governance level baseline/);
  });

  it('exits 1 when a required tag is missing from a resource', async () => {
    const dir = synth('untagged', (app) => {
      const p = new AwsPlatform(app, 'Platform', { spec: { ...spec, tags: { owner: 'a', 'cost-center': 'b', 'data-classification': 'c' }, governance: { requiredTags: ['owner', 'cost-center', 'data-classification'] } } });
      new s3.CfnBucket(p.shared, 'Stray', {}).addPropertyOverride('Tags', []);
    });
    const r = await runMlops(['audit', '--cdk-out', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1 resource\(s\) missing required tags/);
  });

  it('exits 2 when --cdk-out is not a cloud assembly', async () => {
    expect((await runMlops(['audit', '--cdk-out', path.join(root, 'none')])).code).toBe(2);
  });
});
