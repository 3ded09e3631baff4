// stop() while a follower checks the snapshot it received (SnapshotKeeper.checkInBackground):
// stop() does not wait for the check, and the keeper's close() left the aborted receiver in
// place (found in review), so when the check ended after stop() the stopped node logged the snapshot as corrupt
// ("received from the leader is corrupt ... the leader sends it again"), counted it in
// tsraft_snapshot_corrupt_total{side="received"} and deleted the file, after stop() resolved.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotReceiver } from '../../src/snapshot/receiver.js';
import { TestCluster, followerBehindSnapshot } from '../support/node-cluster.js';

test('a snapshot check cut short by stop() is not reported as a corrupt snapshot after stop()', async () => {
  const lines: string[] = [];
  const c = new TestCluster(3, { logLevel: 'info', logger: (level, line) => lines.push(`${level} ${line}`), snapshotTrailingEntries: 0, snapshotsKept: 1, walSegmentBytes: 1024 });
  const check = SnapshotReceiver.prototype.check;
  let checking = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  SnapshotReceiver.prototype.check = async function (this: SnapshotReceiver) {
    checking = true;
    await gate; // a large file's fsync and read
    return check.call(this);
  };
  try {
    const { lagging, unblock } = await followerBehindSnapshot(c);
    unblock();
    await c.waitFor(() => checking, 5000, 'the follower to check the received snapshot');
    await c.stop(lagging.address);
    const stoppedAt = lines.length;
    release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = lines.slice(stoppedAt).filter((l) => l.includes('corrupt'));
    const metrics = await lagging.metrics();
    const counted = /tsraft_snapshot_corrupt_total\{side="received"\} ([1-9])/.exec(metrics);
    assert.equal(after, [], 'the stopped node reported a corrupt snapshot after stop()');
    assert.not.ok(counted, 'the stopped node counted a corrupt snapshot after stop()');
  } finally {
    SnapshotReceiver.prototype.check = check;
    release();
    await c.close();
  }
});

test.run();
