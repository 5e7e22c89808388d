import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { InferenceComponent, ModelImage, ModelSource, SharedEndpoint } from '../../../constructs/aws';
import { expectValidationError } from './helpers';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

function pool(): { stack: Stack; endpoint: SharedEndpoint } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const endpoint = new SharedEndpoint(stack, 'Pool', { compute: { instanceType: 'ml.g5.12xlarge' }, scaling: { minInstances: 0, maxInstances: 2 }, endpointName: 'pool' });
  return { stack, endpoint };
}

describe('SharedEndpoint and InferenceComponent in your own stack', () => {
  it('places a component on the endpoint in the same stack, after it', () => {
    const { stack, endpoint } = pool();
    new InferenceComponent(stack, 'Summarizer', { endpoint, source: ModelSource.fromImage(ModelImage.fromUri(IMAGE)), reservation: { acceleratorCount: 1, memoryMiB: 16384 }, copies: { min: 0, max: 2 } });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', { EndpointName: 'pool', RuntimeConfig: { CopyCount: 1 } });
    const [component] = Object.values(t.findResources('AWS::SageMaker::InferenceComponent'));
    expect(component.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^Pool[0-9A-F]{8}$/)]));
  });

  it("refuses a reservation that does not fit one instance of the endpoint's type, and a bad name", () => {
    const { stack, endpoint } = pool();
    expectValidationError(
      () => new InferenceComponent(stack, 'Big', { endpoint, source: ModelSource.fromImage(ModelImage.fromUri(IMAGE)), reservation: { acceleratorCount: 8, memoryMiB: 1024 }, inferenceComponentName: 'not_valid' }),
      "InferenceComponent 'Big' (Stack/Big)",
      { path: 'reservation.acceleratorCount', message: 'does not fit one instance of the endpoint (ml.g5.12xlarge)', got: '8', expected: '≤ 4 (ml.g5.12xlarge has 4)' },
      { path: 'inferenceComponentName', message: 'is not a SageMaker inference component name' },
    );
  });

  it('refuses serverless compute for a shared endpoint', () => {
    const stack = new Stack(new App(), 'Stack');
    expectValidationError(() => new SharedEndpoint(stack, 'Pool', { compute: { serverless: { memoryMiB: 2048 } } }), "SharedEndpoint 'Pool' (Stack/Pool)", { path: 'compute.serverless', message: 'cannot host inference components' });
  });
});
