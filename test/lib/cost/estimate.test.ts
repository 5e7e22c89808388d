import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { lookupInstanceType } from '../../../lib/catalog';
import { CostEstimate, estimateCost, OTHER_PRICES } from '../../../lib/cost';
import { readCloudAssembly } from '../../../lib/governance';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { referencePlatform } from '../../../stacks/reference-platform';
import { writeAssembly } from './assembly';

const price = (type: string) => lookupInstanceType(type)!.pricePerHourUsd;
const line = (e: CostEstimate, logicalId: string, component?: string) => {
  const found = e.lines.filter((l) => l.logicalId === logicalId && (!component || l.component === component));
  if (found.length !== 1) throw new Error(`expected one line for ${logicalId}, found ${found.length}`);
  return found[0];
};

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cost-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('estimateCost on the reference platform', () => {
  let estimate: CostEstimate;
  beforeAll(() => {
    const outdir = path.join(dir, 'reference');
    const app = new App({ outdir });
    new AwsPlatform(app, 'Platform', { spec: referencePlatform });
    app.synth();
    estimate = estimateCost(readCloudAssembly(outdir));
  });

  it('prices the GPU endpoint at its autoscaling minimum and maximum', () => {
    const gpu = estimate.lines.find((l) => l.model === 'support-assistant' && l.component === 'endpoint')!;
    expect(gpu.monthlyUsd).toEqual({ min: +(2 * price('ml.g5.xlarge') * 730).toFixed(2), max: +(6 * price('ml.g5.xlarge') * 730).toFixed(2) });
    expect(gpu.description).toContain('2-6 x ml.g5.xlarge');
  });

  it('prices the CPU endpoint from its endpoint config and scalable target', () => {
    const cpu = estimate.lines.find((l) => l.model === 'churn' && l.component === 'endpoint')!;
    expect(cpu.monthlyUsd).toEqual({ min: +(2 * 0.115 * 730).toFixed(2), max: +(4 * 0.115 * 730).toFixed(2) });
  });

  it('groups by stack and by model, names the shared stack without a model, and totals both scales', () => {
    expect(estimate.models.map((m) => m.model)).toEqual(['support-assistant', 'churn', 'ticket-router']);
    expect(estimate.stacks.find((s) => s.stack === 'mlops-reference-shared')!.model).toBeUndefined();
    const sum = (k: 'min' | 'max') => estimate.stacks.reduce((s, x) => s + x[k], 0);
    expect(estimate.total.min).toBeCloseTo(sum('min'), 1);
    expect(estimate.total.max).toBeCloseTo(sum('max'), 1);
    expect(estimate.total.max).toBeGreaterThan(estimate.total.min);
  });

  it('states the price date and every assumption, and warns about nothing on its own output', () => {
    expect(estimate.pricesTakenOn).toBe('2026-09-27');
    expect(estimate.assumptions.join('\n')).toContain('taken 2026-09-27');
    expect(estimate.assumptions.join('\n')).toContain('50 GB held per S3 bucket');
    expect(estimate.warnings).toEqual([]);
  });

  it('rejects a negative assumption', () => {
    expect(() => estimateCost(readCloudAssembly(path.join(dir, 'reference')), { storageGbPerBucket: -1 })).toThrow('storageGbPerBucket must be a number >= 0');
  });
});

