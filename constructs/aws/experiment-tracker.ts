import { IResource, Names, Resource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { ExperimentTrackerSpec, ExperimentTrackerSpecInput, experimentTrackerSpecSchema } from '../../lib/spec';
import { sagemakerArn } from './private/arns';
import { ExecutionRole } from './private/execution-role';
import { AccessLogsBucket, keyOrNew, SecureBucket } from './security';
import { parseProps } from './private/validation';

/**
 * What MLflow clients do against a SageMaker managed tracking server: read and write experiments,
 * runs, metrics, parameters, tags, artifacts lists and models. Listed one by one: no action wildcard.
 */
export const MLFLOW_LOG_ACTIONS = [
  'sagemaker-mlflow:AccessUI',
  'sagemaker-mlflow:CreateExperiment', 'sagemaker-mlflow:GetExperiment', 'sagemaker-mlflow:GetExperimentByName', 'sagemaker-mlflow:SearchExperiments', 'sagemaker-mlflow:UpdateExperiment', 'sagemaker-mlflow:SetExperimentTag',
  'sagemaker-mlflow:CreateRun', 'sagemaker-mlflow:GetRun', 'sagemaker-mlflow:UpdateRun', 'sagemaker-mlflow:SearchRuns', 'sagemaker-mlflow:RestoreRun',
  'sagemaker-mlflow:LogMetric', 'sagemaker-mlflow:LogBatch', 'sagemaker-mlflow:LogParam', 'sagemaker-mlflow:LogModel', 'sagemaker-mlflow:LogInputs',
  'sagemaker-mlflow:SetTag', 'sagemaker-mlflow:DeleteTag', 'sagemaker-mlflow:GetMetricHistory', 'sagemaker-mlflow:ListArtifacts',
  'sagemaker-mlflow:CreateRegisteredModel', 'sagemaker-mlflow:GetRegisteredModel', 'sagemaker-mlflow:SearchRegisteredModels',
  'sagemaker-mlflow:CreateModelVersion', 'sagemaker-mlflow:GetModelVersion', 'sagemaker-mlflow:SearchModelVersions', 'sagemaker-mlflow:GetLatestModelVersions',
];

/** An MLflow tracking server that training jobs and notebooks log to. */
export interface IExperimentTracker extends IResource {
  /** @attribute */
  readonly trackingServerName: string;
  /** @attribute The ARN, which is also the MLFLOW_TRACKING_URI of the sagemaker-mlflow plugin. */
  readonly trackingServerArn: string;
  /** Log experiments, runs, metrics and models (the sagemaker-mlflow actions, on this server only). */
  grantLog(grantee: iam.IGrantable): iam.Grant;
}

export interface ExperimentTrackerProps extends ExperimentTrackerSpecInput {
  /** @default - a new role that reads and writes the artifact bucket */
  readonly role?: iam.IRole;
  /** @default - a new customer-managed key with rotation */
  readonly encryptionKey?: kms.IKey;
  /** Where MLflow stores run artifacts (under `mlflow/`). @default - a new versioned, KMS-encrypted, retained bucket */
  readonly artifactBucket?: s3.IBucket;
  /** @default - a new access log bucket, when the artifact bucket is created */
  readonly accessLogsBucket?: s3.IBucket;
}

abstract class ExperimentTrackerBase extends Resource implements IExperimentTracker {
  public abstract readonly trackingServerName: string;

  public get trackingServerArn(): string {
    return sagemakerArn(this, 'mlflow-tracking-server', this.trackingServerName);
  }

  public grantLog(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...MLFLOW_LOG_ACTIONS, 'sagemaker:DescribeMlflowTrackingServer'],
      resourceArns: [this.trackingServerArn],
    });
  }
}

/**
 * A SageMaker managed MLflow tracking server, with its artifact bucket (KMS-encrypted, versioned,
 * retained) and a role that can reach only that bucket. MlPipeline steps given the tracker get
 * MLFLOW_TRACKING_URI and permission to log.
 */
