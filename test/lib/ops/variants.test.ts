/** Production and shadow variants of an endpoint, from DescribeEndpoint, as `mlops status` shows them. */
import { DescribeEndpointCommand, ListEndpointsCommand, ListModelPackagesCommand, ListMonitoringSchedulesCommand, ListPipelinesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { formatStatus } from '../../../bin/commands/ops';
import { createSageMakerClient, endpointVariants, SageMakerOps } from '../../../lib/ops';

const sm = mockClient(SageMakerClient);
beforeEach(() => sm.reset());

const FRAUD = {
  EndpointName: 'fraud', EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud', EndpointConfigName: 'fraud-config', EndpointStatus: 'InService' as const,
  CreationTime: new Date('2026-11-01T00:00:00Z'), LastModifiedTime: new Date('2026-11-20T10:00:00Z'),
  ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1, CurrentInstanceCount: 2, DesiredInstanceCount: 2 }],
  ShadowProductionVariants: [{ VariantName: 'Shadow', CurrentWeight: 0.5, CurrentInstanceCount: 1, DesiredInstanceCount: 2 }],
};

describe('endpointVariants', () => {
  it('returns the production and the shadow variant, with the share of requests the shadow receives', () => {
    expect(endpointVariants(FRAUD)).toEqual([
      { name: 'AllTraffic', role: 'production', currentInstanceCount: 2, desiredInstanceCount: 2 },
      { name: 'Shadow', role: 'shadow', currentInstanceCount: 1, desiredInstanceCount: 2, samplingPercent: 50 },
    ]);
  });

  it('returns only production variants for an endpoint without a shadow', () => {
    expect(endpointVariants({ ProductionVariants: FRAUD.ProductionVariants }).map((v) => v.role)).toEqual(['production']);
  });

  it('feeds mlops status, which shows both variants', async () => {
    sm.on(ListEndpointsCommand).resolves({ Endpoints: [{ EndpointName: 'fraud', EndpointArn: FRAUD.EndpointArn, CreationTime: FRAUD.CreationTime, LastModifiedTime: FRAUD.LastModifiedTime, EndpointStatus: 'InService' }] });
    sm.on(DescribeEndpointCommand, { EndpointName: 'fraud' }).resolves(FRAUD);
    sm.on(ListPipelinesCommand).resolves({ PipelineSummaries: [] });
    sm.on(ListMonitoringSchedulesCommand).resolves({ MonitoringScheduleSummaries: [] });
    sm.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    const ops = new SageMakerOps(createSageMakerClient({ region: 'us-east-1', maxAttempts: 1, sleep: () => Promise.resolve() }), { region: 'us-east-1' });
    const status = await ops.status();
    expect(status.endpoints[0].variants.map((v) => `${v.name}:${v.role}`)).toEqual(['AllTraffic:production', 'Shadow:shadow']);
    expect(formatStatus(status)).toContain('AllTraffic 2/2 instances, Shadow 1/2 instances (shadow, 50% of requests copied)');
  });
});
