// A follower checks a received snapshot beside its run loop; a newer snapshot's first chunk
// arriving meanwhile (the leader took one: it switches at the next heartbeat answer) drops the
// receive being checked without waiting for that check (regression, found in review: the run
// loop awaited the old receiver's abort, queued behind the check, and answered nothing until the
// check ended; stop() waited the same way).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotReceiver } from '../../src/snapshot/receiver.js';
import { SetCommand, interceptReceive, snapshotPastStoppedFollower, snapshotTransferCluster } from '../support/node-cluster.js';

test('a newer snapshot from the leader while the follower checks a large one: the follower goes on answering the leader (regression: 0 answered until the check ended)', async () => {
  const { c } = snapshotTransferCluster();
  // The check's slow part (reading a large file back) is modelled in closeFile, which the check
  // calls once it has begun.
  const proto = SnapshotReceiver.prototype as unknown as { closeFile(): Promise<void>; state: string };
  const closeFile = proto.closeFile;
  try {
    const { leader, lagging, at } = await snapshotPastStoppedFollower(c);
    // The first check reads a large file on a slow disk: 1.5 s, in the receiver's queue.
    let checks = 0;
    let checking = false;
    proto.closeFile = async function (this: { state: string }) {
      if (this.state !== 'checking' || checks++ > 0) return closeFile.call(this);
      checking = true;
      try {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return await closeFile.call(this);
      } finally {
        checking = false;
      }
    };
    let newer = false;
    let answers = 0;
    interceptReceive(leader, (from, messages, deliver) => {
      if (checking && newer && from === lagging) answers += messages.filter((m) => m.type === 'heartbeatResp').length;
      deliver(from, messages);
    });
    const node = await c.start(lagging);
    await c.waitFor(() => checking, 10_000, 'the first check to begin');
    for (let i = 0; i < 20; i++) await leader.do(new SetCommand(`n${i}`, `${i}`));
    const next = await leader.snapshot();
    assert.ok(next > at);
    newer = true;
    await c.waitFor(() => !checking, 5000, 'the first check to end');
    assert.ok(answers >= 3, `heartbeats answered after the leader's newer snapshot, during the rest of the check: ${answers}`);
    await c.waitFor(() => node.status().appliedIndex >= next, 10_000, 'the lagging node to install the newer snapshot');
    await c.waitConverged();
  } finally {
    proto.closeFile = closeFile;
    await c.close();
  }
});

test.run();
