#!/usr/bin/env node
/**
 * The `mlops` command line. Exit codes: 0 ok, 1 a check failed (rule packs, budget), 2 bad input.
 */
import { Command, CommanderError, Option } from 'commander';
import { acknowledgments, readCloudAssembly, resourcesByType, unacknowledgedFindings } from '../lib/governance';
import { isMlopsValidationError } from '../lib/errors';
import { loadPlatformSpec, parsePlatformSpecFor, platformJsonSchema, PlatformSpecInput, PLATFORM_TARGETS, platformTargets, TargetChoice } from '../lib/spec';
import { referencePlatform } from '../stacks/reference-platform';
import type { SynthWarning } from '../stacks/aws/synth';
import { isOpsError } from '../lib/ops';
import { registerCost } from './commands/cost';
import { CommandError, printableValidationError, writeSchemaFile } from './commands/exit';
import { printableLines } from '../lib/printable';
import { isCliWorker, runCommandLine } from './cli-process';
import { registerOps } from './commands/ops';
import { registerAuditCommands, writeAudit } from './commands/audit';
import { registerFeaturesCommands } from './commands/features';
import { registerInit } from './commands/init';

export const EXIT = { ok: 0, checkFailed: 1, badInput: 2 } as const;

class CheckFailed extends Error {}

function specFrom(config?: string): { spec: PlatformSpecInput; label: string } {
  return config ? { spec: loadPlatformSpec(config), label: config } : { spec: referencePlatform, label: 'the reference platform' };
}

interface SynthOptions { config?: string; out: string; k8sOut: string; json?: boolean; strict?: boolean; target?: TargetChoice }

/**
 * The renderers, loaded by the commands that render: aws-cdk-lib with the rule packs, and cdktf with
 * the kubernetes provider (the largest module of all), so that `validate`, `cost` or the operations
 * commands start without them, and an AWS synth without cdktf.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- require, not import(): tsx runs the command's worker with its CommonJS loader only */
