/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/cdk.out', '<rootDir>/cdktf.out', '<rootDir>/dist'],
  // Synthesizing CDK apps is CPU-bound; two workers match the 2-core machines CI runs on.
  maxWorkers: 2,
  testTimeout: 60000,
};
