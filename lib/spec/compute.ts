/**
 * Compute intent, cloud-neutral: an explicit instance type, an accelerator intent resolved through
 * the catalog to the cheapest type that meets it, or serverless capacity.
 */
import { z } from 'zod';
import { ACCELERATOR_TYPES, CatalogError, InstanceTypeInfo, InstanceUse, lookupInstanceType, resolveInstanceType, suggestInstanceTypes } from '../catalog';
import { renderValue } from '../errors';
import { addIssue, int, isUnresolved, num, tokenOr } from './primitives';

/** Serverless inference memory sizes SageMaker accepts, in MiB. */
export const SERVERLESS_MEMORY_MIB = [1024, 2048, 3072, 4096, 5120, 6144] as const;

const serverlessSchema = z.strictObject({
  memoryMiB: z.union(SERVERLESS_MEMORY_MIB.map((m) => z.literal(m)) as unknown as [z.ZodLiteral<1024>, z.ZodLiteral<2048>])
    .meta({ description: 'Memory per serverless worker in MiB: 1024, 2048, 3072, 4096, 5120 or 6144.' }),
  maxConcurrency: int(1, 200).default(20).meta({ description: 'Concurrent invocations the endpoint serves before throttling. @default 20' }),
  provisionedConcurrency: int(1, 200).optional().meta({ description: 'Workers kept warm (no cold starts); at most maxConcurrency. @default - none: workers start on demand' }),
});

const computeInput = z.strictObject({
  instanceType: tokenOr(z.string()).optional().meta({ description: "An explicit SageMaker instance type, e.g. 'ml.g5.xlarge'." }),
  accelerator: z.strictObject({
    type: z.enum(ACCELERATOR_TYPES as unknown as [string, ...string[]]).meta({ description: 'Accelerator model, e.g. nvidia-a10g, nvidia-h100, aws-inferentia2.' }),
    count: int(1, 16).default(1).meta({ description: 'Accelerators per instance. @default 1' }),
  }).optional(),
  memoryGiB: num(0.5).optional().meta({ description: 'Minimum host memory in GiB (with accelerator or vCpus intent).' }),
  vCpus: int(1).optional().meta({ description: 'Minimum vCPUs (with accelerator or memory intent).' }),
  serverless: serverlessSchema.optional().meta({ description: 'Serverless inference: pay per request, no GPUs, no VPC, no data capture.' }),
});

export type ComputeInput = z.input<typeof computeInput>;

export type ResolvedCompute =
  | {
    readonly kind: 'instance';
    /** The SageMaker instance type (may be an unresolved token). */
    readonly instanceType: string;
    /** Catalog facts; undefined only when the type is an unresolved token. */
    readonly info?: InstanceTypeInfo;
    /**
     * What an intent asked for, when the type was resolved from one (the type may hold more: two
     * GPUs can resolve to an eight-GPU type). Kubernetes sizes a pod from it; SageMaker rents the
     * whole instance. @default - the whole instance (an explicit instanceType)
     */
    readonly requested?: { readonly acceleratorCount?: number; readonly memoryGiB?: number; readonly vCpus?: number };
  }
  | {
    readonly kind: 'serverless';
    readonly memoryMiB: number;
    readonly maxConcurrency: number;
    readonly provisionedConcurrency?: number;
  };

/** The compute schema for a given use: 'inference' endpoints, 'training' jobs, 'processing' jobs. */
export function computeSchema(use: InstanceUse, options: { allowServerless: boolean }) {
  return computeInput.superRefine((c, ctx) => {
    const intent = c.accelerator !== undefined || c.memoryGiB !== undefined || c.vCpus !== undefined;
    const chosen = [c.instanceType !== undefined && 'instanceType', intent && 'accelerator/memoryGiB/vCpus', c.serverless !== undefined && 'serverless'].filter(Boolean);
    if (chosen.length !== 1) {
      addIssue(ctx, [], chosen.length === 0 ? 'says nothing about compute' : 'mixes ways of choosing compute', {
        got: chosen.length === 0 ? 'nothing' : chosen.join(' and '),
        expected: options.allowServerless ? 'exactly one of instanceType, an accelerator/memoryGiB/vCpus intent, or serverless' : 'exactly one of instanceType or an accelerator/memoryGiB/vCpus intent',
      });
      return;
    }
    if (c.serverless !== undefined) {
      if (!options.allowServerless) addIssue(ctx, ['serverless'], `is not available for ${use}`, { got: 'serverless', expected: 'instanceType or an accelerator intent' });
      const s = c.serverless;
      if (s.provisionedConcurrency !== undefined && !isUnresolved(s.provisionedConcurrency) && !isUnresolved(s.maxConcurrency) && s.provisionedConcurrency > s.maxConcurrency) {
        addIssue(ctx, ['serverless', 'provisionedConcurrency'], 'must be ≤ maxConcurrency', { got: String(s.provisionedConcurrency), expected: `≤ ${s.maxConcurrency}` });
      }
      return;
    }
    if (c.instanceType !== undefined) {
      if (isUnresolved(c.instanceType)) return;
      const info = lookupInstanceType(c.instanceType);
      if (!info) {
        const suggestions = suggestInstanceTypes(c.instanceType);
        addIssue(ctx, ['instanceType'], suggestions.length > 0 ? `is not a SageMaker instance type; did you mean '${suggestions[0]}'?` : 'is not a SageMaker instance type', {
          got: renderValue(c.instanceType), expected: "a SageMaker instance type such as 'ml.m5.xlarge' or 'ml.g5.xlarge'",
        });
      } else if (!info.uses.includes(use)) {
        addIssue(ctx, ['instanceType'], `is not offered for ${use}`, { got: renderValue(c.instanceType), expected: `a type SageMaker offers for ${use}` });
      }
      return;
    }
    if ([c.memoryGiB, c.vCpus, c.accelerator?.count].some(isUnresolved)) {
      addIssue(ctx, [], 'cannot resolve an intent made of deploy-time values', { got: 'an unresolved token', expected: 'literal numbers, or an explicit instanceType' });
      return;
    }
    try {
      resolveInstanceType(toIntent(c, use));
    } catch (e) {
      if (!(e instanceof CatalogError)) throw e;
      addIssue(ctx, c.accelerator ? ['accelerator'] : [], e.message, { got: e.got, expected: e.expected });
    }
  }).transform((c): ResolvedCompute => {
    if (c.serverless) return { kind: 'serverless', ...c.serverless };
    if (c.instanceType !== undefined) return { kind: 'instance', instanceType: c.instanceType, info: lookupInstanceType(c.instanceType) };
    const info = resolveInstanceType(toIntent(c, use));
    return { kind: 'instance', instanceType: info.name, info, requested: { acceleratorCount: c.accelerator?.count, memoryGiB: c.memoryGiB, vCpus: c.vCpus } };
  });
}

function toIntent(c: z.output<typeof computeInput>, use: InstanceUse) {
  return {
    accelerator: c.accelerator ? { type: c.accelerator.type as (typeof ACCELERATOR_TYPES)[number], count: c.accelerator.count } : undefined,
    memoryGiB: c.memoryGiB,
    vCpus: c.vCpus,
    use,
  };
}

/** True when the resolved compute runs on GPUs (accelerator type nvidia-*). */
export function isGpu(compute: ResolvedCompute): boolean {
  return compute.kind === 'instance' && (compute.info?.accelerator?.type.startsWith('nvidia-') ?? false);
}
