import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ExperimentTracker, MlPipeline, MlPipelineProps, ModelRegistry } from '../../../constructs/aws';
import {
  ClarifyCheckStep, Condition, ConditionStep, CreateModelStep, FailStep, Get, JsonGet,
  PipelineParameter, PipelineStep, ProcessingStep, QualityCheckStep, StepProps, TrainingStep, TransformStep, TuningStep,
} from '../../../constructs/aws/pipeline';
import { MlopsValidationError } from '../../../lib/errors';
import { MAX_JOB_RUNTIME_SECONDS, MAX_PROCESSING_RUNTIME_SECONDS, pipelineSpecSchema } from '../../../lib/spec';
import { actionsOf, allStatements, expectValidationError, newStack, only } from './helpers';
import { definitionOf, expectValidDefinition, officialSchema, stepOf, stepsOf } from './pipeline-schema';

const PYTORCH = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker';
const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
const XGBOOST = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

/** A small valid template spec: CPU XGBoost, AUC gate. */
function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    preprocess: { image: SKLEARN, command: ['python3', '/opt/ml/processing/code/preprocess.py'] },
    train: { image: XGBOOST, compute: { instanceType: 'ml.m5.xlarge' }, hyperparameters: { num_round: '100' } },
    evaluate: { image: XGBOOST, command: ['python3', '/opt/ml/processing/code/evaluate.py'] },
    gate: { metric: 'metrics.auc.value', threshold: 0.8 },
    ...overrides,
  };
}

function train(overrides: Record<string, unknown>): Record<string, unknown> {
  return spec({ train: { ...(spec().train as object), ...overrides } });
}

function build(input: Record<string, unknown> | undefined, props: Partial<MlPipelineProps> = {}): { stack: Stack; pipeline: MlPipeline } {
  const { stack } = newStack();
  const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
  const pipeline = new MlPipeline(stack, 'Pipeline', { spec: input as MlPipelineProps['spec'], registry, pipelineName: 'churn-build', ...props });
  return { stack, pipeline };
}

/** Templates of pipelines built from a spec alone, synthesized once per spec (they are only read). */
const templates = new Map<string, Template>();
function synth(input: Record<string, unknown> | undefined): Template {
  const key = JSON.stringify(input);
  if (!templates.has(key)) templates.set(key, Template.fromStack(build(input).stack));
  return templates.get(key)!;
}
const PIPE = "MlPipeline 'Pipeline' (Stack/Pipeline)";

/** A bare pipeline (no template) holding `steps`. */
function custom(steps: MlPipelineProps['steps'], props: Partial<MlPipelineProps> = {}): { stack: Stack; pipeline: MlPipeline } {
  const { stack } = newStack();
  const pipeline = new MlPipeline(stack, 'Pipeline', { pipelineName: 'custom', steps, ...props });
  return { stack, pipeline };
}

const preprocessStep = () => new ProcessingStep({
  name: 'Prep', imageUri: SKLEARN, instanceType: 'ml.m5.xlarge',
  inputs: [{ name: 'raw', source: PipelineParameter.string('Raw', 's3://data-bucket/raw/'), localPath: '/opt/ml/processing/input' }],
  outputs: [{ name: 'train', localPath: '/opt/ml/processing/train' }, { name: 'report', localPath: '/opt/ml/processing/report' }],
  propertyFiles: [{ name: 'Report', outputName: 'report', filePath: 'report.json' }],
});

