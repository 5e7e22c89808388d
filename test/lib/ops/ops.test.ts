import {
  DescribeEndpointCommand, DescribeModelPackageGroupCommand, DescribePipelineExecutionCommand, ListEndpointsCommand, SageMakerClient,
  StartPipelineExecutionCommand, UpdateEndpointCommand, UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { createSageMakerClient, explain, SageMakerOps } from '../../../lib/ops';
import { awsError, denied, failure, mockEndpointHistory, mockPipelineRun, mockPlatform, mockRegistry, PIPELINE_EXECUTION, throttled } from './fixtures';

const sm = mockClient(SageMakerClient);
const retries: number[] = [];
const ops = () => new SageMakerOps(createSageMakerClient({ region: 'us-east-1', maxAttempts: 3, sleep: () => Promise.resolve(), onRetry: (n) => retries.push(n) }), { region: 'us-east-1' });

beforeEach(() => {
  sm.reset();
  retries.length = 0;
});

describe('status', () => {
  it('pages through endpoints and reports variants, last deployment and a rollback', async () => {
    mockPlatform(sm);
    const s = await ops().status();
    expect(sm.commandCalls(ListEndpointsCommand)).toHaveLength(2);
    expect(sm.commandCalls(ListEndpointsCommand)[1].args[0].input).toMatchObject({ NextToken: 'page-2' });
    expect(s.endpoints.map((e) => e.name)).toEqual(['churn', 'llm']);
    expect(s.endpoints[0]).toMatchObject({ status: 'InService', rolledBack: false, lastModified: '2026-11-20T10:00:00.000Z', variants: [{ name: 'AllTraffic', currentInstanceCount: 3, desiredInstanceCount: 4 }] });
    expect(s.endpoints[1]).toMatchObject({ rolledBack: true, failureReason: expect.stringContaining('rolled back'), rollbackAlarms: ['llm-latency'] });
  });

  it('reports the last pipeline execution, the last monitoring result and versions pending approval', async () => {
    mockPlatform(sm);
    const s = await ops().status();
    expect(s.pipelines).toEqual([{ name: 'churn-train', lastExecution: { status: 'Failed', started: '2026-11-22T02:00:00.000Z', arn: PIPELINE_EXECUTION, failureReason: 'Step Train failed' } }]);
    expect(s.monitoringSchedules[0]).toMatchObject({ name: 'churn-drift', endpoint: 'churn', lastExecution: { status: 'CompletedWithViolations' } });
    expect(s.pendingApproval).toEqual([expect.objectContaining({ group: 'churn', version: 3 })]);
  });

  it('retries a throttled call and succeeds', async () => {
    mockPlatform(sm);
    sm.on(DescribeEndpointCommand, { EndpointName: 'churn' }).rejectsOnce(throttled()).resolves({ EndpointName: 'churn', EndpointStatus: 'InService', EndpointConfigName: 'c', CreationTime: new Date(), LastModifiedTime: new Date() } as never);
    const s = await ops().status();
    expect(s.endpoints[0].status).toBe('InService');
    expect(retries).toEqual([1]);
    expect(sm.commandCalls(DescribeEndpointCommand, { EndpointName: 'churn' })).toHaveLength(2);
  });

  it('retries a throttled page of a paginated list', async () => {
    mockPlatform(sm);
    sm.on(ListEndpointsCommand).rejectsOnce(throttled()).resolves({ Endpoints: [] });
    expect((await ops().status()).endpoints).toEqual([]);
    expect(retries).toEqual([1]);
  });

  it('retries a 5xx once, and leaves the SDK middleware at one attempt so attempts do not multiply', async () => {
    mockPlatform(sm);
    sm.on(ListEndpointsCommand).rejectsOnce(awsError('ServiceUnavailable', 'Service Unavailable', 503)).resolves({ Endpoints: [] });
    const client = createSageMakerClient({ region: 'us-east-1', sleep: () => Promise.resolve() });
    expect(await client.config.maxAttempts()).toBe(1);
    expect(client.maxAttemptsPerCall).toBe(6);
    expect((await new SageMakerOps(client).status()).endpoints).toEqual([]);
    expect(sm.commandCalls(ListEndpointsCommand)).toHaveLength(2);
  });

  it('does not retry a validation error', async () => {
    sm.on(ListEndpointsCommand).rejects(awsError('ValidationException', 'bad NameContains'));
    const e = await failure(ops().status());
    expect(e.exitCode).toBe(2);
    expect(sm.commandCalls(ListEndpointsCommand)).toHaveLength(1);
  });

  it('gives up after maxAttempts of throttling with one line', async () => {
    mockPlatform(sm);
    sm.on(ListEndpointsCommand).rejects(throttled());
    const e = await failure(ops().status());
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe('throttled: sagemaker:ListEndpoints on endpoints was still throttled after 3 attempts; try again later or raise the account\'s request quota');
    expect(sm.commandCalls(ListEndpointsCommand)).toHaveLength(3);
  });

  it('names the action and the missing permission when access is denied, without retrying', async () => {
    sm.on(ListEndpointsCommand).rejects(denied('ListEndpoints'));
    const e = await failure(ops().status());
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("access denied: sagemaker:ListEndpoints on endpoints was refused for the credentials in use; it needs an IAM policy allowing 'sagemaker:ListEndpoints' in us-east-1");
    expect(retries).toEqual([]);
  });
});

describe('promote', () => {
  it('approves the latest pending version and names the one it supersedes', async () => {
    mockRegistry(sm, { 1: 'Approved', 2: 'Approved', 3: 'PendingManualApproval' });
    const r = await ops().promote('churn');
    expect(r).toMatchObject({ group: 'churn', version: 3, changed: true, supersedes: { version: 2 } });
    expect(sm.commandCalls(UpdateModelPackageCommand)[0].args[0].input).toEqual({ ModelPackageArn: expect.stringMatching(/model-package\/churn\/3$/), ModelApprovalStatus: 'Approved', ApprovalDescription: 'Approved with mlops promote' });
  });

  it('approves a given version', async () => {
    mockRegistry(sm, { 1: 'Rejected', 2: 'Approved', 3: 'PendingManualApproval' });
    const r = await ops().promote('churn', 1);
    expect(r).toMatchObject({ version: 1, supersedes: { version: 2 } });
    expect(sm.commandCalls(UpdateModelPackageCommand)[0].args[0].input.ModelPackageArn).toMatch(/churn\/1$/);
  });

  it('changes nothing for a version already approved', async () => {
    mockRegistry(sm, { 1: 'Approved', 2: 'Approved' });
    expect(await ops().promote('churn', 2)).toMatchObject({ changed: false, supersedes: { version: 1 } });
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
  });

  it('rejects a version the group does not have (exit 2), listing the versions', async () => {
    mockRegistry(sm, { 1: 'Approved' });
    const e = await failure(ops().promote('churn', 9));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("model package group 'churn' has no version 9; its versions: 1 (Approved)");
  });

  it('fails (exit 1) when nothing is pending', async () => {
    mockRegistry(sm, { 1: 'Approved' });
    const e = await failure(ops().promote('churn'));
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('nothing to promote');
  });

  it('says a group that does not exist does not exist (exit 2)', async () => {
    sm.on(DescribeModelPackageGroupCommand).rejects(awsError('ValidationException', 'ModelPackageGroup arn:aws:sagemaker:us-east-1:123456789012:model-package-group/nope does not exist.'));
    const e = await failure(ops().promote('nope'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^model package group 'nope' does not exist in us-east-1/);
  });

  it('names UpdateModelPackage when approval is denied', async () => {
    mockRegistry(sm, { 1: 'PendingManualApproval' });
    sm.on(UpdateModelPackageCommand).rejects(denied('UpdateModelPackage'));
    const e = await failure(ops().promote('churn'));
    expect(e.message).toContain("it needs an IAM policy allowing 'sagemaker:UpdateModelPackage'");
  });
});

describe('rollback', () => {
  it('returns the endpoint to the previous config of the same CloudFormation resource, keeping live instance counts', async () => {
    mockEndpointHistory(sm);
    const r = await ops().rollback('churn');
    expect(r).toEqual({ endpoint: 'churn', from: 'churn-config-new', to: 'churn-config-old', retainedVariantProperties: true, stackName: 'mlops-reference-churn' });
    expect(sm.commandCalls(UpdateEndpointCommand)[0].args[0].input).toEqual({ EndpointName: 'churn', EndpointConfigName: 'churn-config-old', RetainAllVariantProperties: true });
  });

  it('refuses when there is no previous config', async () => {
    mockEndpointHistory(sm, { withPrevious: false });
    const e = await failure(ops().rollback('churn'));
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("endpoint 'churn' has no previous endpoint config to return to (current: 'churn-config-new'");
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('refuses while the endpoint is updating', async () => {
    mockEndpointHistory(sm, { status: 'Updating' });
    const e = await failure(ops().rollback('churn'));
    expect(e.message).toContain("endpoint 'churn' is Updating");
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('says an unknown endpoint does not exist (exit 2)', async () => {
    sm.on(DescribeEndpointCommand).rejects(awsError('ValidationException', 'Could not find endpoint "nope".'));
    const e = await failure(ops().rollback('nope'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^endpoint 'nope' does not exist in us-east-1/);
  });
});

describe('run', () => {
  it('starts an execution with validated parameters and follows it to the end', async () => {
    mockPipelineRun(sm);
    const o = ops();
    const arn = await o.startRun('churn-train', { Epochs: '20' });
    expect(sm.commandCalls(StartPipelineExecutionCommand)[0].args[0].input).toMatchObject({ PipelineName: 'churn-train', PipelineParameters: [{ Name: 'Epochs', Value: '20' }], ClientRequestToken: expect.any(String) });
    const seen: string[] = [];
    const result = await o.follow(arn, { intervalMs: 0, onProgress: (p) => seen.push(`${p.status}:${p.steps.map((s) => `${s.name}=${s.status}`).join(',')}`) });
    expect(result.status).toBe('Succeeded');
    expect(seen).toEqual(['Executing:Train=Executing', 'Executing:Train=Succeeded,Register=Executing', 'Succeeded:Train=Succeeded,Register=Succeeded']);
    expect(sm.commandCalls(DescribePipelineExecutionCommand)).toHaveLength(3);
  });

  it('reports a failed execution with its reason', async () => {
    mockPipelineRun(sm, 'Failed');
    const o = ops();
    const result = await o.follow(await o.startRun('churn-train', {}), { intervalMs: 0 });
    expect(result).toMatchObject({ status: 'Failed', failureReason: 'Step Train failed', steps: [{ name: 'Train', status: 'Failed', failureReason: 'AlgorithmError: out of memory' }, { name: 'Register', status: 'Succeeded' }] });
  });

  it('rejects a parameter the pipeline does not define (exit 2) and starts nothing', async () => {
    mockPipelineRun(sm);
    const e = await failure(ops().startRun('churn-train', { Epoch: '20' }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("pipeline 'churn-train' has no parameter 'Epoch'; its parameters: Epochs, TrainType");
    expect(sm.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
  });

  it('says an unknown pipeline does not exist (exit 2)', async () => {
    sm.rejects(awsError('ResourceNotFound', 'Pipeline nope does not exist'));
    const e = await failure(ops().startRun('nope', {}));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^pipeline 'nope' does not exist/);
  });
});

describe('environment problems', () => {
  const saved = { ...process.env };
  afterEach(() => { process.env = { ...saved }; });

  it('says there is no region, in one line (exit 2)', async () => {
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    const e = await failure(new SageMakerOps(createSageMakerClient()).checkRegion());
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('no AWS region: pass --region, set AWS_REGION, or set a region in the profile');
  });

  it('says there are no credentials, in one line (exit 2)', () => {
    const e = explain(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), { action: 'ListEndpoints' });
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('no AWS credentials found: pass --profile');
  });

  it('names a profile that yields no credentials', () => {
    const e = explain(Object.assign(new Error('Could not resolve credentials using profile: [nope] in configuration/credentials file(s).'), { name: 'CredentialsProviderError' }), { action: 'ListEndpoints', profile: 'nope' });
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^no AWS credentials for profile 'nope'/);
  });

  it('names the profile whose permission is missing', () => {
    expect(explain(denied('DescribeEndpoint'), { action: 'DescribeEndpoint', subject: "endpoint 'x'", profile: 'prod' }).message)
      .toContain("sagemaker:DescribeEndpoint on endpoint 'x' was refused for profile 'prod'");
  });
});
