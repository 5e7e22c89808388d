/**
 * `mlops audit`: the audit report of a synthesized platform (report.json, report.md, report.html),
 * and `mlops audit diff`: the governance changes between two synthesized platforms, for a CI gate.
 * Exit codes: 0 ok, 1 a check failed (open findings, missing tags, a change that widens access or
 * can lose data), 2 bad input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { MlopsValidationError } from '../../lib/errors';
import { writeOutputDir } from '../../lib/output-dir';
import { auditReportJsonSchema, buildAuditReport, buildKubernetesAudit, governanceDiff, mergeAuditReports, renderGovernanceDiff, writeAuditReport } from '../../lib/governance';
import { writeSchemaFile } from './exit';

/** How report.json names its schema (lib/governance writes `https://cdk-mlops.dev/schemas/audit-report-<version>.json`). */
const AUDIT_REPORT_SCHEMA_PREFIX = 'https://cdk-mlops.dev/schemas/audit-report-';

/** A check that ran and failed: `main` reports it and exits 1. */
export class AuditCheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditCheckFailed';
  }
}

function cloudAssembly(dir: string, flag: string): string {
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new MlopsValidationError({ kind: 'mlops audit' }, [{ path: flag, message: 'is not a cloud assembly (no manifest.json)', got: `'${dir}'`, expected: "a directory written by 'mlops synth' or 'cdk synth'" }]);
  }
  return dir;
}

function cdktfOutput(dir: string, flag: string): string {
  const manifest = path.join(dir, 'manifest.json');
  const stacks = fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { stacks?: unknown }).stacks : undefined;
  if (stacks === null || typeof stacks !== 'object') {
    throw new MlopsValidationError({ kind: 'mlops audit' }, [{ path: flag, message: 'is not a cdktf output (no manifest.json listing stacks)', got: `'${dir}'`, expected: "a directory written by 'mlops synth --target kubernetes', bin/kubernetes.ts or 'cdktf synth'" }]);
  }
  return dir;
}

/** A folder holding only an audit report cdk-mlops wrote (report.json naming our schema, report.md, report.html): the next report may replace it. */
function isAuditReport(dir: string): boolean {
  try {
    const names = fs.readdirSync(dir);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as { $schema?: unknown };
    return names.every((n) => ['report.json', 'report.md', 'report.html'].includes(n)) && typeof report.$schema === 'string' && report.$schema.startsWith(AUDIT_REPORT_SCHEMA_PREFIX);
  } catch {
    return false;
  }
}

export interface WriteAuditOptions {
  /** A cdktf output directory (cdktf.out/) whose Kubernetes resources the report covers beside the CloudFormation ones. */
  readonly cdktfOut?: string;
  /** Where to write report.json, report.md and report.html; default `<cdkOut>/audit`. */
  readonly outDir?: string;
}

/**
 * Writes the audit report of a cloud assembly, and of a cdktf output when `cdktfOut` is given (both
 * targets merged in one report), into `outDir` (default `<cdkOut>/audit`); returns the report and files.
 */
export function writeAudit(cdkOut: string, options: WriteAuditOptions = {}) {
  const outDir = options.outDir ?? path.join(cdkOut, 'audit');
  // Written beside and swapped in: a folder of someone else's is refused (before any work), never overwritten.
  return writeOutputDir(outDir, { contents: 'an audit report', recognise: isAuditReport }, (staging) => {
    const aws = buildAuditReport(cdkOut);
    const report = options.cdktfOut ? mergeAuditReports(aws, buildKubernetesAudit(options.cdktfOut)) : aws;
    const written = writeAuditReport(report, staging);
    const files = { json: path.join(outDir, path.basename(written.json)), markdown: path.join(outDir, path.basename(written.markdown)), html: path.join(outDir, path.basename(written.html)) };
    return { report, files };
  });
}

