// The fallback snapshot may be one received from the leader (the log was reset after it): the
// member's own later snapshot rots and it restarts from the received one. With snapshotsKept 3
// only the snapshot right before the latest is a fallback (the log reaches back to it alone).
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { SetCommand, TestCluster, interceptReceive, type Kv } from '../support/node-cluster.js';

const latestStored = (node: Node<Kv>): StoredSnapshot => (node as unknown as { snapshots: { latestStored: StoredSnapshot } }).snapshots.latestStored;
function rot(path: string): void {
  const bytes = readFileSync(path);
  bytes[10]! ^= 0xff;
  writeFileSync(path, bytes);
}
const hasAll = (node: Node<Kv>, prefix: string, count: number): boolean =>
  Array.from({ length: count }, (_, i) => node.context.data.get(`${prefix}${i}`) === String(i)).every(Boolean);

test('received snapshot as the fallback: the member took its own after it; its own rots; it restarts from the received one (log reset right after it) with every entry', async () => {
  const c = new TestCluster(3, { snapshotTrailingEntries: 0, walSegmentBytes: 1024, logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const lagging = c.node(c.addresses.find((a) => a !== leader.address)!);
    await leader.do(new SetCommand('k', 'v0'));
    await c.waitFor(() => lagging.context.data.get('k') === 'v0', 5000, 'k=v0');
    let blocked = true;
    interceptReceive(lagging, (from, messages, deliver) => deliver(from, blocked ? messages.filter((m) => m.type !== 'append' && m.type !== 'snapshot') : messages));
    for (let i = 1; i <= 10; i++) await leader.do(new SetCommand('k', `v${i}`));
    for (let i = 0; i < 40; i++) await leader.do(new SetCommand(`z${i}`, String(i)));
    await leader.snapshot();
    for (let i = 0; i < 40; i++) await leader.do(new SetCommand(`y${i}`, String(i)));
    const leaderSnapshot = await leader.snapshot();
    assert.ok(leader.status().firstIndex > lagging.status().lastIndex + 1, 'the follower needs the snapshot');
    blocked = false;
    await c.waitFor(() => lagging.status().snapshotIndex >= leaderSnapshot, 10_000, 'the follower installs the leader snapshot');
    const received = lagging.status().snapshotIndex;
    assert.is(lagging.status().firstIndex, received + 1, 'log reset after it');
    for (let i = 0; i < 40; i++) await leader.do(new SetCommand(`a${i}`, String(i)));
    await c.waitFor(() => hasAll(lagging, 'a', 40), 5000, 'a* on the follower');
    const own = await lagging.snapshot();
    assert.ok(own > received);
    assert.is(lagging.status().firstIndex, received + 1, 'nothing compacted past the received snapshot');
    const { lastIndex } = lagging.status();
    const path = latestStored(lagging).path;
    await c.stop(lagging.address);
    rot(path);
    const restarted = await c.start(lagging.address);
    assert.is(restarted.status().snapshotIndex, received, 'fell back to the received snapshot');
    assert.is(restarted.status().firstIndex, received + 1, 'the log was not reset');
    assert.ok(restarted.status().lastIndex >= lastIndex, 'no entry deleted');
    await c.waitFor(() => hasAll(restarted, 'a', 40) && restarted.context.data.get('k') === 'v10', 5000, 'every key');

    // A second own snapshot: the received one is pruned, the log reaches back to the first own one.
    for (let i = 0; i < 40; i++) await leader.do(new SetCommand(`b${i}`, String(i)));
    await c.waitFor(() => hasAll(restarted, 'b', 40), 5000, 'b*');
    const own2 = await restarted.snapshot();
    const { firstIndex } = restarted.status();
    console.log(`  received ${received}, own ${own}, own2 ${own2}; first index now ${firstIndex}`);
    assert.ok(firstIndex <= own + 1 || own === own2);
  } finally {
    await c.close();
  }
});

test('snapshotsKept 3 (current behaviour): only the snapshot right before the latest is a fallback; the latest two rotting still stops the member (the third file is no help)', async () => {
  const c = new TestCluster(3, { snapshotTrailingEntries: 0, walSegmentBytes: 1024, logLevel: 'error', snapshotsKept: 3 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const address = c.addresses.find((a) => a !== leader.address)!;
    const node = c.node(address);
    const snaps: StoredSnapshot[] = [];
    for (const p of ['a', 'b', 'c']) {
      for (let i = 0; i < 40; i++) await leader.do(new SetCommand(`${p}${i}`, String(i)));
      await c.waitFor(() => hasAll(node, p, 40), 5000, `${p}*`);
      await node.snapshot();
      snaps.push(latestStored(node));
    }
    const { firstIndex } = node.status();
    console.log(`  snapshots ${snaps.map((s) => s.meta.index).join(', ')}; first index ${firstIndex}`);
    await c.stop(address);
    rot(snaps[2]!.path);
    rot(snaps[1]!.path);
    const r = await c.start(address).then(
      () => undefined,
      (err: Error) => err.message,
    );
    console.log(`  two rotten of three kept: ${r ?? 'started'}`);
    // Current behaviour (a design/doc point, not a safety bug): the third file does not help.
    assert.match(r ?? '', 'the latest readable snapshot ends at entry');
  } finally {
    await c.close();
  }
});

test.run();