const renderers = {
  aws: () => ({ ...require('../stacks/aws/synth') as typeof import('../stacks/aws/synth'), ...require('../stacks/aws/compliance') as typeof import('../stacks/aws/compliance') }),
  kubernetes: () => require('../stacks/kubernetes/synth') as typeof import('../stacks/kubernetes/synth'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

type SynthPart = { summary: Record<string, unknown>; lines: string[]; warnings: number };

/** CloudFormation into `out`, the rule packs, the audit report: the summary and its text. */
function synthAws(spec: PlatformSpecInput, label: string, out: string): SynthPart {
  const { synthAwsPlatform, COMPLIANCE_PACKS } = renderers.aws();
  let warnings: readonly SynthWarning[];
  try {
    ({ warnings } = synthAwsPlatform(spec, out));
  } catch (e) {
    const err = e as Error;
    if (err.name === 'ValidationError' || /Validation failed/.test(err.message)) {
      throw new CheckFailed(`compliance checks failed for ${label}:\n${err.message}`);
    }
    throw e;
  }
  const assembly = readCloudAssembly(out);
  const acks = acknowledgments(assembly);
  const open = unacknowledgedFindings(assembly);
  const byPack = new Map<string, number>();
  for (const a of acks) {
    const pack = COMPLIANCE_PACKS.find((p) => a.id.startsWith(`${p}-`)) ?? a.id.split(/::|\[/)[0];
    byPack.set(pack, (byPack.get(pack) ?? 0) + 1);
  }
  const summary = {
    outdir: out,
    stacks: assembly.stacks.map((s) => ({ name: s.stackName, resources: Object.keys(s.resources).length })),
    resourcesByType: Object.fromEntries(resourcesByType(assembly)),
    findings: { packs: [...COMPLIANCE_PACKS], unacknowledged: open, acknowledged: Object.fromEntries(byPack) },
    warnings,
  };
  const lines = [`AWS (CloudFormation) into ${out}/`, '', 'Stacks:'];
  for (const s of summary.stacks) lines.push(`  ${s.name.padEnd(40)} ${String(s.resources).padStart(4)} resources`);
  lines.push('', 'Resources by type:');
  for (const [type, n] of Object.entries(summary.resourcesByType)) lines.push(`  ${type.padEnd(48)} ${String(n).padStart(4)}`);
  lines.push('', `Findings (${COMPLIANCE_PACKS.join(', ')}): ${open.length} unacknowledged; ${acks.length} acknowledged, each with its reason in the template metadata:`);
  for (const [pack, n] of byPack) lines.push(`  ${pack.padEnd(20)} ${n} acknowledged`);
  for (const f of open) lines.push(`  ${f.severity.toUpperCase()} ${f.rule} (${f.plugin}): ${f.description.split('\n')[0]} at ${f.constructPaths.join(', ')}`);
  if (warnings.length > 0) lines.push('', `Warnings (${warnings.length}):`, ...warnings.map((w) => `  [${w.id || 'no id'}] ${w.path}: ${w.message}`));
  return { summary, lines, warnings: warnings.length };
}

/** Terraform JSON for the Kubernetes target into `out`: the summary and its text. */
function synthKubernetes(spec: PlatformSpecInput, out: string): SynthPart {
  const result = renderers.kubernetes().synthKubernetesPlatform(spec, out);
  const summary = { outdir: out, stacks: result.stacks, warnings: result.warnings, notRendered: result.notRendered };
  const lines = [`Kubernetes (Terraform JSON for the kubernetes provider) into ${out}/`, ''];
  for (const s of result.stacks) {
    const total = Object.values(s.resourcesByType).reduce((a, b) => a + b, 0);
    lines.push(`  ${s.file}: ${total} resources`);
    for (const [type, n] of Object.entries(s.resourcesByType)) lines.push(`    ${type.padEnd(46)} ${String(n).padStart(4)}`);
  }
  if (result.warnings.length > 0) lines.push('', `Warnings (${result.warnings.length}):`, ...result.warnings.map((w) => `  ${w}`));
  if (result.notRendered.length > 0) lines.push('', `Not rendered on Kubernetes (${result.notRendered.length}):`, ...result.notRendered.map((w) => `  ${w}`));
  return { summary, lines, warnings: result.warnings.length };
}

/** The targets a command renders or checks: --target when given, else the spec's own (its `targets`, or its sections). */
function targetsOf(spec: PlatformSpecInput, target: TargetChoice | undefined): readonly ('aws' | 'kubernetes')[] {
  if (target === undefined) return platformTargets(spec);
  return target === 'all' ? PLATFORM_TARGETS : [target];
}

function synth(options: SynthOptions, log: (s: string) => void): void {
  const { spec, label } = specFrom(options.config);
  // Without --target, the spec says which targets it is for (its `targets`, or its sections);
  // every target's rules are checked before anything is written.
  const targets = targetsOf(spec, options.target);
  parsePlatformSpecFor(targets.length === PLATFORM_TARGETS.length ? 'all' : targets[0], spec, label);
  const aws = targets.includes('aws') ? synthAws(spec, label, options.out) : undefined;
  const kubernetes = targets.includes('kubernetes') ? synthKubernetes(spec, options.k8sOut) : undefined;
  // One audit report of everything rendered (it is written beside the cloud assembly).
  const audit = aws ? writeAudit(options.out, { cdktfOut: kubernetes ? options.k8sOut : undefined }) : undefined;
  const kubernetesFindings = audit?.report.findings.filter((f) => f.target === 'kubernetes-terraform' && f.status === 'open') ?? [];
  if (options.json) {
    log(JSON.stringify({
      platform: spec.name, ...aws?.summary,
      ...(kubernetes ? { kubernetes: { ...kubernetes.summary, ...(audit ? { openFindings: kubernetesFindings } : {}) } } : {}),
      ...(audit ? { audit: audit.files } : {}),
    }, null, 2));
    failOnWarnings(options, (aws?.warnings ?? 0) + (kubernetes?.warnings ?? 0));
    return;
  }
  const lines = [`Synthesized ${label} (${spec.name})`];
  for (const part of [aws, kubernetes]) if (part) lines.push('', ...part.lines);
  if (kubernetes && audit) {
    lines.push('', `Kubernetes findings: ${kubernetesFindings.length} open`, ...kubernetesFindings.map((f) => `  ${f.severity.toUpperCase()} ${f.rule}: ${f.description.split('\n')[0]} at ${f.constructPath ?? f.logicalId}`.trimEnd()));
  }
  if (audit) lines.push('', `Audit report${kubernetes ? ' (AWS and Kubernetes)' : ''}: ${audit.files.json}, ${audit.files.markdown}, ${audit.files.html}`);
  log(lines.join('\n'));
  failOnWarnings(options, (aws?.warnings ?? 0) + (kubernetes?.warnings ?? 0));
}

/** `--strict`: a warning fails the synth (exit 1) once its output and summary are written. */
function failOnWarnings(options: SynthOptions, warnings: number): void {
  if (options.strict && warnings > 0) throw new CheckFailed(`--strict: ${warnings} construct warning(s), listed above`);
}

export function buildProgram(log: (s: string) => void = (s) => process.stdout.write(`${printableLines(s)}\n`)): Command {
  const program = new Command('mlops')
    .description('cdk-mlops: synthesize, validate and operate MLOps platforms on SageMaker')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(printableLines(s)), writeOut: (s) => process.stdout.write(s) });

  program.command('synth')
    .description('Synthesize a platform: CloudFormation (cdk.out/, with the compliance packs and the audit report) and Terraform JSON for Kubernetes (cdktf.out/)')
    .option('-c, --config <file>', 'platform spec (.yaml, .yml or .json); default: the reference platform')
    .option('-o, --out <dir>', 'output directory of the AWS target (a cloud assembly)', 'cdk.out')
    .addOption(new Option('--target <target>', "what to render: aws (CloudFormation), kubernetes (Terraform JSON) or all; default: the spec's targets").choices(['aws', 'kubernetes', 'all']))
    .option('--k8s-out <dir>', 'output directory of the Kubernetes target', 'cdktf.out')
    .option('--json', 'print the summary as JSON')
    .option('--strict', 'exit 1 when a construct warns (the warnings are printed either way)')
    .addHelpText('after', '\nExamples:\n  $ mlops synth\n  $ mlops synth --config platform.yaml --out build/cdk.out\n  $ mlops synth --target kubernetes --k8s-out build/cdktf.out\n  $ mlops synth --target aws --json')
    .action((opts: SynthOptions) => synth(opts, log));

  program.command('validate')
    .description('Check a platform spec without synthesizing (fast): every problem, with its path and line')
    .option('-c, --config <file>', 'platform spec (.yaml, .yml or .json); default: the reference platform')
    .addOption(new Option('--target <target>', "the targets' own rules to check too: aws, kubernetes or all; default: the spec's targets (as synth renders)").choices(['aws', 'kubernetes', 'all']))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlops validate --config platform.yaml\n  $ mlops validate            # the reference platform')
    .action((opts: { config?: string; json?: boolean; target?: TargetChoice }) => {
      const { spec, label } = specFrom(opts.config);
      const targets = targetsOf(spec, opts.target);
      parsePlatformSpecFor(targets.length === PLATFORM_TARGETS.length ? 'all' : targets[0], spec, label);
      log(opts.json ? JSON.stringify({ valid: true, platform: spec.name, models: spec.models.map((m) => m.name) }) : `${opts.config ?? label}: valid (${spec.models.length} models: ${spec.models.map((m) => m.name).join(', ')})`);
    });

  program.command('schema')
    .description('Print (or write) the JSON Schema of platform specs, for editor completion')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action((opts: { out?: string }) => {
      const schema = platformJsonSchema();
      const text = `${JSON.stringify(schema, null, 2)}\n`;
      if (opts.out) {
        writeSchemaFile(opts.out, schema.title, text);
        log(`wrote ${opts.out}`);
      } else {
        log(text.trimEnd());
      }
    });
  registerCost(program, log);
  registerOps(program, log);
  registerAuditCommands(program, log);
  registerFeaturesCommands(program, log);
  registerInit(program, log);
  return program;
}

/** Runs the command line and returns the exit code; one readable message on failure, never a stack trace. */
export async function main(argv: string[], printErr: (s: string) => void = (s) => process.stderr.write(`${s}\n`), log?: (s: string) => void): Promise<number> {
  // Nothing a user controls (a path, a spec's keys and values, a file's bytes) reaches the terminal as a control character.
  const err = (s: string) => printErr(printableLines(s));
  try {
    await buildProgram(log && ((s) => log(printableLines(s)))).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (isMlopsValidationError(e)) {
      err(`error: ${printableValidationError(e)}`);
      return EXIT.badInput;
    }
    if (e instanceof CommandError || isOpsError(e)) {
      err(`error: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof CheckFailed) {
      err(`error: ${e.message}`);
      return EXIT.checkFailed;
    }
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.checkFailed;
  }
}

// The command runs in a worker thread; the process's main thread answers signals (see cli-process.ts).
if (require.main === module || isCliWorker()) runCommandLine(__filename, (argv) => main(argv));
