import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelEndpoint, ModelImage, ModelRegistry, ModelSource } from '../../../constructs/aws';
import { ACCOUNT, allStatements, newStack } from './helpers';

const TEAM_IMAGE = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team/churn-serving:2.1`;

function registryEndpoint(image?: ModelImage) {
  const { stack } = newStack();
  const bucket = new s3.Bucket(stack, 'Artifacts', { encryptionKey: new kms.Key(stack, 'Key') });
  const registry = new ModelRegistry(stack, 'Reg', { name: 'churn', artifactsBucket: bucket, artifactsPrefix: 'pipelines/churn' });
  new ModelEndpoint(stack, 'Ep', { source: ModelSource.fromRegistry(registry, { version: 2, image }), compute: { instanceType: 'ml.m5.large' } });
  return { stack, statements: allStatements(Template.fromStack(stack)) };
}

describe('ModelSource.fromRegistry', () => {
  it("lets the model's role pull the registered image from the team's own repository", () => {
    const { statements } = registryEndpoint(ModelImage.fromUri(TEAM_IMAGE));
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']), Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:us-east-1:${ACCOUNT}:repository/team/churn-serving`]] } }),
      expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
    ]));
  });

  it('warns when the image is not known', () => {
    const { stack } = registryEndpoint();
    Annotations.fromStack(stack).hasWarning('/Stack/Ep', Match.stringLikeRegexp('cdk-mlops:registryImagePullUnknown'));
  });

  it("reads only the registry's artifact prefix", () => {
    const { statements } = registryEndpoint(ModelImage.fromUri(TEAM_IMAGE));
    const read = statements.find((s) => s.Sid === 'ReadModelData');
    expect(read?.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Artifacts/), 'Arn'] }, '/pipelines/churn/*']] });
  });
});
