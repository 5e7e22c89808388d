/**
 * DriftMonitor spec, cloud-neutral: which monitors watch a deployed model (data quality, model
 * quality, bias, explainability), how often, what raises an alarm, and how often drift may start a
 * retraining run.
 */
import { z } from 'zod';
import { DEFAULT_PROCESSING_INSTANCE_TYPE } from '../catalog';
import { renderValue } from '../errors';
import { addIssue, int, isUnresolved, num, s3Uri, tokenOr } from './primitives';

export const MONITOR_SCHEDULES = ['hourly', 'daily'] as const;
export type MonitorSchedule = (typeof MONITOR_SCHEDULES)[number];
export const PROBLEM_TYPES = ['BinaryClassification', 'MulticlassClassification', 'Regression'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/**
 * Metrics SageMaker Model Monitor publishes per problem type (namespace
 * `aws/sagemaker/Endpoints/model-metrics`), and whether higher is better.
 */
export const MODEL_QUALITY_METRICS: Record<ProblemType, Record<string, 'higher' | 'lower'>> = {
  BinaryClassification: {
    accuracy: 'higher', precision: 'higher', recall: 'higher', f0_5: 'higher', f1: 'higher', f2: 'higher', auc: 'higher', au_prc: 'higher',
    true_positive_rate: 'higher', true_negative_rate: 'higher', false_positive_rate: 'lower', false_negative_rate: 'lower',
  },
  MulticlassClassification: {
    accuracy: 'higher', weighted_precision: 'higher', weighted_recall: 'higher', weighted_f0_5: 'higher', weighted_f1: 'higher', weighted_f2: 'higher',
  },
  Regression: { mae: 'lower', mse: 'lower', rmse: 'lower', r2: 'higher' },
};

const S3_BASELINE = s3Uri;

const baselineSchema = z.strictObject({
  constraintsUri: S3_BASELINE().meta({ description: 'constraints.json of the baseline job (or the pipeline quality check step).' }),
  statisticsUri: S3_BASELINE().optional().meta({ description: 'statistics.json of the baseline job (data quality only).' }),
});

const qualityAlarmSchema = z.strictObject({
  metric: z.string().min(1).meta({ description: "A Model Monitor model-quality metric, e.g. 'auc', 'f1', 'accuracy', 'rmse'." }),
  threshold: num(-1e12, 1e12),
}).meta({ description: 'Alarm when the metric crosses the threshold in the bad direction (below it for accuracy-like metrics, above it for error metrics).' });

const computeSchema = z.strictObject({
  instanceType: tokenOr(z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { error: "a SageMaker processing instance type such as 'ml.m5.xlarge'" })).default(DEFAULT_PROCESSING_INSTANCE_TYPE).meta({ description: `@default '${DEFAULT_PROCESSING_INSTANCE_TYPE}'` }),
  instanceCount: int(1, 100).default(1).meta({ description: '@default 1' }),
  volumeSizeGiB: int(1, 16384).default(20).meta({ description: 'Storage volume of each instance, encrypted. @default 20' }),
  maxRuntimeSeconds: int(1, 86400).optional().meta({ description: 'Stop a monitoring run after this long; at most 3600 for an hourly schedule. @default 3600 hourly, 7200 daily' }),
});

