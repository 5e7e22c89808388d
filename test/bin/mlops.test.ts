import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT } from '../../bin/mlops';
import { runMlops } from './cli';


describe('mlops', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('synth writes the cloud assembly and the Terraform JSON, and prints stacks, resources by type and findings', async () => {
    const out = path.join(dir, 'cdk.out');
    const k8sOut = path.join(dir, 'cdktf.out');
    const r = await runMlops(['synth', '--out', out, '--k8s-out', k8sOut]);
    expect(r.code).toBe(EXIT.ok);
    expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true);
    expect(fs.existsSync(path.join(k8sOut, 'stacks', 'mlops-reference', 'cdk.tf.json'))).toBe(true);
    expect(r.out).toMatch(/kubernetes_deployment_v1\s+\d+/);
    // dataCapture is rendered on Kubernetes now (request capture to kubernetes.drift.captureUri): no longer among the warnings.
    expect(r.out).not.toContain('[cdk-mlops:k8s-aws-only-dataCapture]');
    // One audit report of both targets.
    const report = JSON.parse(fs.readFileSync(path.join(out, 'audit', 'report.json'), 'utf8')) as { principals: { target: string }[] };
    expect(new Set(report.principals.map((p) => p.target))).toEqual(new Set(['aws-cloudformation', 'kubernetes-terraform']));
    expect(r.out).toContain('Audit report (AWS and Kubernetes)');
    expect(r.out).toContain('mlops-reference-support-assistant');
    expect(r.out).toMatch(/AWS::SageMaker::Endpoint\s+4/); // churn, ticket-router, the support assistant in staging and prod
    expect(r.out).toMatch(/Findings \(AwsSolutions, NIST\.800\.53\.R5, HIPAA\.Security, MLOps\): 0 unacknowledged; \d+ acknowledged/);

    // mlops cost reads what synth wrote.
    const c = await runMlops(['cost', '--cdk-out', out]);
    expect(c.code).toBe(EXIT.ok);
    expect(c.out).toContain('mlops-reference-support-assistant (model support-assistant)');
    expect(c.out).toMatch(/endpoint\s+\$2,055\.68 - \$6,167\.04\s+EndpointEEF1FD8F: AllTraffic: 2-6 x ml\.g5\.xlarge/);
    expect(c.out).toContain('mlops-reference-ticket-router (model ticket-router)');
    expect((await runMlops(['cost', '--cdk-out', out, '--budget', '1000'])).code).toBe(EXIT.checkFailed);
  });

  it('synth --json prints a machine-readable summary', async () => {
    const r = await runMlops(['synth', '--out', path.join(dir, 'o'), '--k8s-out', path.join(dir, 'k'), '--json']);
    const summary = JSON.parse(r.out) as { stacks: { name: string }[]; findings: { unacknowledged: unknown[] }; kubernetes: { stacks: { name: string; resourcesByType: Record<string, number> }[] } };
    expect(summary.stacks).toHaveLength(9); // shared, training, two stage environments, two stage stacks, three model stacks
    expect(summary.findings.unacknowledged).toEqual([]);
    expect(summary.kubernetes.stacks.map((s) => s.name)).toEqual(['mlops-reference', 'mlops-reference-crds']);
    expect(summary.kubernetes.stacks[1].resourcesByType.kubernetes_manifest).toBeGreaterThan(0);
    expect(summary.kubernetes.stacks[0].resourcesByType.kubernetes_namespace_v1).toBe(1);
  });

  it('validate reports every problem with its path and line, exits 2 and writes nothing', async () => {
    const file = path.join(dir, 'platform.yaml');
    fs.writeFileSync(file, [
      'name: p',
      'models:',
      '  - name: m',
      "    source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1' }",
      '    endpoint:',
      '      compute: { instanceType: ml.g5.xlarg }',
      '      scalling: {}',
    ].join('\n'));
    const out = path.join(dir, 'never');
    const v = await runMlops(['validate', '--config', file]);
    expect(v.code).toBe(EXIT.badInput);
    expect(v.err).toContain("models[0].endpoint.compute.instanceType (line 6): is not a SageMaker instance type; did you mean 'ml.g5.xlarge'?");
    expect(v.err).toContain("models[0].endpoint.scalling (line 7): is not a known field; did you mean 'scaling'?");
    expect(v.err).not.toMatch(/\n\s+at /); // no stack trace
    const s = await runMlops(['synth', '--config', file, '--out', out, '--k8s-out', `${out}-k8s`]);
    expect(s.code).toBe(EXIT.badInput);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(`${out}-k8s`)).toBe(false);
  });

  it('validate accepts a good spec', async () => {
    const file = path.join(dir, 'ok.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'p', models: [{ name: 'm', source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] }));
    const r = await runMlops(['validate', '--config', file]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toBe(`${file}: valid (1 models: m)`);
  });

  it('validate without --config checks the reference platform', async () => {
    const r = await runMlops(['validate']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toBe('the reference platform: valid (3 models: support-assistant, churn, ticket-router)');
  });

  it('a missing file is one readable message and exit 2', async () => {
    const r = await runMlops(['validate', '--config', path.join(dir, 'missing.yaml')]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toContain('file not found');
  });

  it('an unknown command or option exits 2', async () => {
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect((await runMlops(['deploy'])).code).toBe(EXIT.badInput);
    expect((await runMlops(['synth', '--bogus'])).code).toBe(EXIT.badInput);
    jest.restoreAllMocks();
  });

  it('synth --target kubernetes writes only the Terraform JSON; --target aws only the cloud assembly', async () => {
    const k = await runMlops(['synth', '--target', 'kubernetes', '--out', path.join(dir, 'a1'), '--k8s-out', path.join(dir, 'k1')]);
    expect(k.code).toBe(EXIT.ok);
    expect(fs.existsSync(path.join(dir, 'k1', 'stacks', 'mlops-reference', 'cdk.tf.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'a1'))).toBe(false);
    const a = await runMlops(['synth', '--target', 'aws', '--out', path.join(dir, 'a2'), '--k8s-out', path.join(dir, 'k2')]);
    expect(a.code).toBe(EXIT.ok);
    expect(fs.existsSync(path.join(dir, 'a2', 'manifest.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'k2'))).toBe(false);
  });

  it('synth --target with an unknown target exits 2', async () => {
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect((await runMlops(['synth', '--target', 'gcp'])).code).toBe(EXIT.badInput);
    jest.restoreAllMocks();
  });

  it.each([
    ['bad.json', '{\n  "name": "p",\n  "models": [\n}\n', "line 4, column 1: is not valid JSON: Unexpected token '}'"],
    ['comma.json', '{"name": "p",}', 'line 1, column 14: is not valid JSON: Expected double-quoted property name'],
    ['empty.yaml', '', "is empty (got an empty file, expected a platform spec with 'name' and 'models')"],
    ['spec.txt', 'name: p', "has an unknown file type (got '.txt', expected .yaml, .yml or .json)"],
    ['type.yaml', 'name: p\nmodels: 3\n', 'models (line 2): has the wrong type (got 3, expected a list)'],
    ['key.yaml', 'name: p\nmodel: []\n', "model (line 2): is not a known field; did you mean 'models'?"],
  ])('validate %s: one readable message, exit 2', async (name, text, message) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const r = await runMlops(['validate', '--config', file]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toContain(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('schema --out writes the JSON Schema', async () => {
    const file = path.join(dir, 's.json');
    expect((await runMlops(['schema', '--out', file])).code).toBe(EXIT.ok);
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { title: string }).title).toBe('cdk-mlops PlatformSpec');
    // Again over its own output: replaced.
    fs.writeFileSync(file, JSON.stringify({ title: 'cdk-mlops PlatformSpec', old: true }));
    expect((await runMlops(['schema', '--out', file])).code).toBe(EXIT.ok);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('"old"');
  });

  it.each([
    ['schema', 'a file of the user', (f: string) => fs.writeFileSync(f, 'my notes')],
    ['schema', 'another JSON document', (f: string) => fs.writeFileSync(f, '{"title":"tsconfig"}')],
    ['schema', 'a folder', (f: string) => fs.mkdirSync(f)],
    ['audit schema', 'a file of the user', (f: string) => fs.writeFileSync(f, 'my notes')],
    ['audit schema', "the platform spec's schema", (f: string) => fs.writeFileSync(f, '{"title":"cdk-mlops PlatformSpec"}')],
  ])('%s --out refuses to overwrite %s (exit 2, one line, left as it was)', async (command, _, make) => {
    const file = path.join(fs.mkdtempSync(path.join(dir, 'schema-')), 'target');
    make(file);
    const before = fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : 'folder';
    const r = await runMlops([...command.split(' '), '--out', file]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err.split('\n')).toEqual([expect.stringMatching(/^error: --out .*target: exists and is not a schema mlops wrote/)]);
    expect(fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : 'folder').toBe(before);
  });
});
