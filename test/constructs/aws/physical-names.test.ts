/**
 * User-given physical names in construct props, checked against the service's rules (API reference:
 * CreateEndpoint, CreateInferenceComponent, CreatePipeline, PutDashboard) before a deploy discovers them.
 */
import { Lazy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BatchTransform, InferenceComponent, MlPipeline, PlatformDashboard, SharedEndpoint } from '../../../constructs/aws';
import { FailStep } from '../../../constructs/aws/pipeline';
import { expectValidationError, imageSource, newStack } from './helpers';

const TOKEN = () => Lazy.string({ produce: () => 'from-deploy' });
const BATCH_SPEC = { input: { s3Uri: 's3://scoring-data/in/' }, output: { s3Uri: 's3://scoring-results/out/' }, schedule: 'cron(0 2 * * ? *)', compute: { instanceType: 'ml.m5.xlarge' } };

describe('physical names in construct props', () => {
  it('MlPipeline: rejects a pipelineName over 255 characters (its metrics dimension), naming the construct, prop, value and rule; accepts 255', () => {
    const { stack } = newStack();
    const name = 'p'.repeat(256);
    expectValidationError(() => new MlPipeline(stack, 'Pipeline', { pipelineName: name, steps: [] }), "MlPipeline 'Pipeline' (Stack/Pipeline)",
      { path: 'pipelineName', message: 'is too long for a SageMaker pipeline name (at most 255 characters)', got: `'${'p'.repeat(57)}...' (256 characters)`, expected: '1-255 letters, digits and hyphens, starting and ending with a letter or digit (SageMaker takes 256; the PipelineName metric dimension the alarms use, 255)' });
    // The longest accepted name synthesizes: its topic's display name (100 characters at most) is shortened.
    new MlPipeline(stack, 'Long', { pipelineName: 'p'.repeat(255), steps: [new FailStep({ name: 'Stop', errorMessage: 'stopped' })] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::Pipeline', { PipelineName: 'p'.repeat(255) });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: `Pipeline ${'p'.repeat(77)}... executions` });
  });

  it('MlPipeline: rejects a pipelineName with an underscore', () => {
    const { stack } = newStack();
    expectValidationError(() => new MlPipeline(stack, 'Pipeline', { pipelineName: 'churn_build', steps: [] }), "MlPipeline 'Pipeline' (Stack/Pipeline)",
      { path: 'pipelineName', message: 'is not a SageMaker pipeline name', got: "'churn_build' (11 characters)" });
  });

  it('BatchTransform: rejects a pipelineName ending with a hyphen, and skips a deploy-time name', () => {
    const { stack } = newStack();
    expectValidationError(() => new BatchTransform(stack, 'Batch', { spec: BATCH_SPEC, source: imageSource(), pipelineName: 'scoring-' }), "BatchTransform 'Batch' (Stack/Batch)",
      { path: 'pipelineName', message: 'is not a SageMaker pipeline name', got: "'scoring-' (8 characters)", expected: '1-255 letters' });
    new BatchTransform(stack, 'Deployed', { spec: BATCH_SPEC, source: imageSource(), pipelineName: TOKEN() });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Pipeline', { PipelineName: 'from-deploy' });
  });

  it('SharedEndpoint and InferenceComponent: reject names over 63 characters', () => {
    const { stack } = newStack();
    const name = 'n'.repeat(64);
    expectValidationError(() => new SharedEndpoint(stack, 'Pool', { compute: { instanceType: 'ml.g5.12xlarge' }, endpointName: name }), "SharedEndpoint 'Pool' (Stack/Pool)",
      { path: 'endpointName', message: 'is too long for a SageMaker endpoint name (at most 63 characters)', got: `'${'n'.repeat(57)}...' (64 characters)`, expected: '1-63 letters, digits and hyphens' });
    const endpoint = new SharedEndpoint(stack, 'Shared', { compute: { instanceType: 'ml.g5.12xlarge' }, endpointName: 'shared' });
    expectValidationError(() => new InferenceComponent(stack, 'Component', { endpoint, source: imageSource(), reservation: { acceleratorCount: 1, memoryMiB: 1024 }, inferenceComponentName: name }), "InferenceComponent 'Component' (Stack/Component)",
      { path: 'inferenceComponentName', message: 'is too long for a SageMaker inference component name (at most 63 characters)', got: `'${'n'.repeat(57)}...' (64 characters)`, expected: '1-63 letters, digits and hyphens' });
  });

  it('PlatformDashboard: rejects a dashboardName CloudWatch refuses (characters, length), and skips a deploy-time name', () => {
    const { stack } = newStack();
    expectValidationError(() => new PlatformDashboard(stack, 'Dashboard', { platformName: 'p', endpointNames: [], dashboardName: 'churn platform' }), "PlatformDashboard 'Dashboard' (Stack/Dashboard)",
      { path: 'dashboardName', message: 'is not a CloudWatch dashboard name', got: "'churn platform' (14 characters)", expected: '1-255 letters, digits, hyphens and underscores' });
    expectValidationError(() => new PlatformDashboard(stack, 'Long', { platformName: 'p', endpointNames: [], dashboardName: 'd'.repeat(256) }), "PlatformDashboard 'Long' (Stack/Long)",
      { path: 'dashboardName', message: 'is too long for a CloudWatch dashboard name (at most 255 characters)', got: `'${'d'.repeat(57)}...' (256 characters)` });
    new PlatformDashboard(stack, 'Deployed', { platformName: 'p', endpointNames: [], dashboardName: TOKEN() });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'from-deploy' });
  });
});
