/**
 * A model's card: what the model is for, how it may and may not be used, how risky it is, what it
 * was trained and evaluated on. Every field maps to one field of SageMaker's model card JSON schema
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html#model-cards-json-schema) and is
 * held to that schema's length limits here, so a card that parses is a card SageMaker accepts. On
 * Kubernetes the same fields become MLflow registered-model tags and a Markdown card.
 */
import { z } from 'zod';

/** SageMaker's risk ratings (intended_uses.risk_rating), lowest first after Unknown. */
export const RISK_RATINGS = ['Unknown', 'Low', 'Medium', 'High'] as const;
export type RiskRating = (typeof RISK_RATINGS)[number];

/** SageMaker's model card statuses (ModelCardStatus). */
export const MODEL_CARD_STATUSES = ['Draft', 'PendingReview', 'Approved', 'Archived'] as const;
export type ModelCardStatus = (typeof MODEL_CARD_STATUSES)[number];

/** The model card schema's limits on the fields the spec sets. */
export const MODEL_CARD_LIMITS = {
  /** intended_uses.*, business_details.*, additional_information.{ethical_considerations, caveats_and_recommendations}. */
  text: 2048,
  /** model_overview.model_owner, training_details.training_observations, objective_function.notes, custom_details values. */
  shortText: 1024,
  /** evaluation_details[].evaluation_observation. */
  evaluationObservation: 2096,
  /** training_job_details.training_datasets. */
  trainingDatasets: 15,
  /** evaluation_details[].datasets. */
  evaluationDatasets: 10,
  /** Each dataset location. */
  dataset: 1024,
  /** objective_function.{facet, condition}. */
  objectiveTerm: 63,
} as const;

/** The custom_details key the out-of-scope uses are written under: the schema has no field of its own for them. */
export const OUT_OF_SCOPE_USES_KEY = 'out_of_scope_uses';

const text = (max: number, description: string) => z.string().min(1).max(max).meta({ description });

