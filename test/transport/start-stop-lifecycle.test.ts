// From a mutation review of the gRPC transport (grpc.ts, grpc-link.ts, grpc-inbound.ts, grpc-service.ts).
/**
 * GrpcTransport's start/stop/setPeers lifecycle rules (grpc.ts), pinned by a mutation review:
 * - a stopped transport cannot be started again, and setPeers() after stop() dials nobody;
 * - concurrent start() calls share one bind, and a start() that failed to bind may be retried;
 * - peers set before start() are dialed once it resolved, with the bound (not the port-0) address;
 * - after stop(), stats() show no peer connected and nothing queued.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import { numbered, sleep, waitFor } from './fixtures.js';
import { canBind, freePort, makeNode, startMesh, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

async function eventuallyFree(port: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    if (await canBind(port)) return true;
    await sleep(50);
  }
  return false;
}

test('start() after stop() rejects and binds nothing', async () => {
  const port = await freePort();
  const a = makeNode({ address: `127.0.0.1:${port}` });
  await a.t.start();
  await a.t.stop();
  assert.ok(await eventuallyFree(port), 'stop() released the port');
  const outcome = await a.t.start().then(
    () => 'resolved',
    (err: Error) => err.message,
  );
  assert.match(outcome, /was stopped; create a new one/);
  assert.ok(await canBind(port), 'the refused start() did not listen again');
});

test('setPeers() after stop() is ignored: no link, no dial', async () => {
  const b = makeNode();
  await b.t.start();
  const a = makeNode();
  await a.t.start();
  await a.t.stop();
  a.t.setPeers([b.t.address]);
  a.t.send(b.t.address, [numbered(1)]);
  await sleep(200);
  assert.equal(Object.keys(a.t.stats().peers), [], 'a stopped transport keeps no peers');
  assert.is(b.t.stats().peers[a.t.address], undefined, 'the stopped transport never said hello to b');
});

test('concurrent start() calls share one bind, and stop() then frees that port', async () => {
  const port = await freePort();
  const a = makeNode({ address: `127.0.0.1:${port}` });
  const outcomes = await Promise.all(
    [a.t.start(), a.t.start()].map((p) =>
      p.then(
        () => 'resolved',
        (err: Error) => err.message,
      ),
    ),
  );
  assert.equal(outcomes, ['resolved', 'resolved']);
  await a.t.stop();
  assert.ok(await eventuallyFree(port), 'no second listener left behind');
});

test('a start() that could not bind may be retried once the port is free', async () => {
  const port = await freePort();
  const squatter: Server = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  const a = makeNode({ address: `127.0.0.1:${port}` });
  try {
    const first = await a.t.start().then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    assert.match(first, /cannot listen on/);
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
  await a.t.start(); // must bind now, not repeat the first failure
  const b = makeNode();
  await b.t.start();
  b.t.setPeers([a.t.address]);
  b.t.send(a.t.address, [numbered(7)]);
  await waitFor('the retried transport receives', () => a.received().length === 1);
});

test('peers set before start() are dialed once start() resolved, and the hello carries the bound address', async () => {
  const b = makeNode();
  await b.t.start();
  const a = makeNode(); // port 0: the real port is known only after start()
  a.t.setPeers([b.t.address]);
  a.t.send(b.t.address, [numbered(1)]);
  await sleep(100);
  await a.t.start();
  await waitFor('queued message delivered', () => b.received().length === 1);
  assert.is.not(a.t.address, '127.0.0.1:0');
  assert.equal(b.received(a.t.address).length, 1, `tagged with a's bound address (inbox: ${JSON.stringify(b.inbox.map((x) => x.from))})`);
  assert.is(b.t.stats().rejectedStreams, 0, `no hello with port 0 was ever sent: ${b.logger.lines.join(' | ')}`);
});

test('after stop(), stats() show no peer connected and nothing queued', async () => {
  const [a, b] = [makeNode(), makeNode()];
  await startMesh([a, b]);
  await waitFor('connected', () => a.t.stats().peers[b.t.address]?.connected === true);
  a.t.sendSoon(b.t.address, [numbered(1), numbered(2)], 60_000); // still queued at stop()
  assert.is(a.t.stats().peers[b.t.address]!.queuedMessages, 2);
  await a.t.stop();
  const peer = a.t.stats().peers[b.t.address]!;
  assert.not.ok(peer.connected, 'a stopped transport is connected to nobody');
  assert.is(peer.queuedMessages, 0, 'its queues were discarded');
  assert.is(peer.queuedBytes, 0);
});

test.run();
