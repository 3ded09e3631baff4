// From a mutation review of the gRPC transport (grpc.ts, grpc-link.ts, grpc-inbound.ts, grpc-service.ts).
/**
 * Rules of the outgoing link's handshake, pings and per-peer stats, pinned by a mutation review:
 * - only the receiver's "accepted" header makes a link ready: a refused link (another cluster)
 *   never counts as connected or reconnected, writes nothing and keeps its messages queued;
 * - the receiver counts batches and bytes exactly as the sender counted them;
 * - pingIntervalMs 0 disables pings (no round trip is ever measured); by default the link pings;
 * - a member list that includes this node's own address does not make a link to itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { PEER_SERVICE } from '../../src/transport/grpc-service.js';
import { ALL_EXAMPLES, numbered, sleep, waitFor } from './fixtures.js';
import { makeNode, startMesh, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

test('a link refused at the handshake never counts as connected, writes nothing, and keeps its messages queued', async () => {
  const a = makeNode();
  const stranger = makeNode({ clusterId: 'another-cluster' });
  await a.t.start();
  await stranger.t.start();
  stranger.t.setPeers([a.t.address]);
  stranger.t.send(a.t.address, [numbered(1), numbered(2), numbered(3)]);
  let everConnected = false;
  await waitFor('several refusals', () => {
    everConnected ||= stranger.t.stats().peers[a.t.address]!.connected;
    return a.t.stats().rejectedStreams >= 3;
  });
  const peer = stranger.t.stats().peers[a.t.address]!;
  assert.not.ok(everConnected, 'never shown as connected');
  assert.is(peer.reconnects, 0);
  assert.is(peer.sent, 0, 'nothing written into a refused stream');
  assert.is(peer.batchesSent, 0);
  assert.is(peer.queuedMessages, 3, 'the messages wait for a stream that is accepted');
  assert.equal(a.received(), []);
});

test('response headers without the accepted marker do not make a link ready (a refusal sent as headers, then an error)', async () => {
  let streams = 0;
  const server = new grpc.Server();
  server.addService(PEER_SERVICE, {
    stream: (c: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      streams++;
      c.on('error', () => {});
      c.once('data', () => {
        const md = new grpc.Metadata();
        md.set('x-other-version', 'yes'); // headers, but not "tsraft-accepted: 1"
        c.sendMetadata(md);
        setTimeout(() => c.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: 'refused after headers' }), 30);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  try {
    const address = `127.0.0.1:${port}`;
    const a = makeNode();
    await a.t.start();
    a.t.setPeers([address]);
    a.t.send(address, [numbered(1), numbered(2)]);
    await waitFor('two refused attempts', () => streams >= 2 && a.logger.matching('refused after headers').length > 0);
    await sleep(50);
    const peer = a.t.stats().peers[address]!;
    assert.is(peer.reconnects, 0);
    assert.is(peer.sent, 0, 'nothing written before the accepted marker');
    assert.is(peer.queuedMessages, 2);
    assert.is(a.logger.matching('established').length, 0);
  } finally {
    server.forceShutdown();
  }
});

test('the receiver counts batches and bytes as the sender counted them', async () => {
  const [a, b] = [makeNode({ pingIntervalMs: 0 }), makeNode({ pingIntervalMs: 0 })];
  await startMesh([a, b]);
  a.t.send(b.t.address, ALL_EXAMPLES);
  await waitFor('first batch', () => b.received().length === ALL_EXAMPLES.length);
  a.t.send(b.t.address, [numbered(1), numbered(2)]);
  await waitFor('second batch', () => b.received().length === ALL_EXAMPLES.length + 2);
  const sent = a.t.stats().peers[b.t.address]!;
  const got = b.t.stats().peers[a.t.address]!;
  assert.is(sent.batchesSent, 2);
  assert.is(got.batchesReceived, 2);
  assert.is(got.received, sent.sent);
  assert.ok(sent.bytesSent > 0);
  assert.is(got.bytesReceived, sent.bytesSent, 'frame bytes, the same on both ends');
});

test('pingIntervalMs 0 disables pings: no round trip is measured', async () => {
  const [a, b] = [makeNode({ pingIntervalMs: 0 }), makeNode()];
  await startMesh([a, b]);
  a.t.send(b.t.address, [numbered(1)]);
  await waitFor('delivered', () => b.received().length === 1);
  await sleep(200);
  assert.is(a.t.stats().peers[b.t.address]!.rttMs, undefined);
});

test('by default (pingIntervalMs unset) a ready link measures its round trip', async () => {
  const [a, b] = [makeNode({ pingIntervalMs: undefined }), makeNode()];
  await startMesh([a, b]);
  await waitFor('a round trip measured', () => a.t.stats().peers[b.t.address]?.rttMs !== undefined, 3000);
});

test("a member list that includes this node's own address makes no link to itself", async () => {
  const [a, b] = [makeNode(), makeNode()];
  await a.t.start();
  await b.t.start();
  a.t.setPeers([a.t.address, b.t.address]);
  a.t.send(a.t.address, [numbered(1)]);
  await sleep(100);
  assert.equal(Object.keys(a.t.stats().peers), [b.t.address]);
  assert.is(a.t.stats().droppedUnknownPeer, 1, 'a send to itself is a send to a non-peer');
  assert.equal(a.received(), [], 'it never delivers to itself over the network');
});

test.run();
