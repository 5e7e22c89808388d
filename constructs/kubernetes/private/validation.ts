import { Aspects, IAspect, TerraformElement, TerraformStack, Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { z } from 'zod';
import { registerTokenDetector } from '../../../lib/spec';
import { parseProps as parseSpecProps } from '../../private/props';

// On Kubernetes, deploy-time values are cdktf tokens (Terraform references): validation skips
// them (DESIGN.md, Errors). The AWS target registers CDK's detector the same way.
const isToken = (value: unknown): boolean => (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
registerTokenDetector(isToken);

export { subjectOf } from '../../private/props';

/**
 * A string as a literal in Terraform JSON: Terraform reads `${` and `%{` in every string as template
 * syntax, so text meant for another program (a spec's environment value, a `${VAR}` Feast expands, a
 * shell script) is written `$${` and `%%{`, which Terraform turns back into `${` and `%{`. cdktf's
 * own references (`${TfToken[...]}` before resolution) are left as they are.
 */
export function terraformLiteral(s: string): string {
  return s.replace(/\$\{(?!TfToken\[)/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Escapes every string value (not keys) of an element's unresolved Terraform JSON; tokens and other objects are left alone. */
function escapeLiterals(value: unknown): unknown {
  if (typeof value === 'string') return terraformLiteral(value);
  if (Array.isArray(value)) return value.map(escapeLiterals);
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeLiterals(v)]));
  }
  return value;
}

const escaping = new WeakSet<TerraformElement>();

/** The one place the Kubernetes target escapes literal text: every element's Terraform JSON, at synth. */
class EscapeTerraformLiterals implements IAspect {
  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformElement) || escaping.has(node)) return;
    escaping.add(node);
    const toTerraform = node.toTerraform.bind(node) as () => unknown;
    node.toTerraform = () => escapeLiterals(toTerraform());
  }
}

const ESCAPE = new EscapeTerraformLiterals();
const registered = new WeakSet<TerraformStack>();

/** Adds the escaping to the scope's stack and to every stack of its app (objects go to the CRD stack too). */
export function escapeTerraformLiterals(scope: IConstruct): void {
  const stacks = [TerraformStack.of(scope), ...scope.node.root.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c))];
  for (const stack of stacks) {
    if (registered.has(stack)) continue;
    registered.add(stack);
    Aspects.of(stack).add(ESCAPE);
  }
}

/** Parses a construct's spec props (../../private/props) and makes its stack write user text as literals. */
export function parseProps<S extends z.ZodType>(kind: string, scope: IConstruct, id: string, schema: S, input: unknown): z.output<S> {
  escapeTerraformLiterals(scope);
  return parseSpecProps(kind, scope, id, schema, input);
}