export const driftMonitorSpecSchema = z.strictObject({
  schedule: z.enum(MONITOR_SCHEDULES).default('hourly').meta({ description: "How often each monitor analyses the captured data: 'hourly' or 'daily'. @default 'hourly'" }),
  compute: computeSchema.default({ instanceType: DEFAULT_PROCESSING_INSTANCE_TYPE, instanceCount: 1, volumeSizeGiB: 20 }),
  dataQuality: z.strictObject({
    baseline: baselineSchema.optional().meta({ description: 'Statistics and constraints the captured data is compared with. Required unless the target passes a baseline object (e.g. from a pipeline check step).' }),
    alarmFeatures: z.array(z.string().min(1)).max(50).default([]).meta({ description: "Features whose drift (feature_baseline_drift_<feature>) raises an alarm. @default - none: violations are reported, no drift alarm" }),
    driftThreshold: num(0, 1).default(0.1).meta({ description: 'Distribution distance from the baseline above which a feature alarms. @default 0.1' }),
  }).optional().meta({ description: 'Data quality: statistics of the inputs against a baseline. @default - not monitored' }),
  modelQuality: z.strictObject({
    problemType: z.enum(PROBLEM_TYPES),
    groundTruthUri: s3Uri().meta({ description: 'Where ground-truth labels are uploaded (merged with captured predictions by inference id).' }),
    inferenceAttribute: z.string().min(1).optional().meta({ description: 'Field of the captured output holding the prediction. @default - the whole output' }),
    probabilityAttribute: z.string().min(1).optional().meta({ description: 'Field of the captured output holding the probability (classification).' }),
    probabilityThreshold: num(0, 1).optional().meta({ description: 'Probability above which a binary prediction is positive. @default 0.5' }),
    baseline: baselineSchema.pick({ constraintsUri: true }).optional().meta({ description: '@default - none: only the alarm thresholds apply' }),
    alarms: z.array(qualityAlarmSchema).max(20).optional().meta({ description: "@default auc below 0.7 (binary), accuracy below 0.7 (multiclass); regression needs its own" }),
  }).optional().meta({ description: 'Model quality: predictions against ground truth. @default - not monitored' }),
  modelBias: z.strictObject({
    analysisConfigUri: s3Uri().meta({ description: 'The SageMaker Clarify analysis configuration (analysis_config.json) in S3.' }),
    groundTruthUri: s3Uri().meta({ description: 'Where ground-truth labels are uploaded.' }),
    baseline: baselineSchema.pick({ constraintsUri: true }).optional(),
  }).optional().meta({ description: 'Post-training bias metrics with SageMaker Clarify. @default - not monitored' }),
  modelExplainability: z.strictObject({
    analysisConfigUri: s3Uri().meta({ description: 'The SageMaker Clarify analysis configuration (analysis_config.json) in S3.' }),
    baseline: baselineSchema.pick({ constraintsUri: true }).optional(),
  }).optional().meta({ description: 'Feature attribution drift with SageMaker Clarify. @default - not monitored' }),
  retraining: z.strictObject({
    minIntervalHours: int(1, 24 * 90).default(24).meta({ description: 'At most one retraining run starts in this many hours, however many alarms fire. @default 24' }),
    onModelQuality: z.boolean().default(true).meta({ description: 'Model-quality alarms start retraining too, not only drift alarms. @default true' }),
  }).optional().meta({ description: "Start the model's training pipeline when a drift alarm fires. @default - no retraining" }),
}).superRefine((s, ctx) => {
  if (!s.dataQuality && !s.modelQuality && !s.modelBias && !s.modelExplainability) {
    addIssue(ctx, [], 'monitors nothing', { got: 'no monitor', expected: 'at least one of dataQuality, modelQuality, modelBias, modelExplainability' });
  }
  const max = s.compute.maxRuntimeSeconds;
  if (s.schedule === 'hourly' && max !== undefined && !isUnresolved(max) && max > 3600) {
    addIssue(ctx, ['compute', 'maxRuntimeSeconds'], 'is longer than an hourly schedule allows', { got: String(max), expected: '≤ 3600' });
  }
  const seen = new Set<string>();
  s.dataQuality?.alarmFeatures.forEach((f, i) => {
    if (seen.has(f)) addIssue(ctx, ['dataQuality', 'alarmFeatures', i], 'is listed twice', { got: renderValue(f), expected: 'each feature once' });
    seen.add(f);
  });
  const mq = s.modelQuality;
  if (mq) {
    const known = MODEL_QUALITY_METRICS[mq.problemType];
    mq.alarms?.forEach((a, i) => {
      if (!(a.metric in known)) addIssue(ctx, ['modelQuality', 'alarms', i, 'metric'], `is not a ${mq.problemType} metric`, { got: renderValue(a.metric), expected: `one of ${Object.keys(known).map((k) => `'${k}'`).join(', ')}` });
    });
    if (mq.problemType === 'Regression' && (mq.alarms === undefined || mq.alarms.length === 0)) {
      addIssue(ctx, ['modelQuality', 'alarms'], 'is required for a regression model (error metrics have no scale-free default)', { got: renderValue(mq.alarms), expected: "at least one alarm, e.g. { metric: 'rmse', threshold: 12.5 }" });
    }
    if (mq.problemType !== 'BinaryClassification' && mq.probabilityThreshold !== undefined) {
      addIssue(ctx, ['modelQuality', 'probabilityThreshold'], 'only applies to binary classification', { got: `${mq.probabilityThreshold} with problemType '${mq.problemType}'`, expected: "problemType 'BinaryClassification', or no probabilityThreshold" });
    }
  }
  if (s.retraining && !s.dataQuality?.alarmFeatures.length && !(s.retraining.onModelQuality && s.modelQuality)) {
    addIssue(ctx, ['retraining'], 'has no alarm to start it', { got: 'retraining without drift or model-quality alarms', expected: 'dataQuality.alarmFeatures, or modelQuality with onModelQuality true' });
  }
}).transform((s) => ({
  ...s,
  compute: { ...s.compute, maxRuntimeSeconds: s.compute.maxRuntimeSeconds ?? (s.schedule === 'hourly' ? 3600 : 7200) },
  modelQuality: s.modelQuality && {
    ...s.modelQuality,
    alarms: s.modelQuality.alarms ?? defaultQualityAlarms(s.modelQuality.problemType),
  },
}));

function defaultQualityAlarms(problemType: ProblemType): { metric: string; threshold: number }[] {
  if (problemType === 'BinaryClassification') return [{ metric: 'auc', threshold: 0.7 }];
  if (problemType === 'MulticlassClassification') return [{ metric: 'accuracy', threshold: 0.7 }];
  return [];
}

export type DriftMonitorSpecInput = z.input<typeof driftMonitorSpecSchema>;
export type DriftMonitorSpec = z.output<typeof driftMonitorSpecSchema>;
