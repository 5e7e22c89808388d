import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { z } from 'zod';
import { ValidationSubject } from '../../../lib/errors';
import { parseSpec, registerTokenDetector } from '../../../lib/spec';

// On AWS, deploy-time values are CDK tokens: validation skips them (DESIGN.md, Errors).
const isToken = (value: unknown): boolean => (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
registerTokenDetector(isToken);

/** `ModelEndpoint 'Churn' (Platform/Churn/Endpoint)` for error messages. */
export function subjectOf(kind: string, scope: IConstruct, id: string): ValidationSubject {
  const parent = scope.node.path;
  return { kind, id, location: parent ? `${parent}/${id}` : id };
}

/** Parses a construct's spec props at the top of its constructor: every problem, thrown once. */
export function parseProps<S extends z.ZodType>(kind: string, scope: IConstruct, id: string, schema: S, input: unknown): z.output<S> {
  return parseSpec(schema, input, subjectOf(kind, scope, id));
}
