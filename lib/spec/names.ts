/**
 * Names the AWS platform derives from the platform's, its models' and its clusters' names: one
 * formula each, used by stacks/aws/platform.ts to name the thing and by the platform spec's
 * validation to check the result against the limit of the API that takes it (so `mlops validate`
 * refuses what CloudFormation or SageMaker would refuse at deploy).
 *
 * Every other SageMaker name the constructs make (endpoints, monitoring schedules and job
 * definitions, model package groups, tracking servers and clusters without a name) is
 * `Names.uniqueResourceName` cut to the API's limit, or left to CloudFormation (models, endpoint
 * configs), and cannot overflow.
 */
import type { ValidationIssue } from '../errors';

/** A derived name's limit and the API rule it comes from. */
export interface NameLimit {
  /** What is named, for messages: `the HyperPod cluster name`. */
  readonly what: string;
  readonly maxLength: number;
  readonly pattern: RegExp;
  /** Where the limit is stated. */
  readonly reference: string;
}

const STACK: NameLimit = { what: 'the CloudFormation stack name', maxLength: 128, pattern: /^[A-Za-z][A-Za-z0-9-]*$/, reference: 'CloudFormation CreateStack StackName' };

/** Each derived name: its formula and its limit. */
export const DERIVED_NAMES = {
  sharedStack: { of: (platform: string) => `${platform}-shared`, limit: STACK },
  trainingStack: { of: (platform: string) => `${platform}-training`, limit: STACK },
  modelStack: { of: (platform: string, model: string) => `${platform}-${model}`, limit: STACK },
  pipeline: {
    of: (platform: string, model: string) => `${platform}-${model}`,
    limit: { what: 'the pipeline name', maxLength: 256, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, reference: 'SageMaker CreatePipeline PipelineName' },
  },
  batchPipeline: {
    of: (platform: string, model: string) => `${platform}-${model}-batch`,
    limit: { what: 'the batch transform pipeline name', maxLength: 256, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, reference: 'SageMaker CreatePipeline PipelineName' },
  },
  trainingCluster: {
    of: (platform: string, cluster: string) => `${platform}-${cluster}`,
    limit: { what: 'the HyperPod cluster name', maxLength: 63, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, reference: 'SageMaker CreateCluster ClusterName' },
  },
  /** A model's endpoint in one delivery stage: `<platform>-<model>-<stage>`, in the stage's account and region. */
  stageStack: { of: (platform: string, model: string, stage: string) => `${platform}-${model}-${stage}`, limit: STACK },
  /** The key, alarm topic and access logs of a stage in another account or region than the platform's. */
  stageSharedStack: { of: (platform: string, stage: string) => `${platform}-${stage}-shared`, limit: STACK },
  /** A model's delivery state machine, in the registry's account and region (the `mlops` CLI finds it by this name). */
  delivery: {
    of: (platform: string, model: string) => `${platform}-${model}-delivery`,
    // Its role has the same name, within IAM's 64 (the state machine name allows 80).
    limit: { what: 'the delivery state machine and role name', maxLength: 64, pattern: /^[a-zA-Z0-9_+=,.@-]+$/, reference: 'IAM CreateRole RoleName (Step Functions CreateStateMachine allows 80)' },
  },
  /** The role a delivery state machine assumes in a stage's account to update the stage's stack. */
  deployRole: {
    of: (platform: string, model: string, stage: string) => `${platform}-${model}-${stage}-deploy`,
    limit: { what: 'the stage deploy role name', maxLength: 64, pattern: /^[a-zA-Z0-9_+=,.@-]+$/, reference: 'IAM CreateRole RoleName' },
  },
  experimentTracker: {
    of: (platform: string) => `${platform}-experiments`,
    // SageMaker allows 256 (CreateMlflowTrackingServer); the tracker's name is also a Kubernetes object name, hence 63.
    limit: { what: 'the tracking server name', maxLength: 63, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, reference: "ExperimentTracker's name (SageMaker CreateMlflowTrackingServer allows 256)" },
  },
} as const;

/** Why `name` breaks `limit`, or undefined when it does not. */
export function nameProblem(name: string, limit: NameLimit): string | undefined {
  if (name.length > limit.maxLength) return `derives ${limit.what} '${name}' (${name.length} characters), over the ${limit.maxLength} of ${limit.reference}`;
  if (!limit.pattern.test(name)) return `derives ${limit.what} '${name}', which ${limit.reference} refuses`;
  return undefined;
}

/**
 * One use of a derived name: what it names, the spec paths it derives from, and the scope it must be
 * unique in. CloudFormation stack names and SageMaker pipeline names are unique per account and
 * region (CreateStack, CreatePipeline: AlreadyExists), IAM role names per account (CreateRole:
 * EntityAlreadyExists).
 */
export interface DerivedNameUse {
  /** The kind and scope of uniqueness: `stack 111122223333/us-east-1`, `role 111122223333`. */
  readonly namespace: string;
  readonly name: string;
  /** The spec paths the name derives from, most specific last (`models[1].name`, `delivery.stages[0].name`). */
  readonly paths: readonly string[];
  /** What is named, for messages: `the stack of model 'churn' in stage 'prod'`. */
  readonly what: string;
  /** A stage stack: the delivery bakes it by its alarms, found by the prefix `<stack name>-`. */
  readonly bakedByPrefix?: boolean;
}

/**
 * Two uses of one name in one namespace (the second could not be created, or would be the first's
 * stack updated with another template), and a stack name that starts with a stage stack's alarm
 * prefix in its account and region (the stage's bake would read that stack's alarms as its own).
 */
export function derivedNameCollisions(uses: readonly DerivedNameUse[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, DerivedNameUse>();
  for (const use of uses) {
    const key = `${use.namespace}\n${use.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, use);
      continue;
    }
    issues.push({
      path: use.paths[use.paths.length - 1],
      message: `derives the name '${use.name}' for ${use.what}, which ${first.paths.join(' with ')} also derive${first.paths.length > 1 ? '' : 's'} for ${first.what}: ${uniqueIn(use.namespace)}`,
      got: `'${use.name}' twice`,
      expected: `names that derive distinct names (rename the model, the stage or the platform)`,
    });
  }
  for (const stage of uses.filter((u) => u.bakedByPrefix)) {
    for (const other of uses.filter((u) => u.namespace === stage.namespace && u.name.startsWith(`${stage.name}-`))) {
      issues.push({
        path: other.paths[other.paths.length - 1],
        message: `derives the name '${other.name}' for ${other.what}, which starts with '${stage.name}-': the delivery bakes ${stage.what} (${stage.paths.join(' with ')}) by the alarms whose names start so, and would read this stack's alarms as its own`,
        got: `'${other.name}'`,
        expected: `a name that does not start with '${stage.name}-' (rename the model, the stage or the platform)`,
      });
    }
  }
  return issues;
}

function uniqueIn(namespace: string): string {
  const [kind, scope] = namespace.split(' ');
  const where = kind === 'role' ? `in account ${scope || "of the platform"}` : `in account and region ${scope === '/' ? 'of the platform' : scope}`;
  return `${kind === 'stack' ? 'CloudFormation stack' : kind === 'role' ? 'IAM role' : 'SageMaker pipeline'} names are unique ${where}`;
}
