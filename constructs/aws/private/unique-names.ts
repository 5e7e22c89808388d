/**
 * Names SageMaker requires to be unique in an account and region (an endpoint's name), claimed
 * once per app: a second construct claiming the same name in the same environment fails at synth,
 * naming both constructs, instead of failing the second stack's deployment.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { renderValue, ValidationIssue } from '../../../lib/errors';

/** Per app (the construct tree's root): kind → account/region/name → path of the construct that claimed it. */
const claims = new WeakMap<IConstruct, Map<string, string>>();

export interface NameClaim {
  /** The construct kind, e.g. `ModelEndpoint`. */
  readonly kind: string;
  /** The prop holding the name, e.g. `endpointName`. */
  readonly field: string;
  readonly name: string;
}

/**
 * Claims `name` for the construct `id` about to be created in `scope`, in its stack's account and
 * region; returns the issue when another construct of the app has it. Unresolved names are
 * skipped (known only at deploy time); environment-agnostic stacks share one environment, since
 * they may all be deployed to the same account and region.
 */
export function claimUniqueName(scope: IConstruct, id: string, claim: NameClaim): ValidationIssue | undefined {
  if (Token.isUnresolved(claim.name)) return undefined;
  const stack = Stack.of(scope);
  const account = Token.isUnresolved(stack.account) ? undefined : stack.account;
  const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
  const key = [claim.kind, account ?? '*', region ?? '*', claim.name].join('\0');
  const root = scope.node.root;
  const taken = claims.get(root) ?? new Map<string, string>();
  claims.set(root, taken);
  const first = taken.get(key);
  if (first !== undefined) {
    return {
      path: claim.field,
      message: `is already the ${claim.field} of ${claim.kind} '${first}', in the same account and region`,
      got: renderValue(claim.name),
      expected: `a ${claim.field} no other ${claim.kind} of the app uses in ${account ?? 'the deploy-time account'} / ${region ?? 'the deploy-time region'}`,
    };
  }
  taken.set(key, scope.node.path ? `${scope.node.path}/${id}` : id);
  return undefined;
}
