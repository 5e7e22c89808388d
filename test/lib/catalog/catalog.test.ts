import fc from 'fast-check';
import {
  ACCELERATOR_TYPES,
  AcceleratorIntent,
  AcceleratorType,
  CatalogError,
  getInstanceType,
  INSTANCE_TYPES,
  InstanceTypeInfo,
  InstanceUse,
  kubernetesAcceleratorFor,
  lookupInstanceType,
  PRICES,
  resolveInstanceType,
  suggestInstanceTypes,
} from '../../../lib/catalog';
import { thrownBy } from '../../thrown';

const names = new Set(INSTANCE_TYPES.map((t) => t.name));
const sizeOf = (t: InstanceTypeInfo) => t.name.slice(`ml.${t.family}.`.length);

const thrown = (fn: () => unknown): CatalogError => thrownBy(CatalogError, fn);

describe('catalog contents', () => {
  const expectedSizes: Record<string, string[]> = {
    t3: ['medium', 'large', 'xlarge'],
    m5: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
    m5d: ['large', 'xlarge'],
    c5: ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge'],
    r5: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
    m6i: ['large', 'xlarge', '2xlarge', '4xlarge'],
    c6i: ['large', 'xlarge', '2xlarge', '4xlarge'],
    c7i: ['large', 'xlarge', '2xlarge', '4xlarge'],
    m7i: ['large', 'xlarge', '2xlarge', '4xlarge'],
    g4dn: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
    g5: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
    g6: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
    g6e: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
    p3: ['2xlarge', '8xlarge', '16xlarge'],
    p3dn: ['24xlarge'],
    p4d: ['24xlarge'],
    p4de: ['24xlarge'],
    p5: ['48xlarge'],
    p5e: ['48xlarge'],
    inf2: ['xlarge', '8xlarge', '24xlarge', '48xlarge'],
    trn1: ['2xlarge', '32xlarge'],
    trn1n: ['32xlarge'],
  };

  it.each(Object.entries(expectedSizes))('has every required size of %s', (family, sizes) => {
    for (const size of sizes) expect(names).toContain(`ml.${family}.${size}`);
  });

  it('gives every accelerated family accelerator info, and no CPU family any', () => {
    const accelerated = /^(g4dn|g5|g6|g6e|p3|p3dn|p4d|p4de|p5|p5e|inf2|trn1|trn1n)$/;
    for (const t of INSTANCE_TYPES) {
      if (accelerated.test(t.family)) {
        expect(t.accelerator).toBeDefined();
        expect(t.accelerator!.count).toBeGreaterThanOrEqual(1);
        expect(t.accelerator!.memoryGiBEach).toBeGreaterThan(0);
        expect(ACCELERATOR_TYPES).toContain(t.accelerator!.type);
      } else {
        expect(t.accelerator).toBeUndefined();
      }
    }
  });

  it.each<[string, number, number, AcceleratorType | undefined, number, number]>([
    ['ml.g5.xlarge', 4, 16, 'nvidia-a10g', 1, 24],
    ['ml.g5.12xlarge', 48, 192, 'nvidia-a10g', 4, 24],
    ['ml.g5.48xlarge', 192, 768, 'nvidia-a10g', 8, 24],
    ['ml.g4dn.12xlarge', 48, 192, 'nvidia-t4', 4, 16],
    ['ml.g6.xlarge', 4, 16, 'nvidia-l4', 1, 24],
    ['ml.g6e.xlarge', 4, 32, 'nvidia-l40s', 1, 48],
    ['ml.g6e.48xlarge', 192, 1536, 'nvidia-l40s', 8, 48],
    ['ml.p3.2xlarge', 8, 61, 'nvidia-v100', 1, 16],
    ['ml.p3dn.24xlarge', 96, 768, 'nvidia-v100', 8, 32],
    ['ml.p4d.24xlarge', 96, 1152, 'nvidia-a100', 8, 40],
    ['ml.p4de.24xlarge', 96, 1152, 'nvidia-a100-80gb', 8, 80],
    ['ml.p5.48xlarge', 192, 2048, 'nvidia-h100', 8, 80],
    ['ml.p5e.48xlarge', 192, 2048, 'nvidia-h200', 8, 141],
    ['ml.inf2.xlarge', 4, 16, 'aws-inferentia2', 1, 32],
    ['ml.inf2.48xlarge', 192, 768, 'aws-inferentia2', 12, 32],
    ['ml.trn1.2xlarge', 8, 32, 'aws-trainium', 1, 32],
    ['ml.trn1.32xlarge', 128, 512, 'aws-trainium', 16, 32],
    ['ml.trn1n.32xlarge', 128, 512, 'aws-trainium', 16, 32],
  ])('knows %s has %i vCPUs, %i GiB and the right accelerators', (name, vCpus, memoryGiB, type, count, memoryGiBEach) => {
    const t = getInstanceType(name);
    expect(t).toMatchObject({ vCpus, memoryGiB, accelerator: { type, count, memoryGiBEach } });
  });

  it('spot-checks CPU types', () => {
    expect(getInstanceType('ml.m5.xlarge')).toMatchObject({ vCpus: 4, memoryGiB: 16, pricePerHourUsd: 0.23 });
    expect(getInstanceType('ml.c5.9xlarge')).toMatchObject({ vCpus: 36, memoryGiB: 72 });
    expect(getInstanceType('ml.r5.24xlarge')).toMatchObject({ vCpus: 96, memoryGiB: 768 });
    expect(getInstanceType('ml.t3.medium')).toMatchObject({ vCpus: 2, memoryGiB: 4 });
  });

  it('records where and when the prices were taken', () => {
    expect(PRICES.region).toBe('us-east-1');
    expect(PRICES.takenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(PRICES.takenOn))).toBe(false);
    expect(PRICES.source).toMatch(/sagemaker/i);
  });
});

