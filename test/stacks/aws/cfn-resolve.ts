/**
 * Resolves CloudFormation intrinsics in synthesized templates to the concrete values they would have
 * once deployed in one account and region: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
 * Fn::Split, Fn::ImportValue (across the stacks of one assembly), Fn::GetAZs and the pseudo
 * parameters. Physical names are the ones the template sets, or deterministic stand-ins for the ones
 * CloudFormation generates (`<stack>-<logicalid>`), so that what refers to the same resource
 * resolves to the same ARN. Anything it does not know throws: a data-path check must never pass on
 * a value it did not understand.
 */

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Conditions?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Environment {
  readonly account: string;
  readonly region: string;
}

/** Where a physical name comes from when the template sets it, per resource type. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::Policy': 'PolicyName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SageMaker::ModelPackageGroup': 'ModelPackageGroupName',
  'AWS::SageMaker::Endpoint': 'EndpointName',
  'AWS::SageMaker::EndpointConfig': 'EndpointConfigName',
  'AWS::SageMaker::Model': 'ModelName',
  'AWS::SageMaker::Pipeline': 'PipelineName',
  'AWS::SageMaker::MlflowTrackingServer': 'TrackingServerName',
  'AWS::SageMaker::Cluster': 'ClusterName',
  'AWS::SageMaker::MonitoringSchedule': 'MonitoringScheduleName',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

/** A stack of the assembly: its name (what AWS::StackName and exports use) and template. */
export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** The stack's own account and region, when they differ from the resolver's (a delivery stage in another account). */
  readonly env?: Environment;
  /** Parameter values the stack is deployed with (others take their defaults). */
  readonly parameters?: Record<string, string>;
}

export class CfnResolver {
  private readonly stacks = new Map<string, CfnTemplate>();
  private readonly exports = new Map<string, { stackName: string; value: unknown }>();

  private readonly envs = new Map<string, Environment>();
  private readonly parameters = new Map<string, Record<string, string>>();

