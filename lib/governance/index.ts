export { acknowledgments, readCloudAssembly, resourcesByType, unacknowledgedFindings } from './cloud-assembly';
export type { Acknowledgment, CfnResource, Finding, SynthesizedAssembly, SynthesizedStack } from './cloud-assembly';
export { evaluateResource, GOVERNANCE_METADATA_KEY, MLOPS_PACK, MLOPS_RULES, TAG_REPLACES_TYPES } from './rules';
export type { GovernanceLevel, MlopsRule, RuleContext, RuleLevel, RuleResult } from './rules';
export { AUDIT_REPORT_VERSION, auditReportJsonSchema, auditReportSchema } from './report-model';
export type {
  AuditDataStore,
  AuditExposure,
  AuditFinding,
  AuditPrincipal,
  AuditReport,
  AuditStatement,
  AuditTarget,
} from './report-model';
export { buildAuditReport, mergeAuditReports, readable } from './audit';
export { renderHtml, renderMarkdown, writeAuditReport } from './report-render';
export { governanceDiff, kubernetesGovernanceDiff, renderGovernanceDiff } from './diff';
export type { GovernanceChange, GovernanceChangeKind, GovernanceDiff } from './diff';
export { readTerraformOutput, resolveReference, terraformResourcesByType } from './terraform';
export type { TerraformOutput, TerraformResource, TerraformStack } from './terraform';
export { buildKubernetesAudit, restrictedProfileGaps } from './kubernetes-audit';
export type { KubernetesAudit, KubernetesGovernanceMetadata } from './kubernetes-audit';
export { modelCardChanges } from './model-cards';
export { KUBERNETES_RULES } from './kubernetes-rules';
