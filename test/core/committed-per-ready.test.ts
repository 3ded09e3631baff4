/**
 * A Ready hands out at most maxCommittedEntriesPerReady committed entries (default 4096) as well as
 * at most maxCommittedBytesPerReady: the driver applies a Ready's entries in one turn of its event
 * loop, and a restart replaying ~94,000 small entries in one Ready held it ~0.3 s (found in an
 * event-loop audit). Every entry is still handed out once, in order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, MemoryStorage, Raft, type Entry, type RaftOptions } from '../../src/core/index.js';
import { voters } from '../support/raft-harness.js';

/** A sole voter restarting with entries 2..last committed and stored (entry 1 is the founding one). */
function restarted(last: number, options: Partial<RaftOptions> = {}): Raft {
  const storage = new MemoryStorage(voters(1));
  const entries: Entry[] = [];
  for (let i = 2; i <= last; i++) entries.push({ index: i, term: 1, type: EntryType.Normal, data: new Uint8Array(8) });
  storage.append(entries);
  storage.hardState = { term: 1, vote: 1, commit: last };
  return new Raft({ id: 1, random: () => 0.5, clock: () => 0, ...options }, storage);
}

/** The sizes of the committed lists of successive Readys until everything committed is handed out. */
function committedBatches(r: Raft): number[][] {
  const batches: number[][] = [];
  for (let i = 0; i < 1000 && r.hasReady(); i++) {
    const rd = r.ready();
    if (rd.committed.length > 0) batches.push(rd.committed.map((e) => e.index));
    r.advance(rd);
  }
  return batches;
}

test('a Ready hands out at most 4096 committed entries by default; all 10,000 are handed out once, in order', () => {
  const batches = committedBatches(restarted(10_000));
  assert.equal(batches.map((b) => b.length), [4096, 4096, 1808]);
  assert.equal(batches.flat(), Array.from({ length: 10_000 }, (_, i) => i + 1));
});

test('maxCommittedEntriesPerReady and maxCommittedBytesPerReady: whichever is reached first ends the batch', () => {
  assert.equal(committedBatches(restarted(100, { maxCommittedEntriesPerReady: 30 })).map((b) => b.length), [30, 30, 30, 10]);
  // 8-byte entries (the founding entry is bigger): 64 bytes reached before 30 entries.
  const byBytes = committedBatches(restarted(100, { maxCommittedEntriesPerReady: 30, maxCommittedBytesPerReady: 64 }));
  assert.ok(byBytes.every((b) => b.length <= 8), JSON.stringify(byBytes.map((b) => b.length)));
  assert.equal(byBytes.flat(), Array.from({ length: 100 }, (_, i) => i + 1));
});

test('maxCommittedEntriesPerReady below 1 is refused (0 would hand out nothing while a Ready stays due)', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => restarted(3, { maxCommittedEntriesPerReady: bad }), /maxCommittedEntriesPerReady must be an integer >= 1/);
});

test.run();
