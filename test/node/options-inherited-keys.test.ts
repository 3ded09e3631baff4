// From a mutation review of src/node-options.ts, which found a bug (fixed with this test):
// unknown options were found with `key in KNOWN`, and `in` also sees the names every object
// inherits from Object.prototype, so an option named constructor, toString, valueOf,
// hasOwnProperty, isPrototypeOf or __proto__ (an own key, as JSON.parse makes it) was accepted
// silently instead of refused as unknown (README, Node.create: unknown keys are a TypeError).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveNodeOptions, type NodeOptions } from '../../src/node-options.js';

test('an option named after an Object.prototype member is refused as unknown like any other', () => {
  const accepted: string[] = [];
  for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__proto__']) {
    const options = { port: 9001, dataDir: '/nonexistent/options-inherited-keys', context: {} } as Record<string, unknown>;
    Object.defineProperty(options, name, { value: 1, enumerable: true, configurable: true, writable: true });
    try {
      resolveNodeOptions(options as unknown as NodeOptions<object>);
      accepted.push(name);
    } catch (error) {
      assert.instance(error, TypeError, name);
      assert.match((error as Error).message, `unknown option ${name}`);
    }
  }
  assert.equal(accepted, [], `accepted as if known: ${accepted.join(', ')}`);
});

test.run();
