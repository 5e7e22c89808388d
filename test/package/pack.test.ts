/**
 * The package as a platform team gets it: `npm pack` (which builds), `mlops init` a new project that
 * depends on the tarball, `npm install --offline` (the tarball; every other dependency linked from
 * this repository's node_modules, so nothing is fetched), then the project's app type-checks under
 * moduleResolution node16 and node, shows the spec's descriptions on hover, and synthesizes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { main } from '../../bin/mlops';
import { readCloudAssembly, unacknowledgedFindings } from '../../lib/governance';

const repo = path.join(__dirname, '..', '..');

/** Every public entry point used by name, as a team's own code would. */
const API_TS = `import { App, Stack } from 'aws-cdk-lib';
import { INSTANCE_TYPES, MlopsValidationError, parsePlatformSpec, platformJsonSchema, PlatformSpecInput, resolveInstanceType } from 'cdk-mlops';
import { AwsPlatform, COMPLIANCE_PACKS, MlopsChecks, ModelEndpoint, ModelEndpointProps, ModelImage, ModelData, ModelSource } from 'cdk-mlops/aws';
import { Condition, Get, ProcessingStep } from 'cdk-mlops/aws/pipeline';
import { KubernetesPlatformStack, PlatformNamespace, synthKubernetesPlatform } from 'cdk-mlops/kubernetes';

export const spec: PlatformSpecInput = { name: 'p', models: [{ name: 'm', source: { registryVersion: 1 }, registry: {}, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] };
export const props: Omit<ModelEndpointProps, 'source'> = { compute: { accelerator: { type: 'nvidia-a10g', count: 1 } }, scaling: { minInstances: 2, maxInstances: 4 } };
export function build(app: App): void {
  const stack = new Stack(app, 'S');
  new ModelEndpoint(stack, 'E', { ...props, source: ModelSource.fromImage(ModelImage.fromUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1'), ModelData.fromS3Uri('s3://b/m.tar.gz')) });
}
export const used = [INSTANCE_TYPES, MlopsValidationError, parsePlatformSpec, platformJsonSchema, resolveInstanceType, AwsPlatform, COMPLIANCE_PACKS, MlopsChecks,
  Condition, Get, ProcessingStep, KubernetesPlatformStack, PlatformNamespace, synthKubernetesPlatform];
`;

/**
 * True when dist/ holds a build newer than every file tsconfig.build.json compiles, the tsconfigs and
 * package.json, and no compiled file whose source is gone: packing it is packing a fresh build.
 */
