/**
 * File-system helpers of the WAL: segment file names and the few calls whose durability rules
 * are easy to get wrong (full writes, directory fsync).
 * @module
 */
import { constants } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Digits in a segment file name: enough for any safe integer, and `ls` sorts them by index. */
const NAME_DIGITS = 20;
const SEGMENT_SUFFIX = '.wal';
/** Suffix of a segment being created; renamed into place once complete, deleted at open. */
export const TEMP_SUFFIX = '.tmp';
const SEGMENT_NAME = /^(\d{20})\.wal$/;

/** File name of the segment whose first index is `firstIndex`, e.g. `00000000000000000001.wal`. */
export function segmentFileName(firstIndex: number): string {
  return String(firstIndex).padStart(NAME_DIGITS, '0') + SEGMENT_SUFFIX;
}

/** First index encoded in a segment file name, or undefined if the name is not a segment's. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Path of the segment whose first index is `firstIndex` in `dir`. */
export function segmentPath(dir: string, firstIndex: number): string {
  return join(dir, segmentFileName(firstIndex));
}

/**
 * Flags for opening a segment file read/write. With `durableWrites`, O_DSYNC: every write is
 * durable (data and the file size) when it returns, so an append costs one trip to the thread
 * pool instead of a write and then an fdatasync. Reads are unaffected.
 */
export function segmentOpenFlags(durableWrites: boolean, create: boolean): number {
  const { O_RDWR, O_CREAT, O_TRUNC, O_DSYNC } = constants;
  return O_RDWR | (create ? O_CREAT | O_TRUNC : 0) | (durableWrites ? O_DSYNC : 0);
}

/** Writes all of `buf[0, length)` at `position`, looping over short writes. */
export async function writeFully(fh: FileHandle, buf: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(buf, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error(`write wrote nothing at ${position + done} (${length - done} bytes left)`);
    done += bytesWritten;
  }
}

/** Writes `pieces` one after another from `position` with vectored writes, looping over short writes. */
export async function writevFully(fh: FileHandle, pieces: readonly Uint8Array[], position: number): Promise<void> {
  let rest = pieces.filter((p) => p.byteLength > 0);
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, position);
    if (bytesWritten === 0) throw new Error(`writev wrote nothing at ${position} (${rest.length} pieces left)`);
    position += bytesWritten;
    let left = bytesWritten;
    let done = 0;
    while (done < rest.length && left >= rest[done]!.byteLength) left -= rest[done++]!.byteLength;
    rest = rest.slice(done);
    if (left > 0) rest[0] = rest[0]!.subarray(left);
  }
}

/** Reads exactly `length` bytes at `position` into a new buffer (fewer only if the file is shorter). */
export async function readFully(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) return buf.subarray(0, done);
    done += bytesRead;
  }
  return buf;
}

/**
 * fsyncs a directory, making the creation, renaming and deletion of the files in it durable
 * (fdatasync on a file does not cover its directory entry).
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time. With `sync`, fsyncs the parent of
 * each directory created, so the whole new path survives a crash. Not `mkdir(recursive)`: Node's
 * spins forever where the kernel refuses a directory with ENOENT although the parent exists
 * (`/proc/x`), and it reports only the first directory it created.
 */
export async function makeDirectory(dir: string, sync: boolean): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; ) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(at)).isDirectory();
    } catch (error) {
      const parent = dirname(at);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw error;
      missing.push(at);
      at = parent;
      continue;
    }
    // A file where a directory should be: say so (below the top, mkdir's ENOTDIR does).
    if (!isDirectory && missing.length === 0) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: 'ENOTDIR', path: at });
    break;
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // made meanwhile by someone else
      throw error;
    }
    if (sync) await fsyncDirectory(dirname(d));
  }
}
