// A snapshot that fails its check is bad input, not a reason to stop: a follower drops a snapshot
// whose bytes arrive corrupt and takes the one sent again (regression: the failed check at the
// install stopped the follower, its log already given up); a leader whose snapshot file rotted on
// disk replaces it with a new snapshot (regression: it streamed the rotten bytes without end).
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotKeeper } from '../../src/snapshot/keeper.js';
import type { SnapshotStore } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { SetCommand, interceptReceive, snapshotPastStoppedFollower, snapshotTransferCluster } from '../support/node-cluster.js';

const counted = (text: string, side: string): number => Number(new RegExp(`^tsraft_snapshot_corrupt_total\\{side="${side}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

test('a snapshot whose bytes arrive corrupt: the follower drops it, keeps running, and installs the one the leader sends again', async () => {
  const { c, lines } = snapshotTransferCluster();
  try {
    const { leader, lagging, at } = await snapshotPastStoppedFollower(c);
    // The first transfer's bytes are damaged on the way: one byte flipped in its third chunk.
    const store = (leader as unknown as { snapshots: { store: SnapshotStore } }).snapshots.store;
    const realRead = store.readChunk.bind(store);
    let damaged = 0;
    store.readChunk = async (snap, offset, length) => {
      const bytes = await realRead(snap, offset, length);
      if (offset !== 128 || damaged++ > 0) return bytes;
      const copy = Uint8Array.from(bytes);
      copy[3]! ^= 0xff;
      return copy;
    };

    const node = await c.start(lagging);
    await c.waitFor(() => node.status().appliedIndex >= at, 10_000, 'the lagging node to install the snapshot sent again');
    assert.is(damaged >= 2, true, 'the third chunk was read again');
    assert.not.ok(lines.some((l) => l.line.includes('fatal')), 'the follower kept running');
    assert.is(node.context.data.get('s59'), '59');
    assert.ok(node.status().snapshotIndex >= at);
    const refused = lines.filter((l) => l.level === 'error' && l.line.includes(`snapshot ${at} received from the leader is corrupt`));
    assert.is(refused.length, 1, JSON.stringify(lines.filter((l) => l.level === 'error')));
    assert.match(refused[0]!.line, /data checksum mismatch/);
    assert.is(counted(await node.metrics(), 'received'), 1);
    await leader.do(new SetCommand('after', 'yes'));
    await c.waitConverged();
  } finally {
    await c.close();
  }
});

test('a leader whose latest snapshot file rotted on disk takes a new one to replace it, and the lagging follower installs that', async () => {
  const { c, lines } = snapshotTransferCluster();
  try {
    const { leader, lagging, at } = await snapshotPastStoppedFollower(c);
    const latest = (leader as unknown as { snapshots: { latestStored: StoredSnapshot } }).snapshots.latestStored;
    assert.is(latest.meta.index, at);
    const bytes = readFileSync(latest.path);
    bytes[10]! ^= 0xff; // inside the application's data
    writeFileSync(latest.path, bytes);

    const node = await c.start(lagging);
    await c.waitFor(() => node.status().appliedIndex >= at, 10_000, 'the lagging node to install the replacement');
    assert.is(node.context.data.get('s59'), '59');
    const replaced = lines.filter((l) => l.level === 'error' && l.line.includes('a new snapshot is taken to replace it'));
    assert.is(replaced.length, 1, JSON.stringify(lines.filter((l) => l.level === 'error')));
    assert.match(replaced[0]!.line, new RegExp(`snapshot ${at} \\(.+\\) cannot be sent to a lagging follower: .*data checksum mismatch`));
    assert.is(counted(await leader.metrics(), 'sent'), 1);
    // (The check runs beside the transfer: the follower may have refused rotten first chunks.)
    // Nothing applied since: the replacement is at the same index, and it reads back whole.
    const now = (leader as unknown as { snapshots: { latestStored: StoredSnapshot; store: SnapshotStore } }).snapshots;
    assert.is(now.latestStored.meta.index, at);
    await now.store.verify(now.latestStored);
    assert.ok(leader.isLeader(), 'the leader kept leading');
    await leader.do(new SetCommand('after', 'yes'));
    await c.waitConverged();
  } finally {
    await c.close();
  }
});

test('a follower checks a received snapshot beside its run loop: it answers the leader meanwhile (regression: the check held its run loop)', async () => {
  const { c } = snapshotTransferCluster();
  const check = SnapshotKeeper.prototype.checkReceived;
  try {
    const { leader, lagging, at } = await snapshotPastStoppedFollower(c);
    // The check of the received file takes a second (a large snapshot on a slow disk). Only the
    // lagging node receives a snapshot, so the keeper's method is slowed for every node.
    let checking = false;
    SnapshotKeeper.prototype.checkReceived = async function (this: SnapshotKeeper, meta) {
      checking = true;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const ok = await check.call(this, meta);
      checking = false;
      return ok;
    };
    let answersDuringCheck = 0;
    interceptReceive(leader, (from, messages, deliver) => {
      if (checking && from === lagging) answersDuringCheck += messages.filter((m) => m.type === 'heartbeatResp').length;
      deliver(from, messages);
    });
    const node = await c.start(lagging);
    await c.waitFor(() => node.status().appliedIndex >= at, 10_000, 'the lagging node to install the snapshot');
    assert.ok(answersDuringCheck >= 3, `heartbeats answered during the one-second check: ${answersDuringCheck}`);
    await c.waitConverged();
  } finally {
    await c.close();
    SnapshotKeeper.prototype.checkReceived = check;
  }
});

test("a member whose installed snapshot rotted on disk does not restart, and its log keeps every entry (regression, found in review: the log was reset to an older snapshot, deleting acknowledged entries)", async () => {
  const { c, lines } = snapshotTransferCluster();
  try {
    const { leader, lagging, at } = await snapshotPastStoppedFollower(c);
    let node = await c.start(lagging);
    await c.waitFor(() => node.status().appliedIndex >= at, 10_000, 'the lagging node to install the snapshot');
    for (let i = 0; i < 3; i++) await leader.do(new SetCommand(`after${i}`, String(i)));
    await c.waitFor(() => node.status().appliedIndex === leader.status().appliedIndex, 5000, 'the follower to apply the writes after the snapshot');
    const { firstIndex, lastIndex } = node.status();
    assert.ok(firstIndex > 1, `its log was compacted behind the snapshot (first index ${firstIndex})`);
    const installed = (node as unknown as { snapshots: { latestStored: StoredSnapshot } }).snapshots.latestStored;
    await c.stop(lagging);
    const bytes = readFileSync(installed.path);
    bytes[10]! ^= 0xff; // inside the application's data
    writeFileSync(installed.path, bytes);

    const refused = await c.start(lagging).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.instance(refused, Error);
    assert.match(refused!.message, new RegExp(`the log starts at entry ${firstIndex} but no readable snapshot was found: entries 1 to ${firstIndex - 1} are in neither`));
    assert.ok(lines.some((l) => l.level === 'error' && l.line.includes(`corrupt snapshot ${installed.path}`) && l.line.includes('skipped')), 'the skipped file is logged');
    // The log is as it was: once the operator puts a good snapshot back, the member starts with every entry.
    writeFileSync(installed.path, readFileSync(installed.path).map((b, i) => (i === 10 ? b ^ 0xff : b)));
    node = await c.start(lagging);
    assert.is(node.status().lastIndex, lastIndex, 'no entry was deleted');
    await c.waitFor(() => node.context.data.get('after2') === '2', 5000, 'the member to apply its log');
    await c.waitConverged();
  } finally {
    await c.close();
  }
});

test.run();
