import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { GENERATED_FILE, GENERATED_TYPES, generateSpecTypes } from '../../../scripts/generate-spec-types';

const repo = path.join(__dirname, '..', '..', '..');

/** Each generated type, the module and name of the schema it is the input of. */
const SCHEMAS: Record<string, [string, string]> = {
  PlatformSpecInput: ['platform', 'platformSpecSchema'],
  EndpointSpecInput: ['endpoint', 'endpointSpecSchema'],
  ComponentEndpointSpecInput: ['shared-endpoint', 'componentEndpointSpecSchema'],
  SharedEndpointSpecInput: ['shared-endpoint', 'sharedEndpointSpecSchema'],
  RegistrySpecInput: ['registry', 'registrySpecSchema'],
  FeatureStoreSpecInput: ['feature-store', 'featureStoreSpecSchema'],
  FeatureGroupSpecInput: ['feature-store', 'featureGroupSpecSchema'],
  DriftMonitorSpecInput: ['drift-monitor', 'driftMonitorSpecSchema'],
  PipelineSpecInput: ['pipeline', 'pipelineSpecSchema'],
  BatchSpecInput: ['batch', 'batchSpecSchema'],
  ExperimentTrackerSpecInput: ['experiment-tracker', 'experimentTrackerSpecSchema'],
  TrainingClusterSpecInput: ['training-cluster', 'trainingClusterSpecSchema'],
  GovernanceSpecInput: ['governance', 'governanceSpecSchema'],
  ModelCardSpecInput: ['model-card', 'modelCardSpecSchema'],
  PlatformKubernetesSpecInput: ['kubernetes', 'platformKubernetesSchema'],
  EndpointKubernetesSpecInput: ['kubernetes', 'endpointKubernetesSchema'],
  ComputeInput: ['compute', 'computeSchema'],
};

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(repo, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  return { ...ts.parseJsonConfigFileContent(config.config, ts.sys, repo).options, noEmit: true };
}

describe('lib/spec/types.generated.ts', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(repo, 'test', '.generated-spec-types-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is up to date with the zod schemas (npm run generate writes it)', () => {
    expect(fs.readFileSync(GENERATED_FILE, 'utf8')).toBe(generateSpecTypes());
  });

  it('declares exactly the input type of each schema (assignable both ways), and the check catches a difference', () => {
    expect(Object.keys(SCHEMAS)).toEqual(Object.keys(GENERATED_TYPES));
    const file = path.join(dir, 'spec-types-check.ts');
    const lines = [
      "import { z } from 'zod';",
      "import * as generated from '../../lib/spec/types.generated';",
      ...Object.entries(SCHEMAS).map(([name, [mod, schema]]) => `import { ${schema} as ${name}Schema } from '../../lib/spec/${mod}';`),
      "const computeSchemaOf = ComputeInputSchema('inference', { allowServerless: true });",
      'type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;',
      ...Object.keys(SCHEMAS).map((name) => `export const ${name}: Same<z.input<typeof ${name === 'ComputeInput' ? 'computeSchemaOf' : `${name}Schema`}>, generated.${name}> = true;`),
      // The control: an optional field is not the same as a required one.
      'export const control: Same<{ a?: string }, { a: string }> = true;',
    ];
    fs.writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], compilerOptions());
    // The check file's own diagnostics: the sources it imports are type-checked by `npm run typecheck`.
    const errors = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => `${d.file ? d.file.getLineAndCharacterOfPosition(d.start!).line + 1 : 0}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    expect(errors).toEqual([`${lines.length}: Type 'true' is not assignable to type 'false'.`]);
  });

  it('gives every field TSDoc, and the schema descriptions show on hover in TypeScript', () => {
    const source = ts.createSourceFile(GENERATED_FILE, fs.readFileSync(GENERATED_FILE, 'utf8'), ts.ScriptTarget.ES2022, true);
    const fields: { name: string; documented: boolean }[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isPropertySignature(node)) fields.push({ name: node.name.getText(source), documented: ts.getJSDocCommentsAndTags(node).length > 0 });
      ts.forEachChild(node, visit);
    };
    visit(source);
    expect(fields.length).toBeGreaterThan(250);
    expect(fields.filter((f) => !f.documented)).toEqual([]);

    // Hover on a field of the spec (test/package/pack.test.ts hovers on a construct's props, as installed).
    const file = path.join(dir, 'spec-types-hover.ts');
    const text = "import { EndpointSpecInput, PlatformSpecInput } from '../../lib/spec';\nexport const p: Partial<EndpointSpecInput> = { scaling: { minInstances: 2 }, deployment: { strategy: 'canary' } };\n"
      + "export const c: NonNullable<PlatformSpecInput['trainingClusters']>[number] = { name: 'gpu', lifecycleScriptsUri: 's3://b/lifecycle/', instanceGroups: [] };\n";
    fs.writeFileSync(file, text);
    const options = compilerOptions();
    const service = ts.createLanguageService({
      getCompilationSettings: () => options,
      getScriptFileNames: () => [file],
      getScriptVersion: () => '1',
      getScriptSnapshot: (f) => (fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, 'utf8')) : undefined),
      getCurrentDirectory: () => repo,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => ts.sys.fileExists(f),
      readFile: (f, e) => ts.sys.readFile(f, e),
      readDirectory: (...args) => ts.sys.readDirectory(...args),
    });
    const hover = (word: string) => {
      const info = service.getQuickInfoAtPosition(file, text.indexOf(word));
      return [ts.displayPartsToString(info?.documentation), ...(info?.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)].join('\n');
    };
    expect(hover('minInstances')).toBe('Fewest instances the variant scales in to (at least 1: scale to zero with async.scaleToZero or a shared endpoint).\n@default 1');
    expect(hover('strategy')).toContain("Blue/green 'all-at-once', 'canary' or 'linear' traffic shifting");
    // A platform's cluster extends TrainingClusterSpecInput: the fields it shares keep their TSDoc through the Omit.
    expect(hover('lifecycleScriptsUri')).toBe('S3 prefix of the lifecycle scripts every node runs at creation.');
  });

  it('writes a shape another generated type extends once: the platform\'s training clusters refer to TrainingClusterSpecInput', () => {
    const generated = fs.readFileSync(GENERATED_FILE, 'utf8');
    expect(generated).toContain("trainingClusters?: Array<Omit<TrainingClusterSpecInput, 'name'> & {");
    expect(generated.match(/^\s*lifecycleScriptsUri: string;$/gm)).toHaveLength(1);
    expect(generated.match(/^\s*threadsPerCore\?: 1 \| 2;$/gm)).toHaveLength(1);
  });
});
