/**
 * A message whose frame takes longer than the frozen-peer check's wait to cross a slow link (a
 * 12 MiB append at 2 MB/s: ~6 s). The link pings every pingIntervalMs, and a ping written behind
 * that frame is answered only once the frame is through; the check took the wait for a frozen
 * peer and cut the stream mid-frame, again at every resend, so a big entry never reached a
 * follower behind a slow link (found in review: a follower behind an 8 MB/s link stuck for good
 * with 16-59 MiB entries).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, type Message } from '../../src/core/messages.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { freePort, makeNode, stopCreated } from './grpc-helpers.js';
import { numbered, sleep, waitFor } from './fixtures.js';

let proxy: TcpProxy | undefined;
test.after.each(async () => {
  await stopCreated();
  await proxy?.close();
  proxy = undefined;
});

test('a frame that takes longer than the frozen-peer wait to cross a slow but live link is delivered, and the stream is not cut', async () => {
  const receiverPort = await freePort();
  const receiver = makeNode({ address: `127.0.0.1:${receiverPort}` });
  await receiver.t.start();
  proxy = new TcpProxy(await freePort(), receiverPort, { bytesPerSecond: 2 * 1024 * 1024 });
  await proxy.listen();
  const behind = `127.0.0.1:${proxy.port}`;
  const sender = makeNode({ pingIntervalMs: 100 });
  await sender.t.start();
  sender.t.setPeers([behind]);
  let n = 0;
  const heartbeats = setInterval(() => sender.t.send(behind, [numbered(++n)]), 50);
  try {
    await waitFor('connected', () => sender.t.stats().peers[behind]!.connected, 5000);
    const big: Message = {
      type: 'append',
      from: 1,
      to: 2,
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      commit: 0,
      entries: [{ index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array(12 * 1024 * 1024).fill(7) }],
    };
    const started = Date.now();
    sender.t.send(behind, [big]);
    await waitFor(
      'the 12 MiB append to arrive',
      () => receiver.received().some((m) => m.type === 'append'),
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; sender log: ${sender.logger.lines.slice(-5).join(' | ')}; link ${JSON.stringify(sender.t.stats().peers[behind])}`);
    });
    const tookMs = Date.now() - started;
    assert.ok(tookMs > 2000, `the link was slow (${tookMs} ms for 12 MiB)`);
    assert.equal(sender.logger.matching('seems frozen'), [], 'the stream was not cut as frozen while the frame crossed');
    assert.is(sender.t.stats().peers[behind]!.reconnects, 0, 'no reconnect');
    // Heartbeats queued behind the frame arrive too, and the link is live afterwards.
    const heard = receiver.received().length;
    await sleep(500);
    assert.ok(receiver.received().length > heard, 'messages flow after the big frame');
  } finally {
    clearInterval(heartbeats);
  }
});

test.run();
