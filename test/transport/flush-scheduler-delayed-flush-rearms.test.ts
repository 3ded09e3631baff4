// From a mutation review of the transport: a key's delayed flush can be asked for again once the previous one is
// over, whether its timer fired or an earlier flush of the key made it moot. Existing tests armed
// each key once; with the timer left in the map (after it fired, or after run() cancelled it),
// every later scheduleWithin() of that key was a no-op, and its messages waited for some
// unrelated schedule() of the same peer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlushScheduler } from '../../src/transport/flush-scheduler.js';
import { sleep, waitFor } from './fixtures.js';

test('scheduleWithin() works again after its timer fired', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  try {
    s.scheduleWithin('a', 5);
    await waitFor('first delayed flush', () => flushed.length === 1);
    s.scheduleWithin('a', 5);
    await waitFor('second delayed flush', () => flushed.length === 2, 2000);
    assert.equal(flushed, ['a', 'a']);
  } finally {
    s.close();
  }
});

test('scheduleWithin() works again after an immediate flush of the key cancelled the delayed one', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  try {
    s.scheduleWithin('a', 10_000);
    s.schedule('a');
    await waitFor('the immediate flush', () => flushed.length === 1);
    s.scheduleWithin('a', 5);
    await waitFor('the new delayed flush', () => flushed.length === 2, 2000);
    assert.equal(flushed, ['a', 'a']);
    await sleep(30);
    assert.equal(flushed, ['a', 'a'], 'and only once');
  } finally {
    s.close();
  }
});

test.run();
