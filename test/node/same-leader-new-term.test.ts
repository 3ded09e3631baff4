// A follower that sees the same leader in a new term (re-elected, perhaps after a restart, without
// the follower seeing "no leader" in between) asks again what it had asked in the old term: a
// restarted leader forgot those requests, and a read asked of it waited out its whole timeout
// (found in review). The new term is driven into the follower's soft state directly: the
// interleaving that produces it (a vote and the new leader's first append in one Ready) is timing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCluster } from '../support/node-cluster.js';

test('a read waiting on the leader is asked again when the same leader shows up in a new term, not left to time out', async () => {
  const c = new TestCluster(3, { requestTimeoutMs: 10_000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.addresses.map((a) => c.node(a)).find((n) => n !== leader)!;
    c.network.cut(follower.address, leader.address); // its ReadIndex request is lost
    const started = performance.now();
    const read = follower.confirmRead('index');
    await new Promise((r) => setTimeout(r, 100));
    c.network.heal();
    const inner = follower as unknown as { leaderId: number; term: number; onSoftState(s: { role: string; leader: number; term: number; removedAt: number }): void };
    inner.onSoftState({ role: 'follower', leader: inner.leaderId, term: inner.term + 1, removedAt: 0 });
    const outcome = await read;
    const ms = performance.now() - started;
    assert.is(outcome, 'confirmed');
    assert.ok(ms < 5000, `asked again at once, not after the 10 s timeout (${ms.toFixed(0)} ms)`);
  } finally {
    await c.close();
  }
});

test.run();
