export * from './primitives';
export * from './compute';
export * from './endpoint';
export * from './registry';
export * from './kubernetes';
export * from './platform';
export * from './load';
export * from './json-schema';
