// From a mutation review of the transport: every field of a peer message is typed, including the header's
// from/to and nested fields no existing test sent wrong (a snapshot's meta.size, a member's
// promote flag). With the check of any one of these removed, a string or object reached the core.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { decodeBatch, WireError } from '../../src/transport/wire.js';
import { EXAMPLES } from './fixtures.js';

const raw = (value: unknown): Buffer => new Packr({ useRecords: false }).pack(value);

function refused(message: unknown, pattern: RegExp): void {
  assert.throws(() => decodeBatch(raw([message])), (err: Error) => err instanceof WireError && pattern.test(err.message), String(pattern));
}

test('from and to must be non-negative integers of at most 2^52', () => {
  for (const field of ['from', 'to'] as const) {
    for (const bad of ['1', -1, 1.5, null, { id: 1 }, 2 ** 52 + 2]) {
      refused({ ...EXAMPLES.heartbeat, [field]: bad }, new RegExp(`\\(heartbeat\\)\\.${field} must be`));
    }
    const { [field]: _omit, ...without } = EXAMPLES.heartbeat;
    refused(without, new RegExp(`\\(heartbeat\\)\\.${field} must be a non-negative integer, got undefined`));
  }
});

test("a snapshot's meta.size must be a non-negative integer", () => {
  for (const bad of ['3', -1, 0.5, null]) {
    refused({ ...EXAMPLES.snapshot, meta: { ...EXAMPLES.snapshot.meta, size: bad } }, /\(snapshot\)\.meta\.size must be/);
  }
});

test("a member's promote flag must be a boolean and its id an integer", () => {
  const [m0] = EXAMPLES.snapshot.meta.membership;
  const withMember = (member: unknown) => ({ ...EXAMPLES.snapshot, meta: { ...EXAMPLES.snapshot.meta, membership: [member] } });
  refused(withMember({ ...m0, promote: 'yes' }), /meta\.membership\[0\]\.promote must be a boolean, got string/);
  refused(withMember({ ...m0, promote: undefined }), /meta\.membership\[0\]\.promote must be a boolean/);
  refused(withMember({ ...m0, id: '1' }), /meta\.membership\[0\]\.id must be a non-negative integer/);
  refused(withMember({ ...m0, context: 7 }), /meta\.membership\[0\]\.context must be a string/);
});

test.run();
