export * from './model-registry';
export * from './model-source';
export * from './model-endpoint';
export * from './ml-pipeline';
export * from './experiment-tracker';
export * from './training-cluster';
export * from './pipeline';
