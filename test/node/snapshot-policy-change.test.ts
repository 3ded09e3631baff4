// Changing the snapshot policy of a running node must not forget the changes applied since the
// last snapshot: setPolicy builds a fresh scheduler (0 changes, clock restarted), so a node whose
// writes stopped keeps its whole log for good under the new, stricter policy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EverySecond } from '../../src/snapshot/policy.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('setSnapshotPolicy(EverySecond) on a running node snapshots the changes applied before the call', async () => {
  const c = new TestCluster(1);
  try {
    await c.startAll();
    const node = await c.waitLeader();
    for (let i = 0; i < 20; i++) await node.do(new SetCommand(`k${i}`, `${i}`));
    assert.is(node.status().snapshotIndex, 0, 'DefaultSync (900 s / 1 change) took none yet');
    node.setSnapshotPolicy(EverySecond);
    const applied = node.status().appliedIndex;
    try {
      await c.waitFor(() => node.status().snapshotIndex >= applied, 6000, 'a snapshot of the 20 changes');
    } catch {
      assert.unreachable(`no snapshot 6 s after switching to EverySecond with ${applied} entries applied and none snapshotted (snapshotIndex ${node.status().snapshotIndex})`);
    }
  } finally {
    await c.close();
  }
});

test('setSyncTypes([{ seconds: 1, changes: 10 }]) on a running node counts the 20 changes applied before the call', async () => {
  const c = new TestCluster(1);
  try {
    await c.startAll();
    const node = await c.waitLeader();
    for (let i = 0; i < 20; i++) await node.do(new SetCommand(`k${i}`, `${i}`));
    node.setSyncTypes([{ seconds: 1, changes: 10 }]);
    const applied = node.status().appliedIndex;
    try {
      await c.waitFor(() => node.status().snapshotIndex >= applied, 6000, 'a snapshot of the 20 changes');
    } catch {
      assert.unreachable(`no snapshot 6 s after setSyncTypes with ${applied} entries applied since start (snapshotIndex ${node.status().snapshotIndex})`);
    }
  } finally {
    await c.close();
  }
});

test.run();
