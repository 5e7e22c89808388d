/**
 * The `mlops` command line as a user runs it (`npm run mlops -- ...` runs `tsx bin/mlops.ts ...`):
 * it never removes what it did not write, never hangs on a bad path, cleans up after a signal, and
 * prints no control character a user's input carried.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OUTPUT_MARKER } from '../../lib/output-dir';
import { main } from '../../bin/mlops';

const root = path.join(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

function start(args: string[]): ChildProcess {
  return spawn(tsx, ['bin/mlops.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess, timeoutMs = 150_000): Promise<Run> {
  const begun = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => {
    // A hang is a failure, not a stuck suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - begun });
    });
  });
}

const mlops = (args: string[]) => finished(start(args));

/** The same command in-process (the variants of a case a spawned CLI proves): cheap. */
async function mlopsInProcess(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const begun = Date.now();
  const code = await main(args, (s) => err.push(`${s}\n`), (s) => out.push(`${s}\n`));
  return { code, signal: null, stdout: out.join(''), stderr: err.join(''), ms: Date.now() - begun };
}

/** Processes whose command line mentions `text` (our spawned CLI and any child it has). */
function processesMentioning(text: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  }).map(Number);
}

/** A pid that ran and no longer runs. */
function deadPid(): number {
  return spawnSync('true').pid;
}

function ourMarker(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, OUTPUT_MARKER), JSON.stringify({ writtenBy: 'cdk-mlops' }));
}

const SMALL_SPEC = [
  'name: small',
  'models:',
  '  - name: m',
  "    source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1', modelDataUrl: 's3://bucket-abc/model.tar.gz' }",
  '    endpoint:',
  '      compute: { instanceType: ml.m5.large }',
  "      kubernetes: { image: 'ghcr.io/acme/m:1.0.0' }",
].join('\n');

let dir: string;
let spec: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-safety-'));
  spec = path.join(dir, 'small.yaml');
  fs.writeFileSync(spec, SMALL_SPEC);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectOneLine(run: Run, pattern: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
}

