import { DescribeModelPackageCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { createSageMakerClient, createSfnClient, DeliveryOps } from '../../../lib/ops';
import { approvedForStageKey, DELIVERY_TAG, servingInStageKey } from '../../../lib/spec/delivery-contract';
import { awsError, denied, failure, mockDeliveredRegistry, STATE_MACHINE, throttled } from './fixtures';

const sm = mockClient(SageMakerClient);
const sfn = mockClient(SFNClient);
const retries: string[] = [];
const sfnRegions: string[] = [];
const NOW = new Date('2026-12-02T00:30:00.000Z');
const PACKAGE = (v: number) => `arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/${v}`;

const ops = (profile?: string) => new DeliveryOps(
  createSageMakerClient({ region: 'us-east-1', maxAttempts: 3, sleep: () => Promise.resolve(), onRetry: (n) => retries.push(`sagemaker ${n}`) }),
  {
    region: 'us-east-1', ...(profile ? { profile } : {}), now: () => NOW,
    sfnClient: (region) => {
      sfnRegions.push(region);
      return createSfnClient({ region, maxAttempts: 3, sleep: () => Promise.resolve(), onRetry: (n) => retries.push(`states ${n}`) });
    },
  },
);

/** Version 5 pending, 4 serving in staging (approved for it), 3 serving in prod (approved for prod), 2 rejected, 1 approved. */
function delivered(options: { delivery?: boolean } = {}): void {
  mockDeliveredRegistry(sm, {
    1: { status: 'Approved', metadata: { [approvedForStageKey('prod')]: '2026-11-01T00:00:00.000Z by mlops promote' } },
    2: { status: 'Rejected' },
    3: { status: 'Approved', metadata: { [servingInStageKey('prod')]: '2026-11-20T10:00:00.000Z', [approvedForStageKey('prod')]: '2026-11-20T09:00:00.000Z by mlops promote', 'team:owner': 'ml' } },
    4: { status: 'Approved', metadata: { [servingInStageKey('staging')]: '2026-11-25T10:00:00.000Z' } },
    5: { status: 'PendingManualApproval' },
  }, options);
}

beforeEach(() => {
  sm.reset();
  sfn.reset();
  retries.length = 0;
  sfnRegions.length = 0;
});

describe('the delivery contract', () => {
  it('names the tag and the customer metadata keys the state machine shares', () => {
    expect([DELIVERY_TAG, approvedForStageKey('prod'), servingInStageKey('prod')]).toEqual(['cdk-mlops:delivery', 'cdk-mlops:approved:prod', 'cdk-mlops:stage:prod']);
  });
});

describe('group status', () => {
  it('lists every version with its approval, the stage it serves in and the stages it is approved for', async () => {
    delivered();
    const s = await ops().groupStatus('churn');
    expect(s.deliveryStateMachineArn).toBe(STATE_MACHINE);
    expect(s.versions.map((v) => [v.version, v.approvalStatus, v.servingIn.map((m) => m.stage), v.approvedFor.map((m) => m.stage)])).toEqual([
      [5, 'PendingManualApproval', [], []],
      [4, 'Approved', ['staging'], []],
      [3, 'Approved', ['prod'], ['prod']],
      [2, 'Rejected', [], []],
      [1, 'Approved', [], ['prod']],
    ]);
    expect(s.stages).toEqual([
      { stage: 'prod', version: 3, arn: PACKAGE(3), since: '2026-11-20T10:00:00.000Z' },
      { stage: 'staging', version: 4, arn: PACKAGE(4), since: '2026-11-25T10:00:00.000Z' },
    ]);
  });

  it('says a group without the delivery tag has no delivery', async () => {
    delivered({ delivery: false });
    expect((await ops().groupStatus('churn')).deliveryStateMachineArn).toBeUndefined();
  });

  it('rides out throttling of DescribeModelPackage', async () => {
    delivered();
    sm.on(DescribeModelPackageCommand, { ModelPackageName: PACKAGE(4) }).rejectsOnce(throttled()).resolves({ ModelPackageArn: PACKAGE(4), CustomerMetadataProperties: { [servingInStageKey('staging')]: 't' } });
    const s = await ops().groupStatus('churn');
    expect(s.stages.map((x) => x.stage)).toContain('staging');
    expect(retries).toEqual(['sagemaker 1']);
  });

  it('says a group that does not exist does not exist (exit 2)', async () => {
    sm.onAnyCommand().rejects(awsError('ValidationException', 'ModelPackageGroup churn does not exist.'));
    const e = await failure(ops().groupStatus('churn'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("model package group 'churn' does not exist in us-east-1 (sagemaker:DescribeModelPackageGroup: ModelPackageGroup churn does not exist.)");
  });
});

describe('approve for a stage', () => {
  it('sets cdk-mlops:approved:<stage> on an Approved version, with when and by whom', async () => {
    delivered();
    sm.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: PACKAGE(4) });
    const r = await ops('release-manager').approveForStage('churn', 4, 'prod');
    expect(r).toMatchObject({ version: 4, stage: 'prod', key: 'cdk-mlops:approved:prod', changed: true, deliveryStateMachineArn: STATE_MACHINE });
    const calls = sm.commandCalls(UpdateModelPackageCommand);
    expect(calls).toHaveLength(1);
    // Only the key: approval status and other metadata untouched (UpdateModelPackage adds to the map).
    expect(calls[0].args[0].input).toEqual({ ModelPackageArn: PACKAGE(4), CustomerMetadataProperties: { 'cdk-mlops:approved:prod': '2026-12-02T00:30:00.000Z by mlops promote profile release-manager' } });
  });

  it('writes a value SageMaker accepts: characters it refuses are replaced, 256 characters at most', async () => {
    delivered();
    sm.on(UpdateModelPackageCommand).resolves({});
    const r = await ops(`o'brien(${'x'.repeat(300)})`).approveForStage('churn', 4, 'prod');
    expect(r.value).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u);
    expect(r.value).toContain("o_brien_xxx");
  });

  it('refuses a version that is not Approved (exit 2) and writes nothing', async () => {
    delivered();
    const e = await failure(ops().approveForStage('churn', 5, 'prod'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("churn version 5 is PendingManualApproval: only an Approved version can be approved for stage 'prod'; approve it first with mlops promote churn --version 5 (which starts its delivery)");
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
  });

  it('changes nothing for a version approved for the stage already', async () => {
    delivered();
    const r = await ops().approveForStage('churn', 3, 'prod');
    expect(r).toMatchObject({ changed: false, value: '2026-11-20T09:00:00.000Z by mlops promote' });
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
  });

  it('rejects a version the group does not have (exit 2), listing the versions', async () => {
    delivered();
    const e = await failure(ops().approveForStage('churn', 9, 'prod'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("model package group 'churn' has no version 9; its versions: 5 (PendingManualApproval), 4 (Approved), 3 (Approved), 2 (Rejected), 1 (Approved)");
  });

  it('rejects a stage name that cannot be a metadata key (exit 2) before any call', async () => {
    const e = await failure(ops().approveForStage('churn', 4, 'prod (eu)'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^--stage: expected a stage name of letters, digits and _ \. : \/ = \+ - @ \(at most 109 characters\), got 'prod \(eu\)'$/);
    expect(sm.calls()).toHaveLength(0);
  });

  it('names sagemaker:UpdateModelPackage when writing the approval is denied (exit 1)', async () => {
    delivered();
    sm.on(UpdateModelPackageCommand).rejects(denied('UpdateModelPackage'));
    const e = await failure(ops().approveForStage('churn', 4, 'prod'));
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(`access denied: sagemaker:UpdateModelPackage on model package '${PACKAGE(4)}' was refused for the credentials in use; it needs an IAM policy allowing 'sagemaker:UpdateModelPackage' in us-east-1`);
  });
});

describe('roll a stage back through the delivery state machine', () => {
  it('starts the state machine, in its region, with the version that served before, for that stage only', async () => {
    delivered();
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:rollback`, startDate: NOW });
    const r = await ops().rollbackStage('churn', 'prod');
    expect(r).toMatchObject({ stage: 'prod', from: { version: 3 }, to: { version: 1, arn: PACKAGE(1) }, approvedForStage: true, stateMachineArn: STATE_MACHINE });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.stateMachineArn).toBe(STATE_MACHINE);
    expect(JSON.parse(input.input!)).toEqual({ modelPackageArn: PACKAGE(1), stages: ['prod'] });
    // Execution names: 1-80 characters of letters, digits, - and _.
    expect(input.name).toMatch(/^rollback-prod-v1-[0-9a-f]{8}$/);
    expect(sfnRegions).toEqual(['eu-west-1']);
    // Nothing changes the endpoint out of band.
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
  });

  it('returns to a given Approved version, and says when it lacks the stage approval a manual gate waits for', async () => {
    delivered();
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:x:y', startDate: NOW });
    const r = await ops().rollbackStage('churn', 'staging', 1);
    expect(r).toMatchObject({ from: { version: 4 }, to: { version: 1 }, approvedForStage: false });
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toEqual({ modelPackageArn: PACKAGE(1), stages: ['staging'] });
  });

  it('refuses a version that is not Approved, or the one serving (exit 2)', async () => {
    delivered();
    expect((await failure(ops().rollbackStage('churn', 'prod', 2))).message).toBe('churn version 2 is Rejected: delivery deploys only Approved versions');
    expect((await failure(ops().rollbackStage('churn', 'prod', 3))).message).toBe("churn version 3 already serves in stage 'prod'");
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses a stage nothing serves in (exit 1)', async () => {
    delivered();
    const e = await failure(ops().rollbackStage('churn', 'canary'));
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe("no version of 'churn' serves in stage 'canary' (no Approved version carries 'cdk-mlops:stage:canary'): there is nothing to roll back");
  });

  it('refuses when no Approved version is older than the serving one (exit 1)', async () => {
    mockDeliveredRegistry(sm, { 1: { status: 'Approved', metadata: { [servingInStageKey('prod')]: 't' } }, 2: { status: 'PendingManualApproval' } });
    const e = await failure(ops().rollbackStage('churn', 'prod'));
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe("churn has no Approved version older than version 1 (serving in stage 'prod') to return to; pass --version N");
  });

  it('refuses a group without delivery (exit 2), pointing to the endpoint rollback', async () => {
    delivered({ delivery: false });
    const e = await failure(ops().rollbackStage('churn', 'prod'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^model package group 'churn' has no delivery state machine \(no 'cdk-mlops:delivery' tag\)/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('retries a throttled StartExecution with the same policy and succeeds', async () => {
    delivered();
    sfn.on(StartExecutionCommand).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded')).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:x:y', startDate: NOW });
    await ops().rollbackStage('churn', 'prod');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
    expect(retries).toEqual(['states 1']);
  });

  it('gives up after every attempt of throttling with one line naming states:StartExecution (exit 1)', async () => {
    delivered();
    sfn.on(StartExecutionCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const e = await failure(ops().rollbackStage('churn', 'prod'));
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(`throttled: states:StartExecution on state machine '${STATE_MACHINE}' was still throttled after 3 attempts; try again later or raise the account's request quota`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(3);
  });

  it('names states:StartExecution and the state machine\'s region when access is denied (exit 1), without retrying', async () => {
    delivered();
    sfn.on(StartExecutionCommand).rejects(awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: states:StartExecution'));
    const e = await failure(ops('dev').rollbackStage('churn', 'prod'));
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(`access denied: states:StartExecution on state machine '${STATE_MACHINE}' was refused for profile 'dev'; it needs an IAM policy allowing 'states:StartExecution' in eu-west-1`);
    expect(retries).toEqual([]);
  });

  it('says a state machine that does not exist does not exist (exit 2)', async () => {
    delivered();
    sfn.on(StartExecutionCommand).rejects(awsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${STATE_MACHINE}'`));
    const e = await failure(ops().rollbackStage('churn', 'prod'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^state machine '.*' does not exist in eu-west-1 \(states:StartExecution: /);
  });
});
