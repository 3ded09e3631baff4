// Shared helpers of the snapshot tests: temporary directories, deterministic snapshot payloads
// (derived from the index, so any snapshot read back can be checked without remembering it), a
// membership, and small stream utilities.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Membership } from '../../src/core/messages.js';
import { SeededRandom } from '../../src/core/rng.js';

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = 'tsraft-snap-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory made by {@link tempDir}. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * A maker of fresh temporary directories for one test file, all removed after its tests (uvu's
 * `test.after`).
 */
export function tempDirsRemovedAfter(suite: { after(hook: () => Promise<void>): void }): () => Promise<string> {
  const dirs: string[] = [];
  suite.after(async () => {
    await Promise.all(dirs.splice(0).map(removeDir));
  });
  return async () => {
    const dir = await tempDir();
    dirs.push(dir);
    return dir;
  };
}

/** A three-voter configuration with one learner, tagged with `tag` so configurations differ. */
export function membership(tag = 0): Membership {
  return [
    { id: 1, role: 'voter', promote: false, context: `10.0.0.1:900${tag}` },
    { id: 2, role: 'voter', promote: false, context: `10.0.0.2:900${tag}` },
    { id: 3, role: 'voter', promote: false, context: `10.0.0.3:900${tag}` },
    { id: 4, role: 'learner', promote: true, context: `10.0.0.4:900${tag}` },
  ];
}

/** Deterministic bytes [offset, offset + length) of the payload of the snapshot at `index`. */
export function payloadSlice(index: number, offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const p = offset + i;
    out[i] = (Math.imul(p ^ (p >>> 11), 2654435761) + index * 40503) >>> 24;
  }
  return out;
}

/** Payload size of the snapshot at `index` in the crash test: 1 KiB .. ~400 KiB. */
export function crashPayloadSize(index: number): number {
  return 1024 + ((index * 7919) % (400 * 1024));
}

/** Writes the payload of `index` (`size` bytes) into `out` in chunks of `chunk` bytes, honouring backpressure. */
export async function writePayload(out: Writable, index: number, size: number, chunk = 64 * 1024): Promise<void> {
  for (let offset = 0; offset < size; offset += chunk) {
    const piece = payloadSlice(index, offset, Math.min(chunk, size - offset));
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
}

/** Reads a stream to the end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A small seeded PRNG (mulberry32): one seed reproduces a run. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}
