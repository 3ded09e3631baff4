// From a mutation review of Wal.truncateAfter: truncateAfter(i) is allowed down to
// firstIndex - 1 (the entry before the log, whose term the first segment's header knows) and
// refused with WalCompactedError for anything lower, with nothing changed and the log still
// usable. The existing test only tried an index far below firstIndex, so letting firstIndex - 2
// through (a segment whose prevTerm is unknown) survived.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { Wal, WalCompactedError } from '../../wal/index.js';
import { isIntact, makeEntries, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

test('truncateAfter(firstIndex - 2) is refused with WalCompactedError and changes nothing; firstIndex - 1 empties the log', async () => {
  const dir = await tempDir('tsraft-wal-review-trunc-');
  dirs.push(dir);
  const options = { segmentBytes: 1024, sync: 'always' as const };
  let wal = await Wal.open(dir, options);
  try {
    await wal.reset(10, 3);
    await wal.save({ entries: makeEntries(11, 15, 3) });
    const files = (await readdir(dir)).sort();
    let error: unknown;
    await wal.truncateAfter(9).catch((e) => (error = e));
    assert.instance(error, WalCompactedError, 'index firstIndex - 2 is compacted');
    assert.equal((await readdir(dir)).sort(), files, 'no file created or deleted');
    assert.is(wal.firstIndex, 11);
    assert.is(wal.lastIndex, 15);
    assert.is(wal.term(10), 3);
    // Still usable: the refusal is not an I/O failure.
    await wal.save({ entries: makeEntries(16, 16, 3) });
    await wal.truncateAfter(10);
    assert.is(wal.lastIndex, 10);
    assert.is(wal.term(10), 3);
    await wal.save({ entries: makeEntries(11, 12, 4) });
    await wal.close();
    wal = await Wal.open(dir, options);
    assert.is(wal.firstIndex, 11);
    assert.is(wal.lastIndex, 12);
    assert.is(wal.term(10), 3);
    const entries = await wal.entries(11, 13);
    assert.equal(entries.map((e) => [e.index, e.term]), [[11, 4], [12, 4]]);
    assert.ok(entries.every((e) => isIntact(e)));
  } finally {
    await wal.close();
  }
});

test.run();
