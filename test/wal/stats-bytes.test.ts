// Wal.stats.bytes and .segments (the disk-usage gauges' source) agree with the segment files on
// disk through saves, rolls, truncation, compaction, reset and reopen, with no file system call of
// their own: without preallocation they are the files' sizes; with it, the bytes written (the
// sparse unwritten tail of the active segment is not counted).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, type WalOptions } from '../../wal/index.js';
import { makeEntries, removeDir, tempDir, writtenBytes } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  for (const dir of dirs) await removeDir(dir);
});

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.wal')).map((name) => join(dir, name));
}

/** What the files say: their count, their sizes' sum and the bytes of records in them. */
async function onDisk(dir: string): Promise<{ segments: number; fileBytes: number; written: number }> {
  const files = await segmentFiles(dir);
  let fileBytes = 0;
  let written = 0;
  for (const f of files) {
    fileBytes += (await stat(f)).size;
    written += await writtenBytes(f);
  }
  return { segments: files.length, fileBytes, written };
}

async function check(wal: Wal, preallocated: boolean, what: string): Promise<void> {
  const disk = await onDisk(wal.dir);
  const { bytes, segments } = wal.stats;
  assert.is(segments, disk.segments, `${what}: segments`);
  if (preallocated) {
    assert.is(bytes, disk.written, `${what}: bytes written`);
    assert.ok(bytes < disk.fileBytes, `${what}: the preallocated tail (${disk.fileBytes} apparent bytes) is not counted in ${bytes}`);
  } else {
    assert.is(bytes, disk.fileBytes, `${what}: bytes`);
  }
}

for (const preallocate of [false, true]) {
  test(`stats.bytes and .segments follow the files (preallocate ${preallocate})`, async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const options: WalOptions = { segmentBytes: 1024, sync: 'none', preallocate };
    let wal = await Wal.open(dir, options);
    await check(wal, preallocate, 'new');
    assert.ok(wal.stats.bytes > 0, 'a new log has its segment header');
    await wal.save({ hardState: { term: 1, vote: 0, commit: 0 }, entries: makeEntries(1, 5, 1) });
    await check(wal, preallocate, 'one save');
    for (let i = 6; i <= 120; i += 5) await wal.save({ entries: makeEntries(i, i + 4, 1, 40) });
    assert.ok(wal.stats.segments >= 4, `rolled: ${wal.stats.segments} segments`);
    await check(wal, preallocate, 'after rolls');
    const before = wal.stats.bytes;
    await wal.truncateAfter(100);
    await check(wal, preallocate, 'truncated');
    await wal.compactBefore(60);
    await check(wal, preallocate, 'compacted');
    assert.ok(wal.stats.bytes < before, 'compaction frees bytes');
    await wal.reset(500, 2, { term: 2, vote: 0, commit: 500 });
    await check(wal, preallocate, 'reset');
    await wal.save({ entries: makeEntries(501, 510, 2) });
    await check(wal, preallocate, 'saved after reset');
    await wal.close();
    wal = await Wal.open(dir, options);
    await check(wal, preallocate, 'reopened');
    await wal.close();
  });
}

test.run();
