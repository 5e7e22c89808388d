/**
 * Cross-account grants on a shared artifacts bucket and its key, at 100 registries each shared with
 * two stage accounts (the platform's delivered models), synthesized once without the
 * minimizePolicies feature flag (a team's app need not set it): the bucket policy stays within S3's
 * 20 KB and the key policy within KMS's 32 KB, measured with every intrinsic resolved (the bucket
 * named with S3's longest name), and each account reads only the prefixes of the registries shared
 * with it (IAM simulator).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ENV, IamWorld } from './iam-paths';
import { AccessLogsBucket, ModelRegistry, SecureBucket } from '../../../constructs/aws';

const REGISTRIES = 100;
const A = '222233334444';
const B = '555566667777';
const LIMITS = { bucketPolicyBytes: 20 * 1024, keyPolicyBytes: 32 * 1024, packageGroupPolicyChars: 20480 };
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
/** The platform's prefixes: `pipelines/<platform>-<model>` with names of realistic length. */
const prefix = (i: number) => `pipelines/mlops-reference-platform-model-number-${i}`;

describe(`an artifacts bucket shared by ${REGISTRIES} registries, each with two stage accounts`, () => {
  let world: IamWorld;
  let bucketName: string;
  const everything = [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 'kms:Decrypt'], Resource: '*' }] } }];

  beforeAll(() => {
    const app = new App({ builtinCloudFormationValidation: false });
    const shared = new Stack(app, 'Shared', { env: ENV, stackName: 'shared' });
    const key = new kms.Key(shared, 'Key', { enableKeyRotation: true });
    const bucket = new SecureBucket(shared, 'ModelArtifacts', { encryptionKey: key, accessLogs: new AccessLogsBucket(shared, 'AccessLogs'), accessLogsPrefix: 'model-artifacts/', replicationReason: 'test' });
    const models = new Stack(app, 'Models', { env: ENV, stackName: 'models' });
    for (let i = 0; i < REGISTRIES; i++) {
      new ModelRegistry(models, `Registry${i}`, { name: `model-${i}`, crossAccountReadAccountIds: [A, B], artifactsBucket: bucket, artifactsPrefix: prefix(i) });
    }
    new ModelRegistry(models, 'OnlyA', { name: 'only-a', crossAccountReadAccountIds: [A], artifactsBucket: bucket, artifactsPrefix: 'pipelines/only-a' });
    new ModelRegistry(models, 'OnlyB', { name: 'only-b', crossAccountReadAccountIds: [B], artifactsBucket: bucket, artifactsPrefix: 'pipelines/only-b' });
    world = IamWorld.fromApp(app);
    bucketName = world.resolver.physicalName('shared', world.logicalId('shared', 'AWS::S3::Bucket', 'ModelArtifacts'));
  });

  it("keeps the bucket policy within S3's 20 KB, with the longest bucket name S3 allows", () => {
    const [policy] = world.resolver.resourcesOfType('AWS::S3::BucketPolicy').filter((p) => p.logicalId.startsWith('ModelArtifactsPolicy'));
    const longest = JSON.stringify(policy.properties.PolicyDocument).split(bucketName).join('b'.repeat(63));
    expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(LIMITS.bucketPolicyBytes);
    // One statement per set of reader accounts ({A, B}, {A}, {B}), not per registry.
    const grants = (policy.properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement.filter((s) => JSON.stringify(s.Action).includes('s3:GetObjectVersion'));
    expect(grants).toHaveLength(3);
  });

  it("keeps the key policy within KMS's 32 KB: one Decrypt-through-S3 statement for both accounts", () => {
    const [key] = world.resolver.resourcesOfType('AWS::KMS::Key');
    expect(bytes(key.properties.KeyPolicy)).toBeLessThanOrEqual(LIMITS.keyPolicyBytes);
    const decrypt = (key.properties.KeyPolicy as { Statement: { Action: unknown; Principal?: { AWS?: unknown } }[] }).Statement.filter((s) => s.Action === 'kms:Decrypt');
    expect(decrypt.map((s) => s.Principal?.AWS)).toEqual([[`arn:aws:iam::${A}:root`, `arn:aws:iam::${B}:root`]]);
  });

  it("keeps each model package group policy within SageMaker's 20,480 characters", () => {
    const groups = world.resolver.resourcesOfType('AWS::SageMaker::ModelPackageGroup');
    expect(groups).toHaveLength(REGISTRIES + 2);
    expect(Math.max(...groups.map((g) => JSON.stringify(g.properties.ModelPackageGroupPolicy).length))).toBeLessThanOrEqual(LIMITS.packageGroupPolicyChars);
  });

  it("lets an account read the prefixes of the registries shared with it, and not another account's registry prefix", async () => {
    const object = (p: string) => `arn:aws:s3:::${bucketName}/${p}/pipelines-exec1-Train-abc/output/model.tar.gz`;
    const read = async (account: string, p: string) => (await world.evaluateWith(everything, { principal: `arn:aws:iam::${account}:role/endpoint`, action: 's3:GetObject', resource: object(p), context: { 's3:ResourceAccount': ENV.account } })).result;
    expect([await read(A, 'pipelines/only-a'), await read(A, prefix(7)), await read(B, 'pipelines/only-b'), await read(B, prefix(99))]).toEqual(['Allowed', 'Allowed', 'Allowed', 'Allowed']);
    expect([await read(A, 'pipelines/only-b'), await read(B, 'pipelines/only-a'), await read(A, 'pipelines/other'), await read('999988887777', prefix(7))]).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']);
  });
});

describe('an artifacts bucket shared by more registries than its policy can list', () => {
  it("fails synthesis with what to do, instead of PutBucketPolicy at deploy", () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Shared', { env: ENV });
    const bucket = new SecureBucket(stack, 'ModelArtifacts', { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }), accessLogs: new AccessLogsBucket(stack, 'AccessLogs'), accessLogsPrefix: 'model-artifacts/', replicationReason: 'test' });
    for (let i = 0; i < 160; i++) new ModelRegistry(stack, `Registry${i}`, { name: `model-${i}`, crossAccountReadAccountIds: [A, B], artifactsBucket: bucket, artifactsPrefix: prefix(i) });
    expect(() => app.synth()).toThrow(/Shared\/ModelArtifacts\] The bucket policy would be up to \d+ bytes, over S3's 20480 \(20 KB\): it lets other accounts read the artifacts of 160 registries/);
  });
});
