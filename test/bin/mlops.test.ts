import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT, main } from '../../bin/mlops';

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(args, (s) => err.push(s), (s) => out.push(s)).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

describe('mlops', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('synth writes the cloud assembly and prints stacks, resources by type and findings', async () => {
    const out = path.join(dir, 'cdk.out');
    const r = await run(['synth', '--out', out]);
    expect(r.code).toBe(EXIT.ok);
    expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true);
    expect(r.out).toContain('mlops-reference-support-assistant');
    expect(r.out).toMatch(/AWS::SageMaker::Endpoint\s+3/);
    expect(r.out).toMatch(/Findings \(AwsSolutions, NIST\.800\.53\.R5, HIPAA\.Security\): 0 unacknowledged; \d+ acknowledged/);
  });

  it('synth --json prints a machine-readable summary', async () => {
    const r = await run(['synth', '--out', path.join(dir, 'o'), '--json']);
    const summary = JSON.parse(r.out) as { stacks: { name: string }[]; findings: { unacknowledged: unknown[] } };
    expect(summary.stacks).toHaveLength(5);
    expect(summary.findings.unacknowledged).toEqual([]);
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
    const v = await run(['validate', '--config', file]);
    expect(v.code).toBe(EXIT.badInput);
    expect(v.err).toContain("models[0].endpoint.compute.instanceType (line 6): is not a SageMaker instance type; did you mean 'ml.g5.xlarge'?");
    expect(v.err).toContain("models[0].endpoint.scalling (line 7): is not a known field; did you mean 'scaling'?");
    expect(v.err).not.toMatch(/\n\s+at /); // no stack trace
    const s = await run(['synth', '--config', file, '--out', out]);
    expect(s.code).toBe(EXIT.badInput);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('validate accepts a good spec', async () => {
    const file = path.join(dir, 'ok.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'p', models: [{ name: 'm', source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] }));
    const r = await run(['validate', '--config', file]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toBe(`${file}: valid (1 models: m)`);
  });

  it('a missing file is one readable message and exit 2', async () => {
    const r = await run(['validate', '--config', path.join(dir, 'missing.yaml')]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toContain('file not found');
  });

  it('an unknown command or option exits 2', async () => {
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect((await run(['deploy'])).code).toBe(EXIT.badInput);
    expect((await run(['synth', '--bogus'])).code).toBe(EXIT.badInput);
    jest.restoreAllMocks();
  });

  it('schema --out writes the JSON Schema', async () => {
    const file = path.join(dir, 's.json');
    expect((await run(['schema', '--out', file])).code).toBe(EXIT.ok);
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { title: string }).title).toBe('cdk-mlops PlatformSpec');
  });
});
