/**
 * Construct props parsing shared by both targets: the subject named in error messages and the
 * parse at the top of every constructor. Each target's private/validation.ts registers how its
 * deploy-time values (CDK or cdktf tokens) look, and re-exports these.
 */
import { IConstruct } from 'constructs';
import { z } from 'zod';
import { ValidationSubject } from '../../lib/errors';
import { parseSpec } from '../../lib/spec';

/** `ModelEndpoint 'Churn' (Platform/Churn/Endpoint)` for error messages. */
export function subjectOf(kind: string, scope: IConstruct, id: string): ValidationSubject {
  const parent = scope.node.path;
  return { kind, id, location: parent ? `${parent}/${id}` : id };
}

/** Parses a construct's spec props at the top of its constructor: every problem, thrown once. */
export function parseProps<S extends z.ZodType>(kind: string, scope: IConstruct, id: string, schema: S, input: unknown): z.output<S> {
  return parseSpec(schema, input, subjectOf(kind, scope, id));
}
