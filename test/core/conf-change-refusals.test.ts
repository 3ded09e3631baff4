/**
 * Thesis §4.1 / §4.2.1, from a mutation review of membership.ts: a change that does not apply to
 * the leader's configuration is refused at proposal time with the problem the driver reports
 * (ConfChangeProblem), and nothing is appended. A change let through would demote or duplicate a
 * member, or leave a configuration without a voter, in which nothing can ever commit again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConfChange } from '../../src/core/index.js';
import { Harness, voters, type HarnessNode } from '../support/raft-harness.js';

/** Leader 1 of voters {1, 2, 3} plus learner 4 (added and committed), ready to take a change. */
function clusterWithLearner() {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const leader = h.node(1);
  const added = leader.raft.proposeConfChange({ type: 'addLearner', id: 4, context: 'n4' });
  assert.ok(added.ok, JSON.stringify(added));
  h.deliverAll();
  assert.is(leader.raft.log.committed, leader.raft.log.lastIndex(), 'the learner addition committed');
  return { h, leader };
}

/** Proposes `cc` and returns the problem it was refused with ('accepted' if it was not), checking nothing was appended. */
function refusal(leader: HarnessNode, cc: ConfChange): string {
  const last = leader.raft.log.lastIndex();
  const r = leader.raft.proposeConfChange(cc);
  assert.is(leader.raft.log.lastIndex(), last, `nothing appended for ${JSON.stringify(cc)}`);
  return r.ok ? 'accepted' : r.reason === 'invalidConfChange' ? r.problem : r.reason;
}

test('§4.1: promote applies only to a learner — promoting a voter is refused (notLearner), promoting a stranger too', () => {
  const { leader } = clusterWithLearner();
  assert.is(refusal(leader, { type: 'promote', id: 2 }), 'notLearner', 'a voter cannot be promoted');
  assert.is(refusal(leader, { type: 'promote', id: 9 }), 'notLearner', 'nor an id outside the configuration');
});

test('§4.1: adding a member already in the configuration is refused (alreadyMember) — a voter is not silently turned into a learner', () => {
  const { leader } = clusterWithLearner();
  assert.is(refusal(leader, { type: 'addLearner', id: 2, context: 'n2' }), 'alreadyMember', 'voter 2 as a learner');
  assert.is(refusal(leader, { type: 'addVoter', id: 3, context: 'n3' }), 'alreadyMember', 'voter 3 again');
  assert.is(refusal(leader, { type: 'addVoter', id: 4, context: 'n4' }), 'alreadyMember', 'learner 4 again');
});

test('§4.1: removing a member not in the configuration is refused (notMember)', () => {
  const { leader } = clusterWithLearner();
  assert.is(refusal(leader, { type: 'remove', id: 9 }), 'notMember');
});

test('§4.1: the last voter cannot be removed (lastVoter) — a configuration of learners only could never commit or elect again', () => {
  const h = new Harness(voters(1));
  h.elect(1);
  const leader = h.node(1);
  assert.ok(leader.raft.proposeConfChange({ type: 'addLearner', id: 2, context: 'n2' }).ok);
  h.deliverAll();
  assert.is(leader.raft.log.committed, leader.raft.log.lastIndex());
  assert.is(refusal(leader, { type: 'remove', id: 1 }), 'lastVoter', 'learner 2 would be left alone');
  assert.ok(leader.raft.proposeConfChange({ type: 'remove', id: 2 }).ok, 'removing the learner is fine');
});

test.run();
