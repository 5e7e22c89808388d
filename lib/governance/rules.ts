/**
 * The MLOps rule pack's rules, as pure functions over synthesized CloudFormation resources (the
 * JSON a template holds). The cdk-nag plugin (stacks/aws/mlops-rules.ts) runs them at synth; the
 * audit report runs them over cdk.out. They check what the standard packs miss: SageMaker
 * encryption where SageMaker allows a key, network isolation, inter-container encryption, feature
 * store and registry exposure, IAM action wildcards and PassRole, production resilience, tags.
 */
import { lookupInstanceType } from '../catalog';
import { asList, asObject, asWholeNumber, JsonObject } from '../json';
import { CfnResource } from './cloud-assembly';

export type RuleLevel = 'error' | 'warning';
export type GovernanceLevel = 'baseline' | 'strict';

/** What a rule says of one resource: compliant, not applicable, or the list of findings (each a short problem). */
export type RuleResult = { readonly status: 'compliant' } | { readonly status: 'not-applicable' } | { readonly status: 'non-compliant'; readonly findings: readonly string[] };

export interface RuleContext {
  /** The governance level the platform is held to. */
  readonly level: GovernanceLevel;
  /** Tag keys every taggable resource must carry. */
  readonly requiredTags: readonly string[];
}

export interface MlopsRule {
  /** Stable id, without the pack prefix: `SageMakerEncryption` is reported as `MLOps-SageMakerEncryption`. */
  readonly id: string;
  /** What is wrong, one line. */
  readonly info: string;
  /** Why the rule exists, for an auditor. */
  readonly explanation: string;
  readonly level: RuleLevel;
  /** Only run at the strict governance level. */
  readonly strictOnly?: boolean;
  /** CloudFormation types the rule looks at. */
  readonly appliesTo: readonly string[];
  check(resource: CfnResource, context: RuleContext): RuleResult;
}

export const MLOPS_PACK = 'MLOps';

const COMPLIANT: RuleResult = { status: 'compliant' };
const NA: RuleResult = { status: 'not-applicable' };
function result(findings: string[]): RuleResult {
  return findings.length === 0 ? COMPLIANT : { status: 'non-compliant', findings };
}

/** A value set in the template: a literal, or an intrinsic (a Ref / GetAtt to a key) that resolves at deploy time. */
const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
/** `true`, or a deploy-time value (an intrinsic we cannot judge: not flagged). */
const isTrue = (v: unknown): boolean => v === true || v === 'true' || asObject(v) !== undefined;

/** Types of the SageMaker model-monitoring job definitions (inline in a MonitoringSchedule, or standalone). */
export const MONITORING_JOB_TYPES = ['AWS::SageMaker::DataQualityJobDefinition', 'AWS::SageMaker::ModelQualityJobDefinition', 'AWS::SageMaker::ModelBiasJobDefinition', 'AWS::SageMaker::ModelExplainabilityJobDefinition'] as const;
const OUTPUT_CONFIG_OF: Record<string, string> = {
  'AWS::SageMaker::DataQualityJobDefinition': 'DataQualityJobOutputConfig',
  'AWS::SageMaker::ModelQualityJobDefinition': 'ModelQualityJobOutputConfig',
  'AWS::SageMaker::ModelBiasJobDefinition': 'ModelBiasJobOutputConfig',
  'AWS::SageMaker::ModelExplainabilityJobDefinition': 'ModelExplainabilityJobOutputConfig',
};

/** A compute job as the rules see it, wherever it is declared (pipeline step, monitoring definition, schedule). */
export interface JobView {
  /** Where in the resource: `step 'Train'`, `MonitoringJobDefinition`, ''. */
  readonly where: string;
  readonly kind: 'training' | 'processing' | 'monitoring' | 'tuning' | 'transform';
  readonly networkIsolation: unknown;
  readonly interContainerEncryption: unknown;
  readonly vpcConfig: unknown;
  readonly instanceCount: number | undefined;
  /** The instance type, when the job names one (SageMaker rejects a volume key on local-NVMe types). */
  readonly instanceType: unknown;
  readonly volumeKmsKeyId: unknown;
  readonly outputKmsKeyId: unknown;
}

/**
 * The body of a pipeline definition: PipelineDefinitionBody is a JSON string, or an Fn::Join /
 * Fn::Sub of one when it embeds deploy-time values (role ARNs, bucket names); those are replaced by a
 * placeholder so the structure can still be read.
 */
