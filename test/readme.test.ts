import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { readCloudAssembly } from '../lib/governance';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

/** The first ```ts block after a heading. */
function exampleAfter(heading: string): string {
  const from = readme.indexOf(heading);
  if (from < 0) throw new Error(`README has no heading '${heading}'`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(from));
  if (!match) throw new Error(`README has no ts block after '${heading}'`);
  return match[1];
}

describe('README', () => {
  const dir = path.join(root, 'test', '.generated');
  const file = path.join(dir, 'readme-example.ts');
  beforeAll(() => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, exampleAfter('## Using the constructs in your own stack'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows the two quick-start commands', () => {
    expect(readme).toContain('npm ci && npm run synth');
    expect(readme).toContain('npm ci && npm test');
  });

  it("compiles the 'own stack' example against the package's entry points", () => {
    const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), (f) => ts.sys.readFile(f));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram([file], { ...options, noEmit: true });
    // The example's own diagnostics (the sources it imports are type-checked by `npm run typecheck`;
    // checking them all again here was most of this file's CPU).
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it("synthesizes the 'own stack' example: a registry, two endpoints, a feature store and a drift monitor", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-readme-'));
    const previous = process.env.CDK_OUTDIR;
    process.env.CDK_OUTDIR = out;
    try {
      jest.isolateModules(() => {
        // Runs the example as a user would: its module body builds and synthesizes the app.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(file);
      });
      const [stack] = readCloudAssembly(out).stacks;
      const types = Object.values(stack.resources).map((r) => r.Type);
      expect(types.filter((t) => t === 'AWS::SageMaker::Endpoint')).toHaveLength(2);
      expect(types).toContain('AWS::SageMaker::ModelPackageGroup');
      expect(types).toContain('AWS::SageMaker::FeatureGroup');
      expect(types).toContain('AWS::SageMaker::DataQualityJobDefinition');
    } finally {
      if (previous === undefined) delete process.env.CDK_OUTDIR; else process.env.CDK_OUTDIR = previous;
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
