// Torn big records: a record over 8 MiB is written from pieces with vectored writes (several
// syscalls when short, or when libuv splits past IOV_MAX), so a crash can leave any prefix of it
// on disk — or, within one write, pages out of order. Reopening must cut such a torn record (it
// was never acknowledged), keep everything before it, and accept new saves after it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, type Entry } from '../../wal/index.js';
import { isIntact, makeEntries, removeDir, tempDir } from './helpers.js';

const MIB = 1024 * 1024;

function big(index: number, size: number): Entry {
  // No zero byte: a torn write leaves zeros where it did not reach, and must not look complete.
  const data = new Uint8Array(size);
  Buffer.from(data.buffer).fill(Buffer.from([index, 0x5a, 0xa5, 0x33, 0x77 + index, 0x11, 0xee]));
  return { index, term: 1, type: 0, data };
}

/** Damage to [recordStart, recordEnd) of the last segment as a crash could leave it. */
type Tear = { name: string; apply: (fh: import('node:fs/promises').FileHandle, recordStart: number, recordEnd: number, preallocated: boolean) => Promise<void> };

async function zero(fh: import('node:fs/promises').FileHandle, from: number, to: number): Promise<void> {
  const zeros = Buffer.alloc(Math.min(to - from, 4 * MIB));
  for (let at = from; at < to; at += zeros.length) await fh.write(zeros, 0, Math.min(zeros.length, to - at), at);
}

const cutAt = (offset: (len: number) => number, name: string): Tear => ({
  name,
  apply: async (fh, start, end, preallocated) => {
    const cut = start + offset(end - start);
    if (preallocated) await zero(fh, cut, end);
    else await fh.truncate(cut);
  },
});

const TEARS: Tear[] = [
  cutAt(() => 5, 'inside the frame header'),
  cutAt(() => 12 + 8 + 24 + 100, 'after the first piece'),
  cutAt(() => 12 + 8 + 24 + 100 + 24 + MIB / 2, 'in the middle of a referenced entry'),
  cutAt((len) => len - 1, 'one byte short'),
  { name: 'first page lost, the rest written (out of order)', apply: (fh, start) => zero(fh, start, start + 4096) },
  { name: 'a page in the middle lost', apply: (fh, start, end) => zero(fh, start + Math.floor((end - start) / 2), start + Math.floor((end - start) / 2) + 4096) },
];

for (const preallocated of [true, false]) {
  for (const tear of TEARS) {
    test(`a torn vectored record (${tear.name}, ${preallocated ? 'preallocated' : 'not preallocated'}) is cut at open`, async () => {
      const dir = await tempDir('tsraft-torn-');
      const options = { segmentBytes: 16 * MIB, sync: 'none' as const, preallocate: preallocated };
      try {
        let wal = await Wal.open(dir, options);
        await wal.save({ entries: makeEntries(1, 3, 1, 50), hardState: { term: 1, vote: 1, commit: 2 } });
        const before = wal.stats.bytesWritten;
        // 100 bytes copied, 3 MiB referenced, 20 bytes copied, 6 MiB referenced: > 8 MiB, pieces.
        const sizes = [100, 3 * MIB, 20, 6 * MIB];
        await wal.save({ entries: sizes.map((s, k) => big(4 + k, s)) });
        const recordBytes = wal.stats.bytesWritten - before;
        await wal.close();
        const names = (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
        const fh = await open(join(dir, names.at(-1)!), 'r+');
        try {
          const size = preallocated ? undefined : (await fh.stat()).size;
          // With preallocation the file keeps its length: find the record's end from what was written.
          const recordEnd = size ?? (64 + (before - 0) + recordBytes);
          await tear.apply(fh, recordEnd - recordBytes, recordEnd, preallocated);
        } finally {
          await fh.close();
        }
        wal = await Wal.open(dir, options);
        try {
          assert.is(wal.lastIndex, 3, 'the torn record is gone, the one before it kept');
          assert.ok(wal.recovery.tornTailBytes > 0, 'reported as a torn tail');
          assert.equal(wal.hardState, { term: 1, vote: 1, commit: 2 });
          const kept = await wal.entries(1, 4);
          assert.ok(kept.every((e) => isIntact(e, 50)));
          await wal.save({ entries: [big(4, 9 * MIB)] });
          await wal.close();
          wal = await Wal.open(dir, options);
          assert.is(wal.lastIndex, 4);
          const [again] = await wal.entries(4, 5);
          assert.ok(Buffer.from(again!.data).equals(Buffer.from(big(4, 9 * MIB).data)), 'a new big record after the cut reads back');
        } finally {
          await wal.close();
        }
      } finally {
        await removeDir(dir);
      }
    });
  }
}

test.run();
