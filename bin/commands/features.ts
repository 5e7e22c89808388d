/**
 * `mlops features lock`: records the feature group definitions of a platform, as synthesized, in
 * the lock file committed beside the app. Run it after deploying: from then on, a change that
 * CloudFormation would carry out by replacing a feature group (and losing its records) is refused
 * at synth. The synth it runs applies the same check, so a refused change can never be locked.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { DEFAULT_LOCK_FILE, LOCK_CONTEXT_KEY, lockFromTemplates, readLockFile, writeLockFile } from '../../lib/features/lock';
import { readCloudAssembly } from '../../lib/governance';
import { loadPlatformSpec } from '../../lib/spec';
import { referencePlatform } from '../../stacks/reference-platform';

interface LockOptions {
  readonly config?: string;
  readonly lock: string;
  readonly check?: boolean;
}

/** What changed between two locks, one line per feature group. */
function changes(before: ReturnType<typeof readLockFile>, after: ReturnType<typeof readLockFile>): string[] {
  const lines: string[] = [];
  for (const [key, entry] of Object.entries(after.featureGroups)) {
    const old = before.featureGroups[key];
    const features = (entry.properties.FeatureDefinitions as { FeatureName: string }[] | undefined) ?? [];
    if (!old) {
      lines.push(`  + ${key} (${features.length} features)`);
      continue;
    }
    const oldNames = new Set(((old.properties.FeatureDefinitions as { FeatureName: string }[] | undefined) ?? []).map((f) => f.FeatureName));
    const added = features.map((f) => f.FeatureName).filter((n) => !oldNames.has(n));
    if (added.length > 0) lines.push(`  ~ ${key}: features appended: ${added.join(', ')}`);
    else if (JSON.stringify(old.properties) !== JSON.stringify(entry.properties)) lines.push(`  ~ ${key}: updated in place`);
  }
  for (const key of Object.keys(before.featureGroups)) {
    if (!after.featureGroups[key]) lines.push(`  - ${key} (no longer in the app; the deployed group is retained)`);
  }
  return lines;
}

function lock(options: LockOptions, log: (s: string) => void): void {
  // aws-cdk-lib is loaded by the command that synthesizes, not by every `mlops` start (require, not
  // import(): tsx runs the command's worker with its CommonJS loader only).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { synthAwsPlatform } = require('../../stacks/aws/synth') as typeof import('../../stacks/aws/synth');
  const spec = options.config ? loadPlatformSpec(options.config) : referencePlatform;
  const lockFile = path.resolve(options.lock);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-features-lock-'));
  try {
    // Synthesizing judges every feature group against the current lock: refused changes throw here.
    synthAwsPlatform(spec, outdir, { [LOCK_CONTEXT_KEY]: lockFile });
    const assembly = readCloudAssembly(outdir);
    const next = lockFromTemplates(assembly.stacks.map((s) => ({ stackName: s.stackName, template: { Resources: s.resources } })));
    const previous = readLockFile(lockFile);
    const diff = changes(previous, next);
    if (options.check) {
      if (diff.length > 0) throw new LockOutOfDate(`${options.lock} is out of date:\n${diff.join('\n')}\nrun 'mlops features lock' after deploying`);
      log(`${options.lock}: up to date (${Object.keys(next.featureGroups).length} feature groups)`);
      return;
    }
    writeLockFile(lockFile, next);
    log([`wrote ${options.lock}: ${Object.keys(next.featureGroups).length} feature groups`, ...(diff.length > 0 ? diff : ['  (no changes)'])].join('\n'));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** A `--check` that found the lock behind the app: a failed check (exit 1), not bad input. */
export class LockOutOfDate extends Error {
  public readonly name = 'LockOutOfDate';
}

/** Registers `mlops features ...` on the program. */
export function registerFeaturesCommands(program: Command, log: (s: string) => void): void {
  const features = program.command('features').description('Feature store: the lock of deployed feature group definitions');
  features.command('lock')
    .description('Record the feature groups of a platform, as deployed, in the lock file; later syntheses refuse changes that would replace them')
    .option('-c, --config <file>', 'platform spec (.yaml, .yml or .json); default: the reference platform')
    .option('--lock <file>', 'the lock file, committed beside the app', DEFAULT_LOCK_FILE)
    .option('--check', 'do not write: fail (exit 1) if the lock differs from the app (for CI)')
    .addHelpText('after', '\nRun it after each deploy that creates feature groups or appends features, and commit the file.\n\nExamples:\n  $ mlops features lock\n  $ mlops features lock --config platform.yaml --lock feature-store.lock.json\n  $ mlops features lock --check')
    .action((opts: LockOptions) => lock(opts, log));
}
