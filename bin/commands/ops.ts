/**
 * Operating models through the SageMaker API: `mlops status`, `promote`, `rollback` and `run`
 * (lib/ops). Every command takes --region and --profile and uses the standard credential chain.
 */
import { Command } from 'commander';
import {
  createSageMakerClient, createSfnClient, DeliveryOps, GroupDeliveryStatus, OpsError, PlatformStatus, RunProgress, SageMakerOps, versionText,
} from '../../lib/ops';
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

async function deliveryOpsFor(opts: AwsOptions): Promise<DeliveryOps> {
  const ops = await opsFor(opts);
  const client = createSageMakerClient({ region: opts.region, profile: opts.profile });
  return new DeliveryOps(client, { region: opts.region ?? await ops.checkRegion(), profile: opts.profile, sfnClient: (region) => createSfnClient({ region, profile: opts.profile }) });
}

/** A whole version number ≥ 1 from --version, or a CommandError (exit 2). */
function versionOption(value: string | undefined): number | undefined {
  const version = numberOption('--version', value, 1);
  if (version !== undefined && !Number.isInteger(version)) throw new CommandError(`--version: expected a whole number, got '${value}'`, 2);
  return version;
}

/** The table `mlops status <group>` prints: each version, where it serves and which stages approved it. */
export function formatGroupStatus(s: GroupDeliveryStatus): string {
  const lines = [`Model package group ${s.group}: ${s.deliveryStateMachineArn ? `delivered by ${s.deliveryStateMachineArn}` : 'no delivery (its endpoints serve the registryVersion their spec pins)'}`];
  lines.push('', 'Stages (serving version, deployed at):');
  if (s.stages.length === 0) lines.push('  (no version serves in a stage)');
  for (const st of s.stages) lines.push(`  ${st.stage.padEnd(16)} ${versionText(st).padEnd(12)} since ${st.since}`);
  lines.push('', `  ${'version'.padEnd(8)} ${'approval'.padEnd(22)} ${'serves in'.padEnd(24)} approved for`);
  if (s.versions.length === 0) lines.push('  (no versions)');
  for (const v of s.versions) {
    const serving = v.servingIn.map((m) => m.stage).join(', ') || '-';
    const approved = v.approvedFor.map((m) => m.stage).join(', ') || '-';
    lines.push(`  ${String(v.version ?? '?').padEnd(8)} ${v.approvalStatus.padEnd(22)} ${serving.padEnd(24)} ${approved}`);
  }
  return lines.join('\n');
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
    .description('Show endpoints (status, instances, last deployment, rollbacks), pipelines, monitoring schedules and versions waiting for approval; with a group, its versions and which one serves in each delivery stage')
    .argument('[group]', 'a model package group: its versions, approval status, the stage each serves in and the stages each is approved for')
    .option('--name-contains <text>', 'only resources whose name contains this (a platform or model name)')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlops status --region us-east-1\n  $ mlops status --profile prod --name-contains churn --json\n  $ mlops status churn')
    .action(async (group: string | undefined, opts: AwsOptions & { nameContains?: string; json?: boolean }) => {
      if (group !== undefined) {
        if (opts.nameContains !== undefined) throw new CommandError('--name-contains: not with a group (the group names what to show)', 2);
        const status = await (await deliveryOpsFor(opts)).groupStatus(group);
        log(opts.json ? JSON.stringify(status, null, 2) : formatGroupStatus(status));
        return;
      }
      const status = await (await opsFor(opts)).status(opts.nameContains);
      log(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    });

  withAws(program.command('promote'))
    .description('Approve a model version (default: the latest PendingManualApproval), which starts its delivery when the group has one; with --stage, approve an Approved version for that stage\'s manual gate')
    .argument('<group>', 'the model package group (the model\'s registry)')
    .option('--version <n>', 'the version to approve (required with --stage)')
    .option('--stage <name>', 'approve the version for this delivery stage (its manual gate goes on): sets cdk-mlops:approved:<stage> on it')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlops promote churn\n  $ mlops promote support-assistant --version 7 --profile prod\n  $ mlops promote churn --version 7 --stage prod')
    .action(async (group: string, opts: AwsOptions & { version?: string; stage?: string; json?: boolean }) => {
      const version = versionOption(opts.version);
      if (opts.stage !== undefined) {
        if (version === undefined) throw new CommandError('--stage: needs --version N (the version to approve for the stage)', 2);
        const r = await (await deliveryOpsFor(opts)).approveForStage(group, version, opts.stage);
        if (opts.json) {
          log(JSON.stringify(r, null, 2));
          return;
        }
        const next = r.deliveryStateMachineArn ? `the delivery waiting at stage '${r.stage}' for this version goes on (${r.deliveryStateMachineArn}); follow it with mlops status ${group}` : `the group has no delivery state machine yet (no cdk-mlops:delivery tag): nothing waits for it`;
        log(r.changed
          ? `Approved ${group} version ${version} for stage '${r.stage}' (${r.key} = ${r.value}); ${next}.`
          : `${group} version ${version} was already approved for stage '${r.stage}' (${r.key} = ${r.value}); nothing changed.`);
        return;
      }
      const r = await (await opsFor(opts)).promote(group, version);
      if (opts.json) {
        log(JSON.stringify(r, null, 2));
        return;
      }
      const superseded = r.supersedes ? `it supersedes version ${r.supersedes.version ?? r.supersedes.arn}` : 'no version was approved before';
      log(r.changed
        ? `Approved ${group} version ${r.version ?? r.arn}; ${superseded}.\n${r.deliveryStateMachineArn
          ? `Approval starts its delivery (${r.deliveryStateMachineArn}): each stage's stack is deployed with it in turn, a manual gate waiting for mlops promote ${group} --version ${r.version ?? 'N'} --stage <stage>; follow it with mlops status ${group}.`
          : 'The group has no delivery stages: the registry\'s EventBridge rule notifies the alarm topic, and an endpoint serves the registryVersion its spec pins (pin this one and deploy, or give the model delivery stages).'}`
        : `${group} version ${r.version ?? r.arn} is already Approved; nothing changed (${superseded}).`);
    });

  withAws(program.command('rollback'))
    .description('Return a delivery stage to the version it served before, through the delivery state machine (--stage; the stack stays the source of truth), or an endpoint without delivery to its previous endpoint config (out of band: say what the next deploy does)')
    .argument('<endpoint-or-group>', 'with --stage, the model package group; otherwise the endpoint name')
    .option('--stage <name>', 'roll this delivery stage back: starts the group\'s delivery state machine with the earlier version, for this stage only')
    .option('--version <n>', 'with --stage: the version to return to (default: the newest Approved version older than the one serving)')
    .option('--to <config>', 'without --stage: the endpoint config to return to (default: the one before the current)')
    .addHelpText('after', '\nExamples:\n  $ mlops rollback churn --stage prod\n  $ mlops rollback churn --stage staging --version 4\n  $ mlops rollback mlopsreferencechurn-Endpoint-56287E6A\n  $ mlops rollback my-endpoint --to my-endpoint-config-v3 --region eu-west-1')
    .action(async (name: string, opts: AwsOptions & { to?: string; stage?: string; version?: string }) => {
      if (opts.stage !== undefined) {
        if (opts.to !== undefined) throw new CommandError('--to: an endpoint config, not with --stage (use --version N)', 2);
        const r = await (await deliveryOpsFor(opts)).rollbackStage(name, opts.stage, versionOption(opts.version));
        log(`Rolling back stage '${r.stage}' of ${r.group}: ${versionText(r.from)} → ${versionText(r.to)}, through the delivery state machine (execution ${r.executionArn}).\nIt deploys the stage's stack with ${versionText(r.to)}, so the stack and the endpoint agree; follow it with mlops status ${r.group}.`
          + (r.approvedForStage ? '' : `\n${versionText(r.to)} is not approved for stage '${r.stage}': if its gate is manual, the execution waits for mlops promote ${r.group} --version ${r.to.version ?? 'N'} --stage ${r.stage}.`));
        return;
      }
      if (opts.version !== undefined) throw new CommandError('--version: only with --stage (for an endpoint, use --to <config>)', 2);
      const r = await (await opsFor(opts)).rollback(name, opts.to);
      const stack = r.stackName ? `stack ${r.stackName}` : 'the CloudFormation stack';
      log(`Rolling back ${r.endpoint}: ${r.from} → ${r.to}${r.retainedVariantProperties ? ' (keeping live instance counts and weights)' : ''}.\nSageMaker is updating it (blue/green); follow it with mlops status.`
        + `\nThis is out of band: ${stack} still names ${r.from}. CloudFormation compares templates, not the live endpoint, so a deploy that leaves this endpoint's definition unchanged does not touch it (it stays on ${r.to}, drifted); the next deploy that changes it puts it on what the stack then says. To keep the rollback, pin the earlier registryVersion in the spec and deploy, or give the model delivery stages and use mlops rollback <group> --stage <stage>.`);
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
