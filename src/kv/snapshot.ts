/**
 * The key-value store's snapshot: a stream, so the state may exceed what one buffer holds.
 * Format: the magic `TSKV1\n`, then per key `[u32 LE key bytes][key UTF-8][u32 LE value bytes][value]`.
 * The snapshot file itself is checksummed by the snapshot store; this layer checks framing only.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { SnapshotHandler } from '../node.js';
import { KvStore } from './store.js';

const MAGIC = Buffer.from('TSKV1\n');
/** Records are gathered into writes of about this size. */
const WRITE_BYTES = 256 * 1024;

async function write(w: Writable, chunk: Buffer): Promise<void> {
  if (w.destroyed) throw new Error('snapshot stream was closed before the snapshot was written');
  if (w.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      w.off('drain', onDrain);
      w.off('error', done);
      w.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    // destroy() without an error emits only 'close': without this the save would wait forever.
    const onClose = (): void => done(new Error('snapshot stream was closed before the snapshot was written'));
    w.once('drain', onDrain);
    w.once('error', done);
    w.once('close', onClose);
  });
}

/** Writes every key of `store` into `w`, then ends it. The store must not change while it runs
 * (a Node without `capture` holds applying while `save` runs); see {@link captureKv} for a save
 * while it changes. */
export async function saveKv(store: KvStore, w: Writable): Promise<void> {
  await writeEntries(store.entries(), w);
}

/**
 * Captures `store` now (O(1), copy-on-write: {@link KvStore.capture}) and returns a save of that
 * capture, which the store may change under: the Node goes on applying while it is written.
 */
export function captureKv(store: KvStore): (w: Writable) => Promise<void> {
  const captured = store.capture();
  return async (w) => {
    try {
      await writeEntries(captured.entries(), w);
    } finally {
      captured.release();
    }
  };
}

/** Writes the magic and `entries` into `w`, then ends it. */
async function writeEntries(entries: Iterable<[string, Buffer]>, w: Writable): Promise<void> {
  let parts: Buffer[] = [MAGIC];
  let bytes = MAGIC.length;
  for (const [key, value] of entries) {
    const head = Buffer.allocUnsafe(4);
    const keyBuf = Buffer.from(key, 'utf8');
    head.writeUInt32LE(keyBuf.length, 0);
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(value.length, 0);
    parts.push(head, keyBuf, len, value);
    bytes += 8 + keyBuf.length + value.length;
    if (bytes >= WRITE_BYTES) {
      await write(w, Buffer.concat(parts, bytes));
      parts = [];
      bytes = 0;
    }
  }
  if (bytes > 0) await write(w, Buffer.concat(parts, bytes));
  if (w.destroyed) throw new Error('snapshot stream was closed before the snapshot was written');
  await new Promise<void>((resolve, reject) => {
    let failure: Error | undefined;
    w.once('error', (err) => (failure ??= err));
    // A stream destroyed without an error never calls end's callback; one that failed reports why.
    w.once('close', () => reject(failure ?? new Error('snapshot stream was closed before the snapshot was written')));
    w.end((err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

/**
 * Replaces the contents of `store` with the snapshot read from `r`. The snapshot is read into a
 * new store and swapped in whole at the end: raft-node serves local reads while a follower
 * recovers a snapshot from the leader, and they must see the old state or the new one, not a
 * state that never was. A snapshot that fails to read leaves `store` as it was.
 */
export async function recoverKv(store: KvStore, r: Readable): Promise<void> {
  const next = new KvStore();
  let pending: Buffer = Buffer.alloc(0);
  // Chunks held back while a record longer than what is pending arrives: joined once it is all
  // here. Joining every chunk onto the pending bytes copied a record spanning n chunks about n²/2
  // times (found in review: four values of 59 MiB took 24 s to recover instead of under one).
  let held: Buffer[] = [];
  let heldBytes = 0;
  let recordEnd = 0;
  let sawMagic = false;
  for await (const chunk of r as AsyncIterable<Buffer>) {
    if (recordEnd > 0) {
      held.push(chunk);
      heldBytes += chunk.length;
      if (pending.length + heldBytes < recordEnd) continue;
      pending = Buffer.concat([pending, ...held]);
      held = [];
      heldBytes = 0;
      recordEnd = 0;
    } else {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    }
    let at = 0;
    if (!sawMagic) {
      if (pending.length < MAGIC.length) continue;
      if (!pending.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a tsraft key-value snapshot (bad magic)');
      sawMagic = true;
      at = MAGIC.length;
    }
    for (;;) {
      if (pending.length - at < 4) break;
      const keyBytes = pending.readUInt32LE(at);
      if (pending.length - at < 8 + keyBytes) break;
      const valueBytes = pending.readUInt32LE(at + 4 + keyBytes);
      const end = at + 8 + keyBytes + valueBytes;
      if (pending.length < end) {
        recordEnd = end - at;
        break;
      }
      const key = pending.toString('utf8', at + 4, at + 4 + keyBytes);
      next.set(key, Buffer.from(pending.subarray(at + 8 + keyBytes, end)));
      at = end;
    }
    pending = pending.subarray(at);
  }
  if (held.length > 0) pending = Buffer.concat([pending, ...held]);
  if (!sawMagic) throw new Error('key-value snapshot is empty (no magic)');
  if (pending.length > 0) throw new Error(`key-value snapshot ends inside a record (${pending.length} bytes left over)`);
  store.replaceWith(next);
}

/** The snapshot hooks for `node.setSnapshot()`: a snapshot is a capture, so writes go on applying while it is written. */
export function kvSnapshotHandler(store: KvStore): SnapshotHandler {
  return { save: (w) => saveKv(store, w), capture: () => captureKv(store), recover: (r) => recoverKv(store, r) };
}
