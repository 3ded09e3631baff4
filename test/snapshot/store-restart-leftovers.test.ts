// The store at restart — leftovers of a crash mid-write, a corrupt
// newest snapshot, foreign entries in the snapshot directory — and retention.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readdir, writeFile, truncate, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotStore } from '../../src/snapshot/store.js';
import { snapshotFileName } from '../../src/snapshot/format.js';
import { membership, readAll, removeDir, tempDir } from './helpers.js';

async function take(store: SnapshotStore, index: number, text = `state@${index}`): Promise<void> {
  const w = await store.create({ index, term: 1, membership: membership() });
  w.write(text);
  await w.commit();
}

test('a write interrupted mid-way (temp file left) is deleted at open and never picked; a truncated newest file falls back to the older one', async () => {
  const dir = await tempDir();
  try {
    const store = await SnapshotStore.open(dir);
    await take(store, 5);
    await take(store, 9);
    // A crash mid-write: a temp file of a newer snapshot, half written.
    const w = await store.create({ index: 12, term: 1, membership: membership() });
    w.write('half');
    // A torn newest file under its final name (e.g. copied back by hand, or bytes lost).
    const newest = join(dir, snapshotFileName(9, 1));
    await truncate(newest, (await stat(newest)).size - 3);
    const reopened = await SnapshotStore.open(dir);
    assert.equal((await readdir(dir)).filter((n) => n.endsWith('.tmp')), [], 'temp files deleted at open');
    const latest = await reopened.latest();
    assert.is(latest?.meta.index, 5);
    assert.is((await readAll(reopened.open(latest!))).toString(), 'state@5');
    assert.is(reopened.corrupt.length, 1);
    assert.match(reopened.corrupt[0]!.message, /corrupt snapshot .*00000000000000000009/);
    await w.abort();
  } finally {
    await removeDir(dir);
  }
});

test('foreign files in the snapshot directory are left alone and ignored; retention keeps `retain` snapshots', async () => {
  const dir = await tempDir();
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'README'), 'mine');
    await writeFile(join(dir, '00000000000000000003-00000000000000000001.snap.bak'), 'backup');
    const store = await SnapshotStore.open(dir, { retain: 2 });
    for (const i of [1, 2, 3, 4]) await take(store, i);
    const names = (await readdir(dir)).sort();
    assert.equal(names, ['00000000000000000003-00000000000000000001.snap', '00000000000000000003-00000000000000000001.snap.bak', '00000000000000000004-00000000000000000001.snap', 'README']);
  } finally {
    await removeDir(dir);
  }
});

test('a directory ending in .tmp inside the snapshot directory does not stop the store from opening', async () => {
  const dir = await tempDir();
  try {
    const store = await SnapshotStore.open(dir);
    await take(store, 1);
    await mkdir(join(dir, 'scratch.tmp'));
    let error: unknown;
    try {
      await SnapshotStore.open(dir);
    } catch (err) {
      error = err;
    }
    assert.is(error, undefined, `open() fails on a foreign directory: ${String(error)}`);
  } finally {
    await removeDir(dir);
  }
});

test.run();
