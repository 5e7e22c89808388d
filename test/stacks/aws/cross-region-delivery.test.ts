/**
 * Delivery to stages in another region than the registry's (issue 12, "Regions may differ"): the
 * reference platform with prod in another account AND region, and a disaster-recovery stage in the
 * registry's own account in that region. SageMaker creates a model only from a package, an artifact
 * and an ECR image of its own region (SageMaker API reference, ContainerDefinition: "The model
 * artifacts in an Amazon S3 bucket and the Docker image for inference container in Amazon EC2
 * Container Registry must be in the same region as the model or endpoint you are creating"), and
 * Step Functions' AWS SDK integrations call the state machine's region only (why aws-cdk added
 * CallAwsServiceCrossRegion, which cannot assume a role in another account): so the state machine
 * replicates each version into a registry replica of the stage's region, through a function of
 * ours that also deploys there with the stage's deploy role.
 */
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { ENV, IamWorld, Request } from './iam-paths';
import { FlowReader } from './runtime-flows';
import { Definition, reachable } from './state-machine';
import { buildAuditReport } from '../../../lib/governance';
import { approvedForStageKey, DELIVERY_RENDERING, PlatformSpecInput } from '../../../lib/spec';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { referencePlatform } from '../../../stacks/reference-platform';

const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true, '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, '@aws-cdk/core:defaultCrossStackReferences': 'strong' };
const STAGING = '222233334444';
const PROD = '555566667777';
const STRANGER = '999988887777';
const EU = 'eu-west-1';
const MODEL_STACK = 'mlops-reference-support-assistant';
const STAGING_STACK = 'mlops-reference-support-assistant-staging';
const PROD_STACK = 'mlops-reference-support-assistant-prod';
const DR_STACK = 'mlops-reference-support-assistant-dr';
const REPLICA_STACK = `mlops-reference-support-assistant-replica-${EU}`;
const PACKAGE = `arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-package/support-assistant/7`;
const REPLICA = `arn:aws:sagemaker:${EU}:${ENV.account}:model-package/support-assistant/2`;

const CROSS_REGION_SPEC: PlatformSpecInput = {
  ...referencePlatform,
  delivery: {
    stages: [
      { name: 'staging', account: STAGING, approval: 'auto', bakeMinutes: 30 },
      { name: 'prod', account: PROD, region: EU, approval: 'manual', bakeMinutes: 60 },
      { name: 'dr', region: EU, approval: 'manual', bakeMinutes: 0 },
    ],
  },
};

type Doc = { Statement: { Effect: string; Principal?: { AWS?: unknown }; Action: unknown }[] };

/** The 12-digit accounts the Allow statements of a policy name as principals. */
function grantedAccounts(policy: Doc | undefined): string[] {
  const principals = (policy?.Statement ?? []).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Principal?.AWS ?? []].flat()).map((p) => JSON.stringify(p));
  return [...new Set(principals.map((p) => /(\d{12})/.exec(p)?.[1]).filter((a): a is string => a !== undefined))].sort();
}

