/**
 * Membership changes (thesis §4.1): a new leader takes one only once it has committed an entry of
 * its term, and one at a time. The two refusals differ: the first lifts by itself within a round
 * trip (the driver retries it while it waits for a leader), the second only when the change in
 * flight commits.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, voters } from '../support/raft-harness.js';

test('§4.1 a new leader refuses a membership change until it has committed an entry of its term (leaderNotReady), then takes one at a time (confChangeInFlight)', () => {
  const h = new Harness(voters(1, 2, 3));
  const leader = h.electUncommitted(1);
  assert.ok(leader.raft.log.committed < leader.raft.log.lastIndex(), 'the no-op is not committed yet');
  const early = leader.raft.proposeConfChange({ type: 'addLearner', id: 4, context: 'n4:9004' });
  assert.equal(early, { ok: false, reason: 'leaderNotReady', leader: 1 });
  assert.is(leader.raft.log.lastIndex(), leader.raft.log.committed + 1, 'nothing appended');
  h.deliverAll();
  const first = leader.raft.proposeConfChange({ type: 'addLearner', id: 4, context: 'n4:9004' });
  assert.ok(first.ok, JSON.stringify(first));
  const second = leader.raft.proposeConfChange({ type: 'addLearner', id: 5, context: 'n5:9005' });
  assert.equal(second, { ok: false, reason: 'confChangeInFlight', leader: 1 });
  h.deliverAll();
  assert.ok(leader.raft.proposeConfChange({ type: 'addLearner', id: 5, context: 'n5:9005' }).ok, 'the next one once the first committed');
});

test.run();
