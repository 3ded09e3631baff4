import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Message } from '../../src/core/messages.js';
import { ALL_EXAMPLES, numbered, sleep, waitFor } from './fixtures.js';
import { freePort, makeNode, startMesh, stopAll, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

const commitsOf = (ms: Message[]): number[] => ms.map((m) => (m.type === 'heartbeat' ? m.commit : -1));

test('three transports exchange batches of every message type over loopback', async () => {
  const nodes = [makeNode(), makeNode(), makeNode()];
  await startMesh(nodes);
  for (const from of nodes) for (const to of nodes) if (from !== to) from.t.send(to.t.address, ALL_EXAMPLES);
  for (const n of nodes) await waitFor('all batches', () => n.received().length === 2 * ALL_EXAMPLES.length);
  for (const to of nodes) {
    for (const from of nodes) {
      if (from === to) continue;
      assert.equal(to.received(from.t.address), ALL_EXAMPLES, 'messages arrive intact, tagged with the sender address');
    }
  }
  const [a, b] = nodes;
  await waitFor('a round trip measured', () => a!.t.stats().peers[b!.t.address]!.rttMs !== undefined);
  const stats = a!.t.stats().peers[b!.t.address]!;
  assert.ok(stats.connected);
  assert.is(stats.sent, ALL_EXAMPLES.length);
  assert.is(stats.received, ALL_EXAMPLES.length);
  assert.is(stats.batchesSent, 1, 'sends in one turn leave as one batch');
  assert.ok(stats.rttMs! >= 0 && stats.rttMs! < 1000);
  assert.is(stats.dropped, 0);
  await stopAll(nodes);
});

test('sendSoon: messages wait to share the next batch to that peer, and leave alone once their delay is up', async () => {
  const [a, b] = [makeNode(), makeNode()];
  await startMesh([a!, b!]);
  a!.t.send(b!.t.address, [numbered(0)]);
  await waitFor('connected and first batch in', () => b!.received().length === 1);
  const batchesBefore = a!.t.stats().peers[b!.t.address]!.batchesSent;
  a!.t.sendSoon(b!.t.address, [numbered(1)], 1000);
  await sleep(30);
  assert.is(b!.received().length, 1, 'a deferred message does not leave on its own before its delay');
  a!.t.send(b!.t.address, [numbered(2)]);
  await waitFor('both delivered', () => b!.received().length === 3);
  assert.equal(commitsOf(b!.received()), [0, 1, 2], 'in order');
  assert.is(a!.t.stats().peers[b!.t.address]!.batchesSent, batchesBefore + 1, 'the deferred message rode along in one batch');
  const started = performance.now();
  a!.t.sendSoon(b!.t.address, [numbered(3)], 40);
  await waitFor('deferred message delivered alone', () => b!.received().length === 4);
  const waited = performance.now() - started;
  assert.ok(waited >= 35 && waited < 1000, `left after its delay (${waited.toFixed(0)} ms)`);
  await stopAll([a!, b!]);
});

test('a peer that starts late receives what was queued for it once the stream connects', async () => {
  const port = await freePort();
  const a = makeNode();
  await a.t.start();
  const lateAddress = `127.0.0.1:${port}`;
  a.t.setPeers([lateAddress]);
  a.t.send(lateAddress, [numbered(1), numbered(2)]);
  await sleep(150); // several failed attempts
  a.t.send(lateAddress, [numbered(3)]);
  assert.not.ok(a.t.stats().peers[lateAddress]!.connected);
  assert.is(a.t.stats().peers[lateAddress]!.queuedMessages, 3);
  assert.is(a.logger.matching('cannot open stream').length, 1, `a peer that stays down is logged once, not on every retry:\n${a.logger.lines.join('\n')}`);
  assert.not.match(a.logger.matching('cannot open stream')[0]!, /Resolution note/, 'grpc-js\'s empty resolution note is left out');
  assert.match(a.logger.matching('cannot open stream')[0]!, /ECONNREFUSED[^)]*\); retrying/);

  const late = makeNode({ address: lateAddress });
  await late.t.start();
  await waitFor('queued messages delivered', () => late.received().length === 3);
  assert.equal(commitsOf(late.received(a.t.address)), [1, 2, 3]);
  assert.ok(a.t.stats().peers[lateAddress]!.connected);
  assert.is(a.logger.matching(`stream to ${lateAddress} established`).length, 1, a.logger.lines.join(' | '));
  await stopAll([a, late]);
});

