// The replication a node takes back (from a member that left the configuration, from a leadership
// that ended, a transfer's order to campaign) is taken back wherever it waits. Messages to a peer
// whose snapshot chunk is being read from disk wait in the outbox's lane, not yet in the
// transport's queue: the node took back only the transport's, so the lane's chunk and the
// heartbeats gathered behind it were handed over once the read returned, to a member removed
// meanwhile (gap noted after dropReplicationOfEndedLeadership; found by reading PeerOutbox).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotStore } from '../../src/snapshot/store.js';
import { interceptReceive, snapshotPastStoppedFollower, snapshotTransferCluster } from '../support/node-cluster.js';

test('a member removed while its snapshot chunk is read gets neither that chunk nor the heartbeats queued behind it', async () => {
  const { c } = snapshotTransferCluster();
  try {
    const { leader, lagging } = await snapshotPastStoppedFollower(c);
    const store = (leader as unknown as { snapshots: { store: SnapshotStore } }).snapshots.store;
    const realRead = store.readChunk.bind(store);
    let release!: () => void;
    const slowDisk = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    store.readChunk = async (...args) => {
      reads++;
      await slowDisk;
      return realRead(...args);
    };
    const node = await c.start(lagging);
    await c.waitFor(() => reads >= 1, 5000, 'the leader to read a chunk for the lagging follower');
    await new Promise((resolve) => setTimeout(resolve, 300)); // heartbeat rounds gather behind the read
    await leader.leave(lagging);

    const replication: string[] = [];
    interceptReceive(node, (from, messages, deliver) => {
      for (const m of messages) if (from === leader.address && ['append', 'heartbeat', 'snapshot'].includes(m.type)) replication.push(m.type);
      deliver(from, messages);
    });
    release();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(replication, [], 'replication reached the removed member');
    assert.ok(leader.isLeader(), 'the leader kept leading');
    const dropped = /^tsraft_snapshot_chunk_read_dropped_messages_total (\d+)$/m.exec(await leader.metrics());
    assert.ok(dropped && Number(dropped[1]) > 0, `the taken-back messages are counted: ${dropped?.[0]}`);
  } finally {
    await c.close();
  }
});

test.run();
