// Deleting older snapshots after an install (pruning) must not undo the install. A directory named
// like a snapshot file (an operator's copy, say) was listed as a snapshot: pruning it threw EISDIR,
// which failed every install past the retention (a received snapshot then stopped the node) and
// SnapshotStore.open (the node did not start). And any pruning failure failed the install, though
// the new snapshot was already in place and durable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { snapshotFileName } from '../../src/snapshot/format.js';
import { SnapshotStore } from '../../src/snapshot/store.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { membership, tempDirsRemovedAfter, writePayload } from './helpers.js';

const freshDir = tempDirsRemovedAfter(test);

async function write(store: SnapshotStore, index: number): Promise<StoredSnapshot> {
  const writer = await store.create({ index, term: 1, membership: membership(1) });
  await writePayload(writer, index, 4096);
  return writer.commit();
}

test('a directory named like a snapshot file is no snapshot: installs past the retention and open pass it by', async () => {
  const dir = await freshDir();
  const impostor = join(dir, snapshotFileName(1, 1));
  await mkdir(impostor);
  await writeFile(join(impostor, 'notes'), 'kept by an operator');
  let store = await SnapshotStore.open(dir, { retain: 2 });
  for (const index of [2, 3, 4, 5]) assert.is((await write(store, index)).meta.index, index);
  assert.equal(
    (await store.list()).map((l) => l.index),
    [4, 5],
  );
  store = await SnapshotStore.open(dir, { retain: 2 });
  assert.is((await store.latest())?.meta.index, 5);
  assert.ok((await stat(impostor)).isDirectory(), 'the directory is left alone');
});

test('an install whose pruning fails still installs, reports the failure, and the next install prunes', async () => {
  const dir = await freshDir();
  const failures: Error[] = [];
  const store = await SnapshotStore.open(dir, { retain: 1, onPruneError: (err) => failures.push(err) });
  await write(store, 2);
  const prune = (store as unknown as { prune(keep: string): Promise<void> }).prune;
  (store as unknown as { prune(keep: string): Promise<void> }).prune = () => Promise.reject(new Error('EIO: i/o error, unlink'));
  const three = await write(store, 3);
  assert.is(three.meta.index, 3, 'the install resolves');
  assert.is(failures.length, 1);
  assert.match(failures[0]!.message, 'EIO');
  assert.is((await store.latest())?.meta.index, 3);
  assert.equal(
    (await store.list()).map((l) => l.index),
    [2, 3],
    'snapshot 2 is still there',
  );
  (store as unknown as { prune(keep: string): Promise<void> }).prune = prune;
  await write(store, 4);
  assert.equal(
    (await store.list()).map((l) => l.index),
    [4],
    'the next install deletes both older ones',
  );
});

test.run();
