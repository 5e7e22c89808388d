/**
 * Delivery on the reference platform: an Approved state change starts the model's state machine,
 * which deploys the version to staging and, behind the prod gate and bake, to prod (another account)
 * through CloudFormation; the stage stacks hold no endpoint until the first delivery; the registry's
 * group, bucket and key grant each stage account what its endpoint reads, and no more.
 */
import { App } from 'aws-cdk-lib';
import { ENV, IamWorld } from './iam-paths';
import { FlowReader } from './runtime-flows';
import { Definition, reachable } from './state-machine';
import { approvedForStageKey, DELIVERY_RENDERING, DELIVERY_TAG, DERIVED_NAMES, parsePlatformSpec, PlatformSpecInput } from '../../../lib/spec';
import { AwsPlatform, STAGE_IMAGE_PULL_WARNING, STAGE_MONITOR_DATA_WARNING } from '../../../stacks/aws/platform';
import { referencePlatform } from '../../../stacks/reference-platform';

const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true, '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, '@aws-cdk/core:defaultCrossStackReferences': 'strong' };
const STAGING = '222233334444';
const PROD = '555566667777';
const MODEL_STACK = 'mlops-reference-support-assistant';
const PROD_STACK = 'mlops-reference-support-assistant-prod';
const STAGING_STACK = 'mlops-reference-support-assistant-staging';
const PACKAGE = `arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-package/support-assistant/7`;


/** A real "SageMaker Model Package State Change" event (the shape of AWS's documented sample). */
function stateChange(status: string): Record<string, unknown> {
  return {
    version: '0', id: 'b0d4a3ef-7c0d-2e4b-9d3c-0e1c4ec0f4c1', 'detail-type': 'SageMaker Model Package State Change', source: 'aws.sagemaker',
    account: ENV.account, time: '2026-12-01T17:00:14Z', region: ENV.region, resources: [PACKAGE],
    detail: {
      ModelPackageGroupName: 'support-assistant', ModelPackageVersion: 7, ModelPackageArn: PACKAGE, ModelPackageName: 'support-assistant',
      CreationTime: 1764608411437, ModelPackageStatus: 'Completed', ModelApprovalStatus: status,
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] }, CertifyForMarketplace: false,
    },
  };
}

/** EventBridge's matching for the patterns we write: every pattern field's list holds the event's value; objects match field by field. */
function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([k, p]) => (Array.isArray(p) ? p.includes(event[k]) : typeof event[k] === 'object' && event[k] !== null && matches(p as Record<string, unknown>, event[k] as Record<string, unknown>)));
}

/** EventBridge's input transformer: the paths of InputPathsMap substituted into InputTemplate. */
function transform(t: { InputPathsMap: Record<string, string>; InputTemplate: string }, event: Record<string, unknown>): unknown {
  const text = t.InputTemplate.replace(/<([\w-]+)>/g, (_, name: string) => {
    const value = t.InputPathsMap[name].replace(/^\$\./, '').split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], event);
    return JSON.stringify(value);
  });
  return JSON.parse(text);
}

