/**
 * Model cards on the AWS platform: one AWS::SageMaker::ModelCard per model with a card, encrypted
 * with the platform key, and the key usable by the one who creates, reads and deletes the card.
 *
 * SageMaker encrypts a card with the caller's KMS permissions: CloudFormation's handler of
 * AWS::SageMaker::ModelCard declares kms:DescribeKey, kms:GenerateDataKey and kms:CreateGrant to
 * create one, kms:Decrypt and kms:RetireGrant to delete it (its resource schema's handler
 * permissions). The caller is the stack's CloudFormation execution role (cdk bootstrap's
 * cfn-exec-role), allowed by IAM: the key policy must let the account's IAM policies grant its use.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PlatformSpecInput } from '../../../lib/spec';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { ENV, IamWorld } from './iam-paths';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const SPEC: PlatformSpecInput = {
  name: 'cards',
  aws: { account: ENV.account, region: ENV.region },
  governance: { personas: true },
  models: [
    { name: 'churn', description: 'Churn classifier', registry: {}, source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } }, card: { owner: 'team@example.com', purpose: 'Scores churn.', intendedUses: 'Retention offers.', riskRating: 'Medium' } },
    { name: 'router', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } } },
  ],
};
const CFN_EXEC_ROLE = `arn:aws:iam::${ENV.account}:role/cdk-hnb659fds-cfn-exec-role-${ENV.account}-${ENV.region}`;
/** cdk bootstrap's default execution policy: AdministratorAccess. */
const ADMIN = [{ name: 'AdministratorAccess', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
const HANDLER_KMS_ACTIONS = ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:CreateGrant', 'kms:Decrypt', 'kms:RetireGrant'];

describe('model cards on the AWS platform', () => {
  let platform: AwsPlatform;
  let world: IamWorld;
  beforeAll(() => {
    const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
    platform = new AwsPlatform(app, 'Platform', { spec: SPEC });
    world = IamWorld.fromApp(app);
  });

  it('renders a card for the model that has one, linked to its registry and encrypted with the platform key', () => {
    const churn = Template.fromStack(platform.models.get('churn')!);
    const cards = Object.values(churn.findResources('AWS::SageMaker::ModelCard'));
    expect(cards).toHaveLength(1);
    expect(cards[0].Properties).toMatchObject({
      ModelCardName: expect.stringMatching(/^churn-[0-9a-f]{8}$/),
      Content: { ModelPackageDetails: { ModelPackageGroupName: 'churn' }, ModelOverview: { ModelOwner: 'team@example.com', ModelDescription: 'Churn classifier' } },
    });
    const keyArn = world.resolver.resolveString(platform.models.get('churn')!.stackName, cards[0].Properties.SecurityConfig.KmsKeyId);
    const sharedKey = world.resolver.resolveString(platform.shared.stackName, { 'Fn::GetAtt': [world.logicalId(platform.shared.stackName, 'AWS::KMS::Key', 'PlatformKey'), 'Arn'] });
    expect(keyArn).toBe(sharedKey);
    expect(Template.fromStack(platform.models.get('router')!).findResources('AWS::SageMaker::ModelCard')).toEqual({});
  });

  it("lets CloudFormation's execution role use the platform key as the card's handler does, and no principal without IAM permissions", async () => {
    const keyArn = world.resolver.resolveString(platform.shared.stackName, { 'Fn::GetAtt': [world.logicalId(platform.shared.stackName, 'AWS::KMS::Key', 'PlatformKey'), 'Arn'] });
    const context = { 'kms:ViaService': `sagemaker.${ENV.region}.amazonaws.com`, 'kms:CallerAccount': ENV.account };
    for (const action of HANDLER_KMS_ACTIONS) {
      expect([action, (await world.evaluateWith(ADMIN, { principal: CFN_EXEC_ROLE, action, resource: keyArn, context })).result]).toEqual([action, 'Allowed']);
    }
    expect((await world.evaluateWith([], { principal: CFN_EXEC_ROLE, action: 'kms:CreateGrant', resource: keyArn, context })).result).toBe('ImplicitlyDenied');
  });

  it('lets the auditor persona read the platform\'s cards, decrypting them with the platform key through SageMaker only', async () => {
    const shared = platform.shared.stackName;
    const auditor = world.roleArn(shared, 'PersonasAuditor');
    const keyArn = world.resolver.resolveString(shared, { 'Fn::GetAtt': [world.logicalId(shared, 'AWS::KMS::Key', 'PlatformKey'), 'Arn'] });
    const churn = platform.models.get('churn')!;
    const cardName = world.resolver.resolveString(churn.stackName, { Ref: world.logicalId(churn.stackName, 'AWS::SageMaker::ModelCard', '') }).split('/').pop()!;
    const card = `arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-card/${cardName}`;
    // The card carries the platform tag, as every resource of the platform does.
    const tags = Template.fromStack(churn).findResources('AWS::SageMaker::ModelCard')[world.logicalId(churn.stackName, 'AWS::SageMaker::ModelCard', '')].Properties.Tags as { Key: string; Value: string }[];
    expect(tags).toContainEqual({ Key: 'cdk-mlops:platform', Value: 'cards' });
    const platformCard = { 'aws:ResourceTag/cdk-mlops:platform': 'cards' };
    const decide = async (action: string, resource: string, context: Record<string, string> = {}) => { const d = await world.evaluate({ principal: auditor, action, resource, context }); return d.errors ? `${d.result} ${d.errors}` : d.result; };
    expect(await decide('sagemaker:DescribeModelCard', card, platformCard)).toBe('Allowed');
    expect(await decide('sagemaker:ListModelCardVersions', card, platformCard)).toBe('Allowed');
    expect(await decide('sagemaker:ListModelCards', '*')).toBe('Allowed');
    const via = (service: string) => ({ 'kms:ViaService': `${service}.${ENV.region}.amazonaws.com`, 'kms:CallerAccount': ENV.account });
    expect(await decide('kms:Decrypt', keyArn, via('sagemaker'))).toBe('Allowed');
    // The same key encrypts data (artifacts, captures, features): the auditor decrypts it through no other service, nor directly.
    expect(await decide('kms:Decrypt', keyArn, via('sqs'))).toBe('ExplicitlyDenied');
    expect(await decide('kms:Decrypt', keyArn, { 'kms:CallerAccount': ENV.account })).toBe('ExplicitlyDenied');
    expect(await decide('sagemaker:UpdateModelCard', card, platformCard)).toBe('ExplicitlyDenied');
  });
});
