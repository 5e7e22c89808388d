// The Kubernetes constructs: the same constructs on cdktf + @cdktf/provider-kubernetes.
export { PlatformNamespace } from './platform-namespace';
export type { PlatformNamespaceProps, QuotaReservation } from './platform-namespace';
export { DEFAULT_MLFLOW_SIZE, MLFLOW_PORT, MlflowServer, PostgresDatabase } from './mlflow-server';
export type { MlflowArtifactStore, MlflowServerProps, MlflowServerSize, PostgresDatabaseProps } from './mlflow-server';
export { ModelRegistry } from './model-registry';
export type { ModelRegistryProps } from './model-registry';
export { ModelEndpoint } from './model-endpoint';
export type { EndpointFootprint, KubernetesModelSource, ModelEndpointProps } from './model-endpoint';
export { KUEUE_QUEUE_LABEL, MlPipeline } from './ml-pipeline';
export type { MlPipelineProps } from './ml-pipeline';
export { TrainingCluster } from './training-cluster';
export type { TrainingClusterProps } from './training-cluster';
export { ExperimentTracker } from './experiment-tracker';
export type { ExperimentTrackerProps } from './experiment-tracker';
export { FeatureStore, RedisOnlineStore } from './feature-store';
export type { FeatureStoreProps, RedisOnlineStoreProps } from './feature-store';
export { DRIFT_JOB_CONTRACT, DriftMonitor } from './drift-monitor';
export type { DriftMonitorProps, RetrainingTarget } from './drift-monitor';
