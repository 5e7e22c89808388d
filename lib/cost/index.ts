export * from './estimate';
export * from './prices';
export * from './schedule';
export { parseJsonWithTokens, referencedLogicalIds } from './intrinsics';
