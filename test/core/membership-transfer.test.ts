// Membership and transfer rules (thesis §4.1, §3.10): a configuration rolls back with its
// truncated entry, commit quorums follow the newest appended configuration, a joining voter is
// promoted only once caught up with one change in flight, a leader removing itself commits without
// counting itself and steps down, a transfer refuses proposals and ends after an election timeout,
// and pre-vote answers change neither term nor vote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage } from '../../src/core/index.js';
import { isVoter, voterIds } from '../../src/core/membership.js';
import { Harness, enc, lastOf, msg, voters } from '../support/raft-harness.js';

const ET = 10;
function run(h: Harness, ticks: number): void {
  for (let i = 0; i < ticks; i++) { h.tickAll(); h.deliverAll(); }
}

test('rollback: a removal appended only on a deposed leader is rolled back when a new leader truncates it; the node then counts 3 voters again', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const L = h.node(1);
  h.partition([1], [2, 3]);
  const r = L.raft.proposeConfChange({ type: 'remove', id: 3 });
  assert.ok(r.ok);
  h.process();
  assert.equal(voterIds(L.raft.membership.current()), [1, 2], 'takes effect when appended');
  // 2 and 3 elect 2 (1 is cut off, steps down by CheckQuorum).
  run(h, 3 * ET);
  const L2 = h.leader();
  assert.ok(L2 && L2.id !== 1 && L2.raft.term > L.raft.term - 0);
  assert.ok(L2!.raft.propose(enc('x')).ok);
  run(h, 1);
  h.heal();
  run(h, 3 * ET);
  assert.equal(voterIds(L.raft.membership.current()), [1, 2, 3], 'rolled back with the truncated entry');
  assert.is(L.raft.log.term(r.ok ? r.index : 0), L2!.raft.log.term(r.ok ? r.index : 0));
});

test('commit quorum follows the newest appended configuration: after appending remove(4) in {1,2,3,4}, 1+2 commit', () => {
  const h = new Harness(voters(1, 2, 3, 4));
  h.elect(1);
  const L = h.node(1);
  h.partition([1], [3, 4]);
  const rm = L.raft.proposeConfChange({ type: 'remove', id: 4 });
  assert.ok(rm.ok);
  const w = L.raft.propose(enc('w'));
  assert.ok(w.ok);
  h.deliverAll();
  assert.ok(w.ok && L.raft.log.committed >= w.index, 'committed by 1 and 2 of {1,2,3}');
});

test('a joining voter is promoted only when caught up, and only one change in flight; promote counts it at once', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const L = h.node(1);
  const add = L.raft.proposeConfChange({ type: 'addVoter', id: 4, context: 'n4' });
  assert.ok(add.ok);
  assert.equal(L.raft.proposeConfChange({ type: 'addLearner', id: 5, context: 'n5' }), { ok: false, reason: 'confChangeInFlight', leader: 1 });
  h.deliverAll();
  assert.not.ok(isVoter(L.raft.membership.current(), 4), 'not promoted before it holds the log');
  h.add(4, new MemoryStorage());
  run(h, 3);
  assert.ok(isVoter(L.raft.membership.current(), 4));
  assert.ok(isVoter(h.node(4).raft.membership.current(), 4));
});

test('leader self-removal: commits without counting itself, steps down, lease gone', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const L = h.node(1);
  run(h, 1);
  const rm = L.raft.proposeConfChange({ type: 'remove', id: 1 });
  assert.ok(rm.ok);
  h.process();
  // 1 is durable, 2 acked: not a majority of {2,3}
  h.partition([1], [3]);
  h.deliverAll();
  assert.is(L.raft.role, 'leader');
  assert.ok(rm.ok && L.raft.log.committed < rm.index, 'not committed by 1+2: 1 does not count in {2,3}');
  h.heal();
  run(h, 1);
  assert.is(L.raft.role, 'follower');
  assert.not.ok(L.raft.leaseValid());
});

test('transfer: proposals and conf changes refused while transferring; abandoned after an election timeout', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const L = h.node(1);
  h.cut.add('1->2');
  assert.ok(L.raft.propose(enc('a')).ok);
  h.deliverAll();
  assert.ok(L.raft.transferLeader(2).ok);
  assert.equal(L.raft.propose(enc('b')), { ok: false, reason: 'transferring', leader: 1 });
  assert.is(L.raft.proposeConfChange({ type: 'remove', id: 3 }).ok, false);
  for (let i = 0; i < ET; i++) { h.tick(1); h.deliverAll(); }
  assert.is(L.raft.transferTarget(), 0);
  assert.ok(L.raft.propose(enc('c')).ok);
});

test('transfer: a vote flagged as transfer is granted by a protected follower (higher term); a plain one is not', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  run(h, 1);
  const A = h.node(2);
  const T = A.raft.term;
  h.take();
  A.raft.step(msg.vote(3, 2, T + 1, { ...lastOf(A) }));
  h.process();
  assert.equal(h.take('voteResp'), []);
  A.raft.step(msg.vote(3, 2, T + 1, { ...lastOf(A), transfer: true }));
  h.process();
  assert.ok(h.take('voteResp').some((m) => !m.reject));
});

test('pre-vote answers change neither term nor vote (the timer: prevote-election-timer); a real vote is granted once per term', () => {
  const h = new Harness(voters(1, 2, 3));
  h.leaveQuietPeriod();
  const n = h.node(1);
  const T = n.raft.term;
  n.raft.step(msg.vote(2, 1, T + 1, { ...lastOf(n), preVote: true }));
  assert.is(n.raft.term, T);
  assert.is(n.raft.vote, 0);
  n.raft.step(msg.vote(2, 1, T + 1, { ...lastOf(n) }));
  n.raft.step(msg.vote(3, 1, T + 1, { ...lastOf(n) }));
  h.process();
  const rs = h.take('voteResp');
  assert.equal(rs.map((m) => [m.to, m.preVote, m.reject]), [[2, true, false], [2, false, false], [3, false, true]]);
});

test.run();
