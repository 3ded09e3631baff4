// Shared helpers of the WAL tests: temporary directories and entries whose bytes are derived
// from (index, term), so any entry read back can be checked without remembering it.
import { mkdtemp, open, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../../wal/index.js';
import { checkFrame, decodeSegmentHeader, SEGMENT_HEADER_BYTES } from '../../wal/record.js';
import { SeededRandom } from '../../src/core/rng.js';

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = 'tsraft-wal-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory made by {@link tempDir}. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** Deterministic payload of the entry (index, term): length 0..63 unless `size` is given. */
export function entryData(index: number, term: number, size = (index * 7 + term) % 64): Uint8Array {
  const data = new Uint8Array(size);
  let x = (index * 2654435761 + term * 40503) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

/** The entry (index, term) with its deterministic payload; type is index % 3. */
export function makeEntry(index: number, term: number, size?: number): Entry {
  return { index, term, type: index % 3, data: entryData(index, term, size) };
}

/** Entries from..to (inclusive) all in `term`. */
export function makeEntries(from: number, to: number, term: number, size?: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = from; index <= to; index++) entries.push(makeEntry(index, term, size));
  return entries;
}

/** Whether `entry` is exactly what {@link makeEntry} makes for its index and term (any size). */
export function isIntact(entry: Entry, size?: number): boolean {
  const expected = makeEntry(entry.index, entry.term, size);
  return entry.type === expected.type && Buffer.compare(Buffer.from(entry.data), Buffer.from(expected.data)) === 0;
}

/** Payload size of entry `index` in the crash test: 40..239 bytes. */
export function crashEntrySize(index: number): number {
  return 40 + ((index * 13) % 200);
}

/** A small seeded PRNG (mulberry32): one seed reproduces a run. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** Where the records of a segment file end: before the unwritten tail of a preallocated one. */
export async function writtenBytes(file: string): Promise<number> {
  const buf = await readFile(file);
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') throw new Error(`${file}: ${header}`);
  let pos = SEGMENT_HEADER_BYTES;
  for (let end = checkFrame(buf, pos, buf.length, header.salt); end > 0; end = checkFrame(buf, pos, buf.length, header.salt)) pos = end;
  return pos;
}

export type FileHandleMethod = 'write' | 'truncate' | 'datasync' | 'sync';

/** Makes the next `skip + 1`-th call of FileHandle.prototype[method] fail with `code` (once). */
export async function failOnce(method: FileHandleMethod, code: string, skip = 0): Promise<{ restore: () => void; fired: () => boolean }> {
  const probe = join(tmpdir(), `tsraft-rv-probe-${process.pid}-${Math.random()}`);
  const fh = await open(probe, 'w');
  const proto = Object.getPrototypeOf(fh) as Record<FileHandleMethod, (...args: unknown[]) => Promise<unknown>>;
  await fh.close();
  await rm(probe, { force: true });
  const original = proto[method];
  let calls = 0;
  let fired = false;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    if (!fired && calls++ === skip) {
      fired = true;
      return Promise.reject(Object.assign(new Error(`${code}: injected, ${method}`), { code }));
    }
    return original.apply(this, args);
  };
  return { restore: () => void (proto[method] = original), fired: () => fired };
}

/** Paths under `dir` that this process still has open. */
export async function openFilesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir + '/')) out.push(target);
  }
  return out;
}
