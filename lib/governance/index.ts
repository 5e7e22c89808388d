export * from './cloud-assembly';
export * from './rules';
export * from './report-model';
export * from './audit';
export * from './report-render';
export * from './diff';
export * from './terraform';
export * from './kubernetes-audit';
