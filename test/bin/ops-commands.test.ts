import { DescribePipelineExecutionCommand, ListEndpointsCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { EXIT } from '../../bin/mlops';
import { runMlops } from './cli';
import { awsError, denied, mockEndpointHistory, mockPipelineRun, mockPlatform, mockRegistry, PIPELINE_EXECUTION, throttled } from '../lib/ops/fixtures';

const sm = mockClient(SageMakerClient);


const saved = { ...process.env };
beforeEach(() => {
  sm.reset();
  process.env.AWS_REGION = 'us-east-1';
});
afterEach(() => { process.env = { ...saved }; });

describe('mlops status', () => {
  it('prints endpoints with instance counts and a rollback, pipelines, monitoring and pending versions', async () => {
    mockPlatform(sm);
    const r = await runMlops(['status']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/churn\s+InService\s+AllTraffic 3\/4 instances; config churn-config-new; last deployment 2026-11-20T10:00:00.000Z/);
    expect(r.out).toContain('ROLLED BACK: Deployment rolled back: alarm llm-latency');
    expect(r.out).toMatch(/churn-train\s+Failed\s+started 2026-11-22T02:00:00.000Z: Step Train failed/);
    expect(r.out).toMatch(/churn-drift\s+Scheduled\s+CompletedWithViolations/);
    expect(r.out).toContain('churn version 3 (registered 2026-11-22T00:00:00.000Z): mlops promote churn --version 3');
  });

  it('--json prints the status as JSON', async () => {
    mockPlatform(sm);
    const r = await runMlops(['status', '--json', '--name-contains', 'churn']);
    const status = JSON.parse(r.out) as { endpoints: { name: string }[]; pendingApproval: unknown[] };
    expect(status.endpoints.map((e) => e.name)).toEqual(['churn', 'llm']);
    expect(sm.commandCalls(ListEndpointsCommand)[0].args[0].input).toMatchObject({ NameContains: 'churn' });
  });

  it('rides out a ThrottlingException and succeeds', async () => {
    mockPlatform(sm);
    sm.on(ListEndpointsCommand).rejectsOnce(throttled()).resolves({ Endpoints: [] });
    const r = await runMlops(['status']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toBe('');
    expect(sm.commandCalls(ListEndpointsCommand)).toHaveLength(2);
  });

  it('access denied: one line naming the permission, exit 1', async () => {
    sm.on(ListEndpointsCommand).rejects(denied('ListEndpoints'));
    const r = await runMlops(['status', '--profile', 'dev']);
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.err).toBe("error: access denied: sagemaker:ListEndpoints on endpoints was refused for profile 'dev'; it needs an IAM policy allowing 'sagemaker:ListEndpoints'");
  });

  it('no region: one line, exit 2', async () => {
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    const r = await runMlops(['status']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe('error: no AWS region: pass --region, set AWS_REGION, or set a region in the profile');
    expect(sm.calls()).toHaveLength(0);
  });
});

describe('mlops promote', () => {
  it('approves the latest pending version, names the one it supersedes and says approval deploys it', async () => {
    mockRegistry(sm, { 1: 'Approved', 2: 'PendingManualApproval' });
    const r = await runMlops(['promote', 'churn', '--region', 'eu-west-1']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('Approved churn version 2; it supersedes version 1.');
    expect(r.out).toContain("Approval triggers deployment: the registry's EventBridge rule");
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(1);
  });

  it('--json prints the result', async () => {
    mockRegistry(sm, { 1: 'PendingManualApproval' });
    const r = await runMlops(['promote', 'churn', '--version', '1', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ group: 'churn', version: 1, changed: true });
  });

  it('an unknown group: one line, exit 2, no stack trace', async () => {
    sm.rejects(awsError('ValidationException', 'ModelPackageGroup nope does not exist.'));
    const r = await runMlops(['promote', 'nope']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^error: model package group 'nope' does not exist/);
  });

  it('a version that is not a whole number: exit 2', async () => {
    const r = await runMlops(['promote', 'churn', '--version', 'latest']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe("error: --version: expected a number ≥ 1, got 'latest'");
  });
});

describe('mlops rollback', () => {
  it('rolls back to the previous config and says the stack still names the old one', async () => {
    mockEndpointHistory(sm);
    const r = await runMlops(['rollback', 'churn']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('Rolling back churn: churn-config-new → churn-config-old (keeping live instance counts and weights)');
    expect(r.out).toContain('the next deploy returns to it');
  });

  it('refuses when there is no previous config: exit 1', async () => {
    mockEndpointHistory(sm, { withPrevious: false });
    const r = await runMlops(['rollback', 'churn']);
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.err).toContain('has no previous endpoint config to return to');
  });
});

describe('mlops run', () => {
  it('follows an execution to success with step progress, exit 0', async () => {
    mockPipelineRun(sm);
    const r = await runMlops(['run', 'churn-train', '--param', 'Epochs=20', '--poll-interval', '0']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out.split('\n')).toEqual([
      `Started churn-train: ${PIPELINE_EXECUTION}`,
      '  step Train: Executing',
      'churn-train: Executing',
      '  step Train: Succeeded',
      '  step Register: Executing',
      '  step Register: Succeeded',
      'churn-train: Succeeded',
    ]);
  });

  it('exits 1 when the execution fails, with the reason', async () => {
    mockPipelineRun(sm, 'Failed');
    const r = await runMlops(['run', 'churn-train', '--poll-interval', '0']);
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.out).toContain('  step Train: Failed (AlgorithmError: out of memory)');
    expect(r.err).toBe('error: churn-train failed: Step Train failed');
  });

  it('--no-wait returns after starting', async () => {
    mockPipelineRun(sm);
    const r = await runMlops(['run', 'churn-train', '--no-wait']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toBe(`Started churn-train: ${PIPELINE_EXECUTION}`);
    expect(sm.commandCalls(DescribePipelineExecutionCommand)).toHaveLength(0);
  });

  it('an unknown parameter: exit 2', async () => {
    mockPipelineRun(sm);
    const r = await runMlops(['run', 'churn-train', '--param', 'Epoch=20']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe("error: pipeline 'churn-train' has no parameter 'Epoch'; its parameters: Epochs, TrainType");
  });

  it('a parameter without a value: exit 2', async () => {
    const r = await runMlops(['run', 'churn-train', '--param', 'Epochs']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe("error: --param: expected name=value, got 'Epochs'");
  });
});

describe('help', () => {
  it.each(['status', 'promote', 'rollback', 'run', 'cost'])('%s --help shows options and examples', async (command) => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => { written.push(String(s)); return true; });
    const r = await runMlops([command, '--help']);
    spy.mockRestore();
    expect(r.code).toBe(EXIT.ok);
    expect(written.join('')).toContain('Examples:');
    expect(written.join('')).toContain(command === 'cost' ? '--budget <usd>' : '--profile <name>');
  });
});
