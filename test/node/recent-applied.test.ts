// The ring of recently applied outcomes a late-positioned proposal is answered from (src/recent-applied.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecentApplied } from '../../src/recent-applied.js';

const outcome = (term: number, result: unknown = undefined) => ({ term, result, error: undefined });

test('remembers exactly the last capacity consecutive indices', () => {
  const ring = new RecentApplied(8);
  for (let i = 1; i <= 100; i++) ring.remember(i, outcome(1, i * 10));
  for (let i = 93; i <= 100; i++) assert.is(ring.get(i)?.result, i * 10, `index ${i}`);
  for (let i = 1; i <= 92; i++) assert.is(ring.get(i), undefined, `index ${i} was displaced`);
  assert.is(ring.get(101), undefined, 'an index not applied yet');
});

test('an index never applied reads as unknown, including 0 and indices past a jump', () => {
  const ring = new RecentApplied(4);
  assert.is(ring.get(0), undefined);
  ring.remember(3, outcome(2));
  ring.remember(1000, outcome(5)); // after a snapshot install, applying resumes far ahead
  assert.is(ring.get(3)?.term, 2);
  assert.is(ring.get(1000)?.term, 5);
  assert.is(ring.get(4), undefined);
  assert.is(ring.get(7), undefined, 'same slot as 3, other index');
});

test('keeps the error of a command that threw', () => {
  const ring = new RecentApplied(4);
  const error = new Error('boom');
  ring.remember(1, { term: 1, result: undefined, error });
  assert.is(ring.get(1)?.error, error);
});

test('a capacity that is not a positive integer is refused with a clear error', () => {
  assert.throws(() => new RecentApplied(0), /positive integer, got 0/);
  assert.throws(() => new RecentApplied(2.5), /positive integer/);
});

test.run();
