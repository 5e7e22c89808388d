/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/cdk.out', '<rootDir>/cdktf.out', '<rootDir>/dist'],
  // The package's own entry points, as users import them (README examples).
  moduleNameMapper: {
    '^cdk-mlops$': '<rootDir>/index.ts',
    '^cdk-mlops/aws$': '<rootDir>/aws.ts',
    '^cdk-mlops/aws/pipeline$': '<rootDir>/constructs/aws/pipeline/index.ts',
    '^cdk-mlops/kubernetes$': '<rootDir>/kubernetes.ts',
  },
  // CloudFormation validation and CDK's debugging stack traces off, except where a test turns them on (see the file).
  globalSetup: '<rootDir>/test/global-setup.js',
  // Longest files first, also in a clean clone without jest's timings (see the file).
  testSequencer: '<rootDir>/test/sequencer.js',
  // cdktf's jest matchers for the Kubernetes target's tests.
  setupFilesAfterEnv: ['<rootDir>/test/setup-cdktf.ts'],
  // Synthesizing CDK apps is CPU-bound; two workers match the 2-core machines CI runs on.
  maxWorkers: 2,
  testTimeout: 60000,
};
