import { MlopsValidationError } from '../../../lib/errors';

/** Runs `fn` and returns the MlopsValidationError it throws (fails the test on anything else). */
export function errorOf(fn: () => unknown): MlopsValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MlopsValidationError) return e;
    throw e;
  }
  throw new Error('expected an MlopsValidationError');
}
