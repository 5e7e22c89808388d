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
  CatalogError,
  DEFAULT_PROCESSING_INSTANCE_TYPE,
  getInstanceType,
  kubernetesAcceleratorFor,
  lookupInstanceType,
  resolveInstanceType,
  suggestInstanceTypes,
} from './catalog';
export type { AcceleratorIntent } from './catalog';
