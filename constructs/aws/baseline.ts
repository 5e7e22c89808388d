/**
 * Baselines of a DriftMonitor: the statistics and constraints each monitor compares captured data
 * with, as objects already in S3 or as what a pipeline's check step writes on every run.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { MlPipeline } from './ml-pipeline';
import { s3ObjectArn } from './private/arns';

/** Where a monitor's baseline is, once bound: S3 URIs of the baseline job's outputs. */
export interface BaselineConfig {
  /** constraints.json (every monitor type). */
  readonly constraintsUri: string;
  /** statistics.json (data quality only). */
  readonly statisticsUri?: string;
}

export interface S3BaselineProps extends BaselineConfig {
  /**
   * Key the baseline objects are encrypted with, if a customer-managed one.
   * @default - none: SSE-S3 or an AWS-managed key
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The statistics and constraints a monitor compares captured data with: objects already in S3, or
 * what a pipeline's QualityCheck or ClarifyCheck step writes on each run.
 */
export abstract class Baseline {
  /** A baseline already in S3 (a baseline job's or a pipeline check step's output). */
  public static fromS3(props: S3BaselineProps): Baseline {
    return new S3Baseline(props);
  }

  /**
   * The baseline a QualityCheck or ClarifyCheck step of `pipeline` writes (the same S3 prefix on
   * every run, in the pipeline's versioned, encrypted bucket), so every retraining refreshes what
   * the monitor compares with. Until the pipeline's first run, monitoring executions find no
   * baseline and fail (and alarm).
   */
  public static fromPipelineCheck(pipeline: MlPipeline, stepName: string): Baseline {
    return new PipelineCheckBaseline(pipeline, stepName);
  }

  /** Grants `grantee` read on the baseline and returns its URIs. */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): BaselineConfig;
}

class S3Baseline extends Baseline {
  constructor(private readonly props: S3BaselineProps) {
    super();
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): BaselineConfig {
    const uris = [this.props.constraintsUri, this.props.statisticsUri].filter((u): u is string => u !== undefined);
    const arns = uris.map(s3ObjectArn).filter((a): a is string => a !== undefined);
    if (arns.length > 0) iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: arns });
    this.props.encryptionKey?.grantDecrypt(grantee);
    return { constraintsUri: this.props.constraintsUri, statisticsUri: this.props.statisticsUri };
  }
}

class PipelineCheckBaseline extends Baseline {
  constructor(private readonly pipeline: MlPipeline, private readonly stepName: string) {
    super();
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): BaselineConfig {
    const check = this.pipeline.checkBaseline(this.stepName);
    // Exactly the baseline's objects: constraints.json and, for a QualityCheck, statistics.json.
    const objects = [check.constraintsUri, check.statisticsUri].filter((u): u is string => u !== undefined)
      .map((uri) => this.pipeline.artifactsBucket.arnForObjects(`${check.objectKeyPrefix}/${uri.slice(uri.lastIndexOf('/') + 1)}`));
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: objects });
    this.pipeline.encryptionKey.grantDecrypt(grantee);
    return { constraintsUri: check.constraintsUri, statisticsUri: check.statisticsUri };
  }
}

/** Baselines passed as objects; each overrides the spec's `baseline` URIs of its monitor. */
export interface MonitorBaselines {
  readonly dataQuality?: Baseline;
  readonly modelQuality?: Baseline;
  readonly modelBias?: Baseline;
  readonly modelExplainability?: Baseline;
}
