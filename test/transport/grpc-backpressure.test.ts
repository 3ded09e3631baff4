import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { EntryType, type Message } from '../../src/core/messages.js';
import { ACCEPTED_HEADER, PEER_SERVICE } from '../../src/transport/grpc-service.js';
import { parseFrame } from '../../src/transport/frame.js';
import { decodeBatch } from '../../src/transport/wire.js';
import { sleep, waitFor } from './fixtures.js';
import { makeNode, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

/** A peer that accepts the handshake and then reads only while `reading` is true. */
async function stubbornPeer(): Promise<{ address: string; received: () => number; resume: () => void; stop: () => void }> {
  let received = 0;
  let call: grpc.ServerDuplexStream<Buffer, Buffer> | undefined;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(PEER_SERVICE, {
    stream: (c: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call = c;
      c.on('error', () => {});
      let first = true;
      c.on('data', (frame: Buffer) => {
        const parsed = parseFrame(frame);
        if (first) {
          first = false;
          const md = new grpc.Metadata();
          md.set(ACCEPTED_HEADER, '1');
          c.sendMetadata(md);
          c.pause(); // stop reading: HTTP/2 flow control now pushes back on the sender
          return;
        }
        if (parsed.kind === 'batch') received += decodeBatch(parsed.payload).length;
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    received: () => received,
    resume: () => call?.resume(),
    stop: () => server.forceShutdown(),
  };
}

const KB = new Uint8Array(1024).fill(1);
function append(i: number): Message {
  return { type: 'append', from: 1, to: 2, term: 1, prevIndex: i, prevTerm: 1, commit: i, entries: [{ index: i + 1, term: 1, type: EntryType.Normal, data: KB }] };
}

test('a peer that stops reading makes the sender stop writing and queue (bounded), then drain when it reads again', async () => {
  const peer = await stubbornPeer();
  try {
    await stallAndDrain(peer);
  } finally {
    peer.stop(); // a failed check must not leave the server holding the test process open
  }
});

async function stallAndDrain(peer: Awaited<ReturnType<typeof stubbornPeer>>): Promise<void> {
  const maxInflightBytes = 256 * 1024;
  const maxBatchBytes = 64 * 1024;
  const a = makeNode({ maxInflightBytes, maxBatchBytes, queue: { maxMessages: 100_000, maxBytes: 2 * 1024 * 1024 }, pingIntervalMs: 0 });
  await a.t.start();
  a.t.setPeers([peer.address]);
  await waitFor('connected', () => a.t.stats().peers[peer.address]!.connected);

  let sent = 0;
  for (let round = 0; round < 100; round++) {
    a.t.send(peer.address, Array.from({ length: 100 }, () => append(sent++))); // ~100 KiB per round
    await sleep(1);
  }
  await sleep(100);
  const stalled = a.t.stats().peers[peer.address]!;
  const plateau = stalled.bytesSent;
  console.log(
    `    peer not reading: ${(plateau / 1024).toFixed(0)} KiB written to the stream, ${(stalled.queuedBytes / 1024).toFixed(0)} KiB queued, ${stalled.dropped} dropped of ${sent}`,
  );
  // HTTP/2 takes up to its flow-control windows; beyond that we stop at maxInflightBytes.
  assert.ok(plateau < 2 * 1024 * 1024, `writes stopped (${plateau} bytes written of ~${sent} KiB sent)`);
  // The bound counts the messages behind the oldest (next to go out), so a big one is not dropped for them.
  assert.ok(stalled.queuedBytes <= 2 * 1024 * 1024 + 2 * 1024, `the queue respects its byte bound, plus its oldest message (${stalled.queuedBytes} bytes)`);
  assert.ok(stalled.dropped > 0, 'the overflow was dropped and counted');
  await sleep(100);
  assert.is(a.t.stats().peers[peer.address]!.bytesSent, plateau, 'no more writes while the peer does not read');

  peer.resume();
  await waitFor('the queue drains once the peer reads', () => a.t.stats().peers[peer.address]!.queuedMessages === 0);
  const final = a.t.stats().peers[peer.address]!;
  await waitFor('everything written was received', () => peer.received() === final.sent);
  assert.is(final.sent + final.dropped, sent);
}

test.run();
