// From a mutation review of Wal.deleteSegments: a truncateAfter(i) or reset(i, t) whose new
// segment has the name of an existing one (<i + 1>.wal) replaces it by the rename; deleting the
// dead segments afterwards must skip that path, or it unlinks the new, live segment and every
// entry saved after it is gone at the next open. Only an fsync-bookkeeping test caught this.
// Also: truncating at the last entry of a sealed segment must leave that entry readable from disk
// at once (Segment.dropEntriesAfter when nothing is dropped; `keep > count` there survived).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { Wal, segmentFileName } from '../../wal/index.js';
import { isIntact, makeEntries, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

// No cache: reads go to the disk, through the segments' in-memory offsets.
const OPTIONS = { segmentBytes: 512, sync: 'always' as const, cacheBytes: 0 };

/** A log of entries 1..60 (term 1) in several segments; returns it and the first index of its third segment. */
async function severalSegments(): Promise<{ wal: Wal; dir: string; boundary: number }> {
  const dir = await tempDir('tsraft-wal-review-replace-');
  dirs.push(dir);
  const wal = await Wal.open(dir, OPTIONS);
  for (let i = 1; i <= 60; i += 3) await wal.save({ entries: makeEntries(i, i + 2, 1) });
  const names = (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
  assert.ok(names.length >= 4, names.join());
  return { wal, dir, boundary: Number(names[2].slice(0, 20)) };
}

test('truncateAfter(i) where <i+1>.wal exists: the new segment replaces it, stays on disk, and entries saved after reopen', async () => {
  const { wal, dir, boundary } = await severalSegments();
  await wal.truncateAfter(boundary - 1);
  assert.ok((await readdir(dir)).includes(segmentFileName(boundary)), 'the new segment file is there');
  // The kept segment now ends exactly at the truncation point: its last entry still reads back.
  const kept = await wal.entries(boundary - 3, boundary);
  assert.equal(kept.map((e) => e.index), [boundary - 3, boundary - 2, boundary - 1]);
  assert.ok(kept.every((e) => e.term === 1 && isIntact(e)), 'entries up to the truncation point read intact before reopen');
  await wal.save({ entries: makeEntries(boundary, boundary + 4, 2) });
  await wal.close();
  const reopened = await Wal.open(dir, OPTIONS);
  try {
    assert.is(reopened.firstIndex, 1);
    assert.is(reopened.lastIndex, boundary + 4);
    const entries = await reopened.entries(1, boundary + 5);
    entries.forEach((e, k) => {
      assert.is(e.index, k + 1);
      assert.is(e.term, e.index < boundary ? 1 : 2, `term of ${e.index}`);
      assert.ok(isIntact(e), `entry ${e.index} intact`);
    });
  } finally {
    await reopened.close();
  }
});

test('reset(i, t) where <i+1>.wal exists: the reset segment replaces it, stays on disk, and entries saved after reopen', async () => {
  const { wal, dir, boundary } = await severalSegments();
  await wal.reset(boundary - 1, 5);
  assert.equal((await readdir(dir)).filter((n) => n.endsWith('.wal')), [segmentFileName(boundary)]);
  await wal.save({ entries: makeEntries(boundary, boundary + 2, 5) });
  await wal.close();
  const reopened = await Wal.open(dir, OPTIONS);
  try {
    assert.is(reopened.firstIndex, boundary);
    assert.is(reopened.lastIndex, boundary + 2);
    assert.is(reopened.term(boundary - 1), 5);
    const entries = await reopened.entries(boundary, boundary + 3);
    assert.ok(entries.every((e) => e.term === 5 && isIntact(e)));
  } finally {
    await reopened.close();
  }
});

test.run();
