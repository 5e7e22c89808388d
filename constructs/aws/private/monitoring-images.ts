/**
 * The SageMaker-owned images monitoring jobs run: the Model Monitor analyzer (data and model
 * quality) and SageMaker Clarify (bias, explainability). One registry account per region, as the
 * SageMaker Python SDK publishes them (image_uri_config/model-monitor.json) and the SageMaker
 * Developer Guide lists them ("Prebuilt SageMaker Clarify Containers"). The one place both
 * MlPipeline's check steps and DriftMonitor's monitors look them up.
 */

const MODEL_MONITOR_REGISTRIES: Readonly<Record<string, string>> = {
  'ap-east-1': '001633400207', 'ap-northeast-1': '574779866223', 'ap-northeast-2': '709848358524',
  'ap-south-1': '126357580389', 'ap-southeast-1': '245545462676', 'ap-southeast-2': '563025443158', 'ca-central-1': '536280801234',
  'cn-north-1': '453000072557', 'cn-northwest-1': '453252182341', 'eu-central-1': '048819808253', 'eu-north-1': '895015795356',
  'eu-west-1': '468650794304', 'eu-west-2': '749857270468', 'eu-west-3': '680080141114', 'me-south-1': '607024016150',
  'sa-east-1': '539772159869', 'us-east-1': '156813124566', 'us-east-2': '777275614652', 'us-west-1': '890145073186', 'us-west-2': '159807026194',
};

const CLARIFY_REGISTRIES: Readonly<Record<string, string>> = {
  'af-south-1': '811711786498', 'ap-east-1': '098760798382', 'ap-northeast-1': '377024640650', 'ap-northeast-2': '263625296855',
  'ap-northeast-3': '912233562940', 'ap-south-1': '452307495513', 'ap-southeast-1': '834264404009', 'ap-southeast-2': '007051062584',
  'ap-southeast-3': '705930551576', 'ca-central-1': '675030665977', 'cn-north-1': '122526803553', 'cn-northwest-1': '122578899357',
  'eu-central-1': '017069133835', 'eu-central-2': '730335477804', 'eu-north-1': '763603941244', 'eu-south-1': '638885417683',
  'eu-west-1': '131013547314', 'eu-west-2': '440796970383', 'eu-west-3': '341593696636', 'me-south-1': '835444307964',
  'sa-east-1': '520018980103', 'us-east-1': '205585389593', 'us-east-2': '211330385671', 'us-west-1': '740489534195', 'us-west-2': '306415355426',
};

export type MonitoringImageKind = 'modelMonitor' | 'clarify';

function host(region: string): string {
  return region.startsWith('cn-') ? `dkr.ecr.${region}.amazonaws.com.cn` : `dkr.ecr.${region}.amazonaws.com`;
}

/** The image URI for a region, or undefined when the region has none we know of. */
export function monitoringImageUri(kind: MonitoringImageKind, region: string): string | undefined {
  const account = (kind === 'modelMonitor' ? MODEL_MONITOR_REGISTRIES : CLARIFY_REGISTRIES)[region];
  if (!account) return undefined;
  return kind === 'modelMonitor'
    ? `${account}.${host(region)}/sagemaker-model-monitor-analyzer`
    : `${account}.${host(region)}/sagemaker-clarify-processing:1.0`;
}

export function monitoringImageRegions(kind: MonitoringImageKind): string[] {
  return Object.keys(kind === 'modelMonitor' ? MODEL_MONITOR_REGISTRIES : CLARIFY_REGISTRIES).sort();
}
