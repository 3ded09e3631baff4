// From a mutation review of the transport: the queue compacts its arrays once more than 1024 slots at the front
// are dead; every existing test kept the queue too short to get there, so a compaction that cut
// the sizes one slot off from the messages went unnoticed: the byte count then drifted (NaN once
// it ran past the end) and byte bounds and batch cuts went with it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { PeerQueue } from '../../src/transport/queue.js';
import { estimateMessageSize } from '../../src/transport/wire.js';

/** A snapshot chunk whose data size varies with n, so sizes one slot apart differ. */
function chunk(n: number): Message {
  const size = (n % 7) * 100;
  return { type: 'snapshot', from: 1, to: 2, term: 1, meta: { index: 1, term: 1, membership: [], size }, offset: n, length: size, data: new Uint8Array(size), done: false };
}
const offsets = (ms: Message[]): number[] => ms.map((m) => (m.type === 'snapshot' ? m.offset : -1));

test('after compaction the byte count, batch cuts and order still match the messages', () => {
  const q = new PeerQueue({ maxMessages: 100_000, maxBytes: 1e12 });
  const all = Array.from({ length: 3000 }, (_, i) => chunk(i));
  for (const m of all) q.push(m);
  const sum = (from: number, to: number) => all.slice(from, to).reduce((s, m) => s + estimateMessageSize(m), 0);
  // One at a time, well past the compaction point (head >= 1024 and at least half the array).
  for (let i = 0; i < 1600; i++) assert.equal(offsets(q.take(0)), [i]);
  assert.is(q.length, 1400);
  assert.is(q.bytes, sum(1600, 3000), 'byte count of what is left');
  // A batch cut exactly at the sizes of the next 10 messages.
  assert.equal(offsets(q.take(sum(1600, 1610))), Array.from({ length: 10 }, (_, i) => 1600 + i));
  assert.is(q.bytes, sum(1610, 3000));
  // Pushing after compaction keeps sizes aligned too.
  for (let i = 3000; i < 3010; i++) q.push((all[i] = chunk(i)));
  assert.is(q.bytes, sum(1610, 3010));
  assert.equal(offsets(q.take()), Array.from({ length: 1400 }, (_, i) => 1610 + i));
  assert.is(q.bytes, 0);
  assert.is(q.dropped, 0);
});

test.run();
