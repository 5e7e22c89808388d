import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { cfnModelCardContent, ModelCard, ModelCardProps } from '../../../constructs/aws';
import { cfnResourceIssues, modelCardContentValidator, replacingProperties } from './model-card-schema';
import { ACCOUNT, expectValidationError, newStack, only, REGION } from './helpers';

const CARD = {
  owner: 'retention-analytics@example.com',
  purpose: 'Scores how likely a subscriber is to cancel.',
  intendedUses: 'Prioritizing retention offers.',
  outOfScopeUses: 'Credit decisions.',
  riskRating: 'Medium' as const,
  riskRatingExplanation: 'Influences offers.',
  business: { problem: 'Churn', stakeholders: 'Retention team', lineOfBusiness: 'Subscriptions' },
  trainingData: { datasets: ['s3://data/churn/'], observations: 'Monthly snapshots.' },
  objective: { function: 'Maximize' as const, facet: 'AUC' },
  evaluation: { observations: 'AUC on the test split.', datasets: ['s3://data/churn/test/'] },
  ethicalConsiderations: 'Tenure correlates with age.',
  caveatsAndRecommendations: 'Retrain after tariff changes.',
};

function synth(card: Partial<ModelCardProps> = {}, keyId = 'Key'): { stack: Stack; template: Template; card: ModelCard } {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
  const key = new kms.Key(stack, keyId);
  const c = new ModelCard(stack, 'Card', { ...CARD, encryptionKey: key, modelPackageGroupName: 'churn', modelDescription: 'Churn classifier', namePrefix: 'churn', ...card });
  return { stack, template: Template.fromStack(stack), card: c };
}

describe('ModelCard (AWS)', () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth();
  });

  it("is an AWS::SageMaker::ModelCard valid against CloudFormation's resource specification", () => {
    const { resource } = only(s.template, 'AWS::SageMaker::ModelCard');
    expect(cfnResourceIssues('AWS::SageMaker::ModelCard', resource.Properties!)).toEqual([]);
    // The check refuses what CloudFormation refuses.
    expect(cfnResourceIssues('AWS::SageMaker::ModelCard', { ...resource.Properties!, ModelCardStatus: 'Published' })).toEqual([expect.stringContaining("'Published' is not one of Draft, PendingReview, Approved, Archived")]);
    expect(cfnResourceIssues('AWS::SageMaker::ModelCard', { ...resource.Properties!, Content: { IntendedUses: { OutOfScopeUses: 'x' } } })).toEqual([expect.stringContaining('OutOfScopeUses: not a property')]);
  });

  it("writes content valid against SageMaker's model card JSON schema, linked to the model package group", () => {
    const validate = modelCardContentValidator('model-card');
    expect(validate(s.card.content) ? [] : validate.errors).toEqual([]);
    expect(s.card.content).toMatchObject({
      model_overview: { model_owner: CARD.owner, model_description: 'Churn classifier' },
      intended_uses: { purpose_of_model: CARD.purpose, intended_uses: CARD.intendedUses, risk_rating: 'Medium', explanations_for_risk_rating: CARD.riskRatingExplanation },
      business_details: { business_problem: 'Churn', business_stakeholders: 'Retention team', line_of_business: 'Subscriptions' },
      training_details: { objective_function: { function: { function: 'Maximize', facet: 'AUC' } }, training_observations: 'Monthly snapshots.', training_job_details: { training_datasets: ['s3://data/churn/'] } },
      evaluation_details: [{ name: 'evaluation', evaluation_observation: 'AUC on the test split.', datasets: ['s3://data/churn/test/'] }],
      additional_information: { ethical_considerations: CARD.ethicalConsiderations, caveats_and_recommendations: CARD.caveatsAndRecommendations, custom_details: { out_of_scope_uses: 'Credit decisions.' } },
      model_package_details: { model_package_group_name: 'churn' },
    });
    // The checker catches a field the schema does not have and a limit it sets.
    expect(validate({ ...s.card.content, intended_uses: { out_of_scope_uses: 'x' } })).toBe(false);
    expect(validate({ ...s.card.content, additional_information: { ethical_considerations: 'x'.repeat(2049) } })).toBe(false);
  });

  it("renders CloudFormation's Content as the same card in PascalCase, keeping custom detail keys as written", () => {
    const { resource } = only(s.template, 'AWS::SageMaker::ModelCard');
    expect(resource.Properties!.Content).toEqual(cfnModelCardContent(s.card.content));
    expect(resource.Properties!.Content).toMatchObject({
      ModelPackageDetails: { ModelPackageGroupName: 'churn' },
      AdditionalInformation: { CustomDetails: { out_of_scope_uses: 'Credit decisions.' } },
      TrainingDetails: { ObjectiveFunction: { Function: { Function: 'Maximize', Facet: 'AUC' } } },
    });
  });

  it('is encrypted with the given key, Draft by default, and retained', () => {
    const { resource } = only(s.template, 'AWS::SageMaker::ModelCard');
    const keyId = only(s.template, 'AWS::KMS::Key').id;
    expect(resource.Properties).toMatchObject({ ModelCardStatus: 'Draft', SecurityConfig: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } });
    expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(s.card.modelCardName).toMatch(/^churn-[0-9a-f]{8}$/);
  });

  it('updates in place when the content or status changes, and takes a new name when a new key replaces it', () => {
    // What replaces a card, per CloudFormation's specification: its name and its key.
    expect(replacingProperties('AWS::SageMaker::ModelCard')).toEqual(['ModelCardName', 'SecurityConfig']);
    const before = s.template.toJSON();
    const changed = synth({ riskRating: 'High', status: 'PendingReview' });
    const update = fullDiff(before, changed.template.toJSON()).resources.get(only(s.template, 'AWS::SageMaker::ModelCard').id);
    expect(update.changeImpact).toBe(ResourceImpact.WILL_UPDATE);
    expect(changed.card.modelCardName).toBe(s.card.modelCardName);
    const rekeyed = synth({}, 'OtherKey');
    expect(rekeyed.card.modelCardName).not.toBe(s.card.modelCardName);
  });

  it('rejects a card field beyond the schema limit, naming the construct and field', () => {
    const { stack } = newStack();
    expectValidationError(() => new ModelCard(stack, 'Card', { ...CARD, purpose: 'x'.repeat(2049), encryptionKey: new kms.Key(stack, 'K') }), "ModelCard 'Card'", { path: 'purpose' });
  });

  it('refuses two cards with the same name in one account and region', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'K');
    new ModelCard(stack, 'A', { ...CARD, encryptionKey: key, namePrefix: 'churn' });
    expectValidationError(() => new ModelCard(stack, 'B', { ...CARD, encryptionKey: key, namePrefix: 'churn' }), "ModelCard 'B'", { path: 'namePrefix' });
  });
});
