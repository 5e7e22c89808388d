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
