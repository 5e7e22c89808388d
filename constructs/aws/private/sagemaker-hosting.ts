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

/** What {@link hostingAlarmSet} returns: the alarms by key, their period and shared props, and `add`, which wires an alarm to the topic. */
export type HostingAlarmSet = ReturnType<typeof hostingAlarmSet>;

/** A metric of the hosting construct (a variant's, or an inference component's: the dimensions are the construct's), by name. */
export type HostingMetric = (metricName: string, props: cloudwatch.MetricOptions) => cloudwatch.IMetric;

/** The thresholds of the request alarms (the spec's `alarms`). */
export interface RequestAlarmThresholds {
  readonly periodSeconds: number;
  readonly latencyP99Ms: number;
  readonly invocation5xxErrors: number;
  readonly rate4xxPercent: number;
}

/**
 * The request alarms of a hosting construct, added to `set` in this order: p99 model latency,
 * 5XX errors and, unless `rate4xx` is false, the 4XX rate of requests. `name` is what the
 * descriptions call the construct (its endpoint or component name); `metric` reads its metrics.
 */
export function addRequestAlarms(scope: Construct, set: HostingAlarmSet, a: RequestAlarmThresholds, name: string, metric: HostingMetric, options: { rate4xx: boolean }): { latency: cloudwatch.Alarm; errors5xx: cloudwatch.Alarm; rate4xx?: cloudwatch.Alarm } {
  const { period, common, add } = set;
  const latency = add('latency', new cloudwatch.Alarm(scope, 'LatencyAlarm', {
    ...common,
    alarmDescription: `p99 model latency of ${name} above ${a.latencyP99Ms} ms`,
    metric: metric('ModelLatency', { statistic: 'p99', period }),
    threshold: a.latencyP99Ms * 1000, // ModelLatency is in microseconds
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  }));
  const errors5xx = add('invocation5xxErrors', new cloudwatch.Alarm(scope, 'Invocation5xxAlarm', {
    ...common,
    alarmDescription: `${name} failed ${a.invocation5xxErrors} or more requests (5XX) in ${a.periodSeconds}s`,
    metric: metric('Invocation5XXErrors', { statistic: 'Sum', period }),
    threshold: a.invocation5xxErrors,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  }));
  if (!options.rate4xx) return { latency, errors5xx };
  const rate4xx = add('rate4xx', new cloudwatch.Alarm(scope, 'Rate4xxAlarm', {
    ...common,
    alarmDescription: `4XX errors above ${a.rate4xxPercent}% of ${name}'s requests`,
    metric: new cloudwatch.MathExpression({
      expression: 'IF(invocations > 0, 100 * errors4xx / invocations, 0)',
      usingMetrics: { errors4xx: metric('Invocation4XXErrors', { statistic: 'Sum', period }), invocations: metric('Invocations', { statistic: 'Sum', period }) },
      period,
      label: '4XX rate (%)',
    }),
    threshold: a.rate4xxPercent,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  }));
  return { latency, errors5xx, rate4xx };
}
