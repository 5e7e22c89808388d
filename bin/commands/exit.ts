import * as fs from 'fs';
import * as path from 'path';
import { MlopsValidationError } from '../../lib/errors';
import { printable } from '../../lib/printable';

/** An error a command ends with, carrying its exit code (1 a check failed, 2 bad input); printed as one line. */
export class CommandError extends Error {
  constructor(message: string, public readonly exitCode: 1 | 2) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'CommandError';
  }
}

/** A number option: finite and ≥ `min`, or a CommandError (exit 2) naming the option. */
export function numberOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new CommandError(`${name}: expected a number ≥ ${min}, got '${value}'`, 2);
  return n;
}

/** The error's message with every user-controlled part (subject, paths, values) free of control characters, newlines included. */
export function printableValidationError(e: MlopsValidationError): string {
  const subject = { kind: printable(e.subject.kind), id: e.subject.id === undefined ? undefined : printable(e.subject.id), location: e.subject.location === undefined ? undefined : printable(e.subject.location) };
  return new MlopsValidationError(subject, e.issues.map((i) => ({ path: printable(i.path), message: printable(i.message), got: printable(i.got), expected: printable(i.expected) }))).message;
}

/**
 * Writes a JSON Schema to `file` (`schema --out`, `audit schema --out`), replacing only what such a
 * command wrote before (a JSON document with the same title): anything else at that path, a file of
 * the user's or a folder, is refused (exit 2) and left as it is.
 */
export function writeSchemaFile(file: string, title: unknown, text: string): void {
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(file);
  } catch {
    existing = undefined;
  }
  if (existing && !(existing.isFile() && jsonTitle(file) === title)) {
    throw new CommandError(`--out ${printable(file)}: exists and is not a schema mlops wrote (no JSON with title '${String(title)}'); left as it is: choose another path or remove it`, 2);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function jsonTitle(file: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { title?: unknown } | null)?.title;
  } catch {
    return undefined;
  }
}
