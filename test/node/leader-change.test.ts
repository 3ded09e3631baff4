// From a mutation review of src/node.ts (onSoftState, notifyLeaderChange): leaderChange callbacks fire
// once per change of the known leader — "no leader" included — and not again while it stays the
// same; one callback that throws is logged and neither stops the node nor keeps the other
// callbacks from being called.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LeaderChange } from '../../src/node.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('followers are told "no leader" when the leader goes away, then the new leader; nothing more while it stays', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const old = await c.waitLeader();
    const followers = c.addresses.filter((a) => a !== old.address).map((a) => c.node(a));
    const seen = new Map<string, LeaderChange[]>(followers.map((f) => [f.address, []]));
    for (const f of followers) f.leaderChange((change) => seen.get(f.address)!.push(change));
    await c.stop(old.address);
    const next = await c.waitLeader();
    // Writes and heartbeats under the same leader: no further calls.
    for (let i = 0; i < 5; i++) await next.do(new SetCommand('k', `${i}`));
    await new Promise((r) => setTimeout(r, 200));
    for (const f of followers) {
      const changes = seen.get(f.address)!;
      const text = JSON.stringify(changes);
      assert.ok(changes.some((ch) => ch.leader === undefined && !ch.isLeader), `${f.address} was never told "no leader": ${text}`);
      const last = changes.at(-1)!;
      assert.equal({ leader: last.leader, isLeader: last.isLeader }, { leader: next.address, isLeader: f === next }, `${f.address}'s last change: ${text}`);
      assert.is(last.term, next.status().term, 'the new leader\'s term');
      // Each call reports a change: never the same leader twice in a row.
      for (let i = 1; i < changes.length; i++) assert.ok(changes[i]!.leader !== changes[i - 1]!.leader, `${f.address} was told the same leader twice in a row: ${text}`);
    }
  } finally {
    await c.close();
  }
});

test('a leaderChange callback that throws neither stops the node nor keeps the next callbacks from being called', async () => {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const old = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== old.address)!);
    let fatal: Error | undefined;
    follower.onFatal((err) => (fatal = err));
    follower.leaderChange(() => {
      throw new Error('callback bug');
    });
    const seen: LeaderChange[] = [];
    follower.leaderChange((change) => seen.push(change));
    await c.stop(old.address);
    const next = await c.waitLeader();
    assert.is(fatal, undefined, `the node stopped: ${fatal?.message}`);
    assert.ok(seen.length > 0 && seen.at(-1)!.leader === next.address, `the second callback saw ${JSON.stringify(seen)}`);
    await next.do(new SetCommand('after', 'yes'));
    await c.waitFor(() => follower.context.data.get('after') === 'yes', 3000, 'the follower to go on applying');
  } finally {
    await c.close();
  }
});

test.run();
