// A follower's forwarded commands not yet answered by the leader hold at most 4 MiB (one larger
// command goes alone): the rest wait their turn, within their deadline, and all apply. Before,
// every forward went straight into the transport queue, whose byte bound does not count them:
// 4,096 forwarded 1 MiB values could wait there for a slow leader, 4 GiB for one peer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteBudget } from '../../src/byte-budget.js';
import { SetCommand, TestCluster, interceptReceive, type SeenMessage } from '../support/node-cluster.js';

const MiB = 1024 * 1024;

test('ByteBudget: grants in turn within the limit, one larger request alone, and a waiter that times out leaves the queue', async () => {
  const b = new ByteBudget(10);
  assert.ok(b.tryTake(6));
  assert.not.ok(b.tryTake(6), 'over the limit');
  const big = b.take(30, 1000); // larger than the limit: waits until nothing is in use
  const small = b.take(1, 1000); // behind it: first come, first served
  const late = b.take(4, 20); // times out
  assert.is(await late, false);
  b.release(6);
  assert.is(await big, true);
  assert.is(b.inUse, 30);
  b.release(30);
  assert.is(await small, true);
  assert.is(b.inUse, 1);
});

test('a follower forwarding 40 commands of 512 KiB to a slow leader has at most 4 MiB of them unanswered; all apply', async () => {
  const c = new TestCluster(3, { requestTimeoutMs: 20_000, maxBytesPerMessage: 8 * MiB });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.addresses.map((a) => c.node(a)).find((n) => n !== leader)!;
    // The leader takes each batch from the follower 20 ms late: a slow link.
    let unanswered = 0;
    let most = 0;
    interceptReceive(leader, (from, messages, deliver) => {
      const forwards = messages.filter((m) => (m as { type: string }).type === 'forward').length;
      unanswered += forwards;
      most = Math.max(most, unanswered);
      if (forwards > 0) setTimeout(() => deliver(from, messages), 20);
      else deliver(from, messages);
    });
    interceptReceive(follower, (from, messages: SeenMessage[], deliver) => {
      unanswered -= messages.filter((m) => (m as { type: string }).type === 'forwardResp').length;
      deliver(from, messages);
    });
    const value = 'v'.repeat(512 * 1024);
    const writes = Array.from({ length: 40 }, (_, i) => follower.do(new SetCommand(`k${i}`, `${i}${value}`)));
    await Promise.all(writes);
    assert.ok(most <= 8 + 1, `at most 4 MiB of 512 KiB commands in flight at once (${most} seen)`);
    assert.ok(most >= 2, `several went at once (${most})`);
    await c.waitFor(() => [...c.nodes.values()].every((n) => n.context.data.size >= 40), 10_000, 'every write to apply everywhere');
  } finally {
    await c.close();
  }
});

test.run();