describe('mlops never removes what it did not write, and bad paths are one line, exit 2', () => {
  // Each refusal is a check before any synth: in-process, except where only a process proves it.
  const runs: Record<string, Run> = {};
  const paths: Record<string, string> = {};
  beforeAll(async () => {
    paths.userFolder = path.join(dir, 'mine');
    fs.mkdirSync(paths.userFolder);
    fs.writeFileSync(path.join(paths.userFolder, 'thesis.tex'), 'years of work');
    paths.userFile = path.join(dir, 'notes.txt');
    fs.writeFileSync(paths.userFile, 'my notes');
    paths.auditFolder = path.join(dir, 'reports');
    fs.mkdirSync(paths.auditFolder);
    fs.writeFileSync(path.join(paths.auditFolder, 'report.md'), 'my own report');
    paths.fakeAssembly = path.join(dir, 'assembly');
    fs.mkdirSync(paths.fakeAssembly);
    fs.writeFileSync(path.join(paths.fakeAssembly, 'manifest.json'), '{}');
    // A process where a hang (it used to spin at 100% CPU) must end by its timeout, not stall the suite.
    const spawned: Record<string, string[]> = {
      proc: ['synth', '--config', spec, '--target', 'aws', '--out', '/proc/x'],
    };
    const inProcess: Record<string, string[]> = {
      outOverUserFolder: ['synth', '--config', spec, '--target', 'aws', '--out', paths.userFolder],
      k8sOutOverFile: ['synth', '--config', spec, '--target', 'kubernetes', '--k8s-out', paths.userFile],
      auditOutOverUserFolder: ['audit', '--cdk-out', paths.fakeAssembly, '--out', paths.auditFolder],
      underFile: ['synth', '--config', spec, '--target', 'kubernetes', '--k8s-out', path.join(paths.userFile, 'out')],
      tooLong: ['synth', '--config', spec, '--target', 'aws', '--out', path.join(dir, 'x'.repeat(300))],
      notPermitted: ['synth', '--config', spec, '--target', 'aws', '--out', '/sys/mlops-out'],
    };
    const results = await Promise.all(Object.entries(spawned).map(async ([name, args]) => [name, await mlops(args)] as const));
    for (const [name, run] of results) runs[name] = run;
    for (const [name, args] of Object.entries(inProcess)) runs[name] = await mlopsInProcess(args);
  }, 300_000);

  it('refuses a folder of the user\'s (--out), naming it, and leaves its files', () => {
    expectOneLine(runs.outOverUserFolder, new RegExp(`^error: Output folder '${paths.userFolder}' \\(for a cloud assembly\\): exists and holds files cdk-mlops did not write`));
    expect(fs.readFileSync(path.join(paths.userFolder, 'thesis.tex'), 'utf8')).toBe('years of work');
    expect(fs.readdirSync(paths.userFolder)).toEqual(['thesis.tex']);
  });

  it('refuses a file at --k8s-out and leaves it', () => {
    expectOneLine(runs.k8sOutOverFile, /Output folder '.*notes\.txt' \(for Terraform JSON\): is a file, not a folder/);
    expect(fs.readFileSync(paths.userFile, 'utf8')).toBe('my notes');
  });

  it('refuses a folder of the user\'s at audit --out and leaves its report.md', () => {
    expectOneLine(runs.auditOutOverUserFolder, /Output folder '.*reports' \(for an audit report\): exists and holds files cdk-mlops did not write/);
    expect(fs.readFileSync(path.join(paths.auditFolder, 'report.md'), 'utf8')).toBe('my own report');
  });

  it('--out /proc/x ends at once with one line (it used to spin at 100% CPU)', () => {
    expectOneLine(runs.proc, /^error: Output folder '\/proc\/x' \(for a cloud assembly\): cannot be created \(got ENOENT creating a folder in '\/proc'/);
    expect(processesMentioning('/proc/x')).toEqual([]);
  });

  it('a folder under a file, a name too long and a folder the system refuses are each one line, exit 2', () => {
    expectOneLine(runs.underFile, /notes\.txt\/out' \(for Terraform JSON\): is under a file, not a folder/);
    expectOneLine(runs.tooLong, /\(for a cloud assembly\): cannot be (used|created) \(got ENAMETOOLONG/);
    expectOneLine(runs.notPermitted, /^error: Output folder '\/sys\/mlops-out' \(for a cloud assembly\): cannot be created \(got E(PERM|ACCES|NOENT|ROFS)/);
    // Nothing was left behind beside the targets.
    expect(fs.readdirSync(dir).filter((n) => n.includes('.staging-'))).toEqual([]);
  });
});

describe('mlops synth swaps its output in only over an empty folder or its own previous output', () => {
  it('writes into an empty folder, then replaces its own output (and only it), leaving no staging folder', async () => {
    const out = path.join(dir, 'k8s');
    fs.mkdirSync(out);
    const first = await mlopsInProcess(['synth', '--config', spec, '--target', 'kubernetes', '--k8s-out', out]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, OUTPUT_MARKER), 'utf8'))).toMatchObject({ writtenBy: 'cdk-mlops', contents: 'Terraform JSON' });
    expect(fs.existsSync(path.join(out, 'stacks', 'small', 'cdk.tf.json'))).toBe(true);
    // A file left in our previous output goes with it: the folder is ours, and says so in its marker.
    fs.writeFileSync(path.join(out, 'stale.tf.json'), '{}');
    const second = await mlopsInProcess(['synth', '--config', spec, '--target', 'kubernetes', '--k8s-out', out]);
    expect(second.code).toBe(0);
    expect(fs.existsSync(path.join(out, 'stale.tf.json'))).toBe(false);
    expect(fs.existsSync(path.join(out, 'stacks', 'small', 'cdk.tf.json'))).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => /\.(staging|previous)-\d+$/.test(n))).toEqual([]);
  }, 300_000);
});

