/** The `code` of the NoiseError `fn` throws, or 'no error'; any other exception fails the test. */
import { expect } from 'chai';
import { NoiseError } from '../../src/errors.js';

export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(NoiseError);
    return (err as NoiseError).code;
  }
  return 'no error';
}
