import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ExperimentTracker } from '../../../constructs/aws';
import { actionsOf, allStatements, expectValidationError, newStack, only } from './helpers';

const SUBJECT = "ExperimentTracker 'Tracker' (Stack/Tracker)";

function build(props: Record<string, unknown> = {}) {
  const { stack } = newStack();
  const tracker = new ExperimentTracker(stack, 'Tracker', props);
  return { stack, tracker };
}

describe('ExperimentTracker', () => {
  it('creates an MLflow tracking server storing artifacts in its own bucket, with its own role', () => {
    const { stack, tracker } = build({ name: 'experiments', size: 'Medium', mlflowVersion: '2.16.2' });
    const t = Template.fromStack(stack);
    const { id, resource } = only(t, 'AWS::SageMaker::MlflowTrackingServer');
    expect(id).toMatch(/^Tracker/);
    expect(resource.Properties).toMatchObject({ TrackingServerName: 'experiments', TrackingServerSize: 'Medium', MlflowVersion: '2.16.2', AutomaticModelRegistration: false });
    expect(JSON.stringify(resource.Properties!.ArtifactStoreUri)).toContain('/mlflow');
    expect(tracker.node.defaultChild).toBe(tracker.cfnTrackingServer);
    t.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }] } });
  });

  it('keeps artifacts in a versioned, KMS-encrypted, retained bucket', () => {
    const t = Template.fromStack(build().stack);
    const buckets = Object.values(t.findResources('AWS::S3::Bucket', { Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } } }));
    expect(buckets).toHaveLength(1);
    expect(buckets[0]).toMatchObject({ DeletionPolicy: 'Retain', Properties: { VersioningConfiguration: { Status: 'Enabled' } } });
  });

  it('grants logging on this server only, action by action', () => {
    const { stack, tracker } = build({ name: 'experiments' });
    const role = new iam.Role(stack, 'Notebook', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    tracker.grantLog(role);
    const s = allStatements(Template.fromStack(stack)).find((x) => actionsOf(x).includes('sagemaker-mlflow:LogMetric'))!;
    expect(actionsOf(s).filter((a) => a.includes('*'))).toEqual([]);
    expect(stack.resolve(s.Resource)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:123456789012:mlflow-tracking-server/experiments']] });
  });

  it('lets the server register models only with automatic model registration on', () => {
    const off = allStatements(Template.fromStack(build().stack)).flatMap(actionsOf);
    expect(off).not.toContain('sagemaker:CreateModelPackage');
    const on = allStatements(Template.fromStack(build({ automaticModelRegistration: true }).stack)).flatMap(actionsOf);
    expect(on).toContain('sagemaker:CreateModelPackage');
  });

  it('imports a server by name', () => {
    const { stack } = newStack();
    const t = ExperimentTracker.fromTrackingServerName(stack, 'Imported', 'shared');
    expect(stack.resolve(t.trackingServerArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:123456789012:mlflow-tracking-server/shared']] });
  });

  it('rejects an unknown size', () => {
    expectValidationError(() => build({ size: 'Huge' }), SUBJECT, { path: 'size', got: "'Huge'", expected: "one of 'Small', 'Medium', 'Large'" });
  });

  it('rejects a maintenance window that is not day:hh:mm', () => {
    expectValidationError(() => build({ weeklyMaintenanceWindowStart: 'Sunday 3am' }), SUBJECT, { path: 'weeklyMaintenanceWindowStart', got: "'Sunday 3am'" });
  });

  it('rejects a malformed MLflow version', () => {
    expectValidationError(() => build({ mlflowVersion: 'latest' }), SUBJECT, { path: 'mlflowVersion', got: "'latest'" });
  });

  it('rejects a server name SageMaker does not accept', () => {
    expectValidationError(() => build({ name: 'my_server' }), SUBJECT, { path: 'name', got: "'my_server'" });
  });
});