describe('MlPipeline', () => {
  describe('the default template', () => {
    it('renders preprocess, train, evaluate and a quality gate that registers or fails, valid against the pipeline schema', () => {
      const d = definitionOf(synth(spec()));
      expectValidDefinition(d);
      expect(d.Version).toBe('2020-12-01');
      expect(d.Steps.map((s: { Name: string; Type: string }) => `${s.Name}:${s.Type}`)).toEqual(['Preprocess:Processing', 'Train:Training', 'Evaluate:Processing', 'QualityGate:Condition']);
      const gate = stepOf(d, 'QualityGate');
      expect(gate.Arguments.IfSteps.map((s: { Type: string }) => s.Type)).toEqual(['RegisterModel']);
      expect(gate.Arguments.ElseSteps.map((s: { Type: string }) => s.Type)).toEqual(['Fail']);
    });

    it('gates on the metric read from the evaluation report property file', () => {
      const d = definitionOf(synth(spec({ gate: { metric: 'metrics.rmse.value', comparison: '<', threshold: 3.5 } })));
      expect(stepOf(d, 'Evaluate').PropertyFiles).toEqual([{ PropertyFileName: 'EvaluationReport', OutputName: 'evaluation', FilePath: 'evaluation.json' }]);
      expect(stepOf(d, 'QualityGate').Arguments.Conditions).toEqual([{
        Type: 'LessThan',
        LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: 'metrics.rmse.value' } },
        RightValue: 3.5,
      }]);
    });

    it('feeds each step the outputs of the one before it through property references', () => {
      const d = definitionOf(synth(spec()));
      const channels = stepOf(d, 'Train').Arguments.InputDataConfig;
      expect(channels[0].DataSource.S3DataSource.S3Uri).toEqual({ Get: "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" });
      expect(stepOf(d, 'Evaluate').Arguments.ProcessingInputs[0].S3Input.S3Uri).toEqual({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' });
      expect(stepOf(d, 'Preprocess').Arguments.ProcessingInputs[0].S3Input.S3Uri).toEqual({ Get: 'Parameters.InputDataUri' });
    });

    it('registers the model pending manual approval, with its evaluation metrics and the input data version for lineage', () => {
      const d = definitionOf(synth(spec()));
      const r = stepOf(d, 'Register').Arguments;
      expect(r.ModelApprovalStatus).toBe('PendingManualApproval');
      expect(r.ModelPackageGroupName).toBe('churn');
      expect(r.InferenceSpecification.Containers).toEqual([{ Image: XGBOOST, ModelDataUrl: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' } }]);
      expect(r.ModelMetrics.ModelQuality.Statistics).toEqual({
        S3Uri: { 'Std:Join': { On: '/', Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, 'evaluation.json'] } },
        ContentType: 'application/json',
      });
      expect(r.CustomerMetadataProperties).toMatchObject({
        InputDataUri: { Get: 'Parameters.InputDataUri' },
        InputDataVersion: { Get: 'Parameters.InputDataVersion' },
        InputDataObjectKey: { Get: 'Parameters.InputDataObjectKey' },
        PipelineExecutionArn: { Get: 'Execution.PipelineExecutionArn' },
      });
      expect(d.Parameters.map((p: { Name: string }) => p.Name)).toEqual(['InputDataUri', 'InputDataVersion', 'InputDataObjectKey']);
    });

    it('fails the execution with a message naming the gate when the metric misses', () => {
      const d = definitionOf(synth(spec()));
      expect(stepOf(d, 'QualityGateFailed').Arguments.ErrorMessage).toContain('metrics.auc.value >= 0.8');
    });

    it('adds a data-quality baseline of the training split and registers it as the drift-check baseline', () => {
      const d = definitionOf(synth(spec({ dataQualityBaseline: true })));
      expectValidDefinition(d);
      const q = stepOf(d, 'DataQualityBaseline');
      expect(q).toMatchObject({ Type: 'QualityCheck', CheckType: 'DATA_QUALITY', SkipCheck: true, RegisterNewBaseline: true, ModelPackageGroupName: 'churn' });
      expect(q.Arguments.AppSpecification.ImageUri).toBe('156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer');
      expect(q.Arguments.Environment).toMatchObject({ dataset_source: '/opt/ml/processing/input/baseline_dataset_input', output_path: '/opt/ml/processing/output' });
      const r = stepOf(d, 'Register').Arguments;
      expect(r.ModelMetrics.ModelDataQuality.Constraints.S3Uri).toEqual({ Get: 'Steps.DataQualityBaseline.CalculatedBaselineConstraints' });
      expect(r.DriftCheckBaselines.ModelDataQuality.Statistics.S3Uri).toEqual({ Get: 'Steps.DataQualityBaseline.BaselineUsedForDriftCheckStatistics' });
    });

    it('tells a drift monitor where the baseline lands: a fixed prefix of the artifacts bucket', () => {
      const { stack, pipeline } = build(spec({ dataQualityBaseline: true }));
      const b = pipeline.checkBaseline('DataQualityBaseline');
      const resolved = stack.resolve(b.constraintsUri) as { 'Fn::Join': [string, unknown[]] };
      expect(JSON.stringify(resolved)).toContain('/pipelines/churn-build/baselines/DataQualityBaseline/constraints.json');
      expect(JSON.stringify(stack.resolve(b.statisticsUri))).toContain('/baselines/DataQualityBaseline/statistics.json');
      const d = definitionOf(Template.fromStack(stack));
      expect(JSON.stringify(stepOf(d, 'DataQualityBaseline').Arguments.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri)).toContain('/pipelines/churn-build/baselines/DataQualityBaseline');
    });

    it('tells where a ClarifyCheck writes analysis.json, with the analysis configuration it ran with', () => {
      const { stack, pipeline } = build(spec());
      pipeline.addStep(new ClarifyCheckStep({ name: 'DataBias', checkType: 'DATA_BIAS', analysisConfigUri: 's3://config-bucket/clarify/analysis_config.json', dataset: Get.step('Preprocess', "ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri") }));
      const b = pipeline.checkBaseline('DataBias');
      expect(b.analysisConfigUri).toBe('s3://config-bucket/clarify/analysis_config.json');
      expect(b.statisticsUri).toBeUndefined();
      expect(JSON.stringify(stack.resolve(b.constraintsUri))).toContain('/pipelines/churn-build/baselines/DataBias/analysis.json');
    });

    it('rejects checkBaseline of a step that computes no baseline, naming the check steps', () => {
      const { pipeline } = build(spec({ dataQualityBaseline: true }));
      expectValidationError(() => pipeline.checkBaseline('Train'), PIPE, { path: 'checkBaseline', got: "'Train'", expected: "one of 'DataQualityBaseline'" });
    });
  });

  describe('training', () => {
    it('resolves an accelerator intent through the catalog', () => {
      const d = definitionOf(synth(train({ image: PYTORCH, compute: { accelerator: { type: 'nvidia-a10g', count: 4 } } })));
      expect(stepOf(d, 'Train').Arguments.ResourceConfig.InstanceType).toBe('ml.g5.12xlarge');
    });

    it('distributes over several instances with torchrun (the SDK torch_distributed hyperparameter)', () => {
      const d = definitionOf(synth(train({ image: PYTORCH, compute: { instanceType: 'ml.g5.12xlarge' }, instanceCount: 2, distribution: 'torch' })));
      const a = stepOf(d, 'Train').Arguments;
      expect(a.ResourceConfig.InstanceCount).toBe(2);
      expect(a.HyperParameters).toEqual({ num_round: '100', sagemaker_torch_distributed_enabled: 'true' });
      expect(a.EnableInterContainerTrafficEncryption).toBe(true);
    });

    it('runs mpi with one process per GPU by default', () => {
      const d = definitionOf(synth(train({ image: PYTORCH, compute: { instanceType: 'ml.p4d.24xlarge' }, instanceCount: 2, distribution: 'mpi' })));
      expect(stepOf(d, 'Train').Arguments.HyperParameters).toMatchObject({ sagemaker_mpi_enabled: 'true', sagemaker_mpi_num_of_processes_per_host: '8' });
    });

    it('trains on managed spot with checkpoints in S3 per execution and a max wait of twice the runtime', () => {
      const d = definitionOf(synth(train({ spot: {}, maxRuntimeSeconds: 7200 })));
      const a = stepOf(d, 'Train').Arguments;
      expect(a.EnableManagedSpotTraining).toBe(true);
      expect(a.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 7200, MaxWaitTimeInSeconds: 14400 });
      expect(a.CheckpointConfig.LocalPath).toBe('/opt/ml/checkpoints');
      expect(a.CheckpointConfig.S3Uri['Std:Join'].Values).toEqual(expect.arrayContaining([{ Get: 'Execution.PipelineExecutionId' }, 'Train', 'checkpoints']));
    });

    it('keeps a given spot max wait', () => {
      const d = definitionOf(synth(train({ spot: { maxWaitSeconds: 90000 }, maxRuntimeSeconds: 86400 })));
      expect(stepOf(d, 'Train').Arguments.StoppingCondition.MaxWaitTimeInSeconds).toBe(90000);
    });

    it('encrypts the training volume with the key, except on local NVMe instance storage', () => {
      const cpu = stepOf(definitionOf(synth(spec())), 'Train').Arguments;
      expect(cpu.ResourceConfig.VolumeKmsKeyId).toBe('DEPLOYTIME');
      expect(cpu.OutputDataConfig.KmsKeyId).toBe('DEPLOYTIME');
      const nvme = stepOf(definitionOf(synth(train({ compute: { instanceType: 'ml.g5.2xlarge' } }))), 'Train').Arguments;
      expect(nvme.ResourceConfig.VolumeKmsKeyId).toBeUndefined();
      expect(nvme.OutputDataConfig.KmsKeyId).toBe('DEPLOYTIME');
    });

    it('isolates the training container from the network and encrypts inter-container traffic by default', () => {
      const a = stepOf(definitionOf(synth(spec())), 'Train').Arguments;
      expect(a.EnableNetworkIsolation).toBe(true);
      expect(a.EnableInterContainerTrafficEncryption).toBe(true);
      expect(a.StoppingCondition.MaxRuntimeInSeconds).toBe(86400);
    });
  });

  describe('every step type', () => {
    it('renders tuning, model, transform, quality and clarify checks, condition and fail steps valid against the schema', () => {
      const prep = preprocessStep();
      const trainJob = { imageUri: XGBOOST, instanceType: 'ml.m5.xlarge', channels: [{ name: 'train', source: prep.outputUri('train') }] };
      const tune = new TuningStep({
        name: 'Tune', training: trainJob, objective: { metricName: 'validation:auc', type: 'Maximize' },
        continuousRanges: [{ name: 'eta', min: 0.01, max: 0.3 }], integerRanges: [{ name: 'max_depth', min: 3, max: 10 }], categoricalRanges: [{ name: 'booster', values: ['gbtree', 'dart'] }],
        maxJobs: 20, maxParallelJobs: 4,
      });
      const model = new CreateModelStep({ name: 'Model', imageUri: XGBOOST, modelDataUrl: tune.topModelUri(0, 's3://artifacts-bucket/tuning') });
      const transform = new TransformStep({ name: 'BatchScore', modelName: model.modelName, input: prep.outputUri('train'), instanceType: 'ml.m5.xlarge' });
      const quality = new QualityCheckStep({ name: 'ModelQuality', checkType: 'MODEL_QUALITY', baselineDataset: transform.outputUri, problemType: 'BinaryClassification', inferenceAttribute: 'prediction', groundTruthAttribute: 'label' });
      const clarify = new ClarifyCheckStep({ name: 'Bias', checkType: 'DATA_BIAS', analysisConfigUri: 's3://config-bucket/clarify/analysis_config.json', dataset: prep.outputUri('train') });
      const gate = new ConditionStep({
        name: 'Gate', conditions: [Condition.greaterThanOrEqualTo(JsonGet.of('Prep', 'Report', 'rows'), 1000)],
        ifSteps: [new TrainingStep({ name: 'Final', ...trainJob })], elseSteps: [new FailStep({ name: 'TooFewRows', errorMessage: 'too few rows' })],
      });
      const d = definitionOf(Template.fromStack(custom([prep, tune, model, transform, quality, clarify, gate]).stack));
      expectValidDefinition(d);
      expect(stepsOf(d).map((s) => s.Type).sort()).toEqual(['ClarifyCheck', 'Condition', 'Fail', 'Model', 'Processing', 'QualityCheck', 'Training', 'Transform', 'Tuning']);
      expect(stepOf(d, 'Tune').Arguments.HyperParameterTuningJobConfig).toMatchObject({ Strategy: 'Bayesian', ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 4 } });
      expect(stepOf(d, 'Model').Arguments.PrimaryContainer.ModelDataUrl['Std:Join'].Values[1]).toEqual({ Get: 'Steps.Tune.TrainingJobSummaries[0].TrainingJobName' });
      expect(stepOf(d, 'BatchScore').Arguments.ModelName).toEqual({ Get: 'Steps.Model.ModelName' });
      expect(stepOf(d, 'ModelQuality').Arguments.Environment).toMatchObject({ analysis_type: 'MODEL_QUALITY', problem_type: 'BinaryClassification' });
      expect(stepOf(d, 'Bias')).toMatchObject({ CheckType: 'DATA_BIAS', Arguments: { AppSpecification: { ImageUri: '205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0' } } });
      expect(d.Parameters).toEqual([{ Name: 'Raw', Type: 'String', DefaultValue: 's3://data-bucket/raw/' }]);
    });

    it('validates plain steps against the published schema unchanged', () => {
      const prep = new ProcessingStep({ name: 'Prep', imageUri: SKLEARN, instanceType: 'ml.m5.xlarge', outputs: [{ name: 'out', localPath: '/opt/ml/processing/out', destination: 's3://data-bucket/out' }] });
      const t = new TrainingStep({ name: 'Fit', imageUri: XGBOOST, instanceType: 'ml.m5.xlarge', channels: [{ name: 'train', source: prep.outputUri('out') }], outputUri: 's3://data-bucket/model' });
      expectValidDefinition(definitionOf(Template.fromStack(custom([prep, t]).stack)), officialSchema());
    });
  });

  describe('adding, replacing and removing steps', () => {
    it('renders steps added after construction (Lazy)', () => {
      const { stack, pipeline } = build(spec());
      pipeline.addStep(new ProcessingStep({ name: 'Report', imageUri: SKLEARN, instanceType: 'ml.m5.large', inputs: [{ name: 'model', source: Get.step('Train', 'ModelArtifacts.S3ModelArtifacts'), localPath: '/opt/ml/processing/model' }] }));
      const d = definitionOf(Template.fromStack(stack));
      expectValidDefinition(d);
      expect(d.Steps.map((s: { Name: string }) => s.Name)).toContain('Report');
    });

    it('replaces a step of the template', () => {
      const { stack, pipeline } = build(spec());
      pipeline.replaceStep('Preprocess', new ProcessingStep({
        name: 'Preprocess', imageUri: SKLEARN, instanceType: 'ml.c5.2xlarge',
        outputs: ['train', 'validation', 'test'].map((o) => ({ name: o, localPath: `/opt/ml/processing/${o}` })),
      }));
      expect(stepOf(definitionOf(Template.fromStack(stack)), 'Preprocess').Arguments.ProcessingResources.ClusterConfig.InstanceType).toBe('ml.c5.2xlarge');
    });

    it('reorders by inserting a step the training waits for', () => {
      const { stack, pipeline } = build(spec());
      const validate = new ProcessingStep({ name: 'ValidateData', imageUri: SKLEARN, instanceType: 'ml.m5.large', dependsOn: ['Preprocess'] });
      pipeline.addStep(validate);
      const old = pipeline.findStep('Train') as TrainingStep;
      pipeline.replaceStep('Train', new TrainingStep({ ...old.job, name: 'Train', dependsOn: ['ValidateData'] }));
      const d = definitionOf(Template.fromStack(stack));
      expect(stepOf(d, 'Train').DependsOn).toEqual(['ValidateData']);
    });

    it('rejects a replaceStep of a step the pipeline does not have', () => {
      const { pipeline } = build(spec());
      expectValidationError(() => pipeline.replaceStep('Training', new FailStep({ name: 'X', errorMessage: 'x' })), PIPE, { path: 'replaceStep', got: "'Training'", expected: "one of 'Preprocess', 'Train'" });
    });

    it('rejects, at synth, a step that reads a removed step', () => {
      const { stack, pipeline } = build(spec());
      pipeline.removeStep('Preprocess');
      expectValidationError(() => Template.fromStack(stack), PIPE, { path: 'steps[0]', message: 'reads a step the pipeline does not have', got: "'Preprocess'" });
    });

    it('rejects two steps with one name', () => {
      const { stack, pipeline } = build(spec());
      pipeline.addStep(new FailStep({ name: 'Train', errorMessage: 'x' }));
      expectValidationError(() => Template.fromStack(stack), PIPE, { path: 'steps[4].name', message: 'repeats the name of steps[1]', got: "'Train'" });
    });

    it('rejects a cycle', () => {
      const a = new ProcessingStep({ name: 'A', imageUri: SKLEARN, instanceType: 'ml.m5.large', dependsOn: ['B'] });
      const b = new ProcessingStep({ name: 'B', imageUri: SKLEARN, instanceType: 'ml.m5.large', dependsOn: ['A'] });
      expectValidationError(() => Template.fromStack(custom([a, b]).stack), "MlPipeline 'Pipeline'", { path: 'steps', message: 'form a cycle', got: "'A' → 'B' → 'A'" });
    });

    it('rejects a dependsOn naming no step', () => {
      const a = new ProcessingStep({ name: 'A', imageUri: SKLEARN, instanceType: 'ml.m5.large', dependsOn: ['Nope'] });
      expectValidationError(() => Template.fromStack(custom([a]).stack), "MlPipeline 'Pipeline'", { path: 'steps[0].dependsOn[0]', got: "'Nope'" });
    });

    it('rejects reading a property file the step does not declare', () => {
      const prep = preprocessStep();
      const fail = new ConditionStep({ name: 'Gate', conditions: [Condition.equals(JsonGet.of('Prep', 'Metrics', 'ok'), true)], ifSteps: [new FailStep({ name: 'F', errorMessage: 'x' })] });
      expectValidationError(() => Template.fromStack(custom([prep, fail]).stack), "MlPipeline 'Pipeline'", { path: 'steps[1]', got: "'Metrics'", expected: "one of 'Report'" });
    });

    it('rejects one parameter name declared with two types', () => {
      const a = new FailStep({ name: 'A', errorMessage: PipelineParameter.string('Msg', 'a') });
      const b = new FailStep({ name: 'B', errorMessage: PipelineParameter.integer('Msg', 1) });
      expectValidationError(() => Template.fromStack(custom([a, b]).stack), "MlPipeline 'Pipeline'", { path: 'steps[1]', message: "parameter 'Msg'" });
    });

    it('rejects an empty pipeline', () => {
      expectValidationError(() => Template.fromStack(custom([]).stack), "MlPipeline 'Pipeline'", { path: 'steps', message: 'is empty' });
    });
  });

  describe('data', () => {
    it('creates versioned, KMS-encrypted, retained input and artifact buckets', () => {
      const t = synth(spec());
      const buckets = t.findResources('AWS::S3::Bucket', { Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } } });
      expect(Object.keys(buckets)).toHaveLength(2);
      for (const b of Object.values(buckets)) {
        expect(b).toMatchObject({ DeletionPolicy: 'Retain', Properties: { VersioningConfiguration: { Status: 'Enabled' } } });
      }
      t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it('creates no input bucket of its own when the data lives elsewhere, and reads only that prefix', () => {
      const { stack, pipeline } = build(spec({ inputDataUri: 's3://team-data/churn/' }));
      expect(pipeline.inputBucket).toBeUndefined();
      const t = Template.fromStack(stack);
      expect(Object.keys(t.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' }, BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } } }))).toHaveLength(1);
      const read = allStatements(t).find((s) => s.Sid === 'ReadInputData')!;
      expect(JSON.stringify(read.Resource)).toContain(':s3:::team-data/churn/*');
    });

    it('defaults the input data parameter to the data/ prefix of its own input bucket', () => {
      const d = definitionOf(synth(spec()));
      expect(d.Parameters[0]).toMatchObject({ Name: 'InputDataUri', Type: 'String', DefaultValue: 's3://DEPLOYTIME/data/' });
    });
  });

  describe('triggers', () => {
    it('starts on a schedule through EventBridge Scheduler, with a role that may only start this pipeline', () => {
      const t = synth(spec({ schedule: 'rate(7 days)' }));
      const { resource } = only(t, 'AWS::Scheduler::Schedule');
      expect(resource.Properties).toMatchObject({ ScheduleExpression: 'rate(7 days)', FlexibleTimeWindow: { Mode: 'OFF' } });
      const target = (resource.Properties as { Target: { Arn: unknown; RoleArn: { 'Fn::GetAtt': string[] } } }).Target;
      expect(JSON.stringify(target.Arn)).toContain(':pipeline/churn-build');
      const roleId = target.RoleArn['Fn::GetAtt'][0];
      t.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] } });
      const policies = t.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleId }] } });
      const statements = Object.values(policies).flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement);
      expect(statements.flatMap(actionsOf)).toEqual(['sagemaker:StartPipelineExecution']);
    });

    it('starts when new data arrives under the input prefix, passing the object key and version', () => {
      const t = synth(spec({ retrainOnNewData: true }));
      const rule = Object.values(t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'source': ['aws.s3'] } } }));
      expect(rule).toHaveLength(1);
      expect(rule[0].Properties).toMatchObject({
        EventPattern: { 'detail-type': ['Object Created'], 'detail': { object: { key: [{ prefix: 'data/' }] } } },
        Targets: [{ SageMakerPipelineParameters: { PipelineParameterList: [{ Name: 'InputDataObjectKey', Value: '$.detail.object.key' }, { Name: 'InputDataVersion', Value: '$.detail.object.version-id' }] } }],
      });
      t.hasResourceProperties('Custom::S3BucketNotifications', { NotificationConfiguration: { EventBridgeConfiguration: {} } });
    });

    it('grants StartPipelineExecution on this pipeline only', () => {
      const { stack, pipeline } = build(spec());
      const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
      pipeline.grantStartExecution(role);
      const t = Template.fromStack(stack);
      const s = allStatements(t).find((x) => actionsOf(x).includes('sagemaker:StartPipelineExecution'))!;
      expect(JSON.stringify(s.Resource)).toContain(':pipeline/churn-build');
    });

    it('imports a pipeline by name', () => {
      const { stack } = newStack();
      const p = MlPipeline.fromPipelineName(stack, 'Imported', 'Other-Pipeline');
      expect(stack.resolve(p.pipelineArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:123456789012:pipeline/other-pipeline']] });
    });
  });

  describe('observability', () => {
    it('notifies failed or stopped executions of this pipeline to SNS', () => {
      const t = synth(spec());
      t.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { 'source': ['aws.sagemaker'], 'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'], 'detail': { currentPipelineExecutionStatus: ['Failed', 'Stopped'] } },
        Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('NotificationTopic') } })],
      });
    });

    it('alarms on failed executions', () => {
      synth(spec()).hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Sagemaker/ModelBuildingPipeline', MetricName: 'ExecutionFailed', Dimensions: [{ Name: 'PipelineName', Value: 'churn-build' }],
        Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
      });
    });
  });

  describe('permissions', () => {
    it('attaches nothing to an immutable role passed in, and warns with the job and pass-role actions to grant', () => {
      const { stack } = newStack();
      const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
      const role = iam.Role.fromRoleArn(stack, 'Existing', 'arn:aws:iam::123456789012:role/ml-build', { mutable: false });
      new MlPipeline(stack, 'Pipeline', { spec: spec() as MlPipelineProps['spec'], registry, pipelineName: 'churn-build', role });
      const t = Template.fromStack(stack);
      expect(Object.values(t.findResources('AWS::IAM::ManagedPolicy')).filter((p) => JSON.stringify(p).includes('ml-build'))).toEqual([]);
      t.resourceCountIs('AWS::IAM::Policy', 0);
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Pipeline/ExecutionRole', Match.stringLikeRegexp('cdk-mlops:immutableRole'));
      expect(warnings).toHaveLength(1);
      for (const action of ['sagemaker:CreateTrainingJob', 'iam:PassRole', 'sagemaker:CreateModelPackage']) expect(JSON.stringify(warnings[0].entry.data)).toContain(action);
    });

    it('passes its role only to SageMaker', () => {
      const s = allStatements(synth(spec())).filter((x) => actionsOf(x).includes('iam:PassRole'));
      expect(s).toHaveLength(1);
      expect(s[0].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    });

    it('grants no action wildcard and no managed FullAccess policy', () => {
      const t = synth(spec({ schedule: 'rate(1 day)', retrainOnNewData: true }));
      const iamPolicies = [...Object.values(t.findResources('AWS::IAM::ManagedPolicy')), ...Object.values(t.findResources('AWS::IAM::Policy'))];
      expect(iamPolicies.length).toBeGreaterThan(0);
      for (const p of iamPolicies) {
        for (const s of (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement) {
          expect(actionsOf(s).filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
        }
      }
      expect(JSON.stringify(t.toJSON())).not.toMatch(/FullAccess/);
    });

    it('scopes job actions to jobs SageMaker Pipelines starts and image pulls to the images used', () => {
      const t = synth(spec());
      const jobs = allStatements(t).find((s) => s.Sid === 'PipelineJobs')!;
      expect(JSON.stringify(jobs.Resource)).toContain(':training-job/pipelines-*');
      const pull = allStatements(t).find((s) => s.Sid === 'PullImages')!;
      expect(JSON.stringify(pull.Resource)).toContain(':ecr:us-east-1:683313688378:repository/sagemaker-xgboost');
      expect(JSON.stringify(pull.Resource)).toContain('repository/sagemaker-scikit-learn');
    });

    it('lets the jobs log to an experiment tracker and gives them its URI', () => {
      const { stack } = newStack();
      const tracker = new ExperimentTracker(stack, 'Tracker', { name: 'experiments' });
      const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
      new MlPipeline(stack, 'Pipeline', { spec: spec() as MlPipelineProps['spec'], registry, experimentTracker: tracker });
      const t = Template.fromStack(stack);
      const d = definitionOf(t);
      expect(stepOf(d, 'Train').Arguments.Environment.MLFLOW_TRACKING_URI).toBe('arn:DEPLOYTIME:sagemaker:us-east-1:123456789012:mlflow-tracking-server/experiments');
      const log = allStatements(t).find((s) => actionsOf(s).includes('sagemaker-mlflow:LogMetric'))!;
      expect(JSON.stringify(log.Resource)).toContain('mlflow-tracking-server/experiments');
    });

    it('places jobs in a VPC when given one', () => {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
      const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
      new MlPipeline(stack, 'Pipeline', { spec: spec() as MlPipelineProps['spec'], registry, vpc });
      const a = stepOf(definitionOf(Template.fromStack(stack)), 'Train').Arguments;
      expect(a.VpcConfig.Subnets).toHaveLength(2);
    });
  });

  describe('rejected input', () => {
    it('rejects a template without a registry', () => {
      const { stack } = newStack();
      expectValidationError(() => new MlPipeline(stack, 'Pipeline', { spec: spec() as MlPipelineProps['spec'] }), PIPE, { path: 'registry', got: 'nothing' });
    });

    it('rejects a pipeline name SageMaker does not accept', () => {
      expectValidationError(() => build(spec(), { pipelineName: 'churn_build' }), PIPE, { path: 'pipelineName', got: "'churn_build'" });
    });

    it('rejects subnets without a vpc', () => {
      expectValidationError(() => build(spec(), { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }), PIPE, { path: 'vpcSubnets', message: 'needs a vpc' });
    });

    it('rejects several training instances without a distribution', () => {
      expectValidationError(() => build(train({ instanceCount: 2 })), PIPE, { path: 'train.distribution', expected: "'torch' or 'mpi'" });
    });

    it('rejects a spot max wait below the max runtime', () => {
      expectValidationError(() => build(train({ spot: { maxWaitSeconds: 3600 }, maxRuntimeSeconds: 7200 })), PIPE, { path: 'train.spot.maxWaitSeconds', got: '3600', expected: '≥ 7200' });
    });

    it('rejects processesPerHost without mpi', () => {
      expectValidationError(() => build(train({ processesPerHost: 4 })), PIPE, { path: 'train.processesPerHost', got: '4' });
    });

    it('rejects a hyperparameter that would override the distribution settings', () => {
      expectValidationError(() => build(train({ hyperparameters: { sagemaker_mpi_enabled: 'false' } })), PIPE, { path: 'train.hyperparameters.sagemaker_mpi_enabled' });
    });

    it('rejects an unknown training instance type with a did-you-mean', () => {
      expectValidationError(() => build(train({ compute: { instanceType: 'ml.g5.xlarg' } })), PIPE, { path: 'train.compute.instanceType', message: "did you mean 'ml.g5.xlarge'?" });
    });

    it('rejects an inference-only type for training', () => {
      expectValidationError(() => build(train({ compute: { instanceType: 'ml.inf2.xlarge' } })), PIPE, { path: 'train.compute.instanceType', message: 'is not offered for training' });
    });

    it('rejects a training image that is not an ECR URI', () => {
      expectValidationError(() => build(train({ image: 'docker.io/library/python:3.11' })), PIPE, { path: 'train.image', got: "'docker.io/library/python:3.11'" });
    });

    it('rejects a gate metric that is not a JSON path', () => {
      expectValidationError(() => build(spec({ gate: { metric: '$.metrics..auc', threshold: 0.8 } })), PIPE, { path: 'gate.metric' });
    });

    it('rejects a gate without a threshold', () => {
      expectValidationError(() => build(spec({ gate: { metric: 'metrics.auc.value' } })), PIPE, { path: 'gate.threshold', message: 'is required' });
    });

    it('rejects a schedule expression EventBridge Scheduler does not read', () => {
      expectValidationError(() => build(spec({ schedule: 'every monday' })), PIPE, { path: 'schedule', got: "'every monday'" });
    });

    it('rejects an input data URI that is not an S3 URI', () => {
      expectValidationError(() => build(spec({ inputDataUri: 'https://example.com/data' })), PIPE, { path: 'inputDataUri' });
    });

    it('rejects an unknown field with a did-you-mean', () => {
      expectValidationError(() => build(spec({ schedul: 'rate(1 day)' })), PIPE, { path: 'schedul', message: "did you mean 'schedule'?" });
    });

    it('rejects a quality check in a region whose analyzer image it does not know, asking for an imageUri', () => {
      const { stack } = newStack();
      const other = new Stack(stack.node.scope, 'Far', { env: { account: '123456789012', region: 'ap-southeast-4' } });
      const q = new QualityCheckStep({ name: 'Baseline', baselineDataset: 's3://data-bucket/train' });
      new MlPipeline(other, 'Pipeline', { steps: [q] });
      expectValidationError(() => Template.fromStack(other), "MlPipeline 'Pipeline'", { path: 'steps.Baseline.imageUri', got: "'ap-southeast-4'" });
    });
  });
});

describe('pipeline steps', () => {
  const job = { imageUri: XGBOOST, instanceType: 'ml.m5.xlarge', channels: [{ name: 'train', source: 's3://data-bucket/train' }] };

  it('rejects a step name SageMaker does not accept', () => {
    expectValidationError(() => new FailStep({ name: 'has space', errorMessage: 'x' }), "FailStep 'has space'", { path: 'name', got: "'has space'" });
  });

  it('rejects several training instances without a distribution', () => {
    expectValidationError(() => new TrainingStep({ name: 'T', ...job, instanceCount: 4 }), "TrainingStep 'T'", { path: 'distribution', got: 'none with instanceCount 4' });
  });

  it('accepts the longest runtimes the spec accepts, and rejects one second more', () => {
    const processing = { name: 'P', imageUri: SKLEARN, instanceType: 'ml.m5.large' };
    expect(new TrainingStep({ name: 'T', ...job, maxRuntimeSeconds: MAX_JOB_RUNTIME_SECONDS }).job.maxRuntimeSeconds).toBe(2419200);
    expect(new ProcessingStep({ ...processing, maxRuntimeSeconds: MAX_PROCESSING_RUNTIME_SECONDS }).name).toBe('P');
    expectValidationError(() => new TrainingStep({ name: 'T', ...job, maxRuntimeSeconds: MAX_JOB_RUNTIME_SECONDS + 1 }), "TrainingStep 'T'", { path: 'maxRuntimeSeconds', expected: 'a whole number in [1, 2419200]' });
    expectValidationError(() => new ProcessingStep({ ...processing, maxRuntimeSeconds: MAX_PROCESSING_RUNTIME_SECONDS + 1 }), "ProcessingStep 'P'", { path: 'maxRuntimeSeconds', expected: 'a whole number in [1, 432000]' });
    expect(pipelineSpecSchema.safeParse(spec({ train: { ...(spec().train as object), maxRuntimeSeconds: MAX_JOB_RUNTIME_SECONDS + 1 } })).success).toBe(false);
    expect(pipelineSpecSchema.safeParse(spec({ train: { ...(spec().train as object), maxRuntimeSeconds: MAX_JOB_RUNTIME_SECONDS } })).success).toBe(true);
  });

  it('rejects a spot max wait below the max runtime', () => {
    expectValidationError(() => new TrainingStep({ name: 'T', ...job, maxRuntimeSeconds: 7200, spot: { maxWaitSeconds: 60 } }), "TrainingStep 'T'", { path: 'spot.maxWaitSeconds', got: '60', expected: 'a whole number in [7200, 2419200]' });
  });

  it('rejects mpi with zero processes per host', () => {
    expectValidationError(() => new TrainingStep({ name: 'T', ...job, instanceCount: 2, distribution: { kind: 'mpi', processesPerHost: 0 } }), "TrainingStep 'T'", { path: 'distribution.processesPerHost', got: '0' });
  });

  it('rejects a training job without data channels', () => {
    expectValidationError(() => new TrainingStep({ name: 'T', ...job, channels: [] }), "TrainingStep 'T'", { path: 'channels', message: 'is empty' });
  });

  it('rejects an unknown processing instance type', () => {
    expectValidationError(() => new ProcessingStep({ name: 'P', imageUri: SKLEARN, instanceType: 'ml.m5.huge' }), "ProcessingStep 'P'", { path: 'instanceType', got: "'ml.m5.huge'" });
  });

  it('rejects a property file on an output the step does not have', () => {
    expectValidationError(() => new ProcessingStep({ name: 'P', imageUri: SKLEARN, instanceType: 'ml.m5.large', outputs: [{ name: 'out', localPath: '/x' }], propertyFiles: [{ name: 'R', outputName: 'report', filePath: 'r.json' }] }),
      "ProcessingStep 'P'", { path: 'propertyFiles[0].outputName', got: "'report'", expected: "one of 'out'" });
  });

  it('rejects more parallel tuning jobs than jobs', () => {
    expectValidationError(() => new TuningStep({ name: 'Tune', training: job, objective: { metricName: 'auc', type: 'Maximize' }, continuousRanges: [{ name: 'eta', min: 0.1, max: 0.2 }], maxJobs: 2, maxParallelJobs: 4 }),
      "TuningStep 'Tune'", { path: 'maxParallelJobs', got: '4', expected: '≤ 2' });
  });

  it('rejects a tuning range whose max is not above its min', () => {
    expectValidationError(() => new TuningStep({ name: 'Tune', training: job, objective: { metricName: 'auc', type: 'Maximize' }, integerRanges: [{ name: 'depth', min: 5, max: 5 }], maxJobs: 2, maxParallelJobs: 1 }),
      "TuningStep 'Tune'", { path: 'integerRanges[0].max', expected: '> 5' });
  });

  it('rejects a tuning step with nothing to tune', () => {
    expectValidationError(() => new TuningStep({ name: 'Tune', training: job, objective: { metricName: 'auc', type: 'Maximize' }, maxJobs: 2, maxParallelJobs: 1 }), "TuningStep 'Tune'", { path: 'continuousRanges', message: 'gives nothing to tune' });
  });

  it('rejects a model quality check without its columns', () => {
    const err = expectValidationError(() => new QualityCheckStep({ name: 'Q', checkType: 'MODEL_QUALITY', baselineDataset: 's3://data-bucket/x' }), "QualityCheckStep 'Q'", { path: 'problemType' }, { path: 'inferenceAttribute' }, { path: 'groundTruthAttribute' });
    expect(err.issues).toHaveLength(3);
  });

  it('rejects a model bias check without a model', () => {
    expectValidationError(() => new ClarifyCheckStep({ name: 'B', checkType: 'MODEL_BIAS', analysisConfigUri: 's3://c-bucket/a.json', dataset: 's3://d-bucket/x' }), "ClarifyCheckStep 'B'", { path: 'modelName' });
  });

  it('rejects a condition with no condition', () => {
    expectValidationError(() => new ConditionStep({ name: 'C', conditions: [], ifSteps: [new FailStep({ name: 'F', errorMessage: 'x' })] }), "ConditionStep 'C'", { path: 'conditions', message: 'is empty' });
  });

  it('rejects a transform on an instance type SageMaker does not offer for inference', () => {
    expectValidationError(() => new TransformStep({ name: 'T', modelName: 'm', input: 's3://d-bucket/x', instanceType: 'ml.p3dn.24xlarge' }), "TransformStep 'T'", { path: 'instanceType', message: 'is not offered for inference' });
  });

  it('throws MlopsValidationError, never a raw error', () => {
    expect(() => new FailStep({ name: '', errorMessage: 'x' })).toThrow(MlopsValidationError);
  });

  describe('a step class of its own', () => {
    interface PauseStepProps extends StepProps { readonly seconds: number }
    /** Validates its props before super and renders them from the typed `props`, with no copy of its own. */
    class PauseStep extends PipelineStep<PauseStepProps> {
      public readonly type = 'Fail';
      constructor(props: PauseStepProps) {
        super('PauseStep', props, props.seconds > 0 ? [] : [{ path: 'seconds', message: 'must be positive', got: String(props.seconds), expected: '> 0' }]);
      }
      protected renderArguments(): Record<string, unknown> {
        return { ErrorMessage: `paused ${this.props.seconds}s` };
      }
    }

    it('rejects its own props together with a bad name, in one error', () => {
      const err = expectValidationError(() => new PauseStep({ name: 'bad name', seconds: 0 }), "PauseStep 'bad name'", { path: 'name' }, { path: 'seconds', got: '0', expected: '> 0' });
      expect(err.issues).toHaveLength(2);
    });

    it('renders from the props it was given', () => {
      const { pipeline } = custom([new PauseStep({ name: 'Pause', seconds: 5 })]);
      expect(stepOf(pipeline.renderDefinition(), 'Pause').Arguments).toEqual({ ErrorMessage: 'paused 5s' });
    });
  });
});

describe('MlPipeline annotations', () => {
  it('says that an existing input bucket needs EventBridge notifications to retrain on new data', () => {
    const { stack } = build(spec({ inputDataUri: 's3://team-data/churn/', retrainOnNewData: true }));
    Annotations.fromStack(stack).hasInfo('/Stack/Pipeline', Match.stringLikeRegexp('EventBridge notifications.*team-data'));
  });
});

describe('MlPipeline training entry points', () => {
  const source = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-src-'));
  fs.writeFileSync(path.join(source, 'train.py'), 'print("training")\n');
  fs.mkdirSync(path.join(source, 'lib'));
  fs.writeFileSync(path.join(source, 'lib', 'data.py'), 'X = 1\n');
  const ENTRY = { entryPoint: { script: 'train.py', sourceDir: source }, image: PYTORCH };

  const isolated = build(train(ENTRY));
  const isolatedTemplate = Template.fromStack(isolated.stack);
  const isolatedTrain = stepOf(definitionOf(isolatedTemplate), 'Train').Arguments;

  it('tells the framework container what to run, as the SageMaker SDK does, and delivers the code as a channel to an isolated job', () => {
    expect(isolatedTrain.HyperParameters).toMatchObject({
      sagemaker_program: '"train.py"',
      sagemaker_submit_directory: expect.stringMatching(/^"\/opt\/ml\/input\/data\/code\/[0-9a-f]{64}\.gz"$/),
      sagemaker_region: '"us-east-1"',
      sagemaker_container_log_level: '20',
    });
    const fileName = JSON.parse(isolatedTrain.HyperParameters.sagemaker_submit_directory as string).split('/').pop();
    const code = (isolatedTrain.InputDataConfig as { ChannelName: string; DataSource: { S3DataSource: { S3Uri: string; S3DataType: string } } }[]).find((c) => c.ChannelName === 'code');
    // The SDK's way (estimator.py CONTAINER_CODE_CHANNEL_SOURCEDIR_PATH): the archive's full object URI as an
    // S3Prefix channel, which SageMaker copies to /opt/ml/input/data/code/<the object's name>.
    expect(code?.DataSource.S3DataSource.S3Uri).toMatch(new RegExp(`^s3://cdk-hnb659fds-assets-123456789012-us-east-1/${fileName}$`));
    expect(code?.DataSource.S3DataSource.S3DataType).toBe('S3Prefix');
    expect(isolatedTrain.AlgorithmSpecification.ContainerEntrypoint).toBeUndefined();
    expectValidDefinition(definitionOf(isolatedTemplate));
  });

  it('packs sourceDir as a gzipped tar holding the script and its folder, as sourcedir.tar.gz is', () => {
    // What `cdk deploy` uploads: the asset file of the cloud assembly.
    const assembly = (isolated.stack.node.root as App).synth().directory;
    const fileName = (JSON.parse(isolatedTrain.HyperParameters.sagemaker_submit_directory as string) as string).split('/').pop()!;
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly, 'Stack.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }> };
    const uploaded = Object.values(manifest.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === fileName))!;
    const archive = zlib.gunzipSync(fs.readFileSync(path.join(assembly, uploaded.source.path)));
    const names: string[] = [];
    for (let at = 0; at + 512 <= archive.length && archive[at] !== 0; ) {
      const name = archive.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, '');
      const size = parseInt(archive.subarray(at + 124, at + 136).toString('ascii').replace(/\0.*$/s, ''), 8);
      expect(archive.subarray(at + 257, at + 262).toString('ascii')).toBe('ustar');
      names.push(name);
      at += 512 + Math.ceil(size / 512) * 512;
    }
    expect(names).toEqual(['lib/', 'lib/data.py', 'train.py']);
  });

  it('lets the job role read the packed source from the asset bucket', () => {
    const reads = allStatements(isolatedTemplate).filter((s) => actionsOf(s).includes('s3:GetObject*') && JSON.stringify(s.Resource).includes('cdk-hnb659fds-assets'));
    expect(reads).toHaveLength(1);
  });

  it('passes the S3 URI of the code to a job with network access', () => {
    const d = definitionOf(Template.fromStack(build(train({ ...ENTRY, networkIsolation: false })).stack));
    const args = stepOf(d, 'Train').Arguments;
    expect(args.HyperParameters.sagemaker_submit_directory).toMatch(/^"s3:\/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.gz"$/);
    expect((args.InputDataConfig as { ChannelName: string }[]).map((c) => c.ChannelName)).toEqual(['train', 'validation']);
  });

  it('renders command and arguments as the container entrypoint and arguments', () => {
    const d = definitionOf(Template.fromStack(build(train({ command: ['python3', '/opt/ml/code/train.py'], arguments: ['--epochs', '3'] })).stack));
    expect(stepOf(d, 'Train').Arguments.AlgorithmSpecification).toMatchObject({ ContainerEntrypoint: ['python3', '/opt/ml/code/train.py'], ContainerArguments: ['--epochs', '3'] });
    expectValidDefinition(d);
  });

  it('rejects an entry point with a command, a script outside sourceDir and a missing sourceDir, at their spec paths', () => {
    expectValidationError(() => build(train({ ...ENTRY, command: ['python3'] })), PIPE, { path: 'train.entryPoint', message: 'cannot be combined with command' });
    expectValidationError(() => build(train({ ...ENTRY, entryPoint: { script: 'missing.py', sourceDir: source } })), PIPE, { path: 'spec.train.entryPoint.script', message: 'is not a file in sourceDir', got: "'missing.py'" });
    expectValidationError(() => build(train({ ...ENTRY, entryPoint: { script: 'train.py', sourceDir: path.join(source, 'nope') } })), PIPE, { path: 'spec.train.entryPoint.sourceDir', message: 'is not a folder' });
  });

  it('rejects a container entrypoint in a tuning job, which has no place for one', () => {
    expect(() => new TuningStep({
      name: 'Tune', training: { imageUri: XGBOOST, instanceType: 'ml.m5.xlarge', channels: [{ name: 'train', source: 's3://data-bucket/train/' }], containerEntrypoint: ['python3'] },
      objective: { metricName: 'auc', type: 'Maximize' }, continuousRanges: [{ name: 'eta', min: 0.1, max: 0.5 }], maxJobs: 4, maxParallelJobs: 2,
    })).toThrow(/training\.containerEntrypoint: is not available in a tuning job/);
  });
});

