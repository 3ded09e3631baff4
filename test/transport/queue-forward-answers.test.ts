// A leader's answer to a forwarded request is never dropped by the per-peer byte bound: nothing
// sends it again, so a dropped one left the follower's caller with a timeout (outcome unknown) for
// a command that had committed (a user trial: big appends queued around the answers crowded them
// out). The count bound still applies to them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import type { ForwardResponse } from '../../src/peer-messages.js';
import { PeerQueue } from '../../src/transport/queue.js';
import { numbered } from './fixtures.js';

function chunk(offset: number, size: number): Message {
  return { type: 'snapshot', from: 1, to: 2, term: 1, meta: { index: 1, term: 1, membership: [], size }, offset, length: size, data: new Uint8Array(size), done: false };
}

const answer = (requestId: number): Message =>
  ({ type: 'forwardResp', from: 1, to: 2, term: 3, requestId, index: 7, logTerm: 3, error: '', message: '', leader: '' }) satisfies ForwardResponse as unknown as Message;

const kinds = (ms: Message[]): string[] => ms.map((m) => (m.type === 'snapshot' ? `chunk${m.offset}` : m.type === ('forwardResp' as string) ? `answer${(m as unknown as ForwardResponse).requestId}` : m.type));

test('an answer queued between two big messages is kept: the older big one is dropped instead', () => {
  const q = new PeerQueue({ maxMessages: 1000, maxBytes: 25_000 });
  q.push(chunk(0, 30_000));
  q.push(answer(1));
  q.push(chunk(1, 30_000));
  assert.equal(kinds(q.take()), ['answer1', 'chunk1']);
  assert.is(q.dropped, 1);
  assert.is(q.bytes, 0);
});

test('answers do not count toward the byte bound, and the big message behind them is kept when alone', () => {
  const q = new PeerQueue({ maxMessages: 1000, maxBytes: 25_000 });
  for (let i = 0; i < 50; i++) q.push(answer(i));
  q.push(chunk(0, 20_000));
  q.push(chunk(1, 20_000));
  assert.is(q.dropped, 0, 'the 20,000 bytes behind the first chunk fit');
  q.push(chunk(2, 20_000));
  assert.is(q.dropped, 1);
  const out = kinds(q.take());
  assert.is(out.filter((k) => k.startsWith('answer')).length, 50, 'every answer kept');
  assert.equal(out.slice(50), ['chunk1', 'chunk2'], 'the oldest chunk dropped, order kept');
});

test('the count bound still drops answers, oldest first', () => {
  const q = new PeerQueue({ maxMessages: 3, maxBytes: 1e9 });
  for (let i = 0; i < 5; i++) q.push(answer(i));
  assert.equal(kinds(q.take()), ['answer2', 'answer3', 'answer4']);
});

test('dropWhere, clear and take keep the byte count of answers right: the bound holds afterwards', () => {
  const q = new PeerQueue({ maxMessages: 1000, maxBytes: 25_000 });
  q.push(answer(1));
  q.push(numbered(1));
  q.push(answer(2));
  q.dropWhere((m) => m.type === ('forwardResp' as string));
  assert.is(q.length, 1);
  assert.is(q.dropped, 2);
  q.push(chunk(0, 20_000));
  assert.is(q.dropped, 2, 'the 20,000 bytes behind the heartbeat fit');
  q.push(chunk(1, 20_000));
  assert.is(q.dropped, 3, 'the heartbeat dropped: 40,000 bytes behind it, the removed answers no longer counted out');
  q.push(chunk(2, 20_000));
  assert.is(q.dropped, 4);
  assert.equal(kinds(q.take()), ['chunk1', 'chunk2']);
  q.push(answer(9));
  q.clear();
  assert.is(q.bytes, 0);
  q.push(answer(3));
  q.push(chunk(3, 30_000));
  q.push(chunk(4, 30_000));
  assert.equal(kinds(q.take()), ['answer3', 'chunk4']);
});

test.run();
