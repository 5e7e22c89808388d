export * from './lib/errors';
export * from './lib/spec';
export * from './lib/catalog';