describe('MlPipeline artifacts key', () => {
  it("writes model artifacts with the artifacts bucket's key, so whoever may decrypt the bucket can load the models", () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'PlatformKey');
    const artifacts = new s3.Bucket(stack, 'Artifacts', { encryptionKey: key });
    const registry = new ModelRegistry(stack, 'Registry', { name: 'churn' });
    new MlPipeline(stack, 'Pipeline', { spec: spec() as MlPipelineProps['spec'], registry, pipelineName: 'churn-build', artifactsBucket: artifacts });
    const template = Template.fromStack(stack);
    // Training writes model.tar.gz with the bucket's key ...
    expect(stepOf(definitionOf(template), 'Train').Arguments.OutputDataConfig.KmsKeyId).toBe('DEPLOYTIME');
    const body = JSON.stringify(only(template, 'AWS::SageMaker::Pipeline').resource.Properties?.PipelineDefinition);
    expect(body).toMatch(/OutputDataConfig.*?KmsKeyId\\":\\"",\{"Fn::GetAtt":\["PlatformKey[0-9A-F]+","Arn"\]\}/);
    expect(body).not.toMatch(/"Fn::GetAtt":\["PipelineKey[0-9A-F]+","Arn"\]/);
    // ... while the input bucket the pipeline creates keeps the pipeline's own key (its data stays readable across upgrades).
    template.hasResourceProperties('AWS::S3::Bucket', { BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineKey'), 'Arn'] } } })] } });
  });
});
