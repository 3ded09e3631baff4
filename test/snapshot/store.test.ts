// The snapshot store: write/commit/latest/open round trips, streaming a multi-megabyte snapshot,
// abort, retention of the newest N, cleanup of temp files, and corruption detection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { open as openFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SnapshotCorruptionError, SnapshotError } from '../../src/snapshot/errors.js';
import { readSnapshotFile, snapshotFileName, TRAILER_BYTES } from '../../src/snapshot/format.js';
import { SnapshotStore, snapshotDir } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { membership, payloadSlice, readAll, removeDir, tempDir, writePayload } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.map(removeDir));
});

async function freshStore(retain?: number): Promise<SnapshotStore> {
  const dataDir = await tempDir();
  dirs.push(dataDir);
  return SnapshotStore.open(snapshotDir(dataDir), retain === undefined ? {} : { retain });
}

/** Writes the deterministic payload of `index` (`size` bytes) as a snapshot and commits it. */
async function writeSnapshot(store: SnapshotStore, index: number, size: number, term = 1): Promise<StoredSnapshot> {
  const writer = await store.create({ index, term, membership: membership(index % 10) });
  await writePayload(writer, index, size);
  return writer.commit();
}

async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await openFile(path, 'r+');
  const byte = Buffer.alloc(1);
  await fh.read(byte, 0, 1, offset);
  byte[0] ^= 0x20;
  await fh.write(byte, 0, 1, offset);
  await fh.close();
}

test('open deletes snapshots that crashes left beyond retain + 1, keeping the newest (regression: crash seed 144841)', async () => {
  // Kills between an install's rename and its pruning can leave several extra snapshots.
  const many = await freshStore(10);
  for (const index of [10, 20, 30, 40, 50]) await writeSnapshot(many, index, 100);
  const store = await SnapshotStore.open(many.dir, { retain: 2 });
  assert.equal((await readdir(store.dir)).sort(), [30, 40, 50].map((i) => snapshotFileName(i, 1)).sort());
  assert.is((await store.latest())!.meta.index, 50);
});

test('an empty store has no latest snapshot', async () => {
  const store = await freshStore();
  assert.is(await store.latest(), undefined);
  assert.equal(await store.list(), []);
});

test('write, commit, latest, open: the round trip returns the bytes and metadata written', async () => {
  const store = await freshStore();
  const committed = await writeSnapshot(store, 42, 10_000, 3);
  assert.is(committed.meta.index, 42);
  assert.is(committed.meta.term, 3);
  assert.equal(committed.meta.membership, membership(2));
  assert.is(committed.dataSize, 10_000);
  assert.is(committed.meta.size, (await stat(committed.path)).size, 'meta.size is the transfer (file) size');
  assert.ok(committed.meta.size > 10_000 + TRAILER_BYTES);
  assert.is(committed.path, join(store.dir, snapshotFileName(42, 3)));
  assert.is(committed.dataSha256, createHash('sha256').update(payloadSlice(42, 0, 10_000)).digest('hex'));

  const latest = await store.latest();
  assert.equal(latest, committed);
  const data = await readAll(store.open(latest!));
  assert.ok(data.equals(payloadSlice(42, 0, 10_000)));
  assert.equal(await readdir(store.dir), [snapshotFileName(42, 3)], 'no temp file left behind');
});

test('proposer sessions round-trip through the metadata; a snapshot written without them reads back with none', async () => {
  const store = await freshStore();
  const plain = await writeSnapshot(store, 5, 10);
  assert.equal(plain.sessions, []);
  assert.equal((await store.latest())!.sessions, []);
  const sessions: Array<[number, number, number, number[]]> = [[2 ** 47 + 9, 40, 7, [40, 42]], [3, 1, 6, []]];
  const writer = await store.create({ index: 7, term: 1, membership: membership(1), sessions });
  await writePayload(writer, 7, 10);
  const committed = await writer.commit();
  assert.equal(committed.sessions, sessions);
  assert.equal((await store.latest())!.sessions, sessions);
  // Malformed sessions under a valid checksum are corruption, named as such.
  for (const bad of [[['x', 1, 2, []]], [[1, 2, 3]], [[1, 2, 3, [-1]]], [[1, 2.5, 3, []]]]) {
    const w = await store.create({ index: 8, term: 1, membership: membership(1), sessions: bad as unknown as typeof sessions });
    await writePayload(w, 8, 10);
    const sealed = await w.commit();
    const err = await readSnapshotFile(sealed.path).then(() => undefined, (e: Error) => e);
    assert.instance(err, SnapshotCorruptionError);
    assert.match(err!.message, /sessions malformed/);
  }
});

