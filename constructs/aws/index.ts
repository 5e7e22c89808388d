// The AWS constructs (aws-cdk-lib). Pipeline steps and expressions are in './pipeline'.
export { ModelRegistry } from './model-registry';
export type { IModelRegistry, ModelRegistryAttributes, ModelRegistryProps } from './model-registry';
export { ModelData, ModelImage, ModelSource } from './model-source';
export type { BindResult, ModelSourceConfig } from './model-source';
export { ModelEndpoint } from './model-endpoint';
export type { IModelEndpoint, ModelEndpointAttributes, ModelEndpointProps } from './model-endpoint';
export { DATA_QUALITY_BASELINE_STEP, MlPipeline, MlPipelineBase } from './ml-pipeline';
export type { IMlPipeline, MlPipelineProps } from './ml-pipeline';
export { Personas } from './personas';
export type { PersonasProps } from './personas';
export { FeatureGroup, FeatureStore } from './feature-store';
export type { FeatureStoreProps, IFeatureGroup } from './feature-store';
export { Baseline, DriftMonitor } from './drift-monitor';
export type { BaselineConfig, DriftMonitorProps, Monitor, MonitorBaselines, S3BaselineProps } from './drift-monitor';
export { ExperimentTracker } from './experiment-tracker';
export type { ExperimentTrackerProps, IExperimentTracker } from './experiment-tracker';
export { TrainingCluster } from './training-cluster';
export type { ITrainingCluster, TrainingClusterProps } from './training-cluster';
