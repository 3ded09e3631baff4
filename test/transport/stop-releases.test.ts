// From a mutation review of the gRPC transport (grpc.ts, grpc-link.ts, grpc-inbound.ts, grpc-service.ts).
/**
 * What stop() and setPeers() must release, pinned by a mutation review (stop-cleanup.test.ts
 * stops every node at once and waits past the grace period, which hid these):
 * - a removed peer's and a stopped transport's outgoing connection is closed even while the
 *   peer stays up (stream cancelled AND channel closed);
 * - stop() ends inbound streams itself, with an OK status, rather than leaving them to the
 *   forced shutdown after shutdownGraceMs (the dialer sees "closed by the peer");
 * - stop() leaves no timer running: not a pending sendSoon() flush, not the shutdown-grace timer;
 * - every ping interval a link starts is cleared, on a lost stream and on stop() (they are
 *   unref'd, so a handle count does not show them: they are counted through setInterval).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { numbered, sleep, waitFor } from './fixtures.js';
import { makeNode, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

const count = (kind: string): number => process.getActiveResourcesInfo().filter((r) => r === kind).length;

test('a removed peer, and a stopped transport, close their outgoing connection while the peer stays up', async () => {
  const b = makeNode();
  await b.t.start(); // b dials nobody: every client socket below belongs to a's link
  const baseline = count('TCPSocketWrap');
  const a = makeNode();
  await a.t.start();
  a.t.setPeers([b.t.address]);
  await waitFor('connected', () => a.t.stats().peers[b.t.address]?.connected === true);
  assert.ok(count('TCPSocketWrap') > baseline);
  a.t.setPeers([]);
  await waitFor(`sockets of the removed link closed (${process.getActiveResourcesInfo().join(', ')})`, () => count('TCPSocketWrap') === baseline, 3000);

  a.t.setPeers([b.t.address]);
  await waitFor('connected again', () => a.t.stats().peers[b.t.address]?.connected === true);
  await a.t.stop();
  await waitFor(`sockets of the stopped transport closed (${process.getActiveResourcesInfo().join(', ')})`, () => count('TCPSocketWrap') === baseline, 3000);
});

test('stop() ends inbound streams with an OK status: the dialer sees "closed by the peer"', async () => {
  const a = makeNode();
  const b = makeNode({ shutdownGraceMs: 2000 });
  await a.t.start();
  await b.t.start();
  a.t.setPeers([b.t.address]);
  await waitFor('connected', () => a.t.stats().peers[b.t.address]?.connected === true);
  await b.t.stop();
  await waitFor('a notices', () => a.logger.matching(`lost stream to ${b.t.address}`).length > 0);
  assert.match(a.logger.matching(`lost stream to ${b.t.address}`)[0]!, /\(closed by the peer\)/);
});

test('stop() leaves no timer running: neither a pending sendSoon() flush nor the shutdown-grace timer', async () => {
  const before = count('Timeout');
  const a = makeNode({ shutdownGraceMs: 60_000 });
  const b = makeNode({ shutdownGraceMs: 60_000 });
  await a.t.start();
  await b.t.start();
  a.t.setPeers([b.t.address]);
  await waitFor('connected', () => a.t.stats().peers[b.t.address]?.connected === true);
  a.t.sendSoon(b.t.address, [numbered(1)], 60_000);
  await a.t.stop();
  await b.t.stop();
  await sleep(100);
  assert.ok(count('Timeout') <= before, `timers left behind: ${process.getActiveResourcesInfo().join(', ')}`);
});

test('every ping interval a link starts is cleared again: on a lost stream and on stop()', async () => {
  const PING_MS = 37; // only the links' ping intervals use this period
  const realSet = globalThis.setInterval;
  const realClear = globalThis.clearInterval;
  const live = new Set<unknown>();
  let started = 0;
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    const handle = realSet(fn, ms);
    if (ms === PING_MS) {
      live.add(handle);
      started++;
    }
    return handle;
  }) as typeof setInterval;
  globalThis.clearInterval = ((handle: Parameters<typeof clearInterval>[0]) => {
    live.delete(handle);
    realClear(handle);
  }) as typeof clearInterval;
  try {
    const b = makeNode();
    await b.t.start();
    const bAddress = b.t.address;
    const a = makeNode({ pingIntervalMs: PING_MS });
    await a.t.start();
    a.t.setPeers([bAddress]);
    await waitFor('connected', () => a.t.stats().peers[bAddress]?.connected === true);
    await b.t.stop();
    await waitFor('a notices the loss', () => a.t.stats().peers[bAddress]?.connected === false);
    assert.is(live.size, 0, 'the lost stream stopped pinging');
    const b2 = makeNode({ address: bAddress });
    await b2.t.start();
    await waitFor('reconnected', () => a.t.stats().peers[bAddress]?.connected === true);
    assert.is(started, 2);
    await a.t.stop();
    assert.is(live.size, 0, 'stop() cleared the ping interval');
  } finally {
    globalThis.setInterval = realSet;
    globalThis.clearInterval = realClear;
  }
});

test.run();
