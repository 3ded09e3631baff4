// Mutation review of KvStore's chunked fold (src/kv/store.ts, capture/release/foldSome): a fold
// scheduled for a later turn of the event loop must do nothing once its overlay is no longer the
// store's — replaced by replaceWith() (a recovered snapshot) or folded at once by a newer capture.
// Otherwise the old overlay's keys are written into the recovered map (a snapshot of it holds
// keys that were never in the snapshot it recovered), or the newer capture's overlay is dropped
// and the writes made while it is written change the contents it is writing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { KvStore } from '../../src/kv/index.js';
import { captureKv, recoverKv } from '../../src/kv/snapshot.js';
import { storeOf } from './helpers.js';

const sorted = (entries: Iterable<[string, Buffer]>): Array<[string, string]> =>
  [...entries].map(([k, v]): [string, string] => [k, v.toString('hex')]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A store of `n` keys `k<i>` = `v<i>`, captured, every key overwritten, and released: a fold of `n` changes in progress. */
function foldInProgress(n: number): KvStore {
  const s = new KvStore();
  for (let i = 0; i < n; i++) s.set(`k${i}`, Buffer.from(`v${i}`));
  const captured = s.capture();
  for (let i = 0; i < n; i++) s.set(`k${i}`, Buffer.from(`w${i}`));
  captured.release(); // folds one chunk now, schedules the rest
  return s;
}

test('replaceWith() during a fold: later turns add none of the old overlay keys to the new contents (entries, snapshot)', async () => {
  const s = foldInProgress(20_000);
  const recovered = storeOf([
    ['a', Buffer.from('1')],
    ['b', Buffer.from('2')],
  ]);
  s.replaceWith(recovered);
  for (let i = 0; i < 5; i++) await nextTurn();
  const expected = [
    ['a', Buffer.from('1').toString('hex')],
    ['b', Buffer.from('2').toString('hex')],
  ];
  assert.equal(sorted(s.entries()), expected, 'the store holds what it recovered, nothing of the old fold');
  // A snapshot of it restores the same contents.
  const pipe = new PassThrough();
  const restored = new KvStore();
  await Promise.all([captureKv(s)(pipe), recoverKv(restored, pipe)]);
  assert.equal(sorted(restored.entries()), expected, 'a snapshot of the store');
  assert.is(restored.size, 2);
  assert.is(restored.digest(), s.digest());
});

test('a capture taken while a released one folds holds still across later turns, while writes go on (the old fold must not end the new capture)', async () => {
  const s = foldInProgress(20_000);
  await nextTurn(); // a second chunk folded; the rest is scheduled
  const second = s.capture();
  const atCapture = sorted(s.entries());
  for (let i = 0; i < 5; i++) await nextTurn(); // the old fold's scheduled turns run
  for (let i = 0; i < 100; i++) s.set(`k${i}`, Buffer.from(`after${i}`));
  s.delete('k19999');
  s.set('new', Buffer.from('x'));
  assert.equal(sorted(second.entries()), atCapture, 'the capture holds the contents at its taking');
  second.release();
  for (let i = 0; i < 5; i++) await nextTurn();
  assert.is(s.get('k0')?.toString(), 'after0');
  assert.is(s.get('k19999'), undefined);
  assert.is(s.get('new')?.toString(), 'x');
  assert.is(s.size, 20_000);
});

test('a second release() of an old capture while a newer one is written changes nothing (the newer capture holds still)', () => {
  const s = storeOf([['a', Buffer.from('1')]]);
  const first = s.capture();
  s.set('a', Buffer.from('2'));
  first.release();
  const second = s.capture(); // folds the first at once
  first.release(); // a stray second release of the first
  s.set('a', Buffer.from('3'));
  s.set('b', Buffer.from('4'));
  void [...s.entries()]; // a read of the store while the second capture is written
  assert.equal(sorted(second.entries()), [['a', Buffer.from('2').toString('hex')]]);
  assert.throws(() => s.capture(), /still being written/, 'the second capture is still held');
  second.release();
  assert.equal(sorted(s.entries()), [
    ['a', Buffer.from('3').toString('hex')],
    ['b', Buffer.from('4').toString('hex')],
  ]);
});

test.run();
