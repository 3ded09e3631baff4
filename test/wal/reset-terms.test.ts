// From a mutation review of src/storage.ts (WalStorage) and the WAL's cache, compaction and term index.
// Review (mutation testing of wal/wal.ts reset and wal/term-index.ts): reset forgets the term of
// every index of the old log. Rule pinned: after a reset back below the end of the current log (a
// follower installing a snapshot its longer, divergent log does not match), term(i) of every entry
// saved afterwards is the term it was saved with, never a term the old log had at that index; and
// reopening agrees.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wal } from '../../wal/index.js';
import { makeEntries, makeEntry, removeDir, tempDir } from './helpers.js';

test('after a reset below the end of the log, entries saved again have the terms they were saved with', async () => {
  const dir = await tempDir('tsraft-review-reset-');
  let wal = await Wal.open(dir, { sync: 'none', preallocate: false });
  try {
    // The old log: 1..4 in term 1, 5..9 in term 2, 10..12 in term 3.
    await wal.save({ entries: [...makeEntries(1, 4, 1), ...makeEntries(5, 9, 2), ...makeEntries(10, 12, 3)] });
    await wal.reset(3, 2);
    assert.is(wal.term(3), 2);
    await wal.save({ entries: [makeEntry(4, 2), ...makeEntries(5, 6, 3)] });
    const expected = [[3, 2], [4, 2], [5, 3], [6, 3]];
    assert.equal(expected.map(([i]) => [i, wal.term(i!)]), expected, 'terms in memory');
    assert.is(wal.term(7), undefined, 'the old entries past the end are gone');
    await wal.close();
    wal = await Wal.open(dir, { sync: 'none', preallocate: false });
    assert.equal(expected.map(([i]) => [i, wal.term(i!)]), expected, 'terms after reopening');
  } finally {
    await wal.close();
    await removeDir(dir);
  }
});

test.run();
