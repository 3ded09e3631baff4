// From a mutation review of src/node.ts (retryReadForLeader): a linearizable read refused for want of a
// leader waits for one (leaderWaitMs), but how it ends says why — 'refused' when no leader was found
// within the request's time (raft-node: 503), 'timedOut' only when a leader was being asked — and a
// node that knows it was removed stops waiting at once: no leader will ever confirm its reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCluster, retryInFlight } from '../support/node-cluster.js';
import { outcomeWithin } from '../support/outcome.js';

test("a read on a node that finds no leader within requestTimeoutMs (leaderWaitMs longer) ends 'refused', not 'timedOut'", async () => {
  // One member of three: no quorum, never a leader. A read is asked again (is "being asked") only
  // after a tick or a leader change; with the first tick 10 s away, neither comes before both
  // reads' deadlines, so the answer cannot depend on where a deadline falls between ticks.
  const c = new TestCluster(3, { logLevel: 'silent', heartbeatMs: 10_000, electionTimeoutMs: 100_000, requestTimeoutMs: 700, leaderWaitMs: 20_000 });
  try {
    const lone = await c.start(c.addresses[0]!);
    for (const consistency of ['index', 'lease'] as const) {
      const outcome = await outcomeWithin(lone.confirmRead(consistency), 3000);
      assert.equal(outcome, { value: 'refused' }, `${consistency} read with no leader at all`);
    }
  } finally {
    await c.close();
  }
});

test('a read on a node that knows it was removed is refused at once, not after leaderWaitMs', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 20_000, leaderWaitMs: 15_000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const gone = c.node(c.addresses.find((a) => a !== leader.address)!);
    await retryInFlight(() => leader.leave(gone.address));
    await c.waitFor(() => gone.isRemoved(), 5000, 'the removed member to know it');
    for (const consistency of ['index', 'lease'] as const) {
      const outcome = await outcomeWithin(gone.confirmRead(consistency), 3000);
      assert.equal(outcome, { value: 'refused' }, `${consistency} read on a removed member (pending means it waits out leaderWaitMs)`);
    }
  } finally {
    await c.close();
  }
});

test.run();
