/**
 * §6.4 ReadIndex across terms (read-only.ts), from a mutation review: a leader that lost
 * leadership with a heartbeat round in flight forgets that round. Elected again, its first read
 * gets a round of its own at once — it does not wait, until the next heartbeat, for an answer to a
 * round of its old term that can never come.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { electedLeader, msg, winElection } from '../support/raft-harness.js';

test('§6.4: a leader elected again after losing leadership with a round in flight starts a heartbeat round for its first read at once', () => {
  const { h, n, term } = electedLeader(3, { preVote: false, checkQuorum: false });
  n.raft.readIndex('old');
  h.process();
  assert.ok(h.take('heartbeat').length > 0, 'the read started a round');
  // Before anyone answers, a message of a higher term deposes the leader.
  n.raft.step(msg.heartbeat(2, 1, term + 1));
  h.process();
  assert.is(n.raft.role, 'follower');
  assert.ok(n.droppedReads.includes('old'), 'the read of the old term was dropped');
  // Elected again in a later term; its no-op commits.
  const { term: t2, noop } = winElection(h, n);
  n.raft.step(msg.appendResp(2, 1, t2, noop));
  n.raft.step(msg.appendResp(3, 1, t2, noop));
  h.process();
  assert.is(n.raft.log.committed, noop);
  h.take();
  n.raft.readIndex('new');
  h.process();
  const round = h.take('heartbeat');
  assert.ok(round.length > 0 && round.every((m) => m.round > 0), 'a heartbeat round leaves with the read, no tick needed');
  for (const id of [2, 3]) n.raft.step(msg.heartbeatResp(id, 1, t2, round[0]!.round));
  h.process();
  assert.equal(n.readStates.map((r) => r.context), ['new'], 'and its acknowledgment serves the read');
});

test.run();
