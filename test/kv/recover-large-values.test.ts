// recoverKv (src/kv/snapshot.ts) joined every new chunk onto the bytes still pending with
// Buffer.concat, so a record that spanned n chunks was copied ~n²/2 chunk-sizes over. The snapshot
// store hands recover() 1 MiB chunks; a value near the 59 MiB --max-value-bytes limit is then
// copied ~1.7 GB over (measured: 4 such values took 24 s to recover against 0.8 s for one copy).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable, Writable } from 'node:stream';
import { KvStore, recoverKv, saveKv } from '../../src/kv/index.js';

const MiB = 1024 * 1024;

async function snapshotBytes(store: KvStore): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await saveKv(store, new Writable({ write(c: Buffer, _e, cb) { chunks.push(Buffer.from(c)); cb(); } }));
  return Buffer.concat(chunks);
}

test('recovering large values from 1 MiB chunks copies the data a bounded number of times (not quadratic in the value size)', async () => {
  const store = new KvStore();
  store.set('a', Buffer.alloc(32 * MiB, 1));
  store.set('b', Buffer.alloc(16 * MiB, 2));
  const bytes = await snapshotBytes(store);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += MiB) chunks.push(bytes.subarray(at, at + MiB)); // as SnapshotStore.open reads
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    const out = concat(list, total);
    copied += out.length;
    return out;
  }) as typeof Buffer.concat;
  const into = new KvStore();
  try {
    await recoverKv(into, Readable.from(chunks));
  } finally {
    Buffer.concat = concat;
  }
  assert.is(into.digest(), store.digest());
  assert.ok(copied <= 3 * bytes.length, `recovering ${bytes.length} bytes copied ${copied} bytes (${(copied / bytes.length).toFixed(1)}x)`);
});

test.run();
