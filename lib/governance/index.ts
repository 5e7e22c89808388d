export * from './cloud-assembly';
