/**
 * Set before jest starts its workers, so the test files and the command lines they spawn inherit it.
 *
 * - aws-cdk-lib validates every synthesized template against CloudFormation's rules (a WebAssembly
 *   engine: about ten seconds of CPU to start in each process, then most of the CPU of a small synth).
 *   The suite turns it off, and proves it once where it matters: test/stacks/compliance.test.ts and
 *   test/examples.test.ts synthesize the reference platform and every AWS example with it on
 *   (`withCloudFormationValidation`) and expect no finding. A value already set
 *   (`CDK_VALIDATION=true npm test`) is kept.
 * - aws-cdk-lib records a stack trace for every CloudFormation element it creates and every
 *   annotation (debugging metadata in the cloud assembly's manifest, never in a template). Under jest
 *   each trace is 100 frames mapped through source maps: a quarter of the CPU of a synth. Off, through
 *   the context the CDK CLI passes to apps (CDK_CONTEXT_JSON) and CDK_DISABLE_STACK_TRACE; nothing
 *   of cdk-mlops reads them. A context already set there is kept.
 */
module.exports = () => {
  if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';
  if (process.env.CDK_DISABLE_STACK_TRACE === undefined) process.env.CDK_DISABLE_STACK_TRACE = '1';
  const context = process.env.CDK_CONTEXT_JSON ? JSON.parse(process.env.CDK_CONTEXT_JSON) : {};
  process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:disable-creation-stack-traces': true, ...context });
};
