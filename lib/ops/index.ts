export * from './client';
export * from './errors';
export * from './ops';
export * from './variants';
export { checkStageName, DeliveryOps, versionText } from './delivery';
export type { DeliveryOpsOptions, GroupDeliveryStatus, StageApprovalResult, StageMark, StageRollbackResult, VersionDelivery } from './delivery';
