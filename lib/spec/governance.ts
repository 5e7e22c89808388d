/**
 * Governance of a platform: the level it is held to, the permissions boundary of every role it
 * creates, and the tags every resource must carry. Checked on the spec (here, before anything is
 * synthesized) and again on the synthesized templates by the MLOps rule pack.
 */
import { z } from 'zod';

export const GOVERNANCE_LEVELS = ['baseline', 'strict'] as const;

/** The tags an auditor needs on every resource: who answers for it, who pays, how its data is handled. */
/** The tag every resource of a platform carries (value: the platform name): personas are scoped by it. */
export const PLATFORM_TAG = 'cdk-mlops:platform';
/** The tag on every resource of a model's stack: which model it serves. */
export const MODEL_TAG = 'cdk-mlops:model';

export const DEFAULT_REQUIRED_TAGS = ['owner', 'cost-center', 'data-classification'] as const;

/** An IAM managed policy ARN (customer-managed or AWS-managed). */
export const IAM_POLICY_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;

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
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { GovernanceSpecInput } from './types.generated';
export type { GovernanceSpecInput };
export type GovernanceSpec = z.output<typeof governanceSpecSchema>;

/** The tag keys a governance requires, defaults applied. */
export function requiredTagsOf(governance: GovernanceSpec): string[] {
  return governance.requiredTags ?? (governance.level === 'strict' ? [...DEFAULT_REQUIRED_TAGS] : []);
}
