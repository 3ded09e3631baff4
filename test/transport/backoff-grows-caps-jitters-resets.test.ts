// From a mutation review of the transport: Backoff had no test of its own, and the stream tests passed with a
// backoff that never grew (attempt never counted) or never reset after a success. Delays must
// start at initialMs, grow by the multiplier per failure up to maxMs, be cut by at most the jitter
// fraction (never raised), and start over after reset().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Backoff, DEFAULT_BACKOFF } from '../../src/transport/backoff.js';

const delays = (b: Backoff, n: number): number[] => Array.from({ length: n }, () => b.next());

test('the defaults: 50 ms doubling up to 2 s, with 20 % jitter', () => {
  assert.equal(DEFAULT_BACKOFF, { initialMs: 50, maxMs: 2000, multiplier: 2, jitter: 0.2 });
  assert.equal(delays(new Backoff(DEFAULT_BACKOFF, () => 0), 8), [50, 100, 200, 400, 800, 1600, 2000, 2000]);
});

test('delays grow by the multiplier per failure and stay at maxMs, even after very many failures', () => {
  const b = new Backoff({ initialMs: 10, maxMs: 1000, multiplier: 3, jitter: 0 }, () => 0.7);
  assert.equal(delays(b, 6), [10, 30, 90, 270, 810, 1000]);
  for (let i = 0; i < 10_000; i++) b.next();
  assert.is(b.next(), 1000);
});

test('jitter only shortens a delay, by at most the jitter fraction', () => {
  const options = { initialMs: 100, maxMs: 10_000, multiplier: 2, jitter: 0.25 };
  assert.equal(delays(new Backoff(options, () => 0), 3), [100, 200, 400]);
  assert.equal(delays(new Backoff(options, () => 0.5), 3), [88, 175, 350]);
  assert.equal(delays(new Backoff(options, () => 0.9999), 3), [75, 150, 300]);
});

test('reset() starts again from initialMs', () => {
  const b = new Backoff({ initialMs: 20, maxMs: 200, multiplier: 2, jitter: 0 });
  assert.equal(delays(b, 5), [20, 40, 80, 160, 200]);
  b.reset();
  assert.equal(delays(b, 3), [20, 40, 80]);
  b.reset();
  b.reset();
  assert.is(b.next(), 20);
});

test.run();
