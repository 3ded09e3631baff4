// Bad input: the peer port against malformed gRPC / HTTP/2 / MessagePack input. Each case must end
// only its own stream (or connection) with a status naming the problem, log one line naming the
// peer and problem, and leave the node serving with the cluster's leader unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Packr } from 'msgpackr';
import { batchFrame, helloFrame, PROTOCOL_VERSION } from '../../../src/transport/frame.js';
import { PEER_STREAM_PATH } from '../../../src/transport/grpc-service.js';
import { memberId } from '../../../src/members.js';
import { ProcessCluster, type RaftProcess } from '../../support/processes.js';
import { batch, hello, openStream, putGet, rssBytes, sleep, within } from '../peer-client.js';

let c: ProcessCluster;
let leader: RaftProcess;
let target: RaftProcess;
let leaderTerm = 0;

test.before(async () => {
  c = await ProcessCluster.start(3);
  leader = await c.waitLeader();
  target = c.nodes.find((n) => n !== leader)!;
  leaderTerm = (await leader.status())!.term;
});
test.after(async () => {
  await c.close();
});

let n = 0;
async function stillServes(): Promise<void> {
  const r = await putGet(target, `alive-${n++}`);
  assert.is(r.put, 200);
  assert.is(r.get, 200);
  const st = (await leader.status())!;
  assert.is(st.state, 'leader', 'the leader kept leading');
  assert.is(st.term, leaderTerm, 'no election happened');
}

