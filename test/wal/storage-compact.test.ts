// From a mutation review of src/storage.ts (WalStorage) and the WAL's cache, compaction and term index.
// Review (mutation testing of src/storage.ts, WalStorage.compact): after a local snapshot at
// meta.index, compaction drops whole segments before meta.index + 1 - trailing and never past
// keepFrom. Rules pinned, at exact segment boundaries:
// - the `trailing` entries before the snapshot's end stay (entry meta.index + 1 - trailing is kept);
// - every whole segment entirely before that entry goes (no segment more is kept);
// - keepFrom bounds it: entry keepFrom is kept whatever trailing says.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { WalStorage } from '../../src/storage.js';
import type { Entry } from '../../src/core/messages.js';
import { parseSegmentFileName } from '../../wal/files.js';
import { makeEntries, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

const meta = (index: number, term: number) => ({ index, term, membership: [], size: 0 });

/**
 * A storage with entries 1..60 in small segments (several entries each), and the first index of
 * every segment, in order.
 */
async function openSegmented(): Promise<{ storage: WalStorage; firsts: number[] }> {
  const dir = await tempDir('tsraft-review-compact-');
  dirs.push(dir);
  const storage = await WalStorage.open(dir, { sync: 'none', segmentBytes: 512, preallocate: false });
  for (let i = 1; i <= 60; i += 2) await storage.persist(makeEntries(i, i + 1, 1, 40) as Entry[], { term: 1, vote: 0, commit: i + 1 });
  const firsts = (await readdir(dir))
    .map((name) => parseSegmentFileName(name))
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  assert.ok(firsts.length >= 6, `segments start at ${firsts.join(',')}`);
  assert.ok(firsts.slice(1).every((f, k) => f - firsts[k]! >= 2), `several entries a segment: ${firsts.join(',')}`);
  return { storage, firsts };
}

test('compact keeps exactly the trailing entries: the oldest one needed is kept, and every segment wholly before it goes', async () => {
  const { storage, firsts } = await openSegmented();
  try {
    const [, , b, c] = firsts as [number, number, number, number];
    // The oldest entry to keep is the last of segment b: segment b stays, the ones before go.
    await storage.compact(meta(c - 1 + 5, 1), 6);
    assert.is(storage.firstIndex(), b, `entry ${c - 1} must stay (segments at ${firsts.join(',')})`);
    // The oldest entry to keep starts segment c: everything before c goes.
    await storage.compact(meta(c + 5, 1), 6);
    assert.is(storage.firstIndex(), c, `segments wholly before entry ${c} go (segments at ${firsts.join(',')})`);
    assert.is(storage.snapshot().index, c + 5);
    assert.is(storage.term(c - 1), 1, 'the term before the first entry stays known');
  } finally {
    await storage.close();
  }
});

test('compact never drops entry keepFrom, however few trailing entries are asked for', async () => {
  const { storage, firsts } = await openSegmented();
  try {
    const [, b, c] = firsts as [number, number, number];
    await storage.compact(meta(55, 1), 0, c - 1);
    assert.is(storage.firstIndex(), b, `entry ${c - 1} (keepFrom) must stay (segments at ${firsts.join(',')})`);
    await storage.compact(meta(56, 1), 0, c);
    assert.is(storage.firstIndex(), c);
    assert.equal(storage.snapshot(), meta(56, 1));
  } finally {
    await storage.close();
  }
});

test.run();
