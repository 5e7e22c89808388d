export * from './lib/errors';
export * from './lib/spec';
export * from './lib/catalog';
export * from './lib/governance';
