// PeerQueue.dropWhere: the Node drops the replication messages queued for a member that left the
// configuration (test/node/removed-stale-queue), keeping the rest in order. Sizes must stay aligned
// with the messages kept, or the byte bound and batch cuts drift (queue-compaction-keeps-sizes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { PeerQueue } from '../../src/transport/queue.js';
import { estimateMessageSize } from '../../src/transport/wire.js';

/** A snapshot chunk (offset n, size varying with n) or, for odd n, a heartbeat of round n. */
function message(n: number): Message {
  if (n % 2 === 1) return { type: 'heartbeat', from: 1, to: 2, term: 1, commit: n, commitTerm: 1, round: n };
  const size = (n % 7) * 100;
  return { type: 'snapshot', from: 1, to: 2, term: 1, meta: { index: 1, term: 1, membership: [], size }, offset: n, length: size, data: new Uint8Array(size), done: false };
}
const ids = (ms: Message[]): number[] => ms.map((m) => (m.type === 'snapshot' ? m.offset : m.type === 'heartbeat' ? m.round : -1));

test('dropWhere drops what it selects, keeps the rest in order with their byte count, and counts the dropped', () => {
  const q = new PeerQueue({ maxMessages: 100_000, maxBytes: 1e12 });
  const all = Array.from({ length: 3000 }, (_, i) => message(i));
  for (const m of all) q.push(m);
  // Past the front first, so the live messages do not start at slot 0.
  assert.equal(ids(q.take(0)), [0]);
  assert.equal(ids(q.take(0)), [1]);
  const dropped = q.dropWhere((m) => m.type === 'heartbeat');
  const kept = all.slice(2).filter((m) => m.type !== 'heartbeat');
  assert.is(dropped, 1499);
  assert.is(q.dropped, 1499);
  assert.is(q.length, kept.length);
  assert.is(q.bytes, kept.reduce((s, m) => s + estimateMessageSize(m), 0));
  // A batch cut at the first three kept messages' sizes takes exactly those.
  const three = kept.slice(0, 3).reduce((s, m) => s + estimateMessageSize(m), 0);
  assert.equal(ids(q.take(three)), ids(kept.slice(0, 3)));
  q.push(message(5000));
  assert.equal(ids(q.take()), [...ids(kept.slice(3)), 5000]);
  assert.is(q.bytes, 0);
});

test('dropWhere selecting nothing changes nothing; on an empty queue it drops nothing', () => {
  const q = new PeerQueue();
  assert.is(q.dropWhere(() => true), 0);
  for (let i = 0; i < 5; i++) q.push(message(i));
  const bytes = q.bytes;
  assert.is(q.dropWhere(() => false), 0);
  assert.is(q.bytes, bytes);
  assert.is(q.dropped, 0);
  assert.equal(ids(q.take()), [0, 1, 2, 3, 4]);
});

test.run();
