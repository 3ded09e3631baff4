// From the long-run growth audit: the transport's stats book keeps one counters record per address
// that ever sent an accepted batch (or an undecodable one after its hello), keyed by the address
// the dialer CLAIMS in its hello. Only addresses that are peers (a link was made for them) are
// forgotten, when they stop being peers (setPeers); an address that only dialed in stays for the
// life of the process. Any process knowing the cluster id (raft-node's default "tsraft"; a hello
// without a fingerprint is accepted) that dials from ever-new claimed addresses, as
// test/input/peer-nodemeta-leak does, added one record per dial: the same leak as the node
// metadata one fixed there, in the stats book.
// Drives InboundStreams.handle with stand-in streams (no sockets), as
// inbound-refusal-log-maps-bounded does, and reads the book's private map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchFrame, encodeBatchFrame, helloFrame, PROTOCOL_VERSION } from '../../src/transport/frame.js';
import { InboundStreams } from '../../src/transport/grpc-inbound.js';
import { MAX_INBOUND_ONLY_ADDRESSES, StatsBook } from '../../src/transport/stats.js';
import { CollectingLogger, numbered, fakeCall } from './fixtures.js';

const CYCLES = 3000;

for (const kind of ['a valid batch', 'an undecodable batch'] as const) {
  test(`${CYCLES} dialers claiming ever-new addresses, each sending ${kind}: the stats book keeps at most 1000 addresses`, () => {
    const book = new StatsBook();
    const delivered: string[] = [];
    const inbound = new InboundStreams({
      clusterId: 'mine',
      fingerprint: () => undefined,
      onFingerprint: () => {},
      mayTeachFingerprint: () => false,
      logger: new CollectingLogger(),
      logPrefix: 'test',
      book,
      deliver: (from) => void delivered.push(from),
    });
    const peers = (book as unknown as { peers: Map<string, unknown> }).peers;
    for (let i = 0; i < CYCLES; i++) {
      const call = fakeCall(`10.0.0.1:${40000 + (i % 20000)}`);
      inbound.handle(call as never);
      call.emit('data', helloFrame({ version: PROTOCOL_VERSION, clusterId: 'mine', address: `drifter-${i}:7000` }));
      call.emit('data', kind === 'a valid batch' ? encodeBatchFrame([numbered(i)]) : batchFrame(Buffer.from([0xc1])));
      call.emit('close');
    }
    if (kind === 'a valid batch') assert.is(delivered.length, CYCLES, 'every batch was accepted and delivered');
    else assert.is(book.rejectedStreams, CYCLES, 'every undecodable batch was refused');
    assert.ok(peers.size <= 1000, `the stats book holds ${peers.size} addresses after ${CYCLES} short-lived dialers (stats().peers lists ${Object.keys(book.snapshot().peers).length})`);
    inbound.closeAll();
  });
}

test('a peer with a link keeps its counters however many addresses only dialed in', () => {
  const book = new StatsBook();
  const mine = book.peer('member:1');
  book.attachQueue('member:1', { length: 0, bytes: 0, dropped: 0 } as never);
  mine.sent = 7;
  for (let i = 0; i < CYCLES; i++) book.peer(`drifter-${i}:7000`).received++;
  assert.is(book.snapshot().peers['member:1']?.sent, 7, "the member's counters survived");
  assert.is(book.peer('member:1'), mine, 'the same record, still shared with its link');
});

// From a mutation review: exactly MAX_INBOUND_ONLY_ADDRESSES are kept, the oldest dropped first
// (with '>' made '>=' the tests above, which check only a ceiling, still passed).
test(`the stats book keeps the counters of the newest ${MAX_INBOUND_ONLY_ADDRESSES} addresses that only dialed in, dropping the oldest first`, () => {
  const book = new StatsBook();
  const extra = 10;
  for (let i = 0; i < MAX_INBOUND_ONLY_ADDRESSES + extra; i++) book.peer(`drifter-${i}:7000`).received = i + 1;
  const kept = Object.keys(book.snapshot().peers);
  const newest = Array.from({ length: MAX_INBOUND_ONLY_ADDRESSES }, (_, i) => `drifter-${i + extra}:7000`);
  assert.equal(kept.sort(), newest.sort());
  assert.is(book.snapshot().peers[`drifter-${extra}:7000`]?.received, extra + 1, 'the oldest one kept has its counters');
});

test.run();
