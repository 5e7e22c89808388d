/**
 * The variants of an endpoint as DescribeEndpoint reports them: the production variant(s) and the
 * shadow variant (ShadowProductionVariants), which receives copies of production requests and whose
 * responses are never returned. A shadow's sampling share is its weight relative to production's.
 */
import { DescribeEndpointCommandOutput, ProductionVariantSummary } from '@aws-sdk/client-sagemaker';

export interface VariantStatus {
  readonly name: string;
  /** 'shadow' for a variant of ShadowProductionVariants. */
  readonly role: 'production' | 'shadow';
  readonly currentInstanceCount?: number;
  readonly desiredInstanceCount?: number;
  readonly serverless?: boolean;
  /** Share of production requests copied to a shadow (its weight over the production variant's), in percent. */
  readonly samplingPercent?: number;
}

export function endpointVariants(d: Pick<DescribeEndpointCommandOutput, 'ProductionVariants' | 'ShadowProductionVariants'>): VariantStatus[] {
  const production = d.ProductionVariants ?? [];
  const productionWeight = production.reduce((sum, v) => sum + (v.CurrentWeight ?? 0), 0);
  const one = (v: ProductionVariantSummary, role: VariantStatus['role']): VariantStatus => ({
    name: v.VariantName ?? '?',
    role,
    currentInstanceCount: v.CurrentInstanceCount,
    desiredInstanceCount: v.DesiredInstanceCount,
    ...(v.CurrentServerlessConfig ? { serverless: true } : {}),
    ...(role === 'shadow' && v.CurrentWeight !== undefined && productionWeight > 0 ? { samplingPercent: Math.round((1000 * v.CurrentWeight) / productionWeight) / 10 } : {}),
  });
  return [...production.map((v) => one(v, 'production')), ...(d.ShadowProductionVariants ?? []).map((v) => one(v, 'shadow'))];
}
