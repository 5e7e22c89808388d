/**
 * Evaluates a request the way AWS will once the synthesized templates are deployed: the principal's
 * identity policies (inline, and customer-managed policies attached to its role) with the resource's
 * policy (bucket, topic, key, model package group, repository), by @cloud-copilot/iam-simulate
 * (a devDependency, used only by tests). Intrinsics are resolved by CfnResolver with a fixed account
 * and region.
 */
import { runSimulation, Simulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import { CfnResolver, Environment } from './cfn-resolve';

export const ENV: Environment = { account: '111122223333', region: 'us-east-1' };

type PolicyDocument = { Version?: string; Statement: Record<string, unknown>[] };

export interface Request {
  /** A role ARN, an account root, or a service principal (`cloudwatch.amazonaws.com`). */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Request context (aws:SecureTransport is always true: every bucket denies plain HTTP). */
  readonly context?: Record<string, string | string[]>;
}

export interface Decision {
  readonly result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
  /** Why, when the simulator could not run (a malformed policy or request). */
  readonly errors?: string;
}

/** The deployed IAM state of an assembly: who holds which policies, which resources carry which. */
export class IamWorld {
  public readonly resolver: CfnResolver;
  private readonly identityPolicies = new Map<string, { name: string; policy: PolicyDocument }[]>();
  private readonly resourcePolicies = new Map<string, PolicyDocument>();
  /** Resource ARN patterns with a policy covering them (model packages of a group). */
  private readonly patternPolicies: { pattern: RegExp; policy: PolicyDocument }[] = [];

  /**
   * The world of an app's assembly. `outsidePolicies`: policies of resources the templates import
   * (a key imported by ARN keeps the policy its owner gave it), by ARN.
   */
  public static fromApp(app: App, env: Environment = ENV, outsidePolicies: Record<string, PolicyDocument> = {}, parameters: Record<string, Record<string, string>> = {}): IamWorld {
    const assembly = app.synth();
    // A stack with an account or region of its own (a delivery stage, a registry replica) resolves its pseudo parameters and ARNs there.
    const own = (s: { environment: { account: string; region: string } }) => {
      const account = /^\d{12}$/.test(s.environment.account) ? s.environment.account : env.account;
      const region = /^[a-z]{2}(-[a-z]+)+-\d$/.test(s.environment.region) ? s.environment.region : env.region;
      return account !== env.account || region !== env.region ? { account, region } : undefined;
    };
    return new IamWorld(new CfnResolver(assembly.stacks.map((s) => ({ stackName: s.stackName, template: s.template, env: own(s), parameters: parameters[s.stackName] })), env), outsidePolicies);
  }

  constructor(resolver: CfnResolver, outsidePolicies: Record<string, PolicyDocument> = {}) {
    this.resolver = resolver;
    this.collectIdentityPolicies();
    this.collectResourcePolicies();
    for (const [arn, policy] of Object.entries(outsidePolicies)) this.merge(arn, policy);
  }

  /** The ARN of a role, by its logical id's prefix in a stack. */
  public roleArn(stackName: string, logicalIdPrefix: string): string {
    return this.resolver.resolveString(stackName, { 'Fn::GetAtt': [this.logicalId(stackName, 'AWS::IAM::Role', logicalIdPrefix), 'Arn'] });
  }

  /** The logical id of the one resource of a type whose id starts with the prefix. */
  public logicalId(stackName: string, type: string, logicalIdPrefix: string): string {
    const ids = Object.entries(this.resolver.template(stackName).Resources ?? {}).filter(([id, r]) => r.Type === type && id.startsWith(logicalIdPrefix)).map(([id]) => id);
    if (ids.length !== 1) throw new Error(`expected one ${type} '${logicalIdPrefix}*' in '${stackName}', found ${ids.length}: ${ids.join(', ')}`);
    return ids[0];
  }

  /** The identity policies a principal holds (none for a service or account principal). */
  public policiesOf(principal: string): { name: string; policy: PolicyDocument }[] {
    return this.identityPolicies.get(principal) ?? [];
  }

  /** The policy on a resource, if any: exact ARN, the bucket of an object, the key of a key ARN, the group of a package. */
  public resourcePolicyOf(resource: string): PolicyDocument | undefined {
    const s3 = /^arn:aws:s3:::([^/]+)/.exec(resource);
    if (s3) return this.resourcePolicies.get(`arn:aws:s3:::${s3[1]}`);
    return this.resourcePolicies.get(resource) ?? this.patternPolicies.find((p) => p.pattern.test(resource))?.policy;
  }

  public async evaluate(request: Request): Promise<Decision> {
    return this.evaluateWith(this.policiesOf(request.principal), request);
  }

  /** Evaluates with the given identity policies (a principal of another account, whose policies are not in these templates). */
  public async evaluateWith(identityPolicies: { name: string; policy: PolicyDocument }[], request: Request): Promise<Decision> {
    const resourceAccount = /^arn:aws:[^:]+:[^:]*:(\d{12}):/.exec(request.resource)?.[1] ?? this.bucketAccount(request.resource)
      // An action without resource-level permissions (`*`) is in the caller's account.
      ?? (request.resource === '*' ? /^arn:aws:iam::(\d{12}):/.exec(request.principal)?.[1] : undefined) ?? this.resolver.env.account;
    const simulation: Simulation = {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: resourceAccount },
        // AWS sets the principal's ARN and account on every request of a role (trust policies condition on them).
        contextVariables: { 'aws:SecureTransport': 'true', ...principalContext(request.principal), ...request.context },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.resourcePolicyOf(request.resource) ?? this.outsideRepositoryPolicy(request, resourceAccount),
    };
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') return { result: 'ImplicitlyDenied', errors: JSON.stringify(response.errors) };
    return { result: response.overallResult };
  }

  /** Every request of a flow: the first that is not allowed, or 'Allowed'. */
  public async evaluateAll(requests: readonly Request[]): Promise<string> {
    for (const r of requests) {
      const d = await this.evaluate(r);
      if (d.result !== 'Allowed') return `${d.result}: ${r.principal} ${r.action} ${r.resource}${d.errors ? ` (${d.errors})` : ''}`;
    }
    return 'Allowed';
  }

  /**
   * An ECR repository of another account that these templates do not define (AWS's Deep Learning
   * Containers and SageMaker algorithm images): such repositories let every account pull.
   */
  private outsideRepositoryPolicy(request: Request, resourceAccount: string): PolicyDocument | undefined {
    if (!request.action.startsWith('ecr:') || resourceAccount === this.resolver.env.account) return undefined;
    const caller = /^arn:aws:iam::(\d{12}):/.exec(request.principal)?.[1] ?? this.resolver.env.account;
    return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${caller}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], Resource: request.resource }] };
  }

  /** The account of a bucket these templates create (S3 ARNs carry none). */
  public bucketAccount(resource: string): string | undefined {
    const name = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
    if (!name) return undefined;
    const bucket = this.resolver.resourcesOfType('AWS::S3::Bucket').find((b) => this.resolver.physicalName(b.stackName, b.logicalId) === name);
    return bucket && this.resolver.envOf(bucket.stackName).account;
  }

  private collectIdentityPolicies(): void {
    const r = this.resolver;
    const roleArnByName = new Map<string, string>();
    for (const role of r.resourcesOfType('AWS::IAM::Role')) {
      const arn = r.resolveString(role.stackName, { 'Fn::GetAtt': [role.logicalId, 'Arn'] });
      roleArnByName.set(r.physicalName(role.stackName, role.logicalId), arn);
      const inline = (role.properties.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[] | undefined) ?? [];
      for (const p of inline) this.addIdentityPolicy(arn, p.PolicyName, p.PolicyDocument);
    }
    const attach = (roles: unknown, name: string, policy: PolicyDocument) => {
      for (const roleName of (roles as string[] | undefined) ?? []) {
        // A role imported by ARN is named by its name in the account: its ARN is known without a template.
        this.addIdentityPolicy(roleArnByName.get(roleName) ?? `arn:aws:iam::${r.env.account}:role/${roleName}`, name, policy);
      }
    };
    const managed = new Map<string, { logicalId: string; policy: PolicyDocument; roles: string[] }>();
    for (const p of r.resourcesOfType('AWS::IAM::ManagedPolicy')) {
      attach(p.properties.Roles, p.logicalId, p.properties.PolicyDocument as PolicyDocument);
      managed.set(r.resolveString(p.stackName, { Ref: p.logicalId }), { logicalId: p.logicalId, policy: p.properties.PolicyDocument as PolicyDocument, roles: (p.properties.Roles as string[] | undefined) ?? [] });
    }
    // A role may name the customer-managed policies it holds itself (Role.ManagedPolicyArns), instead of the policy naming its roles.
    for (const role of r.resourcesOfType('AWS::IAM::Role')) {
      const name = r.physicalName(role.stackName, role.logicalId);
      for (const arn of (role.properties.ManagedPolicyArns as unknown[] | undefined) ?? []) {
        const m = typeof arn === 'string' ? managed.get(arn) : undefined;
        if (m && !m.roles.includes(name)) this.addIdentityPolicy(roleArnByName.get(name)!, m.logicalId, m.policy);
      }
    }
    for (const p of r.resourcesOfType('AWS::IAM::Policy')) attach(p.properties.Roles, p.logicalId, p.properties.PolicyDocument as PolicyDocument);
  }

  private addIdentityPolicy(principal: string, name: string, policy: PolicyDocument): void {
    const list = this.identityPolicies.get(principal) ?? [];
    list.push({ name: `${name}${list.length}`, policy });
    this.identityPolicies.set(principal, list);
  }

  private collectResourcePolicies(): void {
    const r = this.resolver;
    for (const p of r.resourcesOfType('AWS::S3::BucketPolicy')) this.merge(`arn:aws:s3:::${p.properties.Bucket as string}`, p.properties.PolicyDocument as PolicyDocument);
    for (const p of r.resourcesOfType('AWS::SNS::TopicPolicy')) {
      for (const topic of p.properties.Topics as string[]) this.merge(topic, p.properties.PolicyDocument as PolicyDocument);
    }
    for (const k of r.resourcesOfType('AWS::KMS::Key')) {
      this.merge(r.resolveString(k.stackName, { 'Fn::GetAtt': [k.logicalId, 'Arn'] }), k.properties.KeyPolicy as PolicyDocument);
    }
    for (const g of r.resourcesOfType('AWS::SageMaker::ModelPackageGroup')) {
      const policy = g.properties.ModelPackageGroupPolicy as PolicyDocument | undefined;
      if (!policy) continue;
      const groupArn = r.resolveString(g.stackName, { 'Fn::GetAtt': [g.logicalId, 'ModelPackageGroupArn'] });
      this.merge(groupArn, policy);
      const packages = groupArn.replace(':model-package-group/', ':model-package/');
      this.patternPolicies.push({ pattern: new RegExp(`^${escape(packages)}/\\d+$`), policy });
    }
    // A role's trust policy is the resource policy of sts:AssumeRole on it.
    for (const role of r.resourcesOfType('AWS::IAM::Role')) {
      this.merge(r.resolveString(role.stackName, { 'Fn::GetAtt': [role.logicalId, 'Arn'] }), role.properties.AssumeRolePolicyDocument as PolicyDocument);
    }
    for (const repo of r.resourcesOfType('AWS::ECR::Repository')) {
      const policy = repo.properties.RepositoryPolicyText as PolicyDocument | undefined;
      if (policy) this.merge(r.resolveString(repo.stackName, { 'Fn::GetAtt': [repo.logicalId, 'Arn'] }), policy);
    }
  }

  /** Several policy resources on one resource (two BucketPolicy would conflict in AWS; topics may have several) merge. */
  private merge(arn: string, policy: PolicyDocument): void {
    const existing = this.resourcePolicies.get(arn);
    this.resourcePolicies.set(arn, existing ? { Version: '2012-10-17', Statement: [...existing.Statement, ...policy.Statement] } : policy);
  }
}

function principalContext(principal: string): Record<string, string> {
  const role = /^arn:aws:iam::(\d{12}):role\//.exec(principal);
  return role ? { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': role[1] } : {};
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
