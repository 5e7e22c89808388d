/**
 * Loading a PlatformSpec from a file: YAML or JSON, syntax errors with their line, validation
 * errors with the line of the offending field.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { fromZodIssues, MlopsValidationError, ValidationIssue } from '../errors';
import { awsTargetIssues, PlatformSpec, PlatformSpecInput, platformSpecSchema } from './platform';
import { knownKeysAt, parseSpec } from './primitives';
import { sharedEndpointKubernetesIssues } from './shared-endpoint';

const SUBJECT_KIND = 'PlatformSpec';

/** Validates a platform spec given as an object (from TypeScript). */
export function parsePlatformSpec(input: unknown, location?: string): PlatformSpec {
  return parseSpec(platformSpecSchema, input, { kind: SUBJECT_KIND, location });
}

/** What a command renders or checks: one target, or both. */
export type TargetChoice = 'aws' | 'kubernetes' | 'all';

/** Validates a platform spec for the targets it will be rendered on: {@link parsePlatformSpec}, plus what the AWS target alone requires. */
export function parsePlatformSpecFor(target: TargetChoice, input: unknown, location?: string): PlatformSpec {
  const spec = parsePlatformSpec(input, location);
  const issues = [...(target === 'kubernetes' ? [] : awsTargetIssues(spec)), ...(target === 'aws' ? [] : sharedEndpointKubernetesIssues(spec))];
  if (issues.length > 0) throw new MlopsValidationError({ kind: SUBJECT_KIND, location }, issues);
  return spec;
}

/**
 * Reads, parses and validates a `.yaml`, `.yml` or `.json` platform spec. Returns the document as
 * written (validated): renderers parse it again where they need defaults applied.
 */
export function loadPlatformSpec(file: string): PlatformSpecInput {
  const subject = { kind: SUBJECT_KIND, location: file };
  let text: string;
  try {
    // An editor's UTF-8 byte-order mark is not part of the document (JSON.parse refuses it).
    text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MlopsValidationError(subject, [{
      path: '', message: code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? String(e)})`,
      got: `'${file}'`, expected: 'a readable .yaml, .yml or .json file',
    }]);
  }
  const ext = path.extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    throw new MlopsValidationError(subject, [{ path: '', message: 'has an unknown file type', got: `'${ext || 'no extension'}'`, expected: '.yaml, .yml or .json' }]);
  }
  // YAML is a superset of JSON: one parser, one way to find a field's line.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (ext === '.json') {
    // JSON's own parser words JSON errors best; YAML's position is the fallback for its line.
    try {
      JSON.parse(text);
    } catch (e) {
      const message = (e as Error).message;
      const at = /at position (\d+)/.exec(message);
      const before = at ? text.slice(0, Number(at[1])).split('\n') : undefined;
      const pos = before ? { line: before.length, col: before[before.length - 1].length + 1 } : doc.errors[0]?.linePos?.[0];
      throw new MlopsValidationError(subject, [{
        path: pos ? `line ${pos.line}, column ${pos.col}` : '',
        message: `is not valid JSON: ${message.split(/, "|, \.\.\./)[0].replace(/ in JSON at position \d+.*$/, '')}`,
        got: 'a syntax error',
        expected: 'a JSON object',
      }]);
    }
  }
  if (doc.errors.length === 0 && doc.contents === null) {
    throw new MlopsValidationError(subject, [{ path: '', message: 'is empty', got: 'an empty file', expected: "a platform spec with 'name' and 'models'" }]);
  }
  if (doc.errors.length > 0) {
    throw new MlopsValidationError(subject, doc.errors.map((err) => {
      const pos = err.linePos?.[0];
      return {
        path: pos ? `line ${pos.line}, column ${pos.col}` : '',
        message: `is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
        got: 'a syntax error',
        expected: ext === '.json' ? 'a JSON object' : 'a YAML mapping',
      };
    }));
  }
  const data = toJS(doc, subject);
  const result = platformSpecSchema.safeParse(data, { reportInput: true });
  if (result.success) return withSourceDirsFrom(path.dirname(path.resolve(file)), data as PlatformSpecInput);
  const issues = fromZodIssues(result.error.issues, { knownKeys: (p) => knownKeysAt(platformSpecSchema, p) });
  throw new MlopsValidationError(subject, issues.map((issue) => withLine(issue, doc, lines)));
}

/** YAML aliases at most this many times: a "billion laughs" document is refused, not expanded. */
export const MAX_YAML_ALIASES = 100;

/** The document as data; an undefined alias or an alias bomb is bad input naming the file. */
function toJS(doc: ReturnType<typeof parseDocument>, subject: { kind: string; location: string }): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    const message = (e as Error).message;
    const bomb = /Excessive alias count/.test(message);
    throw new MlopsValidationError(subject, [{
      path: '',
      message: bomb ? `expands its aliases more than ${MAX_YAML_ALIASES} times (a resource exhaustion attack, such as "billion laughs")` : `has an alias that cannot be resolved: ${message}`,
      got: bomb ? 'an alias bomb' : 'an undefined alias',
      expected: 'aliases (*name) that refer to an anchor (&name) defined before them, expanded a bounded number of times',
    }]);
  }
}

/** Adds `(line N)` to an issue's path, from the YAML node at that path (or its nearest parent). */
function withLine(issue: ValidationIssue, doc: ReturnType<typeof parseDocument>, lines: LineCounter): ValidationIssue {
  const parts = issue.path.match(/[^.[\]]+/g) ?? [];
  let node: unknown = doc.contents;
  let line: number | undefined = lineOf(node, lines);
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === part);
      if (!pair) break;
      line = lineOf(pair.key, lines) ?? line;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(part)];
      line = lineOf(node, lines) ?? line;
    } else {
      break;
    }
  }
  return line === undefined ? issue : { ...issue, path: `${issue.path || '(top level)'} (line ${line})` };
}

function lineOf(node: unknown, lines: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}



/** `train.entryPoint.sourceDir` is relative to the spec file: made absolute, so renderers read it from anywhere. */
function withSourceDirsFrom(dir: string, spec: PlatformSpecInput): PlatformSpecInput {
  return {
    ...spec,
    models: spec.models.map((m) => {
      const entryPoint = m.pipeline?.train.entryPoint;
      if (!m.pipeline || !entryPoint || path.isAbsolute(entryPoint.sourceDir)) return m;
      return { ...m, pipeline: { ...m.pipeline, train: { ...m.pipeline.train, entryPoint: { ...entryPoint, sourceDir: path.resolve(dir, entryPoint.sourceDir) } } } };
    }),
  };
}
