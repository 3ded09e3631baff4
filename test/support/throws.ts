// Asserting on a synchronous throw: its class and its text, returning the error for more checks.
import * as assert from 'uvu/assert';

/** Asserts that `fn` throws an instance of `type` whose String() matches `pattern`; returns it. */
export function throwsWith<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E, pattern: RegExp): E {
  try {
    fn();
  } catch (error) {
    assert.instance(error, type, `threw ${String(error)}`);
    assert.match(String(error), pattern);
    return error as E;
  }
  assert.unreachable('did not throw');
  throw new Error('unreachable');
}