const ALLOW_ALL = [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sagemaker:DescribeModelPackage', 'sagemaker:CreateModel', 's3:GetObject', 'kms:Decrypt'], Resource: '*' }] } }];

describe('delivery to a stage in another region (and account)', () => {
  let app: App;
  let platform: AwsPlatform;
  let world: IamWorld;
  let delivered: IamWorld;
  let definition: Definition;
  let replicaBucket: string;
  let replicaKey: string;
  let sourceObject: string;
  beforeAll(() => {
    app = new App({ context: CONTEXT, builtinCloudFormationValidation: false });
    platform = new AwsPlatform(app, 'Platform', { spec: CROSS_REGION_SPEC });
    world = IamWorld.fromApp(app);
    const machine = world.resolver.resourcesOfType('AWS::StepFunctions::StateMachine').find((m) => m.stackName === MODEL_STACK)!;
    definition = JSON.parse(machine.properties.DefinitionString as string) as Definition;
    delivered = IamWorld.fromApp(app, ENV, {}, { [PROD_STACK]: { [DELIVERY_RENDERING.parameterName]: REPLICA }, [DR_STACK]: { [DELIVERY_RENDERING.parameterName]: REPLICA }, [STAGING_STACK]: { [DELIVERY_RENDERING.parameterName]: PACKAGE } });
    const bucket = delivered.logicalId(REPLICA_STACK, 'AWS::S3::Bucket', 'ReplicaArtifacts');
    replicaBucket = delivered.resolver.physicalName(REPLICA_STACK, bucket);
    replicaKey = delivered.resolver.resolveString(REPLICA_STACK, { 'Fn::GetAtt': [delivered.logicalId(REPLICA_STACK, 'AWS::KMS::Key', 'ReplicaKey'), 'Arn'] });
    sourceObject = new FlowReader(delivered).registeredBy(PACKAGE).modelObject;
  });

  /** The source artifact's key, in the replica bucket (the function keeps keys). */
  const replicaObject = () => sourceObject.replace(/^arn:aws:s3:::[^/]+/, `arn:aws:s3:::${replicaBucket}`);
  /** Decrypt through S3 in the replica's region, as SageMaker's read of the artifact does it. */
  const decryptReplica = (principal: string, account: string): Request => ({
    principal, action: 'kms:Decrypt', resource: replicaKey,
    context: { 'kms:ViaService': `s3.${EU}.amazonaws.com`, 'kms:CallerAccount': account, 'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${replicaBucket}` },
  });

  it("synthesizes the stage stack in its account and region, a registry replica in the registry's account there, and the delivery in the registry's region", () => {
    expect(platform.stages.get('support-assistant')!.map((s) => [s.stackName, s.account, s.region])).toEqual([[STAGING_STACK, STAGING, ENV.region], [PROD_STACK, PROD, EU], [DR_STACK, ENV.account, EU]]);
    const replicas = platform.replicas.get('support-assistant')!;
    expect([...replicas.entries()].map(([region, r]) => [region, r.stackName, r.account, r.region])).toEqual([[EU, REPLICA_STACK, ENV.account, EU]]);
    const group = world.resolver.resourcesOfType('AWS::SageMaker::ModelPackageGroup').find((g) => g.stackName === REPLICA_STACK)!;
    expect(group.properties.ModelPackageGroupName).toBe('support-assistant');
    const outputs = world.resolver.template(REPLICA_STACK).Outputs as Record<string, { Value: unknown }>;
    // The function finds the bucket by this output (CloudFormation names the bucket).
    expect(Object.keys(outputs)).toContain('ArtifactsBucketName');
    // The function is configured with exactly the stages of other regions.
    const fn = world.resolver.resourcesOfType('AWS::Lambda::Function').find((f) => f.stackName === MODEL_STACK && f.logicalId.startsWith('DeliveryCrossRegion'))!;
    const variables = (fn.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables)).toEqual(['DELIVERY_CONFIG']);
    const config = JSON.parse(world.resolver.resolveString(MODEL_STACK, variables.DELIVERY_CONFIG)) as { sourceGroupArn: string; stages: Record<string, { region: string; stackName: string; deployRoleArn: string; replicaStackName: string }> };
    expect(config.sourceGroupArn).toBe(`arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-package-group/support-assistant`);
    expect(config.stages).toEqual({
      prod: { region: EU, stackName: PROD_STACK, deployRoleArn: `arn:aws:iam::${PROD}:role/${PROD_STACK}-deploy`, cloudFormationRoleArn: `arn:aws:iam::${PROD}:role/cdk-hnb659fds-cfn-exec-role-${PROD}-${EU}`, replicaStackName: REPLICA_STACK },
      dr: expect.objectContaining({ region: EU, stackName: DR_STACK, deployRoleArn: `arn:aws:iam::${ENV.account}:role/${DR_STACK}-deploy`, replicaStackName: REPLICA_STACK }),
    });
    // The registry's own (source) group grants the stage account of its region only: prod reads the replica.
    const source = world.resolver.resourcesOfType('AWS::SageMaker::ModelPackageGroup').find((g) => g.stackName === MODEL_STACK)!;
    expect(grantedAccounts(source.properties.ModelPackageGroupPolicy as Doc)).toEqual([STAGING]);
  });

  it('replicates the version before it deploys it, only once the gate let it through; the stage in the registry region deploys through the SDK integration', () => {
    const order = (from: string, n: number) => Array.from({ length: n }).reduce<string[]>((acc) => [...acc, definition.States[acc[acc.length - 1]].Next!], [from]);
    expect(order('prod-Replicate', 2)).toEqual(['prod-Replicate', 'prod-Current', 'prod-Serving']);
    expect(definition.States['prod-Serving'].Default).toBe('prod-Deploy');
    const promoted = definition.States['prod-Promoted'];
    expect(promoted.Choices![0]).toEqual({ Condition: expect.stringContaining(approvedForStageKey('prod')), Next: 'prod-Replicate' });
    // Without the gate's "promoted" transition, prod neither replicates nor deploys.
    const gated = reachable(definition, definition.StartAt, (state, next) => state === 'prod-Promoted' && next === 'prod-Replicate');
    expect(gated).not.toContain('prod-Replicate');
    expect(gated).not.toContain('prod-Deploy');
    expect(gated).toContain('staging-Deploy');
    const replicate = definition.States['prod-Replicate'];
    expect(replicate.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(replicate.Arguments!.Payload).toEqual({ operation: 'replicate', stage: 'prod', modelPackageArn: '{% $packageArn %}' });
    expect(replicate.Assign).toEqual({ stagePackageArn: '{% $states.result.Payload.replicaPackageArn %}' });
    expect(definition.States['prod-Deploy'].Arguments!.Payload).toEqual({ operation: 'deploy', stage: 'prod', modelPackageArn: '{% $stagePackageArn %}' });
    for (const name of ['prod-Replicate', 'prod-Current', 'prod-Deploy', 'prod-Poll', 'prod-Alarms', 'dr-Replicate', 'dr-Deploy']) {
      expect(definition.States[name].Retry).toContainEqual(expect.objectContaining({ ErrorEquals: ['CrossRegionDelivery.Throttled', 'Lambda.TooManyRequestsException'] }));
      expect(definition.States[name].Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: name.replace(/-.*/, '-Failed') })]);
    }
    // Marks stay on the source package (status and rollback read them there): what served before is named by its source ARN.
    expect(definition.States['prod-Mark'].Arguments).toMatchObject({ ModelPackageArn: '{% $packageArn %}' });
    expect(definition.States['prod-Current'].Assign).toEqual({ previous: '{% $states.result.Payload.previous %}' });
    expect(definition.States['prod-Unmark'].Arguments).toMatchObject({ ModelPackageArn: '{% $previous %}' });
    // A rollback (`mlops rollback --stage prod`: input stages ['prod']) runs the same path.
    expect(definition.States['prod-Selected'].Choices![0]).toEqual({ Condition: "{% $not($exists($only)) or 'prod' in $only %}", Next: 'prod-Gate' });
    expect(definition.States['staging-Deploy'].Resource).toBe('arn:aws:states:::aws-sdk:cloudformation:updateStack');
    expect(definition.States['prod-Quiet'].Choices![0].Condition).toBe('{% $states.input.alarming = 0 %}');
  });

  it("grants the replica's group, bucket and key to exactly the other-account stages of its region, and a third account nothing", async () => {
    const r = world.resolver;
    const group = r.resourcesOfType('AWS::SageMaker::ModelPackageGroup').find((g) => g.stackName === REPLICA_STACK)!;
    const bucketPolicy = r.resourcesOfType('AWS::S3::BucketPolicy').filter((p) => p.stackName === REPLICA_STACK).map((p) => p.properties.PolicyDocument as Doc);
    const key = r.resourcesOfType('AWS::KMS::Key').find((k) => k.stackName === REPLICA_STACK)!;
    expect(grantedAccounts(group.properties.ModelPackageGroupPolicy as Doc)).toEqual([PROD]);
    expect([...new Set(bucketPolicy.flatMap(grantedAccounts))]).toEqual([PROD]);
    // The key's own account (its administrators) and prod.
    expect(grantedAccounts(key.properties.KeyPolicy as Doc)).toEqual([ENV.account, PROD]);
    const reads = (account: string): Request[] => {
      const principal = `arn:aws:iam::${account}:role/anyone`;
      return [
        { principal, action: 'sagemaker:DescribeModelPackage', resource: REPLICA },
        { principal, action: 's3:GetObject', resource: replicaObject(), context: { 's3:ResourceAccount': ENV.account } },
        decryptReplica(principal, account),
      ];
    };
    const results = async (account: string) => {
      const out = [];
      for (const q of reads(account)) out.push((await delivered.evaluateWith(ALLOW_ALL, q)).result);
      return out;
    };
    // The same reads by a role of prod that its own account allows everything: the replica's policies let it.
    expect(await results(PROD)).toEqual(['Allowed', 'Allowed', 'Allowed']);
    for (const account of [STRANGER, STAGING]) expect(await results(account)).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']);
  });

  it("lets the prod endpoint's role describe the replica, read its artifact and decrypt it with the replica's key, and nothing of the source bucket", async () => {
    const role = delivered.roleArn(PROD_STACK, 'EndpointExecutionRole');
    const model = delivered.resolver.resourcesOfType('AWS::SageMaker::Model').find((m) => m.stackName === PROD_STACK)!;
    expect((model.properties.PrimaryContainer as { ModelPackageName: string }).ModelPackageName).toBe(REPLICA);
    expect(await delivered.evaluateAll([
      { principal: role, action: 'sagemaker:DescribeModelPackage', resource: REPLICA },
      { principal: role, action: 's3:GetObject', resource: replicaObject(), context: { 's3:ResourceAccount': ENV.account } },
      decryptReplica(role, PROD),
    ])).toBe('Allowed');
    const churn = new FlowReader(delivered).registeredBy(`arn:aws:sagemaker:${ENV.region}:${ENV.account}:model-package/churn/1`).modelObject;
    for (const object of [sourceObject, churn]) {
      expect((await delivered.evaluate({ principal: role, action: 's3:GetObject', resource: object, context: { 's3:ResourceAccount': ENV.account } })).result).toBe('ImplicitlyDenied');
    }
    expect((await delivered.evaluate({ principal: role, action: 'sagemaker:DescribeModelPackage', resource: PACKAGE })).result).toBe('ImplicitlyDenied');
  });

  it("lets the function assume the other regions' deploy roles alone (they trust it, not the state machine), write the replica bucket there and not the source", async () => {
    const fn = world.roleArn(MODEL_STACK, 'DeliveryCrossRegionRole');
    const machine = world.roleArn(MODEL_STACK, 'DeliveryRole');
    expect(fn).toBe(`arn:aws:iam::${ENV.account}:role/mlops-reference-support-assistant-xregion`);
    for (const [account, stack] of [[PROD, PROD_STACK], [ENV.account, DR_STACK]]) {
      const deployRole = `arn:aws:iam::${account}:role/${stack}-deploy`;
      expect((await world.evaluate({ principal: fn, action: 'sts:AssumeRole', resource: deployRole })).result).toBe('Allowed');
      expect((await world.evaluate({ principal: machine, action: 'sts:AssumeRole', resource: deployRole })).result).toBe('ImplicitlyDenied');
      const update = { principal: deployRole, action: 'cloudformation:UpdateStack', context: { 'cloudformation:RoleArn': `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${EU}` } };
      expect((await world.evaluate({ ...update, resource: `arn:aws:cloudformation:${EU}:${account}:stack/${stack}/0a1b2c3d` })).result).toBe('Allowed');
    }
    expect((await world.evaluate({ principal: fn, action: 'sts:AssumeRole', resource: `arn:aws:iam::${STAGING}:role/${STAGING_STACK}-deploy` })).result).toBe('ImplicitlyDenied');
    const put = (object: string, region: string) => delivered.evaluate({ principal: fn, action: 's3:PutObject', resource: object, context: { 's3:ResourceAccount': ENV.account, 'aws:RequestedRegion': region } });
    expect((await put(replicaObject(), EU)).result).toBe('Allowed');
    expect((await put(sourceObject, ENV.region)).result).toBe('ImplicitlyDenied');
    expect((await delivered.evaluate({ principal: fn, action: 's3:GetObject', resource: sourceObject, context: { 's3:ResourceAccount': ENV.account } })).result).toBe('Allowed');
    expect((await delivered.evaluate({ principal: fn, action: 'sagemaker:CreateModelPackage', resource: REPLICA })).result).toBe('Allowed');
    expect((await delivered.evaluate({ principal: fn, action: 'sagemaker:CreateModelPackage', resource: `arn:aws:sagemaker:${EU}:${ENV.account}:model-package/churn/1` })).result).toBe('ImplicitlyDenied');
  });

  it("reports the replica's grants with their region in the audit's delivery section", () => {
    const report = buildAuditReport(app.synth().directory, new Date('2026-12-02T00:00:00Z'));
    const grants = report.delivery!.crossAccountGrants.filter((g) => g.stack === REPLICA_STACK);
    expect([...new Set(grants.map((g) => `${g.account} ${g.region} ${g.resourceKind}`))].sort()).toEqual([`${PROD} ${EU} kms-key`, `${PROD} ${EU} model-package-group`, `${PROD} ${EU} s3-bucket`]);
    // Who deploys the stages of other regions: the state machine, through its function's role.
    const deployers = report.delivery!.deployers.filter((d) => d.target.includes('-deploy')).map((d) => [d.target, d.trustedBy.join()]);
    expect(deployers).toEqual(expect.arrayContaining([
      [`arn:aws:iam::${PROD}:role/${PROD_STACK}-deploy`, expect.stringContaining('through function mlops-reference-support-assistant-xregion (role mlops-reference-support-assistant-xregion)')],
      [`arn:aws:iam::${ENV.account}:role/${DR_STACK}-deploy`, expect.stringContaining('through function mlops-reference-support-assistant-xregion')],
      [`arn:aws:iam::${STAGING}:role/${STAGING_STACK}-deploy`, expect.not.stringContaining('through function')],
    ]));
    // No stage account of the registry's region reaches the replica; prod no longer reaches the source.
    expect(report.delivery!.crossAccountGrants.filter((g) => g.account === PROD && g.region === ENV.region)).toEqual([]);
  });

  it("warns that a Deep Learning Container moved to the stage's region must exist there (AWS publishes them from other accounts in opt-in regions)", () => {
    const prod = platform.stages.get('support-assistant')!.find((st) => st.stage.name === 'prod')!;
    const warnings = Annotations.fromStack(prod).findWarning('*', Match.stringLikeRegexp('cdk-mlops:crossRegionImage'));
    expect(warnings.map((w) => w.entry.data as string)).toEqual([expect.stringMatching(/763104351884\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/huggingface-pytorch-tgi-inference.*opt-in regions.*check that .* exists/)]);
  });
});

describe('a cross-region stage of a model serving an image AWS publishes per region', () => {
  it("is refused at the stage's region: a built-in algorithm image is at another account's path in each region", () => {
    const xgboost = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
    const spec: PlatformSpecInput = { ...CROSS_REGION_SPEC, models: CROSS_REGION_SPEC.models.map((m) => (m.name === 'support-assistant' ? { ...m, pipeline: { ...m.pipeline!, register: { ...m.pipeline!.register, image: xgboost } } } : m)) };
    expect(() => new AwsPlatform(new App({ context: CONTEXT, builtinCloudFormationValidation: false }), 'Platform', { spec })).toThrow(/delivery\.stages\[1\]\.region: is another region than the registry's, and model 'support-assistant' serves an image AWS publishes from account 683313688378 for us-east-1[\s\S]*expected '?'us-east-1'/);
  });
});
