/**
 * The per-peer queue bound in bytes must hold for every message the Node sends, including
 * its own forwarded proposals (src/peer-messages.ts), whose command bytes travel in `data`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import type { ForwardRequest } from '../../src/peer-messages.js';
import { PeerQueue } from '../../src/transport/queue.js';
import { sleep } from './fixtures.js';
import { freePort, makeNode, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

const KB64 = new Uint8Array(64 * 1024).fill(7);
const forward = (i: number): Message =>
  ({ type: 'forward', from: 2, to: 1, term: 3, requestId: i, op: 'propose', data: KB64, address: '' }) satisfies ForwardRequest as unknown as Message;

test('a dead peer holds at most maxBytes of forwarded proposals, and queuedBytes tells the truth', async () => {
  const maxBytes = 1024 * 1024;
  const a = makeNode({ queue: { maxMessages: 4096, maxBytes } });
  await a.t.start();
  const dead = `127.0.0.1:${await freePort()}`; // nothing listens there: the leader is gone
  a.t.setPeers([dead]);
  // 200 forwarded 64 KiB proposals (12.5 MiB): e.g. requests that timed out and released their
  // forward budget while the stream to the leader was down, then were retried.
  for (let i = 0; i < 200; i++) a.t.send(dead, [forward(i)]);
  await sleep(20);
  const peer = a.t.stats().peers[dead]!;
  const heldPayload = peer.queuedMessages * KB64.byteLength;
  assert.ok(
    heldPayload <= maxBytes + KB64.byteLength,
    `the queue holds ${peer.queuedMessages} forwards = ${(heldPayload / 2 ** 20).toFixed(1)} MiB of commands for a dead peer, bound is ${maxBytes / 2 ** 20} MiB (queuedBytes reports ${peer.queuedBytes})`,
  );
  assert.ok(peer.queuedBytes >= heldPayload, `queuedBytes ${peer.queuedBytes} under-reports the ${heldPayload} payload bytes held`);
});

test('PeerQueue byte bound counts the command bytes of forward messages', () => {
  const q = new PeerQueue({ maxMessages: 10_000, maxBytes: 256 * 1024 });
  for (let i = 0; i < 100; i++) q.push(forward(i));
  assert.ok(q.length <= 5, `${q.length} forwards of 64 KiB kept under a 256 KiB bound (estimated ${q.bytes} bytes)`);
});

test.run();
