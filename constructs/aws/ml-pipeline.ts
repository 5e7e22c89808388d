import { IResource, Resource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { sagemakerArn, sagemakerArnName } from './private/arns';

/**
 * A SageMaker model building pipeline: what other constructs need of one to start it (a
 * DriftMonitor retraining on drift, a schedule, an application).
 */
export interface IMlPipeline extends IResource {
  /** @attribute */
  readonly pipelineName: string;
  /** @attribute */
  readonly pipelineArn: string;
  /** StartPipelineExecution on this pipeline. */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;
  /** Read the pipeline and its executions (DescribePipeline, ListPipelineExecutions, DescribePipelineExecution, ListPipelineExecutionSteps). */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/** What every IMlPipeline implements once, from its name. */
export abstract class MlPipelineBase extends Resource implements IMlPipeline {
  public abstract readonly pipelineName: string;

  public get pipelineArn(): string {
    return sagemakerArn(this, 'pipeline', sagemakerArnName(this.pipelineName));
  }

  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:StartPipelineExecution'], resourceArns: [this.pipelineArn] });
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:DescribePipeline', 'sagemaker:ListPipelineExecutions', 'sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps'],
      // Executions are addressed as `pipeline/<name>/execution/<id>`.
      resourceArns: [this.pipelineArn, `${this.pipelineArn}/execution/*`],
    });
  }
}
