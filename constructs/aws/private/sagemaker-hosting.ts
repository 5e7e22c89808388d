/** What every SageMaker hosting construct (ModelEndpoint, SharedEndpoint, InferenceComponent) renders the same way. */
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
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

/** The alarms of a hosting construct: each notifies the topic on ALARM and OK; missing data is not breaching. */
export function hostingAlarmSet(topic: sns.ITopic, a: { periodSeconds: number; evaluationPeriods: number; datapointsToAlarm: number }) {
  const action = new cwActions.SnsAction(topic);
  const alarms: Record<string, cloudwatch.Alarm> = {};
  return {
    alarms,
    period: Duration.seconds(a.periodSeconds),
    common: { evaluationPeriods: a.evaluationPeriods, datapointsToAlarm: a.datapointsToAlarm, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING },
    add: (key: string, alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms[key] = alarm;
      return alarm;
    },
  };
}
