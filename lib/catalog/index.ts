export {
  ACCELERATOR_TYPES,
  INSTANCE_TYPES,
  PRICES,
} from './instance-types';
export type {
  AcceleratorInfo,
  AcceleratorType,
  InstanceTypeInfo,
  InstanceUse,
} from './instance-types';
export {
  ACCELERATOR_NODE_LABEL_PRESETS,
  CatalogError,
  DEFAULT_PROCESSING_INSTANCE_TYPE,
  getInstanceType,
  kubernetesAcceleratorFor,
  lookupInstanceType,
  resolveInstanceType,
  suggestInstanceTypes,
} from './catalog';
export type { AcceleratorIntent, AcceleratorNodeLabel, AcceleratorNodeLabelPreset } from './catalog';
export { isAwsImageAccount } from './aws-image-accounts';
export { monitoringImageRegions, monitoringImageUri } from './monitoring-images';
export type { MonitoringImageKind } from './monitoring-images';
