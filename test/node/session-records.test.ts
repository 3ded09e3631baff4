// From a mutation review of the sessions table's capacity and its snapshot records (src/sessions.ts):
// the table keeps the 4096 sessions the README promises before forgetting the least recently
// active; a table holding a zero (a floor of 0, which the header reader accepts) still makes
// records that isSessionRecords accepts, so its snapshot reads back; and isSessionRecords answers
// false, without throwing, for any malformed value, so that a snapshot's bad metadata is reported
// as corruption (SnapshotCorruptionError) rather than as a TypeError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionTable, decodeSessionFrame, isSessionRecords, type SessionHeader } from '../../src/sessions.js';

const h = (session: number, seq: number, floor = seq): SessionHeader => ({ session, seq, floor });

test('session table: by default it keeps 4096 sessions, and the 4097th forgets the least recently active', () => {
  const t = new SessionTable();
  for (let session = 1; session <= 4096; session++) {
    assert.ok(t.admit(h(session, 1), session).run);
    t.record(h(session, 1), undefined);
  }
  assert.is(t.size, 4096);
  // Session 1 active again: session 2 is now the least recently active.
  assert.not.ok(t.admit(h(1, 1), 5000).run);
  assert.is(t.size, 4096);
  assert.ok(t.admit(h(9999, 1), 5001).run);
  assert.is(t.size, 4096);
  const held = new Set(t.toRecords().map((r) => r[0]));
  assert.ok(held.has(1) && held.has(3) && held.has(9999));
  assert.not.ok(held.has(2), 'session 2 was forgotten');
  // A copy of session 3's seq 1 (still held) is skipped.
  assert.not.ok(t.admit(h(3, 1), 5002).run);
});

test('session records: a table holding zeros (a floor of 0, session 0) makes records that read back', () => {
  const t = new SessionTable();
  const header = decodeSessionFrame(new Uint8Array([0, 0, 0, 0, 1, 7, 2, 2, 1, 0, 0, 0])).header;
  assert.equal(header, h(7, 2, 0));
  assert.ok(t.admit(header!, 1).run);
  t.record(header!, undefined);
  assert.ok(t.admit(h(0, 0, 0), 2).run);
  t.record(h(0, 0, 0), undefined);
  const records = JSON.parse(JSON.stringify(t.toRecords())) as unknown;
  assert.ok(isSessionRecords(records), `records ${JSON.stringify(records)} accepted`);
  const restored = new SessionTable();
  restored.restore(records);
  assert.equal(restored.admit(header!, 3), { run: false, outcome: undefined, stale: false });
  assert.equal(restored.admit(h(0, 0, 0), 4), { run: false, outcome: undefined, stale: false });
  assert.ok(isSessionRecords([[0, 0, 0, [0]]]));
  assert.ok(isSessionRecords([]));
});

test('session records: a malformed value is refused, each field checked, without throwing', () => {
  const bad: unknown[] = [
    undefined,
    null,
    5,
    'sessions',
    {},
    { length: 0 },
    [null],
    [[1, 1, 1]],
    [[1, 1, 1, [], 0]],
    [[-1, 1, 1, []]],
    [[1, -1, 1, []]],
    [[1, 1, -1, []]],
    [[1, 1, 1.5, []]],
    [[1, 1, '1', []]],
    [[1, 1, null, []]],
    [[1, 1, 2 ** 53, []]],
    [[1, 1, 1, [-1]]],
    [[1, 1, 1, [1.5]]],
    [[1, 1, 1, 5]],
    [[1, 1, 1, '12']],
    [[1, 1, 1, {}]],
    [[1, 1, 1, null]],
    [[1, 1, 1, { length: 1, 0: 1 }]],
  ];
  for (const v of bad) {
    let ok: boolean | undefined;
    assert.not.throws(() => (ok = isSessionRecords(v)), `${JSON.stringify(v)} throws`);
    assert.is(ok, false, `${JSON.stringify(v)} refused`);
  }
});

test.run();
