/**
 * Diffs the templates of OURS and BASELINE, property by property, for one platform size:
 *
 *   npx tsx bench/compare.ts [n=3]
 *
 * Use it to bring bench/baseline.ts back in line when the constructs change (the benchmark
 * itself only fails when resource types or counts differ, and reports which stacks' templates do).
 * Resource Metadata (our cdk-nag acknowledgments) is not compared. Exits 1 on any difference.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { cdkJsonContext, comparable, readTemplates, Variant, VARIANTS } from './assembly';
import { build as buildBaseline } from './baseline';
import { build as buildOurs } from './ours';

const builders: Record<Variant, (app: App, n: number) => void> = { ours: buildOurs, baseline: buildBaseline };

function diff(a: unknown, b: unknown, at: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])]) diff(ao[k], bo[k], `${at}.${k}`, out);
    return;
  }
  out.push(`${at}\n    ours:     ${JSON.stringify(a)}\n    baseline: ${JSON.stringify(b)}`);
}

function main(): number {
  const n = Number(process.argv[2] ?? 3);
  if (!Number.isInteger(n) || n < 1) throw new Error(`usage: compare.ts [n ≥ 1], got '${process.argv[2]}'`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-compare-'));
  try {
    const templates = Object.fromEntries(VARIANTS.map((variant) => {
      const outdir = path.join(root, variant);
      const app = new App({ outdir, context: cdkJsonContext() });
      builders[variant](app, n);
      app.synth();
      return [variant, readTemplates(outdir)];
    })) as Record<Variant, ReturnType<typeof readTemplates>>;
    const out: string[] = [];
    const stacks = [...new Set([...templates.ours.keys(), ...templates.baseline.keys()])].sort();
    for (const stack of stacks) {
      const a = templates.ours.get(stack);
      const b = templates.baseline.get(stack);
      diff(a ? comparable(a) : undefined, b ? comparable(b) : undefined, stack, out);
    }
    for (const line of out) console.log(line);
    console.log(out.length === 0
      ? `N=${n}: the ${stacks.length} templates of ours and the baseline are identical (resource Metadata aside)`
      : `N=${n}: ${out.length} difference(s)`);
    return out.length === 0 ? 0 : 1;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

process.exitCode = main();