export function pipelineDefinition(resource: CfnResource): JsonObject | undefined {
  const def = asObject(resource.Properties?.PipelineDefinition);
  const body = def?.PipelineDefinitionBody;
  const text = flattenString(body);
  if (text === undefined) return undefined;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function flattenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const o = asObject(value);
  if (!o) return undefined;
  const join = o['Fn::Join'] as [string, unknown[]] | undefined;
  if (Array.isArray(join) && Array.isArray(join[1])) {
    return join[1].map((p) => (typeof p === 'string' ? p : flattenString(p) ?? 'deploy-time-value')).join(join[0]);
  }
  const sub = o['Fn::Sub'];
  const template = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
  return template?.replace(/\$\{[^}!][^}]*\}/g, 'deploy-time-value');
}

/** Every step of a pipeline definition, including those nested in Condition steps. */
function pipelineSteps(definition: JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  const visit = (steps: unknown) => {
    for (const s of asList(steps)) {
      const step = asObject(s);
      if (!step) continue;
      out.push(step);
      const args = asObject(step.Arguments);
      if (step.Type === 'Condition' && args) {
        visit(args.IfSteps);
        visit(args.ElseSteps);
      }
    }
  };
  visit(definition.Steps);
  return out;
}

/** A processing or monitoring job from its NetworkConfig and ClusterConfig (pipeline steps, standalone job definitions, schedules' inline ones). */
function clusterJob(where: string, kind: 'processing' | 'monitoring', networkConfig: unknown, clusterConfig: unknown, outputKmsKeyId: unknown): JobView {
  const network = asObject(networkConfig) ?? {};
  const cluster = asObject(clusterConfig) ?? {};
  return {
    where, kind,
    networkIsolation: network.EnableNetworkIsolation,
    interContainerEncryption: network.EnableInterContainerTrafficEncryption,
    vpcConfig: network.VpcConfig,
    instanceCount: asWholeNumber(cluster.InstanceCount),
    instanceType: cluster.InstanceType,
    volumeKmsKeyId: cluster.VolumeKmsKeyId,
    outputKmsKeyId,
  };
}

/** The jobs a resource runs: pipeline Training/Processing/Tuning/Transform and check steps, monitoring job definitions and schedules. */
export function jobsOf(resource: CfnResource): JobView[] {
  const p = resource.Properties ?? {};
  if ((MONITORING_JOB_TYPES as readonly string[]).includes(resource.Type)) {
    return [clusterJob('', 'monitoring', p.NetworkConfig, asObject(p.JobResources)?.ClusterConfig, asObject(p[OUTPUT_CONFIG_OF[resource.Type]])?.KmsKeyId)];
  }
  if (resource.Type === 'AWS::SageMaker::MonitoringSchedule') {
    const def = asObject(asObject(p.MonitoringScheduleConfig)?.MonitoringJobDefinition);
    if (!def) return []; // refers to a standalone job definition, checked on its own
    return [clusterJob('MonitoringJobDefinition', 'monitoring', def.NetworkConfig, asObject(def.MonitoringResources)?.ClusterConfig, asObject(def.MonitoringOutputConfig)?.KmsKeyId)];
  }
  if (resource.Type === 'AWS::SageMaker::Pipeline') {
    const definition = pipelineDefinition(resource);
    if (!definition) return [];
    const jobs: JobView[] = [];
    const steps = pipelineSteps(definition);
    for (const step of steps) {
      const args = asObject(step.Arguments) ?? {};
      const where = `step '${String(step.Name)}'`;
      if (step.Type === 'Training' || step.Type === 'Tuning') {
        // CreateTrainingJob: isolation and encryption are top-level; the brief shape (NetworkConfig) is read too.
        const job = step.Type === 'Tuning' ? asObject(args.TrainingJobDefinition) ?? {} : args;
        const network = asObject(job.NetworkConfig) ?? {};
        const resources = asObject(job.ResourceConfig) ?? {};
        jobs.push({
          where, kind: step.Type === 'Tuning' ? 'tuning' : 'training',
          networkIsolation: job.EnableNetworkIsolation ?? network.EnableNetworkIsolation,
          interContainerEncryption: job.EnableInterContainerTrafficEncryption ?? network.EnableInterContainerTrafficEncryption,
          vpcConfig: job.VpcConfig ?? network.VpcConfig,
          instanceCount: asWholeNumber(resources.InstanceCount),
          instanceType: resources.InstanceType,
          volumeKmsKeyId: resources.VolumeKmsKeyId,
          outputKmsKeyId: asObject(job.OutputDataConfig)?.KmsKeyId,
        });
      } else if (step.Type === 'Processing' || step.Type === 'QualityCheck' || step.Type === 'ClarifyCheck') {
        // Check steps run a processing job (their Arguments are a CreateProcessingJob request).
        // CreateProcessingJob: NetworkConfig, ProcessingResources.ClusterConfig, ProcessingOutputConfig.
        jobs.push(clusterJob(where, 'processing', args.NetworkConfig, asObject(asObject(args.ProcessingResources)?.ClusterConfig) ?? args.ResourceConfig,
          asObject(args.ProcessingOutputConfig)?.KmsKeyId ?? asObject(args.OutputDataConfig)?.KmsKeyId));
      } else if (step.Type === 'Transform') {
        jobs.push(transformJob(where, args, steps));
      }
    }
    return jobs;
  }
  return [];
}