export class ExperimentTracker extends ExperimentTrackerBase {
  public static fromTrackingServerName(scope: Construct, id: string, trackingServerName: string): IExperimentTracker {
    class Import extends ExperimentTrackerBase {
      public readonly trackingServerName = trackingServerName;
    }
    return new Import(scope, id);
  }

  public readonly trackingServerName: string;
  public readonly spec: ExperimentTrackerSpec;
  public readonly role: iam.IRole;
  public readonly artifactBucket: s3.IBucket;
  public readonly encryptionKey: kms.IKey;
  public readonly cfnTrackingServer: sagemaker.CfnMlflowTrackingServer;

  constructor(scope: Construct, id: string, props: ExperimentTrackerProps = {}) {
    const { role, encryptionKey, artifactBucket, accessLogsBucket, ...specInput } = props;
    const spec = parseProps('ExperimentTracker', scope, id, experimentTrackerSpecSchema, specInput);
    super(scope, id);
    this.spec = spec;
    this.trackingServerName = spec.name ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase();
    this.encryptionKey = keyOrNew(this, 'Key', encryptionKey, `cdk-mlops ExperimentTracker ${this.node.path}: MLflow artifacts`);
    this.artifactBucket = artifactBucket ?? new SecureBucket(this, 'ArtifactBucket', {
      encryptionKey: this.encryptionKey,
      accessLogs: accessLogsBucket ?? new AccessLogsBucket(this, 'AccessLogs'),
      accessLogsPrefix: 'mlflow-artifacts/',
      replicationReason: 'Experiment artifacts are reproducible from versioned data and code; versioning and retention protect them in-region.',
    });

    const execution = new ExecutionRole(this, 'ServiceRole', { role, servicePrincipal: 'sagemaker.amazonaws.com', description: `MLflow tracking server role of ${this.node.path}` });
    this.role = execution.role;
    this.artifactBucket.grantReadWrite(execution.grantee, 'mlflow/*');
    if (spec.automaticModelRegistration) {
      execution.addStatements(new iam.PolicyStatement({
        sid: 'AutomaticModelRegistration',
        actions: ['sagemaker:CreateModelPackageGroup', 'sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:UpdateModelPackage', 'sagemaker:AddTags'],
        resources: [sagemakerArn(this, 'model-package-group', '*'), sagemakerArn(this, 'model-package', '*/*')],
      }));
    }
    execution.justifyWildcards([
      { finding: /^Resource::.*\/mlflow\/\*$/, reason: 'MLflow writes run artifacts under the mlflow/ prefix with keys generated per run.' },
      { finding: /^Action::s3:(GetObject|List|Abort|DeleteObject|GetBucket|PutObject)\*$/, reason: 'The S3 read/write action groups CDK grants on the artifact bucket (Get*, List*, Abort*, DeleteObject*).' },
      { finding: /^Action::kms:(GenerateDataKey|ReEncrypt)\*$/, reason: "KMS data-key actions CDK grants for the artifact bucket's key, needed to read and write SSE-KMS objects." },
      { finding: /^Resource::.*:model-package(-group)?\/\*(\/\*)?$/, reason: 'Automatic model registration creates a model package group per registered MLflow model, named by MLflow at run time.' },
    ]);

    this.cfnTrackingServer = new sagemaker.CfnMlflowTrackingServer(this, 'Resource', {
      trackingServerName: this.trackingServerName,
      artifactStoreUri: this.artifactBucket.s3UrlForObject('mlflow'),
      roleArn: this.role.roleArn,
      trackingServerSize: spec.size,
      mlflowVersion: spec.mlflowVersion,
      automaticModelRegistration: spec.automaticModelRegistration,
      weeklyMaintenanceWindowStart: spec.weeklyMaintenanceWindowStart,
    });
    this.cfnTrackingServer.node.addDependency(...execution.dependable);
  }
}
