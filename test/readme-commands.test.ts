/**
 * Every shell command in README.md's code blocks runs as written, in a folder of this repository
 * holding the README's spec as platform.yaml (what a reader does); the ones that need an AWS account
 * fail for that reason only. Every YAML/JSON spec in the README validates and synthesizes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { main } from '../bin/mlops';
import { loadPlatformSpec, platformTargets } from '../lib/spec';
import { synthKubernetesPlatform } from '../stacks/kubernetes/synth';

const repo = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');

/** The contents of every fenced block of these languages. */
function blocks(...languages: string[]): string[] {
  return [...readme.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].filter((m) => languages.includes(m[1])).map((m) => m[2]);
}

/** Each command line of the sh blocks, without its trailing comment. */
const commands = blocks('sh', 'bash').flatMap((b) => b.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '');

/** How each command is checked. */
const HOW: Record<string, 'runs' | 'needs AWS credentials' | 'CI in a clean clone' | 'test/package/pack.test.ts'> = {
  'npm ci && npm run synth': 'CI in a clean clone',
  'npm ci && npm test': 'CI in a clean clone',
  'npm pack': 'test/package/pack.test.ts',
  'npx mlops init --target aws --cdk-mlops "file:$PWD/cdk-mlops-0.1.0.tgz" ../fraud-platform': 'test/package/pack.test.ts',
  'cd ../fraud-platform && npm install && npm run synth': 'test/package/pack.test.ts',
  'npx mlops validate --config platform.yaml': 'runs',
  'npx mlops synth --config platform.yaml': 'runs',
  'npx mlops features lock': 'runs',
  'npx mlops synth --target kubernetes': 'runs',
  'npx mlops synth --config examples/kubernetes.yaml': 'runs',
  'npx mlops synth --config examples/batch-scoring.yaml': 'runs',
  'npx tsx bin/kubernetes.ts': 'runs',
  'npx mlops synth && npx mlops cost --budget 120000': 'runs',
  'npx mlops status --profile prod --name-contains churn': 'needs AWS credentials',
  'npx mlops promote churn': 'needs AWS credentials',
  'npx mlops rollback mlopsreferencechurn-Endpoint-56287E6A': 'needs AWS credentials',
  'npx mlops status churn': 'needs AWS credentials',
  'npx mlops promote churn --version 7 --stage prod': 'needs AWS credentials',
  'npx mlops rollback churn --stage prod': 'needs AWS credentials',
  'npx mlops run churn-training --param Epochs=20 --no-wait': 'needs AWS credentials',
};

/**
 * The commands run as a reader runs them, by bash in a new process: the process-level contract
 * (`npx mlops` found and started, its exit code, nothing but the error line on stderr), once for a
 * command that succeeds and once for one that fails. The other `npx mlops` commands run in this
 * process through the same `main` the `npx mlops` bin calls (tools/mlops-cli/mlops.js), in the same
 * folder and environment: a process start each (several seconds of CPU) would prove nothing more.
 */
const SPAWNED = new Set(['npx mlops validate --config platform.yaml', 'npx mlops status churn', 'npx tsx bin/kubernetes.ts']);

/** The README's specs: the YAML and JSON blocks that are whole platforms (a name and models). */
const specs = blocks('yaml', 'json').map((text) => ({ text, doc: parse(text) as { name?: string; models?: unknown } | null }))
  .filter((s) => typeof s.doc?.name === 'string' && Array.isArray(s.doc.models));

