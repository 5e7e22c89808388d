/** Check steps: data/model quality baselines (Model Monitor, QualityCheck) and bias/explainability (Clarify, ClarifyCheck). */
import { DEFAULT_PROCESSING_INSTANCE_TYPE } from '../../../../lib/catalog';
import { ValidationIssue } from '../../../../lib/errors';
import { Get, PipelineValue } from '../expressions';
import { PipelineStep, StepProps, StepRenderContext } from './base';
import { processingArguments, processingIssues } from './processing';

interface CheckProps extends StepProps {
  /** @default 'ml.m5.xlarge' */
  readonly instanceType?: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default - the SageMaker-provided analyzer image of the region */
  readonly imageUri?: string;
  /** Group whose latest approved version supplies the baseline to check against. @default - none */
  readonly modelPackageGroupName?: string;
  /**
   * Only compute the baseline, do not check against the previous one: what a first run needs.
   * @default true
   */
  readonly skipCheck?: boolean;
  /** @default true */
  readonly registerNewBaseline?: boolean;
  /**
   * A baseline to check against (SuppliedBaselineConstraints and, for a QualityCheck, SuppliedBaselineStatistics),
   * instead of the latest approved version's of `modelPackageGroupName`. Give `skipCheck: false` to check.
   * @default - none
   */
  readonly suppliedBaseline?: { readonly constraintsUri: PipelineValue; readonly statisticsUri?: PipelineValue };
  /** Where the job writes the baseline it computes. @default - the pipeline's fixed baseline location of this step */
  readonly outputUri?: PipelineValue;
}

export interface QualityCheckStepProps extends CheckProps {
  /** @default 'DATA_QUALITY' */
  readonly checkType?: 'DATA_QUALITY' | 'MODEL_QUALITY';
  /** The data to baseline (S3 prefix). */
  readonly baselineDataset: PipelineValue;
  /** @default { csv: { header: true } } */
  readonly datasetFormat?: { readonly csv: { readonly header: boolean } } | { readonly json: { readonly lines: boolean } };
  /** MODEL_QUALITY: 'BinaryClassification', 'MulticlassClassification' or 'Regression'. */
  readonly problemType?: 'BinaryClassification' | 'MulticlassClassification' | 'Regression';
  /** MODEL_QUALITY: column of the prediction. */
  readonly inferenceAttribute?: string;
  /** MODEL_QUALITY: column of the probability (binary classification). */
  readonly probabilityAttribute?: string;
  /** MODEL_QUALITY: column of the ground truth label. */
  readonly groundTruthAttribute?: string;
}

/** Where a check step writes its baseline, for drift monitors. */
export interface CheckBaseline {
  /** The S3 prefix of the baseline (the same for every execution; the bucket keeps earlier versions). */
  readonly s3Uri: string;
  /** The same prefix as an object key in the pipeline's artifacts bucket, for grants. */
  readonly objectKeyPrefix: string;
  /** constraints.json (QualityCheck) or analysis.json (ClarifyCheck). */
  readonly constraintsUri: string;
  /** statistics.json (QualityCheck only). */
  readonly statisticsUri?: string;
  /** The analysis configuration a ClarifyCheck ran with (ClarifyCheck only). */
  readonly analysisConfigUri?: string;
}

/**
 * A Model Monitor baselining job (QualityCheck): statistics.json and constraints.json of a dataset
 * (DATA_QUALITY) or of predictions against ground truth (MODEL_QUALITY).
 */
export class QualityCheckStep extends PipelineStep<QualityCheckStepProps> {
  /** Problems with the props, found before the step exists. */
  private static validateProps(p: QualityCheckStepProps): ValidationIssue[] {
    const issues = processingIssues({ imageUri: '', instanceType: p.instanceType ?? DEFAULT_PROCESSING_INSTANCE_TYPE, instanceCount: p.instanceCount });
    if ((p.checkType ?? 'DATA_QUALITY') === 'MODEL_QUALITY') {
      if (!p.problemType) issues.push({ path: 'problemType', message: 'is required for MODEL_QUALITY', got: 'nothing', expected: "'BinaryClassification', 'MulticlassClassification' or 'Regression'" });
      if (!p.inferenceAttribute) issues.push({ path: 'inferenceAttribute', message: 'is required for MODEL_QUALITY', got: 'nothing', expected: 'the column holding the prediction' });
      if (!p.groundTruthAttribute) issues.push({ path: 'groundTruthAttribute', message: 'is required for MODEL_QUALITY', got: 'nothing', expected: 'the column holding the label' });
    }
    return issues;
  }

  public readonly type = 'QualityCheck';
  public readonly checkType: 'DATA_QUALITY' | 'MODEL_QUALITY';

  constructor(props: QualityCheckStepProps) {
    super('QualityCheckStep', props, QualityCheckStep.validateProps(props));
    this.checkType = props.checkType ?? 'DATA_QUALITY';
  }

  public get calculatedStatistics(): Get { return this.property('CalculatedBaselineStatistics'); }
  public get calculatedConstraints(): Get { return this.property('CalculatedBaselineConstraints'); }
  public get driftCheckStatistics(): Get { return this.property('BaselineUsedForDriftCheckStatistics'); }
  public get driftCheckConstraints(): Get { return this.property('BaselineUsedForDriftCheckConstraints'); }

