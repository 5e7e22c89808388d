import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { modelCardSections, modelCardSpecSchema, parsePlatformSpec, PlatformSpecInput, productionTag } from '../../../lib/spec';
import { referencePlatform } from '../../../stacks/reference-platform';
import { validationErrorOf } from '../../thrown';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const CARD = { owner: 'team@example.com', purpose: 'Scores churn.', intendedUses: 'Retention offers.', riskRating: 'Medium' as const };
const STRICT_TAGS = { owner: 'o', 'cost-center': 'c', 'data-classification': 'd' };

function spec(overrides: Partial<PlatformSpecInput> = {}, card?: PlatformSpecInput['models'][number]['card']): PlatformSpecInput {
  return { name: 'p', models: [{ name: 'm', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' } }, card }], ...overrides };
}

describe('model card spec', () => {
  it('defaults the status to Draft and keeps every field', () => {
    const card = parsePlatformSpec(spec({}, { ...CARD, outOfScopeUses: 'Credit decisions.' })).models[0].card!;
    expect(card).toMatchObject({ ...CARD, status: 'Draft', outOfScopeUses: 'Credit decisions.' });
  });

  it("rejects a purpose longer than the model card schema's 2048 characters at its spec path", () => {
    const e = validationErrorOf(() => parsePlatformSpec(spec({}, { ...CARD, purpose: 'x'.repeat(2049) })));
    expect(e.issues.map((i) => i.path)).toEqual(['models[0].card.purpose']);
  });

  it("rejects a risk rating SageMaker does not have, naming SageMaker's four", () => {
    const e = validationErrorOf(() => parsePlatformSpec(spec({}, { ...CARD, riskRating: 'Critical' as never })));
    expect(e.issues[0].path).toBe('models[0].card.riskRating');
    expect(e.issues[0].expected).toMatch(/'Unknown'.*'Low'.*'Medium'.*'High'/);
  });

  it('rejects more than 15 training datasets (the schema allows 15)', () => {
    const e = validationErrorOf(() => parsePlatformSpec(spec({}, { ...CARD, trainingData: { datasets: Array.from({ length: 16 }, (_, i) => `s3://b/d${i}`) } })));
    expect(e.issues[0].path).toBe('models[0].card.trainingData.datasets');
  });

  it('reads production from the environment, env or stage tag in any case', () => {
    expect(productionTag({ Environment: 'Production' })).toEqual(['Environment', 'Production']);
    expect(productionTag({ stage: 'prod' })).toEqual(['stage', 'prod']);
    expect(productionTag({ environment: 'staging', owner: 'prod' })).toBeUndefined();
  });

  it('rejects a production model without a card at the strict level, naming its card field', () => {
    const e = validationErrorOf(() => parsePlatformSpec(spec({ governance: { level: 'strict' }, tags: { ...STRICT_TAGS, environment: 'production' } })));
    expect(e.issues).toEqual([expect.objectContaining({ path: 'models[0].card', got: 'nothing' })]);
    expect(e.message).toMatch(/models\[0\]\.card: is required: the platform is tagged for production \(tags\.environment: 'production'\)/);
  });

  it('accepts a model without a card at the strict level when the platform is not tagged for production, and at baseline when it is', () => {
    expect(() => parsePlatformSpec(spec({ governance: { level: 'strict' }, tags: { ...STRICT_TAGS, environment: 'staging' } }))).not.toThrow();
    expect(() => parsePlatformSpec(spec({ tags: { environment: 'production' } }))).not.toThrow();
    expect(() => parsePlatformSpec(spec({ governance: { level: 'strict' }, tags: { ...STRICT_TAGS, environment: 'production' } }, CARD))).not.toThrow();
  });

  it('writes the card in the model card schema: out-of-scope uses as a custom detail, empty sections left out', () => {
    const card = parsePlatformSpec(spec({}, { ...CARD, outOfScopeUses: 'Credit decisions.' })).models[0].card!;
    expect(modelCardSections(card)).toEqual({
      intended_uses: { purpose_of_model: 'Scores churn.', intended_uses: 'Retention offers.', risk_rating: 'Medium' },
      additional_information: { custom_details: { out_of_scope_uses: 'Credit decisions.' } },
    });
  });

  it('gives every model of the reference platform (strict, production) a card', () => {
    expect(parsePlatformSpec(referencePlatform).models.map((m) => m.card?.riskRating)).toEqual(['High', 'Medium', 'Low']);
  });

  it("parses the README's card example", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Model cards'));
    const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    const card = modelCardSpecSchema.parse((parse(yamlBlock) as { models: { card: unknown }[] }).models[0].card);
    expect(card).toMatchObject({ status: 'Approved', riskRating: 'Medium', objective: { function: 'Maximize', facet: 'AUC' } });
  });
});
