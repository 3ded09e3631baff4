import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { connect } from 'node:net';
import { Packr } from 'msgpackr';
import { SeededRandom } from '../../src/core/rng.js';
import { batchFrame, helloFrame, PROTOCOL_VERSION } from '../../src/transport/frame.js';
import { PEER_STREAM_PATH } from '../../src/transport/grpc-service.js';
import { encodeBatch } from '../../src/transport/wire.js';
import { numbered, sleep, waitFor } from './fixtures.js';
import { makeNode, startMesh, stopCreated, type TestNode } from './grpc-helpers.js';

test.after.each(stopCreated);

/** Open a raw peer stream to `address`, write `frames`, and resolve with the final status. */
function rawStream(address: string, frames: Buffer[]): Promise<grpc.StatusObject> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const id = (b: Buffer): Buffer => b;
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(PEER_STREAM_PATH, id, id, new grpc.Metadata());
  call.on('error', () => {});
  call.on('data', () => {});
  for (const f of frames) call.write(f);
  return new Promise((resolve) => {
    const timer = setTimeout(() => call.cancel(), 3000);
    call.on('status', (status: grpc.StatusObject) => {
      clearTimeout(timer);
      client.close();
      resolve(status);
    });
  });
}

/** Assert `a` still receives from a healthy peer `b`. */
async function stillServes(a: TestNode, b: TestNode, n: number): Promise<void> {
  b.t.send(a.t.address, [numbered(n)]);
  await waitFor(`message ${n} from the healthy peer`, () => a.received(b.t.address).some((m) => m.type === 'heartbeat' && m.commit === n));
}

const goodHello = (address: string): Buffer => helloFrame({ version: PROTOCOL_VERSION, clusterId: 'test-cluster', address });

test('raw garbage bytes on the gRPC port do not crash the server and it keeps serving', async () => {
  const a = makeNode();
  const b = makeNode();
  await startMesh([a, b]);
  await stillServes(a, b, 1);
  const port = Number(a.t.address.split(':')[1]);
  const rng = new SeededRandom(99);
  const payloads = [
    Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\xff\xff\xff\xff\xff'),
    Buffer.from(new Uint8Array(4096).map(() => rng.int(256))),
    Buffer.alloc(100_000, 0x41),
  ];
  for (const payload of payloads) {
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(payload));
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.setTimeout(300, () => socket.destroy());
    });
  }
  await stillServes(a, b, 2);
  const c = makeNode();
  await c.t.start();
  c.t.setPeers([a.t.address]);
  await stillServes(a, c, 3);
});

test('bad frames on a real gRPC stream end only that stream, each with one log line naming the problem', async () => {
  const a = makeNode();
  const b = makeNode();
  await startMesh([a, b]);
  const plain = new Packr({ useRecords: false });
  const cases: Array<{ frames: Buffer[]; status: grpc.status; detail: RegExp }> = [
    { frames: [Buffer.from([0x99, 1, 2, 3])], status: grpc.status.INVALID_ARGUMENT, detail: /undecodable frame: unknown frame kind 153/ },
    { frames: [Buffer.alloc(0)], status: grpc.status.INVALID_ARGUMENT, detail: /undecodable frame: empty frame/ },
    { frames: [batchFrame(encodeBatch([numbered(1)]))], status: grpc.status.INVALID_ARGUMENT, detail: /first frame must be a hello, got a batch frame/ },
    { frames: [Buffer.from([1, 0xc1, 0xc1])], status: grpc.status.INVALID_ARGUMENT, detail: /hello/ },
    { frames: [Buffer.concat([Buffer.from([1]), plain.pack({ v: 1, cluster: 'test-cluster' })])], status: grpc.status.INVALID_ARGUMENT, detail: /hello\.from must be a non-empty string/ },
    {
      frames: [helloFrame({ version: 99, clusterId: 'test-cluster', address: 'future:1' })],
      status: grpc.status.FAILED_PRECONDITION,
      detail: /future:1 speaks protocol version 99, this node speaks 2/,
    },
    {
      // A member built before proposer sessions: it could not read the entries it would be sent.
      frames: [helloFrame({ version: 1, clusterId: 'test-cluster', address: 'before-sessions:1' })],
      status: grpc.status.FAILED_PRECONDITION,
      detail: /before-sessions:1 speaks protocol version 1, this node speaks 2/,
    },
    { frames: [goodHello('mallory:1'), Buffer.from([2, 0xde, 0xad, 0xbe, 0xef])], status: grpc.status.INVALID_ARGUMENT, detail: /undecodable batch: batch is not valid MessagePack/ },
    {
      frames: [goodHello('mallory:2'), batchFrame(plain.pack([{ type: 'vote', from: 1, to: 2, term: 'x' }]))],
      status: grpc.status.INVALID_ARGUMENT,
      detail: /undecodable batch: message 0 \(vote\)\.term must be a non-negative integer, got string/,
    },
    { frames: [goodHello('mallory:3'), goodHello('mallory:3')], status: grpc.status.INVALID_ARGUMENT, detail: /unexpected hello frame after the handshake/ },
  ];
  let n = 10;
  for (const c of cases) {
    const status = await rawStream(a.t.address, c.frames);
    assert.is(grpc.status[status.code], grpc.status[c.status], `${c.detail}: got ${status.details}`);
    assert.match(status.details, c.detail);
    const lines = a.logger.matching(status.details);
    assert.is(lines.length, 1, `one log line for ${c.detail}`);
    assert.match(lines[0]!, /rejected stream from /);
    await stillServes(a, b, n++);
  }
  assert.equal(a.received('mallory:1'), [], 'nothing from a rejected stream reaches the handler');
  const stats = a.t.stats();
  assert.is(stats.rejectedStreams, cases.length);
  assert.is(stats.decodeErrors, 5, 'frames that failed before a hello was accepted');
  assert.is(stats.peers['mallory:1']!.decodeErrors, 1, 'after the hello, errors are counted per sender');
  await sleep(10);
});

test.run();
