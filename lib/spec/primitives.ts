/**
 * Building blocks shared by every component schema: token-tolerant leaves, SageMaker-compatible
 * names, and the parse entry that turns zod's issues into one MlopsValidationError.
 */
import { z } from 'zod';
import { fromZodIssues, IssueParams, MlopsValidationError, ValidationSubject } from '../errors';

// ---------------------------------------------------------------------------------------------
// Unresolved tokens. lib/ does not import aws-cdk-lib, so the target that has tokens registers how
// to recognise one (constructs/aws does: Token.isUnresolved). A value that is an unresolved token
// is skipped by validation, not rejected: it is only known at deploy time.
// ---------------------------------------------------------------------------------------------
type TokenDetector = (value: unknown) => boolean;
const detectors: TokenDetector[] = [];

/** Registers a recogniser of deploy-time values (idempotent per function). */
export function registerTokenDetector(detector: TokenDetector): void {
  if (!detectors.includes(detector)) detectors.push(detector);
}

export function isUnresolved(value: unknown): boolean {
  return detectors.some((d) => d(value));
}

const TOKEN_DESCRIPTION = 'cdk-mlops:unresolved-token';

/** `schema`, or an unresolved token standing for a value of it. */
export function tokenOr<T extends z.ZodType>(schema: T) {
  return z.union([schema, z.custom<z.output<T>>((v) => isUnresolved(v)).describe(TOKEN_DESCRIPTION)]);
}

/** True when the JSON Schema generator meets the token branch of {@link tokenOr} (it is dropped there). */
export function isTokenBranch(schema: z.core.$ZodType): boolean {
  return (schema as z.ZodType).description === TOKEN_DESCRIPTION;
}

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

/**
 * SageMaker resource names: SageMaker's pattern `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$` and its maximum
 * length of 63, which the pattern alone does not bound (it counts letters and digits, not hyphens).
 */
export const SAGEMAKER_NAME = /^(?=.{1,63}$)[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const sagemakerName = () => tokenOr(z.string().regex(SAGEMAKER_NAME, { error: 'a SageMaker name: 1-63 letters, digits and hyphens, starting and ending with a letter or digit' }));

/** A whole number in [min, max], token-tolerant. */
export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) => tokenOr(z.number().int().min(min).max(max));
/** A number in [min, max], token-tolerant. */
export const num = (min: number, max: number = Number.MAX_VALUE) => tokenOr(z.number().min(min).max(max));

export const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
export const s3Uri = () => tokenOr(z.string().regex(S3_URI, { error: "an S3 URI such as 's3://bucket/path/model.tar.gz'" }));

/** A 12-digit AWS account id; never a public principal. */
export const awsAccountId = () => tokenOr(z.string().regex(/^\d{12}$/, { error: "a 12-digit AWS account id (never '*' or another public principal)" }));

/** Adds an issue with what was got and what was expected, from inside a superRefine. */
export function addIssue(ctx: z.RefinementCtx, path: PropertyKey[], message: string, params: IssueParams): void {
  ctx.addIssue({ code: 'custom', path, message, params, input: undefined });
}

// ---------------------------------------------------------------------------------------------
// Parse entry
// ---------------------------------------------------------------------------------------------

type AnyDef = { type: string; innerType?: z.core.$ZodType; element?: z.core.$ZodType; options?: z.core.$ZodType[]; in?: z.core.$ZodType; valueType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; getter?: () => z.core.$ZodType };

function defOf(schema: z.core.$ZodType): AnyDef {
  return schema._zod.def;
}

/** The object schemas reachable at `path` inside `schema` (through optionals, defaults, unions, lists). */
function objectsAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): AnyDef[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
      return objectsAt(def.innerType!, path);
    case 'pipe':
      return objectsAt(def.in!, path);
    case 'lazy':
      return objectsAt(def.getter!(), path);
    case 'union':
      return def.options!.flatMap((o) => objectsAt(o, path));
    case 'array':
      return path.length > 0 && typeof path[0] === 'number' ? objectsAt(def.element!, path.slice(1)) : [];
    case 'record':
      return path.length > 0 ? objectsAt(def.valueType!, path.slice(1)) : [];
    case 'object': {
      if (path.length === 0) return [def];
      const child = def.shape![String(path[0])];
      return child ? objectsAt(child, path.slice(1)) : [];
    }
    default:
      return [];
  }
}

/** The keys a schema accepts at a path, for did-you-mean on unknown keys. */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})))];
}

/**
 * Parses `input` with `schema` (defaults applied) or throws one MlopsValidationError listing every
 * problem with its path, what was got and what was expected.
 */
export function parseSpec<S extends z.ZodType>(schema: S, input: unknown, subject: ValidationSubject): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issues = fromZodIssues(result.error.issues, { knownKeys: (p) => knownKeysAt(schema, p) });
  throw new MlopsValidationError(subject, issues);
}
