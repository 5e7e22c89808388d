import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { z } from 'zod';
import { ValidationSubject } from '../../../lib/errors';
import { parseSpec, registerTokenDetector } from '../../../lib/spec';

// On Kubernetes, deploy-time values are cdktf tokens (Terraform references): validation skips
// them (DESIGN.md, Errors). The AWS target registers CDK's detector the same way.
const isToken = (value: unknown): boolean => (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
registerTokenDetector(isToken);

/** `ModelEndpoint 'churn' (mlops-reference/churn/Endpoint)` for error messages. */
export function subjectOf(kind: string, scope: IConstruct, id: string): ValidationSubject {
  const parent = scope.node.path;
  return { kind, id, location: parent ? `${parent}/${id}` : id };
}

/** Parses a construct's spec props at the top of its constructor: every problem, thrown once. */
export function parseProps<S extends z.ZodType>(kind: string, scope: IConstruct, id: string, schema: S, input: unknown): z.output<S> {
  return parseSpec(schema, input, subjectOf(kind, scope, id));
}
