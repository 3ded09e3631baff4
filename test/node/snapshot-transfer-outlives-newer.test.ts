// A lagging follower whose snapshot transfer takes longer than the leader's snapshot interval
// (EverySecond, writes going on) must still catch up: before, the core dropped the transfer in
// progress and started the newest snapshot from offset 0 at every new snapshot, for ever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EverySecond } from '../../src/snapshot/policy.js';
import { SetCommand, TestCluster, interceptReceive, type SeenMessage } from '../support/node-cluster.js';

test('a snapshot transfer longer than the snapshot interval completes: the lagging follower catches up under EverySecond', async () => {
  const c = new TestCluster(3, { snapshotTrailingEntries: 100, walSegmentBytes: 4096, snapshotChunkBytes: 256 });
  let writing = true;
  let writer: Promise<void> = Promise.resolve();
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const lagging = c.addresses.map((a) => c.node(a)).find((n) => n !== leader)!;
    for (const n of c.nodes.values()) n.setSnapshotPolicy(EverySecond);
    let blocked = true;
    let restarts = 0;
    let done = 0;
    interceptReceive(lagging, (from, messages, deliver) => {
      const pass = blocked ? messages.filter((m) => m.type !== 'append' && m.type !== 'snapshot') : messages;
      const chunks = pass.filter((m) => m.type === 'snapshot') as Array<SeenMessage & { offset: number }>;
      restarts += chunks.filter((m) => m.offset === 0).length;
      done += chunks.filter((m) => m.done).length;
      // A slow link: each batch carrying a snapshot chunk arrives a little later (2 ms or more).
      if (chunks.length > 0) setTimeout(() => deliver(from, pass), 2);
      else deliver(from, pass);
    });
    // ~300 KB of state the follower misses, and a snapshot past it.
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 300; i++) await leader.do(new SetCommand(`big${i}`, `${i}${big}`));
    await leader.snapshot();
    await leader.do(new SetCommand('second', 'yes'));
    const at = await leader.snapshot(); // with snapshotsKept 2, the second one compacts the log
    await c.waitFor(() => leader.status().firstIndex > lagging.status().appliedIndex + 1, 5000, 'the leader to compact past the follower');
    // Writes go on (five a second), so EverySecond takes a snapshot about every second.
    writer = (async () => {
      for (let i = 0; writing; i++) {
        await leader.do(new SetCommand('tick', String(i))).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    blocked = false;
    // ~1,200 chunks of 256 bytes at >= 2 ms each: a transfer takes longer than a second.
    try {
      await c.waitFor(() => lagging.context.data.get('big299')?.startsWith('299') === true, 40_000, 'the lagging follower to install a snapshot');
    } catch (err) {
      assert.unreachable(`${(err as Error).message}: the transfer started over ${restarts} times from offset 0 (${done} last chunks delivered), snapshot ${at} first; leader snapshot now ${leader.status().snapshotIndex}`);
    }
  } finally {
    writing = false;
    await writer;
    await c.close();
  }
});

test.run();
