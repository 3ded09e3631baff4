// A member removed and added again at its address while its old process still ran (the old
// process took the new member's appends, so the leader counts the old log as acknowledged by
// it), whose old process is then replaced by a new one on an empty data directory started with
// join: the new process is not caught up from the old log's end — it would refuse every append —
// but stops with LostDataError naming the way back, and that way back works (README, Known
// limitations: "A member added again while its old process still runs").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError } from '../../src/index.js';
import { SetCommand, TestCluster, waitUntil } from '../support/node-cluster.js';
import { startWithFiveWrites, wipe } from '../support/wiped-member.js';

test('the old process answering for the re-added member, then replaced on an empty directory: LostDataError with the way back, which works', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    const { leader, follower: victim } = await startWithFiveWrites(c);
    await leader.leave(victim);
    await leader.do(new SetCommand('removed', 'yes'));
    await leader.join({ address: victim }); // the old process still runs at that address
    await leader.do(new SetCommand('readded', 'yes'));
    const old = c.nodes.get(victim)!;
    await waitUntil('the old process to take the re-added member’s appends', () => old.context.data.get('readded') === 'yes', 5000);

    await c.stop(victim);
    wipe(c, victim);
    const fatal: Error[] = [];
    c.configure = (node, address) => {
      if (address === victim) node.onFatal((err) => fatal.push(err));
    };
    await c.start(victim, { join: true });
    await waitUntil('the new process to stop itself', () => fatal.length > 0, 10_000);
    assert.instance(fatal[0], LostDataError);
    assert.match(fatal[0]!.message, 'its data directory holds no log: it was a member whose data was lost or moved');
    assert.match(fatal[0]!.message, `remove it on a member (raft-node: DELETE /members/${victim}; the library: leave())`);

    // The way back: remove it, then start it with join on an empty directory.
    await c.stop(victim);
    await leader.leave(victim);
    wipe(c, victim);
    const back = await c.start(victim, { join: true });
    await leader.do(new SetCommand('back', 'yes'));
    await waitUntil('the member, added again, to hold every write', () => back.context.data.get('back') === 'yes' && back.context.data.get('k0') === 'v0', 10_000);
    assert.is(fatal.length, 1, 'stopped once only');
  } finally {
    c.configure = undefined;
    await c.close();
  }
});

test.run();
