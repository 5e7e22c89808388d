/**
 * What `mlops validate` refuses because AWS would refuse it at synth or deploy: derived names over
 * their API's limit and monitors in a region without their image (the AWS target's own rules,
 * parsePlatformSpecFor('aws')), tags AWS does not take, an alarm address listed twice.
 */
import { MlopsValidationError } from '../../../lib/errors';
import { DERIVED_NAMES, parsePlatformSpecFor, PlatformSpecInput, TargetChoice } from '../../../lib/spec';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1';
const model = (name = 'm') => ({ name, source: { image: IMAGE, modelDataUrl: 's3://bucket-abc/m.tar.gz' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } });
const cluster = (name: string) => ({
  name, lifecycleScriptsUri: 's3://bucket-abc/lifecycle/', aws: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
  instanceGroups: [{ name: 'gpu', compute: { instanceType: 'ml.g5.xlarge' }, count: 1 }],
});

function issues(spec: Partial<PlatformSpecInput>, target: TargetChoice = 'aws'): string[] {
  try {
    parsePlatformSpecFor(target, { name: 'p', models: [model()], ...spec });
  } catch (e) {
    if (e instanceof MlopsValidationError) return e.issues.map((i) => `${i.path}: ${i.message} (got ${i.got}, expected ${i.expected})`);
    throw e;
  }
  return [];
}

describe('derived names', () => {
  const p60 = 'p'.repeat(60);

  it('refuses a HyperPod cluster name <platform>-<cluster> over 63 characters, and takes one of exactly 63', () => {
    expect(issues({ name: p60, trainingClusters: [cluster('abcd')] })).toEqual([
      `trainingClusters[0].name: derives the HyperPod cluster name '${p60}-abcd' (65 characters), over the 63 of SageMaker CreateCluster ClusterName (got 65 characters, expected at most 63: a shorter name)`,
    ]);
    expect(DERIVED_NAMES.trainingCluster.of(p60, 'ab')).toHaveLength(63);
    expect(issues({ name: p60, trainingClusters: [cluster('ab')] })).toEqual([]);
  });

  it("refuses a tracker without a name when '<platform>-experiments' is over 63 characters; a name of its own is fine", () => {
    expect(issues({ name: p60, experimentTracker: {} })).toEqual([
      `experimentTracker.name: derives the tracking server name '${p60}-experiments' (72 characters), over the 63 of ExperimentTracker's name (SageMaker CreateMlflowTrackingServer allows 256) (got 72 characters, expected at most 63: a shorter name)`,
    ]);
    expect(issues({ name: p60, experimentTracker: { name: 'tracker' } })).toEqual([]);
  });

  it('takes the longest platform and model names: their stacks and pipelines stay within 128 and 256', () => {
    expect(DERIVED_NAMES.modelStack.of('p'.repeat(64), 'm'.repeat(63))).toHaveLength(128);
    expect(issues({ name: `P${'p'.repeat(63)}`, models: [model('m'.repeat(63))] })).toEqual([]);
  });
});

