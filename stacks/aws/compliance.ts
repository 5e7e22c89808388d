/**
 * The rule packs every cdk-mlops AWS app runs at synth: cdk-nag's AWS Solutions, NIST 800-53 R5 and
 * HIPAA Security, as CDK validation plugins. Acknowledgments are written into the templates'
 * metadata, so the deployed artifact carries its own justifications.
 */
import { Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks } from 'cdk-nag';

export const COMPLIANCE_PACKS = ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security'] as const;

export function compliancePacks(scope: Stage): NagPack[] {
  const options = { writeSuppressionsToCloudFormation: true };
  return [new AwsSolutionsChecks(scope, options), new NIST80053R5Checks(scope, options), new HIPAASecurityChecks(scope, options)];
}

/** Registers the packs on an App or Stage: synth fails on any unacknowledged finding. */
export function addCompliancePacks(scope: Stage): void {
  Validations.of(scope).addPlugins(...compliancePacks(scope));
}
