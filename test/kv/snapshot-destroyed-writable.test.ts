// Mutation review of the key-value snapshot writer (src/kv/snapshot.ts, write): a writable that
// was destroyed before the save began (SnapshotWriter.abort() racing the start of a save) never
// emits 'drain', 'error' or 'close' again. A store larger than one ~256 KiB write must still make
// the save reject at once — otherwise a capture's save hangs for good, its capture is never
// released, and the store keeps every later change in its overlay with no snapshot possible.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { KvStore } from '../../src/kv/index.js';
import { captureKv, saveKv } from '../../src/kv/snapshot.js';

/** About 2 MiB over 2,000 keys: several writes. */
function bigStore(): KvStore {
  const s = new KvStore();
  for (let i = 0; i < 2000; i++) s.set(`k${i}`, Buffer.alloc(1024, i & 0xff));
  return s;
}

async function destroyedWritable(): Promise<PassThrough> {
  const w = new PassThrough();
  w.on('error', () => undefined);
  w.destroy();
  await new Promise((resolve) => setImmediate(resolve)); // its 'close' has been emitted
  return w;
}

function settles(p: Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => 'resolved',
      (e: Error) => `rejected: ${e.message}`,
    ),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), 2000))),
  ]).finally(() => clearTimeout(timer));
}

test('saveKv of a large store into an already destroyed writable rejects, it does not hang', async () => {
  const outcome = await settles(saveKv(bigStore(), await destroyedWritable()));
  assert.match(outcome, /^rejected: snapshot stream was closed/);
});

test('a capture written into an already destroyed writable rejects and releases its capture (the store can be captured again)', async () => {
  const s = bigStore();
  const write = captureKv(s);
  s.set('during', Buffer.from('x'));
  const outcome = await settles(write(await destroyedWritable()));
  assert.match(outcome, /^rejected: snapshot stream was closed/);
  const again = s.capture(); // throws while the first capture is held
  assert.is(again.entries().next().done, false);
  again.release();
  assert.is(s.get('during')?.toString(), 'x');
  assert.is(s.size, 2001);
});

test.run();
