/**
 * aws-cdk-lib validates every synthesized template against CloudFormation's rules (a WebAssembly
 * engine: about two thirds of the CPU of a synth). The suite turns it off for the processes it starts
 * (set here, before jest starts its workers, so spawned command lines inherit it), and proves it
 * once where it matters: test/stacks/compliance.test.ts synthesizes the reference platform and
 * every example with it on (`withCloudFormationValidation`) and expects no finding. A value already
 * set (`CDK_VALIDATION=true npm test`) is kept.
 */
module.exports = () => {
  if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';
};
