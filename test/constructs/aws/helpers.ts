/** Shared fixtures for the AWS construct tests: a fresh app and stack per test, sources, error checks. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MlopsValidationError } from '../../../lib/errors';
import { ModelEndpoint, ModelEndpointProps, ModelImage, ModelSource } from '../../../constructs/aws';
import { validationErrorOf } from '../../thrown';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
/** An AWS Deep Learning Container style ECR URI (another account's repository). */
export const IMAGE_URI = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
export const MODEL_DATA_URI = 's3://model-artifacts-bucket/churn/model.tar.gz';

/** A fresh app and stack, with a concrete account and region so ARNs read plainly. */
export function newStack(id = 'Stack'): { app: App; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, id, { env: { account: ACCOUNT, region: REGION } });
  return { app, stack };
}

/** An image from ECR by URI; no model data (the image carries the model). */
export function imageSource(): ModelSource {
  return ModelSource.fromImage(ModelImage.fromUri(IMAGE_URI));
}

/** Endpoint props with a default source, from loosely typed input (to feed bad props on purpose). */
export function endpointProps(input: Record<string, unknown>): ModelEndpointProps {
  return { source: imageSource(), ...input } as unknown as ModelEndpointProps;
}

/** A ModelEndpoint with id 'Ep' in a fresh stack, and the stack. */
export function newEndpoint(input: Record<string, unknown>): { stack: Stack; endpoint: ModelEndpoint } {
  const { stack } = newStack();
  const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps(input));
  return { stack, endpoint };
}

/** The synthesized template of a ModelEndpoint 'Ep' built from `input` in a fresh stack. */
export function endpointTemplate(input: Record<string, unknown>): Template {
  return Template.fromStack(newEndpoint(input).stack);
}

/** The one resource of a type in a template: its logical id and its body. */
export function only(template: Template, type: string): { id: string; resource: { Properties?: Record<string, unknown>; [key: string]: unknown } } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  const [id, resource] = found[0];
  return { id, resource };
}

/** Every policy statement anywhere in a template (roles, managed and inline policies, key, bucket and topic policies). */
export function allStatements(template: Template): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.Statement)) out.push(...(record.Statement as Record<string, unknown>[]));
    Object.values(record).forEach(visit);
  };
  visit(template.toJSON().Resources);
  return out;
}

/** A statement's actions as a list. */
export function actionsOf(statement: Record<string, unknown>): string[] {
  const action = statement.Action;
  if (action === undefined) return [];
  return Array.isArray(action) ? (action as string[]) : [action as string];
}

export interface ExpectedIssue {
  /** The field path as printed, e.g. 'scaling.maxInstances'. */
  readonly path: string;
  /** A fragment of what was got, as printed after 'got '. */
  readonly got?: string;
  /** A fragment of what was expected, as printed after 'expected '. */
  readonly expected?: string;
  /** A fragment of the message between the path and the parenthesis. */
  readonly message?: string;
}

/**
 * Asserts that `fn` throws an MlopsValidationError whose message names the subject (kind, id and
 * construct path), and for each issue its field path, what was got and what was expected.
 */
export function expectValidationError(fn: () => unknown, subject: string, ...issues: ExpectedIssue[]): MlopsValidationError {
  const err = validationErrorOf(fn);
  expect(err.message.startsWith(subject)).toBe(true);
  for (const issue of issues) {
    const line = err.message.split('\n').find((l) => l.includes(`${issue.path}: `) && (issue.message === undefined || l.includes(issue.message)));
    expect({ path: issue.path, line }).toEqual({ path: issue.path, line: expect.any(String) });
    if (issue.message !== undefined) expect(line).toContain(issue.message);
    if (issue.got !== undefined) expect(line).toContain(`got ${issue.got}`);
    if (issue.expected !== undefined) expect(line).toContain(`expected ${issue.expected}`);
  }
  return err;
}

/** The subject line of a ModelEndpoint 'Ep' in stack 'Stack'. */
export const EP = "ModelEndpoint 'Ep' (Stack/Ep)";