export function registerAuditCommands(program: Command, log: (s: string) => void): void {
  const audit = program.command('audit')
    .description('Write the audit report of a synthesized platform: who can do what, what is encrypted and retained, what is exposed, every finding and its reason')
    .option('--cdk-out <dir>', 'the synthesized cloud assembly', 'cdk.out')
    .option('--cdktf-out <dir>', 'the synthesized Kubernetes target (Terraform JSON), audited beside the cloud assembly; default: cdktf.out when it exists')
    .option('-o, --out <dir>', 'where to write report.json, report.md and report.html; default: <cdk-out>/audit')
    .option('--json', 'print the report summary as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlops synth && mlops audit\n  $ mlops audit --cdk-out build/cdk.out --cdktf-out build/cdktf.out --out build/audit\n  $ mlops audit diff deployed/cdk.out cdk.out')
    .action((opts: { cdkOut: string; cdktfOut?: string; out?: string; json?: boolean }) => {
      const cdktfOut = opts.cdktfOut !== undefined ? cdktfOutput(opts.cdktfOut, '--cdktf-out') : fs.existsSync(path.join('cdktf.out', 'manifest.json')) ? cdktfOutput('cdktf.out', '--cdktf-out') : undefined;
      const { report, files } = writeAudit(cloudAssembly(opts.cdkOut, '--cdk-out'), { cdktfOut, outDir: opts.out });
      const open = report.findings.filter((f) => f.status === 'open' && f.severity === 'error');
      if (opts.json) {
        log(JSON.stringify({ files, governance: report.governance, summary: report.summary, tagsMissing: report.tags.missing.length }, null, 2));
      } else {
        log([
          `Audit report of ${opts.cdkOut}${cdktfOut ? ` and ${cdktfOut} (Kubernetes)` : ''} (governance level ${report.governance.level}):`,
          `  ${report.summary.principals} roles and service accounts, ${report.summary.dataStores} data stores, ${report.summary.exposures} network-facing items`,
          `  ${report.summary.openFindings} open findings, ${report.summary.acknowledgedFindings} acknowledged with a reason`,
          `  ${report.tags.compliant}/${report.tags.checked} resources carry the required tags (${report.governance.requiredTags.join(', ') || 'none required'})`,
          `  wrote ${files.json}, ${files.markdown}, ${files.html}`,
        ].join('\n'));
      }
      if (open.length > 0 || report.tags.missing.length > 0) {
        throw new AuditCheckFailed(`${open.length} open error finding(s) and ${report.tags.missing.length} resource(s) missing required tags: see ${files.markdown}`);
      }
    });

  audit.command('diff')
    .description('Governance changes between two synthesized platforms: new or wider permissions, encryption removed, new exposure, data stores replaced or deleted; exits 1 when a change widens access or can lose data')
    .argument('<old>', 'cloud assembly of what is deployed now')
    .argument('<new>', 'cloud assembly of what is about to be deployed')
    .option('--old-cdktf-out <dir>', 'the Kubernetes output (Terraform JSON) of what is deployed now: its governance level and acknowledgements are diffed too (with --new-cdktf-out)')
    .option('--new-cdktf-out <dir>', 'the Kubernetes output of what is about to be deployed')
    .option('--json', 'print the changes as JSON')
    .action((oldDir: string, newDir: string, _opts: unknown, cmd: Command) => {
      // `audit` has a --json of its own: read the merged options, wherever commander put the flag.
      const opts = cmd.optsWithGlobals<{ json?: boolean; oldCdktfOut?: string; newCdktfOut?: string }>();
      if ((opts.oldCdktfOut === undefined) !== (opts.newCdktfOut === undefined)) {
        const [given, missing] = opts.oldCdktfOut === undefined ? ['--new-cdktf-out', '--old-cdktf-out'] : ['--old-cdktf-out', '--new-cdktf-out'];
        throw new MlopsValidationError({ kind: 'mlops audit diff' }, [{ path: missing, message: `is required with ${given}: the Kubernetes outputs are compared with each other`, got: 'nothing', expected: 'the other cdktf output directory' }]);
      }
      const kubernetes = opts.oldCdktfOut !== undefined && opts.newCdktfOut !== undefined
        ? { oldCdktfOut: cdktfOutput(opts.oldCdktfOut, '--old-cdktf-out'), newCdktfOut: cdktfOutput(opts.newCdktfOut, '--new-cdktf-out') }
        : undefined;
      const diff = governanceDiff(cloudAssembly(oldDir, '<old>'), cloudAssembly(newDir, '<new>'), kubernetes);
      log(opts.json ? JSON.stringify(diff, null, 2) : renderGovernanceDiff(diff));
      if (diff.blocking) throw new AuditCheckFailed(`${diff.changes.filter((c) => c.blocking).length} change(s) widen access or can lose data`);
    });

  audit.command('schema')
    .description('Print (or write) the JSON Schema of report.json')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action((_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ out?: string }>();
      const schema = auditReportJsonSchema();
      const text = `${JSON.stringify(schema, null, 2)}\n`;
      if (!opts.out) return log(text.trimEnd());
      writeSchemaFile(opts.out, schema.title, text);
      log(`wrote ${opts.out}`);
    });
}
