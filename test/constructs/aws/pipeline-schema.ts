/**
 * Validation of synthesized SageMaker pipeline definitions against the published JSON schema
 * (../shared/schemas/sagemaker-pipeline-definition.schema.json, written in 2021).
 *
 * The schema predates fields SageMaker and the SageMaker Python SDK have emitted since; `extended`
 * adds exactly those, each naming the API it comes from, and changes nothing else:
 *  - Std:Join and Std:JsonGet wherever a string argument goes (the SDK writes Join for per-execution
 *    S3 paths and JsonGet for values read from property files). The schema's own JoinFunction is
 *    never referenced and cannot match anything (its `Std:Join` object forbids every property,
 *    `On` and `Values` included), so Join is defined here as the SDK writes it: { On, Values };
 *  - PropertyFiles on a Processing step (sagemaker.workflow.properties.PropertyFile);
 *  - ModelApprovalStatus, CustomerMetadataProperties, DriftCheckBaselines of RegisterModel (CreateModelPackage);
 *  - ModelCard of RegisterModel (CreateModelPackage's ModelPackageModelCard, 2023: ModelCardContent, a string
 *    or a Join, and ModelCardStatus), and its SecurityConfig (ModelPackageSecurityConfig, 2023: KmsKeyId, up to 2048 of [a-zA-Z0-9:/_-]);
 *  - Environment of a Training step (CreateTrainingJob);
 *  - ContainerEntrypoint and ContainerArguments of a Training step's AlgorithmSpecification (CreateTrainingJob, 2023);
 *  - a Get or Join for ModelDataUrl of a Model step's container (CreateModel, the SDK's ModelStep).
 */
import Ajv, { ValidateFunction } from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';

const SCHEMA_FILE = path.join(__dirname, '../../../../shared/schemas/sagemaker-pipeline-definition.schema.json');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function load(): Json {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Json;
  delete schema.$schema;
  return schema;
}

function extend(schema: Json): Json {
  const d = schema.definitions;
  const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
  d.JsonGetFunction = {
    type: 'object', additionalProperties: false, required: ['Std:JsonGet'],
    properties: { 'Std:JsonGet': { type: 'object', additionalProperties: false, required: ['PropertyFile', 'Path'], properties: { PropertyFile: ref('GetFunction'), Path: { type: 'string' } } } },
  };
  d.StdJoinFunction = {
    type: 'object', additionalProperties: false, required: ['Std:Join'],
    properties: { 'Std:Join': { type: 'object', additionalProperties: false, required: ['On', 'Values'], properties: { On: { type: 'string' }, Values: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'number' }, ref('GetFunction'), ref('JsonGetFunction')] } } } } },
  };
  d.StringArgumentValue.oneOf.push(ref('StdJoinFunction'), ref('JsonGetFunction'));
  d.FloatArgumentValue.oneOf.push(ref('JsonGetFunction'));
  d.ProcessingStep.properties.PropertyFiles = {
    type: 'array',
    items: { type: 'object', additionalProperties: false, required: ['PropertyFileName', 'OutputName', 'FilePath'], properties: { PropertyFileName: { type: 'string' }, OutputName: { type: 'string' }, FilePath: { type: 'string' } } },
  };
  const register = d.RegisterModelStep.properties.Arguments.properties;
  register.ModelApprovalStatus = { type: 'string', enum: ['Approved', 'Rejected', 'PendingManualApproval'] };
  register.CustomerMetadataProperties = { type: 'object', additionalProperties: ref('StringArgumentValue') };
  register.DriftCheckBaselines = { type: 'object' };
  register.ModelCard = {
    type: 'object', additionalProperties: false, required: ['ModelCardStatus'],
    properties: { ModelCardContent: ref('StringArgumentValue'), ModelCardStatus: { type: 'string', enum: ['Draft', 'PendingReview', 'Approved', 'Archived'] } },
  };
  register.SecurityConfig = { type: 'object', additionalProperties: false, required: ['KmsKeyId'], properties: { KmsKeyId: { type: 'string', maxLength: 2048, pattern: '^[a-zA-Z0-9:/_-]*$' } } };
  d.TrainingStep.properties.Arguments.properties.Environment = { type: 'object', additionalProperties: ref('StringArgumentValue') };
  const algorithm = d.TrainingStep.properties.Arguments.properties.AlgorithmSpecification.properties;
  algorithm.ContainerEntrypoint = { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 256 } };
  algorithm.ContainerArguments = { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 256 } };
  d.ContainerDefinition.properties.ModelDataUrl = { oneOf: [d.ContainerDefinition.properties.ModelDataUrl, ref('GetFunction'), ref('StdJoinFunction')] };
  return schema;
}

let official: ValidateFunction | undefined;
let extended: ValidateFunction | undefined;

/** The published schema, unchanged. */
export function officialSchema(): ValidateFunction {
  official ??= new Ajv({ strict: false, allErrors: true }).compile(load());
  return official;
}

/** The published schema plus the fields it predates (see the file comment). */
export function extendedSchema(): ValidateFunction {
  extended ??= new Ajv({ strict: false, allErrors: true }).compile(extend(load()));
  return extended;
}

/** Asserts a definition validates, printing ajv's errors when it does not. */
export function expectValidDefinition(definition: unknown, validate: ValidateFunction = extendedSchema()): void {
  const ok = validate(definition);
  expect(ok ? [] : validate.errors).toEqual([]);
}

/**
 * The PipelineDefinitionBody of every AWS::SageMaker::Pipeline of a template, as objects: the
 * deploy-time values CloudFormation substitutes (Ref, Fn::GetAtt inside the Fn::Join) replaced by
 * the placeholder 'DEPLOYTIME'.
 */
export function definitionsOf(template: Template): Json[] {
  return Object.values(template.findResources('AWS::SageMaker::Pipeline')).map((r) => {
    const body = (r.Properties as Json).PipelineDefinition.PipelineDefinitionBody as unknown;
    if (typeof body === 'string') return JSON.parse(body) as Json;
    const parts = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'DEPLOYTIME')).join('')) as Json;
  });
}

/** The one pipeline definition of a template. */
export function definitionOf(template: Template): Json {
  const all = definitionsOf(template);
  if (all.length !== 1) throw new Error(`expected one pipeline, found ${all.length}`);
  return all[0];
}

/** Every step of a definition, condition branches included. */
export function stepsOf(definition: Json): Json[] {
  const out: Json[] = [];
  const visit = (steps: Json[]) => steps.forEach((s) => {
    out.push(s);
    if (s.Type === 'Condition') visit([...(s.Arguments.IfSteps ?? []), ...(s.Arguments.ElseSteps ?? [])]);
  });
  visit(definition.Steps);
  return out;
}

export function stepOf(definition: Json, name: string): Json {
  const s = stepsOf(definition).find((x) => x.Name === name);
  if (!s) throw new Error(`no step '${name}'`);
  return s;
}