describe('derived name collisions and limits of delivered models', () => {
  const aws = { account: '111122223333', region: 'us-east-1' };
  const delivered = (name: string) => ({ name, registry: {}, source: { registryVersion: 'latest-approved' as const }, endpoint: { compute: { instanceType: 'ml.m5.large' } } });

  it("refuses a model 'churn-prod' beside model 'churn' delivered to stage 'prod' of the same account, naming both paths", () => {
    expect(issues({ aws, models: [delivered('churn'), model('churn-prod')], delivery: { stages: [{ name: 'prod' }] } })).toEqual([
      "models[1].name: derives the name 'p-churn-prod' for the stack of model 'churn-prod', which models[0].name with delivery.stages[0].name also derive for the stack of model 'churn' in stage 'prod': CloudFormation stack names are unique in account and region 111122223333/us-east-1 (got 'p-churn-prod' twice, expected names that derive distinct names (rename the model, the stage or the platform))",
    ]);
    // In another account, the two stacks do not meet.
    expect(issues({ aws, models: [delivered('churn'), model('churn-prod')], delivery: { stages: [{ name: 'prod', account: '555566667777' }] } })).toEqual([]);
  });

  it("refuses stage stacks and deploy roles two (model, stage) pairs both derive: model 'a' in stage 'b-c', model 'a-b' in stage 'c'", () => {
    expect(issues({ aws, models: [delivered('a'), delivered('a-b')], delivery: { stages: [{ name: 'b-c', account: '222233334444' }, { name: 'c', account: '222233334444' }] } })).toEqual([
      "delivery.stages[1].name: derives the name 'p-a-b-c' for the stack of model 'a-b' in stage 'c', which models[0].name with delivery.stages[0].name also derive for the stack of model 'a' in stage 'b-c': CloudFormation stack names are unique in account and region 222233334444/us-east-1 (got 'p-a-b-c' twice, expected names that derive distinct names (rename the model, the stage or the platform))",
      "delivery.stages[1].name: derives the name 'p-a-b-c-deploy' for the deploy role of model 'a-b' in stage 'c', which models[0].name with delivery.stages[0].name also derive for the deploy role of model 'a' in stage 'b-c': IAM role names are unique in account 222233334444 (got 'p-a-b-c-deploy' twice, expected names that derive distinct names (rename the model, the stage or the platform))",
    ]);
  });

  it("refuses a stage stack in the registry's account and another region that derives the name of the registry's replica stack there", () => {
    const found = issues({ aws, models: [delivered('churn')], delivery: { stages: [{ name: 'prod', region: 'eu-west-1' }, { name: 'replica-eu-west-1', region: 'eu-west-1' }] } });
    expect(found).toEqual(["delivery.stages[0].region: derives the name 'p-churn-replica-eu-west-1' for the registry replica of model 'churn' in eu-west-1, which models[0].name with delivery.stages[1].name also derive for the stack of model 'churn' in stage 'replica-eu-west-1': CloudFormation stack names are unique in account and region 111122223333/eu-west-1 (got 'p-churn-replica-eu-west-1' twice, expected names that derive distinct names (rename the model, the stage or the platform))"]);
    // In the stage's own account the two stacks do not meet.
    expect(issues({ aws, models: [delivered('churn')], delivery: { stages: [{ name: 'prod', region: 'eu-west-1' }, { name: 'replica-eu-west-1', region: 'eu-west-1', account: '555566667777' }] } })).toEqual([]);
  });

  it("refuses a stack whose name starts with a stage stack's alarm prefix: the stage's bake would read its alarms", () => {
    expect(issues({ aws, models: [delivered('churn'), model('churn-prod-eu')], delivery: { stages: [{ name: 'prod' }] } })).toEqual([
      "models[1].name: derives the name 'p-churn-prod-eu' for the stack of model 'churn-prod-eu', which starts with 'p-churn-prod-': the delivery bakes the stack of model 'churn' in stage 'prod' (models[0].name with delivery.stages[0].name) by the alarms whose names start so, and would read this stack's alarms as its own (got 'p-churn-prod-eu', expected a name that does not start with 'p-churn-prod-' (rename the model, the stage or the platform))",
    ]);
  });

  it("refuses a model named 'shared' (the platform's shared stack) and a model 'x-batch' beside model 'x' with a batch pipeline", () => {
    const batch = { ...model('x'), batch: { input: { s3Uri: 's3://bucket-abc/in/' }, output: { s3Uri: 's3://bucket-abc/out/' }, schedule: 'rate(1 day)', compute: { instanceType: 'ml.m5.large' } } };
    const withPipeline = { ...model('x-batch'), registry: {}, pipeline: { preprocess: { image: IMAGE }, train: { image: IMAGE, compute: { instanceType: 'ml.m5.xlarge' } }, evaluate: { image: IMAGE }, gate: { metric: 'auc', threshold: 0.8 } } };
    const found = issues({ aws, models: [model('shared'), batch, withPipeline] as PlatformSpecInput['models'] });
    expect(found).toContain("models[0].name: derives the name 'p-shared' for the stack of model 'shared', which name also derives for the platform's shared stack: CloudFormation stack names are unique in account and region 111122223333/us-east-1 (got 'p-shared' twice, expected names that derive distinct names (rename the model, the stage or the platform))");
    expect(found).toContain("models[2].name: derives the name 'p-x-batch' for the pipeline of model 'x-batch', which models[1].name also derives for the batch transform pipeline of model 'x': SageMaker pipeline names are unique in account and region 111122223333/us-east-1 (got 'p-x-batch' twice, expected names that derive distinct names (rename the model, the stage or the platform))");
  });

  it('refuses a stage deploy role <platform>-<model>-<stage>-deploy over IAM\'s 64 characters, and a delivery role over 64', () => {
    const name = 'p'.repeat(30);
    expect(issues({ aws, name, models: [delivered('m'.repeat(20))], delivery: { stages: [{ name: 's'.repeat(10) }] } })).toEqual([
      `delivery.stages[0].name: derives the stage deploy role name '${name}-${'m'.repeat(20)}-${'s'.repeat(10)}-deploy' (69 characters), over the 64 of IAM CreateRole RoleName (got 69 characters, expected at most 64: a shorter name)`,
    ]);
    expect(issues({ aws, name, models: [delivered('m'.repeat(30))], delivery: { stages: [{ name: 's' }] } })).toEqual(expect.arrayContaining([
      `models[0].name: derives the delivery state machine and role name '${name}-${'m'.repeat(30)}-delivery' (70 characters), over the 64 of IAM CreateRole RoleName (Step Functions CreateStateMachine allows 80) (got 70 characters, expected at most 64: a shorter name)`,
    ]));
  });
});

