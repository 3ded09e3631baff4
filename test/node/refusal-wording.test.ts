// From a mutation review of src/refusals.ts: every refusal reason and membership-change problem
// has its own message, naming the member by address, and an invalid change keeps the core's words.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { proposalRefusalMessage, transferAbandonedMessage, transferRefusalMessage } from '../../src/refusals.js';

test('each refused proposal says why, naming the member a membership change is about', () => {
  const a = 'h:7001';
  const refused = (reason: 'notLeader' | 'transferring' | 'confChangeInFlight' | 'leaderNotReady'): string => proposalRefusalMessage({ ok: false, reason, leader: 0 }, a);
  assert.is(refused('notLeader'), 'not the leader');
  assert.is(refused('transferring'), 'leadership is being handed to another member; retry when the transfer completes');
  assert.is(refused('confChangeInFlight'), 'another membership change is in progress; retry when it completes');
  assert.is(refused('leaderNotReady'), 'the leader was just elected and takes membership changes once it has committed an entry of its term; retry shortly');
  const invalid = (problem: 'alreadyMember' | 'notMember' | 'notLearner' | 'lastVoter' | 'invalid', message = 'core words'): string =>
    proposalRefusalMessage({ ok: false, reason: 'invalidConfChange', leader: 0, problem, message }, a);
  assert.is(invalid('alreadyMember'), 'h:7001 is already a member of the cluster (to change whether it votes, remove it and add it again)');
  assert.is(invalid('notMember'), 'h:7001 is not a member of the cluster');
  assert.is(invalid('notLearner'), 'h:7001 is not a non-voting member');
  assert.is(invalid('lastVoter'), 'removing h:7001 would leave the cluster without a voting member');
  assert.is(invalid('invalid', 'member 5 cannot be added twice'), 'member 5 cannot be added twice');
});

test('refused and abandoned leadership transfers', () => {
  assert.is(transferRefusalMessage({ ok: false, reason: 'notVoter' }, 'h:7002'), 'h:7002 is not a voting member of the cluster');
  assert.is(transferRefusalMessage({ ok: false, reason: 'notLeader' }, 'h:7002'), 'not the leader');
  assert.is(transferAbandonedMessage('h:7002', 1000, 'h:7001'), 'h:7002 did not take over within an election timeout (1000 ms); h:7001 still leads');
});

test.run();