describe('estimateCost on a serverless endpoint (baseline governance: strict rejects serverless)', () => {
  let estimate: CostEstimate;
  beforeAll(() => {
    const outdir = path.join(dir, 'serverless');
    const app = new App({ outdir });
    new AwsPlatform(app, 'Platform', {
      spec: {
        name: 'router',
        aws: { region: 'us-east-1' },
        models: [{
          name: 'ticket-router',
          source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3', modelDataUrl: 's3://models/ticket-router/model.tar.gz' },
          endpoint: { compute: { serverless: { memoryMiB: 2048, maxConcurrency: 10 } } },
        }],
      },
    });
    app.synth();
    estimate = estimateCost(readCloudAssembly(outdir));
  });

  it('prices the serverless endpoint from its memory and the stated request assumptions', () => {
    const sl = estimate.lines.find((l) => l.component === 'serverless-endpoint')!;
    // 100,000 requests x 0.5 s x 2 GB x $0.00002 + 100,000 x 10 KB processed x $0.016/GB
    expect(sl.monthlyUsd.max).toBeCloseTo(100_000 * 0.5 * 2 * 0.00002 + (100_000 * 10) / (1024 * 1024) * 0.016, 2);
    expect(estimate.assumptions.join('\n')).toMatch(/Serverless endpoints: 100,000 requests\/month of 500 ms .*\$2e-05|Serverless endpoints: 100,000 requests\/month of 500 ms .*\$0\.00002/);
  });

  it('takes usage assumptions as options', () => {
    const doubled = estimateCost(readCloudAssembly(path.join(dir, 'serverless')), { serverlessRequestsPerMonth: 200_000, storageGbPerBucket: 0 });
    const sl = (e: CostEstimate) => e.lines.find((l) => l.component === 'serverless-endpoint')!.monthlyUsd.max;
    expect(sl(doubled)).toBeCloseTo(2 * sl(estimate), 1);
    const storage = doubled.lines.filter((l) => l.component === 'storage');
    expect(storage.length).toBeGreaterThan(0);
    expect(storage.filter((l) => l.monthlyUsd.max !== 0)).toEqual([]);
  });

});