describe('catalog invariants', () => {
  it('has unique names', () => {
    expect(names.size).toBe(INSTANCE_TYPES.length);
  });

  it('names every type ml.<family>.<size>', () => {
    for (const t of INSTANCE_TYPES) {
      expect(t.name).toBe(`ml.${t.family}.${sizeOf(t)}`);
      expect(t.name).toMatch(/^ml\.[a-z0-9]+\.(medium|large|\d*xlarge)$/);
    }
  });

  it('has positive prices, vCPUs and memory, and at least one use per type', () => {
    for (const t of INSTANCE_TYPES) {
      expect(t.pricePerHourUsd).toBeGreaterThan(0);
      expect(t.vCpus).toBeGreaterThan(0);
      expect(t.memoryGiB).toBeGreaterThan(0);
      expect(t.uses.length).toBeGreaterThan(0);
    }
  });

  it('prices bigger sizes higher within a family with the same accelerator count', () => {
    const groups = new Map<string, InstanceTypeInfo[]>();
    for (const t of INSTANCE_TYPES) {
      const key = `${t.family}/${t.accelerator?.count ?? 0}`;
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    for (const group of groups.values()) {
      // Bigger: more vCPUs, or as many vCPUs and more memory (t3.medium → t3.large).
      const sorted = [...group].sort((a, b) => a.vCpus - b.vCpus || a.memoryGiB - b.memoryGiB);
      for (let i = 1; i < sorted.length; i++) {
        const [smaller, bigger] = [sorted[i - 1], sorted[i]];
        expect(bigger.vCpus > smaller.vCpus || bigger.memoryGiB > smaller.memoryGiB).toBe(true);
        expect(bigger.pricePerHourUsd).toBeGreaterThan(smaller.pricePerHourUsd);
      }
    }
  });

  it('marks local NVMe storage on g4dn/g5/g6/g6e/p4d/p5/m5d and not on m5/c5', () => {
    for (const t of INSTANCE_TYPES) {
      if (['g4dn', 'g5', 'g6', 'g6e', 'p4d', 'p4de', 'p5', 'p5e', 'm5d'].includes(t.family)) expect(t.localNvmeStorage).toBe(true);
      if (['m5', 'c5', 'r5', 't3', 'inf2', 'p3'].includes(t.family)) expect(t.localNvmeStorage).toBe(false);
    }
  });

  it('offers trn1/trn1n for training only and inf2 for inference only', () => {
    for (const t of INSTANCE_TYPES) {
      if (t.family === 'trn1' || t.family === 'trn1n') expect(t.uses).toEqual(['training']);
      if (t.family === 'inf2') expect(t.uses).toEqual(['inference']);
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(INSTANCE_TYPES)).toBe(true);
    expect(Object.isFrozen(INSTANCE_TYPES[0])).toBe(true);
    expect(Object.isFrozen(getInstanceType('ml.g5.xlarge').accelerator)).toBe(true);
  });
});

describe('lookupInstanceType / getInstanceType / suggestInstanceTypes', () => {
  it('finds a known name', () => {
    expect(lookupInstanceType('ml.g5.xlarge')?.family).toBe('g5');
    expect(getInstanceType('ml.g5.xlarge').name).toBe('ml.g5.xlarge');
  });

  it('returns undefined from lookup for an unknown name', () => {
    expect(lookupInstanceType('ml.g5.xlarg')).toBeUndefined();
    expect(lookupInstanceType('g5.xlarge')).toBeUndefined();
  });

  it('throws a CatalogError with a did-you-mean for a near miss', () => {
    const e = thrown(() => getInstanceType('ml.g5.xlarg'));
    expect(e.message).toBe("unknown SageMaker instance type 'ml.g5.xlarg'; did you mean 'ml.g5.xlarge'?");
    expect(e.name).toBe('CatalogError');
    expect(e.got).toBe("'ml.g5.xlarg'");
    expect(e.expected).toMatch(/SageMaker instance type/);
    expect(e.suggestions[0]).toBe('ml.g5.xlarge');
  });

  it('throws without a did-you-mean when nothing is close', () => {
    const e = thrown(() => getInstanceType('banana-split-supreme'));
    expect(e.message).toBe("unknown SageMaker instance type 'banana-split-supreme'");
    expect(e.suggestions).toEqual([]);
  });

  it("suggests 'ml.g5.xlarge' for 'g5.xlarge' (missing ml. prefix) first", () => {
    expect(suggestInstanceTypes('g5.xlarge')[0]).toBe('ml.g5.xlarge');
    expect(thrown(() => getInstanceType('g5.xlarge')).message).toContain("did you mean 'ml.g5.xlarge'?");
  });

  it('suggests at most 3 names, best first, ignoring case', () => {
    const s = suggestInstanceTypes('ML.G5.2XLARG');
    expect(s[0]).toBe('ml.g5.2xlarge');
    expect(s.length).toBeLessThanOrEqual(3);
    expect(suggestInstanceTypes('')).toEqual([]);
  });
});

describe('resolveInstanceType', () => {
  it('resolves 1 x A10G to ml.g5.xlarge', () => {
    expect(resolveInstanceType({ accelerator: { type: 'nvidia-a10g', count: 1 } }).name).toBe('ml.g5.xlarge');
    expect(resolveInstanceType({ accelerator: { type: 'nvidia-a10g' } }).name).toBe('ml.g5.xlarge');
  });

  it('resolves A10G with ≥ 64 GiB to the cheapest g5 that has it', () => {
    const got = resolveInstanceType({ accelerator: { type: 'nvidia-a10g', count: 1 }, memoryGiB: 64 });
    expect(got.name).toBe('ml.g5.4xlarge');
    const cheapest = INSTANCE_TYPES.filter((t) => t.family === 'g5' && t.memoryGiB >= 64).sort((a, b) => a.pricePerHourUsd - b.pricePerHourUsd)[0];
    expect(got.name).toBe(cheapest.name);
  });

  it('resolves 4 x A10G to a 4-GPU g5', () => {
    const got = resolveInstanceType({ accelerator: { type: 'nvidia-a10g', count: 4 } });
    expect(got.family).toBe('g5');
    expect(got.accelerator?.count).toBe(4);
    expect(got.name).toBe('ml.g5.12xlarge');
  });

  it('throws for 16 x T4, naming the maximum count', () => {
    const e = thrown(() => resolveInstanceType({ accelerator: { type: 'nvidia-t4', count: 16 } }));
    expect(e.message).toContain('16 x nvidia-t4');
    expect(e.message).toContain('the most on one instance is 4 (ml.g4dn.12xlarge)');
    expect(e.got).toBe('16 x nvidia-t4');
    expect(e.expected).toBe('at most 4 x nvidia-t4');
    expect(e.suggestions).toEqual(['ml.g4dn.12xlarge']);
  });

  it('resolves a CPU intent of 4 vCPUs to a cheap CPU-only type', () => {
    const got = resolveInstanceType({ vCpus: 4 });
    expect(got.accelerator).toBeUndefined();
    expect(got.vCpus).toBeGreaterThanOrEqual(4);
    expect(got.uses).toContain('inference');
    expect(got.name).toBe('ml.c5.xlarge');
  });

  it('never offers a GPU type for a CPU-only intent', () => {
    expect(resolveInstanceType({ memoryGiB: 700 }).accelerator).toBeUndefined();
  });

  it('never returns trn1 for inference, and explains why', () => {
    const families = ACCELERATOR_TYPES.flatMap((type) => [1, 2, 8, 16].map((count) => {
      const intent: AcceleratorIntent = { accelerator: { type, count }, use: 'inference' };
      const candidates = INSTANCE_TYPES.filter((t) => t.uses.includes('inference') && t.accelerator?.type === type && t.accelerator.count >= count);
      if (candidates.length > 0) return resolveInstanceType(intent).family;
      expect(thrown(() => resolveInstanceType(intent)).message).toContain(type);
      return undefined;
    }));
    expect(families.filter((f) => f !== undefined).length).toBeGreaterThan(10);
    expect(families.filter((f) => f?.startsWith('trn1'))).toEqual([]);
    const e = thrown(() => resolveInstanceType({ accelerator: { type: 'aws-trainium' } }));
    expect(e.message).toMatch(/aws-trainium supports inference; .*ml\.trn1\.2xlarge.* support training/);
  });

  it('resolves Trainium for training', () => {
    expect(resolveInstanceType({ accelerator: { type: 'aws-trainium' }, use: 'training' }).name).toBe('ml.trn1.2xlarge');
    expect(resolveInstanceType({ accelerator: { type: 'aws-trainium', count: 16 }, use: 'training' }).name).toBe('ml.trn1.32xlarge');
  });

  it('respects the use: inf2 only for inference, t3 not for inference', () => {
    expect(thrown(() => resolveInstanceType({ accelerator: { type: 'aws-inferentia2' }, use: 'training' })).message).toContain('supports training');
    expect(resolveInstanceType({ vCpus: 2, use: 'processing' }).name).toBe('ml.t3.medium');
    expect(resolveInstanceType({ vCpus: 2 }).family).not.toBe('t3');
  });

  it('names the closest option when memory cannot be met', () => {
    const e = thrown(() => resolveInstanceType({ accelerator: { type: 'nvidia-a10g' }, memoryGiB: 4096 }));
    expect(e.message).toContain('the closest is ml.g5.48xlarge (8 x nvidia-a10g, 192 vCPUs, 768 GiB)');
    expect(e.expected).toBe('at most 768 GiB memory with 1 x nvidia-a10g');
  });

  it('rejects malformed intents with a CatalogError', () => {
    expect(thrown(() => resolveInstanceType({ accelerator: { type: 'nvidia-t4g' as AcceleratorType } })).message).toContain("did you mean 'nvidia-t4'?");
    expect(thrown(() => resolveInstanceType({ accelerator: { type: 'nvidia-t4', count: 0 } })).expected).toBe('a whole number ≥ 1');
    expect(thrown(() => resolveInstanceType({ accelerator: { type: 'nvidia-t4', count: 1.5 } })).got).toBe('1.5');
    expect(thrown(() => resolveInstanceType({ vCpus: -1 })).got).toBe('-1');
    expect(thrown(() => resolveInstanceType({ use: 'serving' as InstanceUse })).got).toBe("'serving'");
  });

  it('breaks price ties by fewer vCPUs, then name', () => {
    // c5.xlarge and c6i.xlarge cost the same and have the same vCPUs: the name decides.
    expect(getInstanceType('ml.c5.xlarge').pricePerHourUsd).toBe(getInstanceType('ml.c6i.xlarge').pricePerHourUsd);
    expect(resolveInstanceType({ vCpus: 3 }).name).toBe('ml.c5.xlarge');
  });

  it('returns, for any intent that resolves, the cheapest type meeting every minimum (property)', () => {
    const intent = fc.record(
      {
        accelerator: fc.option(fc.record({ type: fc.constantFrom(...ACCELERATOR_TYPES), count: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }) }), { nil: undefined }),
        memoryGiB: fc.option(fc.oneof(fc.integer({ min: 0, max: 2100 }), fc.double({ min: 0, max: 2100, noNaN: true })), { nil: undefined }),
        vCpus: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
        use: fc.option(fc.constantFrom<InstanceUse>('inference', 'training', 'processing'), { nil: undefined }),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(intent, (i: AcceleratorIntent) => {
      const use = i.use ?? 'inference';
      const meets = (t: InstanceTypeInfo) => t.uses.includes(use)
        && t.memoryGiB >= (i.memoryGiB ?? 0)
        && t.vCpus >= (i.vCpus ?? 0)
        && (i.accelerator
          ? t.accelerator?.type === i.accelerator.type && t.accelerator.count >= (i.accelerator.count ?? 1)
          : t.accelerator === undefined);
      const candidates = INSTANCE_TYPES.filter(meets);
      let got: InstanceTypeInfo;
      try {
        got = resolveInstanceType(i);
      } catch (e) {
        expect(e).toBeInstanceOf(CatalogError);
        expect(candidates).toEqual([]);
        return;
      }
      expect(meets(got)).toBe(true);
      for (const c of candidates) expect(got.pricePerHourUsd).toBeLessThanOrEqual(c.pricePerHourUsd);
    }), { numRuns: 500 });
  });
});

