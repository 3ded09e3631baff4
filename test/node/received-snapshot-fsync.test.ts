// Mutation review of the snapshot receive path (src/snapshot/receiver.ts, check): a follower must
// fsync the snapshot file it received before the snapshot replaces its log. Installing it
// compacts the WAL behind it; after a power cut, a file that was only in the page cache would be
// gone (or torn) with the entries it replaced already dropped. No crash test can see a missing
// fsync (kill -9 keeps the page cache), so this checks the call itself: FileHandle.sync is
// watched, each call named by its file (/proc/self/fd, Linux).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Never } from '../../src/snapshot/index.js';
import { TestCluster, followerBehindSnapshot, followerCatchesUp } from '../support/node-cluster.js';

test('a follower fsyncs the snapshot file it received before installing it', async () => {
  if (process.platform !== 'linux') return; // names descriptors through /proc
  // The FileHandle class is not exported: its prototype comes from an open handle.
  const probe = await open(fileURLToPath(import.meta.url), 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: (this: { fd: number }) => Promise<void> };
  await probe.close();
  const originalSync = proto.sync;
  const synced: string[] = [];
  proto.sync = function (this: { fd: number }) {
    try {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
    } catch {
      // a closed descriptor: the call fails as it would have
    }
    return originalSync.call(this);
  };
  const c = new TestCluster(3, { snapshotTrailingEntries: 2, snapshotsKept: 1, walSegmentBytes: 1024, snapshotChunkBytes: 64 });
  // No snapshot of the follower's own: every temp file synced under its directory is the received one.
  c.configure = (node) => node.setSnapshotPolicy(Never);
  try {
    const { leader, lagging, leaderSnapshot, unblock } = await followerBehindSnapshot(c);
    const laggingDir = join(c.root, lagging.address.replace(':', '-'));
    synced.length = 0;
    unblock();
    await followerCatchesUp(c, leader, lagging);
    assert.ok(lagging.status().snapshotIndex >= leaderSnapshot, `the follower installed the leader's snapshot ${leaderSnapshot} (it holds ${lagging.status().snapshotIndex})`);
    const received = synced.filter((p) => p.startsWith(laggingDir) && /\.tmp$/.test(p));
    assert.ok(received.length > 0, `no fsync of a received snapshot file under ${laggingDir}; synced: ${JSON.stringify(synced.filter((p) => p.startsWith(laggingDir)))}`);
  } finally {
    proto.sync = originalSync;
    await c.close();
  }
});

test.run();
