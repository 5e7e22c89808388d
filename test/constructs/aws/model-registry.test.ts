import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModelRegistry } from '../../../constructs/aws';
import { constructWarnings } from '../../../stacks/aws/synth';
import { ENV, IamWorld } from '../../stacks/aws/iam-paths';
import { ACCOUNT, allStatements, expectValidationError, newStack, only, REGION } from './helpers';

const GROUP_ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package-group/churn`;
const PACKAGES_ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/churn/*`;
const REG = "ModelRegistry 'Reg' (Stack/Reg)";

function registry(props: Record<string, unknown> = {}) {
  const { stack } = newStack();
  const reg = new ModelRegistry(stack, 'Reg', props);
  return { stack, reg, template: Template.fromStack(stack) };
}

/** Template values with the partition read as 'aws' and string joins joined, so ARNs compare as plain strings. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (record.Ref === 'AWS::Partition') return 'aws';
  const join = record['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) {
    const parts = join[1].map(plain);
    if (parts.every((p) => typeof p === 'string')) return parts.join(join[0]);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
}

/** The actions a role was granted, over all its statements. */
function grantedActions(template: Template): string[] {
  return allStatements(template).filter((s) => s.Action !== 'sts:AssumeRole').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]);
}

describe('ModelRegistry', () => {
  describe('model package group', () => {
    it('creates one group with the given name and description, retained on delete and replace', () => {
      const { template } = registry({ name: 'churn', description: 'Churn classifier versions' });
      const { resource } = only(template, 'AWS::SageMaker::ModelPackageGroup');
      expect(resource.Properties).toEqual({ ModelPackageGroupName: 'churn', ModelPackageGroupDescription: 'Churn classifier versions' });
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    });

    it('derives a lower-case name of at most 63 characters from the construct path when none is given', () => {
      const { reg, template } = registry();
      const name = only(template, 'AWS::SageMaker::ModelPackageGroup').resource.Properties?.ModelPackageGroupName as string;
      expect(name).toMatch(/^[a-z0-9](-*[a-z0-9]){0,62}$/);
      expect(name).toContain('stack-reg');
      expect(reg.modelPackageGroupName).toBe(name);
    });

    it('exposes the group ARN and the ARN of one version in lower case, as SageMaker writes them', () => {
      const { reg, stack } = registry({ name: 'Churn' });
      expect(plain(stack.resolve(reg.modelPackageGroupArn))).toBe(GROUP_ARN);
      expect(plain(stack.resolve(reg.modelPackageArn(3)))).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/churn/3`);
    });

    it('has no resource policy without cross-account readers', () => {
      const { template } = registry({ name: 'churn' });
      expect(only(template, 'AWS::SageMaker::ModelPackageGroup').resource.Properties).not.toHaveProperty('ModelPackageGroupPolicy');
    });
  });

  describe('cross-account read access', () => {
    it('lets exactly the listed accounts describe the group and read and deploy its packages', () => {
      const { template } = registry({ name: 'churn', crossAccountReadAccountIds: ['111122223333', '444455556666'] });
      const policy = plain(only(template, 'AWS::SageMaker::ModelPackageGroup').resource.Properties?.ModelPackageGroupPolicy) as { Statement: Record<string, unknown>[] };
      const principals = { AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:root'] };
      expect(policy.Statement).toEqual([
        { Sid: 'CrossAccountDescribeGroup', Effect: 'Allow', Principal: principals, Action: ['sagemaker:DescribeModelPackageGroup'], Resource: GROUP_ARN },
        { Sid: 'CrossAccountReadAndDeployPackages', Effect: 'Allow', Principal: principals, Action: ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages', 'sagemaker:CreateModel'], Resource: PACKAGES_ARN },
      ]);
    });

    it('never grants a public principal', () => {
      const { template } = registry({ name: 'churn', crossAccountReadAccountIds: ['111122223333'] });
      expect(JSON.stringify(template.toJSON())).not.toMatch(/"Principal":\s*"\*"|"AWS":\s*"\*"/);
    });

    it('warns that cross-account readers also need the artifacts bucket when it is imported', () => {
      const { stack } = newStack();
      const artifacts = s3.Bucket.fromBucketName(stack, 'Artifacts', 'artifacts');
      new ModelRegistry(stack, 'Reg', { name: 'churn', crossAccountReadAccountIds: ['111122223333'], artifactsBucket: artifacts, artifactsPrefix: 'pipelines/churn' });
      Annotations.fromStack(stack).hasWarning('/Stack/Reg', Match.stringLikeRegexp("cross-account read \\(111122223333\\) also need the bucket policy of the artifacts bucket \\(s3:GetObject on 'pipelines/churn/\\*'\\).*\\[ack: cdk-mlops:registryCrossAccountArtifacts\\]"));
    });

    it('warns, in what mlops synth prints, that cross-account readers cannot read artifacts when the bucket is not known', () => {
      const { app, stack } = newStack();
      new ModelRegistry(stack, 'Reg', { name: 'churn', crossAccountReadAccountIds: ['111122223333'] });
      app.synth();
      expect(constructWarnings(app)).toEqual([{ id: 'cdk-mlops:registryCrossAccountArtifacts', path: 'Stack/Reg',
        message: expect.stringMatching(/^The accounts granted cross-account read \(111122223333\) can describe and deploy the packages but not read their artifacts: the artifacts bucket is not known\. Pass artifactsBucket/) }]);
    });

    it('warns, in what mlops synth prints, that the key of an imported bucket must grant decrypt when it was not given', () => {
      const { app, stack } = newStack();
      const artifacts = s3.Bucket.fromBucketName(stack, 'Artifacts', 'artifacts');
      new ModelRegistry(stack, 'Reg', { name: 'churn', crossAccountReadAccountIds: ['111122223333'], artifactsBucket: artifacts, artifactsPrefix: 'pipelines/churn' });
      app.synth();
      const warnings = constructWarnings(app);
      expect(warnings.map((w) => [w.id, w.path])).toEqual([['cdk-mlops:registryCrossAccountArtifacts', 'Stack/Reg']]);
      expect(warnings[0].message).toContain("also need the bucket policy of the artifacts bucket (s3:GetObject on 'pipelines/churn/*') and kms:Decrypt (with kms:ViaService s3) in the key policy of the KMS key that encrypts it, if one does");
    });

    it('warns that the key policy must grant decrypt when only the key is imported', () => {
      const { stack } = newStack();
      const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-4333-8444-555555555555`);
      const artifacts = new s3.Bucket(stack, 'Artifacts', { encryptionKey: key });
      new ModelRegistry(stack, 'Reg', { name: 'churn', crossAccountReadAccountIds: ['111122223333'], artifactsBucket: artifacts, artifactsPrefix: 'pipelines/churn' });
      Annotations.fromStack(stack).hasWarning('/Stack/Reg', Match.stringLikeRegexp('also need the key policy of its KMS key \\(kms:Decrypt with kms:ViaService s3\\); add them there'));
    });

    it("lets cross-account readers read the registry's artifact prefix and decrypt it through S3 only", () => {
      const { stack } = newStack();
      const key = new kms.Key(stack, 'Key');
      const artifacts = new s3.Bucket(stack, 'Artifacts', { encryptionKey: key });
      new ModelRegistry(stack, 'Reg', { name: 'churn', crossAccountReadAccountIds: ['444455556666'], artifactsBucket: artifacts, artifactsPrefix: 'pipelines/churn' });
      const template = Template.fromStack(stack);
      const consumer = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:root']] } };
      template.hasResourceProperties('AWS::S3::BucketPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Allow', Principal: consumer, Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Artifacts'), 'Arn'] }, '/pipelines/churn/*']] },
      })]) } });
      template.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Allow', Principal: consumer, Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      })]) } });
      Annotations.fromStack(stack).hasNoWarning('/Stack/Reg', Match.anyValue());
    });
  });

  describe('cross-account read, evaluated by IAM (iam-simulate)', () => {
    const CONSUMER = '444455556666';
    const THIRD = '777788889999';
    let world: IamWorld;
    let objectArn: string;
    let otherObjectArn: string;
    let keyArn: string;
    const packageArn = `arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-package/churn/3`;
    beforeAll(() => {
      const app = new App();
      const stack = new Stack(app, 'Registry', { env: ENV });
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const artifacts = new s3.Bucket(stack, 'Artifacts', { encryptionKey: key, enforceSSL: true });
      new ModelRegistry(stack, 'Reg', { name: 'churn', crossAccountReadAccountIds: [CONSUMER], artifactsBucket: artifacts, artifactsPrefix: 'pipelines/churn' });
      world = IamWorld.fromApp(app, ENV);
      const bucket = world.resolver.resolveString('Registry', { Ref: world.logicalId('Registry', 'AWS::S3::Bucket', 'Artifacts') });
      objectArn = `arn:aws:s3:::${bucket}/pipelines/churn/job/output/model.tar.gz`;
      otherObjectArn = `arn:aws:s3:::${bucket}/pipelines/fraud/job/output/model.tar.gz`;
      keyArn = world.resolver.resolveString('Registry', { 'Fn::GetAtt': [world.logicalId('Registry', 'AWS::KMS::Key', 'Key'), 'Arn'] });
    });

    /** What a role of `account` may do: everything, as far as its own account is concerned; the registry's policies decide. */
    const evaluate = async (account: string, action: string, resource: string, context: Record<string, string> = {}) => (await world.evaluateWith(
      [{ name: 'own-account', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
      { principal: `arn:aws:iam::${account}:role/deployer`, action, resource, context },
    )).result;
    const viaS3 = (account: string) => ({ 'kms:ViaService': `s3.${ENV.region}.amazonaws.com`, 'kms:CallerAccount': account });

    it('lets the consumer account describe the package, read its artifact and decrypt it through S3', async () => {
      expect(await evaluate(CONSUMER, 'sagemaker:DescribeModelPackage', packageArn)).toBe('Allowed');
      expect(await evaluate(CONSUMER, 's3:GetObject', objectArn)).toBe('Allowed');
      expect(await evaluate(CONSUMER, 'kms:Decrypt', keyArn, viaS3(CONSUMER))).toBe('Allowed');
    });

    it('keeps the consumer to the prefix and to S3: no other prefix, no direct decrypt', async () => {
      expect(await evaluate(CONSUMER, 's3:GetObject', otherObjectArn)).toBe('ImplicitlyDenied');
      expect(await evaluate(CONSUMER, 'kms:Decrypt', keyArn, { 'kms:CallerAccount': CONSUMER })).toBe('ImplicitlyDenied');
    });

    it('denies a third account all of it', async () => {
      expect(await evaluate(THIRD, 'sagemaker:DescribeModelPackage', packageArn)).toBe('ImplicitlyDenied');
      expect(await evaluate(THIRD, 's3:GetObject', objectArn)).toBe('ImplicitlyDenied');
      expect(await evaluate(THIRD, 'kms:Decrypt', keyArn, viaS3(THIRD))).toBe('ImplicitlyDenied');
    });
  });

  describe('approval notifications', () => {
    it('sends Approved and Rejected state changes of its own group to the topic by default', () => {
      const { stack } = newStack();
      const topic = new sns.Topic(stack, 'Topic');
      new ModelRegistry(stack, 'Reg', { name: 'churn', notificationTopic: topic });
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          'source': ['aws.sagemaker'],
          'detail-type': ['SageMaker Model Package State Change'],
          'detail': { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Approved', 'Rejected'] },
        },
        Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Topic') } })],
      });
    });

    it('announces only the statuses listed in notifyOn', () => {
      const { stack } = newStack();
      const topic = new sns.Topic(stack, 'Topic');
      new ModelRegistry(stack, 'Reg', { name: 'churn', notificationTopic: topic, notifyOn: ['PendingManualApproval'] });
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ detail: { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['PendingManualApproval'] } }),
      });
    });

    it('creates no rule without a topic', () => {
      const { template } = registry({ name: 'churn' });
      template.resourceCountIs('AWS::Events::Rule', 0);
    });

    it('sends state changes to any events target through onStateChange', () => {
      const { stack } = newStack();
      const reg = new ModelRegistry(stack, 'Reg', { name: 'churn' });
      const bus = new events.EventBus(stack, 'Bus');
      reg.onStateChange('ToBus', { target: new targets.EventBus(bus), statuses: ['Approved'] });
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ detail: { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Approved'] } }),
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] } })],
      });
    });
  });

  describe('grants', () => {
    const cases: [string, (reg: ModelRegistry, role: iam.Role) => void, string[]][] = [
      ['grantRead', (reg, role) => reg.grantRead(role), ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages']],
      ['grantRegister', (reg, role) => reg.grantRegister(role), ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage']],
      ['grantApprove', (reg, role) => reg.grantApprove(role), ['sagemaker:UpdateModelPackage', 'sagemaker:DescribeModelPackage']],
    ];
    it.each(cases)('%s gives exactly its actions, on this group and its packages only', (_name, grant, actions) => {
      const { stack } = newStack();
      const reg = new ModelRegistry(stack, 'Reg', { name: 'churn' });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      grant(reg, role);
      const template = Template.fromStack(stack);
      expect(grantedActions(template).sort()).toEqual([...actions].sort());
      for (const s of allStatements(template).filter((st) => st.Effect === 'Allow' && st.Action !== 'sts:AssumeRole')) {
        const resource = plain(s.Resource);
        const resources = (Array.isArray(resource) ? resource : [resource]) as string[];
        for (const r of resources) expect([GROUP_ARN, PACKAGES_ARN]).toContain(r);
      }
    });

    it('grantApprove does not allow registering new versions', () => {
      const { stack } = newStack();
      const reg = new ModelRegistry(stack, 'Reg', { name: 'churn' });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      reg.grantApprove(role);
      expect(grantedActions(Template.fromStack(stack))).not.toContain('sagemaker:CreateModelPackage');
    });
  });

  describe('imports', () => {
    it('imports a registry by name with the same ARNs and grants', () => {
      const { stack } = newStack();
      const imported = ModelRegistry.fromModelPackageGroupName(stack, 'Imported', 'churn');
      expect(plain(stack.resolve(imported.modelPackageGroupArn))).toBe(GROUP_ARN);
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      imported.grantRead(role);
      Template.fromStack(stack).resourceCountIs('AWS::SageMaker::ModelPackageGroup', 0);
      expect(grantedActions(Template.fromStack(stack))).toContain('sagemaker:ListModelPackages');
    });

    it('imports a registry by ARN, reading the group name from it', () => {
      const { stack } = newStack();
      const imported = ModelRegistry.fromModelPackageGroupArn(stack, 'Imported', GROUP_ARN);
      expect(imported.modelPackageGroupName).toBe('churn');
    });

    it("keeps the registry's account and region when imported by ARN into a stack of another account and region", () => {
      const app = new App();
      const stack = new Stack(app, 'Consumer', { env: { account: '222222222222', region: 'eu-west-1' } });
      const imported = ModelRegistry.fromModelPackageGroupArn(stack, 'Imported', 'arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn');
      expect(plain(stack.resolve(imported.modelPackageArn(3)))).toBe('arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3');
      expect(plain(stack.resolve(imported.modelPackageGroupArn))).toBe('arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn');
      expect(imported.env).toEqual({ account: '111111111111', region: 'us-east-1' });
      // The consumer's role is granted the registry's packages, not packages of its own account.
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      imported.grantRead(role);
      const resources = allStatements(Template.fromStack(stack)).filter((st) => st.Action !== 'sts:AssumeRole').flatMap((st) => plain(st.Resource) as string[]);
      expect(resources.sort()).toEqual(['arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn', 'arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*']);
    });

    it("keeps the stack's account for a registry imported by name", () => {
      const app = new App();
      const stack = new Stack(app, 'Consumer', { env: { account: '222222222222', region: 'eu-west-1' } });
      const imported = ModelRegistry.fromModelPackageGroupName(stack, 'Imported', 'churn');
      expect(plain(stack.resolve(imported.modelPackageArn(3)))).toBe('arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/3');
    });

    it('rejects an ARN without a resource name', () => {
      const { stack } = newStack();
      expect(() => ModelRegistry.fromModelPackageGroupArn(stack, 'Imported', 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group'))
        .toThrow(/is not a SageMaker ARN with a resource name/);
    });
  });

  describe('validation', () => {
    it('rejects a name SageMaker does not accept', () => {
      expectValidationError(() => registry({ name: 'churn_model' }), REG, { path: 'name', got: "'churn_model'" });
    });

    it('rejects a description over 1024 characters', () => {
      expectValidationError(() => registry({ description: 'x'.repeat(1025) }), REG, { path: 'description' });
    });

    it('rejects an account id that is not 12 digits', () => {
      expectValidationError(() => registry({ crossAccountReadAccountIds: ['1234'] }), REG, { path: 'crossAccountReadAccountIds[0]', got: "'1234'", expected: 'a 12-digit AWS account id' });
    });

    it('rejects a public principal in place of an account id', () => {
      expectValidationError(() => registry({ crossAccountReadAccountIds: ['*'] }), REG, { path: 'crossAccountReadAccountIds[0]', got: "'*'" });
    });

    it('rejects an account listed twice', () => {
      expectValidationError(() => registry({ crossAccountReadAccountIds: ['111122223333', '111122223333'] }), REG, { path: 'crossAccountReadAccountIds[1]', message: 'is listed twice' });
    });

    it('rejects an unknown approval status in notifyOn', () => {
      expectValidationError(() => registry({ notifyOn: ['Deployed'] }), REG, { path: 'notifyOn[0]', got: "'Deployed'" });
    });

    it('rejects an empty notifyOn', () => {
      expectValidationError(() => registry({ notifyOn: [] }), REG, { path: 'notifyOn' });
    });

    it('rejects an unknown field, naming it', () => {
      expectValidationError(() => registry({ crossAccountReaders: ['111122223333'] }), REG, { path: 'crossAccountReaders' });
    });
  });
});
