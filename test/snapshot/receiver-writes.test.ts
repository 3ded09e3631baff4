// From a mutation review of the snapshot receiver (src/snapshot/receiver.ts): the rules below were not
// checked by any test, each shown by a mutant that passed every other test:
// - write() awaits its disk write: a failed write (ENOSPC) rejects and its bytes are not
//   acknowledged (mutant: `void writeFully(...)` — the leader is told bytes are stored that never were);
// - calls are queued: two writes issued without waiting for each other are both stored (mutant:
//   serial() not chaining its tail — the second chunk is dropped as a gap, or worse interleaved);
// - no file descriptor is left open once the snapshot is installed (mutant: check() not closing
//   the temp file's handle — one descriptor leaked per snapshot received);
// - finish() runs once: a second call is refused as misuse (mutant: state not set to 'finished' —
//   the second call tried to install again and failed with a bare ENOENT from the rename).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FileHandle } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { SnapshotError } from '../../src/snapshot/errors.js';
import { snapshotFileName } from '../../src/snapshot/format.js';
import type { SnapshotReceiver } from '../../src/snapshot/receiver.js';
import { SnapshotStore } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { membership, payloadSlice, readAll, tempDirsRemovedAfter, writePayload } from './helpers.js';

const freshDir = tempDirsRemovedAfter(test);

async function freshStore(): Promise<SnapshotStore> {
  return SnapshotStore.open(await freshDir());
}

/** A leader's snapshot of `size` data bytes at index 100, term 7, read whole, and a follower store. */
async function transferOf(size: number): Promise<{ snap: StoredSnapshot; file: Buffer; follower: SnapshotStore }> {
  const leader = await freshStore();
  const writer = await leader.create({ index: 100, term: 7, membership: membership() });
  await writePayload(writer, 100, size);
  const snap = await writer.commit();
  const file = Buffer.from(await leader.readChunk(snap, 0, snap.meta.size));
  return { snap, file, follower: await freshStore() };
}

/** The receiver's temp file handle (private). */
const handleOf = (receiver: SnapshotReceiver): FileHandle => (receiver as unknown as { fh: FileHandle }).fh;

test('a disk write that fails rejects write() and its bytes are not acknowledged; the transfer then resumes where it was', async () => {
  const { snap, file, follower } = await transferOf(100_000);
  const receiver = await follower.beginReceive(snap.meta);
  const half = 50_000;
  assert.is(await receiver.write(0, file.subarray(0, half)), half);
  const fh = handleOf(receiver) as FileHandle & { write: unknown };
  fh.write = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
  let thrown: unknown;
  try {
    await receiver.write(half, file.subarray(half));
  } catch (error) {
    thrown = error;
  } finally {
    delete (fh as { write?: unknown }).write; // the prototype's write again
  }
  assert.instance(thrown, Error, 'write() rejects');
  assert.match((thrown as Error).message, /ENOSPC/);
  assert.is(receiver.nextOffset, half, 'the bytes not written are not acknowledged');
  assert.ok(receiver.isOpen);
  assert.is(await receiver.write(half, file.subarray(half)), snap.meta.size);
  assert.is((await receiver.finish()).dataSha256, snap.dataSha256);
});

test('calls are queued: writes issued without waiting for each other are all stored, in order', async () => {
  const { snap, file, follower } = await transferOf(100_000);
  const receiver = await follower.beginReceive(snap.meta);
  const cuts = [0, 30_000, 60_000, snap.meta.size];
  const acks = await Promise.all(cuts.slice(0, -1).map((at, i) => receiver.write(at, file.subarray(at, cuts[i + 1]))));
  assert.equal(acks, cuts.slice(1));
  assert.is(receiver.nextOffset, snap.meta.size);
  const [checked, installed] = await Promise.all([receiver.check(), receiver.finish()]);
  assert.is(checked.dataSha256, snap.dataSha256);
  assert.is(installed.dataSha256, snap.dataSha256);
  assert.ok((await readAll(follower.open((await follower.latest())!))).subarray(0, 100_000).equals(payloadSlice(100, 0, 100_000)));
});

test('no file descriptor stays open once a received snapshot is installed (with or without a check first)', async () => {
  for (const checkFirst of [false, true]) {
    const { snap, file, follower } = await transferOf(20_000);
    const receiver = await follower.beginReceive(snap.meta);
    const fh = handleOf(receiver);
    await receiver.write(0, file);
    assert.ok(fh.fd >= 0, 'open while bytes arrive');
    if (checkFirst) await receiver.check();
    await receiver.finish();
    assert.is(fh.fd, -1, `the temp file's handle is closed (check first: ${checkFirst})`);
  }
});

test('finish() runs once: a second call is refused with a SnapshotError and the installed snapshot stays', async () => {
  const { snap, file, follower } = await transferOf(20_000);
  const receiver = await follower.beginReceive(snap.meta);
  await receiver.write(0, file);
  const installed = await receiver.finish();
  try {
    await receiver.finish();
    assert.unreachable('a second finish()');
  } catch (error) {
    assert.instance(error, SnapshotError);
    assert.match((error as Error).message, /finished/);
  }
  await receiver.abort(); // nothing to abandon: no effect
  assert.equal(await follower.latest(), installed);
  assert.equal(await readdir(follower.dir), [snapshotFileName(100, 7)]);
});

test.run();
