/**
 * The log's own invariant checks (log.ts, RaftInvariantError: "continuing could lose committed
 * data"), from a mutation review: the Raft core never asks for these, so they are the last line
 * when something else goes wrong — a committed entry is never overwritten (Leader Completeness,
 * §5.4), entries stay consecutive (Log Matching, §5.3), and nothing is committed past the log.
 * Also the follower's commit rule and the pending-snapshot bookkeeping, on the log alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftInvariantError, RaftLog } from '../../src/core/index.js';
import { entriesWithTerms, storageWithLog, voters } from '../support/raft-harness.js';

/** A log holding terms [1, 1, 2, 2] (indices 1–4), committed through 3. */
function log(): RaftLog {
  const l = new RaftLog(storageWithLog(voters(1, 2, 3), [1, 1, 2, 2], { commit: 3 }), 3);
  assert.is(l.committed, 3);
  assert.is(l.lastIndex(), 4);
  return l;
}

const throwsInvariant = (f: () => unknown, what: string) =>
  assert.throws(f, (e: unknown) => e instanceof RaftInvariantError, what);

test('§5.4 Leader Completeness: the log refuses an append that would overwrite the last committed entry, and leaves the log as it was', () => {
  const l = log();
  throwsInvariant(() => l.append(entriesWithTerms([3, 3], 3)), 'an append starting at the commit index');
  throwsInvariant(() => l.append(entriesWithTerms([3], 2)), 'an append starting before it');
  assert.equal([1, 2, 3, 4].map((i) => l.term(i)), [1, 1, 2, 2], 'nothing replaced');
  assert.is(l.append(entriesWithTerms([3], 4)), 3, 'the uncommitted entry 4 may be replaced (truncated after 3)');
});

test('§5.3 Log Matching: the log refuses an append that would leave a gap after its last entry', () => {
  const l = log();
  throwsInvariant(() => l.append(entriesWithTerms([2], 6)), 'index 6 after last index 4');
  assert.is(l.lastIndex(), 4);
  assert.is(l.append(entriesWithTerms([2], 5)), undefined, 'index 5 is the next one, nothing dropped');
});

test('§5.3: the log refuses to commit past its last entry (an entry it does not hold)', () => {
  const l = log();
  throwsInvariant(() => l.commitTo(5), 'commit 5 past last index 4');
  assert.is(l.committed, 3);
  l.commitTo(4);
  assert.is(l.committed, 4);
});

test('§5.3: a follower never commits past the last entry it knows matches the leader (min(leaderCommit, last new entry))', () => {
  const l = log();
  // The leader's append matches at 3 and carries nothing: entry 4 (term 2) is not known to match.
  assert.equal(l.maybeAppend(3, 2, 4, [])?.lastNew, 3);
  assert.is(l.committed, 3, 'entry 4 is not committed on the word of an append that did not cover it');
});

test('Figure 13 step 8: a received snapshot stays pending until the driver installed that very snapshot — finishing the install of an older one does not drop a newer one', () => {
  const l = log();
  const meta = (index: number, term: number) => ({ index, term, membership: voters(1, 2, 3), size: 1 });
  l.restore(meta(6, 3));
  l.restore(meta(9, 4)); // a newer snapshot replaced it before the driver finished installing 6
  l.stableSnapshotTo(6);
  assert.ok(l.hasPendingSnapshot(), 'snapshot 9 still waits for its install');
  assert.equal(l.unstable().snapshot?.index, 9);
  assert.is(l.lastIndex(), 9);
  l.stableSnapshotTo(9);
  assert.not.ok(l.hasPendingSnapshot());
});

test.run();
