/**
 * Personas: each role's synthesized policy evaluated the way IAM does (an explicit Deny wins, then
 * any matching Allow whose conditions hold), for what each persona must and must not be able to do.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Personas } from '../../../constructs/aws';
import { readable } from '../../../lib/governance';
import { expectValidationError, newStack } from './helpers';

interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string>> }
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(value);

/** IAM's evaluation for one request against one identity policy set: explicit deny, else allow, else implicit deny. */
function decide(statements: Statement[], action: string, resource: string, context: Record<string, string> = {}): 'allow' | 'deny' {
  const matches = (s: Statement) => list(s.Action).some((a) => glob(a, action))
    && list(s.Resource).map(readable).some((r) => glob(r, resource))
    && Object.entries(s.Condition ?? {}).every(([op, kv]) => Object.entries(kv).every(([k, v]) => context[k] !== undefined && (op === 'StringLike' ? glob(v, context[k]) : context[k] === v)));
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return 'deny';
  return statements.some((s) => s.Effect === 'Allow' && matches(s)) ? 'allow' : 'deny';
}

const ARN = 'arn:aws:sagemaker:us-east-1:123456789012';
const TAG = { 'aws:ResourceTag/cdk-mlops:platform': 'churn-platform' };

function personas(props: Partial<ConstructorParameters<typeof Personas>[2]> = {}) {
  const { stack } = newStack();
  const bucket = new s3.Bucket(stack, 'Reports');
  const key = new kms.Key(stack, 'ReportKey');
  const p = new Personas(stack, 'Personas', { scopeTag: { key: 'cdk-mlops:platform', value: 'churn-platform' }, auditReport: { bucket, prefix: 'audit/', key }, ...props });
  const template = Template.fromStack(stack);
  const policies = template.findResources('AWS::IAM::ManagedPolicy');
  const statementsOf = (role: iam.Role) => {
    const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
    const attached = (template.findResources('AWS::IAM::Role')[roleId].Properties.ManagedPolicyArns as { Ref: string }[]).map((r) => r.Ref);
    return attached.flatMap((id) => policies[id].Properties.PolicyDocument.Statement as Statement[]);
  };
  return { template, stack, bucket, ds: statementsOf(p.dataScientist), mle: statementsOf(p.mlEngineer), auditor: statementsOf(p.auditor), p };
}

