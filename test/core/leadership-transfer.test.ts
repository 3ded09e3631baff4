// From a mutation review of src/core/raft.ts.
/**
 * Leadership transfer (Raft thesis §3.10, as etcd-io/raft implements it): the leader first brings
 * the target's log up to date with AppendEntries and only then sends TimeoutNow; the transfer gets
 * one full election timeout from when it starts; a transfer to the leader itself is a no-op; only
 * a voter can be the target; a node that may not campaign (a learner) ignores TimeoutNow; and
 * while a transfer is under way the leader appends nothing of its own — a caught-up learner waits
 * for its promotion (etcd refuses conf changes while transferring) so the target's catch-up is not
 * a moving goal.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, type Membership } from '../../src/core/index.js';
import { electedLeader, enc, isolated, msg, voters } from '../support/raft-harness.js';

const ET = 10;

/** Voters 1-3 and node 4 as a learner (promoted once caught up when `promote`). */
const withLearner4 = (promote: boolean): Membership => [...voters(1, 2, 3), { id: 4, role: 'learner', promote, context: 'n4' }];

test('§3.10: the leader sends no TimeoutNow to a target that lacks its last entry; it sends it as soon as the target acknowledges that entry', () => {
  const { h, n, term } = electedLeader(3, { preVote: false });
  const r = n.raft.propose(enc('x'));
  assert.ok(r.ok);
  h.process();
  h.take(); // the append of x is lost: node 2 does not have it
  assert.ok(n.raft.transferLeader(2).ok);
  h.process();
  assert.equal(h.take('timeoutNow'), [], 'no TimeoutNow to a target that lacks the last entry');
  n.raft.step(msg.appendResp(2, 1, term, r.index));
  h.process();
  const tn = h.take('timeoutNow');
  assert.equal(tn.map((m) => [m.to, m.term]), [[2, term]], 'TimeoutNow as soon as the target holds the last entry');
});

test('§3.10: a transfer gets a full election timeout from when it starts, however far into the leader\'s timer it started', () => {
  const { h, n } = electedLeader(3, { preVote: false, checkQuorum: false });
  n.raft.propose(enc('x'));
  h.process();
  h.take(); // node 2 lags: the transfer cannot finish at once
  for (let i = 0; i < ET - 1; i++) h.tick(1);
  assert.ok(n.raft.transferLeader(2).ok);
  for (let i = 0; i < ET - 1; i++) h.tick(1);
  assert.is(n.raft.transferTarget(), 2, `still under way ${ET - 1} ticks after it started`);
  h.tick(1);
  assert.is(n.raft.transferTarget(), 0, 'abandoned one election timeout after it started');
});

test('§3.10: only a voter can be the target — a learner or an unknown node is refused with notVoter', () => {
  const m = withLearner4(false);
  const { n } = electedLeader(3, { preVote: false }, new MemoryStorage(m));
  assert.equal(n.raft.transferLeader(4), { ok: false, reason: 'notVoter' });
  assert.equal(n.raft.transferLeader(9), { ok: false, reason: 'notVoter' });
  assert.is(n.raft.transferTarget(), 0);
  assert.ok(n.raft.propose(enc('y')).ok, 'no transfer started: proposals are taken');
});

test('thesis §4.2.1 / etcd: a learner that receives TimeoutNow does not campaign', () => {
  const m = withLearner4(false);
  const { h, n } = isolated(m, 4, {}, new MemoryStorage(m));
  h.leaveQuietPeriod();
  const term = n.raft.term;
  n.raft.step({ type: 'timeoutNow', from: 1, to: 4, term });
  h.process();
  assert.is(n.raft.role, 'follower');
  assert.is(n.raft.term, term, 'no election started');
  assert.equal(h.take('vote'), []);
});

test('§3.10 / etcd: while a transfer is under way the leader appends no promotion of a caught-up learner; it follows once the transfer is over', () => {
  const m = withLearner4(true);
  const { h, n, term } = electedLeader(3, { preVote: false, checkQuorum: false }, new MemoryStorage(m));
  const r = n.raft.propose(enc('x'));
  assert.ok(r.ok);
  h.process();
  h.take();
  n.raft.step(msg.appendResp(3, 1, term, r.index)); // x commits with 3; 2 still lags
  assert.ok(n.raft.transferLeader(2).ok);
  n.raft.step(msg.appendResp(4, 1, term, r.index)); // the learner has caught up
  h.process();
  h.tick(1);
  assert.is(n.raft.log.lastIndex(), r.index, 'nothing appended while transferring');
  for (let i = 0; i < ET; i++) h.tick(1);
  assert.is(n.raft.transferTarget(), 0, 'the transfer was abandoned');
  assert.is(n.raft.log.lastIndex(), r.index + 1, 'then the promotion is appended');
});

test('§3.10 / etcd: a transfer to the leader itself is accepted as done and starts nothing', () => {
  const { h, n } = electedLeader(3, { preVote: false });
  assert.equal(n.raft.transferLeader(1), { ok: true });
  h.process();
  assert.is(n.raft.transferTarget(), 0);
  assert.equal(h.take('timeoutNow'), []);
  assert.ok(n.raft.propose(enc('z')).ok, 'proposals are still taken');
});

test.run();
