// FlushScheduler: sends in one turn coalesce into one flush per key at the next setImmediate;
// flushNow() flushes at once and cancels the pending immediate (no second, empty round);
// scheduleWithin() flushes a key after a delay unless an earlier flush of it made that moot.
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

test('scheduleWithin() flushes the key once its delay has passed', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.scheduleWithin('a', 20);
  s.scheduleWithin('a', 20);
  await nextImmediate();
  assert.equal(flushed, [], 'not at the next immediate');
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(flushed, ['a'], 'once, after the delay');
  s.close();
});

test('a flush of the key before the delay ends cancels the delayed one (it rode along)', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.scheduleWithin('a', 20);
  s.scheduleWithin('b', 20);
  s.schedule('a');
  await nextImmediate();
  assert.equal(flushed, ['a']);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(flushed, ['a', 'b'], 'a is not flushed again; b is flushed by its timer');
  s.close();
});

test('close() cancels delayed flushes', async () => {
  const flushed: string[] = [];
  const s = new FlushScheduler((k) => flushed.push(k));
  s.scheduleWithin('a', 10);
  s.close();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(flushed, []);
});

test.run();