describe('Personas', () => {
  const { template, ds, mle, auditor } = personas();

  it('creates three roles the account (and so its identity provider) can assume, with no Action *', () => {
    const roles = template.findResources('AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(3);
    for (const r of Object.values(roles)) {
      expect(r.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { AWS: expect.anything() } })]);
    }
    for (const s of [...ds, ...mle, ...auditor]) for (const a of list(s.Action)) expect(a).not.toMatch(/^\*$|^[a-z0-9-]+:\*$/);
  });

  it('lets the data scientist run pipelines and read features and experiments of the platform', () => {
    expect(decide(ds, 'sagemaker:StartPipelineExecution', `${ARN}:pipeline/churn-training`, TAG)).toBe('allow');
    expect(decide(ds, 'sagemaker:GetRecord', `${ARN}:feature-group/customers`, TAG)).toBe('allow');
    expect(decide(ds, 'sagemaker:DescribeExperiment', `${ARN}:experiment/churn`, TAG)).toBe('allow');
    expect(decide(ds, 'sagemaker-mlflow:SearchRuns', `${ARN}:mlflow-tracking-server/churn`, TAG)).toBe('allow');
  });

  it("denies the data scientist deploying, approving, and other platforms' pipelines", () => {
    expect(decide(ds, 'sagemaker:CreateEndpoint', `${ARN}:endpoint/churn`, TAG)).toBe('deny');
    expect(decide(ds, 'sagemaker:UpdateModelPackage', `${ARN}:model-package/churn/3`, TAG)).toBe('deny');
    expect(decide(ds, 'sagemaker:StartPipelineExecution', `${ARN}:pipeline/other`, { 'aws:ResourceTag/cdk-mlops:platform': 'other' })).toBe('deny');
    expect(decide(ds, 'sagemaker:PutRecord', `${ARN}:feature-group/customers`, TAG)).toBe('deny');
  });

  it('lets the ML engineer deploy and approve, and pass execution roles to SageMaker only', () => {
    expect(decide(mle, 'sagemaker:UpdateEndpoint', `${ARN}:endpoint/churn`, TAG)).toBe('allow');
    expect(decide(mle, 'sagemaker:UpdateModelPackage', `${ARN}:model-package/churn/3`, TAG)).toBe('allow');
    expect(decide(mle, 'iam:PassRole', 'arn:aws:iam::123456789012:role/churn-platform-exec', { 'iam:PassedToService': 'sagemaker.amazonaws.com' })).toBe('allow');
    expect(decide(mle, 'iam:PassRole', 'arn:aws:iam::123456789012:role/churn-platform-exec', { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe('deny');
    expect(decide(mle, 'iam:PassRole', 'arn:aws:iam::123456789012:role/admin', { 'iam:PassedToService': 'sagemaker.amazonaws.com' })).toBe('deny');
    expect(decide(mle, 'sagemaker:DeleteModelPackageGroup', `${ARN}:model-package-group/churn`, TAG)).toBe('deny');
  });

  it('lets the auditor read configuration and the audit report, and nothing else', () => {
    expect(decide(auditor, 'sagemaker:DescribeEndpoint', `${ARN}:endpoint/churn`)).toBe('allow');
    expect(decide(auditor, 'iam:GetRolePolicy', 'arn:aws:iam::123456789012:role/x')).toBe('allow');
    expect(decide(auditor, 's3:GetObject', `${auditorBucket()}/audit/report.html`)).toBe('allow');
    expect(decide(auditor, 'sagemaker:UpdateEndpoint', `${ARN}:endpoint/churn`)).toBe('deny');
    expect(decide(auditor, 'sagemaker:InvokeEndpoint', `${ARN}:endpoint/churn`)).toBe('deny');
    expect(decide(auditor, 'sagemaker:GetRecord', `${ARN}:feature-group/customers`)).toBe('deny');
    expect(decide(auditor, 's3:GetObject', `${auditorBucket()}/datacapture/x`)).toBe('deny');
  });

  function auditorBucket(): string {
    const s = auditor.find((x) => list(x.Action).includes('s3:GetObject'))!;
    return readable(list(s.Resource)[0]).replace(/\/audit\/\*$/, '');
  }

  it('applies a permissions boundary to each role when given one', () => {
    const { stack } = newStack();
    const boundary = iam.ManagedPolicy.fromManagedPolicyArn(stack, 'B', 'arn:aws:iam::123456789012:policy/ml-boundary');
    const personas = new Personas(stack, 'Personas', { scopeTag: { key: 'team', value: 'ml' }, permissionsBoundary: boundary });
    const roles = Template.fromStack(stack).findResources('AWS::IAM::Role');
    const personaRoles = [personas.dataScientist, personas.mlEngineer, personas.auditor].map((r) => stack.getLogicalId(r.node.defaultChild as iam.CfnRole));
    expect(Object.keys(roles).sort()).toEqual(personaRoles.sort());
    expect(Object.values(roles).map((r) => r.Properties.PermissionsBoundary)).toEqual(personaRoles.map(() => 'arn:aws:iam::123456789012:policy/ml-boundary'));
  });

  it('rejects an invalid scope tag key, naming the field', () => {
    const { stack } = newStack();
    expectValidationError(() => new Personas(stack, 'P', { scopeTag: { key: 'bad#key', value: 'x' } }), "Personas 'P' (Stack/P)", { path: 'scopeTag.key', got: "'bad#key'" });
  });

  it('rejects an empty scope tag value, naming the field', () => {
    const { stack } = newStack();
    expectValidationError(() => new Personas(stack, 'P', { scopeTag: { key: 'team', value: '' } }), "Personas 'P' (Stack/P)", { path: 'scopeTag.value' });
  });
});
