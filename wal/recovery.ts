/**
 * Opening a WAL directory: decide which segment files are live, verify every record, rebuild the
 * in-memory index, cut a torn tail, and refuse (WalCorruptionError) anything that could hide
 * committed entries.
 *
 * Which segments are live: every segment has a creation sequence number. Replayed in seq order, a
 * segment overrides every older segment whose first index is at or after its own (that is how
 * `truncateAfter` and segment replacement work), and a reset segment overrides all older ones.
 * What is overridden is dead and deleted.
 *
 * Where a segment's records end: at the first offset that holds no valid record. Zero bytes from
 * there to the end of the file are the unwritten rest of a preallocated segment; anything else
 * there is a torn tail (cut, in the last segment only) or damage (refused).
 * @module
 */
import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { WalCorruptionError } from './errors.js';
import { fsyncDirectory, parseSegmentFileName, readFully, segmentOpenFlags, TEMP_SUFFIX } from './files.js';
import {
  checkFrame,
  claimedFrameEnd,
  decodeSegmentHeader,
  newSegmentSalt,
  decodeUpdate,
  FRAME_HEADER_BYTES,
  isZeroFilled,
  lastNonZeroByte,
  SEGMENT_HEADER_BYTES,
  type SegmentHeader,
} from './record.js';
import { Segment } from './segment.js';
import { TermIndex } from './term-index.js';
import type { HardState } from './types.js';

/** The state of a log as found on disk. */
export interface RecoveredLog {
  /** Live segments by first index; the last one is the active segment. */
  segments: Segment[];
  /** Terms of entries [segments[0].firstIndex, lastIndex]. */
  terms: TermIndex;
  /** Index of the last entry. */
  lastIndex: number;
  /** Latest hard state saved. */
  hardState: HardState;
  /** Sequence number for the next segment created. */
  nextSeq: number;
  /** What recovery had to repair. */
  report: RecoveryReport;
}

/** A torn tail `open` cut from the last segment. */
export interface TornTail {
  /** The segment file it was cut from. */
  segment: string;
  /** Byte offset in that file where the cut record began (the file now ends there). */
  offset: number;
  /** Bytes cut, up to the last non-zero one (the same as {@link RecoveryReport.tornTailBytes}). */
  bytes: number;
  /** Index of the last entry kept: the log's end right after the cut. */
  lastIndex: number;
}

/** What `open` repaired. */
export interface RecoveryReport {
  /** Bytes of torn tail cut from the last segment (0 if it ended cleanly). */
  tornTailBytes: number;
  /** Where the torn tail was cut, for a caller to say so; undefined if the log ended cleanly. */
  tornTail: TornTail | undefined;
  /** Dead segment files (left by an interrupted truncation or reset) deleted. */
  deletedSegments: number;
  /** Leftover temporary files (from an interrupted segment creation) deleted. */
  deletedTempFiles: number;
}

interface SegmentFile {
  path: string;
  handle: FileHandle;
  header: SegmentHeader;
}

/**
 * Opens (creating an empty log if there is none) the log in `dir`, which exists and is locked by
 * the caller (its LOCK file is not a segment's name, so it is ignored here). `capacity` is the
 * size new segment files are extended to, and the active one too if it is shorter (0: none; see
 * Segment.preallocate).
 */
