// From a mutation review of the transport: a message type must be one of the table's OWN keys. With `type in
// SCHEMAS` instead of Object.hasOwn, names every object inherits ("constructor", "toString",
// "__proto__", "hasOwnProperty") passed as message types with no fields checked, and such a
// message reached the core.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { decodeBatch, WireError } from '../../src/transport/wire.js';

const raw = (value: unknown): Buffer => new Packr({ useRecords: false }).pack(value);

test('names inherited from Object.prototype are not message types', () => {
  for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
    assert.throws(
      () => decodeBatch(raw([{ type, from: 1, to: 2, term: 3 }])),
      (e: Error) => e instanceof WireError && /message 0\.type must be a known message type/.test(e.message),
      `type ${type} refused`,
    );
  }
});

test.run();