test('a multi-megabyte snapshot written through pipeline() (the application ends the stream)', async () => {
  const store = await freshStore();
  const size = 6 * 1024 * 1024 + 123;
  const writer = await store.create({ index: 7, term: 2, membership: membership() });
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < size; offset += 100_000) yield payloadSlice(7, offset, Math.min(100_000, size - offset));
  }
  await pipeline(Readable.from(chunks()), writer);
  assert.is(writer.bytesWritten, size);
  await writer.commit();
  const reopened = await SnapshotStore.open(store.dir);
  const latest = await reopened.latest();
  assert.is(latest?.dataSize, size);
  const data = await readAll(reopened.open(latest!));
  assert.is(data.length, size);
  assert.ok(data.equals(payloadSlice(7, 0, size)));
});

test('an empty snapshot (0 data bytes) round-trips', async () => {
  const store = await freshStore();
  await (await store.create({ index: 1, term: 1, membership: [] })).commit();
  const latest = await store.latest();
  assert.is(latest?.dataSize, 0);
  assert.equal(latest?.meta.membership, []);
  assert.is((await readAll(store.open(latest!))).length, 0);
});

test('abort deletes the temp file and the previous snapshot stays the latest', async () => {
  const store = await freshStore();
  await writeSnapshot(store, 10, 1000);
  const writer = await store.create({ index: 20, term: 1, membership: membership() });
  await writePayload(writer, 20, 5000);
  await writer.abort();
  await writer.abort();
  assert.is((await store.latest())?.meta.index, 10);
  assert.equal(await readdir(store.dir), [snapshotFileName(10, 1)]);
  try {
    await writer.commit();
    assert.unreachable('commit after abort');
  } catch (error) {
    assert.instance(error, SnapshotError);
  }
});

test('a stream destroyed with an error makes commit fail and leaves nothing behind', async () => {
  const store = await freshStore();
  const writer = await store.create({ index: 5, term: 1, membership: membership() });
  writer.on('error', () => undefined);
  writer.write(Buffer.alloc(100));
  writer.destroy(new Error('application failed while saving'));
  try {
    await writer.commit();
    assert.unreachable('commit of a failed stream');
  } catch (error) {
    assert.match((error as Error).message, 'application failed while saving');
  }
  assert.equal(await readdir(store.dir), []);
  assert.is(await store.latest(), undefined);
});

test('retention keeps the newest N snapshots and deletes older ones', async () => {
  const store = await freshStore(3);
  for (const index of [10, 20, 30, 40, 50]) await writeSnapshot(store, index, 100 + index);
  assert.equal(
    (await store.list()).map((l) => l.index),
    [30, 40, 50],
  );
  const store2 = await freshStore();
  for (const index of [1, 2, 3]) await writeSnapshot(store2, index, 10);
  assert.equal(
    (await store2.list()).map((l) => l.index),
    [2, 3],
    'default retention is 2',
  );
  try {
    await SnapshotStore.open(store.dir, { retain: 0 });
    assert.unreachable('retain 0');
  } catch (error) {
    assert.instance(error, RangeError);
  }
});

test('file names sort by index then term', async () => {
  const store = await freshStore(10);
  for (const [index, term] of [
    [9, 2],
    [100, 3],
    [10, 2],
    [100, 4],
  ]) {
    await writeSnapshot(store, index!, 10, term);
  }
  assert.equal(
    (await store.list()).map((l) => [l.index, l.term]),
    [
      [9, 2],
      [10, 2],
      [100, 3],
      [100, 4],
    ],
  );
  assert.is((await store.latest())?.meta.term, 4);
});

test('open() deletes leftover temp files and keeps complete snapshots', async () => {
  const store = await freshStore();
  await writeSnapshot(store, 3, 100);
  const unfinished = await store.create({ index: 4, term: 1, membership: membership() });
  await writePayload(unfinished, 4, 1000);
  await writeFile(join(store.dir, `${snapshotFileName(5, 1)}.abcdef.tmp`), 'half a received snapshot');
  assert.is((await readdir(store.dir)).length, 3);
  const reopened = await SnapshotStore.open(store.dir);
  assert.equal(await readdir(reopened.dir), [snapshotFileName(3, 1)]);
  assert.is((await reopened.latest())?.meta.index, 3);
  await unfinished.abort(); // closes the file handle the "crashed" writer still holds
});