/**
 * A Transform step (CreateTransformJob): its volume and output keys are its own; its network
 * isolation and VPC are those of the model it runs (CreateModel), read from the pipeline's Model
 * step whose ModelName it takes. A model created elsewhere, named literally, is not visible here:
 * its isolation and VPC count as missing.
 */
function transformJob(where: string, args: JsonObject, steps: readonly JsonObject[]): JobView {
  const get = asObject(args.ModelName)?.Get;
  const modelStep = typeof get === 'string' ? /^Steps\.([^.]+)\.ModelName$/.exec(get)?.[1] : undefined;
  const model = asObject(steps.find((s) => s.Type === 'Model' && s.Name === modelStep)?.Arguments);
  // A model named by a deploy-time value (a Ref to an AWS::SageMaker::Model) is checked on that resource.
  const deployTime = model === undefined && typeof args.ModelName !== 'string' && modelStep === undefined;
  const resources = asObject(args.TransformResources) ?? {};
  return {
    where, kind: 'transform',
    networkIsolation: deployTime ? args.ModelName : model?.EnableNetworkIsolation,
    interContainerEncryption: undefined,
    vpcConfig: deployTime ? args.ModelName : model?.VpcConfig,
    instanceCount: asWholeNumber(resources.InstanceCount),
    instanceType: resources.InstanceType,
    volumeKmsKeyId: resources.VolumeKmsKeyId,
    outputKmsKeyId: asObject(args.TransformOutput)?.KmsKeyId,
  };
}

const JOB_TYPES = ['AWS::SageMaker::Pipeline', 'AWS::SageMaker::MonitoringSchedule', ...MONITORING_JOB_TYPES];
const at = (where: string, what: string) => (where ? `${where}: ${what}` : what);

/** SageMaker rejects a volume KmsKeyId on instance types with local NVMe storage (hardware-encrypted). */
export function allowsVolumeKey(instanceType: unknown): boolean {
  if (typeof instanceType !== 'string') return true;
  const info = lookupInstanceType(instanceType);
  return info === undefined ? true : !info.localNvmeStorage;
}

export interface PolicyStatementView {
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
  readonly Sid?: string;
}

/** The identity-policy documents a resource carries (a role's inline policies, a policy's document). */
export function identityPolicyDocuments(resource: CfnResource): { name: string; statements: PolicyStatementView[] }[] {
  const p = resource.Properties ?? {};
  const docs: { name: string; statements: PolicyStatementView[] }[] = [];
  const add = (name: string, doc: unknown) => docs.push({ name, statements: asList(asObject(doc)?.Statement) as PolicyStatementView[] });
  if (resource.Type === 'AWS::IAM::Role' || resource.Type === 'AWS::IAM::User' || resource.Type === 'AWS::IAM::Group') {
    for (const pol of asList(p.Policies)) add(nameOf(asObject(pol)?.PolicyName, 'inline policy'), asObject(pol)?.PolicyDocument);
  } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::RolePolicy') {
    add(nameOf(p.PolicyName ?? p.ManagedPolicyName, 'policy'), p.PolicyDocument);
  }
  return docs;
}

const nameOf = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