export async function recoverLog(dir: string, sync: boolean, capacity: number): Promise<RecoveredLog> {
  const report: RecoveryReport = { tornTailBytes: 0, tornTail: undefined, deletedSegments: 0, deletedTempFiles: 0 };

  const files: SegmentFile[] = [];
  try {
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith(TEMP_SUFFIX) && parseSegmentFileName(name.slice(0, -TEMP_SUFFIX.length)) !== undefined) {
        await unlink(join(dir, name));
        report.deletedTempFiles++;
        continue;
      }
      const nameIndex = parseSegmentFileName(name);
      if (nameIndex === undefined) continue;
      files.push(await openSegmentFile(join(dir, name), nameIndex, sync));
    }
    const { live, dead } = chooseLiveSegments(files);
    for (const file of dead) {
      await file.handle.close();
      await unlink(file.path);
      report.deletedSegments++;
    }
    if (sync && report.deletedSegments + report.deletedTempFiles > 0) await fsyncDirectory(dir);
    const nextSeq = files.reduce((max, f) => Math.max(max, f.header.seq), 0) + 1;
    if (live.length === 0) {
      const header: SegmentHeader = { seq: nextSeq, firstIndex: 1, prevTerm: 0, reset: false, hardState: { term: 0, vote: 0, commit: 0 }, salt: newSegmentSalt() };
      const segment = await Segment.create(dir, header, sync, capacity);
      return { segments: [segment], terms: new TermIndex(), lastIndex: 0, hardState: header.hardState, nextSeq: nextSeq + 1, report };
    }
    const loaded = await loadSegments(live, sync, report);
    // A log written without preallocation, or a torn tail just cut: extend the active segment.
    if (capacity > 0) await loaded.segments[loaded.segments.length - 1].preallocate(capacity, sync);
    return { ...loaded, nextSeq, report };
  } catch (error) {
    await Promise.all(files.map((f) => f.handle.close().catch(() => undefined)));
    throw error;
  }
}

async function openSegmentFile(path: string, nameIndex: number, sync: boolean): Promise<SegmentFile> {
  const handle = await open(path, segmentOpenFlags(sync, false));
  const header = decodeSegmentHeader(await readFully(handle, SEGMENT_HEADER_BYTES, 0));
  if (typeof header === 'string') {
    await handle.close();
    throw new WalCorruptionError(path, 0, header);
  }
  if (header.firstIndex !== nameIndex) {
    await handle.close();
    throw new WalCorruptionError(path, 0, `header says first index ${header.firstIndex} but the file name says ${nameIndex}`);
  }
  return { path, handle, header };
}

/**
 * Replays segment creation in seq order; returns the live ones by first index and the dead.
 * Exported (and generic) for the read-only inspector, which has no file handles.
 */
export function chooseLiveSegments<F extends { path: string; header: SegmentHeader }>(files: F[]): { live: F[]; dead: F[] } {
  const bySeq = [...files].sort((a, b) => a.header.seq - b.header.seq);
  let live: F[] = [];
  const dead: F[] = [];
  for (let i = 0; i < bySeq.length; i++) {
    const file = bySeq[i];
    if (i > 0 && bySeq[i - 1].header.seq === file.header.seq) {
      throw new WalCorruptionError(file.path, 8, `segment sequence number ${file.header.seq} is also used by ${bySeq[i - 1].path}`);
    }
    const kept = file.header.reset ? [] : live.filter((f) => f.header.firstIndex < file.header.firstIndex);
    dead.push(...live.filter((f) => !kept.includes(f)));
    live = [...kept, file];
  }
  return { live, dead };
}

