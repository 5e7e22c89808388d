import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT } from '../../bin/mlops';
import { runMlops } from './cli';
import { writeAssembly } from '../lib/cost/assembly';


describe('mlops cost', () => {
  let dir: string;
  let cdkOut: string;
  let asyncCdkOut: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cost-cli-'));
    cdkOut = writeAssembly(path.join(dir, 'cdk.out'), [
      { name: 'p-shared', resources: {} },
      {
        name: 'p-churn',
        resources: {
          Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }] } },
          Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'churn', EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
          Target: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { ServiceNamespace: 'sagemaker', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', ResourceId: 'endpoint/churn/variant/AllTraffic', MinCapacity: 2, MaxCapacity: 4 } },
        },
      },
    ]);
    asyncCdkOut = writeAssembly(path.join(dir, 'async.out'), [{
      name: 'p-docs',
      resources: {
        Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://out/' } }, ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] } },
        Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'docs', EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
        Target: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { ServiceNamespace: 'sagemaker', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', ResourceId: 'endpoint/docs/variant/AllTraffic', MinCapacity: 0, MaxCapacity: 2 } },
      },
    }]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints a table per stack and per model, the total at both scales and the assumptions', async () => {
    const r = await runMlops(['cost', '--cdk-out', cdkOut]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('p-churn (model churn)');
    expect(r.out).toMatch(/endpoint\s+\$167\.90 - \$335\.80\s+Endpoint: AllTraffic: 2-4 x ml\.m5\.large/);
    expect(r.out).toContain('Total: $167.90 - $335.80 a month');
    expect(r.out).toContain('Assumptions:');
    expect(r.out).toContain('taken 2026-09-27');
  });

  it('--json prints the estimate with the budget check', async () => {
    const r = await runMlops(['cost', '--cdk-out', cdkOut, '--json', '--budget', '1000']);
    expect(r.code).toBe(EXIT.ok);
    const e = JSON.parse(r.out) as { total: { min: number; max: number }; budget: { over: boolean; checkedAgainst: string } };
    expect(e.total).toEqual({ min: 167.9, max: 335.8 });
    expect(e.budget).toEqual({ usd: 1000, checkedAgainst: 'max', over: false });
  });

  it('--budget below the max-scale total exits 1 with the figures', async () => {
    const r = await runMlops(['cost', '--cdk-out', cdkOut, '--budget', '300']);
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.out).toContain('Budget: $300.00 a month, checked against the max-scale total ($335.80): OVER');
    expect(r.err).toBe('error: the estimate at max scale ($335.80 a month) is over the budget of $300.00');
  });

  it('a directory that is not a cloud assembly: one line, exit 2', async () => {
    const r = await runMlops(['cost', '--cdk-out', path.join(dir, 'nothing')]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toContain("is not a cloud assembly (no manifest.json): run 'mlops synth' first");
  });

  it('--async-busy-fraction sets the busy share of the month of an asynchronous endpoint that scales to zero', async () => {
    const total = async (...extra: string[]) => {
      const r = await runMlops(['cost', '--cdk-out', asyncCdkOut, '--json', ...extra]);
      expect(r.code).toBe(EXIT.ok);
      return JSON.parse(r.out) as { total: { min: number; max: number }; assumptions: string[] };
    };
    const quarter = await total();
    const half = await total('--async-busy-fraction', '0.5');
    expect(half.total.max).toBeGreaterThan(0);
    expect(half.total.max).toBeCloseTo(2 * quarter.total.max, 1);
    expect(half.assumptions).toContainEqual(expect.stringContaining('instances run 50% of the month (asyncBusyFraction)'));
  });

  it.each(['1.5', '-0.1', 'half', ''])('rejects --async-busy-fraction %p: exit 2, one message', async (value) => {
    const r = await runMlops(['cost', '--cdk-out', asyncCdkOut, '--async-busy-fraction', value]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe(`error: --async-busy-fraction: expected a fraction of the month from 0 to 1 (0.25: a quarter), got '${value}'`);
  });

  it.each([['--budget', 'lots'], ['--spot-discount', '120'], ['--serverless-requests', '-5']])('rejects %s %s: exit 2 naming the option', async (option, value) => {
    const r = await runMlops(['cost', '--cdk-out', cdkOut, option, value]);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toContain(`${option}: expected`);
  });
});
