// A leader that cannot read a chunk of its snapshot for a lagging follower keeps leading: the
// chunk counts as a lost message and is sent again at a later heartbeat round (regression: the
// failed read stopped the leader, as a failed WAL write does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotStore } from '../../src/snapshot/store.js';
import { SetCommand, snapshotPastStoppedFollower, snapshotTransferCluster } from '../support/node-cluster.js';

test('a snapshot chunk the leader cannot read: logged once, the leader keeps serving, and the follower catches up once it reads again', async () => {
  const { c, lines } = snapshotTransferCluster();
  try {
    const { leader, lagging, at } = await snapshotPastStoppedFollower(c);
    assert.ok(leader.status().firstIndex > 10, 'the leader compacted: the lagging node needs the snapshot');

    // The leader's disk fails every read of the snapshot file until `failing` is cleared.
    const store = (leader as unknown as { snapshots: { store: SnapshotStore } }).snapshots.store;
    const realRead = store.readChunk.bind(store);
    let failing = true;
    let failedReads = 0;
    store.readChunk = async (...args) => {
      if (failing) {
        failedReads++;
        throw Object.assign(new Error('EIO: i/o error, read (test)'), { code: 'EIO' });
      }
      return realRead(...args);
    };

    const node = await c.start(lagging);
    await c.waitFor(() => failedReads >= 3, 5000, 'the chunk to be tried again at later heartbeat rounds');
    await leader.do(new SetCommand('during', 'yes')); // still leading, with the other follower
    assert.ok(leader.isLeader(), 'the leader kept leading');
    assert.ok(node.status().appliedIndex < at, 'the lagging node has not caught up: it has no snapshot');
    const errors = lines.filter((l) => l.level === 'error' && l.line.includes('cannot read a chunk of snapshot'));
    assert.is(errors.length, 1, `logged once, not at every retry: ${JSON.stringify(errors)}`);
    assert.match(errors[0]!.line, new RegExp(`snapshot ${at} \\(.+\\) for a lagging follower: EIO: i/o error, read \\(test\\)`));

    failing = false;
    await c.waitFor(() => node.status().appliedIndex >= at && node.context.data.get('during') === 'yes', 8000, 'the lagging node to catch up');
    assert.is(node.context.data.get('s59'), '59');
    assert.ok(node.status().snapshotIndex >= at, 'it installed the snapshot');
    assert.ok(lines.some((l) => l.line.includes(`snapshot ${at} can be read again`)));
    await c.waitConverged();
  } finally {
    await c.close();
  }
});

test.run();
