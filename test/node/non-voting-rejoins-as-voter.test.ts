// README audit (Options, `nonVoting`): "to make a non-voting member a voter, `leave()` it and
// `join()` it again as a voter: the running node catches up and is promoted".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, retryInFlight } from '../support/node-cluster.js';

test('a running non-voting member removed with leave() and added again with join() as a voter catches up, is promoted and serves', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const address = await c.newAddress();
    const founders = c.addresses.join(';');
    c.addresses.push(address);
    const learner = await c.start(address, { join: true, nonVoting: true, members: founders });
    await learner.admitted();
    await leader.do(new SetCommand('a', '1'));
    await c.waitFor(() => learner.context.data.get('a') === '1', 5000, 'the learner to catch up');
    assert.equal(leader.members().find((m) => m.address === address)?.nonVoting, true);

    await retryInFlight(() => leader.leave(address));
    await c.waitFor(() => learner.isRemoved(), 5000, 'the learner to learn it was removed');
    await leader.do(new SetCommand('b', '2')); // written while it is out
    await retryInFlight(() => leader.join({ address }));
    await c.waitFor(() => leader.members().find((m) => m.address === address && !m.nonVoting && !m.promoting), 5000, 'its promotion');
    await c.waitFor(() => learner.context.data.get('b') === '2', 5000, 'the running node to catch up');
    assert.not.ok(learner.isRemoved());
    // The leader shows the promotion once it appended it; the running node once that entry reached it
    // ('b' came before it in the log, so catching up to 'b' does not mean the promotion arrived).
    await c.waitFor(() => learner.members().find((m) => m.address === address && !m.nonVoting && !m.promoting), 5000, 'the running node to see its promotion');
    assert.equal(learner.members().find((m) => m.address === address), { address, nonVoting: false });
    assert.is(await learner.do(new SetCommand('c', '3')), undefined, 'it serves writes');
    assert.is(leader.members().filter((m) => !m.nonVoting).length, 4, 'four voters');
  } finally {
    await c.close();
  }
});

test.run();
