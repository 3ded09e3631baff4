// close() racing queued writes and reads in flight (wal.ts close() JSDoc: "Waits for
// queued operations, then closes every file ... Reads already in flight complete first").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal, WalClosedError } from '../../wal/index.js';
import { isIntact, makeEntries, removeDir, tempDir } from './helpers.js';

/** Delays every FileHandle.read by `ms` until restored. */
async function slowReads(ms: number): Promise<() => void> {
  const probe = join(tmpdir(), `tsraft-rv-probe-${process.pid}-${Math.random()}`);
  const fh = await open(probe, 'w');
  const proto = Object.getPrototypeOf(fh) as { read: (...args: unknown[]) => Promise<unknown> };
  await fh.close();
  await rm(probe, { force: true });
  const original = proto.read;
  proto.read = async function (this: unknown, ...args: unknown[]) {
    await new Promise((r) => setTimeout(r, ms));
    return original.apply(this, args);
  };
  return () => void (proto.read = original);
}

test('close() with saves queued and not awaited: they complete, later calls reject, reopen has them all', async () => {
  const dir = await tempDir('tsraft-rv-close-');
  const wal = await Wal.open(dir, { sync: 'always', segmentBytes: 1024, cacheBytes: 0 });
  const saves: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) saves.push(wal.save({ entries: makeEntries(i * 5 + 1, i * 5 + 5, 1), hardState: { term: 1, vote: 2, commit: i } }));
  const closing = wal.close();
  const late = await wal.save({ entries: makeEntries(101, 101, 1) }).catch((e) => e);
  assert.instance(late, WalClosedError);
  const settled = await Promise.allSettled(saves);
  assert.ok(settled.every((s) => s.status === 'fulfilled'));
  await closing;
  const again = await Wal.open(dir, { sync: 'always', segmentBytes: 1024, cacheBytes: 0 });
  assert.is(again.lastIndex, 100);
  assert.equal(again.hardState, { term: 1, vote: 2, commit: 19 });
  const all = await again.entries(1, 101);
  assert.ok(all.every((e, k) => e.index === k + 1 && isIntact(e)));
  await again.close();
  await removeDir(dir);
});

test('a disk read in flight when compactBefore and close() land completes with its entries', async () => {
  const dir = await tempDir('tsraft-rv-close-');
  let wal = await Wal.open(dir, { sync: 'none', segmentBytes: 512, cacheBytes: 0 });
  for (let i = 0; i < 10; i++) await wal.save({ entries: makeEntries(i * 4 + 1, i * 4 + 4, 1, 40) });
  await wal.close();
  wal = await Wal.open(dir, { sync: 'none', segmentBytes: 512, cacheBytes: 0 });
  const restore = await slowReads(30);
  try {
    const reading = wal.entries(1, 30);
    await new Promise((r) => setTimeout(r, 5));
    const compacting = wal.compactBefore(35);
    const closing = wal.close();
    const got = await reading;
    await compacting;
    await closing;
    assert.is(got.length, 29);
    assert.ok(got.every((e, k) => e.index === k + 1 && isIntact(e, 40)));
  } finally {
    restore();
  }
  await removeDir(dir);
});

test.run();
