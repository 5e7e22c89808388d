/**
 * Accounts whose ECR repositories AWS publishes images from to every account: the AWS Deep Learning
 * Containers (aws/deep-learning-containers available_images.md, one account per region group), the
 * SageMaker built-in algorithm images (the SageMaker Python SDK's image_uri_config/xgboost.json and
 * sklearn.json) and the Model Monitor and Clarify images (./monitoring-images.ts). An endpoint of any
 * account pulls from them; an image in any other account's private repository needs that
 * repository's policy to allow the endpoint's account.
 */
import { monitoringImageRegions, monitoringImageUri } from './monitoring-images';

const DEEP_LEARNING_CONTAINERS = [
  '763104351884', '871362719292', '217643126080', '626614931356', '692866216735', '727897471807', '907027046896', '914824155844', '780543022126',
];

const BUILT_IN_ALGORITHMS = [
  '683313688378', '257758044811', '746614075791', '246618743249', '141502667606', '492215442770', '354813040037', '366743142698',
  '121021644041', '783357654285', '720646828776', '341280168497', '764974769150', '659782779980', '662702820516', '737474898029',
];

const MONITORING = (['modelMonitor', 'clarify'] as const).flatMap((kind) => monitoringImageRegions(kind).map((region) => monitoringImageUri(kind, region)!.split('.')[0]));

const AWS_IMAGE_ACCOUNTS: ReadonlySet<string> = new Set([...DEEP_LEARNING_CONTAINERS, ...BUILT_IN_ALGORITHMS, ...MONITORING]);

/** True for an account AWS publishes SageMaker images from, which every account may pull. */
export function isAwsImageAccount(account: string): boolean {
  return AWS_IMAGE_ACCOUNTS.has(account);
}