/** Reads and verifies every record of the live segments, building the index. */
async function loadSegments(
  files: SegmentFile[],
  sync: boolean,
  report: RecoveryReport,
): Promise<Omit<RecoveredLog, 'nextSeq' | 'report'>> {
  const terms = new TermIndex();
  const segments: Segment[] = [];
  let hardState = files[files.length - 1].header.hardState;
  let lastIndex = files[0].header.firstIndex - 1;
  let lastTerm = files[0].header.prevTerm;

  for (let s = 0; s < files.length; s++) {
    const { path, handle, header } = files[s];
    const active = s === files.length - 1;
    // Entries at or after the next segment's first index were overridden by it (a truncation).
    const liveLimit = active ? Infinity : files[s + 1].header.firstIndex - 1;
    if (header.firstIndex !== lastIndex + 1) {
      throw new WalCorruptionError(path, 0, `segment starts at index ${header.firstIndex} but the log before it ends at ${lastIndex}`);
    }
    if (header.prevTerm !== lastTerm) {
      throw new WalCorruptionError(path, 24, `segment says entry ${lastIndex} has term ${header.prevTerm} but the log has ${lastTerm}`);
    }
    const size = (await handle.stat()).size;
    const buf = await readFully(handle, size, 0);
    const segment = new Segment(path, header, handle, SEGMENT_HEADER_BYTES);
    segments.push(segment);

    let expectedIndex = header.firstIndex;
    let expectedTerm = header.prevTerm;
    let pos = SEGMENT_HEADER_BYTES;
    while (pos < size) {
      const end = checkFrame(buf, pos, size, header.salt);
      if (end < 0) {
        // Zeros to the end of the file: the unwritten rest of a preallocated segment.
        if (isZeroFilled(buf, pos, size)) break;
        if (!active) throw new WalCorruptionError(path, pos, 'damaged record (checksum mismatch or cut short) in a segment that is not the last');
        const validAfter = validRecordAfterDamage(buf, pos, size, expectedIndex, header.salt);
        if (validAfter >= 0) {
          throw new WalCorruptionError(path, pos, `damaged record followed by a valid record at offset ${validAfter}`);
        }
        // A torn final write: nothing after it was ever acknowledged. Cut it off (Wal.open
        // extends the file again); the report counts the bytes up to the last non-zero one.
        report.tornTailBytes = lastNonZeroByte(buf, pos, size) + 1 - pos;
        report.tornTail = { segment: path, offset: pos, bytes: report.tornTailBytes, lastIndex };
        await segment.truncateFile(pos, sync);
        break;
      }
      const update = decodeUpdate(buf, pos, end);
      if (typeof update === 'string') throw new WalCorruptionError(path, pos, update);
      const { indices, offsets } = update;
      if (indices.length > 0) {
        if (indices[0] !== expectedIndex) {
          throw new WalCorruptionError(path, pos, `record starts at index ${indices[0]}, expected ${expectedIndex}`);
        }
        if (update.terms[0] < expectedTerm) {
          throw new WalCorruptionError(path, pos, `entry ${indices[0]} has term ${update.terms[0]} below the previous entry's ${expectedTerm}`);
        }
        for (let k = 0; k < indices.length; k++) {
          if (indices[k] > liveLimit) break;
          const entryEnd = k + 1 < offsets.length ? offsets[k + 1] : end;
          segment.addEntry(offsets[k], entryEnd);
          terms.append(indices[k], update.terms[k]);
          lastIndex = indices[k];
          lastTerm = update.terms[k];
        }
        expectedIndex = indices[indices.length - 1] + 1;
        expectedTerm = update.terms[update.terms.length - 1];
      }
      if (active && update.hardState) hardState = update.hardState;
      pos = end;
      segment.size = pos;
    }
    if (!active && lastIndex < liveLimit) {
      throw new WalCorruptionError(path, segment.size, `segment ends at index ${lastIndex} but the next segment starts at ${liveLimit + 1}`);
    }
  }
  return { segments, terms, lastIndex, hardState };
}

/**
 * Where a valid record follows the damaged record at `pos`, or -1: a torn tail. A frame header
 * that checks out gives the damaged record's length, and a later record is looked for only past
 * it: inside it, entry data (a stored value) of a format-1 segment may hold the bytes of a valid
 * record, which made a torn final write look like damage followed by good data. (Recovery and the
 * inspector judge damage alike through this.)
 */
export function validRecordAfterDamage(buf: Buffer, pos: number, end: number, nextIndex: number, salt: number): number {
  const claimedEnd = claimedFrameEnd(buf, pos, end, salt);
  return findValidRecord(buf, claimedEnd >= 0 ? Math.min(claimedEnd, end) : pos + 1, end, nextIndex, salt);
}

/**
 * Looks for any whole, well-formed record starting in buf[from, end) that could have followed
 * the log so far (its entries, if any, come after `nextIndex - 1`). Finding one after a damaged
 * record means the damage is not a torn tail. The 8-byte frame-header checksum makes testing
 * every offset cheap.
 */
export function findValidRecord(buf: Buffer, from: number, end: number, nextIndex: number, salt: number): number {
  // A record has a non-zero byte among its first 12 (see record.ts): none starts in a zero tail.
  const lastStart = lastNonZeroByte(buf, from, end);
  for (let at = from; at <= lastStart && at + FRAME_HEADER_BYTES <= end; at++) {
    const recordEnd = checkFrame(buf, at, end, salt);
    if (recordEnd < 0) continue;
    const update = decodeUpdate(buf, at, recordEnd);
    if (typeof update === 'string') continue;
    if (update.indices.length === 0 || update.indices[0] >= nextIndex) return at;
  }
  return -1;
}
