// Chunked transfer: the leader serves its snapshot file with readChunk, a follower receives it
// with beginReceive/write/finish, resuming after interruptions; corruption in transit and
// metadata that does not match are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { SnapshotMeta } from '../../src/core/messages.js';
import { SnapshotCorruptionError, SnapshotError } from '../../src/snapshot/errors.js';
import { snapshotFileName } from '../../src/snapshot/format.js';
import type { SnapshotReceiver } from '../../src/snapshot/receiver.js';
import { SnapshotStore } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { membership, payloadSlice, readAll, tempDirsRemovedAfter, writePayload } from './helpers.js';

const CHUNK = 64 * 1024;
const freshDir = tempDirsRemovedAfter(test);

async function freshStore(): Promise<SnapshotStore> {
  return SnapshotStore.open(await freshDir());
}

/** A leader store holding one snapshot of `size` data bytes at index 100, term 7. */
async function leaderWith(size: number): Promise<{ leader: SnapshotStore; snap: StoredSnapshot }> {
  const leader = await freshStore();
  const writer = await leader.create({ index: 100, term: 7, membership: membership() });
  await writePayload(writer, 100, size);
  return { leader, snap: await writer.commit() };
}

/** Sends chunks from `offset` until done or `maxChunks` were sent; returns the follower's next offset. */
async function send(leader: SnapshotStore, snap: StoredSnapshot, receiver: SnapshotReceiver, offset: number, maxChunks = Infinity): Promise<number> {
  let next = offset;
  for (let sent = 0; sent < maxChunks && next < snap.meta.size; sent++) {
    const bytes = await leader.readChunk(snap, next, Math.min(CHUNK, snap.meta.size - next));
    next = await receiver.write(next, bytes);
  }
  return next;
}

test('readChunk serves the file in order and refuses ranges outside it', async () => {
  const { leader, snap } = await leaderWith(300_000);
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < snap.meta.size; offset += CHUNK) {
    pieces.push(await leader.readChunk(snap, offset, Math.min(CHUNK, snap.meta.size - offset)));
  }
  const whole = Buffer.concat(pieces);
  assert.is(whole.length, snap.meta.size);
  assert.ok(whole.subarray(0, 300_000).equals(payloadSlice(100, 0, 300_000)), 'the data comes first');
  assert.is((await leader.readChunk(snap, 5, 0)).length, 0);
  for (const [offset, length] of [
    [-1, 10],
    [snap.meta.size - 5, 10],
    [0, 1.5],
  ]) {
    try {
      await leader.readChunk(snap, offset!, length!);
      assert.unreachable(`[${offset}, +${length})`);
    } catch (error) {
      assert.instance(error, RangeError);
    }
  }
});

test('a chunked transfer installs an identical, verified snapshot on the follower', async () => {
  const { leader, snap } = await leaderWith(1_000_000);
  const follower = await freshStore();
  const receiver = await follower.beginReceive(snap.meta);
  assert.is(await send(leader, snap, receiver, 0), snap.meta.size);
  const installed = await receiver.finish();
  assert.equal(installed.meta, snap.meta);
  assert.is(installed.dataSha256, snap.dataSha256);
  const latest = await follower.latest();
  assert.equal(latest, installed);
  assert.ok((await readAll(follower.open(latest!))).equals(payloadSlice(100, 0, 1_000_000)));
  assert.equal(await readdir(follower.dir), [snapshotFileName(100, 7)]);
});

test('resume after an interruption: duplicates and gaps store nothing and answer the expected offset', async () => {
  const { leader, snap } = await leaderWith(700_000);
  const follower = await freshStore();
  const receiver = await follower.beginReceive(snap.meta);
  const stoppedAt = await send(leader, snap, receiver, 0, 4);
  assert.is(stoppedAt, 4 * CHUNK);
  assert.is(receiver.nextOffset, stoppedAt);

  // The connection dropped; the leader (having lost track) re-sends an old chunk and skips ahead.
  assert.is(await receiver.write(2 * CHUNK, await leader.readChunk(snap, 2 * CHUNK, CHUNK)), stoppedAt, 'duplicate');
  assert.is(await receiver.write(6 * CHUNK, await leader.readChunk(snap, 6 * CHUNK, CHUNK)), stoppedAt, 'gap');
  // The driver calls beginReceive again for the same snapshot: it gets the transfer in progress.
  const again = await follower.beginReceive({ ...snap.meta });
  assert.is(again, receiver);
  assert.is(await send(leader, snap, again, again.nextOffset), snap.meta.size);
  const installed = await again.finish();
  assert.is(installed.dataSha256, snap.dataSha256);
  assert.ok((await readAll(follower.open((await follower.latest())!))).equals(payloadSlice(100, 0, 700_000)));
});

test('offset 0 restarts a transfer from scratch', async () => {
  const { leader, snap } = await leaderWith(200_000);
  const follower = await freshStore();
  const receiver = await follower.beginReceive(snap.meta);
  await receiver.write(0, Buffer.alloc(CHUNK, 0xee)); // garbage from a confused sender
  assert.is(await send(leader, snap, receiver, 0), snap.meta.size);
  assert.is((await receiver.finish()).dataSha256, snap.dataSha256);
});

