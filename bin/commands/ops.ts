/**
 * Operating models through the SageMaker API: `mlops status`, `promote`, `rollback` and `run`
 * (lib/ops). Every command takes --region and --profile and uses the standard credential chain.
 */
import { Command } from 'commander';
import { createSageMakerClient, OpsError, PlatformStatus, RunProgress, SageMakerOps } from '../../lib/ops';
import { CommandError, numberOption } from './exit';

interface AwsOptions {
  region?: string;
  profile?: string;
}

function withAws(command: Command): Command {
  return command
    .option('--region <region>', 'AWS region (default: AWS_REGION, then the profile\'s region)')
    .option('--profile <name>', 'named profile from ~/.aws (default: the standard credential chain)');
}

async function opsFor(opts: AwsOptions): Promise<SageMakerOps> {
  const client = createSageMakerClient({ region: opts.region, profile: opts.profile });
  const ops = new SageMakerOps(client, { region: opts.region, profile: opts.profile });
  await ops.checkRegion();
  return ops;
}

/** The table `mlops status` prints. */
export function formatStatus(s: PlatformStatus): string {
  const lines = ['Endpoints:'];
  if (s.endpoints.length === 0) lines.push('  (none)');
  for (const e of s.endpoints) {
    const variants = e.variants.map((v) => `${v.serverless ? `${v.name} serverless` : `${v.name} ${v.currentInstanceCount ?? '?'}/${v.desiredInstanceCount ?? '?'} instances`}${v.role === 'shadow' ? ` (shadow, ${v.samplingPercent ?? '?'}% of requests copied)` : ''}`).join(', ');
    lines.push(`  ${e.name.padEnd(44)} ${e.status.padEnd(14)} ${variants}; config ${e.endpointConfigName ?? '?'}; last deployment ${e.lastModified ?? '?'}`);
    if (e.rolledBack) lines.push(`    ROLLED BACK: ${e.failureReason}`);
    else if (e.failureReason) lines.push(`    failure: ${e.failureReason}`);
  }
  lines.push('', 'Pipelines (last execution):');
  if (s.pipelines.length === 0) lines.push('  (none)');
  for (const p of s.pipelines) {
    const e = p.lastExecution;
    lines.push(`  ${p.name.padEnd(44)} ${e ? `${e.status.padEnd(14)} started ${e.started ?? '?'}${e.failureReason ? `: ${e.failureReason}` : ''}` : 'never run'}`);
  }
  lines.push('', 'Monitoring schedules (last execution):');
  if (s.monitoringSchedules.length === 0) lines.push('  (none)');
  for (const m of s.monitoringSchedules) {
    const e = m.lastExecution;
    lines.push(`  ${m.name.padEnd(44)} ${m.status.padEnd(14)} ${e ? `${e.status} at ${e.scheduledTime ?? '?'}${e.failureReason ? `: ${e.failureReason}` : ''}` : 'no execution yet'}`);
  }
  lines.push('', 'Model versions waiting for approval:');
  if (s.pendingApproval.length === 0) lines.push('  (none)');
  for (const p of s.pendingApproval) lines.push(`  ${p.group} version ${p.version ?? '?'} (registered ${p.created ?? '?'}): mlops promote ${p.group} --version ${p.version ?? '?'}`);
  return lines.join('\n');
}