function distIsFresh(): boolean {
  const marker = path.join(repo, 'dist', 'index.js');
  if (!fs.existsSync(marker)) return false;
  const built = fs.statSync(marker).mtimeMs;
  const sources = ['index.ts', 'aws.ts', 'kubernetes.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => path.join(repo, f));
  for (const dir of ['bin', 'lib', 'constructs', 'stacks']) {
    for (const f of fs.readdirSync(path.join(repo, dir), { recursive: true, encoding: 'utf8' })) if (f.endsWith('.ts')) sources.push(path.join(repo, dir, f));
  }
  if (sources.some((f) => fs.statSync(f).mtimeMs > built)) return false;
  const compiled = new Set(sources.filter((f) => f.endsWith('.ts')).map((f) => path.relative(repo, f).replace(/\.ts$/, '.js')));
  for (const dir of ['bin', 'lib', 'constructs', 'stacks']) {
    const out = path.join(repo, 'dist', dir);
    if (!fs.existsSync(out)) return false;
    for (const f of fs.readdirSync(out, { recursive: true, encoding: 'utf8' })) if (f.endsWith('.js') && !compiled.has(path.join(dir, f))) return false;
  }
  return true;
}

describe('npm pack, installed into a new project', () => {
  let dir: string;
  let app: string;
  let packed: { filename: string; files: { path: string }[] };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-pack-'));
    // npm pack runs prepare (a fresh build of dist/), unless dist/ was built after every source it
    // compiles was last changed (as `npm ci` leaves it on a clean clone): then the tarball is that build.
    const scripts = distIsFresh() ? ['--ignore-scripts'] : [];
    packed = (JSON.parse(execFileSync('npm', ['pack', ...scripts, '--pack-destination', dir, '--json'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as typeof packed[])[0];
    app = path.join(dir, 'fraud-platform');
    const code = await main(['init', '--target', 'aws', '--cdk-mlops', `file:${path.join(dir, packed.filename)}`, app], () => undefined, () => undefined);
    if (code !== 0) throw new Error(`mlops init exited ${code}`);
    fs.writeFileSync(path.join(app, 'bin', 'api.ts'), API_TS);
    // Every dependency from this repository's node_modules; npm installs the tarball, and drops the links nothing needs.
    const modules = fs.realpathSync(path.join(repo, 'node_modules'));
    fs.mkdirSync(path.join(app, 'node_modules'));
    for (const entry of fs.readdirSync(modules)) {
      if (entry.startsWith('.') || entry === 'cdk-mlops' || entry === '@cdk-mlops') continue;
      const names = entry.startsWith('@') ? fs.readdirSync(path.join(modules, entry)).map((p) => path.join(entry, p)) : [entry];
      if (entry.startsWith('@')) fs.mkdirSync(path.join(app, 'node_modules', entry));
      for (const name of names) fs.symlinkSync(path.join(modules, name), path.join(app, 'node_modules', name), 'dir');
    }
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ships the compiled entry points, their types and the schemas, and no sources or tests', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining([
      'dist/index.js', 'dist/index.d.ts', 'dist/aws.js', 'dist/aws.d.ts', 'dist/kubernetes.js', 'dist/kubernetes.d.ts',
      'dist/constructs/aws/pipeline/index.js', 'dist/constructs/aws/pipeline/index.d.ts', 'dist/bin/mlops.js',
      'schemas/platform-spec.schema.json', 'README.md', 'package.json',
    ]));
    expect(files.filter((f) => !f.startsWith('dist/') && !f.startsWith('schemas/') && !['README.md', 'package.json'].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // The installed package is the tarball, not a link to this repository.
    expect(fs.lstatSync(path.join(app, 'node_modules', 'cdk-mlops')).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules', 'cdk-mlops', 'dist', 'aws.js'))).toBe(true);
  });

  function appConfig(): ts.ParsedCommandLine {
    const config = ts.readConfigFile(path.join(app, 'tsconfig.json'), (f) => ts.sys.readFile(f));
    return ts.parseJsonConfigFileContent(config.config, ts.sys, app);
  }

  /** The diagnostics of the app's files, and whether the types came from the installed declarations. */
  function check(program: ts.Program): { diagnostics: string[]; fromDeclarations: boolean } {
    return {
      diagnostics: ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')),
      fromDeclarations: program.getSourceFiles().some((f) => /node_modules\/cdk-mlops\/dist\/aws\.d\.ts$/.test(f.fileName)),
    };
  }

  it("type-checks the app and every entry point under moduleResolution node16 (the project's tsconfig), with the spec's descriptions on hover", () => {
    const parsed = appConfig();
    expect(parsed.options.moduleResolution).toBe(ts.ModuleResolutionKind.Node16);
    expect(parsed.fileNames.map((f) => path.relative(app, f)).sort()).toEqual([path.join('bin', 'api.ts'), path.join('bin', 'app.ts')]);
    const file = path.join(app, 'bin', 'api.ts');
    const service = ts.createLanguageService({
      getCompilationSettings: () => parsed.options,
      getScriptFileNames: () => parsed.fileNames,
      getScriptVersion: () => '1',
      getScriptSnapshot: (f) => (fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, 'utf8')) : undefined),
      getCurrentDirectory: () => app,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => ts.sys.fileExists(f),
      readFile: (f, e) => ts.sys.readFile(f, e),
      readDirectory: (...args) => ts.sys.readDirectory(...args),
      realpath: (f) => ts.sys.realpath!(f),
    });
    expect(check(service.getProgram()!)).toEqual({ diagnostics: [], fromDeclarations: true });
    // Hover on a construct prop: ModelEndpointProps extends the spec type generated with the zod descriptions.
    const info = service.getQuickInfoAtPosition(file, API_TS.indexOf('minInstances: 2, maxInstances'));
    expect(ts.displayPartsToString(info?.documentation)).toBe('Fewest instances the variant scales in to (at least 1: scale to zero with async.scaleToZero or a shared endpoint).');
    expect(info?.tags?.map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)).toEqual(['@default 1']);
  });

  it('type-checks the app and every entry point under moduleResolution node (typesVersions)', () => {
    const parsed = appConfig();
    const program = ts.createProgram(parsed.fileNames, { ...parsed.options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 });
    expect(check(program)).toEqual({ diagnostics: [], fromDeclarations: true });
  });

  it('synthesizes the app with the compliance packs, and runs the installed mlops command', () => {
    const out = path.join(dir, 'cdk.out');
    execFileSync(path.join(app, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], { cwd: app, env: { ...process.env, CDK_OUTDIR: out }, stdio: ['ignore', 'pipe', 'pipe'] });
    const assembly = readCloudAssembly(out);
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['fraud-platform-churn', 'fraud-platform-shared']);
    expect(unacknowledgedFindings(assembly)).toEqual([]);
    expect(execFileSync(path.join(app, 'node_modules', '.bin', 'mlops'), ['validate', '--config', 'platform.yaml'], { cwd: app, encoding: 'utf8' }))
      .toBe('platform.yaml: valid (1 models: churn)\n');
  });
});
