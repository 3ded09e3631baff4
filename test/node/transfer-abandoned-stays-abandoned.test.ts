// A leadership transfer the leader gave up stays given up. The leader tells a caught-up target to
// campaign at once (timeoutNow); when the target is down, that message waits in the gRPC link's
// queue, and reached the target when it came back, however long after: it campaigned as a
// transfer (which voters grant over a live leader) and took leadership from a leader whose caller
// had been told the transfer failed (an operator's run: POST /leader/transfer answered 409, and
// leadership moved later anyway).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LeadershipTransferError } from '../../src/index.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('a transfer the leader gave up (the target was down) does not move leadership when the target comes back', async () => {
  const c = await TestCluster.grpc(3, { electionTimeoutMs: 300, requestTimeoutMs: 5000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    await c.waitConverged();
    const target = c.addresses.find((a) => a !== leader.address)!;
    await c.stop(target);
    const err = await leader.transferLeadership(target).catch((e: unknown) => e);
    assert.instance(err, LeadershipTransferError);
    assert.ok(leader.isLeader());
    const term = leader.status().term;
    // The target comes back, with its data: it is caught up at once.
    const back = await c.start(target);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      assert.ok(leader.isLeader(), `leadership moved (term ${term} -> ${leader.status().term}) after the transfer was reported failed`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.is(leader.status().term, term, 'no election since');
    assert.is(back.leader, leader.address);
  } finally {
    await c.close();
  }
});

test.run();
