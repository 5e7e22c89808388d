/**
 * Execution roles for SageMaker workloads: a role (new, or passed in) whose permissions live in one
 * customer-managed policy made of explicit statements, never an inline policy, never a managed
 * `*FullAccess` policy, never an action wildcard.
 */
import { CfnResource, Validations } from 'aws-cdk-lib';
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

/** A principal whose policy additions land in a customer-managed policy attached to the role. */
class ManagedPolicyPrincipal implements iam.IPrincipal {
  public readonly grantPrincipal: iam.IPrincipal = this;
  constructor(private readonly role: iam.IRole, private readonly policy: iam.ManagedPolicy) {}
  public get assumeRoleAction(): string { return this.role.assumeRoleAction; }
  public get policyFragment(): iam.PrincipalPolicyFragment { return this.role.policyFragment; }
  public get principalAccount(): string | undefined { return this.role.principalAccount; }
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
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
  public readonly policy: iam.ManagedPolicy;
  /** Pass this to grants: what they add lands in {@link policy}. */
  public readonly grantee: iam.IPrincipal;
  /** Depend on this before using the role: the role and its policy attachment. */
  public readonly dependable: IDependable[];

  constructor(scope: Construct, id: string, props: ExecutionRoleProps) {
    super(scope, id);
    this.role = props.role ?? new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal(props.servicePrincipal), description: props.description });
    this.policy = new iam.ManagedPolicy(this, 'Policy', { description: `Permissions of ${props.description}` });
    this.policy.attachToRole(this.role);
    this.grantee = new ManagedPolicyPrincipal(this.role, this.policy);
    this.dependable = [this.role, this.policy];
  }

  public addStatements(...statements: iam.PolicyStatement[]): void {
    this.policy.addStatements(...statements);
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
    justifyWildcards(this.policy.node.defaultChild as CfnResource, justifications);
  }
}
