/**
 * Messages from a member of another cluster, reaching this one under an address it lists (added by
 * mistake): what the core can tell apart from its own cluster's traffic, it ignores. Found 12-07 by
 * adding a member of cluster A to cluster B: A's member told B's members they were not in its
 * configuration, and every member of B took itself for removed; an acknowledgement about an index
 * past the leader's log moved the leader's next index past its log, and its next append threw.
 * test/node/another-clusters-member.test.ts runs the whole scenario.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterWithWrites, enc } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;
const STRANGER = 99;

test('a removal notice naming a configuration older than the committed one this node is in is ignored (it cannot come from this cluster)', () => {
  const h = clusterWithWrites(4, PLAIN);
  // The stranger is added by mistake: this cluster's configuration moves past its founding one.
  assert.ok(h.node(1).raft.proposeConfChange({ type: 'addLearner', id: STRANGER, context: 'stranger:1' }).ok);
  h.deliverAll();
  const follower = h.node(2).raft;
  const at = follower.membership.currentIndex();
  assert.ok(at > 1 && at <= follower.log.committed, 'the follower knows its configuration committed');
  // The stranger's configuration (its own founding one, at index 1) and its commit past ours.
  follower.step({ type: 'notMember', from: STRANGER, to: 2, term: 0, configIndex: 1, commit: follower.log.committed + 50, commitTerm: 7 });
  assert.is(follower.removedAt(), 0);
});

test('a removal notice whose committed entry differs in term from this node’s committed entry at that index is ignored (two committed entries at one index have one term)', () => {
  const h = clusterWithWrites(4, PLAIN);
  const follower = h.node(2).raft;
  const commit = follower.log.committed;
  const ours = follower.log.term(commit)!;
  follower.step({ type: 'notMember', from: STRANGER, to: 2, term: 0, configIndex: follower.membership.currentIndex() + 10, commit, commitTerm: ours + 1 });
  assert.is(follower.removedAt(), 0);
});

test('a removal notice from the leader of this cluster still removes a member (the guard keeps the real ones)', () => {
  const h = clusterWithWrites(2, PLAIN);
  const leader = h.node(1).raft;
  const r = leader.proposeConfChange({ type: 'remove', id: 3 });
  assert.ok(r.ok);
  h.partition([3], [1, 2]); // node 3 misses its removal...
  h.deliverAll();
  h.heal();
  const three = h.node(3).raft;
  assert.is(three.removedAt(), 0, 'it does not know yet');
  // ...and is told by a member whose configuration (committed) leaves it out.
  three.step({ type: 'notMember', from: 1, to: 3, term: leader.term, configIndex: leader.membership.currentIndex(), commit: leader.log.committed, commitTerm: leader.log.term(leader.log.committed)! });
  assert.ok(three.removedAt() > 0);
});

test('an acknowledgement of an index past the leader’s log is ignored: the follower’s next index stays within the log, and the next append goes out', () => {
  const h = clusterWithWrites(2, PLAIN);
  const leader = h.node(1).raft;
  const last = leader.log.lastIndex();
  const before = { ...leader.progressOf(2)! };
  leader.step({ type: 'appendResp', from: 2, to: 1, term: leader.term, reject: false, index: last + 1000, conflictTerm: 0, conflictIndex: 0 });
  assert.is(leader.progressOf(2)!.match, before.match);
  assert.ok(leader.progressOf(2)!.next <= last + 1, 'next stays within the log');
  assert.is(leader.log.committed, last, 'nothing counted committed on its word');
  // Before the fix the next append to it threw ("needs entries before ... but there is no snapshot").
  leader.propose(enc('after'));
  h.deliverAll();
  assert.is(h.node(2).raft.log.lastIndex(), last + 1);
});

test.run();
