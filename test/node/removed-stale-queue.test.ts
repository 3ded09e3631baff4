// Messages a leader queued for a member that was down, replicating to it, must not reach the node
// that later comes back at that address once the member was removed: they were addressed to the
// member it was. Found on a CI run of test/server/wiped-voter-rejoin: a wiped voter, stopped by
// LostDataError, then removed, then started again with join on its directory (which held the
// founding entry of its failed start) was stopped by LostDataError once more. The leader had
// removed its progress when it appended the removal, yet the gRPC link's queue still held the
// heartbeats sent to it before, and the first one, naming the commit index the old member had
// acknowledged, reached the new one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError } from '../../src/index.js';
import { SetCommand, TestCluster, waitUntil } from '../support/node-cluster.js';
import { restartWipedFollower } from '../support/wiped-member.js';

test('a member removed while down is not sent the replication messages queued for it before its removal: started again with join on a directory holding only the founding entry, it catches up', async () => {
  const c = await TestCluster.grpc(3, { sync: 'always' });
  try {
    // Wiped and started with its founding members, it founds again (the founding entry alone) and
    // stops at the leader's first heartbeat (test/node/lost-data).
    const { victim, wiped, error } = await restartWipedFollower(c);
    assert.instance(error, LostDataError);
    await wiped.stop();
    c.nodes.delete(victim);
    // While it is down the leader's heartbeats to it queue up (several election timeouts' worth).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const leader = await c.waitLeader();
    await leader.leave(victim);
    await leader.do(new SetCommand('after', 'removal'));
    // Started again with join on that directory: a new member to the cluster, whose log holds the
    // founding entry every founder holds.
    const fatal: Error[] = [];
    c.configure = (node, address) => {
      if (address === victim) node.onFatal((err) => fatal.push(err));
    };
    const rejoined = await c.start(victim, { join: true });
    await rejoined.admitted();
    await waitUntil('the rejoined member to hold every write', () => rejoined.context.data.get('after') === 'removal' && rejoined.context.data.get('k4') === 'v4', 10_000);
    assert.equal(fatal, [], 'it did not stop');
  } finally {
    c.configure = undefined;
    await c.close();
  }
});

test.run();
