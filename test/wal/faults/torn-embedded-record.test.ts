// A torn final write is cut even when its entry data holds the bytes of a valid WAL record (any
// client can store such bytes as a KV value). After a damaged record in the last segment,
// recovery looks for a later valid record to tell a torn tail from damage followed by good data;
// it used to look inside the torn record too, and refused to open (regression, found in review).
// With the damaged record's frame header intact, it now looks only past the record's length.
// Every check runs outside any try (a test audit found them inside one whose catch kept the
// error, so a failed check or a refusal of another class passed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Wal, segmentFileName } from '../../../wal/index.js';
import { encodeUpdate, SEGMENT_HEADER_BYTES, updateRecordBytes } from '../../../wal/record.js';
import { isIntact, makeEntries } from '../helpers.js';

for (const preallocate of [true, false]) {
  test(`a torn final record whose entry data embeds a record is cut: reopens at 5 with 1-5 intact, the cut reported (preallocate ${preallocate})`, async () => {
    const OPTIONS = { sync: 'none' as const, segmentBytes: 1 << 20, preallocate, cacheBytes: 0 };
    const dir = await mkdtemp(join(tmpdir(), 'tsraft-audit-embed-'));
    const copy = await mkdtemp(join(tmpdir(), 'tsraft-audit-embed-copy-'));
    try {
      const wal = await Wal.open(dir, OPTIONS);
      await wal.save({ entries: makeEntries(1, 5, 1), hardState: { term: 1, vote: 0, commit: 0 } });
      const hs = { term: 1, vote: 0, commit: 0 };
      const embedded = Buffer.alloc(updateRecordBytes(hs, []));
      encodeUpdate(embedded, 0, hs, [], 0);
      const payload = Buffer.concat([Buffer.from('set k '), embedded, Buffer.alloc(200, 0x41)]);
      const recordStart = SEGMENT_HEADER_BYTES + updateRecordBytes(hs, makeEntries(1, 5, 1));
      const recordBytes = updateRecordBytes(undefined, [{ index: 6, term: 1, type: 0, data: payload }]);
      await wal.save({ entries: [{ index: 6, term: 1, type: 0, data: payload }] });
      for (const n of await readdir(dir)) if (n.endsWith('.wal')) await cp(join(dir, n), join(copy, n));
      await wal.close();

      const file = join(copy, segmentFileName(1));
      const bytes = await readFile(file);
      const tornFrom = recordStart + recordBytes - 100;
      if (preallocate) bytes.fill(0, tornFrom, recordStart + recordBytes);
      await writeFile(file, preallocate ? bytes : bytes.subarray(0, tornFrom));

      const reopened = await Wal.open(copy, OPTIONS); // any refusal fails the test
      try {
        assert.is(reopened.lastIndex, 5, 'opens at the record before the torn one');
        assert.ok(reopened.recovery.tornTailBytes > 0, `the torn record is reported cut (${reopened.recovery.tornTailBytes})`);
        const entries = await reopened.entries(1, 6);
        assert.equal(entries.map((e) => e.index), [1, 2, 3, 4, 5], 'every acknowledged entry is there');
        assert.ok(entries.every((e) => isIntact(e)), 'and intact');
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(copy, { recursive: true, force: true });
    }
  });
}

test.run();
