import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCloudAssembly, readTerraformOutput, terraformResourcesByType, unacknowledgedFindings } from '../lib/governance';
import { loadPlatformSpec, platformTargets } from '../lib/spec';
import { synthAwsPlatform } from '../stacks/aws/synth';
import { synthKubernetesPlatform } from '../stacks/kubernetes/synth';
import { withCloudFormationValidation } from './cloudformation-validation';

const examples = path.join(__dirname, '..', 'examples');

/** Every resource type of a cloud assembly, with its count. */
function awsTypes(outdir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const stack of readCloudAssembly(outdir).stacks) for (const r of Object.values(stack.resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return counts;
}

/**
 * Synthesizes an AWS example as `mlops synth` does, with CloudFormation validation on (the suite
 * turns it off elsewhere): it passes every rule pack (synth throws otherwise) and CloudFormation
 * validation reports nothing.
 */
function synthAwsExample(file: string, out: string): void {
  withCloudFormationValidation(() => synthAwsPlatform(loadPlatformSpec(path.join(examples, file)), out));
  expect(unacknowledgedFindings(readCloudAssembly(out))).toEqual([]);
}

describe('examples/', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-examples-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has its starting points, each for the targets its sections say', () => {
    const found = fs.readdirSync(examples).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    expect(Object.fromEntries(found.map((f) => [f, platformTargets(loadPlatformSpec(path.join(examples, f)))]))).toEqual({
      'async-and-shadow.yaml': ['aws'],
      'batch-scoring.yaml': ['aws'],
      'cross-region-delivery.yaml': ['aws'],
      'gpu-llm-canary.yaml': ['aws'],
      'kubernetes.yaml': ['kubernetes'],
      'pipeline-features-drift.yaml': ['aws'],
      'realtime-model.yaml': ['aws'],
      'shared-gpu-endpoint.yaml': ['aws'],
    });
  });

  it('cross-region-delivery synthesizes the stage stacks in their accounts and regions and the registry replica in eu-west-1, passing every rule pack and CloudFormation validation', () => {
    const out = path.join(dir, 'cross-region');
    synthAwsExample('cross-region-delivery.yaml', out);
    const stacks = readCloudAssembly(out).stacks;
    expect(stacks.filter((s) => /-(staging|prod|dr|replica-eu-west-1)$/.test(s.stackName)).map((s) => [s.stackName, s.account, s.region]).sort()).toEqual([
      ['retention-churn-dr', '111122223333', 'eu-west-1'],
      ['retention-churn-prod', '555566667777', 'eu-west-1'],
      ['retention-churn-replica-eu-west-1', '111122223333', 'eu-west-1'],
      ['retention-churn-staging', '222233334444', 'us-east-1'],
    ]);
    const replica = stacks.find((s) => s.stackName === 'retention-churn-replica-eu-west-1')!;
    expect(Object.values(replica.resources).map((r) => r.Type).filter((t) => ['AWS::SageMaker::ModelPackageGroup', 'AWS::S3::Bucket', 'AWS::KMS::Key'].includes(t)).sort())
      .toEqual(['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::S3::Bucket', 'AWS::SageMaker::ModelPackageGroup']);
    const functions = stacks.flatMap((s) => Object.values(s.resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => `${s.stackName} ${r.Properties?.FunctionName as string}`));
    expect(functions).toContain('retention-churn retention-churn-xregion');
  });

  it('realtime-model synthesizes one endpoint with autoscaling, passing every rule pack and CloudFormation validation', () => {
    const out = path.join(dir, 'realtime');
    synthAwsExample('realtime-model.yaml', out);
    const types = awsTypes(out);
    expect(types['AWS::SageMaker::Endpoint']).toBe(1);
    expect(types['AWS::ApplicationAutoScaling::ScalableTarget']).toBe(1);
  });

  it('shared-gpu-endpoint synthesizes two shared endpoints and three inference components scaling to zero, passing every rule pack and CloudFormation validation', () => {
    const out = path.join(dir, 'shared');
    synthAwsExample('shared-gpu-endpoint.yaml', out);
    expect(awsTypes(out)).toMatchObject({ 'AWS::SageMaker::Endpoint': 2, 'AWS::SageMaker::InferenceComponent': 3, 'AWS::SageMaker::Model': 3 });
    const resources = readCloudAssembly(out).stacks.flatMap((s) => Object.values(s.resources));
    const scaled = resources.filter((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget').map((r) => r.Properties?.MinCapacity);
    expect(scaled.sort()).toEqual([0, 0, 1]);
  });

  it('gpu-llm-canary synthesizes a GPU endpoint shifted in by canary, passing every rule pack and CloudFormation validation', () => {
    const out = path.join(dir, 'llm');
    synthAwsExample('gpu-llm-canary.yaml', out);
    const resources = readCloudAssembly(out).stacks.flatMap((s) => Object.values(s.resources));
    const config = resources.find((r) => r.Type === 'AWS::SageMaker::EndpointConfig')!;
    expect((config.Properties as { ProductionVariants: { InstanceType: string }[] }).ProductionVariants[0].InstanceType).toMatch(/^ml\.g5\./);
    const endpoint = resources.find((r) => r.Type === 'AWS::SageMaker::Endpoint')!;
    expect(JSON.stringify(endpoint.Properties)).toContain('"Type":"CANARY"');
  });

  it('pipeline-features-drift synthesizes a pipeline, a feature group and drift monitors, passing every rule pack and CloudFormation validation', () => {
    const out = path.join(dir, 'lifecycle');
    synthAwsExample('pipeline-features-drift.yaml', out);
    expect(awsTypes(out)).toMatchObject({
      'AWS::SageMaker::Pipeline': 1,
      'AWS::SageMaker::FeatureGroup': 1,
      'AWS::SageMaker::DataQualityJobDefinition': 1,
      'AWS::SageMaker::ModelQualityJobDefinition': 1,
      'AWS::SageMaker::ModelPackageGroup': 1,
    });
  });

  it('batch-scoring synthesizes two batch transform pipelines at the strict level (one model without an endpoint), passing every rule pack and CloudFormation validation', () => {
    const out = path.join(dir, 'batch');
    synthAwsExample('batch-scoring.yaml', out);
    const resources = readCloudAssembly(out).stacks.flatMap((s) => Object.values(s.resources));
    const pipelines = resources.filter((r) => r.Type === 'AWS::SageMaker::Pipeline').map((r) => String(r.Properties?.PipelineName)).sort();
    expect(pipelines).toEqual(['scoring-churn', 'scoring-churn-batch', 'scoring-invoice-fraud-batch']);
    expect(resources.filter((r) => r.Type === 'AWS::SageMaker::Endpoint')).toEqual([]);
    expect(resources.filter((r) => r.Type === 'AWS::Scheduler::Schedule')).toHaveLength(3);
  });

  it('async-and-shadow synthesizes an asynchronous endpoint and one with a shadow variant, passing every rule pack and CloudFormation validation', () => {
    const out = path.join(dir, 'async-shadow');
    synthAwsExample('async-and-shadow.yaml', out);
    const configs = readCloudAssembly(out).stacks.flatMap((s) => Object.values(s.resources)).filter((r) => r.Type === 'AWS::SageMaker::EndpointConfig').map((r) => r.Properties ?? {});
    expect(configs.filter((p) => p.AsyncInferenceConfig !== undefined)).toHaveLength(1);
    expect(configs.filter((p) => Array.isArray(p.ShadowProductionVariants))).toHaveLength(1);
  });

  it('kubernetes synthesizes Terraform JSON for the kubernetes provider: deployments, the registry and the Argo pipeline', () => {
    const out = path.join(dir, 'k8s');
    synthKubernetesPlatform(loadPlatformSpec(path.join(examples, 'kubernetes.yaml')), out);
    const types = Object.fromEntries(terraformResourcesByType(readTerraformOutput(out)));
    // The pipeline's two Argo objects, and the monitoring: two endpoints' PodMonitors and PrometheusRules, the pipeline's rule, MLflow's ServiceMonitor.
    expect(types).toMatchObject({ kubernetes_namespace_v1: 1, kubernetes_stateful_set_v1: 1, kubernetes_manifest: 8 });
    // Two model servers and the MLflow server.
    expect(types.kubernetes_deployment_v1).toBe(3);
  });
});
