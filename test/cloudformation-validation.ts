/**
 * Runs `fn` with aws-cdk-lib's built-in CloudFormation validation on, which the suite turns off
 * elsewhere for speed (test/global-setup.js): its findings land in the assembly's
 * validation-report.json, read by `unacknowledgedFindings`.
 */
export function withCloudFormationValidation<T>(fn: () => T): T {
  const previous = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  try {
    return fn();
  } finally {
    if (previous !== undefined) process.env.CDK_VALIDATION = previous;
  }
}
