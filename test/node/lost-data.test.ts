// A member whose data directory was wiped, restarted with its founding `members` (the library's
// view of test/server/wiped-voter-rejoin): it founds again on the empty directory, and the leader's
// first heartbeat, naming a commit index past its log's end, gives away that it lost entries it had
// acknowledged (test/core/lost-log). It stops with LostDataError, which names the way back, and that
// way works. Before, it sat at its founding configuration for good: the leader, counting the
// entries as held, took its rejections of later appends for stale ones.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError, StoppedError } from '../../src/index.js';
import { SetCommand, TestCluster, waitUntil } from '../support/node-cluster.js';
import { restartWipedFollower, wipe } from '../support/wiped-member.js';

test("lost data: a member restarted on a wiped data directory with its founding members stops with LostDataError (sync 'always'); removed and joined again, it catches up", async () => {
  const c = new TestCluster(3, { sync: 'always' });
  try {
    const { victim, wiped, error: err } = await restartWipedFollower(c);
    assert.instance(err, LostDataError);
    assert.match(err.message, /counts entries up to index \d+ as acknowledged by this node, whose log ends at index 1/);
    assert.match(err.message, /remove it on a member .*unless that was done already, then start it again with join and an empty data directory/);
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

test('lost data: a member restored from an older copy whose stale tail reaches past the commit index stops (the term at the commit index differs), applying none of the tail', async () => {
  // Found in review: only a log ending before the commit index was caught; this one applied
  // entries of an older term at indexes where the cluster had committed others.
  const c = new TestCluster(3, { sync: 'always' });
  const dirOf = (address: string): string => join(c.root, address.replace(':', '-'));
  try {
    await c.startAll();
    let leader = await c.waitLeader();
    await leader.do(new SetCommand('before', 'all'));
    const victim = leader.address;
    // The victim, leading, is cut off and appends entries that never commit.
    c.network.isolate(victim);
    const stale = Array.from({ length: 10 }, (_, i) => leader.do(new SetCommand(`stale${i}`, 'never committed')).catch(() => undefined));
    // Written to its WAL (stop() drops what was not handed to it yet).
    const stored = (): { lastIndex(): number } => (c.node(victim) as unknown as { storage: { lastIndex(): number } }).storage;
    const staleLast = await waitUntil('the stale tail to be stored', () => {
      const s = c.node(victim).status();
      return s.lastIndex >= s.commitIndex + 10 && stored().lastIndex() === s.lastIndex ? s.lastIndex : undefined;
    }, 5000);
    await c.stop(victim);
    await Promise.all(stale);
    const backup = `${dirOf(victim)}.backup`;
    cpSync(dirOf(victim), backup, { recursive: true }); // the older copy
    // The others elect a leader and commit fewer entries than the stale tail holds.
    leader = await c.waitLeader(5000);
    for (let i = 0; i < 3; i++) await leader.do(new SetCommand(`real${i}`, 'committed'));
    const committed = leader.status().commitIndex;
    assert.ok(committed < staleLast, `commit ${committed} below the stale tail's end ${staleLast}`);
    // The victim comes back, its tail is overwritten and it acknowledges everything committed.
    c.network.heal();
    const back = await c.start(victim);
    await waitUntil('the victim to acknowledge every committed entry', () => leader.members().find((m) => m.address === victim)?.match === committed && back.context.data.get('real2') === 'committed', 5000);
    await c.stop(victim);
    // Its data directory is restored from the older copy.
    rmSync(dirOf(victim), { recursive: true, force: true });
    cpSync(backup, dirOf(victim), { recursive: true });
    rmSync(backup, { recursive: true, force: true });
    const fatal: Error[] = [];
    c.configure = (node, address) => {
      if (address === victim) node.onFatal((err) => fatal.push(err));
    };
    const restored = await c.start(victim);
    await waitUntil('the restored member to stop itself', () => fatal.length > 0, 5000);
    assert.instance(fatal[0], LostDataError);
    assert.match(fatal[0]!.message, new RegExp(`counts entries up to index ${committed} as acknowledged by this node, whose log holds an entry of term \\d+ at that index where the acknowledged one is of term \\d+`));
    assert.not.ok([...restored.context.data.values()].includes('never committed'), 'no stale entry was applied');
  } finally {
    await c.close();
  }
});

test.run();
