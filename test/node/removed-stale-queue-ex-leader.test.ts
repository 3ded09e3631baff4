// The sequel of removed-stale-queue: the replication messages queued for a member that is down are
// dropped when the node holding them learns that the member left the configuration. A leader cut
// off from the others never learns it: it steps down (CheckQuorum) with the heartbeats it sent the
// down member still in its gRPC link's queue, and when a node comes back at that address (the
// member, removed meanwhile by the new leader, started again with join on its directory) the link
// redials it and the first of them, naming the commit index the member's earlier incarnation had
// acknowledged, stops the new one with LostDataError, as before the fix. Messages of a leadership
// that ended are of no use to anyone: the step-down could drop them as the removal does (audit of
// incarnation mix-ups after removed-stale-queue). The deposed leader's link redials at a random
// moment within its backoff (up to 2.4 s), so in a real run the new node is stopped only when its
// queue flushes before the new leader's first append has raised the node's term; the test fixes
// that order by holding the other members' messages to the new node until the deposed leader's
// first batch has reached it (at most 4 s).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError } from '../../src/index.js';
import { SetCommand, TestCluster, interceptReceive, waitUntil } from '../support/node-cluster.js';
import { restartWipedFollower } from '../support/wiped-member.js';

test('a member removed while down, started again with join, is not stopped by the heartbeats a deposed leader cut off from the others kept queued for it', async () => {
  const c = await TestCluster.grpc(5, { sync: 'always' });
  try {
    // Wiped and started with its founding members, it founds again (the founding entry alone) and
    // stops at the leader's first heartbeat (test/node/lost-data).
    const { victim, wiped, error } = await restartWipedFollower(c);
    assert.instance(error, LostDataError);
    await wiped.stop();
    c.nodes.delete(victim);
    const old = await c.waitLeader();
    // While it is down the leader's heartbeats to it queue up.
    await new Promise((resolve) => setTimeout(resolve, 500));

    // The leader is cut off from the other members (not from the victim's address).
    const others = [...c.nodes.values()].filter((n) => n !== old);
    interceptReceive(old, (from, messages, deliver) => {
      if (from === victim) deliver(from, messages);
    });
    for (const n of others) {
      interceptReceive(n, (from, messages, deliver) => {
        if (from !== old.address) deliver(from, messages);
      });
    }
    const leader = await waitUntil('another member to lead', () => others.find((n) => n.isLeader()), 10_000);
    await waitUntil('the cut-off leader to step down', () => !old.isLeader(), 5000);
    await leader.leave(victim);
    await leader.do(new SetCommand('after', 'removal'));

    // Started again with join on that directory: a new member to the cluster.
    const fatal: Error[] = [];
    c.configure = (node, address) => {
      if (address !== victim) return;
      node.onFatal((err) => fatal.push(err));
      const held: Array<[string, Parameters<typeof deliverLater>[1]]> = [];
      let release = false;
      const deliverLater = interceptReceive(node, (from, messages, deliver) => {
        if (release) return deliver(from, messages);
        if (from !== old.address) return void held.push([from, messages]);
        deliver(from, messages);
        release = true;
        for (const [f, m] of held.splice(0)) deliver(f, m);
      });
      setTimeout(() => {
        release = true;
        for (const [f, m] of held.splice(0)) deliverLater(f, m);
      }, 4000).unref();
    };
    const rejoined = await c.start(victim, { join: true });
    await waitUntil('the rejoined member to hold every write, or to stop', () => fatal.length > 0 || (rejoined.context.data.get('after') === 'removal' && rejoined.context.data.get('k4') === 'v4'), 12_000);
    assert.equal(fatal.map((e) => `${e.name}: ${e.message.slice(0, 160)}`), [], 'it did not stop');
  } finally {
    c.configure = undefined;
    await c.close();
  }
});

test.run();
