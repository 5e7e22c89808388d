export { parseSpec, registerTokenDetector, S3_URI } from './primitives';
export { computeSchema, isGpu } from './compute';
export type { ResolvedCompute } from './compute';
export { DEPLOYMENT_STRATEGIES, endpointSpecSchema } from './endpoint';
export type { DeploymentStrategy, EndpointSpec } from './endpoint';
export {
  componentEndpointSpecSchema,
  isComponentEndpoint,
  reservationProblems,
  SAGEMAKER_ROUTING_STRATEGY,
  SHARED_ENDPOINT_NAMES,
  sharedEndpointSpecSchema,
} from './shared-endpoint';
export type { ComponentEndpointSpec, SharedEndpointSpec } from './shared-endpoint';
export { MODEL_APPROVAL_STATUSES, registrySpecSchema } from './registry';
export type { RegistrySpec } from './registry';
export { GOVERNANCE_LEVELS, governanceSpecSchema, MODEL_TAG, PLATFORM_TAG, requiredTagsOf } from './governance';
export type { GovernanceSpec } from './governance';
export { FEATURE_TYPES, featureGroupSpecSchema, featureStoreSpecSchema } from './feature-store';
export type { FeatureGroupSpec, FeatureStoreSpec, FeatureType } from './feature-store';
export { driftMonitorSpecSchema, MODEL_QUALITY_METRICS, MONITOR_SCHEDULES, PROBLEM_TYPES } from './drift-monitor';
export type { DriftMonitorSpec, MonitorSchedule, ProblemType } from './drift-monitor';
export {
  clusterDnsSchema,
  DEFAULT_CLUSTER_DNS,
  DEFAULT_IMAGES,
  DEFAULT_PROMETHEUS,
  DNS_LABEL,
  dnsLabel,
  endpointKubernetesSchema,
  JOBSET_POD_NAME_MAX,
  longestTrainingPodName,
  platformKubernetesSchema,
  PRIVATE_CIDRS,
  versionAtLeast,
} from './kubernetes';
export type {
  EndpointKubernetesSpec,
  KubernetesBackendSpec,
  PlatformKubernetesSpec,
  PrometheusAccess,
  RequestMetrics,
} from './kubernetes';
export { deliveryStagesOf, followsRegistry, PLATFORM_TARGETS, platformSpecSchema, platformTargets } from './platform';
export type { ModelSpec, PlatformSpec, PlatformTarget } from './platform';
export { ECR_IMAGE_URI } from './source';
export type { ModelSourceSpec } from './source';
export { loadPlatformSpec, parsePlatformSpec, parsePlatformSpecFor } from './load';
export type { TargetChoice } from './load';
export { platformJsonSchema } from './json-schema';
export { MAX_JOB_RUNTIME_SECONDS, MAX_PROCESSING_RUNTIME_SECONDS, pipelineSpecSchema } from './pipeline';
export type { PipelineSpec } from './pipeline';
export {
  batchSpecSchema,
  EXPECTED_RUN_MINUTES_TAG,
  TRANSFORM_MAX_ENVIRONMENT,
  TRANSFORM_MAX_PAYLOAD_MB,
} from './batch';
export type { BatchSpec } from './batch';
export { experimentTrackerSpecSchema } from './experiment-tracker';
export type { ExperimentTrackerSpec } from './experiment-tracker';
export { trainingClusterSpecSchema } from './training-cluster';
export type { TrainingClusterSpec } from './training-cluster';
export { DERIVED_NAMES } from './names';
export {
  evaluationDetail,
  MLFLOW_CARD_TAG_PREFIX,
  MODEL_CARD_LABEL,
  modelCardMarkdown,
  modelCardSections,
  modelCardSpecSchema,
  modelCardTags,
  productionTag,
  prune,
  RISK_RATINGS,
} from './model-card';
export type { ModelCardSpec, RiskRating } from './model-card';
export { DELIVERY_RENDERING, LATEST_APPROVED } from './delivery';
export type { DeliveryStage, StageApproval } from './delivery';
export { approvedForStageKey, DELIVERY_TAG, servingInStageKey } from './delivery-contract';
export type {
  BatchSpecInput,
  ComponentEndpointSpecInput,
  ComputeInput,
  DriftMonitorSpecInput,
  EndpointSpecInput,
  ExperimentTrackerSpecInput,
  FeatureGroupSpecInput,
  FeatureStoreSpecInput,
  GovernanceSpecInput,
  ModelCardSpecInput,
  PipelineSpecInput,
  PlatformSpecInput,
  RegistrySpecInput,
  SharedEndpointSpecInput,
  TrainingClusterSpecInput,
} from './types.generated';
