/**
 * Network paths, evaluated on the synthesized templates with security-group semantics
 * (./network-paths.ts): every in-VPC endpoint and job reaches S3, ECR and CloudWatch Logs (through
 * the VPC's endpoints, or NAT), and a distributed job's instances reach each other on any port,
 * with IPsec (UDP 500, ESP) when inter-container encryption is on. On the reference platform and
 * on variants: a VPC of the user's without security groups, and groups passed in.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DriftMonitor, MlPipeline, ModelEndpoint, ModelRegistry } from '../../constructs/aws';
import { ProcessingStep, TrainingStep } from '../../constructs/aws/pipeline';
import { AwsPlatform } from '../../stacks/aws/platform';
import { referencePlatform } from '../../stacks/reference-platform';
import { endpointProps } from '../constructs/aws/helpers';
import { NetworkModel, PathResult, Templates } from './network-paths';

const ENV = { account: '123456789012', region: 'us-east-1' };
const TORCH = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker';
const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';

function templatesOf(app: App): Templates {
  return new Map(app.synth().stacks.map((s) => [s.stackName, s.template]));
}

/** Every path of every workload, and the ones refused. */
function evaluateAll(templates: Templates): { workloads: string[]; paths: PathResult[]; refused: PathResult[] } {
  const model = new NetworkModel(templates);
  const workloads = model.workloads();
  const paths = workloads.flatMap((w) => model.evaluate(w));
  return { workloads: workloads.map((w) => w.name), paths, refused: paths.filter((p) => !p.allowed) };
}

/** A distributed (2-instance torch) training pipeline, and an endpoint and its monitor, in `vpc` of a stack of the user's. */
function userVpcApp(options: { gatewayS3?: boolean; securityGroups?: (stack: Stack, vpc: ec2.IVpc) => ec2.ISecurityGroup[] } = {}): App {
  const app = new App();
  const stack = new Stack(app, 'User', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, gatewayEndpoints: options.gatewayS3 ? { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } } : undefined });
  const securityGroups = options.securityGroups?.(stack, vpc);
  const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps({ compute: { instanceType: 'ml.m5.large' }, vpc, securityGroups }));
  new DriftMonitor(stack, 'Drift', { endpoint, dataQuality: { baseline: { constraintsUri: 's3://baselines-bucket/churn/constraints.json', statisticsUri: 's3://baselines-bucket/churn/statistics.json' } }, vpc, securityGroups });
  const registry = new ModelRegistry(stack, 'Registry', { name: 'user-model' });
  const prep = new ProcessingStep({ name: 'Prep', imageUri: SKLEARN, instanceType: 'ml.m5.xlarge', inputs: [], outputs: [{ name: 'train', localPath: '/opt/ml/processing/train' }] });
  new MlPipeline(stack, 'Pipeline', {
    pipelineName: 'user-build', registry, vpc, securityGroups,
    steps: [prep, new TrainingStep({ name: 'Train', imageUri: TORCH, instanceType: 'ml.g5.12xlarge', instanceCount: 2, distribution: { kind: 'torch' }, channels: [{ name: 'train', source: prep.outputUri('train') }] })],
  });
  return app;
}

describe('network paths', () => {
  describe('reference platform (strict: isolated subnets, VPC endpoints, the shared model security group)', () => {
    const app = new App();
    new AwsPlatform(app, 'Platform', { spec: referencePlatform });
    const result = evaluateAll(templatesOf(app));

    it('finds the in-VPC workloads: endpoints, monitors, pipeline jobs (the 2-instance torch training among them)', () => {
      expect(result.workloads).toEqual(expect.arrayContaining([
        expect.stringMatching(/^mlops-reference-support-assistant-prod\/EndpointModel/),
        expect.stringMatching(/^mlops-reference-support-assistant\/Pipeline.* step Train$/),
        expect.stringMatching(/^mlops-reference-churn\/DriftMonitor/),
      ]));
      expect(result.paths.some((p) => p.to.startsWith('its peers') && p.traffic === 'protocol 50 (ESP)')).toBe(true);
    });

    it('lets every workload reach S3, ECR and CloudWatch Logs, and a distributed job reach its peers (TCP, UDP 500, ESP)', () => {
      expect(result.refused).toEqual([]);
    });
  });

  describe('a VPC of the user\'s, no security groups passed', () => {
    const result = evaluateAll(templatesOf(userVpcApp()));

    it('finds the endpoint, the monitor and both pipeline jobs', () => {
      expect(result.workloads).toEqual(expect.arrayContaining([
        expect.stringMatching(/^User\/EpModel/), expect.stringMatching(/^User\/Drift/), 'User/PipelineC660917D step Train', 'User/PipelineC660917D step Prep',
      ]));
    });

    it('lets each reach S3, ECR and logs through NAT, and the training instances reach each other', () => {
      expect(result.refused).toEqual([]);
    });
  });

  it('reaches S3 through a gateway endpoint (its public prefix list), not only the VPC range', () => {
    expect(evaluateAll(templatesOf(userVpcApp({ gatewayS3: true }))).refused).toEqual([]);
  });

  it('connects distributed peers whatever group is passed in (one allowing all outbound, nothing inbound)', () => {
    const { refused, paths } = evaluateAll(templatesOf(userVpcApp({ securityGroups: (stack, vpc) => [new ec2.SecurityGroup(stack, 'Passed', { vpc, allowAllOutbound: true })] })));
    expect(paths.filter((p) => p.to.startsWith('its peers')).length).toBeGreaterThan(0);
    expect(refused).toEqual([]);
  });
});
