export { createSageMakerClient, createSfnClient } from './client';
export { explain, isOpsError, OpsError } from './errors';
export { SageMakerOps } from './ops';
export type { PlatformStatus, RunProgress } from './ops';
export { endpointVariants } from './variants';
export { checkStageName, DeliveryOps, versionText } from './delivery';
export type {
  DeliveryOpsOptions,
  GroupDeliveryStatus,
  StageApprovalResult,
  StageMark,
  StageRollbackResult,
  VersionDelivery,
} from './delivery';
