// From a mutation review of src/snapshot/sending.ts: files held open for transfers. A file
// still being read is kept open past the idle time (every open() counts as a use), so a transfer
// longer than the idle time goes on through the same handle even once retention deleted the file;
// forget(), the idle sweep and close() really close the handles (fd -1): leaked handles keep
// deleted snapshots' disk space and file descriptors until the process ends. close() waits for a
// hung read a bounded time only (a failing disk held the node's stop() for good).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SendingSnapshots } from '../../src/snapshot/sending.js';
import { SnapshotStore, snapshotDir } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { membership, removeDir, tempDir, writePayload } from './helpers.js';
import { outcomeWithin } from '../support/outcome.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.map(removeDir));
});

async function storeWith(...indexes: number[]): Promise<{ store: SnapshotStore; snaps: StoredSnapshot[] }> {
  const dataDir = await tempDir();
  dirs.push(dataDir);
  const store = await SnapshotStore.open(snapshotDir(dataDir), { retain: 1 });
  const snaps: StoredSnapshot[] = [];
  for (const index of indexes) {
    const writer = await store.create({ index, term: 1, membership: membership(1) });
    await writePayload(writer, index, 4096);
    snaps.push(await writer.commit());
  }
  return { store, snaps };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Lets the closes started without awaiting (drop) run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await sleep(5);
};

test('a file read more often than the idle time stays open through the same handle', async () => {
  const { store, snaps } = await storeWith(10);
  const first = snaps[0]!;
  const sending = new SendingSnapshots(1000);
  try {
    const handle = sending.open(first);
    const fh = await handle;
    // Reads every 200 ms for 2.6 s: never idle for 1 s, though the file was opened 2.6 s ago.
    for (let t = 0; t < 13; t++) {
      await sleep(200);
      const again = sending.open(first);
      assert.ok(again === handle, `still the first handle after ${(t + 1) * 200} ms`);
      await store.readChunk(first, 0, 100, await again);
    }
    assert.ok(fh.fd >= 0, 'still open');
  } finally {
    await sending.close();
  }
});

test('forget() closes the handle', async () => {
  const { snaps } = await storeWith(10);
  const sending = new SendingSnapshots();
  try {
    const fh = await sending.open(snaps[0]!);
    sending.forget(snaps[0]!);
    await settle();
    assert.is(fh.fd, -1, 'closed');
  } finally {
    await sending.close();
  }
});

test('close() closes every handle', async () => {
  const { snaps } = await storeWith(10);
  const sending = new SendingSnapshots();
  const fh = await sending.open(snaps[0]!);
  await sending.close();
  assert.is(fh.fd, -1, 'closed');
});

test('close() waits a bounded time for a handle whose read hangs (a failing disk), then ends', async () => {
  const { snaps } = await storeWith(10);
  const sending = new SendingSnapshots();
  const fh = await sending.open(snaps[0]!);
  const realClose = fh.close.bind(fh);
  // A FileHandle closes only once its reads in progress end: one that never does.
  fh.close = () => new Promise<void>(() => {});
  try {
    const closed = await outcomeWithin(sending.close(100), 10_000);
    assert.not.ok(closed.pending, 'close() ended');
  } finally {
    await realClose();
  }
});

test('the idle sweep closes the handle', async () => {
  const { snaps } = await storeWith(10);
  const sending = new SendingSnapshots(50);
  try {
    const fh = await sending.open(snaps[0]!);
    await sleep(1300); // the sweep runs at least once a second
    await settle();
    assert.is(sending.find(snaps[0]!.meta), undefined, 'dropped');
    assert.is(fh.fd, -1, 'closed');
  } finally {
    await sending.close();
  }
});

test.run();
