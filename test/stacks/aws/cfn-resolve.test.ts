import { CfnResolver, CfnTemplate } from './cfn-resolve';

const ENV = { account: '111122223333', region: 'eu-west-1' };

const shared: CfnTemplate = {
  Resources: {
    Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
    Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: { 'Fn::Join': ['-', ['data', { Ref: 'AWS::AccountId' }]] } } },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    Policy: { Type: 'AWS::IAM::ManagedPolicy', Properties: {} },
    Group: { Type: 'AWS::SageMaker::ModelPackageGroup', Properties: { ModelPackageGroupName: 'Churn' } },
  },
  Outputs: {
    KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, Export: { Name: 'shared:KeyArn' } },
    BucketName: { Value: { Ref: 'Bucket' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}:Bucket' } } },
  },
};
const model: CfnTemplate = {
  Resources: {
    Thing: {
      Type: 'AWS::Test::Thing',
      Properties: {
        ImportedKey: { 'Fn::ImportValue': 'shared:KeyArn' },
        ImportedBucket: { 'Fn::ImportValue': 'shared:Bucket' },
      },
    },
  },
};

describe('CfnResolver', () => {
  const r = new CfnResolver([{ stackName: 'shared', template: shared }, { stackName: 'model', template: model }], ENV);

  it('resolves pseudo parameters to the fixed account and region', () => {
    expect(r.resolve('shared', [{ Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::Partition' }, { Ref: 'AWS::URLSuffix' }, { Ref: 'AWS::StackName' }]))
      .toEqual(['111122223333', 'eu-west-1', 'aws', 'amazonaws.com', 'shared']);
  });

  it('names a bucket by its BucketName, else by stack and logical id in lower case, and gives its ARN', () => {
    expect(r.resolve('shared', { Ref: 'Named' })).toBe('data-111122223333');
    expect(r.resolve('shared', { Ref: 'Bucket' })).toBe('shared-bucket');
    expect(r.resolve('shared', { 'Fn::GetAtt': ['Bucket', 'Arn'] })).toBe('arn:aws:s3:::shared-bucket');
    expect(r.resolve('shared', { 'Fn::GetAtt': 'Named.Arn' })).toBe('arn:aws:s3:::data-111122223333');
  });

  it('gives each resource type the ARN AWS gives it', () => {
    expect(r.resolve('shared', { 'Fn::GetAtt': ['Role', 'Arn'] })).toBe('arn:aws:iam::111122223333:role/shared-Role');
    expect(r.resolve('shared', { Ref: 'Policy' })).toBe('arn:aws:iam::111122223333:policy/shared-Policy');
    expect(r.resolve('shared', { Ref: 'Topic' })).toBe('arn:aws:sns:eu-west-1:111122223333:shared-Topic');
    expect(r.resolve('shared', { 'Fn::GetAtt': ['Group', 'ModelPackageGroupArn'] })).toBe('arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/churn');
    const keyArn = r.resolve('shared', { 'Fn::GetAtt': ['Key', 'Arn'] }) as string;
    expect(keyArn).toMatch(/^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-0{12}$/);
    expect(keyArn).toBe(`arn:aws:kms:eu-west-1:111122223333:key/${r.resolve('shared', { Ref: 'Key' }) as string}`);
  });

  it('joins, substitutes, selects and splits', () => {
    expect(r.resolve('shared', { 'Fn::Join': ['', ['s3://', { Ref: 'Bucket' }, '/data']] })).toBe('s3://shared-bucket/data');
    expect(r.resolve('shared', { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/x/${Bucket.Arn}' })).toBe('arn:aws:s3:::shared-bucket/x/arn:aws:s3:::shared-bucket');
    expect(r.resolve('shared', { 'Fn::Sub': ['${Who}-${!Literal}', { Who: { Ref: 'AWS::Region' } }] })).toBe('eu-west-1-${Literal}');
    expect(r.resolve('shared', { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('b');
    expect(r.resolve('shared', { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] })).toBe('eu-west-1a');
  });

  it("resolves an import to the exporting stack's value, in that stack", () => {
    expect(r.resolve('model', { 'Fn::GetAtt': ['Thing', 'Nothing'] })).toBe('model-Thing.Nothing');
    const thing = r.resourcesOfType('AWS::Test::Thing')[0];
    expect(thing.properties).toEqual({ ImportedKey: r.resolve('shared', { 'Fn::GetAtt': ['Key', 'Arn'] }), ImportedBucket: 'shared-bucket' });
  });

  it('drops AWS::NoValue from objects and lists', () => {
    expect(r.resolve('shared', { A: { Ref: 'AWS::NoValue' }, B: ['x', { Ref: 'AWS::NoValue' }] })).toEqual({ B: ['x'] });
  });

  it('refuses what it does not understand rather than guess', () => {
    expect(() => r.resolve('model', { 'Fn::ImportValue': 'shared:Missing' })).toThrow("Fn::ImportValue of 'shared:Missing': no stack exports it");
    expect(() => r.resolve('shared', { Ref: 'Missing' })).toThrow("stack 'shared' has no resource 'Missing'");
    expect(() => r.resolve('shared', { 'Fn::Transform': {} })).toThrow('unsupported intrinsic Fn::Transform');
    expect(() => r.resolve('shared', { 'Fn::Join': ['', [{ A: 1 }]] })).toThrow('Fn::Join of a non-string');
  });
});
