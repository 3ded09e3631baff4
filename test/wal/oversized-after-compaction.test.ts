// Found in review (EntryCache's `oversized` slot): a disk read that was in flight while
// compactBefore ran caches what it read after compaction's forgetCached(oldFirst, first - 1) has
// run (readRange only checks `generation`, which compaction does not bump). In the LRU such a
// stale run was evicted in time; in the oversized slot it stays until another oversized entry
// comes (or a reset): a compacted entry larger than the whole budget pinned for good, since no
// later forgetCached covers an index below the log's first index.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wal } from '../../wal/index.js';
import { Segment } from '../../wal/segment.js';
import { makeEntries, makeEntry, removeDir, tempDir } from './helpers.js';

const BIG = 100 * 1024;

test('an oversized entry read while its segment is compacted away is not kept in the cache', async () => {
  const dir = await tempDir('tsraft-oversized-');
  const proto = Segment.prototype as unknown as { read: (start: number, end: number) => Promise<Buffer> };
  const originalRead = proto.read;
  let wal: Wal | undefined;
  try {
    wal = await Wal.open(dir, { segmentBytes: 4096, preallocate: false, sync: 'none', cacheBytes: 64 * 1024 });
    await wal.save({ entries: [makeEntry(1, 1, BIG)] }); // oversized: the cache's slot
    await wal.save({ entries: [makeEntry(2, 1, BIG)] }); // replaces it in the slot (own segment)
    await wal.save({ entries: makeEntries(3, 5, 1, 10) }); // small entries, a segment of their own
    await wal.compactBefore(2); // drops segment 1 (and forgets index 1): entry 1 is on disk only now
    assert.is(wal.firstIndex, 2);

    // Hold the read of entry 2 from disk until the compaction of its segment has finished.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reading!: () => void;
    const started = new Promise<void>((resolve) => (reading = resolve));
    proto.read = async function (this: Segment, start: number, end: number) {
      reading();
      await gate;
      return originalRead.call(this, start, end);
    };
    // Entry 2 is still in the slot: push it out with another oversized entry, then read 2 from disk.
    await wal.save({ entries: [makeEntry(6, 1, BIG)] });
    await wal.save({ entries: makeEntries(7, 8, 1, 10) });
    const read = wal.entries(2, 3);
    await started;
    await wal.compactBefore(6); // deletes the segments of 2..5 and forgets [2, 5]
    release();
    const [entry] = await read;
    proto.read = originalRead;
    assert.is(entry!.index, 2, 'the read itself is served');
    assert.is(wal.firstIndex, 6);

    // A later compaction does not drop it either (forgetCached starts at the current firstIndex).
    await wal.save({ entries: makeEntries(9, 12, 1, 10) });
    await wal.compactBefore(9);
    const bytes = wal.cacheStats.bytes;
    assert.ok(bytes < BIG, `after compacting past every big entry the cache still holds ${bytes} bytes (a compacted entry pinned in the oversized slot)`);
  } finally {
    proto.read = originalRead;
    await wal?.close();
    await removeDir(dir);
  }
});

test.run();