/** The statements of a resource's identity policies that are not Deny, each with its policy's name. */
function allowStatements(resource: CfnResource): { doc: string; s: PolicyStatementView }[] {
  return identityPolicyDocuments(resource).flatMap((doc) => doc.statements.filter((s) => s.Effect !== 'Deny').map((s) => ({ doc: doc.name, s })));
}

const IAM_TYPES = ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy', 'AWS::IAM::User', 'AWS::IAM::Group'];

/** An action pattern that grants every action of every service, or of one service (`*`, `s3:*`). */
export function isActionWildcard(action: unknown): boolean {
  return typeof action === 'string' && (action === '*' || /^[a-z0-9-]+:\*$/i.test(action));
}

/** Whether an action pattern covers iam:PassRole (`iam:PassRole`, `iam:Pass*`, `iam:*`, `*`). */
export function coversPassRole(action: unknown): boolean {
  if (typeof action !== 'string') return false;
  const pattern = new RegExp(`^${action.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return pattern.test('iam:PassRole');
}

function hasConditionKey(condition: unknown, key: string): boolean {
  for (const operator of Object.values(asObject(condition) ?? {})) {
    if (Object.keys(asObject(operator) ?? {}).some((k) => k.toLowerCase() === key.toLowerCase())) return true;
  }
  return false;
}

/** Whether a resource-policy principal is anyone (`*`, `{ AWS: '*' }`) without a narrowing condition. */
export function isPublicPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  const aws = asObject(principal)?.AWS;
  return asList(aws).some((p) => p === '*');
}

/** Tags of a resource as a map: CloudFormation renders them as a list of {Key, Value} or as a map. */
export function tagsOf(resource: CfnResource): Record<string, string> | undefined {
  const tags = resource.Properties?.Tags;
  if (tags === undefined) return undefined;
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((t) => [String(asObject(t)?.Key), typeof asObject(t)?.Value === 'string' ? String(asObject(t)?.Value) : 'deploy-time-value']));
  const map = asObject(tags);
  return map ? Object.fromEntries(Object.entries(map).map(([k, v]) => [k, typeof v === 'string' ? v : 'deploy-time-value'])) : undefined;
}

/**
 * Resource types cdk-mlops creates that take tags without being replaced. AWS::SageMaker::FeatureGroup
 * is not one: a tag change replaces the feature group and loses its data, so tags are never applied to it.
 */
export const TAGGABLE_TYPES = [
  'AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint', 'AWS::SageMaker::InferenceComponent', 'AWS::SageMaker::ModelPackageGroup',
  'AWS::SageMaker::Pipeline', 'AWS::SageMaker::Cluster', 'AWS::SageMaker::MlflowTrackingServer', 'AWS::SageMaker::MonitoringSchedule',
  ...MONITORING_JOB_TYPES,
  'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::IAM::Role', 'AWS::SNS::Topic', 'AWS::CloudWatch::Alarm', 'AWS::Logs::LogGroup',
  'AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::SecurityGroup', 'AWS::EC2::VPCEndpoint' as string,
];
/** Types whose tags are immutable (a change replaces the resource): never tagged after creation. */
export const TAG_REPLACES_TYPES = ['AWS::SageMaker::FeatureGroup'];

/** An endpoint (config) is production when it is tagged `environment` (or `stage`) = `prod` / `production`. */
export function isProduction(resource: CfnResource): boolean {
  const tags = tagsOf(resource) ?? {};
  return Object.entries(tags).some(([k, v]) => /^(environment|stage|env)$/i.test(k) && /^prod(uction)?$/i.test(v));
}

export const MLOPS_RULES: readonly MlopsRule[] = [
  {
    id: 'SageMakerEncryption',
    info: 'A SageMaker endpoint config, job or pipeline step stores data without a customer-managed KMS key where SageMaker allows one.',
    explanation: 'Storage volumes, captured inference data, async inference outputs and job outputs hold model inputs and outputs. SageMaker accepts a KMS key for them, except for a volume on an instance type with local NVMe storage (encrypted by the instance hardware) and for serverless inference (no customer volume); everywhere else a customer-managed key keeps decryption under the account\'s control and in CloudTrail.',
    level: 'error',
    appliesTo: ['AWS::SageMaker::EndpointConfig', ...JOB_TYPES],
    check(resource) {
      const p = resource.Properties ?? {};
      const findings: string[] = [];
      if (resource.Type === 'AWS::SageMaker::EndpointConfig') {
        // The config's volume key covers the shadow variant's volume too.
        const variants = [...asList(p.ProductionVariants), ...asList(p.ShadowProductionVariants)].map(asObject).filter((v): v is JsonObject => v !== undefined);
        const needsVolumeKey = variants.some((v) => v.ServerlessConfig === undefined && allowsVolumeKey(v.InstanceType));
        if (needsVolumeKey && !isSet(p.KmsKeyId)) findings.push('KmsKeyId (storage volume key) is missing');
        const capture = asObject(p.DataCaptureConfig);
        if (capture && capture.EnableCapture !== false && !isSet(capture.KmsKeyId)) findings.push('DataCaptureConfig.KmsKeyId is missing');
        const asyncOut = asObject(asObject(p.AsyncInferenceConfig)?.OutputConfig);
        if (asyncOut && !isSet(asyncOut.KmsKeyId)) findings.push('AsyncInferenceConfig.OutputConfig.KmsKeyId is missing');
        return result(findings);
      }
      const jobs = jobsOf(resource);
      if (jobs.length === 0) return NA;
      for (const job of jobs) {
        if (!isSet(job.volumeKmsKeyId) && allowsVolumeKey(job.instanceType)) findings.push(at(job.where, 'no volume KMS key'));
        if (!isSet(job.outputKmsKeyId)) findings.push(at(job.where, 'no output KMS key'));
      }
      return result(findings);
    },
  },
  {
    id: 'NetworkIsolation',
    info: 'A SageMaker model or job runs with network access: enable network isolation, or acknowledge it with the reason the container needs the network.',
    explanation: 'A network-isolated container cannot make outbound calls, so a compromised model image or dependency cannot exfiltrate data or pull code. Containers that must reach a service (e.g. a feature store at inference) are acknowledged with that reason, and placed in a VPC.',
    level: 'error',
    appliesTo: ['AWS::SageMaker::Model', ...JOB_TYPES],
    check(resource) {
      if (resource.Type === 'AWS::SageMaker::Model') {
        return isTrue(resource.Properties?.EnableNetworkIsolation) ? COMPLIANT : result(['EnableNetworkIsolation is not true']);
      }
      const jobs = jobsOf(resource);
      if (jobs.length === 0) return NA;
      return result(jobs.filter((j) => !isTrue(j.networkIsolation)).map((j) => at(j.where, 'network isolation is off')));
    },
  },
  {
    id: 'InterContainerEncryption',
    info: 'A monitoring job, or a training or processing job on more than one instance, does not encrypt traffic between its containers.',
    explanation: 'Distributed training and multi-instance processing exchange gradients, parameters and data between instances. EnableInterContainerTrafficEncryption encrypts that traffic; without it, data crosses the network in the clear.',
    level: 'error',
    appliesTo: JOB_TYPES,
    check(resource) {
      // Monitoring jobs always (the rule); training, tuning and processing when they run on more than one instance.
      // Transform jobs have no such setting: their instances do not talk to each other.
      const relevant = jobsOf(resource).filter((j) => j.kind !== 'transform' && (j.kind === 'monitoring' || (j.instanceCount ?? 1) > 1));
      if (relevant.length === 0) return NA;
      return result(relevant.filter((j) => !isTrue(j.interContainerEncryption)).map((j) => at(j.where, `${j.kind} job on ${j.instanceCount ?? 1} instance(s) without inter-container traffic encryption`)));
    },
  },
  {
    id: 'FeatureStoreEncryption',
    info: 'A feature group stores features without a customer-managed KMS key (online store security config or offline store).',
    explanation: 'Feature groups hold training and inference features, often personal data. The online store and the offline store (S3) each take a KMS key; without one, AWS-owned keys are used and decryption is neither controlled nor logged by the account.',
    level: 'error',
    appliesTo: ['AWS::SageMaker::FeatureGroup'],
    check(resource) {
      const p = resource.Properties ?? {};
      const findings: string[] = [];
      const online = asObject(p.OnlineStoreConfig);
      if (online && online.EnableOnlineStore !== false && !isSet(asObject(online.SecurityConfig)?.KmsKeyId)) findings.push('OnlineStoreConfig.SecurityConfig.KmsKeyId is missing');
      const offline = asObject(p.OfflineStoreConfig);
      if (offline && !isSet(asObject(offline.S3StorageConfig)?.KmsKeyId)) findings.push('OfflineStoreConfig.S3StorageConfig.KmsKeyId is missing');
      return online || offline ? result(findings) : NA;
    },
  },
  {
    id: 'RegistryNotPublic',
    info: 'A model package group policy allows a public principal.',
    explanation: 'A model registry policy that names `*` lets any AWS account read or register model versions. Cross-account sharing names the accounts.',
    level: 'error',
    appliesTo: ['AWS::SageMaker::ModelPackageGroup'],
    check(resource) {
      const raw = resource.Properties?.ModelPackageGroupPolicy;
      if (raw === undefined) return NA;
      let policy: unknown = raw;
      if (typeof raw === 'string') {
        try { policy = JSON.parse(raw); } catch { return result(['ModelPackageGroupPolicy is not valid JSON']); }
      }
      const statements = asList(asObject(policy)?.Statement) as PolicyStatementView[];
      return result(statements.filter((s) => s.Effect !== 'Deny' && isPublicPrincipal(s.Principal)).map((s) => `statement ${s.Sid ?? '(no Sid)'} allows principal '*'`));
    },
  },
  {
    id: 'NoActionWildcard',
    info: 'An IAM role or policy allows every action (`*`) or every action of a service (`service:*`), or uses NotAction.',
    explanation: 'Action wildcards grant actions nobody reviewed, including ones a service adds later. Every cdk-mlops permission names its actions.',
    level: 'error',
    appliesTo: IAM_TYPES,
    check(resource) {
      return result(allowStatements(resource).flatMap(({ doc, s }) => [
        ...asList(s.Action).filter(isActionWildcard).map((a) => `${doc}: Action '${String(a)}'`),
        ...(s.NotAction !== undefined ? [`${doc}: NotAction`] : []),
      ]));
    },
  },
  {
    id: 'PassRoleConditioned',
    info: 'iam:PassRole is allowed without an iam:PassedToService condition.',
    explanation: 'A principal that can pass a role to any service can hand its permissions to a service it controls (e.g. a Lambda function or an EC2 instance). Conditioning on iam:PassedToService limits the pass to the service that needs it (sagemaker.amazonaws.com).',
    level: 'error',
    appliesTo: IAM_TYPES,
    check(resource) {
      return result(allowStatements(resource)
        .filter(({ s }) => asList(s.Action).some(coversPassRole) && !hasConditionKey(s.Condition, 'iam:PassedToService'))
        .map(({ doc, s }) => `${doc}: statement ${s.Sid ?? '(no Sid)'}`));
    },
  },
  {
    id: 'ProductionEndpointResilience',
    info: 'A production endpoint runs on fewer than two instances, or deploys without rollback alarms.',
    explanation: 'SageMaker spreads the instances of a variant over Availability Zones: one instance is a single point of failure. A deployment without auto-rollback alarms keeps a bad model in service until someone notices. Endpoints tagged environment=production are held to both.',
    level: 'error',
    appliesTo: ['AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint'],
    check(resource) {
      if (!isProduction(resource)) return NA;
      const p = resource.Properties ?? {};
      if (resource.Type === 'AWS::SageMaker::EndpointConfig') {
        const findings: string[] = [];
        for (const v of asList(p.ProductionVariants).map(asObject)) {
          if (!v) continue;
          if (v.ServerlessConfig !== undefined) { findings.push(`variant ${String(v.VariantName)} is serverless (no instance redundancy guarantee)`); continue; }
          const count = asWholeNumber(v.InitialInstanceCount) ?? asWholeNumber(asObject(v.ManagedInstanceScaling)?.MinInstanceCount);
          if (count !== undefined && count < 2) findings.push(`variant ${String(v.VariantName)} has ${count} instance`);
        }
        return result(findings);
      }
      const alarms = asList(asObject(asObject(p.DeploymentConfig)?.AutoRollbackConfiguration)?.Alarms);
      return alarms.length > 0 ? COMPLIANT : result(['DeploymentConfig.AutoRollbackConfiguration has no alarms']);
    },
  },
  {
    id: 'InferenceComponentEndpoint',
    info: 'An endpoint config that hosts inference components (a variant naming no model) has no ExecutionRoleArn, runs its components with network access, or, at the strict level, outside a VPC.',
    explanation: "Inference components take their isolation and network from the endpoint config, not from their models: EnableNetworkIsolation and VpcConfig there apply to every component placed on the endpoint, and SageMaker runs the endpoint with its ExecutionRoleArn, without which it refuses to host components.",
    level: 'error',
    appliesTo: ['AWS::SageMaker::EndpointConfig'],
    check(resource, context) {
      const p = resource.Properties ?? {};
      const hosts = asList(p.ProductionVariants).map(asObject).some((v) => v !== undefined && v.ModelName === undefined && v.ServerlessConfig === undefined);
      if (!hosts) return NA;
      const findings: string[] = [];
      if (!isSet(p.ExecutionRoleArn)) findings.push('ExecutionRoleArn is missing');
      if (!isTrue(p.EnableNetworkIsolation)) findings.push('EnableNetworkIsolation is not true');
      if (context.level === 'strict' && !isSet(p.VpcConfig)) findings.push('VpcConfig is missing');
      return result(findings);
    },
  },
  {
    id: 'ShadowVariantCaptured',
    info: 'An endpoint config has a shadow variant but does not capture responses: the shadow\'s responses are discarded and cannot be compared.',
    explanation: 'SageMaker returns only the production variant\'s responses; a shadow variant\'s are kept only by data capture (Output mode), each variant under its own folder. A shadow test without them runs a second fleet at full cost and shows only its latency and errors, not whether its predictions are better.',
    level: 'warning',
    appliesTo: ['AWS::SageMaker::EndpointConfig'],
    check(resource) {
      const p = resource.Properties ?? {};
      if (asList(p.ShadowProductionVariants).length === 0) return NA;
      const capture = asObject(p.DataCaptureConfig);
      if (!capture || capture.EnableCapture === false) return result(['ShadowProductionVariants without DataCaptureConfig']);
      const modes = asList(capture.CaptureOptions).map((o) => asObject(o)?.CaptureMode);
      return modes.includes('Output') ? COMPLIANT : result(['DataCaptureConfig does not capture Output']);
    },
  },
  {
    id: 'RequiredTags',
    info: 'A resource is missing a tag the platform requires.',
    explanation: 'Owner, cost center and data classification tags say who answers for a resource, who pays for it and how its data must be handled; cost reports and access reviews are built on them. Feature groups are exempt: a tag change replaces them and loses their data.',
    level: 'error',
    appliesTo: TAGGABLE_TYPES,
    check(resource, context) {
      if (context.requiredTags.length === 0) return NA;
      const tags = tagsOf(resource) ?? {};
      return result(context.requiredTags.filter((t) => !(t in tags)).map((t) => `tag '${t}' is missing`));
    },
  },
  {
    id: 'StrictVpcPlacement',
    info: 'At the strict governance level, a SageMaker model, job or cluster runs outside a VPC.',
    explanation: 'In a VPC, a container reaches only what the security groups and VPC endpoints allow, and its traffic appears in VPC flow logs. The strict level requires it everywhere SageMaker supports it.',
    level: 'error',
    strictOnly: true,
    appliesTo: ['AWS::SageMaker::Model', 'AWS::SageMaker::Cluster', ...JOB_TYPES],
    check(resource) {
      const p = resource.Properties ?? {};
      if (resource.Type === 'AWS::SageMaker::Model' || resource.Type === 'AWS::SageMaker::Cluster') return isSet(p.VpcConfig) ? COMPLIANT : result(['VpcConfig is missing']);
      const jobs = jobsOf(resource);
      if (jobs.length === 0) return NA;
      return result(jobs.filter((j) => !isSet(j.vpcConfig)).map((j) => at(j.where, 'no VpcConfig')));
    },
  },
];

/** Runs every rule that applies to a resource at the given level. */
export function evaluateResource(resource: CfnResource, context: RuleContext): { rule: MlopsRule; result: RuleResult }[] {
  return MLOPS_RULES
    .filter((r) => r.appliesTo.includes(resource.Type) && (!r.strictOnly || context.level === 'strict'))
    .map((rule) => ({ rule, result: rule.check(resource, context) }));
}

/** The governance level and required tags a synthesized stack declares (written by the platform in the template metadata). */
export const GOVERNANCE_METADATA_KEY = 'cdk-mlops:governance';
