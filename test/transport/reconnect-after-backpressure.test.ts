// From a mutation review of the gRPC transport (grpc.ts, grpc-link.ts, grpc-inbound.ts, grpc-service.ts).
/**
 * A link whose stream broke while it was backed up (waiting for 'drain', maxInflightBytes
 * written and unacknowledged) starts the next stream with a clean slate: the old stream's
 * backpressure state must not carry over (grpc-link.ts, connect()). Pinned by a mutation review:
 * without the reset the link reconnected, said "connected", and never wrote again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import type { Message } from '../../src/core/messages.js';
import { ACCEPTED_HEADER, PEER_SERVICE } from '../../src/transport/grpc-service.js';
import { appendOf, sleep, waitFor } from './fixtures.js';
import { freePort, makeNode, stopCreated } from './grpc-helpers.js';

let stubborn: grpc.Server | undefined;
test.after.each(async () => {
  stubborn?.forceShutdown();
  stubborn = undefined;
  await stopCreated();
});

/** A peer on `port` that accepts the handshake and then never reads. */
async function startStubborn(port: number): Promise<grpc.Server> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(PEER_SERVICE, {
    stream: (c: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      c.on('error', () => {});
      c.once('data', () => {
        const md = new grpc.Metadata();
        md.set(ACCEPTED_HEADER, '1');
        c.sendMetadata(md);
        c.pause();
      });
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return server;
}

const KB = new Uint8Array(1024).fill(1);
const append = (i: number): Message => appendOf(i, KB);

test('a stream that broke with maxInflightBytes unacknowledged is followed by one that writes again', async () => {
  await breakWhileBackedUpThenReconnect(128 * 1024); // writes stop at the in-flight bound
});

test("a stream that broke while waiting for 'drain' is followed by one that writes again", async () => {
  await breakWhileBackedUpThenReconnect(64 * 1024 * 1024); // writes stop at write() returning false
});

async function breakWhileBackedUpThenReconnect(maxInflightBytes: number): Promise<void> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  stubborn = await startStubborn(port);
  const a = makeNode({ maxInflightBytes, maxBatchBytes: 32 * 1024, pingIntervalMs: 0, queue: { maxMessages: 100_000, maxBytes: 4 * 1024 * 1024 } });
  await a.t.start();
  a.t.setPeers([address]);
  await waitFor('connected to the stubborn peer', () => a.t.stats().peers[address]!.connected);
  let n = 0;
  for (let round = 0; round < 40; round++) {
    a.t.send(address, Array.from({ length: 50 }, () => append(n++)));
    await sleep(1);
  }
  await sleep(100);
  const stalled = a.t.stats().peers[address]!;
  assert.ok(stalled.queuedMessages > 0, 'the link is backed up');

  stubborn.forceShutdown();
  stubborn = undefined;
  await waitFor('the break is noticed', () => !a.t.stats().peers[address]!.connected);
  const b = makeNode({ address });
  await b.t.start();
  await waitFor('reconnected', () => a.t.stats().peers[address]!.connected);
  await waitFor(
    'the queue drains into the new stream',
    () => a.t.stats().peers[address]!.queuedMessages === 0 && b.received().length > 0,
    5000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(a.t.stats().peers[address])}`);
  });
}

test.run();
