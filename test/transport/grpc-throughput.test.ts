/**
 * Throughput sanity check (reported, never asserted): 100k small messages from one transport to
 * another over loopback gRPC, sent in batches the way the Node layer sends a Ready's messages.
 * The sender paces itself on its own queue gauge so nothing is dropped and the figure measures
 * the stream, not the drop policy.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { EntryType, type Message } from '../../src/core/messages.js';
import { makeNode, startMesh, stopCreated, type TestNode } from './grpc-helpers.js';
import { waitFor } from './fixtures.js';

test.after.each(stopCreated);

const TOTAL = 100_000;
const PER_SEND = 100;

/** Send TOTAL messages from `a` to `to`; resolves with the seconds until `delivered()` grew by TOTAL. */
async function pump(a: TestNode, to: string, delivered: () => number, make: (i: number) => Message): Promise<number> {
  const before = delivered();
  const started = performance.now();
  for (let i = 0; i < TOTAL; i += PER_SEND) {
    a.t.send(to, Array.from({ length: PER_SEND }, (_, k) => make(i + k)));
    // Yield every 20 sends (2000 messages) so flushes coalesce, and back off while the
    // queue is deep: the producer, not the drop policy, absorbs the backpressure.
    if ((i / PER_SEND) % 20 === 19) {
      await new Promise((resolve) => setImmediate(resolve));
      while ((a.t.stats().peers[to]?.queuedMessages ?? 0) > 2000) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  await waitFor('all messages received', () => delivered() - before === TOTAL, 15_000);
  return (performance.now() - started) / 1000;
}

test(`throughput: ${TOTAL} small messages, ${PER_SEND} per send()`, async () => {
  const a = makeNode({ pingIntervalMs: 0 });
  const b = makeNode({ pingIntervalMs: 0 });
  await startMesh([a, b]);
  let delivered = 0;
  b.t.onMessages((_from, messages) => {
    delivered += messages.length;
  });
  const count = (): number => delivered;

  const heartbeats = await pump(a, b.t.address, count, (i) => ({ type: 'heartbeat', from: 1, to: 2, term: 3, commit: i, round: i }));
  const data = new Uint8Array(100).fill(7);
  const appends = await pump(a, b.t.address, count, (i) => ({
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevIndex: i,
    prevTerm: 3,
    commit: i,
    entries: [{ index: i + 1, term: 3, type: EntryType.Normal, data }],
  }));
  const peer = a.t.stats().peers[b.t.address]!;
  console.log(
    `    heartbeats: ${Math.round(TOTAL / heartbeats).toLocaleString('en')} messages/s` +
      `    appends (1 x 100-byte entry): ${Math.round(TOTAL / appends).toLocaleString('en')} messages/s` +
      `    (${peer.batchesSent} stream writes, ${(peer.bytesSent / peer.sent).toFixed(1)} bytes/message on the wire)`,
  );
  assert.is(peer.dropped, 0);
  assert.is(peer.sent, 2 * TOTAL);
});

test.run();
