export * from './model-registry';
export * from './model-source';
export * from './model-endpoint';
export * from './ml-pipeline';
export * from './personas';
export * from './feature-store';
export * from './drift-monitor';
