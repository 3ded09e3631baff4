// From a mutation review of src/snapshot/store.ts and format.ts: how the store behaves when
// something goes wrong. An install that failed must not block the installs after it; a short read
// is a corrupt chunk, not a short one; a file handle opened for one chunk is closed; a receiver is
// resumed only for the very same snapshot (index, term AND size); an I/O error on the latest
// snapshot is reported, not passed over; a corrupt metadata length is corruption (a fallback), not
// an I/O error that stops the start; a trailer of an unknown format version is refused; a directory named like a temp file does not stop open; a
// snapshot installed again under a name once marked corrupt is sound again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, open, readdir, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotCorruptionError } from '../../src/snapshot/errors.js';
import { snapshotFileName } from '../../src/snapshot/format.js';
import { SnapshotStore, snapshotDir } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { membership, removeDir, tempDir, writePayload } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.map(removeDir));
});

async function newStore(retain = 2): Promise<SnapshotStore> {
  const dataDir = await tempDir();
  dirs.push(dataDir);
  return SnapshotStore.open(snapshotDir(dataDir), { retain });
}

async function write(store: SnapshotStore, index: number, size = 4096): Promise<StoredSnapshot> {
  const writer = await store.create({ index, term: 1, membership: membership(1) });
  await writePayload(writer, index, size);
  return writer.commit();
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

test('an install that failed does not make every later install fail', async () => {
  const store = await newStore();
  // A non-empty directory under the final name: the rename of snapshot 5 fails.
  const blocker = join(store.dir, snapshotFileName(5, 1));
  await mkdir(blocker);
  await writeFile(join(blocker, 'x'), 'x');
  assert.ok(await rejection(write(store, 5)), 'install over a directory fails');
  await rm(blocker, { recursive: true });
  const six = await write(store, 6);
  assert.is(six.meta.index, 6, 'the next install works');
  assert.is((await store.latest())?.meta.index, 6);
});

test('readChunk of a file that shrank since it was verified fails as corruption, not with a short chunk', async () => {
  const store = await newStore();
  const snap = await write(store, 7);
  await truncate(snap.path, snap.meta.size - 100);
  const err = await rejection(store.readChunk(snap, snap.meta.size - 1000, 1000));
  assert.ok(err instanceof SnapshotCorruptionError, `got ${String(err)}`);
});

test('readChunk without an open file closes the file it opened', async () => {
  const store = await newStore();
  const snap = await write(store, 8);
  const fds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
  const before = await fds();
  for (let i = 0; i < 40; i++) await store.readChunk(snap, 0, 100);
  const after = await fds();
  assert.ok(after - before < 10, `${after - before} file descriptors left open by 40 reads`);
});

test('beginReceive resumes only the same snapshot: another size is another snapshot', async () => {
  const store = await newStore();
  const meta = { index: 9, term: 2, membership: membership(1), size: 5000 };
  const first = await store.beginReceive(meta);
  const same = await store.beginReceive({ ...meta });
  assert.ok(same === first, 'same index, term and size: resumed');
  const other = await store.beginReceive({ ...meta, size: 6000 });
  assert.ok(other !== first, 'another size: a new receiver');
  assert.is(other.meta.size, 6000);
  await other.abort();
});

test('latest() reports an I/O error on the newest snapshot instead of passing over it', async () => {
  const store = await newStore();
  await write(store, 3);
  // The newest "snapshot" cannot be read (a link to a directory: EISDIR): not corruption, not a
  // missing file. (A directory itself is not listed as a snapshot: store-prune.)
  const target = join(store.dir, 'a-directory');
  await mkdir(target);
  await symlink(target, join(store.dir, snapshotFileName(4, 1)));
  const err = await rejection(store.latest());
  assert.ok(err instanceof Error, 'latest() rejects');
  assert.not.ok(err instanceof SnapshotCorruptionError);
});

test('a metadata length that does not fit the file is corruption: latest() falls back to the older snapshot', async () => {
  const store = await newStore();
  await write(store, 3);
  const four = await write(store, 4);
  // The u32 metadata length sits 16 bytes before the end (then the version and the 8-byte magic).
  const fh = await open(four.path, 'r+');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(four.meta.size, 0);
  await fh.write(len, 0, 4, four.meta.size - 16);
  await fh.close();
  const latest = await store.latest();
  assert.is(latest?.meta.index, 3);
  assert.ok(store.isCorrupt(four.path), 'snapshot 4 reported corrupt');
});

test('a trailer of another format version is not read as this one: latest() falls back to the older snapshot', async () => {
  const store = await newStore();
  await write(store, 3);
  const four = await write(store, 4);
  // The u32 format version sits 12 bytes before the end (then the 8-byte magic); it is outside the metadata checksum.
  const fh = await open(four.path, 'r+');
  const version = Buffer.alloc(4);
  version.writeUInt32LE(2, 0);
  await fh.write(version, 0, 4, four.meta.size - 12);
  await fh.close();
  const latest = await store.latest();
  assert.is(latest?.meta.index, 3);
  assert.ok(store.isCorrupt(four.path), 'snapshot 4 reported corrupt');
});

test('open() does not trip over a directory named like one of its temp files', async () => {
  const dataDir = await tempDir();
  dirs.push(dataDir);
  const dir = snapshotDir(dataDir);
  await mkdir(join(dir, `${snapshotFileName(2, 1)}.abcdef012345.tmp`), { recursive: true });
  const store = await SnapshotStore.open(dir);
  assert.is((await write(store, 5)).meta.index, 5);
  assert.ok((await stat(join(dir, `${snapshotFileName(2, 1)}.abcdef012345.tmp`))).isDirectory(), 'not ours to delete');
});

test('a snapshot installed again under a name once marked corrupt is sound again', async () => {
  const store = await newStore();
  const first = await write(store, 5);
  store.markCorrupt(first.path, 'rotted');
  const again = await write(store, 5);
  assert.is(again.path, first.path);
  assert.not.ok(store.isCorrupt(again.path), 'the new file is not the rotten one');
  assert.is(await store.fallbackBefore(6), 5);
});

test('a corrupt file deleted by retention is no longer reported corrupt', async () => {
  const store = await newStore(1);
  const first = await write(store, 5);
  store.markCorrupt(first.path, 'rotted');
  await write(store, 6);
  assert.equal(store.corrupt.map((e) => e.message), [], 'nothing corrupt is left');
});

test.run();
