/** What every SageMaker hosting construct (ModelEndpoint, SharedEndpoint, InferenceComponent) renders the same way. */
import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ResolvedCompute } from '../../../lib/spec';

/** The role Application Auto Scaling acts through on SageMaker endpoints and components: its service-linked role (created on first use). */
export function sagemakerAutoScalingRole(scope: Construct): iam.IRole {
  return iam.Role.fromRoleArn(scope, 'AutoScalingServiceRole', Stack.of(scope).formatArn({
    service: 'iam', region: '', resource: 'role',
    resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
  }));
}

/**
 * The endpoint config's volume key: SageMaker rejects a KmsKeyId for instances with local NVMe
 * storage (hardware-encrypted) and for serverless; an instance type known only at deploy time gets
 * none, with a warning.
 */
export function volumeKeyArn(scope: Construct, compute: ResolvedCompute, key: kms.IKey): string | undefined {
  if (compute.kind !== 'instance') return undefined;
  if (compute.info === undefined) {
    Annotations.of(scope).addWarningV2('cdk-mlops:volumeKeyUnknown', 'The instance type is only known at deploy time: the storage volume key is omitted, since SageMaker rejects one on instances with local NVMe storage.');
    return undefined;
  }
  return compute.info.localNvmeStorage ? undefined : key.keyArn;
}