test('a flipped data byte is detected: latest() falls back to the previous snapshot and reports the file', async () => {
  const store = await freshStore();
  await writeSnapshot(store, 1, 5000);
  const newest = await writeSnapshot(store, 2, 5000);
  await flipByte(newest.path, 1234);
  const latest = await store.latest();
  assert.is(latest?.meta.index, 1);
  assert.is(store.corrupt.length, 1);
  assert.is(store.corrupt[0]!.file, newest.path);
  assert.match(store.corrupt[0]!.reason, 'data checksum mismatch');
  assert.ok((await readdir(store.dir)).includes(snapshotFileName(2, 1)), 'the corrupt file is left for an operator');
});

test('damaged trailers, truncation, a wrong name and junk files are all detected', async () => {
  const cases: Array<[string, (s: StoredSnapshot, dir: string) => Promise<void>, string]> = [
    ['metadata byte', (s) => flipByte(s.path, s.dataSize + 5), 'metadata checksum mismatch'],
    ['magic', (s) => flipByte(s.path, s.meta.size - 1), 'magic'],
    ['truncated', async (s) => {
      const bytes = await readFile(s.path);
      await writeFile(s.path, bytes.subarray(0, s.meta.size - 10));
    }, 'magic'],
    ['cut data', async (s) => {
      const bytes = await readFile(s.path);
      await writeFile(s.path, Buffer.concat([bytes.subarray(0, 100), bytes.subarray(200)]));
    }, 'data bytes, the file holds'],
    ['renamed', async (s, dir) => {
      await writeFile(join(dir, snapshotFileName(9, 1)), await readFile(s.path));
    }, 'expected index 9'],
    ['tiny', async (_s, dir) => writeFile(join(dir, snapshotFileName(9, 1)), 'x'), 'shorter than'],
  ];
  for (const [name, damage, reason] of cases) {
    const store = await freshStore(5);
    const snap = await writeSnapshot(store, 5, 3000);
    await damage(snap, store.dir);
    const latest = await store.latest();
    if (name === 'renamed' || name === 'tiny') assert.is(latest?.meta.index, 5, `${name}: the intact snapshot is used`);
    else assert.is(latest, undefined, `${name}: nothing valid`);
    assert.is(store.corrupt.length, 1, name);
    assert.instance(store.corrupt[0], SnapshotCorruptionError);
    assert.match(store.corrupt[0]!.reason, reason, name);
  }
});

test('open() fails the stream when data changed after latest() verified it', async () => {
  const store = await freshStore();
  const snap = await writeSnapshot(store, 8, 50_000);
  await flipByte(snap.path, 40_000);
  try {
    await readAll(store.open(snap));
    assert.unreachable('reading damaged data');
  } catch (error) {
    assert.instance(error, SnapshotCorruptionError);
  }
});

test('create() refuses malformed metadata', async () => {
  const store = await freshStore();
  for (const bad of [
    { index: -1, term: 1, membership: [] },
    { index: 1.5, term: 1, membership: [] },
    { index: 1, term: Number.NaN, membership: [] },
  ]) {
    try {
      await store.create(bad);
      assert.unreachable(JSON.stringify(bad));
    } catch (error) {
      assert.instance(error, RangeError);
    }
  }
});

test('fallbackBefore: the newest kept snapshot before an index not known to be corrupt; 0 (the start of the log) when none; undefined when one snapshot is kept', async () => {
  const store = await freshStore(3);
  assert.is(await store.fallbackBefore(10), 0, 'no older snapshot: the start of the log');
  await writeSnapshot(store, 10, 100);
  await writeSnapshot(store, 20, 100);
  const third = await writeSnapshot(store, 30, 100);
  assert.is(await store.fallbackBefore(30), 20);
  assert.is(await store.fallbackBefore(20), 10);
  await flipByte(third.path, 5);
  const reopened = await SnapshotStore.open(store.dir, { retain: 3 });
  assert.is((await reopened.latest())?.meta.index, 20, 'latest() skips the corrupt 30');
  assert.is(await reopened.fallbackBefore(40), 20, 'the 30 is known corrupt: no fallback');
  const single = await freshStore(1);
  await writeSnapshot(single, 10, 100);
  assert.is(await single.fallbackBefore(20), undefined);
});

test('retention does not count files found corrupt: the newest sound ones stay, the corrupt ones go', async () => {
  const store = await freshStore(2);
  await writeSnapshot(store, 10, 100);
  const rotten = await writeSnapshot(store, 20, 100);
  await flipByte(rotten.path, 5);
  const reopened = await SnapshotStore.open(store.dir, { retain: 2 });
  assert.is((await reopened.latest())?.meta.index, 10, 'the 20 is skipped and known corrupt');
  await writeSnapshot(reopened, 30, 100);
  const names = (await readdir(store.dir)).sort();
  assert.equal(names, [snapshotFileName(10, 1), snapshotFileName(30, 1)], 'the sound 10 kept as the fallback, the corrupt 20 deleted');
});

test.run();
