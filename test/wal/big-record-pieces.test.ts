// Records too big for the WAL's reused encode buffer are written from pieces (wal/record.ts,
// encodeUpdatePieces; wal/files.ts, writevFully): headers and small entries in one buffer, big
// entry data by reference. The bytes on disk must be exactly encodeUpdate's, short vectored
// writes must be continued where they stopped, and a failed one must fail the save as a failed
// write does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal, WalIOError } from '../../wal/index.js';
import { encodeUpdate, encodeUpdatePieces, REFERENCED_DATA_BYTES, updateRecordBytes } from '../../wal/record.js';
import type { Entry, HardState } from '../../wal/types.js';
import { removeDir, tempDir } from './helpers.js';

const SALT = 0x5eed1234;
const MIB = 1024 * 1024;

function entry(index: number, bytes: number): Entry {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4093) data[i] = (index * 31 + i) & 0xff;
  data[bytes - 1] = index & 0xff;
  return { index, term: 2, type: 0, data };
}

test('the pieces of a record are exactly the bytes encodeUpdate writes, for every mix of small and referenced entries', () => {
  const sizes = [0, 10, REFERENCED_DATA_BYTES - 1, REFERENCED_DATA_BYTES, 3 * MIB];
  const hardStates: Array<HardState | undefined> = [undefined, { term: 2, vote: 1, commit: 5 }];
  const mixes = [[0], [10], [3], [4], [3, 3], [1, 4, 1], [4, 4, 4], [4, 1, 2, 4, 0], [2, 4], [4, 2]];
  for (const hardState of hardStates) {
    for (const mix of mixes) {
      const entries = mix.map((k, i) => entry(7 + i, sizes[k] ?? 10));
      const expected = Buffer.alloc(updateRecordBytes(hardState, entries));
      encodeUpdate(expected, 0, hardState, entries, SALT);
      const pieces = encodeUpdatePieces(hardState, entries, SALT);
      const joined = Buffer.concat(pieces);
      assert.is(joined.length, expected.length, `length, mix ${mix}`);
      assert.ok(joined.equals(expected), `bytes differ, mix ${mix}, hard state ${hardState !== undefined}`);
      const referenced = entries.filter((e) => e.data.byteLength >= REFERENCED_DATA_BYTES);
      for (const e of referenced) assert.ok(pieces.includes(e.data), `entry ${e.index} is written by reference`);
    }
  }
});

type WritevArgs = [buffers: Uint8Array[], position?: number];

/** Replaces FileHandle.prototype.writev while `run` runs. */
async function withWritev(replacement: (original: (...a: WritevArgs) => Promise<{ bytesWritten: number }>, self: unknown, ...a: WritevArgs) => Promise<{ bytesWritten: number }>, run: () => Promise<void>): Promise<number> {
  const probe = join(tmpdir(), `tsraft-writev-probe-${process.pid}-${Math.random()}`);
  const fh = await open(probe, 'w');
  const proto = Object.getPrototypeOf(fh) as { writev: (...a: WritevArgs) => Promise<{ bytesWritten: number }> };
  await fh.close();
  await rm(probe, { force: true });
  const original = proto.writev;
  let calls = 0;
  proto.writev = function (this: unknown, ...a: WritevArgs) {
    calls++;
    return replacement((...b: WritevArgs) => original.apply(this, b), this, ...a);
  };
  try {
    await run();
  } finally {
    proto.writev = original;
  }
  return calls;
}

test('a big record written in short vectored writes reads back intact after reopening', async () => {
  const dir = await tempDir();
  try {
    const entries = [entry(1, 100), entry(2, 9 * MIB), entry(3, 5000), entry(4, 2 * MIB)];
    const calls = await withWritev(
      // At most 1 MiB + 7 bytes per call: every piece boundary and the middle of each big piece is cut.
      (original, _self, buffers, position) => {
        const cut: Uint8Array[] = [];
        let room = MIB + 7;
        for (const b of buffers) {
          if (room === 0) break;
          const take = b.subarray(0, Math.min(room, b.byteLength));
          cut.push(take);
          room -= take.byteLength;
        }
        return original(cut, position);
      },
      async () => {
        const wal = await Wal.open(dir, { sync: 'always', segmentBytes: 64 * MIB });
        await wal.save({ entries, hardState: { term: 2, vote: 1, commit: 0 } });
        await wal.close();
      },
    );
    assert.ok(calls >= 11, `the save took ${calls} vectored writes`);
    const wal = await Wal.open(dir, { sync: 'always', segmentBytes: 64 * MIB, cacheBytes: 0 });
    try {
      assert.is(wal.lastIndex, 4);
      const read = await wal.entries(1, 5);
      read.forEach((e, i) => assert.ok(Buffer.from(e.data).equals(Buffer.from(entries[i]!.data)), `entry ${i + 1} intact`));
    } finally {
      await wal.close();
    }
  } finally {
    await removeDir(dir);
  }
});

test('a failed vectored write fails the save with WalIOError, as a failed write does, and nothing half-written is read back', async () => {
  const dir = await tempDir();
  try {
    const wal = await Wal.open(dir, { sync: 'always', segmentBytes: 64 * MIB });
    await wal.save({ entries: [entry(1, 100)] });
    let error: unknown;
    await withWritev(
      () => Promise.reject(Object.assign(new Error('EIO: injected, writev'), { code: 'EIO' })),
      async () => {
        error = await wal.save({ entries: [entry(2, 9 * MIB)] }).catch((e: unknown) => e);
      },
    );
    assert.instance(error, WalIOError);
    await wal.close().catch(() => {});
    const reopened = await Wal.open(dir, { sync: 'always', segmentBytes: 64 * MIB });
    try {
      assert.is(reopened.lastIndex, 1, 'only the entry saved before');
    } finally {
      await reopened.close();
    }
  } finally {
    await removeDir(dir);
  }
});

test.run();
