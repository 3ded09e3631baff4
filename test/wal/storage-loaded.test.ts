// From a mutation review of src/storage.ts (WalStorage) and the WAL's cache, compaction and term index.
// Review (mutation testing of src/storage.ts): the range WalStorage.load() reads from disk for the
// core (`loaded`) is served by entries() with the same rules as the WAL's own reads, and never
// outlives a change to the indices it holds. Rules pinned:
// - entries(lo, hi, maxBytes) from the loaded range is half-open [lo, hi), stops before the entry
//   that would bring the data over maxBytes, and returns at least one entry;
// - a truncation by persist() and a snapshot install drop the loaded range: entries written at
//   those indices afterwards are never answered with the entries they replaced.
// cacheBytes 0 disables the WAL's cache, so every read of these tests goes through `loaded`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WalStorage } from '../../src/storage.js';
import type { Entry } from '../../src/core/messages.js';
import { makeEntries, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

/** A storage without an entry cache holding entries 1..10 of term 1, 10 data bytes each. */
async function openWithTen(): Promise<WalStorage> {
  const dir = await tempDir('tsraft-review-loaded-');
  dirs.push(dir);
  const storage = await WalStorage.open(dir, { sync: 'none', cacheBytes: 0, preallocate: false });
  await storage.persist(makeEntries(1, 10, 1, 10) as Entry[], { term: 1, vote: 0, commit: 0 });
  return storage;
}

const indices = (entries: readonly Entry[] | undefined): number[] | undefined => entries?.map((e) => e.index);

test('entries() from the loaded range is half-open: [2, 5) is entries 2, 3 and 4', async () => {
  const storage = await openWithTen();
  try {
    assert.is(storage.entries(2, 5, Infinity), undefined, 'not in memory before load');
    await storage.load(1, 11);
    assert.equal(indices(storage.entries(2, 5, Infinity)), [2, 3, 4]);
  } finally {
    await storage.close();
  }
});

test('entries() from the loaded range stops at maxBytes but returns at least one entry', async () => {
  const storage = await openWithTen();
  try {
    await storage.load(1, 11);
    assert.equal(indices(storage.entries(1, 11, 0)), [1], 'maxBytes below the first entry: that entry alone');
    assert.equal(indices(storage.entries(2, 11, 30)), [2, 3, 4], 'exactly maxBytes of data: all three');
    assert.equal(indices(storage.entries(5, 11, 29)), [5, 6], 'one byte short of the third');
  } finally {
    await storage.close();
  }
});

test('a persist that truncates the log drops the loaded range: the new entries at those indices are never answered with the old ones', async () => {
  const storage = await openWithTen();
  try {
    await storage.load(1, 11);
    assert.equal(indices(storage.entries(1, 3, Infinity)), [1, 2], 'served in part: the rest stays loaded');
    // A new leader's entries replace 5..10 from index 5 on, in term 2.
    await storage.persist(makeEntries(5, 7, 2, 10) as Entry[], { term: 2, vote: 0, commit: 0 });
    const got = storage.entries(5, 8, Infinity);
    assert.ok(got === undefined || got.every((e) => e.term === 2), `entries 5..7 answered with terms ${got?.map((e) => e.term).join(',')}`);
    await storage.load(5, 8);
    assert.equal(storage.entries(5, 8, Infinity)?.map((e) => [e.index, e.term]), [[5, 2], [6, 2], [7, 2]]);
  } finally {
    await storage.close();
  }
});

test('installing a snapshot drops the loaded range: entries appended after the snapshot are never answered with the old log', async () => {
  const storage = await openWithTen();
  try {
    await storage.load(1, 11);
    assert.equal(indices(storage.entries(1, 2, Infinity)), [1], 'served in part: the rest stays loaded');
    // A snapshot at 3 in term 2 (the log diverged after it), then the leader's entries 4..8 in term 2:
    // they continue the reset log, so persist truncates nothing.
    await storage.installSnapshot({ index: 3, term: 2, membership: [], size: 0 }, { term: 2, vote: 0, commit: 3 });
    await storage.persist(makeEntries(4, 8, 2, 10) as Entry[], undefined);
    const got = storage.entries(4, 9, Infinity);
    assert.ok(got === undefined || got.every((e) => e.term === 2), `entries 4..8 answered with terms ${got?.map((e) => e.term).join(',')}`);
    await storage.load(4, 9);
    assert.equal(storage.entries(4, 9, Infinity)?.map((e) => e.term), [2, 2, 2, 2, 2]);
  } finally {
    await storage.close();
  }
});

test('installing a snapshot ahead of the commit index moves the commit index to the snapshot', async () => {
  const storage = await openWithTen();
  try {
    await storage.installSnapshot({ index: 8, term: 2, membership: [], size: 0 }, { term: 2, vote: 0, commit: 2 });
    assert.equal(storage.initialState().hardState, { term: 2, vote: 0, commit: 8 });
    assert.is(storage.firstIndex(), 9);
    assert.is(storage.lastIndex(), 8);
    assert.is(storage.term(8), 2);
    assert.equal(storage.snapshot().index, 8);
  } finally {
    await storage.close();
  }
});

test.run();
