/**
 * Execution roles for SageMaker workloads: a role (new, or passed in) whose permissions live in one
 * customer-managed policy made of explicit statements, never an inline policy, never a managed
 * `*FullAccess` policy, never an action wildcard.
 */
import { Annotations, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { rules } from 'cdk-nag';
import { Construct, IDependable } from 'constructs';

/** Why a resource wildcard in a policy is necessary: matched against cdk-nag's IAM5 finding. */
export interface WildcardJustification {
  /** Matches the finding cdk-nag reports, e.g. `Resource::*` or `Resource::<Bucket.Arn>/datacapture/*`. */
  readonly finding: RegExp;
  readonly reason: string;
}

/**
 * Acknowledges, on one policy, exactly the AwsSolutions-IAM5 findings that justifications match,
 * each with the reasons of every justification that matches it. Evaluated once the app is prepared (cross-stack references resolved), with
 * cdk-nag's own rule, so the acknowledged ids are the ones the pack reports; any other wildcard
 * still fails synth.
 */
export function justifyWildcards(policy: CfnResource, justifications: readonly WildcardJustification[]): void {
  policy.node.addValidation({
    validate: () => {
      const findings = rules.iam.IAMNoWildcardPermissions(policy);
      if (!Array.isArray(findings)) return [];
      for (const finding of findings) {
        const reasons = [...new Set(justifications.filter((j) => j.finding.test(finding)).map((j) => j.reason))];
        if (reasons.length === 0) continue;
        const acknowledgment = { id: `AwsSolutions-IAM5[${finding}]`, reason: reasons.join(' ') };
        Validations.of(policy).acknowledge(acknowledgment);
        // Aspects (cdk-nag's metadata writer among them) have run by now: write the template's audit trail here.
        const existing = (policy.getMetadata('cdk_nag') as { rules_to_suppress?: unknown[] } | undefined)?.rules_to_suppress ?? [];
        policy.addMetadata('cdk_nag', { rules_to_suppress: [...existing, acknowledgment] });
      }
      return [];
    },
  });
}

/**
 * Whether a role passed in must not be changed: `Role.fromRoleArn(..., { mutable: false })`, a
 * role imported from another account, or `role.withoutPolicyUpdates()`. aws-cdk-lib wraps each
 * in its ImmutableRole, which ignores policy additions; a managed policy's own `Roles` list would
 * still attach to it, so nothing may be attached at all.
 */
export function isImmutableRole(role: iam.IRole): boolean {
  return (role.constructor as { PROPERTY_INJECTION_ID?: string }).PROPERTY_INJECTION_ID === 'aws-cdk-lib.aws-iam.ImmutableRole';
}

/**
 * A principal whose policy additions land in a customer-managed policy attached to the role, or,
 * for an immutable role, are recorded for the warning telling the user what to grant.
 */
class ManagedPolicyPrincipal implements iam.IPrincipal {
  public readonly grantPrincipal: iam.IPrincipal = this;
  constructor(private readonly role: iam.IRole, private readonly target: iam.ManagedPolicy | iam.PolicyStatement[]) {}
  public get assumeRoleAction(): string { return this.role.assumeRoleAction; }
  public get policyFragment(): iam.PrincipalPolicyFragment { return this.role.policyFragment; }
  public get principalAccount(): string | undefined { return this.role.principalAccount; }
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (Array.isArray(this.target)) {
      this.target.push(statement);
      // The immutable role answers as aws-cdk-lib made it: with `addGrantsToResources`, grants go to resource policies.
      return this.role.addToPrincipalPolicy(statement);
    }
    this.target.addStatements(statement);
    return { statementAdded: true, policyDependable: this.target };
  }
  public addToPolicy(statement: iam.PolicyStatement): boolean {
    return this.addToPrincipalPolicy(statement).statementAdded;
  }
}

export interface ExecutionRoleProps {
  /** @default - a new role assumed by `servicePrincipal` */
  readonly role?: iam.IRole;
  readonly servicePrincipal: string;
  readonly description: string;
}

export class ExecutionRole extends Construct {
  public readonly role: iam.IRole;
  /** Where the permissions live; none when the role passed in is immutable (nothing is attached to it). */
  public readonly policy?: iam.ManagedPolicy;
  /** Pass this to grants: what they add lands in {@link policy}. */
  public readonly grantee: iam.IPrincipal;
  /** Depend on this before using the role: the role and its policy attachment. */
  public readonly dependable: IDependable[];

  constructor(scope: Construct, id: string, props: ExecutionRoleProps) {
    super(scope, id);
    this.role = props.role ?? new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal(props.servicePrincipal), description: props.description });
    if (props.role && isImmutableRole(props.role)) {
      this.grantee = new ManagedPolicyPrincipal(this.role, this.required);
      this.dependable = [this.role];
      this.node.addValidation({ validate: () => this.warnImmutable(props.description) });
    } else {
      this.policy = new iam.ManagedPolicy(this, 'Policy', { description: `Permissions of ${props.description}` });
      this.policy.attachToRole(this.role);
      this.grantee = new ManagedPolicyPrincipal(this.role, this.policy);
      this.dependable = [this.role, this.policy];
    }
  }

  /** What an immutable role needs and was not given: the user grants it. */
  private readonly required: iam.PolicyStatement[] = [];

  public addStatements(...statements: iam.PolicyStatement[]): void {
    for (const statement of statements) this.grantee.addToPrincipalPolicy(statement);
  }

  /** Decrypt with a key (reading data it protects). */
  public allowDecrypt(key: kms.IKey): void {
    this.addStatements(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [key.keyArn] }));
  }

  /** Encrypt with a key (writing data it protects): S3 SSE-KMS needs GenerateDataKey. */
  public allowEncrypt(key: kms.IKey): void {
    this.addStatements(new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [key.keyArn] }));
  }

  /** Acknowledges the wildcard findings of this role's policy that the justifications explain. */
  public justifyWildcards(justifications: readonly WildcardJustification[]): void {
    if (this.policy) justifyWildcards(this.policy.node.defaultChild as CfnResource, justifications);
  }

  /** Run once the app is prepared, when every statement is known. */
  private warnImmutable(description: string): string[] {
    if (this.required.length === 0) return [];
    const stack = Stack.of(this);
    const render = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
    const grants = this.required.map((st) => {
      const json = stack.resolve(st.toStatementJson()) as { Action: string | string[]; Resource?: unknown; Condition?: unknown };
      const resources = ([] as unknown[]).concat(json.Resource ?? []).map(render).join(', ');
      return `${([] as string[]).concat(json.Action).join(', ')} on ${resources}${json.Condition ? ` if ${JSON.stringify(json.Condition)}` : ''}`;
    });
    Annotations.of(this).addWarningV2('cdk-mlops:immutableRole', `The ${description} was passed in immutable (Role.fromRoleArn with mutable: false, or a role of another account): cdk-mlops attaches no policy to it. Grant it yourself: ${grants.join('; ')}.`);
    return [];
  }
}
