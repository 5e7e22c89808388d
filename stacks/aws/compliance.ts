/**
 * The rule packs every cdk-mlops AWS app runs at synth: cdk-nag's AWS Solutions, NIST 800-53 R5 and
 * HIPAA Security, and cdk-mlops' own MLOps pack, as CDK validation plugins. Acknowledgments are
 * written into the templates' metadata, so the deployed artifact carries its own justifications.
 */
import { Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks } from 'cdk-nag';
import { MlopsChecks, MlopsChecksProps } from './mlops-rules';

export const COMPLIANCE_PACKS = ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'MLOps'] as const;

/** The packs; `mlops` sets the MLOps pack's defaults (a platform's own governance takes precedence on its resources). */
export function compliancePacks(scope: Stage, mlops: Omit<MlopsChecksProps, 'writeSuppressionsToCloudFormation'> = {}): NagPack[] {
  const options = { writeSuppressionsToCloudFormation: true };
  // Only one pack writes the acknowledgments into the template metadata: they are the same for every pack.
  return [new AwsSolutionsChecks(scope, options), new NIST80053R5Checks(scope), new HIPAASecurityChecks(scope), new MlopsChecks(scope, mlops)];
}

/** Registers the packs on an App or Stage: synth fails on any unacknowledged finding. */
export function addCompliancePacks(scope: Stage, mlops?: Omit<MlopsChecksProps, 'writeSuppressionsToCloudFormation'>): void {
  Validations.of(scope).addPlugins(...compliancePacks(scope, mlops));
}