describe('estimateCost on resources other constructs synthesize', () => {
  const definition = {
    Version: '2020-12-01',
    Parameters: [{ Name: 'TrainType', Type: 'String', DefaultValue: 'ml.g5.2xlarge' }],
    Steps: [
      { Name: 'Train', Type: 'Training', Arguments: { RoleArn: '@ROLE@', ResourceConfig: { InstanceType: { Get: 'Parameters.TrainType' }, InstanceCount: 2, VolumeSizeInGB: 50 }, StoppingCondition: { MaxRuntimeInSeconds: 7200 }, EnableManagedSpotTraining: true } },
      { Name: 'Check', Type: 'Condition', Arguments: { Conditions: [], IfSteps: [{ Name: 'Evaluate', Type: 'Processing', Arguments: { ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 } }, StoppingCondition: { MaxRuntimeInSeconds: 3600 } } }], ElseSteps: [] } },
    ],
  };
  // CDK renders a definition holding tokens as Fn::Join around them.
  const [before, after] = JSON.stringify(definition).split('@ROLE@');
  const body = { 'Fn::Join': ['', [before, { 'Fn::GetAtt': ['PipelineRole', 'Arn'] }, after]] };

  let estimate: CostEstimate;
  beforeAll(() => {
    const out = writeAssembly(path.join(dir, 'hand'), [
      { name: 'plat-shared', resources: { Key: { Type: 'AWS::KMS::Key' } } },
      {
        name: 'plat-fraud',
        resources: {
          PipelineRole: { Type: 'AWS::IAM::Role' },
          Pipeline: { Type: 'AWS::SageMaker::Pipeline', Properties: { PipelineName: 'fraud-train', PipelineDefinition: { PipelineDefinitionBody: body } } },
          Weekly: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(7 days)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: { 'Fn::GetAtt': ['Pipeline', 'Arn'] }, RoleArn: 'r' } } },
          Paused: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 hour)', State: 'DISABLED', Target: { Arn: { 'Fn::GetAtt': ['Pipeline', 'Arn'] }, RoleArn: 'r' } } },
          Retrain: { Type: 'AWS::SageMaker::Pipeline', Properties: { PipelineName: 'Fraud-Retrain', PipelineDefinition: { PipelineDefinitionBody: JSON.stringify({ Version: '2020-12-01', Steps: [{ Name: 'Fit', Type: 'Training', Arguments: { ResourceConfig: { InstanceType: 'ml.c5.xlarge', InstanceCount: 1 } } }] }) } } },
          Weekdays: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'cron(0 2 ? * MON-FRI *)', Targets: [{ Id: 't', Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:123456789012:pipeline/fraud-retrain']] } }] } },
          Universal: { Type: 'AWS::SageMaker::Pipeline', Properties: { PipelineName: 'fraud-score', PipelineDefinition: { PipelineDefinitionBody: JSON.stringify({ Version: '2020-12-01', Steps: [{ Name: 'Score', Type: 'Processing', Arguments: { ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2 } }, StoppingCondition: { MaxRuntimeInSeconds: 1800 } } }] }) } } },
          Daily: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 day)', Target: { Arn: 'arn:aws:scheduler:::aws-sdk:sagemaker:startPipelineExecution', RoleArn: 'r', Input: { 'Fn::Join': ['', ['{"PipelineName":"', { Ref: 'Universal' }, '"}']] } } } },
          Manual: { Type: 'AWS::SageMaker::Pipeline', Properties: { PipelineName: 'fraud-backfill', PipelineDefinition: { PipelineDefinitionBody: JSON.stringify({ Version: '2020-12-01', Steps: [{ Name: 'Fit', Type: 'Training', Arguments: { ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 }, StoppingCondition: { MaxRuntimeInSeconds: 3600 } } }] }) } } },
          Quality: { Type: 'AWS::SageMaker::DataQualityJobDefinition', Properties: { JobResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 20 } }, StoppingCondition: { MaxRuntimeInSeconds: 1800 } } },
          Monitor: { Type: 'AWS::SageMaker::MonitoringSchedule', Properties: { MonitoringScheduleName: 'fraud-drift', MonitoringScheduleConfig: { MonitoringJobDefinitionName: { 'Fn::GetAtt': ['Quality', 'JobDefinitionName'] }, MonitoringType: 'DataQuality', ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' } } } },
          Features: { Type: 'AWS::SageMaker::FeatureGroup', Properties: { FeatureGroupName: 'fraud', OnlineStoreConfig: { EnableOnlineStore: true }, OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://b/f' } } } },
          Cluster: { Type: 'AWS::SageMaker::Cluster', Properties: { InstanceGroups: [{ InstanceGroupName: 'workers', InstanceType: 'ml.p5.48xlarge', InstanceCount: 2 }] } },
          Tracking: { Type: 'AWS::SageMaker::MlflowTrackingServer', Properties: { TrackingServerName: 'fraud', TrackingServerSize: 'Medium' } },
          Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'A', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 1 }, { VariantName: 'B', InstanceType: 'ml.c5.xlarg', InitialInstanceCount: 1 }] } },
          Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'fraud-ep', EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
          Scaling: { Type: 'AWS::ApplicationAutoScaling::ScalableTarget', Properties: { ServiceNamespace: 'sagemaker', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', ResourceId: { 'Fn::Join': ['', ['endpoint/', { 'Fn::GetAtt': ['Endpoint', 'EndpointName'] }, '/variant/A']] }, MinCapacity: 1, MaxCapacity: 3 } },
          Spare: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'A', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 1 }] } },
        },
      },
      { name: 'plat-eu', region: 'eu-west-1', resources: {} },
    ]);
    estimate = estimateCost(readCloudAssembly(out));
  });

  const weekly = 730 / 168;
  it('prices training as instances x max runtime x spot discount x schedule, reading a definition rendered around tokens', () => {
    const train = line(estimate, 'Pipeline', 'training');
    expect(train.monthlyUsd.max).toBeCloseTo(+(2 * price('ml.g5.2xlarge') * 2 * 0.3 * weekly).toFixed(2), 2);
    expect(train.description).toContain('2 x ml.g5.2xlarge');
    expect(train.description).toContain('spot (-70%)');
    expect(train.description).toContain('rate(7 days)');
    expect(train.model).toBe('fraud');
  });

  it('counts processing steps inside condition branches', () => {
    expect(line(estimate, 'Pipeline', 'processing').monthlyUsd.max).toBeCloseTo(+(0.23 * 1 * weekly).toFixed(2), 2);
  });

  it('counts an EventBridge rule that targets the pipeline by its (lower-cased) ARN, and the 24 h default runtime', () => {
    const runs = 5 * (730 / 24 / 7);
    expect(line(estimate, 'Retrain').monthlyUsd.max).toBeCloseTo(+(price('ml.c5.xlarge') * 24 * runs).toFixed(2), 1);
  });

  it("counts a schedule that starts the pipeline through the universal target aws-sdk:sagemaker:startPipelineExecution", () => {
    expect(line(estimate, 'Universal').monthlyUsd.max).toBeCloseTo(+(2 * 0.115 * 0.5 * (730 / 24)).toFixed(2), 2);
    expect(line(estimate, 'Universal').description).toContain('rate(1 day)');
  });

  it('assumes one run a month for a pipeline nothing schedules, and says so', () => {
    expect(line(estimate, 'Manual').monthlyUsd.max).toBeCloseTo(0.115, 2);
    expect(line(estimate, 'Manual').description).toContain('no schedule in the assembly');
  });

  it('follows the spot discount option', () => {
    const none = estimateCost(readCloudAssembly(path.join(dir, 'hand')), { spotDiscountPercent: 0 });
    expect(line(none, 'Pipeline', 'training').monthlyUsd.max).toBeCloseTo(+(2 * price('ml.g5.2xlarge') * 2 * weekly).toFixed(2), 1);
  });

  it('prices a monitoring schedule from its job definition and cron', () => {
    expect(line(estimate, 'Monitor').monthlyUsd.max).toBeCloseTo(0.115 * 0.5 * 730, 2);
  });

  it('prices a feature group with stated online and offline assumptions', () => {
    expect(line(estimate, 'Features').monthlyUsd.max).toBeCloseTo(1.25 + 2.5 + 10 * OTHER_PRICES.featureStoreStoragePerGbMonth.usd + 50 * 0.023, 2);
    expect(estimate.assumptions.join('\n')).toContain('Feature store online (Standard)');
  });

  it('prices a HyperPod cluster all month and an MLflow tracking server by size', () => {
    expect(line(estimate, 'Cluster').monthlyUsd.max).toBeCloseTo(2 * price('ml.p5.48xlarge') * 730, 1);
    expect(line(estimate, 'Tracking').monthlyUsd.max).toBeCloseTo(OTHER_PRICES.mlflowMediumPerHour.usd * 730, 2);
  });

  it('matches a scalable target to its endpoint variant through intrinsics', () => {
    expect(line(estimate, 'Endpoint').monthlyUsd).toEqual({ min: +(price('ml.c5.xlarge') * 730).toFixed(2), max: +(3 * price('ml.c5.xlarge') * 730).toFixed(2) });
  });

  it('warns about what it cannot price: unknown types, unused configs, other regions; ignores disabled schedules', () => {
    expect(estimate.warnings).toEqual(expect.arrayContaining([
      expect.stringContaining("instance type 'ml.c5.xlarg' is not in the catalog"),
      expect.stringContaining('plat-fraud/Spare: an endpoint config no endpoint in this assembly uses'),
      expect.stringContaining('stack plat-eu is in eu-west-1'),
    ]));
    expect(line(estimate, 'Pipeline', 'training').description).not.toContain('rate(1 hour)');
  });
});

