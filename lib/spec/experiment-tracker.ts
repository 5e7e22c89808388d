/** ExperimentTracker spec: a managed MLflow tracking server (on AWS: SageMaker managed MLflow). */
import { z } from 'zod';
import { sagemakerName } from './primitives';

export const TRACKING_SERVER_SIZES = ['Small', 'Medium', 'Large'] as const;

export const experimentTrackerSpecSchema = z.strictObject({
  name: sagemakerName().optional().meta({ description: 'Tracking server name. @default - derived from the construct path' }),
  size: z.enum(TRACKING_SERVER_SIZES).default('Small').meta({ description: "Server size, by the load it takes: 'Small' (up to 25 users), 'Medium' (50), 'Large' (100). @default 'Small'" }),
  mlflowVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/, { error: "an MLflow version such as '2.16.2'" }).optional().meta({ description: '@default - the version SageMaker picks' }),
  automaticModelRegistration: z.boolean().default(false).meta({ description: 'Register MLflow models in the SageMaker model registry automatically. @default false' }),
  weeklyMaintenanceWindowStart: z.string().regex(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$/, { error: "a weekly window start such as 'Sun:03:00' (UTC)" }).optional()
    .meta({ description: "Start of the weekly maintenance window, 'Sun:03:00' (UTC). @default - SageMaker picks one" }),
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { ExperimentTrackerSpecInput } from './types.generated';
export type { ExperimentTrackerSpecInput };
export type ExperimentTrackerSpec = z.output<typeof experimentTrackerSpecSchema>;
