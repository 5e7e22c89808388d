import { DescribePipelineExecutionCommand, ListEndpointsCommand, SageMakerClient, UpdateEndpointCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { EXIT } from '../../bin/mlops';
import { runMlops } from './cli';
import { awsError, denied, mockDeliveredRegistry, mockEndpointHistory, mockPipelineRun, mockPlatform, mockRegistry, PIPELINE_EXECUTION, STATE_MACHINE, throttled } from '../lib/ops/fixtures';

const sm = mockClient(SageMakerClient);
const sfn = mockClient(SFNClient);
const PACKAGE = (v: number) => `arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/${v}`;


const saved = { ...process.env };
beforeEach(() => {
  sm.reset();
  sfn.reset();
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

describe('mlops status <group>', () => {
  it('prints which version serves in each stage and, per version, its approval, stage and stage approvals', async () => {
    mockDeliveredRegistry(sm, {
      3: { status: 'Approved', metadata: { 'cdk-mlops:stage:prod': '2026-11-20T10:00:00.000Z', 'cdk-mlops:approved:prod': 'x' } },
      4: { status: 'Approved', metadata: { 'cdk-mlops:stage:staging': '2026-11-25T10:00:00.000Z' } },
      5: { status: 'PendingManualApproval' },
    });
    const r = await runMlops(['status', 'churn']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out.split('\n')).toEqual([
      `Model package group churn: delivered by ${STATE_MACHINE}`,
      '',
      'Stages (serving version, deployed at):',
      '  prod             version 3    since 2026-11-20T10:00:00.000Z',
      '  staging          version 4    since 2026-11-25T10:00:00.000Z',
      '',
      '  version  approval               serves in                approved for',
      '  5        PendingManualApproval  -                        -',
      '  4        Approved               staging                  -',
      '  3        Approved               prod                     prod',
    ]);
  });

  it('--json prints the group status as JSON', async () => {
    mockDeliveredRegistry(sm, { 1: { status: 'Approved', metadata: { 'cdk-mlops:stage:prod': 't' } } });
    const r = await runMlops(['status', 'churn', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ group: 'churn', stages: [{ stage: 'prod', version: 1 }] });
  });

  it('an unknown group: one line, exit 2', async () => {
    sm.rejects(awsError('ValidationException', 'ModelPackageGroup nope does not exist.'));
    const r = await runMlops(['status', 'nope']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toMatch(/^error: model package group 'nope' does not exist in us-east-1/);
  });
});

describe('mlops promote', () => {
  it('approves the latest pending version, names the one it supersedes and says a group without delivery does not deploy it', async () => {
    mockRegistry(sm, { 1: 'Approved', 2: 'PendingManualApproval' });
    const r = await runMlops(['promote', 'churn', '--region', 'eu-west-1']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('Approved churn version 2; it supersedes version 1.');
    expect(r.out).toContain('The group has no delivery stages: the registry\'s EventBridge rule notifies the alarm topic, and an endpoint serves the registryVersion its spec pins');
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(1);
  });

  it('says approval starts the delivery of a group with a delivery state machine', async () => {
    mockDeliveredRegistry(sm, { 3: { status: 'Approved' }, 4: { status: 'PendingManualApproval' } });
    const r = await runMlops(['promote', 'churn', '--version', '4']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain(`Approval starts its delivery (${STATE_MACHINE})`);
    expect(sm.commandCalls(UpdateModelPackageCommand)[0].args[0].input).toMatchObject({ ModelApprovalStatus: 'Approved', ModelPackageArn: PACKAGE(4) });
  });

  it('--stage approves an Approved version for the stage: cdk-mlops:approved:<stage> on it, approval status untouched', async () => {
    mockDeliveredRegistry(sm, { 3: { status: 'Approved' }, 4: { status: 'PendingManualApproval' } });
    sm.on(UpdateModelPackageCommand).resolves({});
    const r = await runMlops(['promote', 'churn', '--version', '3', '--stage', 'prod']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/^Approved churn version 3 for stage 'prod' \(cdk-mlops:approved:prod = \d{4}-\d\d-\d\dT[\d:.]+Z by mlops promote\); the delivery waiting at stage 'prod' for this version goes on/);
    const input = sm.commandCalls(UpdateModelPackageCommand)[0].args[0].input;
    expect(Object.keys(input.CustomerMetadataProperties ?? {})).toEqual(['cdk-mlops:approved:prod']);
    expect(input.ModelApprovalStatus).toBeUndefined();
  });

  it('--stage refuses a version that is not Approved: one line, exit 2', async () => {
    mockDeliveredRegistry(sm, { 3: { status: 'Approved' }, 4: { status: 'PendingManualApproval' } });
    const r = await runMlops(['promote', 'churn', '--version', '4', '--stage', 'prod']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe("error: churn version 4 is PendingManualApproval: only an Approved version can be approved for stage 'prod'; approve it first with mlops promote churn --version 4 (which starts its delivery)");
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
  });

  it('--stage needs --version: exit 2', async () => {
    const r = await runMlops(['promote', 'churn', '--stage', 'prod']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe('error: --stage: needs --version N (the version to approve for the stage)');
  });

  it('--stage when writing the approval is denied: one line naming sagemaker:UpdateModelPackage, exit 1', async () => {
    mockDeliveredRegistry(sm, { 3: { status: 'Approved' } });
    sm.on(UpdateModelPackageCommand).rejects(denied('UpdateModelPackage'));
    const r = await runMlops(['promote', 'churn', '--version', '3', '--stage', 'prod']);
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.err).toMatch(/^error: access denied: sagemaker:UpdateModelPackage on model package '.*\/churn\/3' was refused for the credentials in use; it needs an IAM policy allowing 'sagemaker:UpdateModelPackage' in us-east-1$/);
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
    expect(r.out).toContain("This is out of band: stack mlops-reference-churn still names churn-config-new. CloudFormation compares templates, not the live endpoint, so a deploy that leaves this endpoint's definition unchanged does not touch it (it stays on churn-config-old, drifted); the next deploy that changes it puts it on what the stack then says.");
  });

  it('--stage rolls a delivery stage back through its state machine, not the endpoint', async () => {
    mockDeliveredRegistry(sm, { 2: { status: 'Approved', metadata: { 'cdk-mlops:approved:prod': 't' } }, 3: { status: 'Approved', metadata: { 'cdk-mlops:stage:prod': '2026-11-20T10:00:00.000Z' } } });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:mlops-reference-churn-delivery:r1', startDate: new Date() });
    const r = await runMlops(['rollback', 'churn', '--stage', 'prod']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toBe("Rolling back stage 'prod' of churn: version 3 → version 2, through the delivery state machine (execution arn:aws:states:eu-west-1:123456789012:execution:mlops-reference-churn-delivery:r1).\nIt deploys the stage's stack with version 2, so the stack and the endpoint agree; follow it with mlops status churn.");
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toEqual({ modelPackageArn: PACKAGE(2), stages: ['prod'] });
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('--stage when StartExecution is denied: one line naming states:StartExecution, exit 1', async () => {
    mockDeliveredRegistry(sm, { 2: { status: 'Approved' }, 3: { status: 'Approved', metadata: { 'cdk-mlops:stage:prod': 't' } } });
    sfn.on(StartExecutionCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    const r = await runMlops(['rollback', 'churn', '--stage', 'prod', '--profile', 'dev']);
    expect(r.code).toBe(EXIT.checkFailed);
    expect(r.err).toBe(`error: access denied: states:StartExecution on state machine '${STATE_MACHINE}' was refused for profile 'dev'; it needs an IAM policy allowing 'states:StartExecution' in eu-west-1`);
  });

  it('--stage of an unknown version: exit 2', async () => {
    mockDeliveredRegistry(sm, { 3: { status: 'Approved', metadata: { 'cdk-mlops:stage:prod': 't' } } });
    const r = await runMlops(['rollback', 'churn', '--stage', 'prod', '--version', '7']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toBe("error: model package group 'churn' has no version 7; its versions: 3 (Approved)");
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