export const modelCardSpecSchema = z.strictObject({
  owner: text(MODEL_CARD_LIMITS.shortText, 'Who answers for the model (a team or person): model_overview.model_owner.'),
  status: z.enum(MODEL_CARD_STATUSES).default('Draft').meta({
    description: "The card's review status (ModelCardStatus): 'Draft', 'PendingReview', 'Approved' or 'Archived'. An 'Archived' card can no longer be changed by SageMaker. @default 'Draft' (a card is reviewed by people, not by a deployment)",
  }),
  purpose: text(MODEL_CARD_LIMITS.text, 'Why the model exists: intended_uses.purpose_of_model.'),
  intendedUses: text(MODEL_CARD_LIMITS.text, 'What the model may be used for: intended_uses.intended_uses.'),
  outOfScopeUses: text(MODEL_CARD_LIMITS.shortText, `What the model must not be used for: additional_information.custom_details.${OUT_OF_SCOPE_USES_KEY} (the schema has no field of its own for it).`).optional(),
  factorsAffectingEfficiency: text(MODEL_CARD_LIMITS.text, 'What makes the model perform worse (populations, drift, inputs): intended_uses.factors_affecting_model_efficiency.').optional(),
  riskRating: z.enum(RISK_RATINGS).meta({ description: "The organization's risk rating: 'High', 'Medium', 'Low' or 'Unknown' (intended_uses.risk_rating)." }),
  riskRatingExplanation: text(MODEL_CARD_LIMITS.text, 'Why the model has its risk rating: intended_uses.explanations_for_risk_rating.').optional(),
  business: z.strictObject({
    problem: text(MODEL_CARD_LIMITS.text, 'business_details.business_problem.').optional(),
    stakeholders: text(MODEL_CARD_LIMITS.text, 'business_details.business_stakeholders.').optional(),
    lineOfBusiness: text(MODEL_CARD_LIMITS.text, 'business_details.line_of_business.').optional(),
  }).optional().meta({ description: 'Business details. @default - none' }),
  trainingData: z.strictObject({
    datasets: z.array(text(MODEL_CARD_LIMITS.dataset, 'A dataset location or name.')).max(MODEL_CARD_LIMITS.trainingDatasets).default([]).meta({ description: 'Where the training data is (S3 URIs, table names): training_details.training_job_details.training_datasets. @default - none' }),
    observations: text(MODEL_CARD_LIMITS.shortText, 'What is known about the training data (sources, biases, quality): training_details.training_observations.').optional(),
  }).optional().meta({ description: 'What the model was trained on. @default - none' }),
  objective: z.strictObject({
    function: z.enum(['Maximize', 'Minimize']),
    facet: text(MODEL_CARD_LIMITS.objectiveTerm, "What is optimized, e.g. 'AUC' or 'Loss'."),
    condition: text(MODEL_CARD_LIMITS.objectiveTerm, 'Under which condition.').optional(),
    notes: text(MODEL_CARD_LIMITS.shortText, 'objective_function.notes.').optional(),
  }).optional().meta({ description: 'The objective function the training optimizes: training_details.objective_function. @default - none' }),
  evaluation: z.strictObject({
    observations: text(MODEL_CARD_LIMITS.evaluationObservation, 'What the evaluation found: evaluation_details[].evaluation_observation.').optional(),
    datasets: z.array(text(MODEL_CARD_LIMITS.dataset, 'A dataset location or name.')).max(MODEL_CARD_LIMITS.evaluationDatasets).default([]).meta({ description: 'What the model was evaluated on: evaluation_details[].datasets. @default - none' }),
  }).optional().meta({ description: "How the model was evaluated. The pipeline's evaluation metric is added to each registered version's card. @default - none" }),
  ethicalConsiderations: text(MODEL_CARD_LIMITS.text, 'additional_information.ethical_considerations.').optional(),
  caveatsAndRecommendations: text(MODEL_CARD_LIMITS.text, 'additional_information.caveats_and_recommendations.').optional(),
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { ModelCardSpecInput } from './types.generated';
export type { ModelCardSpecInput };
export type ModelCardSpec = z.output<typeof modelCardSpecSchema>;

// ---------------------------------------------------------------------------------------------
// Production
// ---------------------------------------------------------------------------------------------

/** Tag keys (any case) that say which environment a platform serves. */
export const ENVIRONMENT_TAG_KEYS = ['environment', 'env', 'stage'] as const;
/** Their values (any case) that mean production. */
export const PRODUCTION_TAG_VALUES = ['production', 'prod', 'prd'] as const;

/**
 * The platform tag that marks it as production (`environment`, `env` or `stage` = `production`,
 * `prod` or `prd`, in any case), or undefined. Tags are the platform's: they reach every resource of
 * every model, so every model of a production platform is in production.
 */
export function productionTag(tags: Readonly<Record<string, string>>): [string, string] | undefined {
  return Object.entries(tags).find(([k, v]) => (ENVIRONMENT_TAG_KEYS as readonly string[]).includes(k.toLowerCase()) && (PRODUCTION_TAG_VALUES as readonly string[]).includes(v.trim().toLowerCase()));
}

// ---------------------------------------------------------------------------------------------
// The card as SageMaker's model card JSON schema writes it (snake_case): the content of an
// AWS::SageMaker::ModelCard (in CloudFormation's PascalCase) and of a model package's card.
// ---------------------------------------------------------------------------------------------

/** The parts of the model card JSON both kinds of card share (a model package's card has no model_package_details and a smaller model_overview). */
export function modelCardSections(card: ModelCardSpec): Record<string, unknown> {
  const custom = card.outOfScopeUses ? { [OUT_OF_SCOPE_USES_KEY]: card.outOfScopeUses } : undefined;
  return prune({
    intended_uses: {
      purpose_of_model: card.purpose,
      intended_uses: card.intendedUses,
      factors_affecting_model_efficiency: card.factorsAffectingEfficiency,
      risk_rating: card.riskRating,
      explanations_for_risk_rating: card.riskRatingExplanation,
    },
    business_details: card.business ? { business_problem: card.business.problem, business_stakeholders: card.business.stakeholders, line_of_business: card.business.lineOfBusiness } : undefined,
    training_details: card.trainingData || card.objective ? {
      objective_function: card.objective ? { function: { function: card.objective.function, facet: card.objective.facet, condition: card.objective.condition }, notes: card.objective.notes } : undefined,
      training_observations: card.trainingData?.observations,
      training_job_details: card.trainingData && card.trainingData.datasets.length > 0 ? { training_datasets: [...card.trainingData.datasets] } : undefined,
    } : undefined,
    additional_information: { ethical_considerations: card.ethicalConsiderations, caveats_and_recommendations: card.caveatsAndRecommendations, custom_details: custom },
  }) as Record<string, unknown>;
}

/** The name of the evaluation_details entry the spec's evaluation is written to. */
export const EVALUATION_NAME = 'evaluation';

/** evaluation_details[0] from the spec (observations and datasets), plus what a caller adds (metric groups, a job ARN). */
export function evaluationDetail(card: ModelCardSpec, extra: Record<string, unknown> = {}): Record<string, unknown> | undefined {
  const base = card.evaluation ? { evaluation_observation: card.evaluation.observations, datasets: card.evaluation.datasets.length > 0 ? [...card.evaluation.datasets] : undefined } : {};
  const detail = prune({ name: EVALUATION_NAME, ...base, ...extra }) as Record<string, unknown>;
  return Object.keys(detail).length > 1 ? detail : undefined;
}

/** Drops undefined values and plain objects left empty, recursively (instances of classes are kept as they are). */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const p = prune(v);
    if (p === undefined) continue;
    if (typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0) continue;
    out[k] = p;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// The card for people (Markdown) and for MLflow (registered-model tags).
// ---------------------------------------------------------------------------------------------

/** The label on the Kubernetes ConfigMap holding a model's card: its value is the model's object name. */
export const MODEL_CARD_LABEL = 'mlops.cdk.io/model-card';

/** The prefix of the MLflow registered-model tags a card is written to. */
export const MLFLOW_CARD_TAG_PREFIX = 'model_card.';

/**
 * The card as MLflow registered-model tags: the model card JSON flattened to dotted keys under
 * `model_card.` (`model_card.intended_uses.risk_rating`), lists as JSON text, plus the status.
 * MLflow takes keys of up to 250 characters and values of up to 5,000: every card field fits.
 */
export function modelCardTags(card: ModelCardSpec): Record<string, string> {
  const tags: Record<string, string> = { [`${MLFLOW_CARD_TAG_PREFIX}status`]: card.status, [`${MLFLOW_CARD_TAG_PREFIX}model_overview.model_owner`]: card.owner };
  const evaluation = evaluationDetail(card);
  const walk = (value: unknown, key: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, `${key}.${k}`);
    else tags[key] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  };
  for (const [section, value] of Object.entries({ ...modelCardSections(card), ...(evaluation ? { evaluation_details: evaluation } : {}) })) walk(value, `${MLFLOW_CARD_TAG_PREFIX}${section}`);
  return tags;
}

const RISK_TEXT: Record<RiskRating, string> = { High: 'High', Medium: 'Medium', Low: 'Low', Unknown: 'Unknown (not rated)' };

/** The card as a Markdown document, for people reading it beside the model. */
export function modelCardMarkdown(modelName: string, card: ModelCardSpec): string {
  const md = (s: string) => s.replace(/([\\`*_[\]<>#|])/g, '\\$1');
  const lines = [`# Model card: ${md(modelName)}`, '', `- **Owner:** ${md(card.owner)}`, `- **Status:** ${card.status}`, `- **Risk rating:** ${RISK_TEXT[card.riskRating]}`];
  if (card.riskRatingExplanation) lines.push(`- **Why this rating:** ${md(card.riskRatingExplanation)}`);
  const section = (title: string, entries: [string, string | undefined][]) => {
    const present = entries.filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
    if (present.length) lines.push('', `## ${title}`, '', ...present.flatMap(([k, v]) => [`**${k}:** ${md(v)}`, '']));
    if (present.length) lines.pop();
  };
  section('Intended uses', [['Purpose', card.purpose], ['Intended uses', card.intendedUses], ['Out of scope', card.outOfScopeUses], ['Factors affecting performance', card.factorsAffectingEfficiency]]);
  section('Business details', [['Problem', card.business?.problem], ['Stakeholders', card.business?.stakeholders], ['Line of business', card.business?.lineOfBusiness]]);
  section('Training', [['Data', card.trainingData?.datasets.join(', ')], ['Observations', card.trainingData?.observations], ['Objective', card.objective ? `${card.objective.function} ${card.objective.facet}${card.objective.condition ? ` (${card.objective.condition})` : ''}` : undefined]]);
  section('Evaluation', [['Observations', card.evaluation?.observations], ['Datasets', card.evaluation?.datasets.join(', ')]]);
  section('Additional information', [['Ethical considerations', card.ethicalConsiderations], ['Caveats and recommendations', card.caveatsAndRecommendations]]);
  return `${lines.join('\n')}\n`;
}
