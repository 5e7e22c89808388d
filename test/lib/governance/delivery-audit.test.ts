/**
 * The audit's delivery section, on hand-built templates: who can approve model versions, who can
 * deploy to which stage, every grant to another account; and `audit diff` flagging an account that
 * gains access.
 */
import { buildAuditReport, CfnResource, governanceDiff, renderGovernanceDiff, renderHtml, renderMarkdown, SynthesizedAssembly } from '../../../lib/governance';

const THIS = '111122223333';
const CONSUMER = '444455556666';
const PIPELINE = '999988887777';
const path = (p: string) => ({ 'aws:cdk:path': p });
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });
const root = (account: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]] });
const packages = (group: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:model-package/${group}/*`]] });

function role(p: string, policies: Record<string, unknown>[], trust: Record<string, unknown> = { Service: 'sagemaker.amazonaws.com' }, extra: Record<string, unknown> = {}): CfnResource {
  return { Type: 'AWS::IAM::Role', Metadata: path(p), Properties: { AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: trust, Action: 'sts:AssumeRole' }), Policies: [{ PolicyName: 'p', PolicyDocument: doc(...policies) }], ...extra } };
}

/** A registry stack (this account) sharing the churn group, its artifacts prefix and key with `consumers`, and a delivery state machine. */
function assembly(consumers: string[]): SynthesizedAssembly {
  const registry: Record<string, CfnResource> = {
    Group: { Type: 'AWS::SageMaker::ModelPackageGroup', Metadata: path('P/churn/Registry/Resource'), Properties: {
      ModelPackageGroupName: 'churn',
      ModelPackageGroupPolicy: doc(
        ...(consumers.length ? [{ Sid: 'CrossAccountReadAndDeployPackages', Effect: 'Allow', Principal: { AWS: consumers.map(root) }, Action: ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages', 'sagemaker:CreateModel'], Resource: packages('churn') }] : []),
        { Sid: 'ReleaseManagers', Effect: 'Allow', Principal: { AWS: root(PIPELINE) }, Action: 'sagemaker:UpdateModelPackage', Resource: packages('churn') },
      ),
    } },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
    BucketPolicy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'Bucket' }, PolicyDocument: doc(
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: '*' },
      ...consumers.map((c) => ({ Effect: 'Allow', Principal: { AWS: root(c) }, Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/pipelines/churn/*']] } })),
    ) } },
    Key: { Type: 'AWS::KMS::Key', Metadata: path('P/Shared/PlatformKey/Resource'), Properties: { EnableKeyRotation: true, KeyPolicy: doc(
      // The account's own root: not another account.
      { Effect: 'Allow', Principal: { AWS: root(THIS) }, Action: 'kms:*', Resource: '*' },
      ...consumers.map((c) => ({ Effect: 'Allow', Principal: { AWS: root(c) }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } })),
    ) } },
    PipelineRole: role('P/churn/Pipeline/Role', [
      { Effect: 'Allow', Action: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage'], Resource: packages('churn') },
    ]),
    ApproverRole: role('P/churn/Approvers/Role', [{ Effect: 'Allow', Action: ['sagemaker:UpdateModelPackage', 'sagemaker:DescribeModelPackage'], Resource: packages('churn') }], { AWS: root(THIS) }, { RoleName: 'churn-approvers' }),
    AdminRole: role('P/Admin/Role', [{ Effect: 'Allow', Action: 'sagemaker:*', Resource: '*' }]),
    DeliveryRole: role('P/churn/Delivery/Role', [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [`arn:aws:iam::${CONSUMER}:role/cdk-hnb659fds-deploy-role-${CONSUMER}-eu-west-1`, { 'Fn::GetAtt': ['StagingDeployRole', 'Arn'] }] }], { Service: 'states.amazonaws.com' }),
    StagingDeployRole: role('P/churn/Delivery/StagingDeploy', [{ Effect: 'Allow', Action: 'cloudformation:*', Resource: '*' }], { AWS: { 'Fn::GetAtt': ['DeliveryRole', 'Arn'] } }, { Tags: [{ Key: 'cdk-mlops:delivery-stage', Value: 'staging' }] }),
    Delivery: { Type: 'AWS::StepFunctions::StateMachine', Metadata: path('P/churn/Delivery/Resource'), Properties: { StateMachineName: 'p-churn-delivery', RoleArn: { 'Fn::GetAtt': ['DeliveryRole', 'Arn'] } } },
    OnApproval: { Type: 'AWS::Events::Rule', Metadata: path('P/churn/Delivery/OnApproval/Resource'), Properties: { Targets: [{ Arn: { Ref: 'Delivery' }, Id: 'T' }] } },
    OperatorRole: role('P/Operators/Role', [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: 'Delivery' } }], { AWS: root(THIS) }, { RoleName: 'operators' }),
  };
  return { directory: 'hand-built', stacks: [{ stackName: 'p-churn', templateFile: 't.json', account: THIS, region: 'us-east-1', resources: registry }] };
}

describe('the delivery section of the audit report', () => {
  const report = buildAuditReport(assembly([CONSUMER]), new Date('2026-12-02T00:00:00Z'));
  const delivery = report.delivery!;

  it('lists who can approve versions of each group: roles allowed sagemaker:UpdateModelPackage, and accounts the registry lets in', () => {
    expect(delivery.approvers.map((a) => [a.group, a.kind, a.principal])).toEqual([
      ['churn', 'iam-role', 'churn-approvers'],
      ['*', 'iam-role', 'P/Admin/Role'],
      ['churn', 'account', `arn:aws:iam::${PIPELINE}:root`],
    ]);
  });

  it('lists who can deploy to which stage: the state machine and who starts it, and each stage role it may assume', () => {
    expect(delivery.deployers.map((d) => [d.stage, d.target, d.trustedBy])).toEqual([
      ['staging', 'deploy role P/churn/Delivery/StagingDeploy', ['DeliveryRole']],
      ['every stage', 'delivery state machine p-churn-delivery', ['role operators', 'EventBridge rule P/churn/Delivery/OnApproval/Resource']],
      [`account ${CONSUMER}`, `arn:aws:iam::${CONSUMER}:role/cdk-hnb659fds-deploy-role-${CONSUMER}-eu-west-1`, ['delivery state machine Delivery (role P/churn/Delivery/Role)']],
      ['staging', 'StagingDeployRole', ['delivery state machine Delivery (role P/churn/Delivery/Role)']],
    ]);
  });

  it('lists every grant to another account: the group, the bucket prefix and the key, and no grant to its own account', () => {
    expect(delivery.crossAccountGrants.map((g) => [g.account, g.resourceKind, g.resource, g.actions, g.conditions])).toEqual([
      [CONSUMER, 'model-package-group', 'arn:aws:sagemaker:<this region>:<this account>:model-package/churn/*', ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages', 'sagemaker:CreateModel'], []],
      [PIPELINE, 'model-package-group', 'arn:aws:sagemaker:<this region>:<this account>:model-package/churn/*', ['sagemaker:UpdateModelPackage'], []],
      [CONSUMER, 's3-bucket', 'Bucket/pipelines/churn/*', ['s3:GetObject', 's3:GetObjectVersion'], []],
      [CONSUMER, 'kms-key', 'key P/Shared/PlatformKey/Resource', ['kms:Decrypt'], ['kms:ViaService StringEquals s3.us-east-1.amazonaws.com']],
    ]);
  });

  it('shows all three in report.md and report.html', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('## Who can approve, who can deploy, and which other accounts have access');
    expect(md).toContain('| churn | churn-approvers | inline: p |');
    expect(md).toContain('| staging | deploy role P/churn/Delivery/StagingDeploy | DeliveryRole |');
    expect(md).toContain(`| ${CONSUMER} | kms-key | key P/Shared/PlatformKey/Resource | kms:Decrypt | kms:ViaService StringEquals s3.us-east-1.amazonaws.com |`);
    const html = renderHtml(report);
    expect(html).toContain('<a href="#delivery">');
    expect(html).toMatch(/<section id="delivery">[\s\S]*<td>444455556666<\/td><td>s3-bucket<\/td><td>Bucket\/pipelines\/churn\/\*<\/td>/);
  });
});

describe('audit diff and accounts', () => {
  it('flags an account that gains access, blocking, once per grant', () => {
    const diff = governanceDiff(assembly([]), assembly([CONSUMER]));
    const added = diff.changes.filter((c) => c.kind === 'account-added');
    expect(added.map((c) => [c.logicalId, c.blocking])).toEqual([['BucketPolicy', true], ['Group', true], ['Key', true]]);
    expect(diff.blocking).toBe(true);
    expect(renderGovernanceDiff(diff)).toContain(`✖ New account gains access: p-churn/Key: account ${CONSUMER} gains access: kms-key key P/Shared/PlatformKey/Resource (kms:Decrypt) when kms:ViaService StringEquals s3.us-east-1.amazonaws.com`);
  });

  it('does not flag an account that had access before', () => {
    const diff = governanceDiff(assembly([CONSUMER]), assembly([CONSUMER]));
    expect(diff.changes.filter((c) => c.kind === 'account-added')).toEqual([]);
  });

  it('does not flag an account that loses access', () => {
    expect(governanceDiff(assembly([CONSUMER]), assembly([])).changes.filter((c) => c.kind === 'account-added')).toEqual([]);
  });
});

describe('audit diff and regions', () => {
  /** The registry stack with `consumers`, plus, for each replica region, a replica stack (this account) granting `consumers` its group. */
  function withReplicas(consumers: string[], regions: string[]): SynthesizedAssembly {
    const base = assembly(consumers);
    const replica = (region: string) => ({
      stackName: `p-churn-replica-${region}`, templateFile: 'r.json', account: THIS, region,
      resources: { Group: { Type: 'AWS::SageMaker::ModelPackageGroup', Properties: { ModelPackageGroupName: 'churn', ModelPackageGroupPolicy: doc({ Effect: 'Allow', Principal: { AWS: consumers.map(root) }, Action: ['sagemaker:DescribeModelPackage'], Resource: packages('churn') }) } } as CfnResource },
    });
    return { ...base, stacks: [...base.stacks, ...regions.map(replica)] };
  }

  it("gives each grant its stack's region in the report", () => {
    const grants = buildAuditReport(withReplicas([CONSUMER], ['eu-west-1']), new Date('2026-12-02T00:00:00Z')).delivery!.crossAccountGrants;
    expect(grants.filter((g) => g.resourceKind === 'model-package-group' && g.account === CONSUMER).map((g) => [g.stack, g.region])).toEqual([['p-churn', 'us-east-1'], ['p-churn-replica-eu-west-1', 'eu-west-1']]);
    expect(renderMarkdown(buildAuditReport(withReplicas([CONSUMER], ['eu-west-1']), new Date('2026-12-02T00:00:00Z')))).toContain(`| ${CONSUMER} | model-package-group | arn:aws:sagemaker:<this region>:<this account>:model-package/churn/* | sagemaker:DescribeModelPackage | always | eu-west-1 |`);
  });

  it('flags an account that gains access in a new region (a replica for a stage there), blocking, and not a region it had', () => {
    const diff = governanceDiff(withReplicas([CONSUMER], []), withReplicas([CONSUMER], ['eu-west-1']));
    const added = diff.changes.filter((c) => c.kind === 'account-added');
    expect(added.map((c) => [c.stack, c.blocking, c.detail])).toEqual([['p-churn-replica-eu-west-1', true, expect.stringContaining(`account ${CONSUMER} gains access in another region, eu-west-1: model-package-group`)]]);
    expect(governanceDiff(withReplicas([CONSUMER], ['eu-west-1']), withReplicas([CONSUMER], ['eu-west-1'])).changes.filter((c) => c.kind === 'account-added')).toEqual([]);
  });
});