describe('an interrupted synth', () => {
  interface Interrupted { run: Run; msAfterKill: number; out: string; own: string; stale: string; notOurs: string; otherTarget: string }

  async function interrupt(name: string, kill: (child: ChildProcess) => void): Promise<Interrupted> {
    const out = path.join(dir, name);
    // Left by a synth that was killed (SIGKILL): ours (name, marker, dead pid), and two that are not.
    const stale = `${out}.staging-${deadPid()}`;
    ourMarker(stale);
    const notOurs = `${out}.staging-${deadPid()}`;
    fs.mkdirSync(notOurs);
    fs.writeFileSync(path.join(notOurs, 'keep.txt'), 'not ours');
    const otherTarget = path.join(dir, `other-${name}.staging-${deadPid()}`);
    ourMarker(otherTarget);

    const child = start(['synth', '--config', spec, '--target', 'aws', '--out', out]);
    const done = finished(child);
    // Wait until the synth is under way: its staging folder exists.
    const begun = Date.now();
    let own: string | undefined;
    while (!own && Date.now() - begun < 120_000) {
      await new Promise((r) => setTimeout(r, 100));
      own = fs.readdirSync(dir).map((n) => path.join(dir, n)).find((p) => p.startsWith(`${out}.staging-`) && p !== stale && p !== notOurs);
    }
    expect(own).toBeDefined();
    const killedAt = Date.now();
    kill(child);
    const run = await done;
    return { run, msAfterKill: Date.now() - killedAt, out, own: own!, stale, notOurs, otherTarget };
  }

  // The three run at once: each is a process start and the beginning of a synth.
  const results: Record<string, Interrupted> = {};
  beforeAll(async () => {
    const cases: Record<string, (child: ChildProcess) => void> = {
      SIGINT: (child) => child.kill('SIGINT'),
      SIGTERM: (child) => child.kill('SIGTERM'),
      tsxKilled: (child) => child.kill('SIGKILL'),
    };
    for (const [name, r] of await Promise.all(Object.entries(cases).map(async ([n, kill]) => [n, await interrupt(`interrupted-${n}`, kill)] as const))) results[name] = r;
  }, 300_000);

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('on %s removes its staging folder, stops every process it started and exits %d', (signal, code) => {
    const r = results[signal];
    expect(r.run.code).toBe(code);
    expect(r.msAfterKill).toBeLessThan(20_000);
    expect(fs.existsSync(r.own)).toBe(false);
    expect(fs.existsSync(r.out)).toBe(false);
    expect(processesMentioning(r.out)).toEqual([]);
    // Stale staging folders of dead synths are cleaned at the next run: only ours, only for this target.
    expect(fs.existsSync(r.stale)).toBe(false);
    expect(fs.readFileSync(path.join(r.notOurs, 'keep.txt'), 'utf8')).toBe('not ours');
    expect(fs.existsSync(r.otherTarget)).toBe(true);
  });

  it('stops, and removes its staging folder, when tsx (`npm run mlops`) is killed outright: nothing outlives it', async () => {
    const r = results.tsxKilled;
    expect(r.run.signal).toBe('SIGKILL');
    // The command's own process (tsx's child) notices it was orphaned, cleans up and exits.
    const begun = Date.now();
    while (processesMentioning(r.out).length > 0 && Date.now() - begun < 20_000) await new Promise((res) => setTimeout(res, 100));
    expect(processesMentioning(r.out)).toEqual([]);
    expect(fs.existsSync(r.own)).toBe(false);
    expect(fs.existsSync(r.out)).toBe(false);
  }, 60_000);
});