describe('delivery of the reference platform', () => {
  let world: IamWorld;
  let platform: AwsPlatform;
  let definition: Definition;
  let delivered: IamWorld;
  beforeAll(() => {
    const app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
    platform = new AwsPlatform(app, 'Platform', { spec: referencePlatform });
    world = IamWorld.fromApp(app);
    const machine = world.resolver.resourcesOfType('AWS::StepFunctions::StateMachine').find((m) => m.stackName === MODEL_STACK)!;
    definition = JSON.parse(machine.properties.DefinitionString as string) as Definition;
    // The same templates once version 7 was delivered to both stages.
    const parameters = { [DELIVERY_RENDERING.parameterName]: PACKAGE };
    delivered = IamWorld.fromApp(app, ENV, {}, { [PROD_STACK]: parameters, [STAGING_STACK]: parameters });
  });

  it('renders a stack per stage in its account, and the state machine in the registry account', () => {
    expect(platform.stages.get('support-assistant')!.map((s) => [s.stackName, s.account])).toEqual([[STAGING_STACK, STAGING], [PROD_STACK, PROD]]);
    expect(platform.models.get('support-assistant')!.endpoint).toBeUndefined();
    const machine = world.resolver.resourcesOfType('AWS::StepFunctions::StateMachine').find((m) => m.stackName === MODEL_STACK)!;
    expect(machine.properties.StateMachineName).toBe(DERIVED_NAMES.delivery.of('mlops-reference', 'support-assistant'));
    expect(machine.properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
  });

  it('tags the model package group with the ARN of its state machine', () => {
    const group = world.resolver.resourcesOfType('AWS::SageMaker::ModelPackageGroup').find((g) => g.stackName === MODEL_STACK)!;
    expect(group.properties.Tags).toContainEqual({ Key: DELIVERY_TAG, Value: `arn:aws:states:${ENV.region}:${ENV.account}:stateMachine:mlops-reference-support-assistant-delivery` });
  });

  it('starts the state machine with { modelPackageArn } on an Approved state change, and not on Pending or Rejected', () => {
    const rule = world.resolver.resourcesOfType('AWS::Events::Rule').find((r) => r.stackName === MODEL_STACK && (r.properties.Targets as { Arn: string }[])?.[0]?.Arn.includes(':stateMachine:'))!;
    const pattern = rule.properties.EventPattern as Record<string, unknown>;
    expect(matches(pattern, stateChange('Approved'))).toBe(true);
    expect(matches(pattern, stateChange('PendingManualApproval'))).toBe(false);
    expect(matches(pattern, stateChange('Rejected'))).toBe(false);
    expect(matches(pattern, { ...stateChange('Approved'), detail: { ...(stateChange('Approved').detail as object), ModelPackageGroupName: 'churn' } })).toBe(false);
    const target = (rule.properties.Targets as { Arn: string; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[])[0];
    expect(target.Arn).toBe(`arn:aws:states:${ENV.region}:${ENV.account}:stateMachine:mlops-reference-support-assistant-delivery`);
    expect(transform(target.InputTransformer, stateChange('Approved'))).toEqual({ modelPackageArn: PACKAGE });
  });

  it('deploys to prod only through the prod gate, after staging, with the previous template, the new package and the prod deploy role', () => {
    expect(definition.QueryLanguage).toBe('JSONata');
    const all = reachable(definition, definition.StartAt);
    expect(all).toContain('prod-Deploy');
    // Cut the gate's "promoted" transition: prod's UpdateStack is no longer reachable.
    const promoted = definition.States['prod-Promoted'];
    expect(promoted.Choices![0].Condition).toContain(approvedForStageKey('prod'));
    const gated = reachable(definition, definition.StartAt, (state, next) => state === 'prod-Promoted' && next === promoted.Choices![0].Next);
    expect(gated).not.toContain('prod-Deploy');
    expect(gated).toContain('staging-Deploy');
    // Staging has no gate: its deploy follows its selection directly.
    expect(all).not.toContain('staging-Gate');
    const deploy = definition.States['prod-Deploy'];
    expect(deploy.Resource).toBe('arn:aws:states:::aws-sdk:cloudformation:updateStack');
    expect(deploy.Credentials).toEqual({ RoleArn: `arn:aws:iam::${PROD}:role/mlops-reference-support-assistant-prod-deploy` });
    expect(deploy.Arguments).toMatchObject({ StackName: PROD_STACK, UsePreviousTemplate: true, RoleARN: `arn:aws:iam::${PROD}:role/cdk-hnb659fds-cfn-exec-role-${PROD}-${ENV.region}`, Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] });
    expect(deploy.Arguments!.Parameters).toContain(`'${DELIVERY_RENDERING.parameterName}' ? { 'ParameterKey': $p.ParameterKey, 'ParameterValue': $packageArn } : { 'ParameterKey': $p.ParameterKey, 'UsePreviousValue': true }`);
    // Staging is marked as served before prod is considered.
    expect(reachable(definition, 'staging-Mark')).toContain('prod-Selected');
    // Prod bakes an hour, then reads its stack's alarms.
    expect(definition.States['prod-Bake']).toMatchObject({ Type: 'Wait', Seconds: 3600, Next: 'prod-Alarms' });
    expect(definition.States['prod-Alarms'].Arguments).toEqual({ AlarmNamePrefix: `${PROD_STACK}-`, StateValue: 'ALARM' });
  });

  it('tells the alarm topic and stops when a stage fails: a failed stack update, alarms after the bake, a gate timeout, an API error', () => {
    const topic = world.resolver.resolveString('mlops-reference-shared', { Ref: world.logicalId('mlops-reference-shared', 'AWS::SNS::Topic', 'AlarmTopic') });
    const failed = definition.States['prod-Failed'];
    expect(failed).toMatchObject({ Resource: 'arn:aws:states:::sns:publish', Arguments: { TopicArn: topic } });
    expect(definition.States[failed.Next!].Type).toBe('Fail');
    expect(definition.States['prod-Deployed'].Default).toBe('prod-Failed');
    expect(definition.States['prod-Quiet'].Default).toBe('prod-Failed');
    expect(definition.States['prod-Promoted'].Choices![1]).toEqual({ Condition: expect.stringMatching(/\$polls >= 672/), Next: 'prod-Failed', Output: expect.anything() });
    expect(definition.States['prod-Deploy'].Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'prod-Failed' })]);
  });

  it('starts no second delivery for a metadata change of a version being delivered, unless the input names stages (a rollback)', () => {
    const choice = definition.States.NewDelivery;
    expect(choice.Choices![0]).toEqual({ Condition: `{% $not($exists($only)) and $exists($states.input.CustomerMetadataProperties.'${DELIVERY_RENDERING.startedKey}') %}`, Next: 'AlreadyDelivering' });
    expect(definition.States.AlreadyDelivering.Type).toBe('Succeed');
    expect(definition.States['prod-Selected'].Choices![0].Condition).toBe("{% $not($exists($only)) or 'prod' in $only %}");
  });

  it('creates no endpoint on the first deploy, before any version is approved, and nothing left references what is not created', () => {
    for (const stackName of [STAGING_STACK, PROD_STACK]) {
      const template = world.resolver.template(stackName);
      expect((template.Parameters as Record<string, unknown>)[DELIVERY_RENDERING.parameterName]).toMatchObject({ Type: 'String', Default: DELIVERY_RENDERING.noPackage });
      for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint', 'AWS::CloudWatch::Alarm']) {
        expect(world.resolver.resourcesOfType(type).filter((r) => r.stackName === stackName)).toEqual([]);
        expect(delivered.resolver.resourcesOfType(type).filter((r) => r.stackName === stackName).length).toBeGreaterThan(0);
      }
      // CloudFormation refuses a created resource that references one its condition leaves out.
      const resources = template.Resources!;
      const conditioned = new Set(Object.entries(resources).filter(([, r]) => r.Condition).map(([id]) => id));
      expect(conditioned.size).toBeGreaterThan(10);
      const refs = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(refs) : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => (k === 'Ref' ? [x as string] : k === 'Fn::GetAtt' ? [(x as string[])[0]] : refs(x))) : []);
      const dangling = Object.entries(resources).filter(([id]) => !conditioned.has(id)).flatMap(([id, r]) => [...refs(r.Properties), ...[r.DependsOn ?? []].flat()].filter((t) => conditioned.has(t as string)).map((t) => `${id} → ${t as string}`));
      expect(dangling).toEqual([]);
    }
  });

  it("lets each stage's endpoint role describe the delivered package, read its artifact, decrypt it and pull its image, across accounts", async () => {
    const flows = new FlowReader(delivered).endpoints().filter((f) => f.name.startsWith(`${MODEL_STACK}-`));
    expect(flows.map((f) => f.requests[0].principal.split(':')[4])).toEqual([PROD, STAGING]);
    for (const flow of flows) expect(await delivered.evaluateAll(flow.requests)).toBe('Allowed');
  });

  it('grants only the stage accounts, only the group, the prefix and decryption through S3', async () => {
    const reader = new FlowReader(delivered);
    const { modelObject, key } = reader.registeredBy(PACKAGE);
    const stranger = 'arn:aws:iam::999988887777:role/anyone';
    const everything = [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sagemaker:DescribeModelPackage', 's3:GetObject', 'kms:Decrypt'], Resource: '*' }] } }];
    const results = [];
    for (const r of [{ principal: stranger, action: 'sagemaker:DescribeModelPackage', resource: PACKAGE }, ...reader.read(stranger, modelObject, key)]) results.push((await delivered.evaluateWith(everything, r)).result);
    expect(results).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']);
    // The prod role reads the support assistant's artifacts, not the churn model's.
    const prodRole = delivered.roleArn(PROD_STACK, 'EndpointExecutionRole');
    const churn = reader.registeredBy(`arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-package/churn/1`);
    expect((await delivered.evaluate({ principal: prodRole, action: 's3:GetObject', resource: churn.modelObject, context: { 's3:ResourceAccount': ENV.account } })).result).toBe('ImplicitlyDenied');
  });

  it('lets the state machine assume exactly the deploy role of each stage, which may update that stack only', async () => {
    const machineRole = world.roleArn(MODEL_STACK, 'DeliveryRole');
    for (const [account, stack] of [[STAGING, STAGING_STACK], [PROD, PROD_STACK]]) {
      const deployRole = `arn:aws:iam::${account}:role/${stack}-deploy`;
      expect(await world.evaluate({ principal: machineRole, action: 'sts:AssumeRole', resource: deployRole })).toEqual({ result: 'Allowed' });
      const sameAccountOther = `arn:aws:iam::${ENV.account}:role/other`;
      expect((await world.evaluateWith([{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }], { principal: sameAccountOther, action: 'sts:AssumeRole', resource: deployRole })).result).toBe('ImplicitlyDenied');
      const update = { principal: deployRole, action: 'cloudformation:UpdateStack', context: { 'cloudformation:RoleArn': `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${ENV.region}` } };
      expect(await world.evaluate({ ...update, resource: `arn:aws:cloudformation:${ENV.region}:${account}:stack/${stack}/0a1b2c3d` })).toEqual({ result: 'Allowed' });
      expect((await world.evaluate({ ...update, resource: `arn:aws:cloudformation:${ENV.region}:${account}:stack/mlops-reference-prod-shared/0a1b2c3d` })).result).toBe('ImplicitlyDenied');
    }
  });
});

