// From a mutation review of the transport: StatsBook.snapshot() reports each peer's queue gauges and drops from
// its attached queue, new counters start zeroed and not connected, and forget() detaches the
// queue. With queuedBytes reported as 0, fresh counters marked connected (an address that only
// ever sent to us, or a peer not dialed yet, then showed as connected), or forget() keeping the
// old queue (a returning address inherited its drop count), every transport test passed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerQueue } from '../../src/transport/queue.js';
import { newPeerCounters, StatsBook } from '../../src/transport/stats.js';
import { estimateMessageSize } from '../../src/transport/wire.js';
import { numbered } from './fixtures.js';

test('fresh counters are zeroed and not connected', () => {
  assert.equal(newPeerCounters(), {
    sent: 0,
    batchesSent: 0,
    bytesSent: 0,
    received: 0,
    batchesReceived: 0,
    bytesReceived: 0,
    droppedOther: 0,
    decodeErrors: 0,
    connected: false,
    reconnects: 0,
    rttMs: undefined,
  });
  const book = new StatsBook();
  book.peer('127.0.0.1:1').received += 1;
  const peer = book.snapshot().peers['127.0.0.1:1']!;
  assert.is(peer.connected, false);
  assert.is(peer.received, 1);
  assert.is(peer.queuedMessages, 0);
  assert.is(peer.queuedBytes, 0);
  assert.is(peer.dropped, 0);
  assert.is(peer.dialed, false, 'an address that only dialed in is not dialed');
});

test("a peer's snapshot reports its queue's length, bytes and drops, plus drops outside the queue", () => {
  const book = new StatsBook();
  const q = new PeerQueue({ maxMessages: 2, maxBytes: 1e9 });
  book.peer('127.0.0.1:2').droppedOther = 5;
  book.attachQueue('127.0.0.1:2', q);
  for (let i = 0; i < 3; i++) q.push(numbered(i));
  const peer = book.snapshot().peers['127.0.0.1:2']!;
  assert.is(peer.queuedMessages, 2);
  assert.is(peer.queuedBytes, 2 * estimateMessageSize(numbered(1)));
  assert.is(peer.dropped, 5 + 1);
  assert.is(peer.dialed, true, 'a peer with a queue of ours is dialed');
  assert.not.ok('droppedOther' in peer, 'the internal split is not reported');
});

test('forget() drops both the counters and the queue: an address that comes back starts afresh', () => {
  const book = new StatsBook();
  const q = new PeerQueue({ maxMessages: 1, maxBytes: 1e9 });
  book.peer('127.0.0.1:3').received = 9;
  book.attachQueue('127.0.0.1:3', q);
  q.push(numbered(1));
  q.push(numbered(2));
  book.forget('127.0.0.1:3');
  assert.equal(book.snapshot().peers, {});
  book.peer('127.0.0.1:3');
  const peer = book.snapshot().peers['127.0.0.1:3']!;
  assert.equal([peer.received, peer.queuedMessages, peer.queuedBytes, peer.dropped], [0, 0, 0, 0]);
});

test('transport-wide counters are reported', () => {
  const book = new StatsBook();
  book.droppedUnknownPeer = 1;
  book.rejectedStreams = 2;
  book.decodeErrors = 3;
  assert.equal(book.snapshot(), { peers: {}, droppedUnknownPeer: 1, rejectedStreams: 2, decodeErrors: 3 });
});

test.run();
