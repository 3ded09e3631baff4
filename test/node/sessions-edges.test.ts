// Mutation review of proposer sessions (src/sessions.ts): the header's numbers at every LEB128
// length boundary (a wrong byte count shifts the command bytes of, say, a node's 128th proposal),
// malformed headers refused, and the table's snapshot round trip: a seq at the floor is still a
// proposal that applied (its proposer awaits its answer and may propose it again), the least
// recently active session stays the one evicted, and a restored table is exactly the snapshot's,
// so that a member restored from a snapshot keeps deciding as the members that replayed the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProposerSession } from '../../src/proposer-session.js';
import { SessionTable, decodeSessionFrame, encodeSessionHeader, isSessionRecords, type SessionHeader, type SessionRecord } from '../../src/sessions.js';

const h = (session: number, seq: number, floor = seq): SessionHeader => ({ session, seq, floor });

/** The records of `t` through JSON (as a snapshot stores them), sorted by session. */
function records(t: SessionTable): SessionRecord[] {
  const r = JSON.parse(JSON.stringify(t.toRecords())) as unknown;
  assert.ok(isSessionRecords(r));
  assert.not.ok(isSessionRecords((r as unknown[]).concat([[1, 1, 1, [], 'extra']])), 'a record of five fields is not one');
  return r.sort((a, b) => a[0] - b[0]);
}

test('session header: numbers at every LEB128 length boundary round-trip, and the command bytes follow exactly', () => {
  const values = [1, 127, 128, 129, 255, 256, 16_383, 16_384, 16_385, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 35, 2 ** 42, 2 ** 48 - 1, 2 ** 49, 2 ** 53 - 1];
  const command = new Uint8Array([5, 0, 0, 0, 0xaa, 0xbb]);
  for (const v of values) {
    for (const header of [h(v, 1), h(1, v), h(v, v, 1), h(3, v, v)]) {
      const bytes = encodeSessionHeader(header);
      const data = new Uint8Array(bytes.byteLength + command.byteLength);
      data.set(bytes, 0);
      data.set(command, bytes.byteLength);
      const frame = decodeSessionFrame(data);
      assert.equal(frame.header, header, `header ${JSON.stringify(header)}`);
      assert.equal([...frame.command], [...command], `command bytes after ${JSON.stringify(header)}`);
    }
  }
});

test('session header: a padded number, or a floor below zero, is refused', () => {
  // session 1 written as two bytes [0x81, 0x00]
  assert.throws(() => decodeSessionFrame(new Uint8Array([0, 0, 0, 0, 1, 0x81, 0x00, 1, 0, 1, 0, 0, 0])), /padded number/);
  // seq 2, 5 behind: floor -3
  assert.throws(() => decodeSessionFrame(new Uint8Array([0, 0, 0, 0, 1, 7, 2, 5, 1, 0, 0, 0])), /floor below zero/);
  // seq 2, 2 behind: floor 0 is accepted (the reader's bound is floor >= 0)
  assert.equal(decodeSessionFrame(new Uint8Array([0, 0, 0, 0, 1, 7, 2, 2, 1, 0, 0, 0])).header, h(7, 2, 0));
});

test('session table: a proposal at its own floor (applied, answer not yet received) is still skipped as a copy after a snapshot round trip', () => {
  const t = new SessionTable();
  assert.equal(t.admit(h(1, 5, 5), 10), { run: true }); // seq 5 is the lowest waiting: floor 5
  t.record(h(1, 5, 5), { result: 'applied', error: undefined });
  const restored = new SessionTable();
  restored.restore(records(t));
  // The leader failed before the answer: the proposer proposes seq 5 again, floor still 5.
  assert.equal(restored.admit(h(1, 5, 5), 11), { run: false, outcome: undefined, stale: false });
  assert.equal(t.admit(h(1, 5, 5), 11), { run: false, outcome: { result: 'applied', error: undefined }, stale: false });
});

