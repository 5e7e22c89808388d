/**
 * One error type for every bad input cdk-mlops meets: construct props, a platform spec file, a
 * command-line flag. It carries every problem found, each with the field's path, what was got and
 * what was expected, so a user fixes them all in one pass.
 */
import type { z } from 'zod';

export interface ValidationIssue {
  /** Dotted path of the field inside the validated object (`scaling.maxInstances`, `models[1].name`); '' for the object itself. */
  readonly path: string;
  /** What is wrong, in a few words (`must be ≥ minInstances`). */
  readonly message: string;
  /** The value that was given, rendered for humans (`1`, `'ml.g5.xlarg'`, `nothing`). */
  readonly got: string;
  /** What would have been accepted (`≥ 2`, `one of 'canary', 'linear'`). */
  readonly expected: string;
}

/** Who was validated: `ModelEndpoint 'Churn' (Platform/Churn/Endpoint)` or `platform spec (platform.yaml)`. */
export interface ValidationSubject {
  /** The construct or document kind: `ModelEndpoint`, `PlatformSpec`. */
  readonly kind: string;
  /** Its id or name, when it has one. */
  readonly id?: string;
  /** Where it is: a construct path or a file name. */
  readonly location?: string;
}

export function describeSubject(subject: ValidationSubject): string {
  const id = subject.id !== undefined ? ` '${subject.id}'` : '';
  const location = subject.location ? ` (${subject.location})` : '';
  return `${subject.kind}${id}${location}`;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}${issue.message} (got ${issue.got}, expected ${issue.expected})`;
}

export class MlopsValidationError extends Error {
  public readonly subject: ValidationSubject;
  public readonly issues: readonly ValidationIssue[];

  constructor(subject: ValidationSubject, issues: readonly ValidationIssue[]) {
    const head = describeSubject(subject);
    const message = issues.length === 1
      ? `${head}: ${formatIssue(issues[0])}`
      : `${head}: ${issues.length} problems\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`;
    super(message);
    this.name = 'MlopsValidationError';
    this.subject = subject;
    this.issues = issues;
  }
}

export function isMlopsValidationError(e: unknown): e is MlopsValidationError {
  return e instanceof Error && e.name === 'MlopsValidationError' && Array.isArray((e as MlopsValidationError).issues);
}

/** Renders a value the way a user wrote it: strings quoted, long values cut, missing values named. */
export function renderValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const cut = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `'${cut}'`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty object' : `an object with ${keys.map((k) => `'${k}'`).slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''}`;
  }
  return typeof value;
}

/** `['scaling', 'maxInstances']` → `scaling.maxInstances`; `['models', 1, 'name']` → `models[1].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
}