describe('kubernetesAcceleratorFor', () => {
  it('requests nvidia.com/gpu and selects the GPU product label for NVIDIA types', () => {
    expect(kubernetesAcceleratorFor('nvidia-a10g')).toEqual({ resourceName: 'nvidia.com/gpu', nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A10G' } });
    expect(kubernetesAcceleratorFor('nvidia-t4').nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'Tesla-T4' });
    expect(kubernetesAcceleratorFor('nvidia-h100').nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    expect(kubernetesAcceleratorFor('nvidia-a100-80gb').nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' });
  });

  it('requests aws.amazon.com/neuron and selects the instance family for Neuron types', () => {
    expect(kubernetesAcceleratorFor('aws-inferentia2')).toEqual({ resourceName: 'aws.amazon.com/neuron', nodeSelector: { 'karpenter.k8s.aws/instance-family': 'inf2' } });
    expect(kubernetesAcceleratorFor('aws-trainium')).toEqual({ resourceName: 'aws.amazon.com/neuron', nodeSelector: { 'karpenter.k8s.aws/instance-family': 'trn1' } });
  });

  it('maps every accelerator type, with distinct selectors', () => {
    const selectors = ACCELERATOR_TYPES.map((t) => JSON.stringify(kubernetesAcceleratorFor(t).nodeSelector));
    expect(new Set(selectors).size).toBe(ACCELERATOR_TYPES.length);
    for (const t of ACCELERATOR_TYPES) {
      expect(kubernetesAcceleratorFor(t).resourceName).toBe(t.startsWith('nvidia-') ? 'nvidia.com/gpu' : 'aws.amazon.com/neuron');
    }
  });

  it('throws a CatalogError for an unknown type', () => {
    expect(thrown(() => kubernetesAcceleratorFor('nvidia-h10' as AcceleratorType)).message).toContain("did you mean 'nvidia-h100'?");
  });
});
