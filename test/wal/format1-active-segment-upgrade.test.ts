// After an upgrade, the active segment written by an older version (format 1, no salt) took
// appends under salt 0 until it filled, so a client's value embedding a salt-0 record could still
// make a torn final write look like damage followed by a valid record, and the log refused to
// open (found in review). Wal.open now rolls to a new, salted segment when the active one has no
// salt: the next append lands there, and its torn write is cut.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Wal, segmentFileName } from '../../wal/index.js';
import { checkFrame, decodeSegmentHeader, encodeUpdate, SEGMENT_HEADER_BYTES, updateRecordBytes } from '../../wal/record.js';
import { crc32c } from '../../wal/crc32c.js';
import { makeEntries } from './helpers.js';

const PAGE = 4096;

/** Rewrites a segment file as the older version wrote it: format 1, no salt, records checksummed from 0. */
async function toFormat1(file: string): Promise<void> {
  const buf = await readFile(file);
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') throw new Error(header);
  let pos = SEGMENT_HEADER_BYTES;
  for (let end = checkFrame(buf, pos, buf.length, header.salt); end > 0; end = checkFrame(buf, pos, buf.length, header.salt)) {
    buf.writeUInt32LE(crc32c(buf, 0, pos + 12, end), pos + 4);
    buf.writeUInt32LE(crc32c(buf, 0, pos, pos + 8), pos + 8);
    pos = end;
  }
  buf.writeUInt16LE(1, 4);
  buf.writeUInt32LE(0, 56);
  buf.writeUInt32LE(crc32c(buf, 0, 0, 60), 60);
  await writeFile(file, buf);
}

test('upgraded log: appends go to a new salted segment at once, so a torn final record whose data embeds an unsalted record is cut, not refused', async () => {
  const OPTIONS = { sync: 'none' as const, segmentBytes: 1 << 20, cacheBytes: 0 };
  const dir = await mkdtemp(join(tmpdir(), 'tsraft-review2-f1-'));
  const copy = await mkdtemp(join(tmpdir(), 'tsraft-review2-f1-copy-'));
  try {
    const hs = { term: 1, vote: 0, commit: 0 };
    const first = makeEntries(1, 5, 1);
    // Written by the older version (format 1).
    const old = await Wal.open(dir, OPTIONS);
    await old.save({ entries: first, hardState: hs });
    await old.close();
    const file = join(dir, segmentFileName(1));
    const closedSize = (await readFile(file)).length;
    await toFormat1(file);
    // Preallocated again, as the older version's segment would be on disk.
    const grown = Buffer.alloc(1 << 20);
    (await readFile(file)).copy(grown);
    await writeFile(file, grown);
    // The new version opens it and appends to it.
    const wal = await Wal.open(dir, OPTIONS);
    assert.is(wal.lastIndex, 5);
    const embedded = Buffer.alloc(updateRecordBytes(hs, []));
    encodeUpdate(embedded, 0, hs, [], 0);
    const payload = Buffer.concat([Buffer.alloc(9000, 0x41), embedded, Buffer.alloc(500, 0x42)]);
    const entry = { index: 6, term: 1, type: 0, data: payload };
    await wal.save({ entries: [entry] });
    for (const n of await readdir(dir)) if (n.endsWith('.wal')) await cp(join(dir, n), join(copy, n));
    await wal.close();
    void closedSize;
    const newest = join(copy, segmentFileName(6));
    const bytes = await readFile(newest);
    assert.is(bytes.readUInt16LE(4), 2, 'the append went to a new format-2 segment');
    assert.is((await readFile(join(copy, segmentFileName(1)))).readUInt16LE(4), 1, 'the old segment is left as it was');
    const recordStart = SEGMENT_HEADER_BYTES;
    assert.ok(recordStart + updateRecordBytes(undefined, [entry]) > 2 * PAGE);
    bytes.fill(0, recordStart, PAGE); // the torn write's first page never reached the disk
    await writeFile(newest, bytes);
    const reopened = await Wal.open(copy, OPTIONS);
    try {
      assert.is(reopened.lastIndex, 5, 'the log ends at the last whole record');
    } finally {
      await reopened.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(copy, { recursive: true, force: true });
  }
});

test.run();