  constructor(stacks: readonly StackTemplate[], public readonly env: Environment) {
    for (const { stackName, template, env: own, parameters } of stacks) {
      this.stacks.set(stackName, template);
      if (own) this.envs.set(stackName, own);
      if (parameters) this.parameters.set(stackName, parameters);
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export) this.exports.set(this.resolveString(stackName, output.Export.Name), { stackName, value: output.Value });
      }
    }
  }

  public get stackNames(): string[] {
    return [...this.stacks.keys()];
  }

  public template(stackName: string): CfnTemplate {
    const t = this.stacks.get(stackName);
    if (!t) throw new Error(`no stack '${stackName}' (have ${this.stackNames.join(', ')})`);
    return t;
  }

  public resource(stackName: string, logicalId: string): CfnResource {
    const r = this.template(stackName).Resources?.[logicalId];
    if (!r) throw new Error(`stack '${stackName}' has no resource '${logicalId}'`);
    return r;
  }

  /** Every resource of a type in every stack that CloudFormation creates (its Condition, if any, holds): where, and its properties resolved. */
  public resourcesOfType(type: string): { stackName: string; logicalId: string; properties: Record<string, unknown> }[] {
    const out: { stackName: string; logicalId: string; properties: Record<string, unknown> }[] = [];
    for (const [stackName, t] of this.stacks) {
      for (const [logicalId, r] of Object.entries(t.Resources ?? {})) {
        if (r.Type === type && (typeof r.Condition !== 'string' || this.condition(stackName, r.Condition))) out.push({ stackName, logicalId, properties: this.resolve(stackName, r.Properties ?? {}) as Record<string, unknown> });
      }
    }
    return out;
  }

  /** A value with every intrinsic resolved; `Ref: AWS::NoValue` removes the key or element. */
  public resolve(stackName: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stackName, v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return this.intrinsic(stackName, keys[0], record[keys[0]]);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      const resolved = this.resolve(stackName, v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  public resolveString(stackName: string, value: unknown): string {
    const resolved = this.resolve(stackName, value);
    if (typeof resolved !== 'string') throw new Error(`expected a string in stack '${stackName}', got ${JSON.stringify(resolved)} from ${JSON.stringify(value)}`);
    return resolved;
  }

  /** The physical name of a resource: the template's, or `<stack>-<logicalid>` (lower case where AWS requires it). */
  public physicalName(stackName: string, logicalId: string): string {
    const r = this.resource(stackName, logicalId);
    const prop = NAME_PROPERTY[r.Type];
    const given = prop ? r.Properties?.[prop] : undefined;
    if (given !== undefined) return this.resolveString(stackName, given);
    const generated = `${stackName}-${logicalId}`;
    if (r.Type === 'AWS::S3::Bucket') return generated.toLowerCase().slice(0, 63);
    if (r.Type === 'AWS::IAM::Role' || r.Type === 'AWS::IAM::ManagedPolicy') return generated.slice(0, 64);
    return generated;
  }

  /** The account and region a stack deploys to. */
  public envOf(stackName: string): Environment {
    return this.envs.get(stackName) ?? this.env;
  }

  private arn(stackName: string, service: string, resource: string): string {
    const { region, account } = this.envOf(stackName);
    return `arn:aws:${service}:${region}:${account}:${resource}`;
  }

  private ref(stackName: string, name: string): unknown {
    switch (name) {
      case 'AWS::AccountId': return this.envOf(stackName).account;
      case 'AWS::Region': return this.envOf(stackName).region;
      case 'AWS::Partition': return 'aws';
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return stackName;
      case 'AWS::StackId': return this.arn(stackName, 'cloudformation', `stack/${stackName}/00000000-0000-0000-0000-000000000000`);
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::NotificationARNs': return [];
    }
    const template = this.template(stackName);
    const parameter = (template.Parameters as Record<string, { Default?: unknown }> | undefined)?.[name];
    const given = this.parameters.get(stackName)?.[name];
    if (parameter && given !== undefined) return given;
    if (parameter) {
      if (parameter.Default === undefined) throw new Error(`parameter '${name}' of stack '${stackName}' has no default`);
      // SSM-typed parameters (the bootstrap version) are not IAM-relevant: their default stands in.
      return parameter.Default;
    }
    const r = this.resource(stackName, name);
    const physical = this.physicalName(stackName, name);
    switch (r.Type) {
      case 'AWS::IAM::ManagedPolicy': return `arn:aws:iam::${this.envOf(stackName).account}:policy/${physical}`;
      case 'AWS::KMS::Key': return keyId(stackName, name);
      case 'AWS::SNS::Topic': return this.arn(stackName, 'sns', physical);
      case 'AWS::StepFunctions::StateMachine': return this.arn(stackName, 'states', `stateMachine:${physical}`);
      case 'AWS::SageMaker::ModelPackageGroup': return this.arn(stackName, 'sagemaker', `model-package-group/${physical.toLowerCase()}`);
      case 'AWS::SageMaker::Model': return this.arn(stackName, 'sagemaker', `model/${physical.toLowerCase()}`);
      case 'AWS::SageMaker::EndpointConfig': return this.arn(stackName, 'sagemaker', `endpoint-config/${physical.toLowerCase()}`);
      case 'AWS::SageMaker::Endpoint': return this.arn(stackName, 'sagemaker', `endpoint/${physical.toLowerCase()}`);
      case 'AWS::SageMaker::MonitoringSchedule': return this.arn(stackName, 'sagemaker', `monitoring-schedule/${physical.toLowerCase()}`);
      case 'AWS::EC2::SecurityGroup': return `sg-${hash(stackName, name)}`;
      case 'AWS::EC2::VPC': return `vpc-${hash(stackName, name)}`;
      case 'AWS::EC2::Subnet': return `subnet-${hash(stackName, name)}`;
      default: return physical;
    }
  }

  private getAtt(stackName: string, logicalId: string, attribute: string): unknown {
    const r = this.resource(stackName, logicalId);
    const physical = this.physicalName(stackName, logicalId);
    const key = `${r.Type}.${attribute}`;
    switch (key) {
      case 'AWS::S3::Bucket.Arn': return `arn:aws:s3:::${physical}`;
      case 'AWS::S3::Bucket.DomainName': return `${physical}.s3.amazonaws.com`;
      case 'AWS::S3::Bucket.RegionalDomainName': return `${physical}.s3.${this.envOf(stackName).region}.amazonaws.com`;
      case 'AWS::IAM::Role.Arn': return `arn:aws:iam::${this.envOf(stackName).account}:role/${physical}`;
      case 'AWS::IAM::Role.RoleId': return `AROA${hash(stackName, logicalId).toUpperCase()}`;
      case 'AWS::IAM::ManagedPolicy.PolicyArn': return `arn:aws:iam::${this.envOf(stackName).account}:policy/${physical}`;
      case 'AWS::KMS::Key.Arn': return this.arn(stackName, 'kms', `key/${keyId(stackName, logicalId)}`);
      case 'AWS::KMS::Key.KeyId': return keyId(stackName, logicalId);
      case 'AWS::SNS::Topic.TopicArn': return this.arn(stackName, 'sns', physical);
      case 'AWS::SNS::Topic.TopicName': return physical;
      case 'AWS::SageMaker::ModelPackageGroup.ModelPackageGroupArn': return this.arn(stackName, 'sagemaker', `model-package-group/${physical.toLowerCase()}`);
      case 'AWS::SageMaker::Endpoint.EndpointName': return physical;
      case 'AWS::SageMaker::Endpoint.EndpointArn': return this.arn(stackName, 'sagemaker', `endpoint/${physical.toLowerCase()}`);
      case 'AWS::SageMaker::EndpointConfig.EndpointConfigName': return physical;
      case 'AWS::SageMaker::Model.ModelName': return physical;
      case 'AWS::SageMaker::Pipeline.PipelineName': return physical;
      case 'AWS::SageMaker::MlflowTrackingServer.TrackingServerArn': return this.arn(stackName, 'sagemaker', `mlflow-tracking-server/${physical}`);
      case 'AWS::SageMaker::Cluster.ClusterArn': return this.arn(stackName, 'sagemaker', `cluster/${hash(stackName, logicalId)}`);
      case 'AWS::SageMaker::MonitoringSchedule.MonitoringScheduleArn': return this.arn(stackName, 'sagemaker', `monitoring-schedule/${physical.toLowerCase()}`);
      case 'AWS::SageMaker::FeatureGroup.FeatureGroupArn': return this.arn(stackName, 'sagemaker', `feature-group/${physical.toLowerCase()}`);
      case 'AWS::EC2::SecurityGroup.GroupId': return `sg-${hash(stackName, logicalId)}`;
      case 'AWS::EC2::VPC.CidrBlock': return this.resolve(stackName, r.Properties?.CidrBlock);
      case 'AWS::EC2::VPC.VpcId': return `vpc-${hash(stackName, logicalId)}`;
      case 'AWS::Events::Rule.Arn': return this.arn(stackName, 'events', `rule/${physical}`);
      case 'AWS::Logs::LogGroup.Arn': return this.arn(stackName, 'logs', `log-group:${physical}:*`);
      case 'AWS::ECR::Repository.Arn': return this.arn(stackName, 'ecr', `repository/${physical}`);
      case 'AWS::Scheduler::Schedule.Arn': return this.arn(stackName, 'scheduler', `schedule/default/${physical}`);
      case 'AWS::CloudWatch::Alarm.Arn': return this.arn(stackName, 'cloudwatch', `alarm:${physical}`);
    }
    // Not IAM-relevant (endpoint DNS names, VPC endpoint entries, ...): a recognizable stand-in.
    return `${physical}.${attribute}`;
  }

  private intrinsic(stackName: string, fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Ref': return this.ref(stackName, arg as string);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg as string[] : (arg as string).split(/\.(.*)/s);
        return this.getAtt(stackName, logicalId, this.resolveString(stackName, attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const resolved = this.resolve(stackName, parts);
        if (!Array.isArray(resolved)) throw new Error(`Fn::Join of a non-list: ${JSON.stringify(parts)}`);
        return resolved.map((p) => {
          if (typeof p !== 'string' && typeof p !== 'number') throw new Error(`Fn::Join of a non-string: ${JSON.stringify(p)}`);
          return String(p);
        }).join(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = typeof arg === 'string' ? [arg, {}] : arg as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
          if (name in variables) return String(this.resolve(stackName, variables[name]));
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [logicalId, attribute] = name.split(/\.(.*)/s);
            return String(this.getAtt(stackName, logicalId, attribute));
          }
          return String(this.ref(stackName, name));
        }).replace(/\$\{!/g, '${');
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const resolved = this.resolve(stackName, list);
        const i = Number(this.resolve(stackName, index));
        if (!Array.isArray(resolved) || !(i in resolved)) throw new Error(`Fn::Select ${i} of ${JSON.stringify(resolved)}`);
        return resolved[i];
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, unknown];
        return this.resolveString(stackName, text).split(separator);
      }
      case 'Fn::ImportValue': {
        const name = this.resolveString(stackName, arg);
        const exported = this.exports.get(name);
        if (!exported) throw new Error(`Fn::ImportValue of '${name}': no stack exports it`);
        return this.resolve(exported.stackName, exported.value);
      }
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${this.envOf(stackName).region}${z}`);
      case 'Fn::Base64': return Buffer.from(this.resolveString(stackName, arg)).toString('base64');
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.resolve(stackName, this.condition(stackName, condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = this.resolve(stackName, arg) as [unknown, unknown];
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not': return !(this.resolve(stackName, (arg as unknown[])[0]) as boolean);
      case 'Fn::And': return (this.resolve(stackName, arg) as boolean[]).every(Boolean);
      case 'Fn::Or': return (this.resolve(stackName, arg) as boolean[]).some(Boolean);
    }
    throw new Error(`unsupported intrinsic ${fn} in stack '${stackName}': ${JSON.stringify(arg)}`);
  }

  private condition(stackName: string, name: string): boolean {
    const c = this.template(stackName).Conditions?.[name];
    if (c === undefined) throw new Error(`stack '${stackName}' has no condition '${name}'`);
    return this.resolve(stackName, c) as boolean;
  }
}

/** Marks `Ref: AWS::NoValue`, removed from the object or list holding it. */
const NO_VALUE = Symbol('AWS::NoValue');

function hash(...parts: string[]): string {
  let h = 2166136261;
  for (const ch of parts.join('/')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0') + ((h ^ 0x5bd1e995) >>> 0).toString(16).padStart(8, '0').slice(0, 9);
}

/** A stable, key-id-shaped id per key (a UUID in AWS). */
function keyId(stackName: string, logicalId: string): string {
  const h = hash(stackName, logicalId).padEnd(17, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(12, 15)}-8${h.slice(15, 17)}0-000000000000`;
}
