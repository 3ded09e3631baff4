/**
 * How long a link waits before it gives up on a peer that went silent (a stalled proxy: the
 * sockets stay open, nothing crosses): five ping intervals and at least 2 s without a pong or a
 * drain. The README said "no pong for about 2 s"; the Node's transport pings every second (the
 * default), so it is 4–6 s after the freeze (the first unanswered ping goes out up to an interval
 * after it, or was sent just before it). frozen-peer.test.ts checks that a freeze is noticed at
 * all; this pins the wait.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { TcpProxy } from '../support/tcp-proxy.js';
import { freePort, makeNode, stopCreated } from './grpc-helpers.js';
import { sleep, waitFor } from './fixtures.js';

let proxy: TcpProxy | undefined;
test.after.each(async () => {
  await stopCreated();
  await proxy?.close();
  proxy = undefined;
});

/** Connects a sender (pinging every `pingIntervalMs`, its default if undefined) through a proxy, stalls the proxy, and returns the ms until the link stops saying connected. */
async function msUntilGivenUp(pingIntervalMs: number | undefined): Promise<{ ms: number; log: string[] }> {
  const receiverPort = await freePort();
  const receiver = makeNode({ address: `127.0.0.1:${receiverPort}` });
  await receiver.t.start();
  proxy = new TcpProxy(await freePort(), receiverPort);
  await proxy.listen();
  const behind = `127.0.0.1:${proxy.port}`;
  const sender = makeNode({ pingIntervalMs });
  await sender.t.start();
  sender.t.setPeers([behind]);
  await waitFor('connected with a round trip', () => sender.t.stats().peers[behind]!.connected && sender.t.stats().peers[behind]!.rttMs !== undefined, 5000);
  await sleep(300);
  proxy.stall();
  const stalledAt = performance.now();
  await waitFor('the link to give the silent peer up', () => !sender.t.stats().peers[behind]!.connected, 15_000);
  return { ms: performance.now() - stalledAt, log: sender.logger.lines };
}

test('with the default ping interval (1 s) a silent peer is given up after five intervals: 4–6 s, not about 2 s', async () => {
  const { ms, log } = await msUntilGivenUp(undefined);
  // 4 s at the earliest (a ping sent just before the stall, its pong held); 6 s at the latest, plus slack for a loaded machine.
  assert.ok(ms >= 3900, `given up ${Math.round(ms)} ms after the stall, before five 1 s ping intervals. Log: ${log.join(' | ')}`);
  assert.ok(ms <= 8000, `given up only ${Math.round(ms)} ms after the stall`);
  assert.ok(log.some((l) => l.includes('seems frozen') && l.includes('5 ping intervals')), `the log names the reason: ${log.join(' | ')}`);
});

test('with short ping intervals the wait is at least 2 s', async () => {
  const { ms, log } = await msUntilGivenUp(100);
  assert.ok(ms >= 1900, `given up ${Math.round(ms)} ms after the stall, before 2 s. Log: ${log.join(' | ')}`);
  assert.ok(ms <= 4000, `given up only ${Math.round(ms)} ms after the stall`);
});

test.run();
