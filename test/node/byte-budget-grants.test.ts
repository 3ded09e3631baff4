// From a mutation review of src/byte-budget.ts: an exact fit is granted; a release grants every
// waiter that now fits, in turn; a waiter timing out at the head lets the smaller ones behind it
// through; and a granted waiter's timer does not later drop another waiter from the queue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteBudget } from '../../src/byte-budget.js';

/** The promise's value, or 'pending' if it has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)))]).finally(() => clearTimeout(timer));
}

test('ByteBudget: a request that fills the budget exactly is granted', () => {
  const b = new ByteBudget(10);
  assert.ok(b.tryTake(6));
  assert.ok(b.tryTake(4));
  assert.is(b.inUse, 10);
  assert.not.ok(b.tryTake(1));
});

test('ByteBudget: one release grants every waiter that now fits, in turn', async () => {
  const b = new ByteBudget(10);
  assert.ok(b.tryTake(10));
  const first = b.take(3, 1000);
  const second = b.take(3, 1000);
  const third = b.take(3, 1000);
  b.release(10);
  assert.equal(await within(Promise.all([first, second, third]), 200), [true, true, true]);
  assert.is(b.inUse, 9);
});

test('ByteBudget: a waiter that times out at the head of the queue lets the smaller ones behind it through', async () => {
  const b = new ByteBudget(10);
  assert.ok(b.tryTake(6));
  const big = b.take(8, 20);
  const small = b.take(2, 2000);
  assert.is(await big, false);
  assert.is(await within(small, 200), true, 'granted once the big one gave up, without waiting for a release');
  assert.is(b.inUse, 8);
});

test('ByteBudget: a granted waiter\'s deadline passing later does not drop another waiter', async () => {
  const b = new ByteBudget(10);
  assert.ok(b.tryTake(10));
  const early = b.take(5, 50);
  b.release(10);
  assert.is(await early, true); // granted long before its 50 ms deadline
  const big = b.take(10, 5000); // waits behind the 5 in use
  const small = b.take(1, 5000); // waits behind big
  await new Promise((resolve) => setTimeout(resolve, 100)); // past early's deadline
  b.release(5);
  assert.is(await within(big, 500), true);
  b.release(10);
  assert.is(await within(small, 500), true, 'still queued, and granted once there is room');
  b.release(1);
  assert.is(b.inUse, 0);
});

test.run();
