// From a mutation review of recovery: checks at open that catch a log whose records or
// segment headers pass their checksums but do not fit together. A segment header whose prevTerm
// disagrees with the last entry before it (after compaction it alone answers term(firstIndex - 1),
// used by Raft's log matching), or a record that repeats indices or lowers the term, must make open
// refuse with WalCorruptionError, not be accepted. Removing each of these checks survived every
// existing test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, WalCorruptionError } from '../../wal/index.js';
import { decodeSegmentHeader, encodeSegmentHeader, encodeUpdate, SEGMENT_HEADER_BYTES, updateRecordBytes } from '../../wal/record.js';
import { makeEntries, removeDir, tempDir, writtenBytes } from './helpers.js';

const dirs: string[] = [];

/** Opens `dir` expecting WalCorruptionError, and returns it (closing the WAL if it did open). */
async function openRefusal(dir: string, options: Parameters<typeof Wal.open>[1]): Promise<WalCorruptionError> {
  let error: unknown;
  try {
    await (await Wal.open(dir, options)).close();
  } catch (e) {
    error = e;
  }
  assert.instance(error, WalCorruptionError, 'open refused');
  return error as WalCorruptionError;
}
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

test('a segment whose header prevTerm disagrees with the previous segment\'s last entry: open refuses with WalCorruptionError naming it', async () => {
  const dir = await tempDir('tsraft-wal-review-prevterm-');
  dirs.push(dir);
  const options = { segmentBytes: 512, sync: 'none' as const };
  const wal = await Wal.open(dir, options);
  for (let i = 1; i <= 30; i += 3) await wal.save({ entries: makeEntries(i, i + 2, 2) });
  await wal.close();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
  assert.ok(names.length >= 2, names.join());
  // Rewrite the second segment's header with prevTerm 1 instead of 2 (a valid header: its checksum
  // is redone; 1 is below its own entries' term, so only the check against the log before it sees it).
  const file = join(dir, names[1]);
  const handle = await open(file, 'r+');
  try {
    const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
    await handle.read(buf, 0, SEGMENT_HEADER_BYTES, 0);
    const header = decodeSegmentHeader(buf);
    if (typeof header === 'string') throw new Error(header);
    assert.is(header.prevTerm, 2);
    await handle.write(encodeSegmentHeader({ ...header, prevTerm: 1 }), 0, SEGMENT_HEADER_BYTES, 0);
  } finally {
    await handle.close();
  }
  const error = await openRefusal(dir, options);
  assert.match(error.message, names[1]);
});

const FORGED = [
  { rule: 'repeats earlier indices', entries: makeEntries(3, 4, 1), message: /expected 7/ },
  { rule: 'lowers the term', entries: makeEntries(7, 8, 0), message: /below the previous entry/ },
];
for (const forged of FORGED) test(`a well-formed record (valid checksum and salt) that ${forged.rule}, after the last record: open refuses, it is not taken as more log`, async () => {
  const dir = await tempDir('tsraft-wal-review-prevterm-');
  dirs.push(dir);
  const options = { segmentBytes: 1 << 20, sync: 'none' as const, preallocate: false };
  const wal = await Wal.open(dir, options);
  await wal.save({ entries: makeEntries(1, 3, 1) });
  await wal.save({ entries: makeEntries(4, 6, 1) });
  await wal.close();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.wal'));
  assert.is(names.length, 1);
  const file = join(dir, names[0]);
  const handle = await open(file, 'r+');
  try {
    const headerBuf = Buffer.alloc(SEGMENT_HEADER_BYTES);
    await handle.read(headerBuf, 0, SEGMENT_HEADER_BYTES, 0);
    const header = decodeSegmentHeader(headerBuf);
    if (typeof header === 'string') throw new Error(header);
    const again = forged.entries;
    const record = Buffer.alloc(updateRecordBytes(undefined, again));
    encodeUpdate(record, 0, undefined, again, header.salt);
    await handle.write(record, 0, record.length, await writtenBytes(file));
  } finally {
    await handle.close();
  }
  const error = await openRefusal(dir, options);
  assert.match(error.message, forged.message);
});

test.run();
