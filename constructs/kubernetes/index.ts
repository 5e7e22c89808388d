// The Kubernetes target: the same constructs on cdktf + @cdktf/provider-kubernetes.
export * from './platform-namespace';
export * from './postgres-database';
export * from './mlflow-server';
export * from './not-rendered';
export * from './model-registry';
export * from './model-endpoint';
export * from './ml-pipeline';
export * from './training-cluster';
export * from './experiment-tracker';
export * from './feature-store';
export * from './drift-monitor';
