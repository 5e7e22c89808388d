/** ModelRegistry spec: a model package group, who outside the account may read it, what it announces. */
import { z } from 'zod';
import { addIssue, awsAccountId, sagemakerName, tokenOr } from './primitives';

export const MODEL_APPROVAL_STATUSES = ['Approved', 'Rejected', 'PendingManualApproval'] as const;

export const registrySpecSchema = z.strictObject({
  name: sagemakerName().optional().meta({ description: 'Model package group name. @default - derived from the construct path' }),
  description: tokenOr(z.string().max(1024)).optional(),
  crossAccountReadAccountIds: z.array(awsAccountId()).default([]).meta({ description: 'AWS accounts (12-digit ids) allowed to read and deploy the group\'s model packages. Never a public principal. @default - none' }),
  notifyOn: z.array(z.enum(MODEL_APPROVAL_STATUSES)).min(1).default(['Approved', 'Rejected']).meta({ description: "Approval statuses that raise an event to the registry's targets. @default ['Approved', 'Rejected']" }),
}).superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.crossAccountReadAccountIds.forEach((id, i) => {
    if (seen.has(id)) addIssue(ctx, ['crossAccountReadAccountIds', i], 'is listed twice', { got: `'${id}'`, expected: 'each account once' });
    seen.add(id);
  });
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { RegistrySpecInput } from './types.generated';
export type { RegistrySpecInput };
export type RegistrySpec = z.output<typeof registrySpecSchema>;
