import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { PeerQueue } from '../../src/transport/queue.js';
import { estimateMessageSize } from '../../src/transport/wire.js';
import { numbered } from './fixtures.js';

const commits = (ms: Message[]): number[] => ms.map((m) => (m.type === 'heartbeat' ? m.commit : -1));

function chunk(n: number, size: number): Message {
  return { type: 'snapshot', from: 1, to: 2, term: 1, meta: { index: 1, term: 1, membership: [], size }, offset: n, length: size, data: new Uint8Array(size), done: false };
}

test('the count bound drops the oldest messages and counts them', () => {
  const q = new PeerQueue({ maxMessages: 3, maxBytes: 1e9 });
  for (let i = 1; i <= 5; i++) q.push(numbered(i));
  assert.is(q.length, 3);
  assert.is(q.dropped, 2);
  assert.equal(commits(q.take()), [3, 4, 5]);
  assert.is(q.length, 0);
  assert.is(q.bytes, 0);
});

test('the byte bound drops the oldest messages (the bound counts those behind the oldest)', () => {
  const q = new PeerQueue({ maxMessages: 1000, maxBytes: 25_000 });
  for (let i = 0; i < 5; i++) q.push(chunk(i, 10_000));
  assert.is(q.length, 3);
  assert.is(q.dropped, 2);
  assert.ok(q.bytes - estimateMessageSize(chunk(2, 10_000)) <= 25_000);
  assert.equal(q.take().map((m) => (m.type === 'snapshot' ? m.offset : -1)), [2, 3, 4]);
});

test('a single message larger than the byte bound is kept when alone, so big chunks make progress', () => {
  const q = new PeerQueue({ maxMessages: 10, maxBytes: 1000 });
  q.push(numbered(1));
  q.push(chunk(0, 5000));
  assert.is(q.length, 1);
  assert.is(q.dropped, 1);
  assert.is(q.take()[0]!.type, 'snapshot');
});

test('a message near or over the byte bound is not dropped for the small ones queued behind it while they fit (a heartbeat dropped a big append waiting for a slow link)', () => {
  for (const size of [900, 5000]) {
    const q = new PeerQueue({ maxMessages: 1000, maxBytes: 1000 });
    q.push(chunk(0, size));
    for (let i = 1; i <= 3; i++) q.push(numbered(i));
    assert.is(q.dropped, 0, `a ${size}-byte message kept`);
  }
  const q = new PeerQueue({ maxMessages: 10, maxBytes: 1000 });
  q.push(chunk(0, 5000));
  for (let i = 1; i <= 3; i++) q.push(numbered(i));
  assert.is(q.dropped, 0, 'nothing dropped');
  assert.equal(q.take().map((m) => m.type), ['snapshot', 'heartbeat', 'heartbeat', 'heartbeat']);
  // What follows it still has the bound: past it, the big one (the oldest) goes first.
  q.push(chunk(1, 5000));
  for (let i = 0; i < 3; i++) q.push(chunk(10 + i, 400));
  assert.equal(q.take().map((m) => (m.type === 'snapshot' ? m.offset : -1)), [10, 11, 12]);
  assert.is(q.dropped, 1);
});

test('take(maxBytes) cuts batches by estimated size but always returns at least one message', () => {
  const q = new PeerQueue({ maxMessages: 100, maxBytes: 1e9 });
  for (let i = 0; i < 4; i++) q.push(chunk(i, 1000));
  const one = estimateMessageSize(chunk(0, 1000));
  assert.is(q.take(one * 2 + 1).length, 2);
  assert.is(q.take(1).length, 1, 'at least one even when it exceeds maxBytes');
  assert.is(q.take().length, 1);
  assert.equal(q.take(), []);
});

test('a long-running queue keeps order and its byte count exact through many drops and takes', () => {
  const q = new PeerQueue({ maxMessages: 100, maxBytes: 1e9 });
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 150; i++) q.push(numbered(next++));
    const got = commits(q.take(round % 2 === 0 ? Infinity : 2000));
    expected = next - 100; // the 50 oldest of this round were dropped
    assert.is(got[0], expected);
    for (let i = 1; i < got.length; i++) assert.is(got[i], got[i - 1]! + 1);
    q.take();
  }
  assert.is(q.length, 0);
  assert.is(q.bytes, 0);
  assert.is(q.dropped, 200 * 50);
});

test('clear() drops and counts everything', () => {
  const q = new PeerQueue({ maxMessages: 100, maxBytes: 1e9 });
  for (let i = 0; i < 7; i++) q.push(numbered(i));
  assert.is(q.clear(), 7);
  assert.is(q.dropped, 7);
  assert.is(q.length, 0);
  assert.is(q.bytes, 0);
});

test.run();