test('session table: pruning as the floor rises keeps the seq at the new floor (a copy of it is still skipped)', () => {
  const t = new SessionTable();
  // 100 pipelined proposals while seq 1 waits: floor 1 throughout.
  for (let seq = 1; seq <= 100; seq++) {
    assert.ok(t.admit(h(1, seq, 1), seq).run);
    t.record(h(1, seq, 1), { result: seq, error: undefined });
  }
  // Seqs 1..49 answered: the next proposal carries floor 50, which prunes the seqs below it.
  assert.ok(t.admit(h(1, 101, 50), 101).run);
  t.record(h(1, 101, 50), { result: 101, error: undefined });
  assert.ok(t.seqsHeld <= 52, `${t.seqsHeld} seqs held: those below the floor were pruned`);
  // Seq 50 applied but its answer was lost: proposed again, it must not apply twice.
  assert.equal(t.admit(h(1, 50, 50), 102), { run: false, outcome: { result: 50, error: undefined }, stale: false });
  assert.equal(t.admit(h(1, 49, 50), 103), { run: false, outcome: undefined, stale: true });
  for (let seq = 51; seq <= 100; seq++) assert.not.ok(t.admit(h(1, seq, 50), 103 + seq).run, `seq ${seq} applied once`);
});

test('session table: a table restored from a snapshot (into one that held other sessions) evicts as the original does and ends the same', () => {
  const original = new SessionTable(2);
  for (const [header, index] of [[h(1, 1), 1], [h(2, 1), 2], [h(1, 2), 3]] as const) {
    assert.ok(original.admit(header, index).run);
    original.record(header, undefined);
  } // session 1 active again at 3: session 2 is the least recently active
  const snap = records(original);
  const restored = new SessionTable(2);
  restored.admit(h(9, 1), 100); // what this member held before it installed the snapshot
  restored.restore(snap);
  assert.equal(records(restored), snap, 'the restored table is exactly the snapshot');
  // Both apply the same next entries.
  for (const t of [original, restored]) {
    assert.ok(t.admit(h(3, 1), 4).run);
    t.record(h(3, 1), undefined);
  }
  assert.equal(records(restored), records(original));
  assert.equal(
    records(original).map((r) => r[0]),
    [1, 3],
    'session 2 was evicted',
  );
  // Session 1's seq 2 is remembered in both: a copy is skipped everywhere.
  assert.not.ok(original.admit(h(1, 2), 5).run);
  assert.not.ok(restored.admit(h(1, 2), 5).run);
});

test('proposer session: answers that arrive out of order are forgotten once the floor passes them (no set growing for good)', () => {
  const p = new ProposerSession();
  const endedAhead = (): number => (p as unknown as { endedAhead: Set<number> }).endedAhead.size;
  for (let round = 0; round < 100; round++) {
    const seqs = Array.from({ length: 10 }, () => p.begin());
    for (const seq of [...seqs].reverse()) p.end(seq); // the lowest answered last
    assert.is(p.lowestWaiting, seqs[9]! + 1);
  }
  assert.is(endedAhead(), 0, 'answers held after the floor passed them');
});

test('proposer session: ending a seq twice, or one never begun, holds nothing and moves no floor', () => {
  const p = new ProposerSession();
  const endedAhead = (): number => (p as unknown as { endedAhead: Set<number> }).endedAhead.size;
  const [a, b, c] = [p.begin(), p.begin(), p.begin()];
  p.end(a);
  p.end(a); // a double end, below the floor now
  assert.is(endedAhead(), 0, 'a seq below the floor is not held');
  p.end(c + 5); // never begun
  assert.is(endedAhead(), 0, 'a seq never begun is not held');
  p.end(c);
  p.end(c);
  assert.is(endedAhead(), 1, 'only c waits for b');
  assert.is(p.lowestWaiting, b);
  p.end(b);
  assert.is(p.lowestWaiting, c + 1);
  assert.is(endedAhead(), 0);
});

test.run();
