/**
 * The audit report's data model (report.json), as a zod schema: the TypeScript types are inferred
 * from it and schemas/audit-report.schema.json is generated from it (`mlops audit schema`), so the
 * published schema, the types and the tests cannot drift apart. Versioned: a field removed or
 * changed in meaning bumps the major version of AUDIT_REPORT_VERSION.
 */
import { z } from 'zod';

export const AUDIT_REPORT_VERSION = '1.2.0';

/**
 * Which synthesized output an entry was read from. Every principal, store and exposure carries it,
 * so a Kubernetes (Terraform JSON, cdktf.out/) reader can add entries beside the CloudFormation ones.
 */
export const auditTarget = z.enum(['aws-cloudformation', 'kubernetes-terraform']).meta({ description: "Where the entry was read: a CloudFormation template in cdk.out/ ('aws-cloudformation') or Terraform JSON in cdktf.out/ ('kubernetes-terraform')." });

const where = {
  target: auditTarget,
  stack: z.string().meta({ description: 'CloudFormation stack (or Terraform stack) the resource is in.' }),
  logicalId: z.string().meta({ description: 'Logical id of the resource in its template; for Terraform, <resource type>.<resource name>.' }),
  constructPath: z.string().optional().meta({ description: 'Construct path that created it (aws:cdk:path metadata, or the cdktf path), e.g. Platform/churn/Endpoint/ExecutionRole/Role.' }),
};

const statement = z.object({
  policy: z.string().meta({ description: 'Where the statement lives: the logical id of the policy, or "inline: <name>".' }),
  sid: z.string().optional(),
  effect: z.enum(['Allow', 'Deny']),
  actions: z.array(z.string()).meta({ description: 'Actions allowed or denied (NotAction entries are prefixed "NOT "); for a Kubernetes RBAC rule, its verbs.' }),
  resources: z.array(z.string()).meta({ description: 'Resources, with references written as the logical id of the resource they point to; for a Kubernetes RBAC rule, `<resource>` (core API group) or `<resource>.<api group>`, and non-resource URLs.' }),
  conditions: z.array(z.string()).meta({ description: 'Conditions, one readable line each: `iam:PassedToService StringEquals sagemaker.amazonaws.com`; for a Kubernetes RBAC rule, its resourceNames.' }),
});

export const principalSchema = z.object({
  ...where,
  kind: z.enum(['iam-role', 'iam-user', 'kubernetes-service-account', 'kubernetes-role', 'kubernetes-cluster-role']),
  name: z.string().optional().meta({ description: 'The role name when it is fixed in the template (for Kubernetes: namespace/name, or the name of a cluster-scoped object).' }),
  description: z.string().optional(),
  trustedBy: z.array(z.object({
    kind: z.enum(['service', 'account', 'federated', 'any', 'kubernetes-workload', 'kubernetes-service-account', 'kubernetes-user', 'kubernetes-group']),
    principal: z.string(),
    conditions: z.array(z.string()),
  })).meta({ description: 'Who can assume the role (its trust policy). For a Kubernetes ServiceAccount: the workloads that run as it; for a Kubernetes Role or ClusterRole: the subjects its bindings grant it to.' }),
  permissionsBoundary: z.string().optional().meta({ description: 'The permissions boundary ARN, when one is attached.' }),
  statements: z.array(statement),
});

export const dataStoreSchema = z.object({
  ...where,
  kind: z.enum(['s3-bucket', 'kms-key', 'sns-topic', 'feature-group', 'model-registry', 'data-capture', 'async-inference-output', 'log-group', 'mlflow-tracking-server', 'kubernetes-volume', 'kubernetes-secret']),
  type: z.string().meta({ description: 'The resource type (AWS::S3::Bucket, kubernetes_stateful_set_v1, ...).' }),
  encryption: z.string().meta({ description: 'How data at rest is encrypted, in words: "customer-managed KMS key PlatformKey", "SSE-S3 (AWS-managed)", "none".' }),
  customerManagedKey: z.boolean().meta({ description: 'True when a customer-managed KMS key protects the data.' }),
  versioning: z.enum(['enabled', 'suspended', 'off', 'not-applicable']),
  retention: z.string().meta({ description: 'What happens on stack deletion and how long data lives: "retained on delete; objects expire after 30 days".' }),
  publicAccess: z.enum(['blocked', 'possible', 'not-applicable']),
  tlsOnly: z.enum(['enforced', 'not-enforced', 'not-applicable']),
  notes: z.array(z.string()),
});

