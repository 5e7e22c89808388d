/**
 * The card of every version the pipeline registers: CreateModelPackage's ModelCard, its content in
 * the model package card schema, with the execution's evaluation metric (read from the evaluation
 * report, as the quality gate reads it), evaluation job, report and training job filled in by
 * SageMaker during the execution (Std:Join, Get and Std:JsonGet in the RegisterModel arguments).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { MlPipeline, ModelCard, ModelRegistry } from '../../../constructs/aws';
import { JsonNumber, pipelineJson } from '../../../constructs/aws/pipeline';
import { Get, JsonGet } from '../../../constructs/aws/pipeline';
import { newStack } from './helpers';
import { modelCardContentValidator } from './model-card-schema';
import { definitionOf, expectValidDefinition, stepOf } from './pipeline-schema';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
const XGBOOST = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const SPEC = {
  preprocess: { image: SKLEARN, command: ['python3', '/opt/ml/processing/code/preprocess.py'] },
  train: { image: XGBOOST, compute: { instanceType: 'ml.m5.xlarge' } },
  evaluate: { image: XGBOOST, command: ['python3', '/opt/ml/processing/code/evaluate.py'] },
  gate: { metric: 'metrics.auc.value', threshold: 0.8 },
};
const CARD = { owner: 'team@example.com', purpose: 'Scores "churn".', intendedUses: 'Retention offers.', riskRating: 'Medium' as const, status: 'PendingReview' as const, evaluation: { observations: 'AUC on the test split.' }, trainingData: { datasets: ['s3://data/churn/'] } };

/** What SageMaker substitutes during an execution, for the test: a step property, a value of the report. */
const EXECUTION: Record<string, string> = {
  'Steps.Evaluate.ProcessingJobArn': 'arn:aws:sagemaker:us-east-1:123456789012:processing-job/pipelines-abc-evaluate',
  'Steps.Train.TrainingJobArn': 'arn:aws:sagemaker:us-east-1:123456789012:training-job/pipelines-abc-train',
  'Steps.Train.ModelArtifacts.S3ModelArtifacts': 's3://artifacts/pipelines/churn-build/abc/model.tar.gz',
};

function execute(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  const v = value as Json;
  if (v.Get !== undefined) return EXECUTION[v.Get] ?? `s3://artifacts/${v.Get}`;
  if (v['Std:JsonGet']) return '0.91';
  if (v['Std:Join']) return (v['Std:Join'].Values as unknown[]).map(execute).join(v['Std:Join'].On);
  throw new Error(`unexpected ${JSON.stringify(v)}`);
}

describe("the pipeline's registered versions carry the model card", () => {
  let register: Json;
  let definition: Json;
  let template: Template;
  beforeAll(() => {
    const { stack } = newStack();
    const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
    const card = new ModelCard(stack, 'Card', { ...CARD, encryptionKey: new kms.Key(stack, 'Key'), modelPackageGroupName: 'churn', namePrefix: 'churn' });
    new MlPipeline(stack, 'Pipeline', { spec: SPEC, registry, pipelineName: 'churn-build', modelCard: card });
    template = Template.fromStack(stack);
    definition = definitionOf(template);
    register = stepOf(definition, 'Register');
  });

  it("encrypts each registered version's card with the card's key (SecurityConfig), which the pipeline's role may use through SageMaker", () => {
    const cardKey = (Object.values(template.findResources('AWS::SageMaker::ModelCard'))[0].Properties as Json).SecurityConfig.KmsKeyId;
    expect(cardKey).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    // The definition is a Join around deploy-time values: the key's ARN is the card's own.
    expect(register.Arguments.SecurityConfig).toEqual({ KmsKeyId: expect.any(String) });
    const pipeline = Object.values(template.findResources('AWS::SageMaker::Pipeline'))[0].Properties as Json;
    const parts = pipeline.PipelineDefinition.PipelineDefinitionBody['Fn::Join'][1] as unknown[];
    const at = parts.findIndex((p) => typeof p === 'string' && p.endsWith('"SecurityConfig":{"KmsKeyId":"'));
    expect(at).toBeGreaterThan(0);
    expect(parts[at + 1]).toEqual(cardKey);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{
        Sid: 'EncryptRegisteredVersions', Effect: 'Allow',
        Action: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:CreateGrant'],
        Resource: cardKey,
        Condition: { StringEquals: { 'kms:ViaService': 'sagemaker.us-east-1.amazonaws.com' } },
      }]) },
    });
  });

  it('validates against the pipeline schema with ModelCard among its documented additions', () => {
    expectValidDefinition(definition);
    expect(register.Arguments.ModelCard).toEqual({ ModelCardContent: { 'Std:Join': expect.anything() }, ModelCardStatus: 'PendingReview' });
  });

  it("writes content valid against the model package card schema once the execution's values are in, with the gate's metric as evaluation", () => {
    const content = JSON.parse(execute(register.Arguments.ModelCard.ModelCardContent)) as Json;
    const validate = modelCardContentValidator('model-package');
    expect(validate(content) ? [] : validate.errors).toEqual([]);
    expect(content).toMatchObject({
      model_overview: { model_creator: 'team@example.com', model_artifact: [EXECUTION['Steps.Train.ModelArtifacts.S3ModelArtifacts']] },
      intended_uses: { purpose_of_model: 'Scores "churn".', risk_rating: 'Medium' },
      training_details: { training_job_details: { training_arn: EXECUTION['Steps.Train.TrainingJobArn'], training_datasets: ['s3://data/churn/'] } },
      evaluation_details: [{
        name: 'evaluation',
        evaluation_observation: 'AUC on the test split.',
        evaluation_job_arn: EXECUTION['Steps.Evaluate.ProcessingJobArn'],
        metadata: { evaluation_report: expect.stringMatching(/^s3:\/\/.*\/evaluation\.json$/) },
        metric_groups: [{ name: 'quality gate', metric_data: [{ name: 'metrics.auc.value', type: 'number', value: 0.91 }] }],
      }],
    });
    // A model package's card has no model_package_details: the schema refuses it.
    expect(validate({ ...content, model_package_details: { model_package_group_name: 'churn' } })).toBe(false);
  });

  it('reads the metric from the same report and path as the quality gate', () => {
    const values = register.Arguments.ModelCard.ModelCardContent['Std:Join'].Values as Json[];
    const gate = stepOf(definition, 'QualityGate').Arguments.Conditions[0].LeftValue;
    expect(values.filter((v) => typeof v === 'object' && v['Std:JsonGet'])).toEqual([gate]);
  });
});

describe('pipelineJson', () => {
  it('is plain JSON text without expressions, and keeps strings escaped around them', () => {
    expect(pipelineJson({ a: 'x"y', n: 1 })).toBe('{"a":"x\\"y","n":1}');
    const joined = pipelineJson({ arn: Get.step('Train', 'TrainingJobArn'), v: new JsonNumber(JsonGet.of('Evaluate', 'EvaluationReport', 'auc')), t: 'a"b' }) as unknown as { toJSON(): Json };
    const text = execute(JSON.parse(JSON.stringify(joined.toJSON())));
    expect(JSON.parse(text)).toEqual({ arn: EXECUTION['Steps.Train.TrainingJobArn'], v: 0.91, t: 'a"b' });
  });
});
