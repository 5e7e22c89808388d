/**
 * Validators for what cdk-mlops writes as model cards, from schemas nobody here wrote:
 *  - `cfnResourceIssues`: a resource's Properties against CloudFormation's resource specification
 *    as @aws-cdk/aws-service-spec ships it (property names, required properties, allowed values,
 *    nested types), unknown properties refused;
 *  - `modelCardContentValidator`: content against SageMaker's model card JSON schema
 *    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html#model-cards-json-schema) and
 *    its simplified model package variant (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html#model-card-schema).
 *    No package ships that schema: the sections cdk-mlops writes are transcribed here with the
 *    documented limits, every object closed (`additionalProperties: false`) as the schema's are.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import Ajv, { ValidateFunction } from 'ajv';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- CloudFormation resource specification

let db: ReturnType<typeof loadAwsServiceSpecSync> | undefined;

interface SpecProperty { type: SpecType; required?: boolean }
type SpecType = { type: string; allowedValues?: string[]; element?: SpecType; reference?: { $ref: string } };

function typeIssues(value: unknown, t: SpecType, path: string): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => k.startsWith('Fn::') || k === 'Ref')) return [];
  switch (t.type) {
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string, got ${JSON.stringify(value)}`];
      return t.allowedValues && !t.allowedValues.includes(value) ? [`${path}: '${value}' is not one of ${t.allowedValues.join(', ')}`] : [];
    case 'number': case 'integer':
      return typeof value === 'number' ? [] : [`${path}: expected a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'json':
      return [];
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => typeIssues(v, t.element!, `${path}[${i}]`)) : [`${path}: expected a list`];
    case 'map':
      return value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => typeIssues(v, t.element!, `${path}.${k}`)) : [`${path}: expected a map`];
    case 'tag':
      return value !== null && typeof value === 'object' && 'Key' in value && 'Value' in value ? [] : [`${path}: expected a tag`];
    case 'ref': {
      const entity = db!.get('typeDefinition', t.reference!.$ref) as unknown as { properties: Record<string, SpecProperty> };
      return propertiesIssues(value, entity.properties, path);
    }
    default:
      return [`${path}: unchecked type ${t.type}`];
  }
}

function propertiesIssues(value: unknown, properties: Record<string, SpecProperty>, path: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
  const issues: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = properties[k];
    if (!p) issues.push(`${path}.${k}: not a property (expected one of ${Object.keys(properties).join(', ')})`);
    else issues.push(...typeIssues(v, p.type, `${path}.${k}`));
  }
  for (const [k, p] of Object.entries(properties)) if (p.required && !(k in value)) issues.push(`${path}.${k}: required`);
  return issues;
}

/** Problems of a resource's Properties against CloudFormation's specification of its type; [] when valid. */
export function cfnResourceIssues(type: string, properties: Json): string[] {
  db ??= loadAwsServiceSpecSync();
  const resource = db.lookup('resource', 'cloudFormationType', 'equals', type).only();
  return propertiesIssues(properties, resource.properties as unknown as Record<string, SpecProperty>, type);
}

/** The properties CloudFormation's specification says replace the resource when they change. */
export function replacingProperties(type: string): string[] {
  db ??= loadAwsServiceSpecSync();
  const resource = db.lookup('resource', 'cloudFormationType', 'equals', type).only();
  return Object.entries(resource.properties).filter(([, p]) => p.causesReplacement === 'yes').map(([k]) => k).sort();
}

// ---------------------------------------------------------------- SageMaker model card JSON schema

const str = (maxLength: number) => ({ type: 'string', maxLength });
const closed = (properties: Json, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const strings = (maxItems: number, maxLength: number) => ({ type: 'array', maxItems, items: str(maxLength) });
const trainingMetric = closed({ name: { type: 'string', pattern: '^.{1,255}$' }, notes: str(1024), value: { type: 'number' } }, ['name', 'value']);

const SECTIONS: Json = {
  intended_uses: closed({
    purpose_of_model: str(2048),
    intended_uses: str(2048),
    factors_affecting_model_efficiency: str(2048),
    risk_rating: { type: 'string', enum: ['High', 'Medium', 'Low', 'Unknown'] },
    explanations_for_risk_rating: str(2048),
  }),
  business_details: closed({ business_problem: str(2048), business_stakeholders: str(2048), line_of_business: str(2048) }),
  training_details: closed({
    objective_function: closed({
      function: closed({ function: { type: 'string', enum: ['Maximize', 'Minimize'] }, facet: str(63), condition: str(63) }),
      notes: str(1024),
    }),
    training_observations: str(1024),
    training_job_details: closed({
      training_arn: str(1024),
      training_datasets: strings(15, 1024),
      training_environment: closed({ container_image: strings(15, 1024) }),
      training_metrics: { type: 'array', maxItems: 50, items: trainingMetric },
      user_provided_training_metrics: { type: 'array', maxItems: 50, items: trainingMetric },
    }),
  }),
  evaluation_details: {
    type: 'array',
    items: closed({
      name: { type: 'string', pattern: '^.{1,63}$' },
      evaluation_observation: str(2096),
      evaluation_job_arn: str(256),
      datasets: strings(10, 1024),
      metadata: { type: 'object', additionalProperties: str(1024) },
      metric_groups: {
        type: 'array',
        items: closed({
          name: { type: 'string', pattern: '^.{1,63}$' },
          metric_data: { type: 'array', items: closed({ name: { type: 'string', pattern: '^.{1,255}$' }, notes: str(1024), type: { enum: ['number', 'string', 'boolean'] }, value: { type: ['number', 'string', 'boolean'] }, x_axis_name: { type: 'string' }, y_axis_name: { type: 'string' } }, ['name', 'type', 'value']) },
        }, ['name', 'metric_data']),
      },
    }, ['name']),
  },
  additional_information: closed({ ethical_considerations: str(2048), caveats_and_recommendations: str(2048), custom_details: { type: 'object', additionalProperties: str(1024) } }),
};

const MODEL_CARD = closed({
  ...SECTIONS,
  model_overview: closed({
    model_description: str(1024), model_owner: str(1024), model_creator: str(1024), model_id: str(1024), model_name: str(1024),
    problem_type: str(1024), algorithm_type: str(1024), model_artifact: strings(15, 1024),
    inference_environment: closed({ container_image: strings(15, 1024) }),
  }),
  model_package_details: closed({
    model_package_group_name: { type: 'string', pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$' },
    model_package_arn: str(2048), model_package_name: str(63), model_package_description: str(1024), model_package_version: { type: 'integer', minimum: 1 },
    model_approval_status: { enum: ['Approved', 'Rejected', 'PendingManualApproval'] },
  }),
});

/** A model package's card: no model_package_details; model_overview is model_creator and model_artifact only. */
const MODEL_PACKAGE_CARD = closed({
  ...SECTIONS,
  model_overview: closed({ model_creator: str(1024), model_artifact: strings(15, 1024) }),
});

const validators = new Map<string, ValidateFunction>();

/** A validator of a model card's content ('model-card': an AWS::SageMaker::ModelCard; 'model-package': a model package's ModelCardContent). */
export function modelCardContentValidator(kind: 'model-card' | 'model-package'): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    v = new Ajv({ strict: false, allErrors: true }).compile(kind === 'model-card' ? MODEL_CARD : MODEL_PACKAGE_CARD);
    validators.set(kind, v);
  }
  return v;
}
