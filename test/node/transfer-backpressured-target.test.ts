// The Node takes back the timeoutNow of a transfer that ended unfinished
// (dropTimeoutNowOfEndedTransfer, test/node/transfer-abandoned-stays-abandoned), and only of one
// that ended: the order to campaign of a transfer still under way must stay queued. On a gRPC
// link whose stream is backpressured at that moment (its write buffer full) or reconnecting, it
// waits in the link's queue; taken back at the next tick, the target never campaigned and the
// transfer failed after an election timeout, although the link drained well before it. With the
// check that the target changed removed, transfer-abandoned-stays-abandoned and every other test
// still passed (from a mutation review).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCluster } from '../support/node-cluster.js';
import { caughtUpLeader, holdTimeoutNowLinks } from '../support/held-link.js';

test('a transfer whose timeoutNow waits on a backpressured link succeeds once the link drains', async () => {
  const c = await TestCluster.grpc(3, { heartbeatMs: 20, electionTimeoutMs: 1000, requestTimeoutMs: 5000 });
  try {
    const leader = await caughtUpLeader(c);
    const target = c.addresses.find((a) => a !== leader.address)!;
    // The link that takes the timeoutNow is backpressured at that moment, for 150 ms (several
    // ticks): it keeps the batch queued meanwhile.
    const held = holdTimeoutNowLinks(leader, 150, 1);
    const started = performance.now();
    const outcome = await leader.transferLeadership(target).then(
      () => 'done',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    assert.is(held.length, 1, 'one timeoutNow was sent, over the held link');
    assert.is(outcome, 'done', `the transfer succeeds (after ${Math.round(performance.now() - started)} ms)`);
    assert.ok(c.node(target).isLeader());
  } finally {
    await c.close();
  }
});

test.run();