export const exposureSchema = z.object({
  ...where,
  kind: z.enum(['sagemaker-endpoint', 'sagemaker-inference-component', 'sagemaker-model', 'sagemaker-job', 'vpc-endpoint', 'security-group', 'mlflow-tracking-server', 'kubernetes-service', 'kubernetes-namespace', 'kubernetes-network-policy']),
  name: z.string().optional(),
  vpcPlacement: z.string().meta({ description: 'Where it runs on the network: "VPC (subnets ..., security groups ...)" or "SageMaker service network (no VPC)".' }),
  networkIsolation: z.enum(['isolated', 'network-access', 'not-applicable']),
  authentication: z.string().meta({ description: 'How a caller is authenticated, e.g. "AWS SigV4 (IAM): callers need sagemaker:InvokeEndpoint on it".' }),
  inbound: z.array(z.string()).meta({ description: 'Inbound network rules, one readable line each.' }),
  outbound: z.array(z.string()).optional().meta({ description: 'Outbound network rules, one readable line each (Kubernetes NetworkPolicy egress).' }),
  podSecurity: z.object({
    enforce: z.string().optional(),
    audit: z.string().optional(),
    warn: z.string().optional(),
  }).optional().meta({ description: "A Kubernetes namespace's Pod Security Admission labels: the level (privileged, baseline, restricted) and version per mode; a missing mode is not set." }),
});

export const findingSchema = z.object({
  pack: z.string().meta({ description: 'The rule pack: AwsSolutions, NIST.800.53.R5, HIPAA.Security, MLOps, or Kubernetes (the checks of the Terraform JSON in cdktf.out/).' }),
  rule: z.string().meta({ description: 'The rule id as the pack reports it, e.g. MLOps-NetworkIsolation or AwsSolutions-IAM5[Resource::*].' }),
  status: z.enum(['open', 'acknowledged']).meta({ description: "'open' fails synth (errors) or is a warning; 'acknowledged' was accepted with the reason given." }),
  severity: z.enum(['error', 'warning']),
  description: z.string(),
  reason: z.string().optional().meta({ description: 'Why it was acknowledged (written in the template metadata).' }),
  target: auditTarget,
  stack: z.string(),
  logicalId: z.string(),
  constructPath: z.string().optional(),
});

export const tagComplianceSchema = z.object({
  requiredTags: z.array(z.string()),
  checked: z.number().int().meta({ description: 'Taggable resources checked.' }),
  compliant: z.number().int(),
  missing: z.array(z.object({ ...where, type: z.string(), missing: z.array(z.string()) })),
  exempt: z.array(z.object({ ...where, type: z.string(), reason: z.string() })).meta({ description: 'Resources deliberately left untagged (a tag change would replace them).' }),
});

export const modelCardEntrySchema = z.object({
  target: auditTarget,
  model: z.string().meta({ description: 'The model the card describes (its cdk-mlops:model tag on AWS; its name on Kubernetes).' }),
  hasCard: z.boolean().meta({ description: 'False for a model the output deploys without a card: the entry flags it.' }),
  stack: z.string().optional(),
  logicalId: z.string().optional().meta({ description: 'The AWS::SageMaker::ModelCard, or <type>.<name> of the Kubernetes ConfigMap holding the card.' }),
  constructPath: z.string().optional(),
  name: z.string().optional().meta({ description: 'The model card name (AWS), or namespace/name of its ConfigMap (Kubernetes).' }),
  status: z.string().optional().meta({ description: 'Draft, PendingReview, Approved or Archived.' }),
  riskRating: z.string().optional().meta({ description: 'High, Medium, Low or Unknown.' }),
  owner: z.string().optional(),
  purpose: z.string().optional(),
  intendedUses: z.string().optional(),
  outOfScopeUses: z.string().optional(),
  encryption: z.string().optional().meta({ description: 'How the card is encrypted at rest, in words.' }),
  content: z.record(z.string(), z.unknown()).optional().meta({ description: "The card's content in SageMaker's model card JSON schema (snake_case), as deployed." }),
});

const deliveryWhere = {
  stack: z.string(),
  logicalId: z.string(),
  constructPath: z.string().optional(),
};