test('a stopped peer does not stall the sender, its queue stays bounded, and a restarted peer gets traffic again', async () => {
  const limits = { maxMessages: 1000, maxBytes: 256 * 1024 };
  const a = makeNode({ queue: limits });
  const b = makeNode();
  await startMesh([a, b]);
  const bAddress = b.t.address;
  a.t.send(bAddress, [numbered(0)]);
  await waitFor('first message', () => b.received().length === 1);
  await b.t.stop();
  await waitFor('a notices the stream is gone', () => !a.t.stats().peers[bAddress]!.connected);

  // Hammer the dead peer: 100 rounds of 200 messages, measuring how late timers fire meanwhile
  // (a generous bound: this catches a stall of the event loop, not a slow machine).
  const writesBefore = a.t.stats().peers[bAddress]!.batchesSent;
  let worstLagMs = 0;
  let sent = 0;
  for (let round = 0; round < 100; round++) {
    const before = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    worstLagMs = Math.max(worstLagMs, performance.now() - before - 1);
    a.t.send(bAddress, Array.from({ length: 200 }, () => numbered(++sent)));
    const peer = a.t.stats().peers[bAddress]!;
    assert.ok(peer.queuedMessages <= limits.maxMessages, `queue bounded by count (${peer.queuedMessages})`);
    assert.ok(peer.queuedBytes <= limits.maxBytes, `queue bounded by bytes (${peer.queuedBytes})`);
  }
  const peer = a.t.stats().peers[bAddress]!;
  assert.not.ok(peer.connected);
  assert.is(peer.queuedMessages, limits.maxMessages);
  assert.is(peer.dropped, sent - limits.maxMessages, 'every overflow is counted');
  assert.is(peer.batchesSent, writesBefore, 'nothing is written into a dead stream');
  assert.ok(worstLagMs < 1000, `event loop never stalled (worst timer lag ${worstLagMs.toFixed(1)} ms)`);
  assert.is(a.logger.matching(`lost stream to ${bAddress}`).length, 1, a.logger.lines.join(' | '));

  const b2 = makeNode({ address: bAddress });
  await b2.t.start();
  a.t.send(bAddress, [numbered(1_000_000)]);
  await waitFor('traffic after the restart', () => commitsOf(b2.received()).includes(1_000_000));
  const got = commitsOf(b2.received());
  assert.ok(got.length <= limits.maxMessages + 1, 'only the bounded queue was delivered');
  for (let i = 1; i < got.length - 1; i++) assert.ok(got[i]! > got[i - 1]!, 'the newest messages survive, in order');
  assert.is(a.t.stats().peers[bAddress]!.reconnects, 1);
  await stopAll([a, b2]);
});

test('a transport with another cluster id is refused and logged once; the right cluster still gets through', async () => {
  const a = makeNode();
  const b = makeNode();
  const stranger = makeNode({ clusterId: 'another-cluster' });
  await startMesh([a, b]);
  await stranger.t.start();
  stranger.t.setPeers([a.t.address]);
  stranger.t.send(a.t.address, [numbered(666)]);
  await waitFor('rejection logged', () => a.logger.matching('rejected stream').length > 0);
  b.t.send(a.t.address, [numbered(1)]);
  await waitFor('b delivers', () => a.received().length > 0);
  await sleep(300); // the stranger keeps retrying with backoff
  stranger.t.send(a.t.address, [numbered(667)]);
  await sleep(100);
  assert.equal(commitsOf(a.received()), [1], 'nothing from the other cluster reached the handler');
  assert.equal(a.received(stranger.t.address), []);
  const lines = a.logger.matching('rejected stream');
  assert.is(lines.length, 1, `one line despite retries:\n${a.logger.lines.join('\n')}`);
  assert.match(lines[0]!, /belongs to cluster "another-cluster", this node to cluster "test-cluster"/);
  assert.ok(a.t.stats().rejectedStreams >= 2, 'every retry was rejected');
  assert.match(stranger.logger.matching('cannot open stream')[0] ?? '', /PERMISSION_DENIED/);
  assert.not.ok(stranger.t.stats().peers[a.t.address]!.connected);
  await stopAll([a, b, stranger]);
});

test('setPeers closes streams to removed peers and stop() is prompt with streams open', async () => {
  const nodes = [makeNode(), makeNode(), makeNode()];
  await startMesh(nodes);
  const [a, b, c] = nodes as [ReturnType<typeof makeNode>, ReturnType<typeof makeNode>, ReturnType<typeof makeNode>];
  await waitFor('a connected to both', () => Object.values(a.t.stats().peers).every((p) => p.connected));
  a.t.setPeers([b.t.address]);
  a.t.send(c.t.address, [numbered(1)]);
  assert.is(a.t.stats().droppedUnknownPeer, 1);
  assert.equal(Object.keys(a.t.stats().peers), [b.t.address]);
  const started = performance.now();
  await stopAll(nodes);
  const ms = performance.now() - started;
  console.log(`    stop() of 3 connected transports took ${ms.toFixed(0)} ms`);
});

test('a peer that accepts TCP but never answers is abandoned after the handshake timeout and retried', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket); // accept, then say nothing (a hung process, a wrong service on the port)
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  const a = makeNode({ handshakeTimeoutMs: 150 });
  await a.t.start();
  a.t.setPeers([address]);
  a.t.send(address, [numbered(1)]);
  await waitFor('the timeout is logged', () => a.logger.matching('no answer to the handshake within 150 ms').length > 0);
  const peer = a.t.stats().peers[address]!;
  assert.not.ok(peer.connected);
  assert.is(peer.queuedMessages, 1, 'the message waits in the queue for a working stream');
  await a.t.stop();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

test('start() on an address in use rejects with a clear error', async () => {
  const a = makeNode();
  await a.t.start();
  const clash = makeNode({ address: a.t.address });
  try {
    await clash.t.start();
    assert.unreachable('should not bind');
  } catch (err) {
    assert.match((err as Error).message, /cannot listen on 127\.0\.0\.1:\d+/);
  }
  await stopAll([a, clash]);
});

test.run();
