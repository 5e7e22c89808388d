import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { FeatureStore, FeatureStoreProps } from '../../../constructs/aws/feature-store';
import { lockFromTemplates, REPLACING_PROPERTIES, writeLockFile } from '../../../lib/features/lock';
import { MlopsValidationError } from '../../../lib/errors';
import { addCompliancePacks } from '../../../stacks/aws/compliance';
import { actionsOf, expectValidationError, newStack, only } from './helpers';

const FS = "FeatureStore 'Features' (Stack/Features)";

const CUSTOMERS = {
  name: 'customers',
  description: 'Customer activity features',
  recordIdentifier: 'customer_id',
  eventTime: 'event_time',
  features: [
    { name: 'customer_id', type: 'String' },
    { name: 'event_time', type: 'Fractional' },
    { name: 'tenure_months', type: 'Integral' },
    { name: 'monthly_charges', type: 'Fractional' },
  ],
} as const;

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-fs-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A lock file path in the test's own directory (never the working directory's). */
function lockPath(name: string): string {
  return path.join(tmp, `${name}.lock.json`);
}

type Input = Record<string, unknown> | ((stack: Stack) => Record<string, unknown>);

function store(input: Input, lockFile = lockPath('none')): { app: App; stack: Stack; store: FeatureStore } {
  const { app, stack } = newStack();
  const props = typeof input === 'function' ? input(stack) : input;
  const s = new FeatureStore(stack, 'Features', { lockFile, ...props } as unknown as FeatureStoreProps);
  return { app, stack, store: s };
}

function template(input: Input): Template {
  return Template.fromStack(store(input).stack);
}

/** Synthesizes `before`, locks it as deployed, and returns a function that synthesizes `after` against that lock. */
function deployedThen(name: string, before: Input): (after: Input) => Template {
  const file = lockPath(name);
  const first = store(before, file);
  const t = Template.fromStack(first.stack);
  writeLockFile(file, lockFromTemplates([{ stackName: first.stack.stackName, template: t.toJSON() }]));
  return (after) => Template.fromStack(store(after, file).stack);
}

