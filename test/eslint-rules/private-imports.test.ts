import { execFileSync } from 'child_process';
import * as path from 'path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const plugin = require('../../eslint-rules/private-imports.js') as { rules: Record<string, unknown> };

const ROOT = path.resolve(__dirname, '../..');

/** The rule's messages for `code` written in the file at `file` (relative to the repository). */
function lint(file: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat', cwd: ROOT });
  const config = [{
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser as Linter.Parser },
    plugins: { mlops: plugin as never },
    rules: { 'mlops/private-imports': ['error', { root: ROOT }] as Linter.RuleEntry },
  }];
  return linter.verify(code, config, { filename: path.join(ROOT, file) }).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('mlops/private-imports', () => {
  it('refuses a private folder imported from outside its parent', () => {
    expect(lint('bin/commands/features.ts', "import { x } from '../../constructs/aws/private/feature-group-lock';")).toEqual([
      "mlops/private-imports: '../../constructs/aws/private/feature-group-lock' is inside constructs/aws/private/, which only constructs/aws/ may import; import it through a public module, or move what both need to lib/.",
    ]);
  });

  it.each([
    ['stacks/aws/platform.ts', "export { securityOf } from '../../constructs/aws/private/security';"],
    ['constructs/kubernetes/ml-pipeline.ts', "import * as s from '../aws/private/security';"],
    ['stacks/aws/platform.ts', "const s = require('../../constructs/aws/private/security');"],
    ['stacks/aws/platform.ts', "const s = import('../../constructs/aws/private/security');"],
    ['test/stacks/platform.test.ts', "jest.mock('../../constructs/aws/private/security');"],
  ])('refuses it in %s written as %s', (file, code) => {
    expect(lint(file, code)).toEqual([expect.stringContaining('mlops/private-imports')]);
  });

  it.each([
    ['constructs/aws/model-endpoint.ts', "import { x } from './private/security';"],
    ['constructs/aws/pipeline/steps.ts', "import { x } from '../private/security';"],
    ['constructs/aws/private/validation.ts', "import { x } from '../../private/props';"],
    ['constructs/kubernetes/model-endpoint.ts', "import { x } from '../private/props';"],
    ['test/constructs/kubernetes/ml-pipeline.test.ts', "import { x } from '../../../constructs/kubernetes/private/schedule';"],
    ['stacks/aws/platform.ts', "import { x } from '../../constructs/aws/model-endpoint';"],
    ['stacks/aws/platform.ts', "import { x } from 'aws-cdk-lib/core/lib/private/util';"],
  ])('allows %s to write %s', (file, code) => {
    expect(lint(file, code)).toEqual([]);
  });
});

describe('eslint.config.mjs', () => {
  it('turns the rule on for the source tree and its tests', () => {
    // The config is an ES module, which jest's CommonJS runtime cannot import: ask the CLI.
    const eslint = path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');
    const config = JSON.parse(execFileSync(process.execPath, [eslint, '--print-config', 'stacks/aws/platform.ts'], { cwd: ROOT, encoding: 'utf8' })) as { rules: Record<string, unknown> };
    expect(config.rules['mlops/private-imports']).toEqual([2, { root: ROOT }]);
  });

  it('limits functions of lib, constructs, stacks and bin to 150 lines, as scripts/function-lengths.ts counts them (not tests)', () => {
    const files = ['lib/errors.ts', 'constructs/aws/model-endpoint.ts', 'stacks/aws/platform.ts', 'bin/mlops.ts', 'test/stacks/platform.test.ts'];
    const script = `import { ESLint } from 'eslint'; const e = new ESLint({ cwd: process.cwd() }); const out = [];
      for (const f of ${JSON.stringify(files)}) out.push((await e.calculateConfigForFile(f)).rules['max-lines-per-function'] ?? null);
      console.log(JSON.stringify(out));`;
    const rules = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })) as unknown[];
    const limit = [2, { max: 150, skipBlankLines: true, skipComments: true }];
    expect(rules).toEqual([limit, limit, limit, limit, null]);
  });

  it('refuses export * in an index.ts (explicit lists only), and not elsewhere', () => {
    const files = ['lib/spec/index.ts', 'index.ts', 'lib/spec/platform.ts'];
    const script = `import { ESLint } from 'eslint'; const e = new ESLint({ cwd: process.cwd() }); const out = [];
      for (const f of ${JSON.stringify(files)}) out.push((await e.calculateConfigForFile(f)).rules['no-restricted-syntax'] ?? null);
      console.log(JSON.stringify(out));`;
    const [index, entryPoint, other] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })) as (Linter.RuleEntry | null)[];
    expect(entryPoint).toEqual(index);
    expect(other).toBeNull();
    const linter = new Linter({ configType: 'flat', cwd: ROOT });
    const config = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser as Linter.Parser }, rules: { 'no-restricted-syntax': index! } }];
    const lint = (code: string) => linter.verify(code, config, { filename: path.join(ROOT, 'lib/spec/index.ts') }).map((m) => m.ruleId);
    expect(lint("export * from './compute';")).toEqual(['no-restricted-syntax']);
    expect(lint("export { computeSchema } from './compute';\nexport type { ResolvedCompute } from './compute';")).toEqual([]);
  });
});

describe('max-lines-per-function at 150', () => {
  it('refuses a function of 151 lines of code, blank lines and comments not counted, and allows one of 150', () => {
    const linter = new Linter({ configType: 'flat', cwd: ROOT });
    const config = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser as Linter.Parser }, rules: { 'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }] as Linter.RuleEntry } }];
    const fn = (statements: number) => ['export function f(): number {', '  let n = 0;', ...Array.from({ length: statements }, () => '  n += 1;\n\n  // counted? no'), '  return n;', '}'].join('\n');
    const messages = (code: string) => linter.verify(code, config, { filename: path.join(ROOT, 'lib/f.ts') }).map((m) => m.ruleId);
    expect(messages(fn(146))).toEqual([]);
    expect(messages(fn(147))).toEqual(['max-lines-per-function']);
  });
});
