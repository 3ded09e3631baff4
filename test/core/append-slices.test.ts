/**
 * §5.3 (AppendEntries carries the entries immediately following prevLogIndex), from a mutation
 * review of log.ts: the leader builds an append from entries it has written (storage) and entries
 * it has not written yet (the unstable tail), under the per-message byte limit. Whatever mix it
 * reads from, an append's entries are consecutive from prevIndex + 1: a gap would put entries at
 * the wrong index in the follower's log.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { electedLeader, msg } from '../support/raft-harness.js';

const bytes = (n: number) => new Uint8Array(n);

function assertConsecutive(appends: Array<{ prevIndex: number; entries: Array<{ index: number }> }>): void {
  for (const a of appends) {
    assert.equal(
      a.entries.map((e) => e.index),
      a.entries.map((_, i) => a.prevIndex + 1 + i),
      `append after ${a.prevIndex} carries consecutive entries`,
    );
  }
}

test('§5.3: an append cut short by the byte limit inside the written log does not go on with unwritten entries after a gap', () => {
  // Entry sizes count data + 24 bytes: N+1 is 100 bytes, N+2 is 144, N+3 (unwritten) 25.
  const { h, n, term, noop: N } = electedLeader(3, { maxBytesPerMessage: 150, checkQuorum: false, preVote: false });
  n.raft.propose(bytes(76));
  n.raft.propose(bytes(120));
  h.process(); // N+1 and N+2 are written
  h.take();
  n.raft.propose(bytes(1)); // N+3 stays in the unstable tail (its Ready not handled)
  // Follower 2 rejects the append after N+2: the leader probes it again from N+1.
  n.raft.step(msg.appendResp(2, 1, term, N + 2, { reject: true, conflictIndex: N + 1 }));
  h.process();
  const toTwo = h.take('append').filter((a) => a.to === 2);
  assert.ok(toTwo.length > 0, 'the leader sends follower 2 an append');
  assertConsecutive(toTwo);
  const probe = toTwo.find((a) => a.prevIndex === N)!;
  assert.ok(probe, 'a probe after the no-op');
  assert.equal(probe.entries.map((e) => e.index), [N + 1], 'N+1 alone: N+2 does not fit in 150 bytes, and N+3 may not jump over it');
});

test('§5.3: an append starting inside the unwritten tail starts at the entry the follower needs', () => {
  const { h, n, term, noop: N } = electedLeader(3, { checkQuorum: false, preVote: false });
  n.raft.propose(bytes(8));
  h.process();
  h.take();
  // N+2..N+4 unwritten; follower 2 acknowledges N+2 (sent early, before the leader's own write)
  // and then rejects the append after N+3: it needs N+3 on.
  for (let i = 0; i < 3; i++) n.raft.propose(bytes(8));
  n.raft.step(msg.appendResp(2, 1, term, N + 2));
  n.raft.step(msg.appendResp(2, 1, term, N + 3, { reject: true, conflictIndex: N + 3 }));
  h.process();
  const toTwo = h.take('append').filter((a) => a.to === 2);
  assert.ok(toTwo.some((a) => a.entries.length > 0), 'entries go to follower 2');
  assertConsecutive(toTwo);
  const retry = toTwo.at(-1)!;
  assert.equal([retry.prevIndex, retry.entries.map((e) => e.index)], [N + 2, [N + 3, N + 4]], 'the retry after N+2 carries N+3 and N+4');
});

test.run();
