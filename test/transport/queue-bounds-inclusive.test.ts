// From a mutation review of the transport: the queue's bounds are inclusive ("at most"), and the newest message
// always stays. With `>=` for `>` in the byte bound, a message that fit was dropped; with `>=` in
// take(maxBytes), a batch that exactly fit was cut one short; with `length > 0` for `length > 1`,
// a queue with a bound of 0 dropped everything it was given.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerQueue } from '../../src/transport/queue.js';
import { estimateMessageSize } from '../../src/transport/wire.js';
import { numbered } from './fixtures.js';

const commits = (q: PeerQueue, maxBytes?: number): number[] => q.take(maxBytes).map((m) => (m.type === 'heartbeat' ? m.commit : -1));
const one = estimateMessageSize(numbered(1));

test('messages behind the oldest adding up to exactly maxBytes are all kept', () => {
  const q = new PeerQueue({ maxMessages: 100, maxBytes: 2 * one });
  for (let i = 1; i <= 3; i++) q.push(numbered(i));
  assert.is(q.dropped, 0);
  assert.equal(commits(q), [1, 2, 3]);
  // One more byte's worth goes over: the oldest goes.
  for (let i = 1; i <= 4; i++) q.push(numbered(i));
  assert.is(q.dropped, 1);
  assert.equal(commits(q), [2, 3, 4]);
});

test('exactly maxMessages messages are kept', () => {
  const q = new PeerQueue({ maxMessages: 3, maxBytes: 1e9 });
  for (let i = 1; i <= 3; i++) q.push(numbered(i));
  assert.is(q.dropped, 0);
  assert.is(q.length, 3);
});

test('take(maxBytes) returns messages adding up to exactly maxBytes', () => {
  const q = new PeerQueue({ maxMessages: 100, maxBytes: 1e9 });
  for (let i = 1; i <= 5; i++) q.push(numbered(i));
  assert.equal(commits(q, 2 * one), [1, 2]);
  assert.equal(commits(q, 3 * one - 1), [3, 4]);
  assert.equal(commits(q, 3 * one), [5]);
});

test('the newest message is kept even under bounds of zero', () => {
  const q = new PeerQueue({ maxMessages: 0, maxBytes: 0 });
  q.push(numbered(1));
  q.push(numbered(2));
  assert.is(q.length, 1);
  assert.is(q.dropped, 1);
  assert.equal(commits(q), [2]);
});

test.run();