function parseParams(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new CommandError(`--param: expected name=value, got '${v}'`, 2);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function registerOps(program: Command, log: (s: string) => void): void {
  withAws(program.command('status'))
    .description('Show endpoints (status, instances, last deployment, rollbacks), pipelines, monitoring schedules and versions waiting for approval')
    .option('--name-contains <text>', 'only resources whose name contains this (a platform or model name)')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlops status --region us-east-1\n  $ mlops status --profile prod --name-contains churn --json')
    .action(async (opts: AwsOptions & { nameContains?: string; json?: boolean }) => {
      const status = await (await opsFor(opts)).status(opts.nameContains);
      log(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    });

  withAws(program.command('promote'))
    .description('Approve a model version (default: the latest PendingManualApproval); approval triggers its deployment')
    .argument('<group>', 'the model package group (the model\'s registry)')
    .option('--version <n>', 'the version to approve')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlops promote churn\n  $ mlops promote support-assistant --version 7 --profile prod')
    .action(async (group: string, opts: AwsOptions & { version?: string; json?: boolean }) => {
      const version = numberOption('--version', opts.version, 1);
      if (version !== undefined && !Number.isInteger(version)) throw new CommandError(`--version: expected a whole number, got '${opts.version}'`, 2);
      const r = await (await opsFor(opts)).promote(group, version);
      if (opts.json) {
        log(JSON.stringify(r, null, 2));
        return;
      }
      const superseded = r.supersedes ? `it supersedes version ${r.supersedes.version ?? r.supersedes.arn}` : 'no version was approved before';
      log(r.changed
        ? `Approved ${group} version ${r.version ?? r.arn}; ${superseded}.\nApproval triggers deployment: the registry's EventBridge rule (SageMaker Model Package State Change → Approved) starts it; follow it with mlops status.`
        : `${group} version ${r.version ?? r.arn} is already Approved; nothing changed (${superseded}).`);
    });

  withAws(program.command('rollback'))
    .description('Return an endpoint to its previous endpoint config (blue/green, keeping live instance counts when the variants match)')
    .argument('<endpoint>', 'the endpoint name')
    .option('--to <config>', 'the endpoint config to return to (default: the one before the current)')
    .addHelpText('after', '\nExamples:\n  $ mlops rollback mlopsreferencechurn-Endpoint-56287E6A\n  $ mlops rollback my-endpoint --to my-endpoint-config-v3 --region eu-west-1')
    .action(async (endpoint: string, opts: AwsOptions & { to?: string }) => {
      const r = await (await opsFor(opts)).rollback(endpoint, opts.to);
      log(`Rolling back ${r.endpoint}: ${r.from} → ${r.to}${r.retainedVariantProperties ? ' (keeping live instance counts and weights)' : ''}.\nSageMaker is updating it (blue/green); follow it with mlops status. The CloudFormation stack still names ${r.from}: the next deploy returns to it unless the platform's source is rolled back too.`);
    });

  withAws(program.command('run'))
    .description('Start a pipeline execution and follow it until it ends (exit 0 Succeeded, 1 Failed or Stopped)')
    .argument('<pipeline>', 'the pipeline name')
    .option('--param <name=value>', 'a pipeline parameter (repeatable); names are checked against the pipeline\'s definition', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--no-wait', 'print the execution ARN and return at once')
    .option('--poll-interval <seconds>', 'seconds between progress checks', '15')
    .addHelpText('after', '\nExamples:\n  $ mlops run churn-training\n  $ mlops run churn-training --param TrainingInstanceType=ml.m5.2xlarge --param Epochs=20\n  $ mlops run churn-training --no-wait --profile prod')
    .action(async (pipeline: string, opts: AwsOptions & { param: string[]; wait: boolean; pollInterval: string }) => {
      const params = parseParams(opts.param);
      const interval = numberOption('--poll-interval', opts.pollInterval)!;
      const ops = await opsFor(opts);
      const arn = await ops.startRun(pipeline, params);
      log(`Started ${pipeline}: ${arn}`);
      if (!opts.wait) return;
      const seen = new Map<string, string>();
      let lastStatus = '';
      const result = await ops.follow(arn, {
        intervalMs: interval * 1000,
        onProgress: (p: RunProgress) => {
          for (const s of p.steps) {
            if (seen.get(s.name) === s.status) continue;
            seen.set(s.name, s.status);
            log(`  step ${s.name}: ${s.status}${s.failureReason ? ` (${s.failureReason})` : ''}`);
          }
          if (p.status !== lastStatus) log(`${pipeline}: ${p.status}`);
          lastStatus = p.status;
        },
      });
      if (result.status !== 'Succeeded') throw new OpsError(`${pipeline} ${result.status.toLowerCase()}${result.failureReason ? `: ${result.failureReason}` : ''}`, 1);
    });
}
