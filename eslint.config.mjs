import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import mlops from './eslint-rules/private-imports.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'cdktf.out/', 'coverage/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { mlops },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // A private/ folder is imported only from inside its parent folder (DESIGN.md, Layout).
      'mlops/private-imports': ['error', { root: import.meta.dirname }],
      // lib/ is the cloud-neutral core: it never imports a target's toolkit (DESIGN.md, dependency direction).
      'no-restricted-imports': 'off',
    },
  },
  {
    // Constructors stay short (DESIGN.md): no function of the source tree grows past 150 lines, counted as
    // scripts/function-lengths.ts counts them (which lists the longest).
    files: ['lib/**/*.ts', 'constructs/**/*.ts', 'stacks/**/*.ts', 'bin/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // index.ts files re-export with explicit lists (DESIGN.md): what is public is chosen, not everything a file exports.
    // (aws.ts and kubernetes.ts pass on constructs/<target>/index.ts, which is such a list.)
    files: ['**/index.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'An index.ts re-exports with an explicit list (DESIGN.md): name what is public.' }],
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'cdktf', '@cdktf/*', 'constructs'], message: 'lib/ is cloud-neutral: it imports neither aws-cdk-lib nor cdktf (DESIGN.md).' },
          { group: ['../constructs/*', '../../constructs/*', '../stacks/*', '../../stacks/*'], message: 'Dependency direction is bin → stacks → constructs → lib.' },
        ],
      }],
    },
  },
  {
    files: ['constructs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['../../stacks/*', '../../bin/*'], message: 'Dependency direction is bin → stacks → constructs → lib.' }],
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