describe('tags', () => {
  it.each([
    [{ 'aws:team': 'x' }, "tags.aws:team: starts with 'aws:', which AWS reserves for its own tags (got 'aws:team', expected a key not starting with 'aws:')"],
    [{ 'AWS:team': 'x' }, "tags.AWS:team: starts with 'aws:', which AWS reserves for its own tags (got 'AWS:team', expected a key not starting with 'aws:')"],
    [{ 'team#1': 'x' }, "tags.team#1: is not a tag key AWS accepts (got 'team#1', expected 1-128 letters, digits, spaces and _ . : / = + - @)"],
    [{ team: 'a,b' }, "tags.team: is not a tag value AWS accepts (got 'a,b', expected 0-256 letters, digits, spaces and _ . : / = + - @)"],
    [{ team: 'v'.repeat(257) }, `tags.team: is not a tag value AWS accepts (got '${'v'.repeat(57)}...', expected 0-256 letters, digits, spaces and _ . : / = + - @)`],
    [{ 'cdk-mlops:platform': 'x' }, "tags.cdk-mlops:platform: is set by cdk-mlops itself (got 'cdk-mlops:platform', expected a key other than 'cdk-mlops:platform' and 'cdk-mlops:model')"],
  ])('refuses %j', (tags, message) => {
    expect(issues({ tags })).toEqual([message]);
  });

  it('takes what AWS takes: letters of any script, spaces, _ . : / = + - @, an empty value', () => {
    expect(issues({ tags: { 'équipe données': 'São Paulo', 'a_b.c:d/e=f+g-h@i': '', ['k'.repeat(128)]: 'v'.repeat(256) } })).toEqual([]);
  });

  it('refuses more tags than fit beside the two cdk-mlops adds (50 a resource)', () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(issues({ tags: tags(48) })).toEqual([]);
    expect(issues({ tags: tags(49) })).toEqual(["tags: has more tags than a resource can carry beside cdk-mlops' own (cdk-mlops:platform, cdk-mlops:model) (got 49 tags, expected at most 48 (AWS allows 50 a resource))"]);
  });
});

it('refuses an alarm address listed twice (synth failed on it: one subscription per address)', () => {
  expect(issues({ aws: { alarmEmails: ['ops@example.com', 'ml@example.com', 'Ops@example.com'] } })).toEqual([
    "aws.alarmEmails[2]: repeats aws.alarmEmails[0] (got 'Ops@example.com', expected each address once (SNS subscribes an address once))",
  ]);
});

describe('monitoring images', () => {
  const baseline = { constraintsUri: 's3://bucket-abc/c.json', statisticsUri: 's3://bucket-abc/s.json' };
  const drift = (d: object) => ({ ...model(), drift: d });
  const modelMonitorRegions = 'one of ap-east-1, ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, cn-north-1, cn-northwest-1, eu-central-1, eu-north-1, eu-west-1, eu-west-2, eu-west-3, me-south-1, sa-east-1, us-east-1, us-east-2, us-west-1, us-west-2';

  it('needs the region of a platform whose models are monitored (synth failed on it: the image is per region)', () => {
    expect(issues({ models: [drift({ dataQuality: { baseline } })] })).toEqual([
      `aws.region: is required by models[0].drift on AWS: its monitors run the SageMaker Model Monitor image, which is published per region (got nothing, expected ${modelMonitorRegions})`,
    ]);
    expect(issues({ aws: { region: 'us-east-1' }, models: [drift({ dataQuality: { baseline } })] })).toEqual([]);
  });

  it('are AWS rules: the Kubernetes target takes a monitored platform without a region, and names AWS would refuse', () => {
    expect(issues({ models: [drift({ dataQuality: { baseline } })] }, 'kubernetes')).toEqual([]);
    expect(issues({ name: 'p'.repeat(60), experimentTracker: {} }, 'kubernetes')).toEqual([]);
    expect(issues({ name: 'p'.repeat(60), experimentTracker: {} }, 'all')).toHaveLength(1);
  });

  it('refuses a region where SageMaker publishes no image the monitors need', () => {
    expect(issues({ aws: { region: 'af-south-1' }, models: [drift({ dataQuality: { baseline } })] })).toEqual([
      `models[0].drift: runs the SageMaker Model Monitor image, which SageMaker does not publish in af-south-1 (got 'af-south-1', expected ${modelMonitorRegions})`,
    ]);
    const bias = { analysisConfigUri: 's3://bucket-abc/analysis.json', groundTruthUri: 's3://bucket-abc/gt/' };
    expect(issues({ aws: { region: 'me-central-1' }, models: [drift({ modelBias: bias })] })[0]).toMatch(/^models\[0\]\.drift: runs the SageMaker Clarify image, which SageMaker does not publish in me-central-1/);
  });
});

it("refuses a SageMaker name of more than 63 characters made long with hyphens (SageMaker's pattern alone counts only letters and digits)", () => {
  const hyphenated = 'a-'.repeat(32).concat('a'); // 65 characters, 33 letters
  expect(issues({ models: [model(hyphenated)] })).toEqual([
    `models[0].name: is not in the expected format (got '${hyphenated.slice(0, 57)}...', expected a model name: 1-63 letters, digits and hyphens)`,
  ]);
  expect(issues({ experimentTracker: { name: hyphenated } })[0]).toMatch(/^experimentTracker\.name: is not in the expected format/);
  expect(issues({ models: [model('a-'.repeat(31).concat('a'))] })).toEqual([]); // 63
});
