import * as fc from 'fast-check';
import { MlopsValidationError } from '../../../lib/errors';
import { driftMonitorSpecSchema, MODEL_QUALITY_METRICS, parseSpec, PROBLEM_TYPES } from '../../../lib/spec';

const subject = { kind: 'DriftMonitor', id: 'Drift' };
const parse = (input: unknown) => parseSpec(driftMonitorSpecSchema, input, subject);
const BASELINE = { constraintsUri: 's3://baselines-bucket/constraints.json', statisticsUri: 's3://baselines-bucket/statistics.json' };

describe('drift monitor spec', () => {
  it('defaults: hourly, ml.m5.xlarge, an hour of runtime, drift threshold 0.1', () => {
    expect(parse({ dataQuality: { baseline: BASELINE } })).toMatchObject({
      schedule: 'hourly',
      compute: { instanceType: 'ml.m5.xlarge', instanceCount: 1, volumeSizeGiB: 20, maxRuntimeSeconds: 3600 },
      dataQuality: { driftThreshold: 0.1, alarmFeatures: [] },
    });
  });

  it('gives classification models a default quality alarm and regression none', () => {
    expect(parse({ modelQuality: { problemType: 'BinaryClassification', groundTruthUri: 's3://gt-bucket/x' } }).modelQuality!.alarms).toEqual([{ metric: 'auc', threshold: 0.7 }]);
    expect(parse({ modelQuality: { problemType: 'MulticlassClassification', groundTruthUri: 's3://gt-bucket/x' } }).modelQuality!.alarms).toEqual([{ metric: 'accuracy', threshold: 0.7 }]);
  });

  it('accepts a quality alarm exactly when the problem type publishes its metric (property-based)', () => {
    const allMetrics = [...new Set(Object.values(MODEL_QUALITY_METRICS).flatMap((m) => Object.keys(m)))];
    fc.assert(fc.property(fc.constantFrom(...PROBLEM_TYPES), fc.constantFrom(...allMetrics), fc.double({ min: 0, max: 1, noNaN: true }), (problemType, metric, threshold) => {
      const input = { modelQuality: { problemType, groundTruthUri: 's3://gt-bucket/labels', alarms: [{ metric, threshold }] } };
      if (metric in MODEL_QUALITY_METRICS[problemType]) {
        expect(parse(input).modelQuality!.alarms).toEqual([{ metric, threshold }]);
      } else {
        try {
          parse(input);
          throw new Error('expected a rejection');
        } catch (e) {
          expect(e).toBeInstanceOf(MlopsValidationError);
          expect((e as MlopsValidationError).issues[0]).toMatchObject({ path: 'modelQuality.alarms[0].metric', got: `'${metric}'` });
        }
      }
    }));
  });

  it('caps an hourly run at an hour and lets a daily one run longer', () => {
    expect(parse({ schedule: 'daily', dataQuality: { baseline: BASELINE }, compute: { maxRuntimeSeconds: 7200 } }).compute.maxRuntimeSeconds).toBe(7200);
    expect(() => parse({ dataQuality: { baseline: BASELINE }, compute: { maxRuntimeSeconds: 3601 } })).toThrow(/compute\.maxRuntimeSeconds: is longer than an hourly schedule allows/);
  });

  it('rejects an unknown schedule', () => {
    expect(() => parse({ schedule: 'weekly', dataQuality: { baseline: BASELINE } })).toThrow(/schedule: is not an accepted value \(got 'weekly', expected one of 'hourly', 'daily'\)/);
  });

  it('rejects a drift threshold outside 0..1', () => {
    expect(() => parse({ dataQuality: { baseline: BASELINE, driftThreshold: 2 } })).toThrow(/dataQuality\.driftThreshold: is too large/);
  });

  it('rejects a ground truth location that is not in S3', () => {
    expect(() => parse({ modelQuality: { problemType: 'Regression', groundTruthUri: '/local/labels', alarms: [{ metric: 'mae', threshold: 3 }] } })).toThrow(/modelQuality\.groundTruthUri: is not in the expected format/);
  });
});
