// A snapshot chunk read that never returns (a failing disk) no longer holds stop() for good. The
// leader's lane to the lagging follower waits for the read; stop() waited for every lane to drain,
// so it never resolved, and with it the WAL stayed open and the data directory locked. Now it
// waits requestTimeoutMs at most, logs why, and stops; nothing read late is sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotStore } from '../../src/snapshot/store.js';
import { snapshotPastStoppedFollower, snapshotTransferCluster } from '../support/node-cluster.js';
import { outcomeWithin } from '../support/outcome.js';

test('stop() ends while a snapshot chunk read for a lagging follower hangs, and says so', async () => {
  const { c, lines } = snapshotTransferCluster();
  try {
    const { leader, lagging } = await snapshotPastStoppedFollower(c);
    const store = (leader as unknown as { snapshots: { store: SnapshotStore } }).snapshots.store;
    let reads = 0;
    store.readChunk = () => {
      reads++;
      return new Promise<Buffer>(() => {}); // the disk never answers
    };
    await c.start(lagging);
    await c.waitFor(() => reads >= 1, 5000, 'the leader to read a chunk for the lagging follower');
    const stopped = await outcomeWithin(leader.stop(), 30_000);
    assert.not.ok(stopped.pending, 'stop() resolves');
    assert.is(stopped.error, undefined);
    assert.ok(
      lines.some((l) => l.level === 'warn' && l.line.includes('snapshot chunk read for a lagging follower has not returned')),
      'the wait is logged',
    );
  } finally {
    await c.close();
  }
});

test.run();
