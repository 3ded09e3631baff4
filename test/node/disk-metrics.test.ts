// node.metrics() fed by a running cluster: the disk gauges (read from the WAL's and the snapshot
// keeper's bookkeeping at scrape time) agree with the files in the data directory. Without
// preallocation wal_size_bytes is the segment files' sizes summed; snapshot_bytes is the latest
// snapshot file's size, on the member that took it and on the one that installed it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Node } from '../../src/node.js';
import { parseSnapshotFileName } from '../../src/snapshot/format.js';
import { parseExposition, value } from '../support/prometheus-text.js';
import { SetCommand, TestCluster, snapshotTransferCluster, type Kv } from '../support/node-cluster.js';

interface Disk {
  walBytes: number;
  walSegments: number;
  snapshotBytes: number;
}

async function scrape(node: Node<Kv>): Promise<Disk> {
  const fams = parseExposition(await node.metrics());
  return { walBytes: value(fams, 'tsraft_wal_size_bytes')!, walSegments: value(fams, 'tsraft_wal_segments')!, snapshotBytes: value(fams, 'tsraft_snapshot_bytes')! };
}

/** What the data directory holds: the WAL's segment files and the newest snapshot file. */
async function files(c: TestCluster, address: string): Promise<Disk> {
  const dataDir = join(c.root, address.replace(':', '-'));
  const walDir = join(dataDir, 'wal');
  const segments = (await readdir(walDir)).filter((n) => n.endsWith('.wal'));
  let walBytes = 0;
  for (const s of segments) walBytes += (await stat(join(walDir, s))).size;
  const snapDir = join(dataDir, 'snapshots');
  const snaps = (await readdir(snapDir)).filter((n) => parseSnapshotFileName(n) !== undefined).sort();
  const snapshotBytes = snaps.length === 0 ? 0 : (await stat(join(snapDir, snaps.at(-1)!))).size;
  return { walBytes, walSegments: segments.length, snapshotBytes };
}

/** The gauges equal the files once the member's writes have settled (a follower's lag behind a commit). */
async function agrees(c: TestCluster, address: string, what: string): Promise<Disk> {
  let seen: Disk | undefined;
  let onDisk: Disk | undefined;
  for (let tries = 0; tries < 100; tries++) {
    seen = await scrape(c.node(address));
    onDisk = await files(c, address);
    if (JSON.stringify(seen) === JSON.stringify(onDisk)) return seen;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(seen, onDisk, `${what} (${address}): the gauges against the files`);
  return seen!;
}

test('wal_size_bytes, wal_segments and snapshot_bytes match the data directory: writes grow the WAL, a snapshot compacts it, a follower that installs a snapshot reports its size', async () => {
  const { c } = snapshotTransferCluster({ walPreallocate: false, snapshotChunkBytes: 256, logLevel: 'silent' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const [lagging, steady] = c.addresses.filter((a) => a !== leader.address) as [string, string];
    const start = await agrees(c, leader.address, 'started');
    assert.ok(start.walBytes > 0, 'the founding configuration is in the WAL');
    assert.is(start.snapshotBytes, 0, 'no snapshot yet');

    await c.stop(lagging);
    for (let i = 0; i < 60; i++) await leader.do(new SetCommand(`k${i}`, 'v'.repeat(40)));
    const written = await agrees(c, leader.address, 'after 60 writes');
    assert.ok(written.walBytes > start.walBytes + 60 * 40, `the WAL grew: ${start.walBytes} → ${written.walBytes} bytes`);
    assert.ok(written.walSegments > 1, `segments rolled: ${written.walSegments}`);
    await agrees(c, steady, 'the follower after 60 writes');

    await leader.snapshot();
    const snapped = await agrees(c, leader.address, 'after a snapshot');
    assert.ok(snapped.snapshotBytes > 60 * 40, `snapshot of ${snapped.snapshotBytes} bytes`);
    assert.ok(snapped.walBytes < written.walBytes && snapped.walSegments < written.walSegments, `compacted: ${JSON.stringify(written)} → ${JSON.stringify(snapped)}`);

    const node = await c.start(lagging);
    await c.waitFor(() => node.status().appliedIndex >= leader.status().appliedIndex, 10000, 'the lagging follower to catch up');
    const installed = await agrees(c, lagging, 'the follower that installed the snapshot');
    assert.is(installed.snapshotBytes, snapped.snapshotBytes, 'the installed snapshot is the leader\'s file');

    // A stopped node's registry may still be scraped: its gauges answer for its files, which stay
    // (closing wrote the hard state the WAL held in memory).
    await c.stop(lagging);
    assert.equal(await scrape(node), await files(c, lagging), 'a stopped node');
  } finally {
    await c.close();
  }
});

test.run();
