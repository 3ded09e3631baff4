// A member whose data directory was wiped, restarted with its founding `members` (the library's
// view of test/server/wiped-voter-rejoin): it founds again on the empty directory, and the leader's
// first heartbeat, naming a commit index past its log's end, gives away that it lost entries it had
// acknowledged (test/core/lost-log). It stops with LostDataError, which names the way back, and that
// way works. Before, it sat at its founding configuration for good: the leader, counting the
// entries as held, took its rejections of later appends for stale ones.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError, StoppedError, type Node } from '../../src/index.js';
import { SetCommand, TestCluster, waitUntil, type Kv } from '../support/node-cluster.js';

function wipe(c: TestCluster, address: string): void {
  rmSync(join(c.root, address.replace(':', '-')), { recursive: true, force: true });
}

/**
 * Starts the cluster, applies five writes everywhere, then stops a follower, wipes its data
 * directory and starts it again as it was (its founding members); resolves once it stopped itself,
 * with the error it gave onFatal.
 */
async function restartWipedFollower(c: TestCluster): Promise<{ victim: string; wiped: Node<Kv>; error: Error }> {
  await c.startAll();
  const leader = await c.waitLeader();
  for (let i = 0; i < 5; i++) await leader.do(new SetCommand(`k${i}`, `v${i}`));
  await c.waitConverged();
  const victim = c.addresses.find((a) => a !== leader.address)!;
  await c.stop(victim);
  wipe(c, victim);
  const fatal: Error[] = [];
  c.configure = (node, address) => {
    if (address === victim) node.onFatal((err) => fatal.push(err));
  };
  const wiped = await c.start(victim);
  await waitUntil('the wiped member to stop itself', () => fatal.length > 0, 5000);
  c.configure = undefined;
  return { victim, wiped, error: fatal[0]! };
}

test("lost data: a member restarted on a wiped data directory with its founding members stops with LostDataError (sync 'always'); removed and joined again, it catches up", async () => {
  const c = new TestCluster(3, { sync: 'always' });
  try {
    const { victim, wiped, error: err } = await restartWipedFollower(c);
    assert.instance(err, LostDataError);
    assert.match(err.message, /counts entries up to index \d+ as acknowledged by this node, whose log ends at index 1/);
    assert.match(err.message, /remove it on a member first .*then start it again with join and an empty data directory/);
    await wiped.stop();
    assert.not.ok(wiped.isLeader());
    const refused = await wiped.do(new SetCommand('x', 'y')).then(() => undefined, (e: unknown) => e);
    assert.instance(refused, StoppedError, 'a stopped member takes no commands');
    c.nodes.delete(victim);
    // The others serve meanwhile.
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('after', 'wipe'));
    // The way back: remove it, then join with an empty directory.
    await leader.leave(victim);
    wipe(c, victim);
    const rejoined = await c.start(victim, { join: true });
    await rejoined.admitted();
    await waitUntil('the rejoined member to hold every write', () => rejoined.context.data.get('after') === 'wipe' && rejoined.context.data.get('k4') === 'v4', 10_000);
  } finally {
    await c.close();
  }
});

test("lost data: with sync 'none' too (a machine's crash loses acknowledged writes) the member stops: before, it never caught up, the leader taking its rejections for stale ones", async () => {
  const c = new TestCluster(3, { sync: 'none' });
  try {
    const { error } = await restartWipedFollower(c);
    assert.instance(error, LostDataError);
    assert.match(error.message, /writes sync 'none' had not made durable were lost in a crash/);
  } finally {
    await c.close();
  }
});

test.run();