/** One raw HTTP/2 request on the peer path with `body` (already gRPC-framed); resolves with grpc-status and message. */
function rawGrpc(address: string, body: Buffer, extraHeaders: Record<string, string> = {}, end = false): Promise<{ status: string; message: string; accepted: boolean }> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${address}`);
    session.on('error', () => {});
    const req = session.request({ ':method': 'POST', ':path': PEER_STREAM_PATH, 'content-type': 'application/grpc', te: 'trailers', ...extraHeaders });
    let headers: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (headers = { ...headers, ...t }));
    req.on('data', () => {});
    req.on('error', () => {});
    const done = (): void => {
      session.destroy();
      resolve({ status: String(headers['grpc-status'] ?? 'none'), message: decodeURIComponent(String(headers['grpc-message'] ?? '')), accepted: headers['tsraft-accepted'] !== undefined });
    };
    req.on('close', done);
    setTimeout(() => req.close(), 5000);
    if (end) req.end(body);
    else req.write(body);
  });
}

const prefix = (flag: number, length: number): Buffer => {
  const b = Buffer.alloc(5);
  b[0] = flag;
  b.writeUInt32BE(length, 1);
  return b;
};
const framed = (msg: Buffer, flag = 0): Buffer => Buffer.concat([prefix(flag, msg.length), msg]);

test('hello from another cluster / protocol version: refused, naming both', async () => {
  for (const [h, code, detail] of [
    [hello('other:1', 'not-tsraft'), grpc.status.PERMISSION_DENIED, /other:1 belongs to cluster "not-tsraft", this node to cluster "tsraft"/],
    [hello('old:1', 'tsraft', 1), grpc.status.FAILED_PRECONDITION, /old:1 speaks protocol version 1, this node speaks 2/],
    [hello('new:1', 'tsraft', 2 ** 40), grpc.status.FAILED_PRECONDITION, /speaks protocol version 1099511627776/],
  ] as const) {
    const s = openStream(target.peerAddress);
    s.write(h);
    const st = await within(s.status, 5000);
    s.close();
    assert.ok(st, 'a status');
    assert.is(st!.code, code, st!.details);
    assert.match(st!.details, detail);
  }
  await sleep(100);
  assert.match(target.output, /rejected stream from .*belongs to cluster "not-tsraft"/);
  await stillServes();
});

test('gRPC framing: compressed flag, gzip bomb, 4 GiB length, truncated frame', async () => {
  const h = helloFrame({ version: PROTOCOL_VERSION, clusterId: 'tsraft', address: 'mallory:9' });
  const cases: Array<[string, Buffer, Record<string, string>]> = [
    ['gzip bomb (200 MiB inflated)', framed(gzipSync(Buffer.concat([Buffer.from([2]), Buffer.alloc(200 * 1024 * 1024)])), 1), { 'grpc-encoding': 'gzip' }],
    ['length prefix near 4 GiB', Buffer.concat([prefix(0, 0xfffffff0), Buffer.alloc(100)]), {}],
    ['truncated frame, then end of stream', Buffer.concat([prefix(0, 1000), h]), {}],
    ['unknown grpc-encoding', framed(h, 1), { 'grpc-encoding': 'snappy-bomb' }],
  ];
  // grpc-js reads a compressed-flag message without grpc-encoding as plain bytes (lenient, harmless).
  const lenient = await rawGrpc(target.peerAddress, framed(h, 1));
  console.log(`compressed flag without grpc-encoding: hello accepted ${lenient.accepted}`);
  for (const [name, body, headers] of cases) {
    const pid = target.child!.pid!;
    const before = await rssBytes(pid);
    const r = await rawGrpc(target.peerAddress, body, headers, name.startsWith('truncated'));
    const after = await rssBytes(pid);
    console.log(`${name}: grpc-status ${r.status} "${r.message.slice(0, 140)}"; hello accepted ${r.accepted}; rss +${Math.round((after - before) / 2 ** 20)} MiB`);
    assert.ok(!r.accepted, `${name}: never accepted`);
    // grpc-js ends a stream whose last message is cut short with our OK (the partial bytes are
    // dropped unseen): no error names it, but nothing reaches the node either.
    if (!name.startsWith('truncated')) assert.ok(r.status !== '0' && r.status !== 'none', `${name}: refused with a status`);
  }
  await stillServes();
});

test('raw garbage, HTTP/2 preface then junk, and a silent TCP connection on the peer port', async () => {
  const port = Number(target.peerAddress.split(':')[1]);
  const payloads = [
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + 'junk'.repeat(100)),
    Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xff, 0xff, 0x01, 0x05, 0, 0, 0, 1]), Buffer.alloc(1000, 0xee)]),
    Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'),
  ];
  for (const payload of payloads) {
    const closedIn = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const socket = connect(port, '127.0.0.1', () => socket.write(payload));
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - t0));
      setTimeout(() => socket.destroy(), 20_000);
    });
    console.log(`garbage ${payload.subarray(0, 12).toString('hex')}: closed after ${closedIn} ms`);
  }
  // A TCP connection that never sends the HTTP/2 preface.
  const silentFor = await new Promise<number>((resolve) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1');
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => resolve(Date.now() - t0));
    setTimeout(() => {
      socket.destroy();
    }, 40_000);
  });
  console.log(`silent TCP connection closed by the server after ${silentFor} ms (40000 = never, the client gave up)`);
  await stillServes();
});

test('MessagePack: deep nesting, extension types, wrong number kinds, strings for bytes', async () => {
  const to = memberId(target.peerAddress);
  const good = { type: 'heartbeatResp', from: 4242, to: 0, term: 0, round: 0 };
  const deep = Buffer.concat([Buffer.alloc(200_000, 0x91), Buffer.from([0xc0])]);
  const ext = new Packr({ useRecords: false, moreTypes: true, structuredClone: true });
  const cases: Array<[string, Buffer, RegExp]> = [
    ['deep nesting (200k arrays)', batchFrame(deep), /undecodable batch: batch is not valid MessagePack .*call stack|undecodable batch/],
    ['Date term', batchFrame(ext.pack([{ ...good, term: new Date(0) }])), /term must be a non-negative integer, got Date/],
    ['BigInt term', batchFrame(ext.pack([{ ...good, term: 2n ** 70n }])), /term must be a non-negative integer, got bigint/],
    ['Set as entries', batchFrame(ext.pack([{ type: 'append', from: 1, to, term: 0, prevIndex: 0, prevTerm: 0, entries: new Set([1]), commit: 0 }])), /entries must be an array, got Set/],
    ['RegExp as context', batchFrame(ext.pack([{ type: 'readIndex', from: 1, to, term: 0, context: /a+$/, lease: false }])), /context must be a string, got RegExp/],
    ['Error as meta', batchFrame(ext.pack([{ type: 'nodeMeta', from: 1, to, term: 0, meta: new Error('x') }])), /meta must be a string, got Error/],
    ['float term', batch([{ ...good, term: 1.5 }]), /term must be a non-negative integer, got number 1\.5/],
    ['NaN round', batch([{ ...good, round: NaN }]), /round must be a non-negative integer, got number NaN/],
    ['negative index', batch([{ type: 'appendResp', from: 1, to, term: 0, reject: false, index: -1, conflictTerm: 0, conflictIndex: 0 }]), /index must be a non-negative integer, got number -1/],
    ['uint64 max term', batchFrame(Buffer.concat([Buffer.from([0x91, 0x85, 0xa4]), Buffer.from('type'), Buffer.from([0xad]), Buffer.from('heartbeatResp'), Buffer.from([0xa4]), Buffer.from('from'), Buffer.from([1, 0xa2]), Buffer.from('to'), Buffer.from([0, 0xa4]), Buffer.from('term'), Buffer.from([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa5]), Buffer.from('round'), Buffer.from([0])])), /term must be a non-negative integer, got number 18446744073709552000/],
    ['string as entry data', batch([{ type: 'append', from: 1, to, term: 0, prevIndex: 0, prevTerm: 0, entries: [{ index: 1, term: 0, type: 0, data: 'abc' }], commit: 0 }]), /data must be bytes \(Uint8Array\), got string/],
    ['array32 header claiming 4G elements', batchFrame(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x80])), /undecodable batch/],
    ['map32 header claiming 4G pairs', batchFrame(Buffer.from([0x91, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61])), /undecodable batch/],
    ['str32 claiming 4 GiB', batchFrame(Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])), /undecodable batch/],
    ['__proto__ key', batchFrame(Buffer.concat([Buffer.from([0x91, 0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0x80])])), /undecodable batch/],
    ['record definition with 10k fields', batchFrame(new Packr({ useRecords: true }).pack(Array.from({ length: 20 }, () => Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]))))), /undecodable batch/],
  ];
  let i = 0;
  for (const [name, frame, detail] of cases) {
    const s = openStream(target.peerAddress);
    s.write(hello(`mallory-${i++}:1`));
    s.write(frame);
    const st = await within(s.status, 5000);
    s.close();
    assert.ok(st, `${name}: a status`);
    console.log(`${name}: ${grpc.status[st!.code]} ${st!.details.slice(0, 160)}`);
    assert.is(st!.code, grpc.status.INVALID_ARGUMENT, `${name}: ${st!.details}`);
    assert.match(st!.details, detail, name);
  }
  // msgpackr keeps module-level decoder state: a good batch after all that still decodes.
  const s = openStream(target.peerAddress);
  s.write(hello('after:1'));
  s.write(batch([good]));
  const st = await within(s.status, 1500);
  s.close();
  assert.is(st, undefined, `a good batch still decodes: ${st?.details}`);
  await stillServes();
});

test('500 concurrent streams from one client, each a hello and nothing more', async () => {
  const pid = target.child!.pid!;
  const before = await rssBytes(pid);
  const client = new grpc.Client(target.peerAddress, grpc.credentials.createInsecure());
  const id = (b: Buffer): Buffer => b;
  const calls = Array.from({ length: 500 }, (_, i) => {
    const call = client.makeBidiStreamRequest<Buffer, Buffer>(PEER_STREAM_PATH, id, id, new grpc.Metadata());
    call.on('error', () => {});
    call.on('data', () => {});
    call.write(hello(`many-${i}:1`));
    return call;
  });
  await sleep(3000);
  const after = await rssBytes(pid);
  console.log(`500 idle streams: rss +${Math.round((after - before) / 2 ** 20)} MiB`);
  await stillServes();
  for (const call of calls) call.cancel();
  client.close();
});

test.run();
