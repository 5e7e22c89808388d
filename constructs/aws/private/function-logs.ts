/**
 * A function of ours: its log group, encrypted with a key of ours (which lets CloudWatch Logs use it
 * for log groups only), kept a year, retained; and the compliance rules an event-driven function
 * answers with why they do not apply.
 */
import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** `sid` names the key policy statement (one per function, so each stays readable in the key policy). */
export function newFunctionLogGroup(scope: Construct, id: string, encryptionKey: kms.IKey, sid: string): logs.LogGroup {
  const stack = Stack.of(scope);
  const logGroup = new logs.LogGroup(scope, id, { encryptionKey, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
  encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
    sid,
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) } },
  }));
  return logGroup;
}

/** Acknowledges the dead-letter-queue and inside-VPC rules of the NIST 800-53 and HIPAA packs for an event-driven function, with why. */
export function acknowledgeEventFunction(fn: Construct, reasons: { readonly deadLetterQueue: string; readonly vpc: string }): void {
  Validations.of(fn).acknowledge(
    { id: 'NIST.800.53.R5-LambdaDLQ', reason: reasons.deadLetterQueue },
    { id: 'HIPAA.Security-LambdaDLQ', reason: reasons.deadLetterQueue },
    { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: reasons.vpc },
    { id: 'HIPAA.Security-LambdaInsideVPC', reason: reasons.vpc },
  );
}