function limit(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin?: string }, small: boolean): string {
  const bound = Number(small ? issue.minimum : issue.maximum);
  const op = small ? (issue.inclusive === false ? '>' : '≥') : (issue.inclusive === false ? '<' : '≤');
  switch (issue.origin) {
    case 'string': return `${small ? 'at least' : 'at most'} ${bound} characters`;
    case 'array': case 'set': return `${small ? 'at least' : 'at most'} ${bound} items`;
    default: return `${op} ${bound}`;
  }
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** The closest candidate within an edit distance that scales with the word, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Extra data a refinement attaches to its issue so the formatter can say what was got and expected. */
export interface IssueParams {
  readonly got?: string;
  readonly expected: string;
}

type ZodIssue = z.core.$ZodIssue;

/**
 * Turns zod's issues into {@link ValidationIssue}s. `knownKeys(path)` lists the keys the schema
 * accepts at a path, for a did-you-mean on unknown keys; `skip(issue)` drops issues (unresolved tokens).
 */
export function fromZodIssues(
  issues: readonly ZodIssue[],
  options: { knownKeys?: (path: readonly PropertyKey[]) => string[] | undefined; skip?: (issue: ZodIssue) => boolean } = {},
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const visit = (issue: ZodIssue, prefix: readonly PropertyKey[]) => {
    const path = [...prefix, ...issue.path];
    if (options.skip?.(issue)) return;
    const got = renderValue(issue.input);
    switch (issue.code) {
      case 'invalid_type': {
        const missing = issue.input === undefined;
        out.push({ path: formatPath(path), message: missing ? 'is required' : 'has the wrong type', got, expected: TYPE_NAMES[issue.expected] ?? issue.expected });
        return;
      }
      case 'too_small':
        // A schema's own message (`.min(1, { error })`) says why the floor is there; zod's starts with 'Too small'.
        out.push({ path: formatPath(path), message: issue.message.startsWith('Too small') ? 'is too small' : issue.message, got: issue.origin === 'string' && typeof issue.input === 'string' ? `${got} (${issue.input.length} characters)` : issue.origin === 'array' && Array.isArray(issue.input) ? `${issue.input.length} items` : got, expected: limit(issue, true) });
        return;
      case 'too_big':
        out.push({ path: formatPath(path), message: 'is too large', got: issue.origin === 'string' && typeof issue.input === 'string' ? `${got} (${issue.input.length} characters)` : issue.origin === 'array' && Array.isArray(issue.input) ? `${issue.input.length} items` : got, expected: limit(issue, false) });
        return;
      case 'invalid_value':
        out.push({ path: formatPath(path), message: 'is not an accepted value', got, expected: `one of ${listValues(issue.values)}` });
        return;
      case 'invalid_format': {
        const custom = !issue.message.startsWith('Invalid');
        out.push({ path: formatPath(path), message: 'is not in the expected format', got, expected: custom ? issue.message : issue.format === 'regex' ? `a value matching ${String(issue.pattern)}` : `a valid ${issue.format}` });
        return;
      }
      case 'not_multiple_of':
        out.push({ path: formatPath(path), message: 'is not an accepted step', got, expected: `a multiple of ${String(issue.divisor)}` });
        return;
      case 'unrecognized_keys': {
        const known = options.knownKeys?.(path) ?? [];
        for (const key of issue.keys) {
          const suggestion = closest(key, known);
          out.push({
            path: formatPath([...path, key]),
            message: suggestion ? `is not a known field; did you mean '${suggestion}'?` : 'is not a known field',
            got: renderValue(issue.input?.[key]),
            expected: known.length > 0 ? `one of ${listValues(known)}` : 'no such field',
          });
        }
        return;
      }
      case 'invalid_union': {
        // Token-tolerant fields are unions of the real schema and an "unresolved token" branch:
        // the first branch's issues are the ones that explain the problem.
        const branches = issue.errors.filter((b) => b.length > 0);
        const disc = (issue as { note?: string }).note;
        // A union of literals: every value it accepts, not only the first branch's.
        const literals = branches.every((b) => b.length === 1 && b[0].code === 'invalid_value' && b[0].path.length === 0)
          ? branches.flatMap((b) => (b[0] as { values: readonly unknown[] }).values) : [];
        if (branches.length > 1 && literals.length > 0) {
          out.push({ path: formatPath(path), message: 'is not an accepted value', got, expected: `one of ${listValues(literals)}` });
          return;
        }
        if (branches.length > 0 && !disc) {
          // The shape whose fields were written explains the problem: the first branch that found no
          // unknown field at the union's own level (a model's endpoint of its own, or a component of a
          // shared endpoint), else the first.
          const ownFields = branches.find((b) => !b.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0));
          for (const inner of ownFields ?? branches[0]) visit(inner, path);
          return;
        }
        out.push({ path: formatPath(path), message: 'matches none of the accepted shapes', got, expected: 'one of the documented shapes' });
        return;
      }
      case 'invalid_key': {
        // A record key failed its own schema (an environment variable name): say what the key must look like.
        const inner = (issue as { issues?: readonly ZodIssue[] }).issues ?? [];
        if (inner.length === 0) break;
        for (const i of inner) visit({ ...i, input: i.input ?? issue.input } as ZodIssue, path);
        return;
      }
      case 'custom': {
        const params = (issue.params ?? {}) as Partial<IssueParams>;
        out.push({ path: formatPath(path), message: issue.message, got: params.got ?? got, expected: params.expected ?? 'a valid value' });
        return;
      }
      default:
        break;
    }
    // Anything else: zod's own message.
    out.push({ path: formatPath(path), message: issue.message, got, expected: 'a valid value' });
  };
  for (const issue of issues) visit(issue, []);
  return out;
}
