/**
 * §5.3 (a conflicting entry and all that follow it are deleted) on the follower's UNSTABLE tail:
 * entries received but not yet written by the driver. The in-memory log and what reaches storage
 * must stay the same log when a new leader overwrites entries that are still being written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType } from '../../src/core/index.js';
import { entriesWithTerms, isolated, msg, storageWithLog, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;
const m = voters(1, 2, 3);

/** Follower 1 holding terms [1, 2] (commit 1), as in paper-replication. */
function follower() {
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 2], { term: 2, commit: 1 }));
  h.process();
  h.take();
  return { h, n };
}

test('§5.3: a conflicting append that lands in the middle of the unstable tail drops the conflicting entry and everything after it', () => {
  const { h, n } = follower();
  // Entries 3–5 of term 2 arrive and are not written yet (no Ready handled).
  n.raft.step(msg.append(2, 1, 2, 2, 2, entriesWithTerms([2, 2, 2], 3), 1));
  // A leader of term 3 matched at 3 overwrites 4 onward.
  n.raft.step(msg.append(3, 1, 3, 3, 2, entriesWithTerms([3], 4), 1));
  assert.equal(h.logTerms(1), [1, 2, 2, 3], 'entry 4 of term 2 and entry 5 are gone; 4 is the new leader’s');
  h.process();
  assert.equal(h.storedTerms(1), [1, 2, 2, 3], 'storage agrees');
});

test('§5.3 with a write in flight: the driver finishing the write of entries a new leader has since overwritten does not mark the new entries as written', () => {
  const { h, n } = follower();
  n.raft.step(msg.append(2, 1, 2, 2, 2, entriesWithTerms([2, 2], 3), 1));
  const rd = n.raft.ready(); // the driver starts writing 3–4 of term 2 ...
  assert.equal(rd.entries.map((e) => [e.index, e.term]), [[3, 2], [4, 2]]);
  // ... while a leader of term 3 overwrites 4 (matching at 3) and appends 5.
  n.raft.step(msg.append(3, 1, 3, 3, 2, [
    { index: 4, term: 3, type: EntryType.Normal, data: new Uint8Array([4]) },
    { index: 5, term: 3, type: EntryType.Normal, data: new Uint8Array([5]) },
  ], 1));
  assert.equal(h.logTerms(1), [1, 2, 2, 3, 3], 'entry 4 of term 2 replaced in memory');
  // The write of 3–4 (term 2) completes.
  n.storage.append(rd.entries);
  if (rd.hardState) n.storage.hardState = rd.hardState;
  n.raft.advance(rd);
  h.process(); // the driver writes what is still unwritten
  assert.equal(h.logTerms(1), [1, 2, 2, 3, 3]);
  assert.equal(h.storedTerms(1), [1, 2, 2, 3, 3], 'the new entry 4 of term 3 reached storage, not only the stale one');
  const acks = h.take('appendResp').filter((a) => !a.reject);
  assert.ok(acks.some((a) => a.index === 5), 'and the follower acknowledges the new entries');
});

test.run();