describe('estimateCost of shared endpoints (inference components)', () => {
  let estimate: CostEstimate;
  beforeAll(() => {
    const config = (min: number, max: number, type = 'ml.g5.12xlarge') => ({
      Type: 'AWS::SageMaker::EndpointConfig',
      Properties: { ExecutionRoleArn: 'arn:aws:iam::123456789012:role/r', ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: type, InitialInstanceCount: 1, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: min, MaxInstanceCount: max } }] },
    });
    const endpoint = (name: string, configId: string) => ({ Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: name, EndpointConfigName: { 'Fn::GetAtt': [configId, 'EndpointConfigName'] } } });
    const component = (model: string, endpointName: string, accelerators: number, copies: number, memoryMiB = 16384) => ({
      Type: 'AWS::SageMaker::InferenceComponent',
      Properties: { Tags: [{ Key: 'cdk-mlops:model', Value: model }], EndpointName: endpointName, Specification: { ModelName: 'm', ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: accelerators, MinMemoryRequiredInMb: memoryMiB } }, RuntimeConfig: { CopyCount: copies } },
    });
    const out = writeAssembly(path.join(dir, 'shared-endpoints'), [
      { name: 'p-shared-endpoints', resources: { GpuConfig: config(0, 2), Gpu: endpoint('p-gpu', 'GpuConfig'), CpuConfig: config(1, 3, 'ml.m5.2xlarge'), Cpu: endpoint('p-cpu', 'CpuConfig') } },
      { name: 'p-a', resources: { A: component('a', 'p-gpu', 2, 1) } },
      { name: 'p-b', resources: { B: component('b', 'p-gpu', 1, 2) } },
      { name: 'p-c', resources: { C: component('c', 'p-cpu', 0, 1, 4096) } },
    ]);
    estimate = estimateCost(readCloudAssembly(out));
  });

  it('charges the shared instances to the components by what their copies reserve, and never the endpoint twice', () => {
    const gpuMonth = price('ml.g5.12xlarge') * 730;
    expect(estimate.lines.filter((l) => l.component === 'endpoint')).toEqual([]);
    expect(line(estimate, 'A', 'inference-component').monthlyUsd).toEqual({ min: 0, max: +(2 * gpuMonth * 0.5).toFixed(2) });
    expect(line(estimate, 'B', 'inference-component').monthlyUsd).toEqual({ min: 0, max: +(2 * gpuMonth * 0.5).toFixed(2) });
    expect(line(estimate, 'A', 'inference-component').description).toBe(`50% (1 copy reserving 2 accelerator(s) each) of 0-2 x ml.g5.12xlarge at $${price('ml.g5.12xlarge')}/h x 730 h of p-gpu`);
    expect(estimate.models.find((m) => m.model === 'a')).toMatchObject({ min: 0 });
  });

  it('costs nothing at the minimum of an endpoint that scales to zero, and its minimum instances otherwise', () => {
    const c = line(estimate, 'C', 'inference-component');
    expect(c.monthlyUsd).toEqual({ min: +(price('ml.m5.2xlarge') * 730).toFixed(2), max: +(3 * price('ml.m5.2xlarge') * 730).toFixed(2) });
    expect(c.model).toBe('c');
    expect(estimate.total.min).toBeCloseTo(price('ml.m5.2xlarge') * 730, 0);
  });
});

