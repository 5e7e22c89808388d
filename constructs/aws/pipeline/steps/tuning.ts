/** Hyperparameter tuning steps (CreateHyperParameterTuningJob). */
import { Token } from 'aws-cdk-lib';
import { renderValue, ValidationIssue } from '../../../../lib/errors';
import { Get, Join, PipelineValue } from '../expressions';
import { PipelineStep, StepProps, StepRenderContext } from './base';
import { positiveInt } from './shared';
import { TrainingJobProps, trainingArguments, trainingIssues } from './training';

export type ScalingType = 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

export interface TuningStepProps extends StepProps {
  readonly training: TrainingJobProps;
  readonly objective: { readonly metricName: string; readonly type: 'Maximize' | 'Minimize' };
  readonly continuousRanges?: readonly { readonly name: string; readonly min: number; readonly max: number; readonly scaling?: ScalingType }[];
  readonly integerRanges?: readonly { readonly name: string; readonly min: number; readonly max: number; readonly scaling?: ScalingType }[];
  readonly categoricalRanges?: readonly { readonly name: string; readonly values: readonly string[] }[];
  readonly maxJobs: number;
  readonly maxParallelJobs: number;
  /** @default 'Bayesian' */
  readonly strategy?: 'Bayesian' | 'Random';
  /** @default 'Auto' */
  readonly earlyStopping?: 'Off' | 'Auto';
}

/** A hyperparameter tuning job (CreateHyperParameterTuningJob). */
export class TuningStep extends PipelineStep<TuningStepProps> {
  /** Problems with the props, found before the step exists. */
  private static validateProps(p: TuningStepProps): ValidationIssue[] {
    const issues = trainingIssues(p.training).map((i) => ({ ...i, path: `training.${i.path}` }));
    for (const key of ['containerEntrypoint', 'containerArguments'] as const) {
      if (p.training[key]) issues.push({ path: `training.${key}`, message: "is not available in a tuning job's training definition (HyperParameterAlgorithmSpecification has none)", got: `a list of ${p.training[key].length}`, expected: 'nothing, or a TrainingStep' });
    }
    issues.push(...positiveInt('maxJobs', p.maxJobs, 1, 500), ...positiveInt('maxParallelJobs', p.maxParallelJobs, 1, 100));
    if (!Token.isUnresolved(p.maxJobs) && !Token.isUnresolved(p.maxParallelJobs) && p.maxParallelJobs > p.maxJobs) {
      issues.push({ path: 'maxParallelJobs', message: 'must be ≤ maxJobs', got: renderValue(p.maxParallelJobs), expected: `≤ ${p.maxJobs}` });
    }
    const ranges = (p.continuousRanges?.length ?? 0) + (p.integerRanges?.length ?? 0) + (p.categoricalRanges?.length ?? 0);
    if (ranges === 0) issues.push({ path: 'continuousRanges', message: 'gives nothing to tune', got: 'no range', expected: 'at least one continuous, integer or categorical range' });
    [...(p.continuousRanges ?? []).map((r, i) => ({ r, path: `continuousRanges[${i}]` })), ...(p.integerRanges ?? []).map((r, i) => ({ r, path: `integerRanges[${i}]` }))].forEach(({ r, path }) => {
      if (r.min >= r.max) issues.push({ path: `${path}.max`, message: 'must be > min', got: renderValue(r.max), expected: `> ${r.min}` });
    });
    return issues;
  }

  public readonly type = 'Tuning';

  constructor(props: TuningStepProps) {
    super('TuningStep', props, TuningStep.validateProps(props));
  }

  /** The training job each trial runs. */
  public get training(): TrainingJobProps {
    return this.props.training;
  }

  /** S3 URI of the model of the `rank`-th best training job (0: the best), as the SDK's get_top_model_s3_uri. */
  public topModelUri(rank: number, outputPrefix: PipelineValue): Join {
    return Join.on('/', [outputPrefix, this.property(`TrainingJobSummaries[${rank}].TrainingJobName`), 'output/model.tar.gz']);
  }

  /** Name of the best training job. */
  public get bestTrainingJobName(): Get {
    return this.property('BestTrainingJob.TrainingJobName');
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    const p = this.props;
    const range = (r: { name: string; min: number; max: number; scaling?: ScalingType }) => ({ Name: r.name, MinValue: String(r.min), MaxValue: String(r.max), ScalingType: r.scaling ?? 'Auto' });
    return {
      HyperParameterTuningJobConfig: {
        Strategy: p.strategy ?? 'Bayesian',
        HyperParameterTuningJobObjective: { Type: p.objective.type, MetricName: p.objective.metricName },
        ResourceLimits: { MaxNumberOfTrainingJobs: p.maxJobs, MaxParallelTrainingJobs: p.maxParallelJobs },
        TrainingJobEarlyStoppingType: p.earlyStopping ?? 'Auto',
        ParameterRanges: {
          ContinuousParameterRanges: p.continuousRanges?.map(range),
          IntegerParameterRanges: p.integerRanges?.map(range),
          CategoricalParameterRanges: p.categoricalRanges?.map((r) => ({ Name: r.name, Values: [...r.values] })),
        },
      },
      TrainingJobDefinition: trainingArguments(this.name, p.training, ctx, true),
    };
  }
}

