/**
 * `mlops cost`: the monthly estimate of a synthesized cloud assembly (lib/cost), as a table or JSON,
 * checked against a budget.
 */
import { Command } from 'commander';
import { CostAssumptions, CostEstimate, estimateCost } from '../../lib/cost';
import { readCloudAssembly } from '../../lib/governance';
import { CommandError, numberOption } from './exit';

interface CostOptions {
  cdkOut: string;
  json?: boolean;
  budget?: string;
  serverlessRequests?: string;
  serverlessDurationMs?: string;
  spotDiscount?: string;
  pipelineRuns?: string;
  storageGb?: string;
  asyncBusyFraction?: string;
}

const money = (n: number): string => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The table `mlops cost` prints. */
export function formatCost(estimate: CostEstimate, budget?: number): string {
  const range = (m: { min: number; max: number }) => (m.min === m.max ? money(m.max).padStart(25) : `${money(m.min)} - ${money(m.max)}`.padStart(25));
  const lines = [`Monthly estimate (${estimate.currency}, ${estimate.priceRegion} prices taken ${estimate.pricesTakenOn}): min scale - max scale`, ''];
  for (const s of estimate.stacks) {
    lines.push(`${s.stack}${s.model ? ` (model ${s.model})` : ''}`);
    for (const l of estimate.lines.filter((x) => x.stack === s.stack)) {
      lines.push(`  ${l.component.padEnd(20)} ${range(l.monthlyUsd)}  ${l.logicalId}: ${l.description}`);
    }
    lines.push(`  ${'stack total'.padEnd(20)} ${range(s)}`, '');
  }
  if (estimate.models.length > 0) {
    lines.push('Per model:');
    for (const m of estimate.models) lines.push(`  ${m.model.padEnd(30)} ${range(m)}`);
    lines.push('');
  }
  lines.push(`Total: ${range(estimate.total).trim()} a month`);
  if (budget !== undefined) lines.push(`Budget: ${money(budget)} a month, checked against the max-scale total (${money(estimate.total.max)}): ${estimate.total.max > budget ? 'OVER' : 'within'}`);
  lines.push('', 'Assumptions:', ...estimate.assumptions.map((a) => `  - ${a}`));
  if (estimate.warnings.length > 0) lines.push('', 'Not priced / check:', ...estimate.warnings.map((w) => `  - ${w}`));
  return lines.join('\n');
}

export function registerCost(program: Command, log: (s: string) => void): void {
  program.command('cost')
    .description('Estimate the monthly cost of a synthesized platform (per stack and per model) from cdk.out and the dated price catalog')
    .option('--cdk-out <dir>', 'the cloud assembly to read (run mlops synth first)', 'cdk.out')
    .option('--json', 'print the estimate as JSON')
    .option('--budget <usd>', 'exit 1 when the max-scale monthly total is over this many USD')
    .option('--serverless-requests <n>', 'requests a month per serverless endpoint (default 100000)')
    .option('--serverless-duration-ms <ms>', 'average serverless invocation duration (default 500)')
    .option('--spot-discount <percent>', 'managed spot training saving against on-demand (default 70)')
    .option('--pipeline-runs <n>', 'runs a month of a pipeline no schedule starts (default 1)')
    .option('--storage-gb <gb>', 'average GB held per S3 bucket (default 50)')
    .option('--async-busy-fraction <fraction>', 'share of the month an asynchronous endpoint that scales to zero has instances running, 0-1 (default 0.25)')
    .addHelpText('after', [
      '',
      'The budget is checked against the total at MAXIMUM scale (every endpoint at its autoscaling maximum):',
      'the figure the platform can reach, not the one it idles at.',
      '',
      'Examples:',
      '  $ mlops synth && mlops cost',
      '  $ mlops cost --cdk-out build/cdk.out --budget 5000',
      '  $ mlops cost --json --serverless-requests 2000000 --serverless-duration-ms 120',
    ].join('\n'))
    .action((opts: CostOptions) => {
      const budget = numberOption('--budget', opts.budget);
      const spot = numberOption('--spot-discount', opts.spotDiscount);
      if (spot !== undefined && spot > 100) throw new CommandError(`--spot-discount: expected a percentage ≤ 100, got '${opts.spotDiscount}'`, 2);
      const busy = opts.asyncBusyFraction === undefined ? undefined : Number(opts.asyncBusyFraction);
      if (busy !== undefined && (opts.asyncBusyFraction!.trim() === '' || !Number.isFinite(busy) || busy < 0 || busy > 1)) {
        throw new CommandError(`--async-busy-fraction: expected a fraction of the month from 0 to 1 (0.25: a quarter), got '${opts.asyncBusyFraction}'`, 2);
      }
      const assumptions: CostAssumptions = {
        serverlessRequestsPerMonth: numberOption('--serverless-requests', opts.serverlessRequests),
        serverlessDurationMs: numberOption('--serverless-duration-ms', opts.serverlessDurationMs),
        spotDiscountPercent: spot,
        unscheduledPipelineRunsPerMonth: numberOption('--pipeline-runs', opts.pipelineRuns),
        storageGbPerBucket: numberOption('--storage-gb', opts.storageGb),
        asyncBusyFraction: busy,
      };
      let assembly;
      try {
        assembly = readCloudAssembly(opts.cdkOut);
      } catch (e) {
        throw new CommandError((e as Error).message, 2);
      }
      const estimate = estimateCost(assembly, assumptions);
      const over = budget !== undefined && estimate.total.max > budget;
      log(opts.json ? JSON.stringify({ ...estimate, ...(budget !== undefined ? { budget: { usd: budget, checkedAgainst: 'max', over } } : {}) }, null, 2) : formatCost(estimate, budget));
      if (over) throw new CommandError(`the estimate at max scale (${money(estimate.total.max)} a month) is over the budget of ${money(budget)}`, 1);
    });
}
