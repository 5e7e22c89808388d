/**
 * TrainingCluster spec: a persistent GPU cluster (on AWS: SageMaker HyperPod) of instance groups
 * with counts, node lifecycle scripts, automatic node recovery and Slurm or EKS orchestration.
 */
import { z } from 'zod';
import { renderValue } from '../errors';
import { computeSchema } from './compute';
import { addIssue, int, s3Uri, SAGEMAKER_NAME, sagemakerName } from './primitives';

export const ORCHESTRATORS = ['slurm', 'eks'] as const;

const instanceGroupSchema = z.strictObject({
  name: z.string().regex(SAGEMAKER_NAME, { error: 'an instance group name: 1-63 letters, digits and hyphens' }),
  compute: computeSchema('training', { allowServerless: false }).meta({ description: "{ instanceType: 'ml.p5.48xlarge' } or an accelerator intent; controller and login groups may be CPU types." }),
  count: int(1, 1000).meta({ description: 'Instances in the group.' }),
  threadsPerCore: z.union([z.literal(1), z.literal(2)]).default(1).meta({ description: '1 turns hyperthreading off (the usual choice for training). @default 1' }),
  volumeSizeGiB: int(1, 16384).default(500).meta({ description: 'EBS volume per instance, mounted at /opt/sagemaker, encrypted with the cluster key. @default 500' }),
});

/** The cluster's fields, before the cross-field rules (for platform.ts to extend). */
export const trainingClusterObject = z.strictObject({
  name: sagemakerName().optional().meta({ description: 'Cluster name. @default - derived from the construct path' }),
  orchestrator: z.enum(ORCHESTRATORS).default('slurm').meta({ description: "'slurm' or 'eks' (an existing EKS cluster, eksClusterArn). @default 'slurm'" }),
  eksClusterArn: z.string().regex(/^arn:aws[a-z-]*:eks:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, { error: 'an EKS cluster ARN' }).optional()
    .meta({ description: "The EKS cluster that orchestrates the nodes (orchestrator 'eks')." }),
  lifecycleScriptsUri: s3Uri().meta({ description: 'S3 prefix of the lifecycle scripts every node runs at creation.' }),
  onCreate: z.string().regex(/^[\w./-]+$/, { error: "a script file name such as 'on_create.sh'" }).default('on_create.sh').meta({ description: "The entrypoint script under lifecycleScriptsUri. @default 'on_create.sh'" }),
  nodeRecovery: z.enum(['Automatic', 'None']).default('Automatic').meta({ description: "Replace or reboot faulty nodes automatically. @default 'Automatic'" }),
  instanceGroups: z.array(instanceGroupSchema).min(1).max(20),
});

/** Cross-field rules of a cluster: orchestrator settings, unique group names, an accelerated group. */
export function refineTrainingCluster(c: z.output<typeof trainingClusterObject>, ctx: z.RefinementCtx): void {
  if (c.orchestrator === 'eks' && !c.eksClusterArn) addIssue(ctx, ['eksClusterArn'], "is required with orchestrator 'eks'", { got: 'nothing', expected: 'the ARN of the EKS cluster' });
  if (c.orchestrator === 'slurm' && c.eksClusterArn) addIssue(ctx, ['eksClusterArn'], "only applies to orchestrator 'eks'", { got: renderValue(c.eksClusterArn), expected: "no eksClusterArn, or orchestrator 'eks'" });
  const names = new Map<string, number>();
  c.instanceGroups.forEach((g, i) => {
    const first = names.get(g.name);
    if (first !== undefined) addIssue(ctx, ['instanceGroups', i, 'name'], `repeats the name of instanceGroups[${first}]`, { got: renderValue(g.name), expected: 'a name no other group has' });
    else names.set(g.name, i);
  });
  const accelerated = c.instanceGroups.some((g) => g.compute.kind === 'instance' && (g.compute.info === undefined || g.compute.info.accelerator !== undefined));
  if (!accelerated) addIssue(ctx, ['instanceGroups'], 'has no accelerated instance group', { got: 'only CPU instance types', expected: 'at least one group of GPU or Trainium instances' });
}

export const trainingClusterSpecSchema = trainingClusterObject.superRefine(refineTrainingCluster);

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { TrainingClusterSpecInput } from './types.generated';
export type { TrainingClusterSpecInput };
export type TrainingClusterSpec = z.output<typeof trainingClusterSpecSchema>;