describe('estimateCost on batch transform pipelines', () => {
  const transform = (tags: { Key: string; Value: string }[] | undefined) => JSON.stringify({
    Version: '2020-12-01',
    Steps: [
      { Name: 'CreateModel', Type: 'Model', Arguments: { ExecutionRoleArn: 'r', PrimaryContainer: { Image: 'i' } } },
      { Name: 'Transform', Type: 'Transform', Arguments: { ModelName: { Get: 'Steps.CreateModel.ModelName' }, TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2 }, Tags: tags } },
    ],
  });
  let estimate: CostEstimate;
  beforeAll(() => {
    const out = writeAssembly(path.join(dir, 'batch'), [{
      name: 'plat-churn',
      resources: {
        Batch: { Type: 'AWS::SageMaker::Pipeline', Properties: { PipelineName: 'plat-churn-batch', PipelineDefinition: { PipelineDefinitionBody: transform([{ Key: 'cdk-mlops:expected-run-minutes', Value: '45' }]) } } },
        Nightly: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'cron(0 2 * * ? *)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: { 'Fn::GetAtt': ['Batch', 'Arn'] }, RoleArn: 'r' } } },
        Untagged: { Type: 'AWS::SageMaker::Pipeline', Properties: { PipelineName: 'plat-other-batch', PipelineDefinition: { PipelineDefinitionBody: transform(undefined) } } },
      },
    }]);
    estimate = estimateCost(readCloudAssembly(out));
  });

  it('prices a run as instances x hourly price x the expected duration, times the runs its schedule makes a month', () => {
    const runs = 730 / 24;
    const batch = line(estimate, 'Batch', 'batch-transform');
    expect(batch.monthlyUsd.max).toBeCloseTo(+(2 * price('ml.m5.xlarge') * 0.75 * runs).toFixed(2), 2);
    expect(batch.monthlyUsd.min).toBe(batch.monthlyUsd.max);
    expect(batch.description).toContain('2 x ml.m5.xlarge');
    expect(batch.description).toContain('45 min/run (expected)');
    expect(batch.description).toContain('cron(0 2 * * ? *)');
    expect(estimate.assumptions.some((a) => a.includes('batch.expectedRunMinutes'))).toBe(true);
  });

  it('does not price a transform whose run duration the template does not say, and warns', () => {
    expect(estimate.lines.filter((l) => l.logicalId === 'Untagged')).toEqual([]);
    expect(estimate.warnings).toContain('plat-churn/Untagged step Transform: the transform job has no cdk-mlops:expected-run-minutes tag saying how long a run takes; not priced.');
  });
});