/** Model delivery and cross-account access: who approves versions, who deploys to which stage, what other accounts may reach. */
export const deliverySchema = z.object({
  approvers: z.array(z.object({
    ...deliveryWhere,
    group: z.string().meta({ description: "The model package group whose versions it may approve (sagemaker:UpdateModelPackage), or '*' for every group." }),
    principal: z.string().meta({ description: 'The role (its name, or construct path) or the account (a registry resource policy) that may approve.' }),
    kind: z.enum(['iam-role', 'account']),
    via: z.string().meta({ description: 'The policy that allows it.' }),
  })),
  deployers: z.array(z.object({
    ...deliveryWhere,
    stage: z.string().meta({ description: "The stage: the `cdk-mlops:delivery-stage` tag of its deploy role, `account <id>` for a role of another account the pipeline assumes, or 'every stage' for the delivery state machine." }),
    target: z.string().meta({ description: 'What deploys: a stage deploy role, or the delivery state machine.' }),
    trustedBy: z.array(z.string()).meta({ description: 'Who can use it: the principals its trust policy names, or who may start the state machine (roles allowed states:StartExecution, EventBridge rules targeting it).' }),
  })),
  crossAccountGrants: z.array(z.object({
    ...deliveryWhere,
    account: z.string().meta({ description: 'The other AWS account (12 digits).' }),
    region: z.string().optional().meta({ description: "The region of the resource (its stack's), when the stack names one: a grant in another region than the registry's is on a registry replica, for the delivery stages of that region." }),
    resourceKind: z.enum(['model-package-group', 's3-bucket', 'kms-key', 'iam-role', 'ecr-repository']),
    resource: z.string().meta({ description: 'The resource and, for a bucket, the objects (prefix) granted.' }),
    actions: z.array(z.string()),
    conditions: z.array(z.string()),
  })),
}).meta({ description: 'Who can approve model versions, who can deploy to which delivery stage, and every grant to another AWS account, read from the synthesized policies.' });

export const auditReportSchema = z.object({
  $schema: z.string().optional(),
  schemaVersion: z.literal(AUDIT_REPORT_VERSION).meta({ description: 'Version of this report format (semver).' }),
  generatedAt: z.string().meta({ description: 'When the report was written (ISO 8601).' }),
  source: z.object({
    cloudAssembly: z.string().meta({ description: 'The directory the report was read from.' }),
    cdktfOut: z.string().optional().meta({ description: 'The cdktf output directory the Kubernetes entries were read from, when there are any.' }),
    targets: z.array(auditTarget),
  }),
  governance: z.object({
    level: z.enum(['baseline', 'strict', 'unknown']).meta({ description: "The platform's governance level, as written in the templates ('unknown' for stacks no platform made)." }),
    requiredTags: z.array(z.string()),
    permissionsBoundary: z.string().optional(),
    targets: z.array(z.object({
      target: auditTarget,
      level: z.enum(['baseline', 'strict', 'unknown']),
      requiredTags: z.array(z.string()),
    })).optional().meta({ description: 'Each target\'s governance as its own output records it (CloudFormation template metadata; the `//` block of the Terraform JSON), when the report covers more than one target. `level` above is the weaker of them.' }),
  }),
  summary: z.object({
    stacks: z.array(z.object({ name: z.string(), resources: z.number().int() })),
    principals: z.number().int(),
    dataStores: z.number().int(),
    exposures: z.number().int(),
    openFindings: z.number().int(),
    acknowledgedFindings: z.number().int(),
  }),
  principals: z.array(principalSchema),
  dataStores: z.array(dataStoreSchema),
  exposure: z.array(exposureSchema),
  findings: z.array(findingSchema),
  tags: tagComplianceSchema,
  modelCards: z.array(modelCardEntrySchema).meta({ description: "Every model's card (what it is for, how it may be used, its risk rating, owner and review status) on each target, and the models deployed without one." }),

  delivery: deliverySchema.optional().meta({ description: 'Approvers, stage deployers and cross-account grants (CloudFormation).' }),
}).meta({ title: 'cdk-mlops audit report', description: 'What a synthesized cdk-mlops platform deploys, for an auditor: who can do what, what is encrypted and retained, what is exposed, and every rule-pack finding with its acknowledgment.' });

export type AuditReport = z.infer<typeof auditReportSchema>;
export type AuditPrincipal = z.infer<typeof principalSchema>;
export type AuditStatement = AuditPrincipal['statements'][number];
export type AuditDataStore = z.infer<typeof dataStoreSchema>;
export type AuditExposure = z.infer<typeof exposureSchema>;
export type AuditFinding = z.infer<typeof findingSchema>;
export type AuditTarget = z.infer<typeof auditTarget>;
export type AuditModelCard = z.infer<typeof modelCardEntrySchema>;

export type AuditDelivery = z.infer<typeof deliverySchema>;

/** The JSON Schema of report.json (schemas/audit-report.schema.json). */
export function auditReportJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(auditReportSchema, { io: 'output' }), $id: `https://cdk-mlops.dev/schemas/audit-report-${AUDIT_REPORT_VERSION}.json` };
}
