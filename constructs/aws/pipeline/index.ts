// SageMaker pipeline steps and the expressions their properties take (`cdk-mlops/aws/pipeline`).
export { ExecutionVariable, Get, Join, JsonGet, JsonNumber, pipelineJson, PipelineExpression, PipelineParameter } from './expressions';
export type { ParameterType, PipelineValue, PropertyFile, StepRead } from './expressions';
export {
  ClarifyCheckStep, Condition, ConditionStep, CreateModelStep, FailStep, PipelineStep, ProcessingStep, QualityCheckStep,
  RegisterModelStep, TrainingStep, TransformStep, TuningStep,
} from './steps';
export type {
  CheckBaseline, ClarifyCheckStepProps, ConditionStepProps, ConditionType, CreateModelStepProps, Distribution, FailStepProps, MetricsSource,
  ModelMetrics, ModelPackageCard, ProcessingInput, ProcessingOutput, ProcessingStepProps, QualityCheckStepProps, RegisterModelStepProps, RetryPolicy, ScalingType,
  StepProps, TrainingChannel, TrainingJobProps, TrainingStepProps, TransformStepProps, TuningStepProps,
} from './steps';
