// Recovery from damaged files: a torn tail of the last segment is cut away; any other damage makes
// open refuse with a WalCorruptionError naming the file and byte offset, touching nothing. Every
// case runs on both file layouts: segments preallocated to segmentBytes (the default: records are
// followed by unwritten zero bytes) and segments that grow with each record (preallocate: false,
// and logs written before preallocation).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, WalCorruptionError, segmentFileName, type WalOptions } from '../../wal/index.js';
import { SEGMENT_HEADER_BYTES, updateRecordBytes } from '../../wal/record.js';
import { isIntact, makeEntries, removeDir, tempDir, writtenBytes } from './helpers.js';

const ENTRIES_PER_RECORD = 4;
const DATA_BYTES = 20;
const RECORDS = 5;
/** Every record in these tests has the same size: 4 entries of 20 bytes, no hard state. */
const RECORD_BYTES = updateRecordBytes(undefined, makeEntries(1, ENTRIES_PER_RECORD, 1, DATA_BYTES));
type Layout = 'preallocated' | 'grown';

const dirs: string[] = [];

function defineSuite(layout: Layout): void {
  const test = suite(`${layout} segments`);
  const OPTIONS: WalOptions = { segmentBytes: 1 << 20, sync: 'none', preallocate: layout === 'preallocated' };
  const SMALL_SEGMENTS: WalOptions = { ...OPTIONS, segmentBytes: 512 };
  test.after(async () => {
    await Promise.all(dirs.splice(0).map(removeDir));
  });

  /** A log of 5 records (20 entries) in one segment; returns its dir and segment path. */
  async function oneSegmentLog(): Promise<{ dir: string; file: string }> {
    const dir = await tempDir();
    dirs.push(dir);
    const wal = await Wal.open(dir, OPTIONS);
    for (let r = 0; r < RECORDS; r++) {
      const first = r * ENTRIES_PER_RECORD + 1;
      await wal.save({ entries: makeEntries(first, first + ENTRIES_PER_RECORD - 1, 1, DATA_BYTES) });
    }
    await wal.close();
    const file = join(dir, segmentFileName(1));
    await asLeftByACrash(file, OPTIONS.segmentBytes!);
    assert.is(await writtenBytes(file), SEGMENT_HEADER_BYTES + RECORDS * RECORD_BYTES);
    assert.is((await stat(file)).size, layout === 'preallocated' ? OPTIONS.segmentBytes : SEGMENT_HEADER_BYTES + RECORDS * RECORD_BYTES);
    return { dir, file };
  }

  /**
   * A clean close gives back a segment's unwritten tail; a crash leaves it. In the preallocated
   * layout, put it back: these cases are about what recovery finds after a crash.
   */
  async function asLeftByACrash(file: string, capacity: number): Promise<void> {
    if (layout === 'preallocated' && (await stat(file)).size < capacity) await truncate(file, capacity);
  }

  /**
   * What a write cut short at `offset` leaves: a grown file ends there; in a preallocated file the
   * bytes from there to the end of the records read back as zeros and the file keeps its size.
   */
  async function cutAt(file: string, offset: number): Promise<void> {
    if (layout === 'grown') return truncate(file, offset);
    const end = await writtenBytes(file);
    await overwrite(file, offset, Buffer.alloc(end - offset));
  }

  function recordStart(record: number): number {
    return SEGMENT_HEADER_BYTES + record * RECORD_BYTES;
  }

  async function flipBit(file: string, offset: number, bit = 3): Promise<void> {
    const handle = await open(file, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] ^= 1 << bit;
    await handle.write(byte, 0, 1, offset);
    await handle.close();
  }

  async function overwrite(file: string, offset: number, bytes: Buffer): Promise<void> {
    const handle = await open(file, 'r+');
    await handle.write(bytes, 0, bytes.length, offset);
    await handle.close();
  }

  /** Opens, expecting a refusal that names `file` and `offset`; checks the file was not modified. */
  async function expectRefusal(dir: string, file: string, offset: number): Promise<WalCorruptionError> {
    const before = await readFile(file);
    try {
      const wal = await Wal.open(dir, OPTIONS);
      await wal.close();
    } catch (error) {
      assert.instance(error, WalCorruptionError);
      const corruption = error as WalCorruptionError;
      assert.is(corruption.file, file);
      assert.is(corruption.offset, offset);
      assert.ok(corruption.message.includes(file), corruption.message);
      assert.ok(corruption.message.includes(`byte offset ${offset}`), corruption.message);
      assert.ok((await readFile(file)).equals(before), 'a refused open must not touch the file');
      return corruption;
    }
    assert.unreachable('open should have refused the damaged log');
    throw new Error('unreachable');
  }

  /** Opens, expecting success with exactly `lastIndex` intact entries; then appends and reopens. */
  async function expectOpensAt(dir: string, lastIndex: number, tornTailBytes: number): Promise<void> {
    let wal = await Wal.open(dir, OPTIONS);
    assert.is(wal.lastIndex, lastIndex);
    assert.is(wal.recovery.tornTailBytes, tornTailBytes);
    const entries = await wal.entries(1, lastIndex + 1);
    assert.ok(entries.every((e) => e.term === 1 && isIntact(e, DATA_BYTES)));
    await wal.save({ entries: makeEntries(lastIndex + 1, lastIndex + 2, 2, DATA_BYTES) });
    await wal.close();
    wal = await Wal.open(dir, OPTIONS);
    assert.is(wal.lastIndex, lastIndex + 2);
    assert.is(wal.recovery.tornTailBytes, 0, 'the repair is durable: nothing to cut the second time');
    assert.is(wal.term(lastIndex + 2), 2);
    await wal.close();
  }

  test('torn tail: a partial last record is cut; the log opens at the last whole record', async () => {
    const { dir, file } = await oneSegmentLog();
    await cutAt(file, recordStart(4) + 100);
    await expectOpensAt(dir, 16, 100);
  });

  test('torn tail: the recovery report names the segment, the offset where the cut record began, the bytes cut and the last entry kept (a Node logs them)', async () => {
    const { dir, file } = await oneSegmentLog();
    await cutAt(file, recordStart(4) + 100);
    const wal = await Wal.open(dir, OPTIONS);
    assert.equal(wal.recovery.tornTail, { segment: file, offset: recordStart(4), bytes: 100, lastIndex: 16 });
    await wal.close();
    const clean = await Wal.open(dir, OPTIONS);
    assert.is(clean.recovery.tornTail, undefined);
    await clean.close();
  });

  test('torn tail: a partial frame header at the end is cut', async () => {
    const { dir, file } = await oneSegmentLog();
    await cutAt(file, recordStart(4) + 5);
    await expectOpensAt(dir, 16, 5);
  });

  test('zero bytes after the last record are unwritten space: the log ends there, nothing is cut', async () => {
    const { dir, file } = await oneSegmentLog();
    await appendFile(file, Buffer.alloc(4096));
    await expectOpensAt(dir, 20, 0);
  });

  test('a last record that reads back as zeros (size extended, data lost) reads as unwritten: the log ends before it', async () => {
    const { dir, file } = await oneSegmentLog();
    await overwrite(file, recordStart(4), Buffer.alloc(RECORD_BYTES));
    await expectOpensAt(dir, 16, 0);
  });

  test('a torn record followed by more zero bytes: the torn bytes are cut and counted', async () => {
    const { dir, file } = await oneSegmentLog();
    await cutAt(file, recordStart(4) + 100);
    await appendFile(file, Buffer.alloc(4096));
    await expectOpensAt(dir, 16, 100);
  });

  test('a flipped bit in the last record: the record is truncated away', async () => {
    const { dir, file } = await oneSegmentLog();
    await flipBit(file, recordStart(4) + 60);
    await expectOpensAt(dir, 16, RECORD_BYTES);
  });

  test('a flipped bit in a middle record: open refuses, naming the file and the record offset', async () => {
    const { dir, file } = await oneSegmentLog();
    await flipBit(file, recordStart(2) + 50);
    const error = await expectRefusal(dir, file, recordStart(2));
    assert.match(error.message, /followed by a valid record/);
  });

  test('a flipped bit in the length field of a middle record: open refuses', async () => {
    const { dir, file } = await oneSegmentLog();
    await flipBit(file, recordStart(1) + 1, 0);
    await expectRefusal(dir, file, recordStart(1));
  });

  test('a flipped bit in the first record: open refuses', async () => {
    const { dir, file } = await oneSegmentLog();
    await flipBit(file, recordStart(0) + 30);
    await expectRefusal(dir, file, recordStart(0));
  });

  test('garbage followed by a valid record at the end: refused, not taken for a torn tail', async () => {
    const { dir, file } = await oneSegmentLog();
    const lastRecord = (await readFile(file)).subarray(recordStart(4), recordStart(5));
    await overwrite(file, recordStart(4), Buffer.concat([Buffer.from('garbage!'), lastRecord]));
    await expectRefusal(dir, file, recordStart(4));
  });

  test('a damaged segment header: open refuses at offset 0', async () => {
    const { dir, file } = await oneSegmentLog();
    await flipBit(file, 17);
    await expectRefusal(dir, file, 0);
  });

  /** A log of 40 entries over several small segments. */
  async function multiSegmentLog(): Promise<{ dir: string; files: string[] }> {
    const dir = await tempDir();
    dirs.push(dir);
    const wal = await Wal.open(dir, SMALL_SEGMENTS);
    for (let first = 1; first <= 40; first += ENTRIES_PER_RECORD) {
      await wal.save({ entries: makeEntries(first, first + ENTRIES_PER_RECORD - 1, 1, DATA_BYTES) });
    }
    await wal.close();
    const files = (await readdir(dir)).sort().map((name) => join(dir, name));
    for (const file of files) await asLeftByACrash(file, SMALL_SEGMENTS.segmentBytes!);
    assert.ok(files.length >= 3, `${files.length} segments`);
    return { dir, files };
  }

  test('corruption in the last record of an older segment: refused (only the last segment may be torn)', async () => {
    const { dir, files } = await multiSegmentLog();
    const size = await writtenBytes(files[0]);
    await flipBit(files[0], size - 3);
    await expectRefusal(dir, files[0], size - RECORD_BYTES);
  });

  test('a torn older segment (cut short): refused', async () => {
    const { dir, files } = await multiSegmentLog();
    const size = await writtenBytes(files[1]);
    await cutAt(files[1], size - 10);
    await expectRefusal(dir, files[1], size - RECORD_BYTES);
  });

  test('a missing middle segment: refused as a gap', async () => {
    const { dir, files } = await multiSegmentLog();
    await rm(files[1]);
    const error = await expectRefusal(dir, files[0], await writtenBytes(files[0]));
    assert.match(error.message, /segment ends at index 8 but the next segment starts at 17/);
  });

  test('torn tail in the last of several segments is cut; older segments intact', async () => {
    const { dir, files } = await multiSegmentLog();
    const last = files[files.length - 1];
    const size = await writtenBytes(last);
    await cutAt(last, size - 7);
    await expectOpensAt(dir, 36, RECORD_BYTES - 7);
  });

  test.run();
}

defineSuite('preallocated');
defineSuite('grown');
