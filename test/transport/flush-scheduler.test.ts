// FlushScheduler: sends in one turn coalesce into one flush per key at the next setImmediate;
// flushNow() flushes at once and cancels the pending immediate (no second, empty round).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlushScheduler } from '../../src/transport/flush-scheduler.js';

const nextImmediate = () => new Promise((r) => setImmediate(r));

test('keys marked in one turn are flushed once each, in first-marked order, at the next setImmediate', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.schedule('b');
  s.schedule('a');
  s.schedule('b');
  assert.equal(flushed, []);
  await nextImmediate();
  assert.equal(flushed, ['b', 'a']);
});

test('flushNow() flushes synchronously and the scheduled immediate does not flush again', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.schedule('a');
  s.schedule('c');
  s.flushNow();
  assert.equal(flushed, ['a', 'c']);
  await nextImmediate();
  await nextImmediate();
  assert.equal(flushed, ['a', 'c'], 'nothing more');
  s.schedule('a');
  await nextImmediate();
  assert.equal(flushed, ['a', 'c', 'a'], 'scheduling works again afterwards');
});

test('after close() nothing is flushed', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.schedule('a');
  s.close();
  s.schedule('b');
  await nextImmediate();
  assert.equal(flushed, []);
});

test.run();
