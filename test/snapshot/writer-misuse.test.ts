// From a mutation review of src/snapshot/writer.ts: a SnapshotWriter used wrongly fails cleanly.
// A stream the application destroyed (without an error) makes commit() reject rather than wait
// forever (the keeper would then hang its saves and installs behind it); a second commit() while
// the first runs rejects with a SnapshotError and does not spoil the first; abort() while commit()
// runs does not undo the commit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotError } from '../../src/snapshot/errors.js';
import { SnapshotStore, snapshotDir } from '../../src/snapshot/store.js';
import { membership, removeDir, tempDir, writePayload } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.map(removeDir));
});

async function newStore(): Promise<SnapshotStore> {
  const dataDir = await tempDir();
  dirs.push(dataDir);
  return SnapshotStore.open(snapshotDir(dataDir));
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test('commit() of a stream destroyed without an error rejects instead of hanging', async () => {
  const store = await newStore();
  const writer = await store.create({ index: 3, term: 1, membership: membership(1) });
  await writePayload(writer, 3, 1000);
  writer.destroy();
  const err = await within(
    writer.commit().then(
      () => undefined,
      (e: unknown) => e,
    ),
    10_000,
    'commit()',
  );
  assert.ok(err instanceof SnapshotError, `got ${String(err)}`);
  assert.is(await store.latest(), undefined, 'nothing installed');
});

test('a second commit() while the first runs rejects with a SnapshotError and the first succeeds', async () => {
  const store = await newStore();
  const writer = await store.create({ index: 4, term: 1, membership: membership(1) });
  await writePayload(writer, 4, 200 * 1024);
  const first = writer.commit();
  const second = writer.commit().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok((await second) instanceof SnapshotError, 'second commit refused');
  assert.is((await first).meta.index, 4);
  assert.is((await store.latest())?.meta.index, 4);
});

test('abort() while commit() runs does not undo the commit', async () => {
  const store = await newStore();
  const writer = await store.create({ index: 5, term: 1, membership: membership(1) });
  await writePayload(writer, 5, 200 * 1024);
  const committed = writer.commit();
  await writer.abort();
  assert.is((await committed).meta.index, 5);
  assert.is((await store.latest())?.meta.index, 5);
});

test.run();