  protected renderExtra(): Record<string, unknown> {
    return {
      CheckType: this.checkType,
      ModelPackageGroupName: this.props.modelPackageGroupName,
      SuppliedBaselineConstraints: this.props.suppliedBaseline?.constraintsUri,
      SuppliedBaselineStatistics: this.props.suppliedBaseline?.statisticsUri,
      SkipCheck: this.props.skipCheck ?? true,
      RegisterNewBaseline: this.props.registerNewBaseline ?? true,
    };
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.props;
    const format = p.datasetFormat ?? { csv: { header: true } };
    const datasetFormat = 'csv' in format ? { csv: { header: format.csv.header, output_columns_position: 'START' } } : { json: { lines: format.json.lines } };
    const environment: Record<string, PipelineValue> = {
      dataset_format: JSON.stringify(datasetFormat),
      dataset_source: '/opt/ml/processing/input/baseline_dataset_input',
      output_path: '/opt/ml/processing/output',
      publish_cloudwatch_metrics: 'Disabled',
    };
    if (this.checkType === 'MODEL_QUALITY') {
      Object.assign(environment, { analysis_type: 'MODEL_QUALITY', problem_type: p.problemType!, inference_attribute: p.inferenceAttribute!, ground_truth_attribute: p.groundTruthAttribute! });
      if (p.probabilityAttribute) environment.probability_attribute = p.probabilityAttribute;
    }
    return processingArguments(this.name, {
      imageUri: p.imageUri ?? ctx.analyzerImage('modelMonitor', this.name),
      instanceType: p.instanceType ?? DEFAULT_PROCESSING_INSTANCE_TYPE,
      instanceCount: p.instanceCount,
      maxRuntimeSeconds: 3600,
      // The analyzer reads only S3 and writes only S3.
      networkIsolation: true,
    },
    [{ name: 'baseline_dataset_input', source: p.baselineDataset, localPath: '/opt/ml/processing/input/baseline_dataset_input' }],
    [{ name: 'quality_check_output', localPath: '/opt/ml/processing/output', destination: p.outputUri ?? ctx.baselineUri(this.name) }],
    { ...ctx, environment: {} }, environment);
  }
}

export interface ClarifyCheckStepProps extends CheckProps {
  readonly checkType: 'DATA_BIAS' | 'MODEL_BIAS' | 'MODEL_EXPLAINABILITY';
  /** S3 URI of the Clarify analysis configuration (analysis_config.json). */
  readonly analysisConfigUri: PipelineValue;
  /** The dataset to analyse (S3 prefix or object). */
  readonly dataset: PipelineValue;
  /** MODEL_BIAS / MODEL_EXPLAINABILITY: the shadow model Clarify queries. @default - none */
  readonly modelName?: PipelineValue;
}

/** A SageMaker Clarify job (ClarifyCheck): a bias or explainability baseline, analysis.json. */
export class ClarifyCheckStep extends PipelineStep<ClarifyCheckStepProps> {
  /** Problems with the props, found before the step exists. */
  private static validateProps(p: ClarifyCheckStepProps): ValidationIssue[] {
    const issues = processingIssues({ imageUri: '', instanceType: p.instanceType ?? DEFAULT_PROCESSING_INSTANCE_TYPE, instanceCount: p.instanceCount });
    if (p.checkType !== 'DATA_BIAS' && p.modelName === undefined) issues.push({ path: 'modelName', message: `is required for ${p.checkType}`, got: 'nothing', expected: 'the model Clarify queries' });
    return issues;
  }

  public readonly type = 'ClarifyCheck';

  constructor(props: ClarifyCheckStepProps) {
    super('ClarifyCheckStep', props, ClarifyCheckStep.validateProps(props));
  }

  public get checkType() { return this.props.checkType; }
  public get analysisConfigUri() { return this.props.analysisConfigUri; }
  public get calculatedConstraints(): Get { return this.property('CalculatedBaselineConstraints'); }

  protected renderExtra(): Record<string, unknown> {
    return {
      CheckType: this.props.checkType,
      ModelPackageGroupName: this.props.modelPackageGroupName,
      SuppliedBaselineConstraints: this.props.suppliedBaseline?.constraintsUri,
      SkipCheck: this.props.skipCheck ?? true,
      RegisterNewBaseline: this.props.registerNewBaseline ?? true,
      ModelName: this.props.modelName,
    };
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.props;
    return processingArguments(this.name, {
      imageUri: p.imageUri ?? ctx.analyzerImage('clarify', this.name),
      instanceType: p.instanceType ?? DEFAULT_PROCESSING_INSTANCE_TYPE,
      instanceCount: p.instanceCount,
      maxRuntimeSeconds: 3600,
      // MODEL_* checks call a shadow endpoint of the model.
      networkIsolation: p.checkType === 'DATA_BIAS',
    },
    [
      { name: 'analysis_config', source: p.analysisConfigUri, localPath: '/opt/ml/processing/input/config' },
      { name: 'dataset', source: p.dataset, localPath: '/opt/ml/processing/input/data' },
    ],
    [{ name: 'analysis_result', localPath: '/opt/ml/processing/output', destination: p.outputUri ?? ctx.baselineUri(this.name) }],
    { ...ctx, environment: {} });
  }
}

