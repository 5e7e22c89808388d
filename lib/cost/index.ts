export { estimateCost } from './estimate';
export type { CostAssumptions, CostComponent, CostEstimate, CostLine, MonthlyUsd } from './estimate';
export { OTHER_PRICES } from './prices';
export { runsPerMonth } from './schedule';
export { parseJsonWithTokens, referencedLogicalIds } from './intrinsics';
