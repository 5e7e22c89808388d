/**
 * One measurement, in a fresh process: `node --import tsx bench/child.ts <ours|baseline> <n> <tmp root>`.
 * Prints one line of JSON (a ChildResult) on stdout. The variant's modules are loaded before the
 * clock starts, so the time is construction and synthesis only: from before `new App()` to after
 * `app.synth()` returns. The assembly goes to a temporary directory, removed before exiting.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App } from 'aws-cdk-lib';
import { cdkJsonContext, ChildResult, summarize, Variant, VARIANTS } from './assembly';

async function main(): Promise<void> {
  const [variant, nArg, root] = process.argv.slice(2);
  const n = Number(nArg);
  if (!VARIANTS.includes(variant as Variant) || !Number.isInteger(n) || n < 1 || !root) {
    throw new Error(`usage: child.ts <${VARIANTS.join('|')}> <n ≥ 1> <tmp root>, got ${process.argv.slice(2).join(' ')}`);
  }
  // Only the measured variant's modules are loaded: the baseline process never loads ours.
  const { build } = variant === 'ours' ? await import('./ours') : await import('./baseline');
  const context = cdkJsonContext();
  const outdir = fs.mkdtempSync(path.join(root, `${variant}-${n}-`));
  try {
    const start = performance.now();
    const app = new App({ outdir, context });
    build(app, n);
    app.synth();
    const ms = performance.now() - start;
    const stacks = summarize(outdir);
    const result: ChildResult = { variant: variant as Variant, n, ms, maxRssKiB: process.resourceUsage().maxRSS, stacks };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