describe('README.md', () => {
  let sandbox: string;
  /** The environment a reader without AWS configuration has. */
  const readerEnv = (): NodeJS.ProcessEnv => ({
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
    AWS_CONFIG_FILE: path.join(sandbox, 'no-aws-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(sandbox, 'no-aws-credentials'), AWS_EC2_METADATA_DISABLED: 'true',
  });
  /** Runs a command line as a reader would: bash, in the folder with platform.yaml, no AWS configuration. */
  const spawned = (command: string) => {
    const r = spawnSync('bash', ['-c', command], { cwd: sandbox, encoding: 'utf8', timeout: 240_000, env: readerEnv() });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** The same, in this process: each `npx mlops <words>` of an `&&` chain through `main`, stopping at the first failure. */
  const inProcess = async (command: string) => {
    const steps = command.split(' && ').map((step) => step.split(' '));
    const notPlain = steps.filter((w) => w[0] !== 'npx' || w[1] !== 'mlops' || w.some((word) => word === '' || /["'$`\\|;<>*?]/.test(word)));
    if (notPlain.length > 0) throw new Error(`not a plain \`npx mlops\` command line, spawn it: ${command}`);
    const out: string[] = [];
    const err: string[] = [];
    const [cwd, env] = [process.cwd(), process.env];
    process.chdir(sandbox);
    process.env = readerEnv();
    let code = 0;
    try {
      for (const words of steps) {
        code = await main(words.slice(2), (s) => err.push(`${s}\n`), (s) => out.push(`${s}\n`));
        if (code !== 0) break;
      }
    } finally {
      process.chdir(cwd);
      process.env = env;
    }
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  const sh = (command: string) => (SPAWNED.has(command) ? Promise.resolve(spawned(command)) : inProcess(command));

  beforeAll(() => {
    // Inside the repository, so `npx mlops` finds the workspace bin npm ci links into node_modules/.bin.
    sandbox = fs.mkdtempSync(path.join(repo, 'test', '.generated-readme-'));
    fs.writeFileSync(path.join(sandbox, 'platform.yaml'), specs[0].text);
    fs.copyFileSync(path.join(repo, 'cdk.json'), path.join(sandbox, 'cdk.json'));
    for (const dir of ['bin', 'examples']) fs.symlinkSync(path.join(repo, dir), path.join(sandbox, dir), 'dir');
  });
  afterAll(() => fs.rmSync(sandbox, { recursive: true, force: true }));

  it('says how every command of its code blocks is checked', () => {
    expect([...new Set(commands)].sort()).toEqual(Object.keys(HOW).sort());
  });

  it('has npx mlops linked in this clone (npm ci links the tools/mlops-cli workspace into node_modules/.bin)', () => {
    expect({ linked: fs.existsSync(path.join(repo, 'node_modules', '.bin', 'mlops')), hint: 'run npm ci: node_modules predates the tools/mlops-cli workspace' })
      .toEqual({ linked: true, hint: expect.any(String) });
  });

  it('runs in new processes a command that succeeds, one that fails and the one that is not `npx mlops`', () => {
    expect([...SPAWNED].map((c) => HOW[c])).toEqual(['runs', 'needs AWS credentials', 'runs']);
  });

  it.each(Object.entries(HOW).filter(([, how]) => how === 'runs').map(([c]) => c))('runs `%s` as written', async (command) => {
    const r = await sh(command);
    expect({ code: r.code, stderr: r.stderr.split('\n').filter((l) => /^error|Error:/.test(l)) }).toEqual({ code: 0, stderr: [] });
  }, 300_000);

  it.each(Object.entries(HOW).filter(([, how]) => how === 'needs AWS credentials').map(([c]) => c))('parses `%s` and, without AWS configuration, fails for that reason only (exit 2)', async (command) => {
    const r = await sh(command);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual(['error: no AWS region: pass --region, set AWS_REGION, or set a region in the profile']);
  }, 120_000);

  it('leaves the commands it does not run to CI and the pack test, which run them', () => {
    expect(fs.readFileSync(path.join(repo, '.ci', 'run'), 'utf8')).toMatch(/npm ci[^\n]*\n(.*\n)*npm test/);
    const pack = fs.readFileSync(path.join(repo, 'test', 'package', 'pack.test.ts'), 'utf8');
    for (const step of ["['pack'", "'init', '--target', 'aws', '--cdk-mlops', `file:", "['install', '--offline'", "'bin/app.ts'"]) expect(pack).toContain(step);
  });

  it('has one whole spec, which validates, renders on AWS only (its only section), and is the platform.yaml the commands synthesize', () => {
    expect(specs.map((s) => s.doc!.name)).toEqual(['fraud']);
    const spec = loadPlatformSpec(path.join(sandbox, 'platform.yaml'));
    expect(platformTargets(spec)).toEqual(['aws']);
    expect(HOW['npx mlops synth --config platform.yaml']).toBe('runs');
    // Asked for Kubernetes anyway, the spec is refused for what only AWS has.
    expect(() => synthKubernetesPlatform(spec, path.join(sandbox, 'k8s.out'))).toThrow(/crossAccountReadAccountIds/);
  });
});
