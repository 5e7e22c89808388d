import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { EXIT, main } from '../../bin/mlops';
import { loadPlatformSpec, platformTargets } from '../../lib/spec';

const repo = path.join(__dirname, '..', '..');
const own = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string>; files: string[] };

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(args, (s) => err.push(s), (s) => out.push(s)).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

/** Every file under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

interface Workflow { jobs: Record<string, { permissions?: Record<string, string>; steps: { run?: string; uses?: string; with?: Record<string, string>; if?: string }[] }> }

describe('mlops init', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-init-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes an AWS project: spec with its $schema, cdk.json and app, package.json, tsconfig, README and workflow', async () => {
    const project = path.join(dir, 'fraud-platform');
    const r = await run(['init', project]);
    expect(r).toMatchObject({ code: EXIT.ok, err: '' });
    expect(tree(project)).toEqual(['.github/workflows/mlops.yml', '.gitignore', 'README.md', 'bin/app.ts', 'cdk.json', 'package.json', 'platform.yaml', 'tsconfig.json'].map((f) => f.split('/').join(path.sep)).sort());

    const yaml = fs.readFileSync(path.join(project, 'platform.yaml'), 'utf8');
    const schema = /^# yaml-language-server: \$schema=\.\/node_modules\/cdk-mlops\/(schemas\/platform-spec\.schema\.json)$/m.exec(yaml);
    // The schema the line points at is a file this package ships.
    expect(schema && fs.existsSync(path.join(repo, schema[1])) && own.files.includes('schemas/')).toBe(true);
    const spec = loadPlatformSpec(path.join(project, 'platform.yaml'));
    expect(spec.name).toBe('fraud-platform');
    expect(platformTargets(spec)).toEqual(['aws']);

    expect(JSON.parse(fs.readFileSync(path.join(project, 'cdk.json'), 'utf8'))).toMatchObject({ app: 'npx tsx bin/app.ts' });
    const app = fs.readFileSync(path.join(project, 'bin', 'app.ts'), 'utf8');
    expect(app).toContain("import { addCompliancePacks, AwsPlatform } from 'cdk-mlops/aws';");
    expect(app).toContain('addCompliancePacks(app);');

    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies).toEqual({ 'cdk-mlops': `^${own.version}`, 'aws-cdk-lib': own.dependencies['aws-cdk-lib'], constructs: own.dependencies.constructs });
    expect(pkg.devDependencies['aws-cdk']).toBe(own.devDependencies['aws-cdk']);
    expect(pkg.scripts).toMatchObject({ validate: 'mlops validate --config platform.yaml', synth: 'mlops synth --config platform.yaml', deploy: 'cdk deploy --all --app cdk.out' });
    expect(JSON.parse(fs.readFileSync(path.join(project, 'tsconfig.json'), 'utf8'))).toMatchObject({ compilerOptions: { moduleResolution: 'node16', strict: true } });
  });

  it('writes a workflow that runs validate → synth → audit → audit diff against the base → cost --budget, and deploys through an OIDC role', () => {
    const wf = parse(fs.readFileSync(path.join(dir, 'fraud-platform', '.github', 'workflows', 'mlops.yml'), 'utf8')) as Workflow;
    const checks = wf.jobs.check.steps.map((s) => s.run).filter((r): r is string => r !== undefined && r !== 'npm ci');
    // The base branch's synth, then the diff, in the same step.
    expect(checks.flatMap((r) => [...r.matchAll(/npx mlops (validate|synth|audit diff|audit|cost --budget)/g)].map((m) => m[1])))
      .toEqual(['validate', 'synth', 'audit', 'synth', 'audit diff', 'cost --budget']);
    expect(wf.jobs.check.steps.find((s) => s.run?.includes('audit diff'))).toMatchObject({ if: "github.event_name == 'pull_request'" });
    expect(wf.jobs.check.steps.find((s) => s.run?.includes('audit diff'))!.run).toContain('$GITHUB_BASE_REF');
    const deploy = wf.jobs.deploy;
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const credentials = deploy.steps.findIndex((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(deploy.steps[credentials].with).toMatchObject({ 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}' });
    expect(deploy.steps.findIndex((s) => s.run?.startsWith('npx cdk deploy --all --app cdk.out'))).toBeGreaterThan(credentials);
  });

  it('writes a Kubernetes project without the CDK app, applying with terraform after assuming the role', async () => {
    const project = path.join(dir, 'k8s');
    expect((await run(['init', '--target', 'kubernetes', project])).code).toBe(EXIT.ok);
    expect(tree(project)).not.toContain('cdk.json');
    expect(platformTargets(loadPlatformSpec(path.join(project, 'platform.yaml')))).toEqual(['kubernetes']);
    const wf = parse(fs.readFileSync(path.join(project, '.github', 'workflows', 'mlops.yml'), 'utf8')) as Workflow;
    const steps = wf.jobs.deploy.steps;
    expect(steps.findIndex((s) => s.run?.includes('terraform -chdir'))).toBeGreaterThan(steps.findIndex((s) => s.with?.['role-to-assume'] === '${{ vars.K8S_DEPLOY_ROLE_ARN }}'));
  });

  it('writes a spec for both targets that synthesizes on both, passing the compliance packs', async () => {
    const project = path.join(dir, 'both');
    expect((await run(['init', '--target', 'all', '--cdk-mlops', 'file:../cdk-mlops.tgz', project])).code).toBe(EXIT.ok);
    expect((JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['cdk-mlops']).toBe('file:../cdk-mlops.tgz');
    const r = await run(['synth', '--config', path.join(project, 'platform.yaml'), '--out', path.join(project, 'cdk.out'), '--k8s-out', path.join(project, 'cdktf.out')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(EXIT.ok);
    expect(fs.existsSync(path.join(project, 'cdk.out', 'manifest.json')) && fs.existsSync(path.join(project, 'cdktf.out', 'manifest.json'))).toBe(true);
  });

  it('refuses a folder that is not empty, in one line, exit 2, and writes nothing', async () => {
    const project = path.join(dir, 'taken');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'platform.yaml'), 'name: mine\n');
    const r = await run(['init', project]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe(`error: ${project} is not empty (1 entries): mlops init writes a new project only into an empty folder, and wrote nothing`);
    expect(tree(project)).toEqual(['platform.yaml']);
    expect(fs.readFileSync(path.join(project, 'platform.yaml'), 'utf8')).toBe('name: mine\n');
  });
});
