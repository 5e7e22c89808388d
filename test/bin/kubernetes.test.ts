import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

describe('bin/kubernetes.ts', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bin-k8s-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs on its own and writes the reference platform as Terraform JSON', () => {
    const out = path.join(dir, 'cdktf.out');
    const run = spawnSync(tsx, ['bin/kubernetes.ts'], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: out }, encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const tf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'mlops-reference', 'cdk.tf.json'), 'utf8')) as { resource: Record<string, unknown> };
    expect(Object.keys(tf.resource)).toContain('kubernetes_deployment_v1');
  });

  it('prints the spec error and exits 2 on a bad spec', () => {
    const spec = path.join(dir, 'bad.yaml');
    fs.writeFileSync(spec, 'name: bad\nmodels: []\n');
    const run = spawnSync(tsx, ['bin/kubernetes.ts'], { cwd: root, env: { ...process.env, MLOPS_SPEC: spec, CDKTF_OUTDIR: path.join(dir, 'out') }, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('models');
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });
});