describe('bad spec files are exit 2 naming the file, with no control character printed', () => {
  const runs: Record<string, Run> = {};
  const files: Record<string, string> = {};
  beforeAll(async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, n] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) laughs.push(`${n}: &${n} [${Array(9).fill(`*${i === 0 ? 'a' : ['b', 'c', 'd', 'e', 'f', 'g', 'h'][i - 1]}`).join(',')}]`);
    files.bomb = path.join(dir, 'bomb.yaml');
    fs.writeFileSync(files.bomb, `${laughs.join('\n')}\nname: p\nmodels: []\n`);
    files.undefinedAlias = path.join(dir, 'alias.yaml');
    fs.writeFileSync(files.undefinedAlias, 'name: *nowhere\nmodels: []\n');
    files.bomJson = path.join(dir, 'bom.json');
    fs.writeFileSync(files.bomJson, `\uFEFF${JSON.stringify({ name: 'p', models: [{ name: 'm', source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } }] })}`);
    files.bomYaml = path.join(dir, 'bom.yaml');
    fs.writeFileSync(files.bomYaml, `\uFEFF${SMALL_SPEC}\n`);
    files.binary = path.join(dir, 'binary.yaml');
    fs.writeFileSync(files.binary, Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x3a, 0x20, 0x01, 0x0a, 0x1b, 0x5d, 0x30, 0x3b, 0x78, 0x07, 0x3a, 0x20, 0x31, 0x0a, 0x00, 0xff, 0xfe]));
    files.synthWouldFail = path.join(dir, 'synth-would-fail.yaml');
    fs.writeFileSync(files.synthWouldFail, [
      'name: p',
      'aws: { alarmEmails: [ops@example.com, ops@example.com] }',
      "tags: { 'aws:team': ml, 'team#1': ml }",
      SMALL_SPEC.split('\n').slice(1).join('\n'),
    ].join('\n'));
    files.awsRules = path.join(dir, 'aws-rules.yaml');
    fs.writeFileSync(files.awsRules, [
      `name: ${'p'.repeat(60)}`,
      SMALL_SPEC.split('\n').slice(1).join('\n'),
      '    drift:',
      "      dataQuality: { baseline: { constraintsUri: 's3://bucket-abc/c.json', statisticsUri: 's3://bucket-abc/s.json' } }",
      'trainingClusters:',
      '  - name: llm-cluster',
      "    lifecycleScriptsUri: 's3://bucket-abc/lifecycle/'",
      '    aws: { vpcId: vpc-0123456789abcdef0, subnetIds: [subnet-0123456789abcdef0] }',
      '    instanceGroups: [{ name: gpu, compute: { instanceType: ml.g5.xlarge }, count: 1 }]',
    ].join('\n'));
    files.escapeKey = path.join(dir, 'escape.yaml');
    fs.writeFileSync(files.escapeKey, 'name: p\n"\\e[2Jmodels\\r": []\n');
    // Processes: an alias bomb must not take the suite's memory if it expands, and what reaches the
    // terminal from a binary file is the process's whole stderr (not only what main() prints).
    const spawned: Record<string, string[]> = {
      bomb: ['validate', '--config', files.bomb],
      binary: ['validate', '--config', files.binary],
    };
    const inProcess: Record<string, string[]> = {
      bomJson: ['validate', '--config', files.bomJson],
      synthWouldFail: ['validate', '--config', files.synthWouldFail],
      undefinedAlias: ['validate', '--config', files.undefinedAlias],
      bomYaml: ['validate', '--config', files.bomYaml],
      escapeKey: ['validate', '--config', files.escapeKey],
      // The spec's only target-specific section is an endpoint's kubernetes one, so by default it is
      // checked for Kubernetes alone (as synth renders it): the AWS rules apply with --target aws or all.
      awsRules: ['validate', '--config', files.awsRules, '--target', 'all'],
      awsRulesByDefault: ['validate', '--config', files.awsRules],
      awsRulesOnKubernetes: ['validate', '--config', files.awsRules, '--target', 'kubernetes'],
      awsRulesSynth: ['synth', '--config', files.awsRules, '--target', 'aws', '--out', path.join(dir, 'never')],
      escapePath: ['validate', '--config', path.join(dir, 'missing\u001b[2J\u0007.yaml')],
    };
    const results = await Promise.all(Object.entries(spawned).map(async ([name, args]) => [name, await mlops(args)] as const));
    for (const [name, run] of results) runs[name] = run;
    for (const [name, args] of Object.entries(inProcess)) runs[name] = await mlopsInProcess(args);
  }, 300_000);

  it('refuses a YAML alias bomb (billion laughs), naming the file', () => {
    expectOneLine(runs.bomb, new RegExp(`^error: PlatformSpec \\(${files.bomb}\\): expands its aliases more than 100 times`));
  });

  it('refuses an undefined alias, naming the file', () => {
    expectOneLine(runs.undefinedAlias, new RegExp(`^error: PlatformSpec \\(${files.undefinedAlias}\\): has an alias that cannot be resolved: .*nowhere`));
  });

  it('accepts a JSON and a YAML spec saved with a UTF-8 byte-order mark', () => {
    expect(runs.bomJson.stderr).toBe('');
    expect(runs.bomJson.code).toBe(0);
    expect(runs.bomJson.stdout).toBe(`${files.bomJson}: valid (1 models: m)\n`);
    expect(runs.bomYaml.code).toBe(0);
  });

  it('validate refuses what synth failed on: a repeated alarm address, tags AWS refuses', () => {
    expect(runs.synthWouldFail.code).toBe(2);
    expect(runs.synthWouldFail.stderr).toContain(`PlatformSpec (${files.synthWouldFail}): 3 problems`);
    expect(runs.synthWouldFail.stderr).toContain("aws.alarmEmails[1] (line 2): repeats aws.alarmEmails[0] (got 'ops@example.com'");
    expect(runs.synthWouldFail.stderr).toContain("tags.aws:team (line 3): starts with 'aws:', which AWS reserves for its own tags");
    expect(runs.synthWouldFail.stderr).toContain('tags.team#1 (line 3): is not a tag key AWS accepts');
  });

  it("validate and synth refuse, before writing anything, what the AWS target alone refuses: a derived name over 63 characters, monitors without a region; the Kubernetes target takes it", () => {
    for (const run of [runs.awsRules, runs.awsRulesSynth]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`PlatformSpec (${files.awsRules}): 2 problems`);
      expect(run.stderr).toContain(`trainingClusters[0].name: derives the HyperPod cluster name '${'p'.repeat(60)}-llm-cluster' (72 characters), over the 63 of SageMaker CreateCluster ClusterName`);
      expect(run.stderr).toContain('aws.region: is required by models[0].drift on AWS: its monitors run the SageMaker Model Monitor image, which is published per region');
    }
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
    expect(runs.awsRulesOnKubernetes.stderr).toBe('');
    expect(runs.awsRulesOnKubernetes.code).toBe(0);
    expect(runs.awsRulesByDefault.code).toBe(0);
  });

  it('prints no control character from a binary file, a spec key or a path', () => {
    for (const name of ['binary', 'escapeKey', 'escapePath']) {
      expect(runs[name].code).toBe(2);
      // eslint-disable-next-line no-control-regex
      expect(runs[name].stderr.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(runs.escapeKey.stderr).toContain('\\u001b[2Jmodels\\u000d');
    expect(runs.escapePath.stderr).toContain('missing\\u001b[2J\\u0007.yaml');
  });
});

