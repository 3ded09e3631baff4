// From a mutation review of Segment.create: when writing a new segment's header fails (EIO),
// the temporary file's handle must be closed: the Wal never lists that segment, so close() could
// not close it, and every failure would leak a descriptor (keeping a deleted directory's disk
// space). The failed operation rejects with WalIOError, the Wal refuses further use, and reopening
// gives exactly what was saved before, the leftover temporary file deleted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wal, WalIOError } from '../../wal/index.js';
import { failOnce, isIntact, makeEntries, openFilesIn, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

const OPERATIONS: { name: string; run: (wal: Wal) => Promise<unknown> }[] = [
  { name: 'a segment roll', run: (wal) => wal.save({ entries: makeEntries(6, 10, 1, 60) }) },
  { name: 'truncateAfter', run: (wal) => wal.truncateAfter(3) },
  { name: 'reset', run: (wal) => wal.reset(20, 2) },
];

for (const { name, run } of OPERATIONS) {
  test(`${name} whose new segment header write fails: the temp file is closed, the Wal refuses further use, reopen gives the saved log`, async () => {
    const dir = await tempDir('tsraft-wal-review-create-');
    dirs.push(dir);
    const options = { sync: 'always' as const, segmentBytes: 512, cacheBytes: 0 };
    let wal = await Wal.open(dir, options);
    await wal.save({ entries: makeEntries(1, 5, 1, 60), hardState: { term: 1, vote: 1, commit: 2 } });
    const inject = await failOnce('write', 'EIO');
    let error: unknown;
    try {
      await run(wal).catch((e) => (error = e));
    } finally {
      inject.restore();
    }
    assert.ok(inject.fired(), 'the header write was attempted');
    assert.instance(error, WalIOError);
    let later: unknown;
    await wal.save({ entries: makeEntries(6, 6, 1) }).catch((e) => (later = e));
    assert.instance(later, WalIOError, 'the Wal refuses further use');
    await wal.close();
    const left = await openFilesIn(dir);
    assert.equal(left, [], `files still open after close(): ${left.join(', ')}`);
    wal = await Wal.open(dir, options);
    try {
      assert.is(wal.recovery.deletedTempFiles, 1, 'the half-made segment is deleted at open');
      assert.is(wal.firstIndex, 1);
      assert.is(wal.lastIndex, 5);
      assert.equal(wal.hardState, { term: 1, vote: 1, commit: 2 });
      const entries = await wal.entries(1, 6);
      assert.ok(entries.every((e) => e.term === 1 && isIntact(e, 60)));
    } finally {
      await wal.close();
    }
  });
}

test.run();
