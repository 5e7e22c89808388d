export * from './client';
export * from './errors';
export * from './ops';
export * from './variants';
