/**
 * The audit report and the cost estimate of examples/async-and-shadow.yaml (an asynchronous
 * endpoint scaling to zero, and an endpoint with a shadow variant), synthesized once.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lookupInstanceType } from '../../../lib/catalog';
import { CostEstimate, estimateCost } from '../../../lib/cost';
import { AuditReport, buildAuditReport, readCloudAssembly } from '../../../lib/governance';
import { loadPlatformSpec } from '../../../lib/spec';
import { synthAwsPlatform } from '../../../stacks/aws/synth';

const price = (type: string) => lookupInstanceType(type)!.pricePerHourUsd;

describe('examples/async-and-shadow.yaml: audit report and cost', () => {
  let dir: string;
  let report: AuditReport;
  let estimate: CostEstimate;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-async-shadow-'));
    const out = path.join(dir, 'cdk.out');
    synthAwsPlatform(loadPlatformSpec(path.join(__dirname, '..', '..', '..', 'examples', 'async-and-shadow.yaml')), out);
    report = buildAuditReport(out, new Date('2026-01-01T00:00:00Z'));
    estimate = estimateCost(readCloudAssembly(out));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists the asynchronous output as a data store encrypted with a customer-managed key, with its notifications', () => {
    const stores = report.dataStores.filter((d) => d.kind === 'async-inference-output');
    expect(stores).toHaveLength(1);
    expect(stores[0]).toMatchObject({ customerManagedKey: true, constructPath: expect.stringContaining('documents/Endpoint/EndpointConfig') });
    expect(stores[0].retention).toMatch(/async-output.*async-failures/);
    expect(stores[0].notes[0]).toMatch(/^notifies success to .*, errors to /);
  });

  it('shows the asynchronous endpoint and the shadow variant where it lists endpoints, both models in the VPC and isolated', () => {
    const endpoints = report.exposure.filter((e) => e.kind === 'sagemaker-endpoint');
    expect(endpoints).toHaveLength(2);
    const documents = endpoints.find((e) => e.constructPath?.includes('documents'))!;
    const fraud = endpoints.find((e) => e.constructPath?.includes('fraud'))!;
    expect(documents.authentication).toContain('asynchronous: InvokeEndpointAsync only');
    expect(fraud.authentication).toContain('shadow variant Shadow receives copies of requests');
    // Two models behind the fraud endpoint: each in the VPC.
    expect(fraud.vpcPlacement.split('; ').filter((p) => p.startsWith('VPC ('))).toHaveLength(2);
    expect(fraud.networkIsolation).toBe('isolated');
    expect(report.exposure.filter((e) => e.kind === 'sagemaker-model' && e.constructPath?.includes('fraud/Endpoint/Shadow'))).toHaveLength(1);
  });

  it('leaves no finding open', () => {
    expect(report.findings.filter((f) => f.status === 'open')).toEqual([]);
  });

  it('prices the asynchronous endpoint per use: one to four instances for the busy quarter of the month', () => {
    const line = estimate.lines.find((l) => l.model === 'documents' && l.component === 'endpoint')!;
    const busyHours = 730 * 0.25;
    expect(line.monthlyUsd).toEqual({ min: +(price('ml.g5.xlarge') * busyHours).toFixed(2), max: +(4 * price('ml.g5.xlarge') * busyHours).toFixed(2) });
    expect(line.description).toContain('asynchronous, 0 when idle, 1-4 x ml.g5.xlarge');
    expect(estimate.assumptions.join('\n')).toContain('instances run 25% of the month (asyncBusyFraction)');
  });

  it('prices the shadow variant as its own instances beside production', () => {
    const lines = estimate.lines.filter((l) => l.model === 'fraud' && l.component === 'endpoint');
    expect(lines).toHaveLength(2);
    const shadow = lines.find((l) => l.description.includes('(shadow'))!;
    expect(shadow.monthlyUsd).toEqual({ min: +(2 * price('ml.m5.large') * 730).toFixed(2), max: +(2 * price('ml.m5.large') * 730).toFixed(2) });
  });

  it('takes another busy share, and refuses one above 1', () => {
    const half = estimateCost(readCloudAssembly(path.join(dir, 'cdk.out')), { asyncBusyFraction: 0.5 });
    expect(half.lines.find((l) => l.model === 'documents' && l.component === 'endpoint')!.monthlyUsd.min).toBeCloseTo(price('ml.g5.xlarge') * 365, 1);
    expect(() => estimateCost(readCloudAssembly(path.join(dir, 'cdk.out')), { asyncBusyFraction: 1.5 })).toThrow('asyncBusyFraction must be <= 1');
  });
});
