/**
 * Governance of a platform: the level it is held to, the permissions boundary of every role it
 * creates, and the tags every resource must carry. Checked on the spec (here, before anything is
 * synthesized) and again on the synthesized templates by the MLOps rule pack.
 */
import { z } from 'zod';
import { KUBERNETES_RULES } from '../governance/kubernetes-rules';

export const GOVERNANCE_LEVELS = ['baseline', 'strict'] as const;

/** The tags an auditor needs on every resource: who answers for it, who pays, how its data is handled. */
/** The tag every resource of a platform carries (value: the platform name): personas are scoped by it. */
export const PLATFORM_TAG = 'cdk-mlops:platform';
/** The tag on every resource of a model's stack: which model it serves. */
export const MODEL_TAG = 'cdk-mlops:model';

/** The tags cdk-mlops puts on resources itself: a user's tags share the 50 a resource may carry with them. */
export const PLATFORM_TAGS = [PLATFORM_TAG, MODEL_TAG] as const;

/** AWS's tag rules (Tag in the IAM, SageMaker and CloudFormation references): characters, lengths, count, reserved prefix. */
export const AWS_TAGS = {
  keyPattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u,
  valuePattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
  maxKeyLength: 128,
  maxValueLength: 256,
  maxTags: 50,
  reservedPrefix: 'aws:',
} as const;

/** What AWS refuses in one tag, or undefined when it takes it. */
export function tagProblem(key: string, value: string): { field: 'key' | 'value'; message: string; expected: string } | undefined {
  const chars = "letters, digits, spaces and _ . : / = + - @";
  if (key.toLowerCase().startsWith(AWS_TAGS.reservedPrefix)) return { field: 'key', message: "starts with 'aws:', which AWS reserves for its own tags", expected: "a key not starting with 'aws:'" };
  if ((PLATFORM_TAGS as readonly string[]).includes(key)) return { field: 'key', message: 'is set by cdk-mlops itself', expected: `a key other than ${PLATFORM_TAGS.map((t) => `'${t}'`).join(' and ')}` };
  if ([...key].length > AWS_TAGS.maxKeyLength || !AWS_TAGS.keyPattern.test(key)) return { field: 'key', message: 'is not a tag key AWS accepts', expected: `1-${AWS_TAGS.maxKeyLength} ${chars}` };
  if ([...value].length > AWS_TAGS.maxValueLength || !AWS_TAGS.valuePattern.test(value)) return { field: 'value', message: 'is not a tag value AWS accepts', expected: `0-${AWS_TAGS.maxValueLength} ${chars}` };
  return undefined;
}

export const DEFAULT_REQUIRED_TAGS = ['owner', 'cost-center', 'data-classification'] as const;

/** An IAM managed policy ARN (customer-managed or AWS-managed). */
export const IAM_POLICY_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;

/** The ids of the Kubernetes checks of the audit report, the only findings the spec acknowledges. */
export type KubernetesRuleId = (typeof KUBERNETES_RULES)[keyof typeof KUBERNETES_RULES]['id'];
export const KUBERNETES_RULE_IDS = Object.values(KUBERNETES_RULES).map((r) => r.id) as [KubernetesRuleId, ...KubernetesRuleId[]];

/** Reasons that say nothing: an acknowledgement must say why the finding is accepted. */
const EMPTY_REASONS = /^(n\/?a|none|todo|tbd|ok|okay|fine|accepted|ack(nowledged)?|ignore[d]?|wip|later|-+|\.+)$/i;

const acknowledgementSchema = z.strictObject({
  rule: z.enum(KUBERNETES_RULE_IDS, { error: `a Kubernetes rule id: ${KUBERNETES_RULE_IDS.join(', ')}` }).meta({
    description: "The rule the finding is reported under, as the audit report shows it, e.g. 'Kubernetes-NoNodePortService'.",
  }),
  path: z.string().min(1).meta({
    description: "The construct path of the object the finding is about, as the audit report shows it (its 'constructPath'), e.g. 'mlops-reference/churn/Endpoint/Service'.",
  }),
  reason: z.string().trim().refine((r) => r.length >= 20 && r.split(/\s+/).length >= 4 && !EMPTY_REASONS.test(r), { error: 'a reason an auditor can check: at least 20 characters and four words saying why the finding is accepted' }).meta({
    description: 'Why the finding is accepted: what makes the risk acceptable, or what mitigates it. Shown beside the finding in the audit report.',
  }),
}).meta({ description: 'A Kubernetes finding of the audit report accepted with a reason, as cdk-nag findings are acknowledged on AWS.' });

export const governanceSpecSchema = z.strictObject({
  level: z.enum(GOVERNANCE_LEVELS).default('baseline').meta({
    description: "'baseline': encrypted, least-privilege, checked by the rule packs. 'strict': also every model in a VPC (private isolated subnets, VPC endpoints, flow logs), network-isolated, with customer-managed keys everywhere; serverless endpoints are rejected (SageMaker serverless cannot run in a VPC). @default 'baseline'",
  }),
  permissionsBoundary: z.string().regex(IAM_POLICY_ARN, { error: "an IAM managed policy ARN, e.g. 'arn:aws:iam::123456789012:policy/ml-boundary'" }).optional().meta({
    description: 'Permissions boundary attached to every IAM role the platform creates. @default - none',
  }),
  personas: z.boolean().default(false).meta({
    description: "Create the data scientist, ML engineer and auditor roles (assumable through the account, for an identity provider to map to), scoped to this platform's resources by its 'cdk-mlops:platform' tag. @default false",
  }),
  requiredTags: z.array(z.string().min(1).max(128)).optional().meta({
    description: "Tag keys every resource must carry; the platform's `tags` must set them. @default - owner, cost-center and data-classification at the strict level; none at baseline",
  }),
  acknowledgements: z.array(acknowledgementSchema).default([]).meta({
    description: "Kubernetes findings of the audit report accepted with a reason (the Kubernetes target renders them into its Terraform JSON, where `mlops audit` reads them; AWS findings are acknowledged in code with cdk-nag's `Validations.of(c).acknowledge`). A path no object of the Kubernetes output has is rejected at synth. @default - none",
  }),
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { GovernanceSpecInput } from './types.generated';
export type { GovernanceSpecInput };
export type GovernanceSpec = z.output<typeof governanceSpecSchema>;

/** The tag keys a governance requires, defaults applied. */
export function requiredTagsOf(governance: GovernanceSpec): string[] {
  return governance.requiredTags ?? (governance.level === 'strict' ? [...DEFAULT_REQUIRED_TAGS] : []);
}