describe('FeatureStore', () => {
  describe('feature groups', () => {
    it('creates a feature group from typed features, record identifier and event time', () => {
      template({ featureGroups: [CUSTOMERS] }).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
        FeatureGroupName: 'customers',
        RecordIdentifierFeatureName: 'customer_id',
        EventTimeFeatureName: 'event_time',
        FeatureDefinitions: [
          { FeatureName: 'customer_id', FeatureType: 'String' },
          { FeatureName: 'event_time', FeatureType: 'Fractional' },
          { FeatureName: 'tenure_months', FeatureType: 'Integral' },
          { FeatureName: 'monthly_charges', FeatureType: 'Fractional' },
        ],
        ThroughputConfig: { ThroughputMode: 'OnDemand' },
      });
    });

    it('encrypts the online store with the store key, Standard by default, with an optional TTL', () => {
      const { stack, store: s } = store({ featureGroups: [{ ...CUSTOMERS, onlineStore: { ttl: { value: 30, unit: 'Days' } } }] });
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
        OnlineStoreConfig: {
          EnableOnlineStore: true,
          StorageType: 'Standard',
          SecurityConfig: { KmsKeyId: stack.resolve(s.encryptionKey.keyArn) },
          TtlDuration: { Unit: 'Days', Value: 30 },
        },
      });
      Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it('supports the InMemory online store', () => {
      template({ featureGroups: [{ ...CUSTOMERS, onlineStore: { storageType: 'InMemory' } }] })
        .hasResourceProperties('AWS::SageMaker::FeatureGroup', { OnlineStoreConfig: Match.objectLike({ StorageType: 'InMemory' }) });
    });

    it('puts the offline store in a KMS-encrypted bucket with a Glue table by default, or Iceberg', () => {
      const { stack, store: s } = store({ featureGroups: [CUSTOMERS, { ...CUSTOMERS, name: 'customers-v2', offlineStore: { tableFormat: 'Iceberg' } }] });
      const t = Template.fromStack(stack);
      const key = stack.resolve(s.encryptionKey.keyArn);
      t.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
        FeatureGroupName: 'customers',
        OfflineStoreConfig: { S3StorageConfig: { S3Uri: Match.anyValue(), KmsKeyId: key }, TableFormat: 'Glue', DisableGlueTableCreation: false },
        RoleArn: stack.resolve(s.offlineStoreRole!.roleArn),
      });
      t.hasResourceProperties('AWS::SageMaker::FeatureGroup', { FeatureGroupName: 'customers-v2', OfflineStoreConfig: Match.objectLike({ TableFormat: 'Iceberg' }) });
      t.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key } })] },
        VersioningConfiguration: { Status: 'Enabled' },
      });
    });

    it('creates no offline bucket, role or workgroup for online-only groups', () => {
      const t = template({ featureGroups: [{ ...CUSTOMERS, offlineStore: { enabled: false } }] });
      t.resourceCountIs('AWS::S3::Bucket', 0);
      t.resourceCountIs('AWS::Athena::WorkGroup', 0);
      t.hasResourceProperties('AWS::SageMaker::FeatureGroup', { OfflineStoreConfig: Match.absent(), RoleArn: Match.absent() });
    });

    it('renders provisioned throughput', () => {
      template({ featureGroups: [{ ...CUSTOMERS, throughput: { mode: 'Provisioned', readCapacityUnits: 10, writeCapacityUnits: 5 } }] })
        .hasResourceProperties('AWS::SageMaker::FeatureGroup', { ThroughputConfig: { ThroughputMode: 'Provisioned', ProvisionedReadCapacityUnits: 10, ProvisionedWriteCapacityUnits: 5 } });
    });

    it("makes the feature group the primary child 'Resource' of its group construct", () => {
      const { store: s } = store({ featureGroups: [CUSTOMERS] });
      expect(s.featureGroup('customers').node.defaultChild).toBe(s.featureGroup('customers').cfnFeatureGroup);
    });
  });

  describe('no data lost by accident', () => {
    it('retains feature groups, buckets, the key and the workgroup', () => {
      const t = template({ featureGroups: [CUSTOMERS] });
      for (const type of ['AWS::SageMaker::FeatureGroup', 'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Athena::WorkGroup']) {
        const all = Object.values(t.findResources(type));
        expect(all.length).toBeGreaterThan(0);
        for (const r of all) expect({ type, DeletionPolicy: r.DeletionPolicy, UpdateReplacePolicy: r.UpdateReplacePolicy }).toEqual({ type, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    });

    it('keeps stack-level tags off the feature group while other resources get them', () => {
      const { stack } = store({ featureGroups: [CUSTOMERS] });
      Tags.of(stack).add('cost-center', 'ml-42');
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::SageMaker::FeatureGroup', { Tags: Match.absent() });
      t.hasResourceProperties('AWS::S3::Bucket', { Tags: Match.arrayWith([{ Key: 'cost-center', Value: 'ml-42' }]) });
    });

    it('lists exactly the properties CloudFormation replaces a feature group for', () => {
      const db = loadAwsServiceSpecSync();
      const resource = db.lookup('resource', 'cloudFormationType', 'equals', 'AWS::SageMaker::FeatureGroup').only();
      const replacing = Object.entries(resource.properties).filter(([, p]) => p.causesReplacement === 'yes').map(([k]) => k).sort();
      expect(Object.keys(REPLACING_PROPERTIES).sort()).toEqual(replacing);
    });

    it('synthesizes an unchanged feature group against its lock', () => {
      const again = deployedThen('unchanged', { featureGroups: [CUSTOMERS] });
      again({ featureGroups: [CUSTOMERS] }).hasResourceProperties('AWS::SageMaker::FeatureGroup', { FeatureGroupName: 'customers', RecordIdentifierFeatureName: 'customer_id' });
    });

    it('allows appending features to a deployed feature group', () => {
      const again = deployedThen('append', { featureGroups: [CUSTOMERS] });
      const t = again({ featureGroups: [{ ...CUSTOMERS, features: [...CUSTOMERS.features, { name: 'support_calls', type: 'Integral' }] }] });
      t.hasResourceProperties('AWS::SageMaker::FeatureGroup', { FeatureDefinitions: Match.arrayWith([{ FeatureName: 'support_calls', FeatureType: 'Integral' }]) });
    });

    it('refuses a change of the online store configuration of a deployed feature group, saying why and how to migrate', () => {
      const again = deployedThen('online', { featureGroups: [CUSTOMERS] });
      const err = expectValidationError(() => again({ featureGroups: [{ ...CUSTOMERS, onlineStore: { storageType: 'InMemory' } }] }), FS,
        { path: 'featureGroups[0].onlineStore', message: "CloudFormation would REPLACE it (OnlineStoreConfig is a replacement property of AWS::SageMaker::FeatureGroup)" });
      expect(err.message).toMatch(/migrate: create a feature group under a new name/);
      expect(err.message).toMatch(/mlops features lock/);
    });

    it('refuses a changed description of a deployed feature group', () => {
      const again = deployedThen('description', { featureGroups: [CUSTOMERS] });
      expectValidationError(() => again({ featureGroups: [{ ...CUSTOMERS, description: 'Renamed' }] }), FS,
        { path: 'featureGroups[0].description', got: "\"Renamed\"", message: 'would REPLACE' });
    });

    it('refuses disabling the offline store of a deployed feature group', () => {
      const again = deployedThen('offline', { featureGroups: [CUSTOMERS] });
      expectValidationError(() => again({ featureGroups: [{ ...CUSTOMERS, offlineStore: { enabled: false } }] }), FS,
        { path: 'featureGroups[0].offlineStore', message: 'would REPLACE' }, { path: 'featureGroups[0].role', message: 'would REPLACE' });
    });

    it('refuses another offline store role for a deployed feature group', () => {
      const again = deployedThen('role', { featureGroups: [CUSTOMERS] });
      const withRole = (stack: Stack) => ({ featureGroups: [CUSTOMERS], offlineStoreRole: iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/other') });
      expectValidationError(() => again(withRole), FS, { path: 'featureGroups[0].role', message: 'would REPLACE' });
    });

    it('refuses a changed record identifier of a deployed feature group', () => {
      const again = deployedThen('record', { featureGroups: [CUSTOMERS] });
      expectValidationError(() => again({ featureGroups: [{ ...CUSTOMERS, recordIdentifier: 'tenure_months' }] }), FS, { path: 'featureGroups[0].recordIdentifier', message: 'would REPLACE' });
    });

    it('refuses removing a feature of a deployed feature group', () => {
      const again = deployedThen('remove', { featureGroups: [CUSTOMERS] });
      expectValidationError(() => again({ featureGroups: [{ ...CUSTOMERS, features: CUSTOMERS.features.slice(0, 3) }] }), FS,
        { path: 'featureGroups[0].features', message: "removes feature 'monthly_charges'" });
    });

    it('refuses retyping a feature of a deployed feature group', () => {
      const again = deployedThen('retype', { featureGroups: [CUSTOMERS] });
      const features = CUSTOMERS.features.map((f) => (f.name === 'tenure_months' ? { ...f, type: 'Fractional' } : f));
      expectValidationError(() => again({ featureGroups: [{ ...CUSTOMERS, features }] }), FS,
        { path: 'featureGroups[0].features', message: "changes the type of feature 'tenure_months'", expected: "type 'Integral'" });
    });

    it("keeps each feature group's logical id when groups are added or reordered (the name is its identity)", () => {
      const a = store({ featureGroups: [CUSTOMERS] });
      const b = store({ featureGroups: [{ ...CUSTOMERS, name: 'accounts' }, CUSTOMERS] });
      expect(b.stack.getLogicalId(b.store.featureGroup('customers').cfnFeatureGroup)).toBe(a.stack.getLogicalId(a.store.featureGroup('customers').cfnFeatureGroup));
    });

    it('reads the lock file named by the cdk-mlops:featureStoreLock context when no lockFile is given', () => {
      const file = lockPath('context');
      const first = store({ featureGroups: [CUSTOMERS] });
      writeLockFile(file, lockFromTemplates([{ stackName: 'Stack', template: Template.fromStack(first.stack).toJSON() }]));
      const app = new App({ context: { 'cdk-mlops:featureStoreLock': file } });
      const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
      new FeatureStore(stack, 'Features', { featureGroups: [{ ...CUSTOMERS, description: 'Changed' }] } as unknown as FeatureStoreProps);
      expectValidationError(() => Template.fromStack(stack), FS, { path: 'featureGroups[0].description', message: 'would REPLACE' });
    });

    it('lets a new feature group (a new name) be created beside a locked one', () => {
      const again = deployedThen('newname', { featureGroups: [CUSTOMERS] });
      const t = again({ featureGroups: [CUSTOMERS, { ...CUSTOMERS, name: 'customers-v2', onlineStore: { storageType: 'InMemory' } }] });
      t.resourceCountIs('AWS::SageMaker::FeatureGroup', 2);
    });
  });

  describe('grants', () => {
    function grantsTo(fn: (s: FeatureStore, role: iam.Role) => void): Record<string, unknown>[] {
      const { stack, store: s } = store({ featureGroups: [CUSTOMERS] });
      const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      fn(s, role);
      const t = Template.fromStack(stack);
      const policies = t.findResources('AWS::IAM::Policy');
      return Object.values(policies).flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement);
    }

    it('grantRead allows GetRecord and BatchGetRecord on the feature group and decrypts with its key', () => {
      const statements = grantsTo((s, r) => s.grantRead(r));
      const actions = statements.flatMap(actionsOf);
      expect(actions).toEqual(expect.arrayContaining(['sagemaker:GetRecord', 'sagemaker:BatchGetRecord', 'kms:Decrypt']));
      expect(actions).not.toContain('sagemaker:PutRecord');
      const read = statements.find((s) => actionsOf(s).includes('sagemaker:GetRecord'))!;
      expect(JSON.stringify(read.Resource)).toContain(':feature-group/customers');
    });

    it('grantWrite allows PutRecord and DeleteRecord and encrypts with the key', () => {
      const actions = grantsTo((s, r) => s.grantWrite(r)).flatMap(actionsOf);
      expect(actions).toEqual(expect.arrayContaining(['sagemaker:PutRecord', 'sagemaker:DeleteRecord', 'kms:Encrypt', 'kms:GenerateDataKey']));
      expect(actions).not.toContain('sagemaker:GetRecord');
    });

    it('grantOfflineQuery allows Athena in the store workgroup, Glue on the offline tables and S3/KMS on the store', () => {
      const statements = grantsTo((s, r) => s.grantOfflineQuery(r));
      const actions = statements.flatMap(actionsOf);
      expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults', 'glue:GetTable', 'glue:GetPartitions', 's3:GetObject', 's3:PutObject', 'kms:Decrypt']));
      const glue = statements.find((s) => actionsOf(s).includes('glue:GetTable'))!;
      expect(JSON.stringify(glue.Resource)).toContain(':table/sagemaker_featurestore/customers_*');
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
      const athena = statements.find((s) => actionsOf(s).includes('athena:StartQueryExecution'))!;
      expect(JSON.stringify(athena.Resource)).toContain(':workgroup/');
    });

    it('refuses grantOfflineQuery when no group has an offline store', () => {
      const { store: s, stack } = store({ featureGroups: [{ ...CUSTOMERS, offlineStore: { enabled: false } }] });
      const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      expectValidationError(() => s.grantOfflineQuery(role), FS, { path: 'featureGroups', message: 'has no offline store to query' });
    });
  });

  describe('least privilege', () => {
    it('gives the offline store role S3 on the offline prefix and the store key, nothing broader', () => {
      const t = template({ featureGroups: [CUSTOMERS] });
      const statements = Object.values(t.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement);
      for (const s of statements) {
        expect(actionsOf(s).some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
      }
      const write = statements.find((s) => s.Sid === 'WriteOfflineStore')!;
      expect(JSON.stringify(write.Resource)).toContain('/offline-store/*');
      const policy = only(t, 'AWS::IAM::ManagedPolicy');
      expect(JSON.stringify(policy.resource)).not.toMatch(/FullAccess/);
    });

    it('encrypts Athena query results with the store key and enforces the workgroup settings', () => {
      const { stack, store: s } = store({ featureGroups: [CUSTOMERS] });
      Template.fromStack(stack).hasResourceProperties('AWS::Athena::WorkGroup', {
        WorkGroupConfiguration: Match.objectLike({
          EnforceWorkGroupConfiguration: true,
          ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: stack.resolve(s.encryptionKey.keyArn) } }),
        }),
      });
    });
  });

  describe('compliance', () => {
    it('passes the AwsSolutions, NIST 800-53 R5 and HIPAA packs with Glue and Iceberg offline stores', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-fs-nag-'));
      try {
        const app = new App({ outdir });
        const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
        new FeatureStore(stack, 'Features', {
          lockFile: lockPath('none'),
          featureGroups: [CUSTOMERS, { ...CUSTOMERS, name: 'customers-iceberg', offlineStore: { tableFormat: 'Iceberg' } }],
        } as unknown as FeatureStoreProps);
        addCompliancePacks(app);
        expect(() => app.synth()).not.toThrow();
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    });
  });

  describe('rejected input', () => {
    const group = (over: Record<string, unknown>) => ({ featureGroups: [{ ...CUSTOMERS, ...over }] });

    it('rejects a record identifier that names no feature', () => {
      expectValidationError(() => store(group({ recordIdentifier: 'customer' })), FS, { path: 'featureGroups[0].recordIdentifier', message: 'names no feature', got: "'customer'" });
    });

    it('rejects a missing record identifier', () => {
      expectValidationError(() => store(group({ recordIdentifier: undefined })), FS, { path: 'featureGroups[0].recordIdentifier', message: 'is required' });
    });

    it('rejects a Fractional record identifier', () => {
      expectValidationError(() => store(group({ recordIdentifier: 'monthly_charges' })), FS, { path: 'featureGroups[0].recordIdentifier', expected: "an 'Integral' or 'String' feature" });
    });

    it('rejects an event time that names no feature', () => {
      expectValidationError(() => store(group({ eventTime: 'ts' })), FS, { path: 'featureGroups[0].eventTime', message: 'names no feature' });
    });

    it('rejects an Integral event time', () => {
      expectValidationError(() => store(group({ eventTime: 'tenure_months' })), FS, { path: 'featureGroups[0].eventTime', message: "names an 'Integral' feature" });
    });

    it('rejects duplicate feature names, case-insensitively', () => {
      expectValidationError(() => store(group({ features: [...CUSTOMERS.features, { name: 'Tenure_Months', type: 'Integral' }] })), FS,
        { path: 'featureGroups[0].features[4].name', message: 'repeats the name of features[2]' });
    });

    it('rejects an unknown feature type', () => {
      expectValidationError(() => store(group({ features: [...CUSTOMERS.features, { name: 'x', type: 'Float' }] })), FS,
        { path: 'featureGroups[0].features[4].type', expected: "one of 'Integral', 'Fractional', 'String'" });
    });

    it('rejects a reserved feature name', () => {
      expectValidationError(() => store(group({ features: [...CUSTOMERS.features, { name: 'write_time', type: 'String' }] })), FS,
        { path: 'featureGroups[0].features[4].name', message: 'is reserved by the offline store' });
    });

    it('rejects duplicate feature group names', () => {
      expectValidationError(() => store({ featureGroups: [CUSTOMERS, CUSTOMERS] }), FS, { path: 'featureGroups[1].name', message: 'repeats the name of featureGroups[0]' });
    });

    it('rejects a group with neither store', () => {
      expectValidationError(() => store(group({ onlineStore: { enabled: false }, offlineStore: { enabled: false } })), FS, { path: 'featureGroups[0].offlineStore.enabled', message: 'leaves the group with no store' });
    });

    it('rejects provisioned throughput without capacities', () => {
      expectValidationError(() => store(group({ throughput: { mode: 'Provisioned' } })), FS,
        { path: 'featureGroups[0].throughput.readCapacityUnits', message: "is required in mode 'Provisioned'" },
        { path: 'featureGroups[0].throughput.writeCapacityUnits', message: "is required in mode 'Provisioned'" });
    });

    it('rejects capacities with on-demand throughput', () => {
      expectValidationError(() => store(group({ throughput: { readCapacityUnits: 5 } })), FS, { path: 'featureGroups[0].throughput.readCapacityUnits', message: "only applies to mode 'Provisioned'" });
    });

    it('rejects a TTL without an online store', () => {
      expectValidationError(() => store(group({ onlineStore: { enabled: false, ttl: { value: 1, unit: 'Days' } } })), FS, { path: 'featureGroups[0].onlineStore.ttl', message: 'needs the online store' });
    });

    it('rejects a bad feature group name', () => {
      expectValidationError(() => store(group({ name: 'customers!' })), FS, { path: 'featureGroups[0].name', message: 'is not in the expected format' });
    });

    it('throws MlopsValidationError, never a raw error, for an empty store', () => {
      expect(() => store({ featureGroups: [] })).toThrow(MlopsValidationError);
    });
  });
});
