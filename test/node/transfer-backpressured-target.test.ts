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
import type { Message } from '../../src/core/index.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

/** The parts of the gRPC transport and link the test reaches into, to hold a link as backpressure does. */
interface HeldLink {
  waitingDrain: boolean;
  flush(): void;
}
interface GrpcInternals {
  send(to: string, messages: readonly Message[]): void;
  links: Map<string, HeldLink>;
}

test('a transfer whose timeoutNow waits on a backpressured link succeeds once the link drains', async () => {
  const c = await TestCluster.grpc(3, { heartbeatMs: 20, electionTimeoutMs: 1000, requestTimeoutMs: 5000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    await c.waitFor(() => leader.members().every((m) => m.match === leader.status().lastIndex), 5000, 'every follower to be caught up');
    const target = c.addresses.find((a) => a !== leader.address)!;
    // The link that takes the timeoutNow is backpressured at that moment, for 150 ms (several
    // ticks): it keeps the batch queued meanwhile.
    const transport = (leader as unknown as { transport: GrpcInternals }).transport;
    const send = transport.send.bind(transport);
    let held = 0;
    transport.send = (to, messages) => {
      if (messages.some((m) => m.type === 'timeoutNow') && held++ === 0) {
        const link = transport.links.get(to)!;
        link.waitingDrain = true;
        setTimeout(() => {
          link.waitingDrain = false;
          link.flush();
        }, 150).unref();
      }
      send(to, messages);
    };
    const started = performance.now();
    const outcome = await leader.transferLeadership(target).then(
      () => 'done',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    assert.is(held, 1, 'one timeoutNow was sent, over the held link');
    assert.is(outcome, 'done', `the transfer succeeds (after ${Math.round(performance.now() - started)} ms)`);
    assert.ok(c.node(target).isLeader());
  } finally {
    await c.close();
  }
});

test.run();
