import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { EXIT } from '../../bin/mlops';
import { runMlops } from './cli';
import { PlatformSpecInput } from '../../lib/spec';


const FEATURES = [
  { name: 'customer_id', type: 'String' },
  { name: 'event_time', type: 'Fractional' },
  { name: 'tenure_months', type: 'Integral' },
] as const;

function platform(group: Record<string, unknown> = {}): PlatformSpecInput {
  return {
    name: 'lockp',
    aws: { region: 'us-east-1' },
    models: [{
      name: 'churn',
      source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1' },
      endpoint: { compute: { instanceType: 'ml.m5.large' } },
      featureStore: { featureGroups: [{ name: 'customers', recordIdentifier: 'customer_id', eventTime: 'event_time', features: [...FEATURES], ...group }] },
    }],
  };
}

describe('mlops features lock', () => {
  // Each test works in a directory of its own; those that start from a deployed state copy the lock
  // the unchanged platform gives, made once here.
  let root: string;
  let baselineLock: string;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-lock-'));
    const baseline = workspace('baseline');
    baseline.write(platform());
    expect((await runMlops(['features', 'lock', '--config', baseline.spec, '--lock', baseline.lock])).code).toBe(EXIT.ok);
    baselineLock = fs.readFileSync(baseline.lock, 'utf8');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  function workspace(name: string, options: { locked?: boolean } = {}) {
    const dir = fs.mkdtempSync(path.join(root, `${name}-`));
    const spec = path.join(dir, 'platform.yaml');
    const lock = path.join(dir, 'feature-store.lock.json');
    if (options.locked) fs.writeFileSync(lock, baselineLock);
    return { spec, lock, write: (p: PlatformSpecInput) => fs.writeFileSync(spec, stringify(p)) };
  }

  it('records the synthesized feature groups in the lock file', async () => {
    const { spec, lock, write } = workspace('record');
    write(platform());
    const r = await runMlops(['features', 'lock', '--config', spec, '--lock', lock]);
    expect(r).toMatchObject({ code: EXIT.ok });
    expect(r.out).toContain('+ lockp-churn/customers (3 features)');
    const content = JSON.parse(fs.readFileSync(lock, 'utf8'));
    expect(content.version).toBe(1);
    expect(content.featureGroups['lockp-churn/customers'].properties).toMatchObject({ FeatureGroupName: 'customers', RecordIdentifierFeatureName: 'customer_id' });
  });

  it('--check passes while the app matches the lock', async () => {
    const { spec, lock, write } = workspace('check', { locked: true });
    write(platform());
    const r = await runMlops(['features', 'lock', '--config', spec, '--lock', lock, '--check']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('up to date');
  });

  it('accepts appended features: --check reports the lock out of date, lock records them', async () => {
    const { spec, lock, write } = workspace('append', { locked: true });
    write(platform({ features: [...FEATURES, { name: 'support_calls', type: 'Integral' }] }));
    const check = await runMlops(['features', 'lock', '--config', spec, '--lock', lock, '--check']);
    expect(check.code).toBe(EXIT.checkFailed);
    expect(check.err).toContain('features appended: support_calls');
    const r = await runMlops(['features', 'lock', '--config', spec, '--lock', lock]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('~ lockp-churn/customers: features appended: support_calls');
    expect(Object.keys(JSON.parse(fs.readFileSync(lock, 'utf8')).featureGroups['lockp-churn/customers'].properties.FeatureDefinitions)).toHaveLength(4);
  });

  it('refuses a replacing change with exit 2 and leaves the lock as it was', async () => {
    const { spec, lock, write } = workspace('replace', { locked: true });
    write(platform({ onlineStore: { storageType: 'InMemory' } }));
    const r = await runMlops(['features', 'lock', '--config', spec, '--lock', lock]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toContain("FeatureStore 'FeatureStore' (Platform/churn/FeatureStore): featureGroups[0].onlineStore: changes the online store configuration (enabled, storage type, TTL or KMS key) of the deployed feature group 'customers'");
    expect(r.err).toContain('got StorageType="InMemory", expected the deployed StorageType="Standard"');
    expect(r.err).toMatch(/CloudFormation would REPLACE it \(OnlineStoreConfig/);
    expect(r.err).toMatch(/migrate/);
    expect(fs.readFileSync(lock, 'utf8')).toBe(baselineLock);
  });
});
