// From a mutation review of src/core/raft.ts.
/**
 * Membership changes (Raft thesis §4.1–§4.2): a new leader appends no configuration change — not
 * even the automatic promotion of a caught-up learner — before it has committed an entry of its
 * own term (the single-server change bug Ongaro described on raft-dev, 2015); a leader that
 * commits its own removal first tells the others the commit and hands over to a voter whose log is
 * complete (thesis §3.10 TimeoutNow, §4.2.2); the removed members are told only once the removal
 * commits; a joiner whose configuration names no voters never campaigns (its term must not grow
 * before it has received the log, or its first answer would depose the leader adding it); and a
 * leader elected again does not take a change of its earlier term, truncated away since, for one
 * still in flight.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, type Membership } from '../../src/core/index.js';
import { Harness, electedLeader, enc, isolated, msg, voters, winElection } from '../support/raft-harness.js';

const ET = 10;

test('§4.1: a new leader does not promote a caught-up learner before it has committed an entry of its term', () => {
  const m: Membership = [...voters(1, 2, 3), { id: 4, role: 'learner', promote: true, context: 'n4' }];
  const { h, n } = isolated(m, 1, { preVote: false }, new MemoryStorage(m));
  const { term, noop } = winElection(h, n);
  assert.is(n.raft.log.committed, noop - 1, 'everything before the no-op is committed, the no-op is not');
  n.raft.step(msg.appendResp(4, 1, term, noop)); // the learner holds the whole log
  h.process();
  h.tick(1);
  assert.is(n.raft.log.lastIndex(), noop, 'no promotion appended while no entry of this term is committed');
  n.raft.step(msg.appendResp(2, 1, term, noop));
  h.process();
  assert.is(n.raft.log.committed, noop);
  assert.is(n.raft.log.lastIndex(), noop + 1, 'the promotion follows the no-op\'s commit');
});

test('§4.2.2/§3.10: a leader stepping down at its own removal tells the others the commit itself, even if its TimeoutNow is lost', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const r = h.node(1).raft.proposeConfChange({ type: 'remove', id: 1 });
  assert.ok(r.ok);
  h.deliverAllExcept((m) => m.type === 'timeoutNow');
  assert.is(h.node(1).raft.role, 'follower');
  for (const id of [2, 3]) assert.ok(r.ok && h.node(id).raft.log.committed >= r.index, `node ${id} learnt the removal committed`);
});

test('§4.2.2/§3.10: a leader stepping down at its own removal sends TimeoutNow only to a voter whose log holds the removal', () => {
  const h = new Harness(voters(1, 2, 3, 4));
  h.elect(1);
  h.cut.add('1->2'); // node 2 lags behind
  const r = h.node(1).raft.proposeConfChange({ type: 'remove', id: 1 });
  assert.ok(r.ok);
  h.deliverAll();
  assert.is(h.node(1).raft.role, 'follower', 'committed by 3 and 4 of {2,3,4}');
  const tn = h.sentOf('timeoutNow', { from: 1 });
  assert.is(tn.length, 1);
  assert.ok(tn[0]!.to === 3 || tn[0]!.to === 4, `TimeoutNow went to ${tn[0]!.to}, which lacks the removal`);
});

test('§4.2.2: the leader tells a removed member only once the removal commits, not when an entry before it commits', () => {
  const { h, n, term } = electedLeader(3, { preVote: false });
  const x = n.raft.propose(enc('x'));
  const rm = n.raft.proposeConfChange({ type: 'remove', id: 3 });
  assert.ok(x.ok && rm.ok && rm.index === x.index + 1);
  h.process();
  h.take();
  n.raft.step(msg.appendResp(2, 1, term, x.index));
  h.process();
  assert.is(n.raft.log.committed, x.index);
  assert.equal(h.take('notMember'), [], 'no notice while the removal is not committed (it may still be rolled back)');
  n.raft.step(msg.appendResp(2, 1, term, rm.index));
  h.process();
  assert.equal(h.take('notMember').map((m) => [m.to, m.configIndex]), [[3, rm.index]], 'told once it commits');
});

for (const preVote of [true, false]) {
  test(`thesis §4.2.1: a joiner that has not received the log (no voters in its configuration) never campaigns nor raises its term (preVote ${preVote})`, () => {
    const h = new Harness(voters(1, 2, 3), { preVote });
    const j = h.add(4, new MemoryStorage());
    h.leaveQuietPeriod();
    const roles = new Set<string>();
    for (let i = 0; i < 5 * ET; i++) {
      j.raft.tick();
      roles.add(j.raft.role);
      h.process();
    }
    assert.equal([...roles], ['follower']);
    assert.is(j.raft.term, 0);
    assert.equal(h.sentOf('vote', { from: 4 }), []);
  });
}

test('§4.2.2/§3.10: a leader stepping down at its own removal hands over to a voter, never to a caught-up learner', () => {
  // Learner 2 comes first among the followers; 3 and 4 are the remaining voters.
  const m: Membership = [{ id: 1, role: 'voter', promote: false, context: 'n1' }, { id: 2, role: 'learner', promote: false, context: 'n2' }, ...voters(3, 4)];
  const h = new Harness(m);
  h.elect(1);
  const r = h.node(1).raft.proposeConfChange({ type: 'remove', id: 1 });
  assert.ok(r.ok);
  h.deliverAllExcept((x) => x.type === 'timeoutNow');
  assert.is(h.node(1).raft.role, 'follower');
  assert.ok(r.ok && h.node(2).raft.log.lastIndex() >= r.index, 'the learner holds the whole log');
  const tn = h.sentOf('timeoutNow', { from: 1 });
  assert.equal(tn.map((x) => x.to).filter((to) => to !== 3 && to !== 4), [], 'TimeoutNow only to a voter of the new configuration');
  assert.is(tn.length, 1);
});

test('§4.1: a leader elected again takes a membership change once it commits an entry of its term, even if a change it appended in an earlier term (past its log\'s end now) was truncated away', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const n1 = h.node(1);
  h.partition([1], [2, 3]);
  for (const v of ['a', 'b', 'c']) assert.ok(n1.raft.propose(enc(v)).ok);
  const lost = n1.raft.proposeConfChange({ type: 'addLearner', id: 4, context: 'n4' });
  assert.ok(lost.ok);
  let other = h.leader();
  for (let i = 0; i < 6 * ET && (!other || other.id === 1); i++) {
    h.tickAll();
    h.deliverAll();
    other = h.leader();
  }
  assert.ok(other && other.id !== 1, 'nodes 2 and 3 elected a leader');
  h.heal();
  for (let i = 0; i < 2; i++) { h.tickAll(); h.deliverAll(); }
  assert.ok(lost.ok && n1.raft.log.lastIndex() < lost.index, 'the change and the entries before it were truncated away');
  assert.ok(other!.raft.transferLeader(1).ok);
  h.deliverAll();
  assert.is(n1.raft.role, 'leader');
  assert.ok(n1.raft.log.committed === n1.raft.log.lastIndex(), 'its no-op committed');
  const r = n1.raft.proposeConfChange({ type: 'addLearner', id: 5, context: 'n5' });
  assert.ok(r.ok, JSON.stringify(r));
});

test.run();
