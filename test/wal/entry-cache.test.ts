// The run-based LRU entry cache: lookups, straddling forgets, the byte bound, the one entry larger
// than the budget kept beside it, and a model check
// (random adds, forgets and lookups against a Map: a lookup may miss, but never returns an entry
// other than the one last cached at that index and not forgotten since).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { EntryCache } from '../../wal/entry-cache.js';
import type { Entry } from '../../wal/types.js';

function run(first: number, count: number, tag = 0, bytes = 10): Entry[] {
  return Array.from({ length: count }, (_, k) => ({ index: first + k, term: tag, type: 0, data: new Uint8Array(bytes) }));
}

function entryAt(cache: EntryCache, index: number): Entry | undefined {
  const found = cache.lookup(index);
  return found ? found.run[index - found.start] : undefined;
}

test('lookup finds every entry of the runs added, and misses outside them', () => {
  const cache = new EntryCache(1 << 20);
  cache.add(run(1, 10));
  cache.add(run(11, 5));
  cache.add(run(30, 3));
  for (let i = 1; i <= 15; i++) assert.is(entryAt(cache, i)?.index, i);
  for (const i of [0, 16, 29, 33]) assert.is(cache.lookup(i), undefined, `index ${i}`);
  assert.ok(cache.has(12) && !cache.has(20));
  assert.is(cache.size, 18);
});

test('forget keeps the parts of a straddling run outside the range', () => {
  const cache = new EntryCache(1 << 20);
  cache.add(run(1, 20));
  cache.forget(5, 8);
  for (let i = 1; i <= 20; i++) assert.is(cache.has(i), i < 5 || i > 8, `index ${i}`);
  assert.is(cache.size, 16);
  cache.forget(10, Infinity);
  assert.is(cache.size, 5);
  cache.forget(0, 2);
  assert.equal([1, 2, 3, 4, 9].map((i) => cache.has(i)), [false, false, true, true, true]);
});

test('an add over cached indices replaces them (racing disk reads stay disjoint)', () => {
  const cache = new EntryCache(1 << 20);
  cache.add(run(5, 6, 1)); // 5..10
  cache.add(run(7, 6, 2)); // 7..12
  assert.equal([5, 6, 7, 12].map((i) => entryAt(cache, i)?.term), [1, 1, 2, 2]);
  assert.is(cache.size, 8);
});

test('the byte budget holds, least recently used runs go first, long saves are split', () => {
  const cache = new EntryCache(8192);
  for (let first = 1; first <= 1000; first += 10) {
    cache.add(run(first, 10));
    if (first > 1) cache.lookup(1); // keep the first run hot
    assert.ok(cache.bytes <= 8192, `${cache.bytes} bytes`);
  }
  assert.ok(cache.has(1), 'the recently used run survived');
  assert.ok(!cache.has(11), 'an old, unused run was evicted');
  assert.ok(cache.has(1000));
  const big = new EntryCache(8192);
  big.add(run(1, 200));
  assert.ok(big.has(200) && !big.has(1), 'a save larger than the budget keeps its tail runs');
});

test('an entry larger than the whole budget stays cached until another one, or a change at its index, replaces it', () => {
  const cache = new EntryCache(8192);
  cache.add(run(1, 5));
  cache.add(run(6, 1, 1, 20_000));
  assert.is(entryAt(cache, 6)?.data.byteLength, 20_000, 'the oversized entry is served from memory');
  assert.ok(cache.has(1) && cache.has(6), 'the runs within the budget stay too');
  assert.is(cache.size, 6);
  assert.ok(cache.bytes > 20_000, 'its bytes are counted');
  cache.add(run(7, 1, 1, 30_000));
  assert.ok(!cache.has(6) && cache.has(7), "the next oversized entry replaces it");
  cache.add(run(3, 1, 1, 30_000));
  assert.ok(cache.has(7) && !cache.has(3), "an older one (a catch-up read) does not push it out");
  cache.add(run(7, 1, 2));
  assert.is(entryAt(cache, 7)?.term, 2, 'a new entry at its index replaces it');
  cache.add(run(8, 1, 1, 30_000));
  cache.forget(8, Infinity);
  assert.ok(!cache.has(8), 'a truncation drops it');
  cache.add(run(9, 1, 1, 30_000));
  cache.clear();
  assert.ok(!cache.has(9) && cache.size === 0 && cache.bytes === 0, 'clear drops it');
});

test('model: lookups return the last entry cached at that index or miss', () => {
  type Op = { kind: 'add'; first: number; count: number; bytes: number } | { kind: 'forget'; from: number; to: number } | { kind: 'look'; index: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), first: fc.integer({ min: 1, max: 60 }), count: fc.integer({ min: 1, max: 20 }), bytes: fc.constantFrom(10, 10, 10, 3000) }),
    fc.record({ kind: fc.constant('forget' as const), from: fc.integer({ min: 0, max: 70 }), to: fc.integer({ min: 0, max: 70 }) }),
    fc.record({ kind: fc.constant('look' as const), index: fc.integer({ min: 0, max: 80 }) }),
  );
  fc.assert(
    fc.property(fc.constantFrom(600, 2000, 1 << 20), fc.array(op, { maxLength: 80 }), (budget, ops) => {
      const cache = new EntryCache(budget);
      const model = new Map<number, number>();
      let tag = 0;
      for (const o of ops) {
        if (o.kind === 'add') {
          tag++;
          cache.add(run(o.first, o.count, tag, o.bytes));
          for (let i = o.first; i < o.first + o.count; i++) model.set(i, tag);
        } else if (o.kind === 'forget') {
          cache.forget(o.from, o.to);
          for (let i = o.from; i <= o.to; i++) model.delete(i);
        } else {
          const got = entryAt(cache, o.index);
          if (got !== undefined) {
            assert.is(got.index, o.index);
            assert.is(got.term, model.get(o.index), `index ${o.index} returned a stale entry`);
          }
          assert.is(cache.has(o.index), got !== undefined);
        }
        // The budget, plus at most one run too big for it (a single 3,000-byte entry).
        assert.ok(cache.bytes <= budget + 3000 + 400, `${cache.bytes} bytes`);
        let counted = 0;
        for (let i = 0; i <= 80; i++) if (cache.has(i)) counted++;
        assert.is(cache.size, counted, 'size counts the cached entries');
      }
    }),
    { numRuns: 400 },
  );
});

test.run();