describe('delivery in the spec', () => {
  const base: PlatformSpecInput = { ...referencePlatform };
  const synth = (spec: PlatformSpecInput) => new AwsPlatform(new App(), 'Platform', { spec });

  it('refuses a delivery section without a model that follows the registry, naming the field', () => {
    const spec = { ...base, models: base.models.map((m) => (m.name === 'support-assistant' ? { ...m, source: { registryVersion: 1 } } : m)) };
    expect(() => synth(spec)).toThrow(/delivery: delivers no model: no model's source follows the registry \(got a delivery section, expected a model with source \{ registryVersion: 'latest-approved' \}/);
  });

  it("refuses a stage in a region on a platform whose region is unknown (cross-region or not cannot be told), and repeated stage names", () => {
    const spec = { ...base, aws: { account: ENV.account }, delivery: { stages: [{ name: 'staging', account: STAGING }, { name: 'staging', account: PROD, region: 'eu-west-1' }] } };
    expect(() => synth(spec)).toThrow(/delivery\.stages\[1\]\.name: repeats the name of delivery\.stages\[0\][\s\S]*delivery\.stages\[1\]\.region: is another region, but the platform's is not known/);
    // With the platform's region known, a stage in another region is delivered (test/stacks/aws/cross-region-delivery.test.ts).
    expect(() => synth({ ...base, delivery: { stages: [{ name: 'staging', account: STAGING }, { name: 'prod', account: PROD, region: 'eu-west-1' }] } })).not.toThrow();
  });

  it("refuses 'latest-approved' without a registry, and a stage account on a platform whose account is unknown", () => {
    const spec = { ...base, aws: { region: 'us-east-1' }, models: base.models.map((m) => (m.name === 'ticket-router' ? { ...m, source: { registryVersion: 'latest-approved' as const } } : m)) };
    expect(() => synth(spec)).toThrow(/delivery\.stages\[0\]\.account: is another account, but the platform's is not known[\s\S]*models\[2\]\.source: deploys from a registry but the model has none/);
  });

  it("warns, per stage in another account, that the registry account's private image repository must let that account pull, with the statement to add", () => {
    const withImage = (image: string) => ({ ...base, models: base.models.map((m) => (m.name === 'support-assistant' ? { ...m, pipeline: { ...m.pipeline!, register: { ...m.pipeline!.register, image } } } : m)) });
    // Annotations are the constructs' metadata: read without synthesizing.
    const warnings = (p: AwsPlatform) => p.stages.get('support-assistant')!.map((st) => st.endpoint.node.metadata.filter((m) => m.type === 'aws:cdk:warning' && String(m.data).includes(STAGE_IMAGE_PULL_WARNING)).map((m) => String(m.data)));
    const [staging, prod] = warnings(synth(withImage('111122223333.dkr.ecr.us-east-1.amazonaws.com/support-assistant-tgi:2.4.0')));
    expect(staging).toEqual([expect.stringContaining(`Model 'support-assistant' in stage 'staging' (account ${STAGING}) serves image 111122223333.dkr.ecr.us-east-1.amazonaws.com/support-assistant-tgi:2.4.0, from the private ECR repository 'support-assistant-tgi' of account 111122223333 (us-east-1)`)]);
    expect(staging[0]).toContain(`{"Sid":"PullFromstaging${STAGING}","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${STAGING}:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`);
    expect(prod).toEqual([expect.stringContaining(`"Principal":{"AWS":"arn:aws:iam::${PROD}:root"}`)]);
    // An image in the stage's own account, and AWS's Deep Learning Containers (the reference), need no grant.
    expect(warnings(synth(withImage(`${PROD}.dkr.ecr.us-east-1.amazonaws.com/support-assistant-tgi:2.4.0`))).map((w) => w.length)).toEqual([1, 0]);
    expect(warnings(synth(base)).map((w) => w.length)).toEqual([0, 0]);
  });

  it('delivers through one implicit stage (the platform account, auto, no bake) without a delivery section', () => {
    const p = synth({ ...base, delivery: undefined });
    const [stage] = p.stages.get('support-assistant')!;
    expect([stage.stackName, stage.stage]).toEqual(['mlops-reference-support-assistant-default', { name: 'default', account: '111122223333', region: 'us-east-1', approval: 'auto', bakeMinutes: 0 }]);
    expect(p.stageEnvironments.size).toBe(0);
  });
});

describe('drift monitors of a delivered model', () => {
  const BASELINES = 's3://mlops-reference-baselines-us-east-1/support-assistant';
  const drift = { dataQuality: { baseline: { constraintsUri: `${BASELINES}/constraints.json`, statisticsUri: `${BASELINES}/statistics.json` }, alarmFeatures: ['prompt_length'] } };
  const withDrift = (d: unknown): PlatformSpecInput => ({ ...referencePlatform, models: referencePlatform.models.map((m) => (m.name === 'support-assistant' ? { ...m, drift: d } : m)) as PlatformSpecInput['models'] });
  /** The statement the stage warning tells the baseline bucket's owner to add, for both stage accounts. */
  const baselineBucketPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${STAGING}:root`, `arn:aws:iam::${PROD}:root`] }, Action: 's3:GetObject', Resource: [`arn:aws:s3:::mlops-reference-baselines-us-east-1/support-assistant/constraints.json`, `arn:aws:s3:::mlops-reference-baselines-us-east-1/support-assistant/statistics.json`] }] };
  let platform: AwsPlatform;
  let world: IamWorld;
  let delivered: IamWorld;
  let granted: IamWorld;

  beforeAll(() => {
    const app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
    platform = new AwsPlatform(app, 'Platform', { spec: withDrift(drift) });
    world = IamWorld.fromApp(app);
    const parameters = { [DELIVERY_RENDERING.parameterName]: PACKAGE };
    delivered = IamWorld.fromApp(app, ENV, {}, { [PROD_STACK]: parameters, [STAGING_STACK]: parameters });
    granted = IamWorld.fromApp(app, ENV, { 'arn:aws:s3:::mlops-reference-baselines-us-east-1': baselineBucketPolicy }, { [PROD_STACK]: parameters, [STAGING_STACK]: parameters });
  });

  it("schedules the monitor on each stage's endpoint once a version is delivered there, and nothing before", () => {
    const schedules = (w: IamWorld) => w.resolver.resourcesOfType('AWS::SageMaker::MonitoringSchedule').filter((r) => r.stackName.startsWith(`${MODEL_STACK}-`)).map((r) => [r.stackName, r.properties.EndpointName]);
    expect(schedules(world)).toEqual([]);
    expect(schedules(delivered)).toEqual([
      [STAGING_STACK, platform.stages.get('support-assistant')![0].endpoint.endpointName],
      [PROD_STACK, platform.stages.get('support-assistant')![1].endpoint.endpointName],
    ].sort());
    expect(platform.models.get('support-assistant')!.driftMonitor).toBeUndefined();
    // CloudFormation refuses a created resource (or an output) that references one its condition leaves out.
    for (const stackName of [STAGING_STACK, PROD_STACK]) {
      const template = world.resolver.template(stackName);
      const resources = template.Resources!;
      const conditioned = new Set(Object.entries(resources).filter(([, r]) => r.Condition).map(([id]) => id));
      expect([...conditioned].filter((id) => resources[id].Type === 'AWS::SageMaker::MonitoringSchedule')).toHaveLength(1);
      const refs = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(refs) : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => (k === 'Ref' ? [x as string] : k === 'Fn::GetAtt' ? [(x as string[])[0]] : refs(x))) : []);
      const dangling = [
        ...Object.entries(resources).filter(([id]) => !conditioned.has(id)).flatMap(([id, r]) => [...refs(r.Properties), ...[r.DependsOn ?? []].flat()].filter((t) => conditioned.has(t as string)).map((t) => `${id} → ${t as string}`)),
        ...Object.entries((template as { Outputs?: Record<string, { Value: unknown; Condition?: string }> }).Outputs ?? {}).filter(([, o]) => !o.Condition).flatMap(([id, o]) => refs(o.Value).filter((t) => conditioned.has(t)).map((t) => `output ${id} → ${t}`)),
      ];
      expect(dangling).toEqual([]);
    }
  });

  it("keeps the drift and failed-execution alarms in the stage's bake (named after its stack), the silence alarms out of it", () => {
    for (const stackName of [STAGING_STACK, PROD_STACK]) {
      const alarms = delivered.resolver.resourcesOfType('AWS::CloudWatch::Alarm').filter((a) => a.stackName === stackName);
      const drift = alarms.filter((a) => String(a.properties.AlarmDescription).includes("Feature 'prompt_length'"));
      const failed = alarms.filter((a) => String(a.properties.AlarmDescription).startsWith('A monitoring execution'));
      const silence = alarms.filter((a) => String(a.properties.AlarmDescription).includes('has completed no run'));
      expect([drift.length, failed.length, silence.length]).toEqual([1, 1, 1]);
      // No name: CloudFormation names them `<stack>-<logical id>-<suffix>`, which the bake's AlarmNamePrefix matches.
      expect([...drift, ...failed].map((a) => a.properties.AlarmName)).toEqual([undefined, undefined]);
      expect(silence[0].properties.AlarmName).toBe(`monitor-silence-${stackName}-DataQuality`);
      expect(String(silence[0].properties.AlarmName).startsWith(`${stackName}-`)).toBe(false);
    }
  });

  it("lets each stage's monitor read its capture and the baseline, and write its reports, once the baseline bucket grants the stage accounts (as the warning says)", async () => {
    const flows = (w: IamWorld) => new FlowReader(w).monitors().filter((f) => f.name.startsWith(`${STAGING_STACK}/`) || f.name.startsWith(`${PROD_STACK}/`));
    expect(flows(granted)).toHaveLength(2);
    for (const flow of flows(granted)) expect(await granted.evaluateAll(flow.requests)).toBe('Allowed');
    // Without the bucket owner's grant, another account cannot read the baseline.
    expect(await delivered.evaluateAll(flows(delivered)[0].requests)).toMatch(/^ImplicitlyDenied: .* s3:GetObject arn:aws:s3:::mlops-reference-baselines-us-east-1\/support-assistant\/constraints.json/);
    const warnings = platform.stages.get('support-assistant')!.map((st) => st.driftMonitor!.node.metadata.filter((m) => m.type === 'aws:cdk:warning' && String(m.data).includes(STAGE_MONITOR_DATA_WARNING)).map((m) => String(m.data)));
    expect(warnings).toEqual([[expect.stringContaining(`add {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${STAGING}:root"},"Action":"s3:GetObject","Resource":["arn:aws:s3:::mlops-reference-baselines-us-east-1/support-assistant/constraints.json","arn:aws:s3:::mlops-reference-baselines-us-east-1/support-assistant/statistics.json"]}`)], [expect.stringContaining(`arn:aws:iam::${PROD}:root`)]]);
  });

  it("refuses the pipeline's baseline and retraining on a delivered model, naming the fields", () => {
    const spec = withDrift({ dataQuality: { alarmFeatures: ['prompt_length'] }, retraining: {} });
    const withBaseline = { ...spec, models: spec.models.map((m) => (m.name === 'support-assistant' ? { ...m, pipeline: { ...m.pipeline!, dataQualityBaseline: true } } : m)) };
    expect(() => new AwsPlatform(new App(), 'Platform', { spec: withBaseline })).toThrow(/models\[0\]\.drift\.dataQuality\.baseline: is required on a model delivered through stages: the monitors run in each stage's stack, which cannot name the pipeline's baseline[\s\S]*models\[0\]\.drift\.retraining: is not supported on a model delivered through stages/);
  });
});

describe('a shadow on a delivered model', () => {
  const withShadow = (shadow: unknown): PlatformSpecInput => ({ ...referencePlatform, models: referencePlatform.models.map((m) => (m.name === 'support-assistant' ? { ...m, endpoint: { ...m.endpoint!, shadow } } : m)) as PlatformSpecInput['models'] });
  const PINNED = `arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-package/support-assistant/3`;
  let world: IamWorld;
  let delivered: IamWorld;

  beforeAll(() => {
    const app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
    new AwsPlatform(app, 'Platform', { spec: withShadow({ source: { registryVersion: 3 }, samplingPercent: 20 }) });
    world = IamWorld.fromApp(app);
    const parameters = { [DELIVERY_RENDERING.parameterName]: PACKAGE };
    delivered = IamWorld.fromApp(app, ENV, {}, { [PROD_STACK]: parameters, [STAGING_STACK]: parameters });
  });

  it('serves the pinned version of the delivered registry beside the delivered one in every stage, once delivered', () => {
    const configs = (w: IamWorld) => w.resolver.resourcesOfType('AWS::SageMaker::EndpointConfig').filter((c) => c.stackName === STAGING_STACK || c.stackName === PROD_STACK);
    expect(configs(world)).toEqual([]);
    const served = configs(delivered).map((c) => {
      const model = (variant: Record<string, unknown>) => (delivered.resolver.resourcesOfType('AWS::SageMaker::Model').find((m) => m.stackName === c.stackName && delivered.resolver.physicalName(m.stackName, m.logicalId) === variant.ModelName)!.properties.PrimaryContainer as { ModelPackageName: string }).ModelPackageName;
      return [c.stackName, model((c.properties.ProductionVariants as Record<string, unknown>[])[0]), model((c.properties.ShadowProductionVariants as Record<string, unknown>[])[0])];
    });
    expect(served.sort()).toEqual([[PROD_STACK, PACKAGE, PINNED], [STAGING_STACK, PACKAGE, PINNED]]);
  });

  it("lets each stage's shadow model read the pinned package, its artifact, key and image, across accounts", async () => {
    const flows = new FlowReader(delivered).endpoints().filter((f) => f.name.startsWith(`${MODEL_STACK}-`));
    expect(flows).toHaveLength(4);
    for (const flow of flows) expect(await delivered.evaluateAll(flow.requests)).toBe('Allowed');
  });

  it("refuses a shadow of another model's registry (not shared with the stages), and takes an image", () => {
    expect(() => new AwsPlatform(new App(), 'Platform', { spec: withShadow({ source: { registryVersion: 1, registryOf: 'churn' } }) })).toThrow(/models\[0\]\.endpoint\.shadow\.source\.registryOf: uses the registry of 'churn', which is not shared with the stages' accounts: only the delivered registry, 'support-assistant', is/);
    const image = '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04';
    const p = new AwsPlatform(new App(), 'Platform', { spec: withShadow({ source: { image } }) });
    expect(p.stages.get('support-assistant')!.map((st) => st.endpoint.shadow !== undefined)).toEqual([true, true]);
  });

  it("refuses a shadow once a stage is in another region: only the delivered version is replicated there (a pinned version's number differs in the replica, an image and artifact stay in the registry's region)", () => {
    const crossRegion = (shadow: unknown): PlatformSpecInput => {
      const spec = withShadow(shadow);
      return { ...spec, delivery: { stages: spec.delivery!.stages.map((st) => (st.name === 'prod' ? { ...st, region: 'eu-west-1' } : st)) } };
    };
    const image = '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04';
    for (const source of [{ registryVersion: 3 }, { image }]) {
      expect(() => parsePlatformSpec(crossRegion({ source }))).toThrow(/models\[0\]\.endpoint\.shadow: is not delivered to stage 'prod' in another region \(eu-west-1\)/);
      expect(() => parsePlatformSpec(withShadow({ source }))).not.toThrow();
    }
  });
});
