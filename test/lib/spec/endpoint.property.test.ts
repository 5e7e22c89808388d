import * as fc from 'fast-check';
import { MlopsValidationError } from '../../../lib/errors';
import { INSTANCE_TYPES } from '../../../lib/catalog';
import { endpointSpecSchema, parseSpec } from '../../../lib/spec';
import { issuePaths } from '../../thrown';

const subject = { kind: 'ModelEndpoint', id: 'Ep' };
const parse = (input: unknown) => parseSpec(endpointSpecSchema, input, subject);

describe('endpoint spec (property-based)', () => {
  it('accepts scaling exactly when min ≤ initial ≤ max, and resolves defaults from min', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 20 }), fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }), fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      (min, max, initial) => {
        const effectiveMax = max ?? min;
        const effectiveInitial = initial ?? min;
        const valid = effectiveMax >= min && effectiveInitial >= min && effectiveInitial <= effectiveMax;
        const input = { compute: { instanceType: 'ml.m5.large' }, scaling: { minInstances: min, maxInstances: max, initialInstances: initial } };
        if (valid) {
          const spec = parse(input);
          expect(spec.scaling).toMatchObject({ minInstances: min, maxInstances: effectiveMax, initialInstances: effectiveInitial });
        } else {
          expect(() => parse(input)).toThrow(MlopsValidationError);
        }
      },
    ));
  });

  it('every rejection names a field path and what was expected', () => {
    const anyValue = fc.oneof(fc.integer({ min: -5, max: 300 }), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(undefined), fc.constant(null));
    fc.assert(fc.property(
      fc.record({
        compute: fc.oneof(fc.record({ instanceType: anyValue }), fc.record({ serverless: fc.record({ memoryMiB: anyValue, maxConcurrency: anyValue }) }), fc.constant({})),
        scaling: fc.option(fc.record({ minInstances: anyValue, maxInstances: anyValue }), { nil: undefined }),
        deployment: fc.option(fc.record({ strategy: anyValue, canaryPercent: anyValue }), { nil: undefined }),
        alarms: fc.option(fc.record({ latencyP99Ms: anyValue, periodSeconds: anyValue }), { nil: undefined }),
      }, { requiredKeys: ['compute'] }),
      (input) => {
        try {
          parse(input);
        } catch (e) {
          expect(e).toBeInstanceOf(MlopsValidationError);
          for (const issue of (e as MlopsValidationError).issues) {
            expect(issue.expected).not.toBe('');
            expect(issue.got).not.toBe('');
            expect(issue.message).not.toMatch(/^Invalid input/);
          }
          expect((e as Error).message.startsWith("ModelEndpoint 'Ep'")).toBe(true);
        }
      },
    ), { numRuns: 300 });
  });

  it('an accelerator intent resolves to a type that meets every minimum asked, or is refused exactly when the catalog has none', () => {
    fc.assert(fc.property(
      fc.constantFrom('nvidia-t4', 'nvidia-a10g', 'nvidia-l4', 'nvidia-l40s', 'nvidia-a100', 'nvidia-h100'),
      fc.integer({ min: 1, max: 8 }), fc.option(fc.integer({ min: 1, max: 512 }), { nil: undefined }),
      (type, count, memoryGiB) => {
        const input = { compute: { accelerator: { type, count }, memoryGiB } };
        const fits = INSTANCE_TYPES.some((t) => t.uses.includes('inference') && t.accelerator?.type === type && t.accelerator.count >= count && t.memoryGiB >= (memoryGiB ?? 0));
        if (!fits) {
          expect(issuePaths(() => parse(input))).toEqual([expect.stringMatching(/^compute/)]);
          return;
        }
        const compute = parse(input).compute;
        if (compute.kind !== 'instance' || !compute.info?.accelerator) throw new Error('expected an accelerated instance');
        expect(compute.info.accelerator.type).toBe(type);
        expect(compute.info.accelerator.count).toBeGreaterThanOrEqual(count);
        expect(compute.info.memoryGiB).toBeGreaterThanOrEqual(memoryGiB ?? 0);
        expect(compute.info.uses).toContain('inference');
      },
    ));
  });
});
