/** What a call throws, for tests: only the error class asked for, never any error. */
import { MlopsValidationError } from '../lib/errors';

/** The error `fn` throws, which must be a `type`; anything else thrown is rethrown, and nothing thrown fails the test. */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`);
}

/** The MlopsValidationError `fn` throws. */
export function validationErrorOf(fn: () => unknown): MlopsValidationError {
  return thrownBy(MlopsValidationError, fn);
}

/** The spec paths of the issues `fn` throws in an MlopsValidationError; `[]` when it throws nothing. */
export function issuePaths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof MlopsValidationError) return e.issues.map((i) => i.path);
    throw e;
  }
  return [];
}