describe('mlops synth prints construct warnings', () => {
  it('lists each warning once with its id and construct path (the README promises retrainingWithoutPipeline), and --strict exits 1', async () => {
    const file = path.join(dir, 'warns.yaml');
    fs.writeFileSync(file, [
      'name: warns',
      'aws: { region: us-east-1 }',
      SMALL_SPEC.split('\n').slice(1).join('\n'),
      "    registry: { crossAccountReadAccountIds: ['111122223333'] }",
      '    drift:',
      "      dataQuality: { baseline: { constraintsUri: 's3://bucket-abc/c.json', statisticsUri: 's3://bucket-abc/s.json' }, alarmFeatures: [age] }",
      '      retraining: {}',
    ].join('\n'));
    const out = path.join(dir, 'warns.out');
    const run = await mlopsInProcess(['synth', '--config', file, '--target', 'aws', '--out', out, '--strict']);
    // registryCrossAccountArtifacts is not among them: the platform's own bucket and key grant the accounts (it warns only for imported ones).
    expect(run.stdout).toContain('\nWarnings (1):\n');
    const lines = run.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('  [cdk-mlops:retrainingWithoutPipeline] Platform/m/DriftMonitor: retraining is configured but no retrainPipeline was given'))).toHaveLength(1);
    expect(run.stdout).not.toContain('registryCrossAccountArtifacts');
    expect(run.stderr).toBe('error: --strict: 1 construct warning(s), listed above\n');
    expect(run.code).toBe(1);
    // The output is written either way: --strict fails the check, it does not hide the result.
    expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true);
  }, 300_000);
});
