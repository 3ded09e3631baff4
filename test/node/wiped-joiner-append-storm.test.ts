// A member whose data directory was wiped, started again with join before anyone removed it: the
// leader still holds the progress of its earlier incarnation (match = what that one acknowledged)
// and takes the new incarnation's rejections for answers about that log. The node stops itself
// after three election timeouts (stoppedForLostData), but until then every write makes the leader
// probe it: the rejection of a probe at the match index cannot move the probe below match + 1
// (ReplicationProgress.maybeDecrTo), so the leader sends the same append again at once, and the
// two exchange appends and rejections as fast as the link carries them (~15,000 appends in 0.6 s
// here, for 27 writes). The same loop, without end, follows a late acknowledgement of a removed
// member's earlier incarnation (test/core/readded-member-stale-ack). Audit of incarnation mix-ups.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError } from '../../src/index.js';
import { SetCommand, TestCluster, interceptReceive } from '../support/node-cluster.js';
import { stopAndWipeFollower } from '../support/wiped-member.js';

test('a wiped member started with join before its removal is not sent the same append again and again while it waits to stop', async () => {
  const c = new TestCluster(3, { sync: 'always', logLevel: 'silent' });
  try {
    const victim = await stopAndWipeFollower(c);
    const leader = await c.waitLeader();

    let appends = 0;
    const fatal: Error[] = [];
    c.configure = (node, address) => {
      if (address !== victim) return;
      node.onFatal((err) => fatal.push(err));
      interceptReceive(node, (from, messages, deliver) => {
        appends += messages.filter((m) => m.type === 'append').length;
        deliver(from, messages);
      });
    };
    const started = Date.now();
    await c.start(victim, { join: true });
    // Writes go on while it waits (three election timeouts, 0.6 s) to learn whether the log comes.
    let writes = 0;
    while (fatal.length === 0 && Date.now() - started < 5000) {
      await leader.do(new SetCommand('w', String(writes++)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.instance(fatal[0], LostDataError, 'it stops, as before');
    // About one append per write and one probe per heartbeat (20 ms): a few dozen.
    assert.ok(appends < 500, `the leader sent it ${appends} appends in ${Date.now() - started} ms, for ${writes} writes`);
  } finally {
    c.configure = undefined;
    await c.close();
  }
});

test.run();
