// Review (mutation testing of recovery): a damaged record in the middle of the last segment must be
// refused, not cut as a torn tail, also when the record on one side of the damage carries only a
// hard state. A hard-state-only record holds no entries, so the "could this record follow the log
// so far?" test of recovery (findValidRecord) must accept a record with no entries after the
// damage, and a record whose first index equals the damaged record's expected first index (the
// damaged record was hard-state-only, so the next one starts where it would have). Either slip
// silently drops acknowledged entries and an acknowledged vote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, WalCorruptionError, segmentFileName, type HardState, type WalOptions } from '../../wal/index.js';
import { SEGMENT_HEADER_BYTES, updateRecordBytes } from '../../wal/record.js';
import { isIntact, makeEntries, removeDir, tempDir, writtenBytes } from './helpers.js';

const DATA_BYTES = 20;
const dirs: string[] = [];

test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

type Update = { entries?: ReturnType<typeof makeEntries>; hardState?: HardState };

/** Writes `updates` (one record each) to a new log, closes it as a crash would leave it; returns dir, file and record starts. */
async function logOf(options: WalOptions, updates: Update[]): Promise<{ dir: string; file: string; starts: number[] }> {
  const dir = await tempDir();
  dirs.push(dir);
  const wal = await Wal.open(dir, options);
  const starts: number[] = [];
  let at = SEGMENT_HEADER_BYTES;
  for (const update of updates) {
    starts.push(at);
    at += updateRecordBytes(update.hardState, update.entries ?? []);
    await wal.save(update);
  }
  await wal.close();
  const file = join(dir, segmentFileName(1));
  if (options.preallocate !== false && (await stat(file)).size < options.segmentBytes!) await truncate(file, options.segmentBytes!);
  assert.is(await writtenBytes(file), at, 'all records in one segment');
  return { dir, file, starts };
}

async function flipBit(file: string, offset: number): Promise<void> {
  const handle = await open(file, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, offset);
  byte[0] ^= 1 << 3;
  await handle.write(byte, 0, 1, offset);
  await handle.close();
}

async function expectRefusal(dir: string, options: WalOptions, file: string, offset: number): Promise<void> {
  let wal: Wal | undefined;
  try {
    wal = await Wal.open(dir, options);
  } catch (error) {
    assert.instance(error, WalCorruptionError);
    assert.is((error as WalCorruptionError).file, file);
    assert.is((error as WalCorruptionError).offset, offset);
    return;
  }
  const found = `lastIndex ${wal.lastIndex}, hard state ${JSON.stringify(wal.hardState)}, cut ${wal.recovery.tornTailBytes} bytes`;
  await wal.close();
  assert.unreachable(`open took mid-segment damage for a torn tail (${found}): acknowledged records after it were dropped`);
}

for (const preallocate of [true, false]) {
  const OPTIONS: WalOptions = { segmentBytes: 1 << 20, sync: 'none', preallocate };

  test(`damaged hard-state-only record followed by entries (first index = the one expected): refused (preallocate ${preallocate})`, async () => {
    const { dir, file, starts } = await logOf(OPTIONS, [
      { entries: makeEntries(1, 4, 1, DATA_BYTES) },
      { hardState: { term: 1, vote: 2, commit: 4 } },
      { entries: makeEntries(5, 8, 1, DATA_BYTES) },
    ]);
    // Sanity: undamaged, all of it opens.
    const wal = await Wal.open(dir, OPTIONS);
    assert.is(wal.lastIndex, 8);
    assert.equal(wal.hardState, { term: 1, vote: 2, commit: 4 });
    assert.ok((await wal.entries(1, 9)).every((e) => isIntact(e, DATA_BYTES)));
    await wal.close();
    if (preallocate) await truncate(file, OPTIONS.segmentBytes!);
    await flipBit(file, starts[1] + 20); // inside the hard state, frame header intact
    await expectRefusal(dir, OPTIONS, file, starts[1]);
  });

  test(`damaged entry record followed by a hard-state-only record: refused (preallocate ${preallocate})`, async () => {
    const { dir, file, starts } = await logOf(OPTIONS, [
      { entries: makeEntries(1, 4, 1, DATA_BYTES) },
      { entries: makeEntries(5, 8, 1, DATA_BYTES) },
      { hardState: { term: 2, vote: 3, commit: 8 } },
    ]);
    await flipBit(file, starts[1] + 40); // inside entry 5, frame header intact
    await expectRefusal(dir, OPTIONS, file, starts[1]);
  });
}

test.run();
