/**
 * `npm run bench`: synth time and peak memory of our constructs against a hand-written aws-cdk-lib
 * L1 baseline producing the same resources, for platforms of 1, 10, 50 and 1,000 endpoints (the
 * largest the README claims; test/stacks/aws/limits.test.ts checks its service limits).
 *
 * - OURS (bench/ours.ts): an AwsPlatform rendering a PlatformSpec of N models cycling through a GPU
 *   canary model from its registry, a CPU image model and a serverless one (bench/platform-spec.ts):
 *   a shared stack and one stack per model.
 * - BASELINE (bench/baseline.ts): the same stacks and resources written with Cfn* classes only.
 * - Neither adds the cdk-nag compliance packs: this measures our constructs against raw L1.
 *
 * Each variant × N runs RUNS times (once at N=1,000, which takes a minute or more a run), each in a fresh node process (bench/child.ts), alternating
 * the variants; the time is the median, the peak RSS the maximum. Before reporting, the resource
 * counts by type of every stack are checked to be equal in both variants: if they are not, a
 * WARNING line is printed and the exit code is 1. Timing never fails the run. The output ends with
 * one `N=<n> ours=<ms> baseline=<ms> ratio=<x>` line per N.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildResult, countDifferences, differingStacks, totalResources, Variant } from './assembly';

const SIZES = [1, 10, 50, 1000];
const RUNS = 3;
/** Runs at a size: one at the largest, where a run takes a minute or more. */
const runsAt = (n: number) => (n >= 1000 ? 1 : RUNS);
const TARGET_RATIO = 1.3;
const TARGET_N = 50;

const repoRoot = path.resolve(__dirname, '..');
const childScript = path.join(__dirname, 'child.ts');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-'));
let running: ChildProcess | undefined;

function cleanUp(): void {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    running?.kill('SIGKILL');
    cleanUp();
    process.exit(130);
  });
}

function measure(variant: Variant, n: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, variant, String(n), tmpRoot], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    running = child;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      running = undefined;
      const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      if (code !== 0 || !line) {
        reject(new Error(`${variant} N=${n} failed (exit ${code}):\n${stderr}${stdout}`));
        return;
      }
      resolve(JSON.parse(line) as ChildResult);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Row {
  readonly n: number;
  readonly stacks: number;
  readonly resources: number;
  readonly oursMs: number;
  readonly baselineMs: number;
  readonly oursMiB: number;
  readonly baselineMiB: number;
  readonly differing: string[];
}

async function main(): Promise<number> {
  let mismatch = false;
  const rows: Row[] = [];
  for (const n of SIZES) {
    const results: Record<Variant, ChildResult[]> = { ours: [], baseline: [] };
    for (let run = 0; run < runsAt(n); run++) {
      // Alternate which variant goes first, so neither always runs on a warmer machine.
      const order: Variant[] = run % 2 === 0 ? ['ours', 'baseline'] : ['baseline', 'ours'];
      for (const variant of order) {
        const result = await measure(variant, n);
        results[variant].push(result);
        process.stderr.write(`  N=${n} ${variant.padEnd(8)} run ${run + 1}/${runsAt(n)}: ${Math.round(result.ms)} ms, ${(result.maxRssKiB / 1024).toFixed(0)} MiB\n`);
      }
    }
    const ours = results.ours[0].stacks;
    const baseline = results.baseline[0].stacks;
    const problems = countDifferences(ours, baseline);
    for (const p of problems) console.log(`WARNING: N=${n}: baseline resources differ from ours: ${p} (update bench/baseline.ts; see bench/compare.ts)`);
    if (problems.length > 0) mismatch = true;
    rows.push({
      n,
      stacks: Object.keys(ours).length,
      resources: totalResources(ours),
      oursMs: median(results.ours.map((r) => r.ms)),
      baselineMs: median(results.baseline.map((r) => r.ms)),
      oursMiB: Math.max(...results.ours.map((r) => r.maxRssKiB)) / 1024,
      baselineMiB: Math.max(...results.baseline.map((r) => r.maxRssKiB)) / 1024,
      differing: problems.length > 0 ? [] : differingStacks(ours, baseline),
    });
  }

  const header = ['N', 'stacks', 'resources', 'ours ms', 'baseline ms', 'ratio', 'ours peak MiB', 'baseline peak MiB'];
  const cells = rows.map((r) => [r.n, r.stacks, r.resources, Math.round(r.oursMs), Math.round(r.baselineMs), (r.oursMs / r.baselineMs).toFixed(2), r.oursMiB.toFixed(0), r.baselineMiB.toFixed(0)].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const format = (c: string[]) => c.map((v, i) => v.padStart(widths[i])).join('  ');
  console.log('');
  console.log('Synth benchmark: our constructs (AwsPlatform) vs a hand-written aws-cdk-lib L1 baseline with the same resources');
  console.log(`ratio = ours / baseline; target: ratio ≤ ${TARGET_RATIO} at N=${TARGET_N} (measured, not asserted)`);
  console.log(`Time: new App() → app.synth(), median of ${RUNS} runs (1 at N=${SIZES[SIZES.length - 1]}), each in a fresh node process; peak MiB: max maxRSS of the runs.`);
  console.log('cdk-nag compliance packs: not added in either variant (constructs vs raw L1, not the rule packs).');
  console.log('');
  console.log(format(header));
  for (const c of cells) console.log(format(c));
  console.log('');
  for (const r of rows) {
    if (r.differing.length === 0) continue;
    console.log(`note: N=${r.n}: resource types and counts match, but ${r.differing.length} stack template(s) differ in properties (${r.differing.slice(0, 3).join(', ')}${r.differing.length > 3 ? ', …' : ''}): npx tsx bench/compare.ts ${r.n}`);
  }
  if (!mismatch && rows.every((r) => r.differing.length === 0)) console.log('Templates of ours and the baseline: identical for every N (resource Metadata aside).');
  if (mismatch) console.log('WARNING: the baseline does not produce the same resources as ours: the comparison above is not like for like.');
  for (const r of rows) console.log(`N=${r.n} ours=${Math.round(r.oursMs)} baseline=${Math.round(r.baselineMs)} ratio=${(r.oursMs / r.baselineMs).toFixed(2)}`);
  return mismatch ? 1 : 0;
}

main()
  .then((code) => { process.exitCode = code; })
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(cleanUp);
