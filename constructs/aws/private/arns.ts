import { Arn, ArnFormat, Aws, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** SageMaker writes resource names into ARNs in lower case; a token is left as it is. */
export function sagemakerArnName(name: string): string {
  return Token.isUnresolved(name) ? name : name.toLowerCase();
}

/** `arn:<partition>:sagemaker:<region>:<account>:<resource>/<name>` in the scope's stack. */
export function sagemakerArn(scope: IConstruct, resource: string, resourceName: string): string {
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/** The name part of a SageMaker ARN (`model-package-group/churn` → `churn`). */
export function nameFromArn(arn: string): string {
  const name = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).resourceName;
  if (!name) throw new Error(`'${arn}' is not a SageMaker ARN with a resource name (expected arn:<partition>:sagemaker:<region>:<account>:<type>/<name>)`);
  return name;
}

/** `s3://bucket/key` → the object's ARN (a token is left to the caller). */
export function s3ObjectArn(uri: string): string | undefined {
  if (Token.isUnresolved(uri)) return undefined;
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? `arn:${Aws.PARTITION}:s3:::${m[1]}/${m[2]}` : undefined;
}

/** `s3://bucket/...` → the bucket's ARN (a token is left to the caller). */
export function s3BucketArn(uri: string): string | undefined {
  if (Token.isUnresolved(uri)) return undefined;
  const m = /^s3:\/\/([^/]+)/.exec(uri);
  return m ? `arn:${Aws.PARTITION}:s3:::${m[1]}` : undefined;
}
