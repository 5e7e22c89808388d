export * from './cloud-assembly';
export * from './rules';
