// Snapshot files held open for transfers (src/snapshot/sending.ts): a file retention deletes while
// its transfer is under way is still read through the open handle; a file unused for the idle time
// is closed, and then a deleted one is gone; close() closes every file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { SendingSnapshots } from '../../src/snapshot/sending.js';
import { SnapshotStore, snapshotDir } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { membership, removeDir, tempDir, writePayload } from './helpers.js';

const dirs: string[] = [];

async function rejectsWith(p: Promise<unknown>, pattern: RegExp, message?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error, message ?? 'rejected');
  assert.match((err as Error).message, pattern, message);
}
test.after(async () => {
  await Promise.all(dirs.map(removeDir));
});

/** A store keeping one snapshot, with snapshot 10 written; `next()` writes a newer one (retention deletes the older). */
async function storeWithSnapshot(): Promise<{ store: SnapshotStore; first: StoredSnapshot; next(index: number): Promise<StoredSnapshot> }> {
  const dataDir = await tempDir();
  dirs.push(dataDir);
  const store = await SnapshotStore.open(snapshotDir(dataDir), { retain: 1 });
  const write = async (index: number): Promise<StoredSnapshot> => {
    const writer = await store.create({ index, term: 1, membership: membership(1) });
    await writePayload(writer, index, 4096);
    return writer.commit();
  };
  return { store, first: await write(10), next: write };
}

test('a file deleted by retention while it is open for a transfer is still read, byte for byte', async () => {
  const { store, first, next } = await storeWithSnapshot();
  const sending = new SendingSnapshots();
  try {
    const head = await store.readChunk(first, 0, 100, await sending.open(first));
    await next(20);
    assert.not.ok(existsSync(first.path), 'retention deleted the older file');
    assert.is(sending.find(first.meta), first);
    const tail = await store.readChunk(first, 100, first.meta.size - 100, await sending.open(first));
    const whole = Buffer.concat([head, tail]);
    assert.is(whole.length, first.meta.size);
    await rejectsWith(store.readChunk(first, 0, 100), /ENOENT/, 'without the open file it is gone');
  } finally {
    await sending.close();
  }
});

test('a file unused for the idle time is closed: a deleted one can then not be opened again', async () => {
  const { first, next } = await storeWithSnapshot();
  const sending = new SendingSnapshots(50);
  try {
    await sending.open(first);
    await next(20);
    await new Promise((r) => setTimeout(r, 1200)); // the sweep runs at least once a second
    assert.is(sending.find(first.meta), undefined, 'closed after the idle time');
    await rejectsWith(sending.open(first), /ENOENT/);
    assert.is(sending.find(first.meta), undefined, 'a failed open leaves nothing behind');
  } finally {
    await sending.close();
  }
});

test('forget() and close() close the files', async () => {
  const { first, next } = await storeWithSnapshot();
  const second = await next(20);
  const sending = new SendingSnapshots();
  await sending.open(second);
  sending.forget(second);
  assert.is(sending.find(second.meta), undefined);
  await sending.open(second);
  await sending.close();
  assert.is(sending.find(second.meta), undefined);
  assert.ok(first.meta.index < second.meta.index);
});

test.run();
