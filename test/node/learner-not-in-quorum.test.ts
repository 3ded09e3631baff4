// A member added as a voter counts toward the commit quorum only once promoted. A test in
// membership-reads.test.ts wrote with three live voters beside the absent joiner, a quorum of 4 as
// well as of 3, so a leader counting the joiner passed it (a test audit). Here one founding
// follower is down too: the write commits only if the absent member is left out (2 of 3, not 2 of 4).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, retryInFlight } from '../support/node-cluster.js';
import { outcomeWithin } from '../support/outcome.js';

test('a member added as a voter that has not caught up is not counted in the commit quorum: with one founding voter down, writes still commit', async () => {
  const c = new TestCluster(3, { requestTimeoutMs: 1500, logLevel: 'silent' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const absent = await c.newAddress();
    await retryInFlight(() => leader.join({ address: absent }));
    const added = leader.members().find((m) => m.address === absent);
    assert.equal({ nonVoting: added?.nonVoting, promoting: added?.promoting }, { nonVoting: true, promoting: true });
    const follower = c.addresses.find((a) => a !== leader.address)!;
    await c.stop(follower);
    const outcome = await outcomeWithin(leader.do(new SetCommand('still', 'writable')), 3000);
    assert.equal(outcome, { value: undefined }, `two voters of three commit; the absent member must not be counted (${JSON.stringify(outcome)})`);
    assert.is(leader.context.data.get('still'), 'writable');
  } finally {
    await c.close();
  }
});

test.run();
