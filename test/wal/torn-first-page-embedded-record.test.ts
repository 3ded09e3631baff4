// A torn final write is cut, never refused, whatever its entry data holds. An O_DSYNC write of
// several pages can be torn with its FIRST page unwritten (zeros in a preallocated segment) and
// later pages written: recovery then searches for a valid record from the torn record's offset + 1,
// inside its data. It found a record embedded in a client's value there and refused to open, so the
// member could not restart without manual repair (found in review). Records are now checksummed
// under their segment's random salt, which a client cannot know: the embedded record (built here
// with salt 0, a format-1 record) does not check out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Wal, segmentFileName } from '../../wal/index.js';
import { encodeUpdate, SEGMENT_HEADER_BYTES, updateRecordBytes } from '../../wal/record.js';
import { makeEntries } from './helpers.js';

const PAGE = 4096;

test('a torn final record whose first page never reached the disk is cut, even if its data embeds a record', async () => {
  const OPTIONS = { sync: 'none' as const, segmentBytes: 1 << 20, cacheBytes: 0 };
  const dir = await mkdtemp(join(tmpdir(), 'tsraft-rv-torn-'));
  const copy = await mkdtemp(join(tmpdir(), 'tsraft-rv-torn-copy-'));
  try {
    const wal = await Wal.open(dir, OPTIONS);
    const hs = { term: 1, vote: 0, commit: 0 };
    const first = makeEntries(1, 5, 1);
    await wal.save({ entries: first, hardState: hs });
    // A client value (a KV PUT body, say) holding the bytes of a hard-state-only record, placed
    // past the first page of the record that carries it.
    const embedded = Buffer.alloc(updateRecordBytes(hs, []));
    encodeUpdate(embedded, 0, hs, [], 0);
    const payload = Buffer.concat([Buffer.alloc(9000, 0x41), embedded, Buffer.alloc(500, 0x42)]);
    const entry = { index: 6, term: 1, type: 0, data: payload };
    const recordStart = SEGMENT_HEADER_BYTES + updateRecordBytes(hs, first);
    await wal.save({ entries: [entry] });
    for (const n of await readdir(dir)) if (n.endsWith('.wal')) await cp(join(dir, n), join(copy, n));
    await wal.close();

    // The crash tore the write of record 2: its first page never reached the disk (still the
    // preallocated zeros); the later pages did.
    const file = join(copy, segmentFileName(1));
    const bytes = await readFile(file);
    assert.ok(recordStart < PAGE && recordStart + updateRecordBytes(undefined, [entry]) > 2 * PAGE);
    bytes.fill(0, recordStart, PAGE);
    await writeFile(file, bytes);

    const reopened = await Wal.open(copy, OPTIONS);
    try {
      assert.is(reopened.lastIndex, 5, 'the log ends at the last whole record');
      assert.ok(reopened.recovery.tornTailBytes > 0, 'the torn record was cut');
    } finally {
      await reopened.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(copy, { recursive: true, force: true });
  }
});

test('the same torn record without an embedded record is cut', async () => {
  const OPTIONS = { sync: 'none' as const, segmentBytes: 1 << 20, cacheBytes: 0 };
  const dir = await mkdtemp(join(tmpdir(), 'tsraft-rv-torn-'));
  try {
    const wal = await Wal.open(dir, OPTIONS);
    const hs = { term: 1, vote: 0, commit: 0 };
    const first = makeEntries(1, 5, 1);
    await wal.save({ entries: first, hardState: hs });
    const entry = { index: 6, term: 1, type: 0, data: Buffer.alloc(9000, 0x41) };
    const recordStart = SEGMENT_HEADER_BYTES + updateRecordBytes(hs, first);
    await wal.save({ entries: [entry] });
    const file = join(dir, segmentFileName(1));
    const bytes = await readFile(file);
    await wal.close();
    // close() trimmed the file; a crash would have left it preallocated: restore that.
    const full = Buffer.alloc(1 << 20);
    bytes.copy(full);
    full.fill(0, recordStart, PAGE);
    await writeFile(file, full);
    const reopened = await Wal.open(dir, OPTIONS);
    assert.is(reopened.lastIndex, 5);
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
