import * as fc from 'fast-check';
import { errorOf } from './errors';
import { FEATURE_TYPES, featureGroupSpecSchema, featureStoreSpecSchema, parseSpec } from '../../../lib/spec';

const subject = { kind: 'FeatureStore', id: 'Features' };
const parseGroup = (input: unknown) => parseSpec(featureGroupSpecSchema, input, subject);

const featureName = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}[a-z0-9]$/).filter((n) => !['is_deleted', 'write_time', 'api_invocation_time'].includes(n));

describe('feature store spec', () => {
  it('applies defaults: online Standard, offline Glue, on-demand throughput', () => {
    const g = parseGroup({ name: 'g', recordIdentifier: 'id', eventTime: 'ts', features: [{ name: 'id', type: 'String' }, { name: 'ts', type: 'Fractional' }] });
    expect(g).toMatchObject({ onlineStore: { enabled: true, storageType: 'Standard' }, offlineStore: { enabled: true, tableFormat: 'Glue' }, throughput: { mode: 'OnDemand' } });
  });

  it('accepts exactly the groups whose identifier is Integral/String and event time Fractional/String (property-based)', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.record({ name: featureName, type: fc.constantFrom(...FEATURE_TYPES) }), { minLength: 2, maxLength: 8, selector: (f) => f.name.toLowerCase() }),
      fc.nat(), fc.nat(),
      (features, r, e) => {
        const record = features[r % features.length];
        const event = features[e % features.length];
        const valid = record.type !== 'Fractional' && event.type !== 'Integral' && record.name !== event.name;
        const input = { name: 'g', recordIdentifier: record.name, eventTime: event.name, features };
        if (valid) {
          expect(parseGroup(input).features).toEqual(features);
        } else {
          const err = errorOf(() => parseGroup(input));
          expect(err.issues.every((i) => i.path === 'recordIdentifier' || i.path === 'eventTime')).toBe(true);
        }
      },
    ));
  });

  it('names the duplicate and the first occurrence for every repeated feature name (property-based)', () => {
    fc.assert(fc.property(featureName, fc.nat({ max: 3 }), (dup, extra) => {
      const features = [{ name: 'id', type: 'String' }, { name: 'ts', type: 'Fractional' }, ...Array.from({ length: extra }, (_, i) => ({ name: `f${i}`, type: 'Integral' })), { name: dup, type: 'String' }, { name: dup.toUpperCase(), type: 'String' }];
      const firstIndex = features.findIndex((f) => f.name.toLowerCase() === dup.toLowerCase());
      const lastIndex = features.length - 1;
      const err = errorOf(() => parseGroup({ name: 'g', recordIdentifier: 'id', eventTime: 'ts', features }));
      expect(err.issues).toContainEqual(expect.objectContaining({ path: `features[${lastIndex}].name`, message: expect.stringContaining(`repeats the name of features[${firstIndex}]`) }));
    }));
  });

  it('rejects an empty store', () => {
    const err = errorOf(() => parseSpec(featureStoreSpecSchema, { featureGroups: [] }, subject));
    expect(err.issues[0]).toMatchObject({ path: 'featureGroups', message: 'is too small' });
  });

  it('rejects an unknown field with a did-you-mean', () => {
    const err = errorOf(() => parseGroup({ name: 'g', recordIdentifier: 'id', eventTime: 'ts', features: [{ name: 'id', type: 'String' }, { name: 'ts', type: 'String' }], onlineStor: {} }));
    expect(err.issues[0]).toMatchObject({ path: 'onlineStor', message: "is not a known field; did you mean 'onlineStore'?" });
  });
});