test('a byte flipped in transit is caught by finish(); the temp file is deleted', async () => {
  const { leader, snap } = await leaderWith(300_000);
  const follower = await freshStore();
  const receiver = await follower.beginReceive(snap.meta);
  let next = 0;
  while (next < snap.meta.size) {
    const bytes = Buffer.from(await leader.readChunk(snap, next, Math.min(CHUNK, snap.meta.size - next)));
    if (next === 2 * CHUNK) bytes[77] ^= 1;
    next = await receiver.write(next, bytes);
  }
  try {
    await receiver.finish();
    assert.unreachable('finish of corrupted bytes');
  } catch (error) {
    assert.instance(error, SnapshotCorruptionError);
    assert.match((error as SnapshotCorruptionError).reason, 'data checksum mismatch');
  }
  assert.equal(await readdir(follower.dir), []);
  assert.is(await follower.latest(), undefined);
  assert.not.ok(receiver.isOpen);
  // The next attempt starts a new transfer.
  const retry = await follower.beginReceive(snap.meta);
  assert.is.not(retry, receiver);
  await send(leader, snap, retry, 0);
  assert.is((await retry.finish()).meta.index, 100);
});

test('check() verifies the received file without installing it; finish() then installs what was checked', async () => {
  const { leader, snap } = await leaderWith(150_000);
  const follower = await freshStore();
  const receiver = await follower.beginReceive(snap.meta);
  await send(leader, snap, receiver, 0);
  const checked = await receiver.check();
  assert.is(checked.dataSha256, snap.dataSha256);
  assert.is(await follower.latest(), undefined, 'not installed by the check');
  assert.not.ok(receiver.isOpen, 'a checked receiver takes no more bytes');
  try {
    await receiver.write(0, Buffer.alloc(10));
    assert.unreachable('write after check');
  } catch (error) {
    assert.instance(error, SnapshotError);
  }
  const installed = await receiver.finish();
  assert.is(installed.path, `${follower.dir}/${snapshotFileName(100, 7)}`);
  assert.is((await follower.latest())!.dataSha256, snap.dataSha256);
});

test('a corrupt file fails check() (the temp file is deleted); a checked file not installed is deleted by abort()', async () => {
  const { leader, snap } = await leaderWith(100_000);
  const follower = await freshStore();
  const receiver = await follower.beginReceive(snap.meta);
  let next = 0;
  while (next < snap.meta.size) {
    const bytes = Buffer.from(await leader.readChunk(snap, next, Math.min(CHUNK, snap.meta.size - next)));
    if (next === 0) bytes[5] ^= 1;
    next = await receiver.write(next, bytes);
  }
  try {
    await receiver.check();
    assert.unreachable('check of corrupted bytes');
  } catch (error) {
    assert.instance(error, SnapshotCorruptionError);
  }
  assert.equal(await readdir(follower.dir), []);
  const again = await follower.beginReceive(snap.meta);
  await send(leader, snap, again, 0);
  await again.check();
  await again.abort();
  assert.equal(await readdir(follower.dir), [], 'abort of a checked receiver deletes its file');
  assert.is(await follower.latest(), undefined);
});

test('verify() finds a stored snapshot whose bytes rotted on disk after it was written', async () => {
  const { leader, snap } = await leaderWith(50_000);
  await leader.verify(snap);
  const bytes = await readFile(snap.path);
  bytes[1234] ^= 0x10;
  await writeFile(snap.path, bytes);
  try {
    await leader.verify(snap);
    assert.unreachable('verify of a rotten file');
  } catch (error) {
    assert.instance(error, SnapshotCorruptionError);
    assert.match((error as SnapshotCorruptionError).reason, 'data checksum mismatch');
  }
});

test('finish() refuses a file whose metadata differs from the announced snapshot', async () => {
  const { leader, snap } = await leaderWith(10_000);
  const announced: SnapshotMeta[] = [
    { ...snap.meta, term: 8 },
    { ...snap.meta, index: 101 },
    { ...snap.meta, membership: membership(5) },
  ];
  for (const meta of announced) {
    const follower = await freshStore();
    const receiver = await follower.beginReceive(meta);
    await send(leader, snap, receiver, 0);
    try {
      await receiver.finish();
      assert.unreachable(JSON.stringify(meta));
    } catch (error) {
      assert.instance(error, SnapshotCorruptionError);
    }
    assert.equal(await readdir(follower.dir), []);
  }
});

test('misuse: finish before all bytes, bytes past the size, a tiny size, another snapshot replaces the transfer', async () => {
  const { leader, snap } = await leaderWith(150_000);
  const follower = await freshStore();
  const receiver = await follower.beginReceive(snap.meta);
  await send(leader, snap, receiver, 0, 1);
  try {
    await receiver.finish();
    assert.unreachable('early finish');
  } catch (error) {
    assert.instance(error, SnapshotError);
  }
  assert.ok(receiver.isOpen, 'an early finish() does not end the transfer');
  try {
    await receiver.write(receiver.nextOffset, Buffer.alloc(snap.meta.size));
    assert.unreachable('past the size');
  } catch (error) {
    assert.instance(error, SnapshotError);
    assert.match((error as Error).message, /runs past its size/);
  }
  try {
    await follower.beginReceive({ ...snap.meta, size: 3 });
    assert.unreachable('tiny size');
  } catch (error) {
    assert.instance(error, RangeError);
  }
  const newer = await follower.beginReceive({ ...snap.meta, index: 200 });
  assert.not.ok(receiver.isOpen, 'the older transfer was aborted');
  assert.equal((await readdir(follower.dir)).length, 1, 'only the new transfer has a temp file');
  await newer.abort();
  assert.equal(await readdir(follower.dir), []);
});

test.run();
