/**
 * The write-ahead log: Raft entries and hard state in segment files, an in-memory index for
 * synchronous `term()` lookups, and an LRU cache in front of disk reads.
 * @module
 */
import { unlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { DirectoryLock } from './dir-lock.js';
import { WalAppendError, WalClosedError, WalCompactedError, WalCorruptionError, WalError, WalIOError, WalRangeError } from './errors.js';
import { EntryCache } from './entry-cache.js';
import { fsyncDirectory } from './files.js';
import { decodeEntry, encodeUpdate, encodeUpdatePieces, firstEntryOffset, newSegmentSalt, ENTRY_HEADER_BYTES, updateRecordBytes, type SegmentHeader } from './record.js';
import { recoverLog, type RecoveryReport } from './recovery.js';
import { Segment } from './segment.js';
import { SerialQueue } from './serial-queue.js';
import type { TermIndex } from './term-index.js';
import type { Entry, HardState, SyncMode, WalCacheStats, WalOptions, WalStats, WalUpdate } from './types.js';

/** Default segment roll size: 64 MiB. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Default byte budget of the entry cache: 32 MiB. */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;
/** Smallest `segmentBytes` accepted. */
export const MIN_SEGMENT_BYTES = 256;
/** Largest `segmentBytes` accepted. */
export const MAX_SEGMENT_BYTES = 1024 * 1024 * 1024;
/** Largest single update record: keeps every byte offset inside a u32 even past the roll size. */
const MAX_RECORD_BYTES = 1024 * 1024 * 1024;
/** A disk read fetches at most about this many bytes of consecutive uncached entries. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Encode buffers up to this size are kept and reused; bigger updates get a one-off buffer. */
const MAX_REUSED_BUFFER_BYTES = 8 * 1024 * 1024;
const MAX_U32 = 0xffff_ffff;

/** The segment of `segments` (sorted by first index) holding `index`, known to be in the log. */
function segmentFor(segments: readonly Segment[], index: number): Segment {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid].firstIndex <= index) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo];
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * A segmented write-ahead log for Raft.
 *
 * - Entries and hard state are saved together: one record in one durable write (O_DSYNC) per `save`.
 * - `term(i)`, `firstIndex`, `lastIndex` and `hardState` are synchronous, from memory.
 * - `entries(lo, hi)` is served from an LRU cache (newly saved entries go in), else from disk.
 * - Mutations (`save`, `truncateAfter`, `compactBefore`, `reset`, `close`) run one at a time in
 *   call order; call them without awaiting the previous one if you like. State getters reflect
 *   the mutations that have completed.
 * - Reads never wait for mutations. A read sees one consistent state: if a truncation or reset
 *   lands while it waits for the disk, it starts over.
 *
 * Indices: an empty log with no snapshot has firstIndex 1 and lastIndex 0. The entries present
 * are [firstIndex, lastIndex]; `term(firstIndex - 1)` is also known (the snapshot term, or 0).
 */
export class Wal {
  private readonly queue = new SerialQueue();
  private readonly cache: EntryCache | undefined;
  private encodeBuffer = Buffer.allocUnsafe(64 * 1024);
  private last: number;
  private currentHardState: HardState;
  private nextSeq: number;
  /** Bumped whenever existing indices may change meaning (truncation, reset). */
  private generation = 0;
  private closeRequested = false;
  /** The hard state of a lazy save is only in memory (see WalUpdate.lazy). */
  private hardStateUnwritten = false;
  private failure: WalIOError | undefined;
  private hits = 0;
  private misses = 0;
  private bytesWritten = 0;
  private syncs = 0;
  /** Called after each update's durable write with its duration in seconds (see WalOptions.onFsync). */
  onFsync: ((seconds: number) => void) | undefined;

  private constructor(
    /** Directory holding the segment files. */
    readonly dir: string,
    private readonly segmentBytes: number,
    /** Size new segment files are extended to (0: not preallocated; see WalOptions.preallocate). */
    private readonly segmentCapacity: number,
    cacheBytes: number,
    /** Durability mode chosen at open. */
    readonly sync: SyncMode,
    private segments: Segment[],
    private readonly terms: TermIndex,
    lastIndex: number,
    hardState: HardState,
    nextSeq: number,
    /** What `open` had to repair (torn tail cut, leftover files deleted). */
    readonly recovery: RecoveryReport,
    /** This process's hold on `dir`, released at close. */
    private readonly lock: DirectoryLock,
  ) {
    this.last = lastIndex;
    this.currentHardState = hardState;
    this.nextSeq = nextSeq;
    this.cache = cacheBytes > 0 ? new EntryCache(cacheBytes) : undefined;
  }

  /**
   * Opens the log in `dir`, creating the directory and an empty log if needed.
   *
   * Recovery: every record of every segment is checked (CRC-32C). Zero bytes after a segment's
   * last record are its unwritten (preallocated) space. A torn tail (a partial record or bad
   * checksum after the last whole record of the last segment: a write the crash cut short, never
   * acknowledged) is cut away. Any other damage throws {@link WalCorruptionError} naming the file
   * and byte offset: entries that may be committed are never dropped silently. Leftovers of an
   * interrupted truncation, reset or segment creation are deleted. The active segment is then
   * extended to `segmentBytes` unless `preallocate` is false.
   *
   * One Wal at a time per directory: `open` first takes the directory's `LOCK` file (see
   * dir-lock.ts) and `close` gives it back. While another process, or another Wal or Node in this
   * one, holds it, `open` rejects with {@link DirectoryLockedError} before reading or changing
   * anything. A lock left by a process that is gone (a crash) is taken over.
   */
  static async open(dir: string, options: WalOptions = {}): Promise<Wal> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    const sync = options.sync ?? 'always';
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
      throw new RangeError(`segmentBytes must be an integer from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES}, got ${segmentBytes}`);
    }
    if (!isIndex(cacheBytes)) throw new RangeError(`cacheBytes must be a non-negative integer, got ${cacheBytes}`);
    if (sync !== 'always' && sync !== 'none') throw new RangeError(`sync must be 'always' or 'none', got ${String(sync)}`);
    const absoluteDir = resolve(dir);
    const capacity = options.preallocate === false ? 0 : segmentBytes;
    const lock = await DirectoryLock.acquire(absoluteDir, { sync: sync === 'always' });
    let log;
    try {
      log = await recoverLog(absoluteDir, sync === 'always', capacity);
    } catch (error) {
      await lock.release();
      throw error;
    }
    const wal = new Wal(absoluteDir, segmentBytes, capacity, cacheBytes, sync, log.segments, log.terms, log.lastIndex, log.hardState, log.nextSeq, log.report, lock);
    wal.onFsync = options.onFsync;
    if (wal.activeSegment.header.salt === 0) {
      // A format-1 segment (an older version's) has no salt: appends go to a new, salted segment
      // at once, rather than go on being forgeable until the old one fills (found in review).
      try {
        await wal.queue.run(() => wal.guardIO(() => wal.roll()));
      } catch (error) {
        await wal.close().catch(() => undefined);
        throw error;
      }
    }
    return wal;
  }

  /**
   * Index of the first entry in the log. After `compactBefore(i)` it can be below `i`: only
   * whole segments are deleted. After `reset(i, t)` it is `i + 1`.
   */
  get firstIndex(): number {
    return this.segments[0].firstIndex;
  }

  /** Index of the last entry (firstIndex - 1 when the log holds no entries). */
  get lastIndex(): number {
    return this.last;
  }

  /** The latest saved hard state ({term: 0, vote: 0, commit: 0} for a new log). A copy. */
  get hardState(): HardState {
    return { ...this.currentHardState };
  }

  /**
   * Term of the entry at `index`, synchronously from the in-memory run-length index.
   * `term(firstIndex - 1)` is the term of the entry before the log: the snapshot term after a
   * `reset`, the last compacted entry's term after `compactBefore`, 0 for a new log.
   * Returns `undefined` for any other index outside [firstIndex - 1, lastIndex] (compacted or not
   * yet written); it never throws.
   */
  term(index: number): number | undefined {
    const first = this.segments[0].firstIndex;
    if (index === first - 1) return this.segments[0].header.prevTerm;
    if (!(index >= first && index <= this.last) || !Number.isInteger(index)) return undefined;
    return this.terms.termOf(index);
  }

  /** Counters of the LRU entry cache. */
  get cacheStats(): WalCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.cache?.size ?? 0, bytes: this.cache?.bytes ?? 0 };
  }

  /** Counters of the WAL: cache hits and misses, segments and their bytes, bytes written, durable writes. */
  get stats(): WalStats {
    const cache = this.cacheStats;
    let bytes = 0;
    for (const s of this.segments) bytes += s.size;
    return { cache, hits: cache.hits, misses: cache.misses, segments: this.segments.length, bytes, bytesWritten: this.bytesWritten, syncs: this.syncs };
  }

  /**
   * Durably appends entries and/or replaces the hard state, as one record in one write that,
   * with `sync: 'always'`, is on disk (O_DSYNC) before the promise resolves: entries and the
   * hard state that mentions them become durable together. A `lazy` hard state alone is not
   * written now (see WalUpdate.lazy).
   *
   * The first entry must have index `lastIndex + 1` (after a `truncateAfter(i)`, `i + 1`), the
   * indices must be consecutive and the terms must not go down (from the log's last entry on).
   * Otherwise the promise rejects with {@link WalAppendError} and nothing is written.
   *
   * Saved entries go into the cache by reference: do not modify them afterwards.
   * An update that does not fit in the active segment starts a new segment first.
   */
  save(update: WalUpdate): Promise<void> {
    if (this.closeRequested) return Promise.reject(new WalClosedError());
    return this.queue.run(() => this.saveNow(update));
  }

  private async saveNow(update: WalUpdate): Promise<void> {
    this.assertHealthy();
    const entries = update.entries ?? [];
    let hardState = update.hardState;
    if (entries.length === 0 && hardState === undefined) return;
    if (hardState !== undefined) this.validateHardState(hardState);
    this.validateAppend(entries);
    const current = this.currentHardState;
    if (entries.length === 0 && update.lazy === true && hardState!.term === current.term && hardState!.vote === current.vote) {
      // Nothing to write now: it rides along with the next record (or is written at close).
      this.currentHardState = { term: hardState!.term, vote: hardState!.vote, commit: hardState!.commit };
      this.hardStateUnwritten = true;
      return;
    }
    if (hardState === undefined && this.hardStateUnwritten) hardState = this.currentHardState;
    const recordBytes = updateRecordBytes(hardState, entries);
    if (recordBytes > MAX_RECORD_BYTES) throw new WalAppendError(`update of ${recordBytes} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`);

    await this.guardIO(async () => {
      let active = this.activeSegment;
      if (active.hasRecords && active.size + recordBytes > this.segmentBytes) active = await this.roll();
      const recordStart = active.size;
      const writeStart = performance.now();
      // With sync 'always' the segment was opened with O_DSYNC: this one write is also the sync.
      // A record too big for the reused buffer is written from its pieces, big entries by
      // reference, rather than copied into a fresh buffer first.
      const writing =
        recordBytes > MAX_REUSED_BUFFER_BYTES
          ? active.appendPieces(encodeUpdatePieces(hardState, entries, active.header.salt), recordBytes)
          : active.append(this.encoded(hardState, entries, recordBytes, active.header.salt), recordBytes);
      // Index and cache the entries while the disk works, so this CPU work overlaps the write
      // instead of adding to it. Readers cannot see them before `last` moves past them below
      // (and if the write fails the log is unusable anyway).
      let at = recordStart + firstEntryOffset(hardState !== undefined);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i];
        const end = at + ENTRY_HEADER_BYTES + entry.data.byteLength;
        active.addEntry(at, end);
        this.terms.append(entry.index, entry.term);
        at = end;
      }
      if (entries.length > 0) this.cache?.add(entries);
      await writing;
      this.bytesWritten += recordBytes;
      if (this.sync === 'always') {
        this.syncs++;
        this.onFsync?.((performance.now() - writeStart) / 1000);
      }
      // Durable: now make it visible.
      if (entries.length > 0) this.last = entries[entries.length - 1].index;
      if (hardState !== undefined) {
        this.currentHardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
        this.hardStateUnwritten = false;
      }
    });
  }

  /**
   * Entries [lo, hi) (half-open, like etcd), from the cache where possible, else from disk.
   * With `maxBytes`, stops before the entry that would bring the total data size over it, but
   * always returns at least one entry when lo < hi.
   *
   * Rejects with {@link WalCompactedError} if lo < firstIndex and {@link WalRangeError} if
   * hi > lastIndex + 1 or lo > hi. Returned entries may be shared with the cache: do not modify.
   */
  async entries(lo: number, hi: number, maxBytes = Infinity): Promise<Entry[]> {
    for (;;) {
      this.assertUsable();
      if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) throw new WalRangeError(`entries(${lo}, ${hi}): indices must be integers`);
      if (lo < this.firstIndex) throw new WalCompactedError(lo, this.firstIndex);
      if (lo > hi || hi > this.last + 1) {
        throw new WalRangeError(`entries(${lo}, ${hi}) is outside the log [${this.firstIndex}, ${this.last + 1})`);
      }
      if (lo === hi) return [];
      // Compaction replaces the array but leaves the segments it drops readable until we finish:
      // pin the ones this read may need before the first await, so they stay open.
      const segments = this.segments;
      const pinned = segments.slice(segments.indexOf(segmentFor(segments, lo)), segments.indexOf(segmentFor(segments, hi - 1)) + 1);
      for (const segment of pinned) segment.pin();
      try {
        const result = await this.readRange(segments, lo, hi, maxBytes);
        if (result) return result;
      } finally {
        for (const segment of pinned) segment.unpin();
      }
    }
  }

  /** Entries [lo, hi) from the cache and `segments`; undefined if a truncation or reset landed meanwhile. */
  private async readRange(segments: readonly Segment[], lo: number, hi: number, maxBytes: number): Promise<Entry[] | undefined> {
    const generation = this.generation;
    const result: Entry[] = [];
    let bytes = 0;
    let index = lo;
    while (index < hi) {
      const cached = this.cache?.lookup(index);
      if (cached) {
        const { start, run } = cached;
        const end = Math.min(hi, start + run.length);
        for (; index < end; index++) {
          const entry = run[index - start]!;
          if (result.length > 0 && bytes + entry.data.byteLength > maxBytes) return result;
          this.hits++;
          result.push(entry);
          bytes += entry.data.byteLength;
        }
        continue;
      }
      const run = await this.readFromDisk(segments, index, hi, maxBytes - bytes);
      if (generation !== this.generation) return undefined;
      this.misses += run.length;
      // A compaction that ran during the read has forgotten these indices already: cached now, they
      // would stay (no later compaction forgets below the first index), the newest oversized one
      // for good. A run comes from one segment, and compaction deletes whole segments.
      if (run[0]!.index >= this.firstIndex) this.cache?.add(run);
      for (const entry of run) {
        if (result.length > 0 && bytes + entry.data.byteLength > maxBytes) return result;
        result.push(entry);
        bytes += entry.data.byteLength;
      }
      index += run.length;
    }
    return result;
  }

  /**
   * Entries [lo, hi) if every one of them is in the cache, else `undefined` (then use
   * {@link entries}, which reads the disk). Synchronous, for callers that cannot wait, like a
   * Raft core reading its log. Same `maxBytes` rule and range errors as {@link entries}.
   */
  cachedEntries(lo: number, hi: number, maxBytes = Infinity): Entry[] | undefined {
    this.assertUsable();
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) throw new WalRangeError(`cachedEntries(${lo}, ${hi}): indices must be integers`);
    if (lo < this.firstIndex) throw new WalCompactedError(lo, this.firstIndex);
    if (lo > hi || hi > this.last + 1) throw new WalRangeError(`cachedEntries(${lo}, ${hi}) is outside the log [${this.firstIndex}, ${this.last + 1})`);
    const result: Entry[] = [];
    let bytes = 0;
    let index = lo;
    while (index < hi) {
      const cached = this.cache?.lookup(index);
      if (!cached) return undefined;
      const { start, run } = cached;
      const end = Math.min(hi, start + run.length);
      for (; index < end; index++) {
        const entry = run[index - start]!;
        if (result.length > 0 && bytes + entry.data.byteLength > maxBytes) {
          this.hits += result.length;
          return result;
        }
        result.push(entry);
        bytes += entry.data.byteLength;
      }
    }
    this.hits += result.length;
    return result;
  }

  /**
   * Reads consecutive uncached entries starting at `lo` (below `hi`) from one segment with one
   * read call: at most about {@link READ_CHUNK_BYTES}, or `budget` bytes, but at least one entry.
   */
  private async readFromDisk(segments: readonly Segment[], lo: number, hi: number, budget: number): Promise<Entry[]> {
    const segment = segmentFor(segments, lo);
    const end = Math.min(hi, segment.lastIndex + 1);
    const start = segment.startOf(lo);
    const starts = [start];
    const limit = Math.min(READ_CHUNK_BYTES, budget);
    for (let index = lo + 1; index < end && !this.cache?.has(index); index++) {
      const at = segment.startOf(index);
      // at - start bounds the data of entries [lo, index) from above.
      if (at - start >= limit) break;
      starts.push(at);
    }
    const last = lo + starts.length - 1;
    const buf = await segment.read(start, segment.endBoundOf(last));
    const entries: Entry[] = [];
    for (let k = 0; k < starts.length; k++) {
      const entry = decodeEntry(buf, starts[k] - start, lo + k, true); // readFully's own buffer
      if (!entry) throw new WalCorruptionError(segment.path, starts[k], `entry ${lo + k} is not where the index says (file changed while open?)`);
      entries.push(entry);
    }
    return entries;
  }

  /**
   * Durably removes every entry after `index` (a conflicting suffix). Afterwards lastIndex is
   * `index` and the next save continues at `index + 1`. No-op if index >= lastIndex.
   * Rejects with {@link WalCompactedError} if index < firstIndex - 1.
   *
   * Crash-safe: a new segment starting at `index + 1` is created atomically (written, synced,
   * renamed into place) and overrides the old entries from there on; only then are the segments
   * it made obsolete deleted. A crash yields the state before or after, never a mix, and truncated
   * entries can never come back.
   */
  truncateAfter(index: number): Promise<void> {
    if (this.closeRequested) return Promise.reject(new WalClosedError());
    return this.queue.run(async () => {
      this.assertHealthy();
      if (!isIndex(index)) throw new WalRangeError(`truncateAfter(${index}): index must be a non-negative integer`);
      if (index >= this.last) return;
      if (index < this.firstIndex - 1) throw new WalCompactedError(index, this.firstIndex);
      const prevTerm = this.term(index) as number;
      await this.guardIO(async () => {
        const segment = await this.createSegment(index + 1, prevTerm, false, this.currentHardState);
        const kept = this.segments.filter((s) => s.firstIndex <= index).at(-1);
        // Sealed now: the new segment takes the appends. Only the zero tail past what was written
        // goes, so readers may go on reading it meanwhile.
        await closedOnFailure(segment, kept?.trimUnwritten());
        // From here to `last`, synchronous: a read sees the log before the truncation or after it,
        // never a mix (an await in between let a read find entries cut from a segment the range
        // still claimed: a false WalCorruptionError; found in review).
        this.generation++;
        const dead = this.segments.filter((s) => s.firstIndex > index);
        this.segments = this.segments.filter((s) => s.firstIndex <= index);
        kept?.dropEntriesAfter(index);
        this.segments.push(segment);
        this.terms.truncateAfter(index);
        this.forgetCached(index + 1, this.last);
        this.last = index;
        await this.deleteSegments(dead, segment.path);
      });
    });
  }

  /**
   * Drops entries before `index` once a snapshot covers them, by deleting whole segments whose
   * entries are all below `index` (oldest first, never the active segment). No bytes are copied,
   * so firstIndex afterwards is the first index of the oldest remaining segment and can be below
   * `index`; `term(firstIndex - 1)` stays answerable from that segment's header.
   */
  compactBefore(index: number): Promise<void> {
    if (this.closeRequested) return Promise.reject(new WalClosedError());
    return this.queue.run(async () => {
      this.assertHealthy();
      if (!isIndex(index)) throw new WalRangeError(`compactBefore(${index}): index must be a non-negative integer`);
      await this.guardIO(async () => {
        const oldFirst = this.firstIndex;
        while (this.segments.length > 1 && this.segments[1].firstIndex <= index) {
          const oldest = this.segments[0];
          this.segments = this.segments.slice(1);
          this.terms.compactBefore(this.firstIndex);
          void oldest.retire();
          // Oldest first, each deletion durable before the next: a crash leaves a contiguous log.
          await unlink(oldest.path);
          if (this.sync === 'always') await fsyncDirectory(this.dir);
        }
        this.forgetCached(oldFirst, this.firstIndex - 1);
      });
    });
  }

  /**
   * Discards the whole log and restarts it after a snapshot: afterwards firstIndex is
   * `snapshotIndex + 1`, lastIndex is `snapshotIndex` and `term(snapshotIndex)` is `snapshotTerm`.
   * For a follower installing a snapshot that its log does not match (Raft, Figure 13).
   * The hard state is kept, or replaced by `hardState` atomically with the reset.
   *
   * Crash-safe: the new segment is created atomically and marked as a reset, which makes every
   * older segment dead; they are deleted afterwards (or at the next open, after a crash).
   */
  reset(snapshotIndex: number, snapshotTerm: number, hardState?: HardState): Promise<void> {
    if (this.closeRequested) return Promise.reject(new WalClosedError());
    return this.queue.run(async () => {
      this.assertHealthy();
      if (!isIndex(snapshotIndex) || !isIndex(snapshotTerm)) {
        throw new WalRangeError(`reset(${snapshotIndex}, ${snapshotTerm}): index and term must be non-negative integers`);
      }
      if (hardState !== undefined) this.validateHardState(hardState);
      const newHardState = hardState ? { term: hardState.term, vote: hardState.vote, commit: hardState.commit } : this.currentHardState;
      await this.guardIO(async () => {
        const segment = await this.createSegment(snapshotIndex + 1, snapshotTerm, true, newHardState);
        this.generation++;
        const dead = this.segments;
        this.segments = [segment];
        this.terms.clear();
        this.cache?.clear();
        this.last = snapshotIndex;
        this.currentHardState = newHardState;
        this.hardStateUnwritten = false;
        await this.deleteSegments(dead, segment.path);
      });
    });
  }

  /**
   * Waits for queued operations, then closes every file and releases the directory's lock.
   * Operations called after `close` reject with {@link WalClosedError}. Reads already in flight
   * complete first.
   */
  close(): Promise<void> {
    if (this.closeRequested) return this.queue.run(async () => undefined);
    this.closeRequested = true;
    return this.queue.run(async () => {
      let lazyWriteError: unknown;
      try {
        try {
          if (this.hardStateUnwritten && !this.failure) await this.saveNow({ hardState: this.currentHardState });
        } catch (error) {
          // Reported once every file is closed: it skipped the closing before (found in review).
          lazyWriteError = error;
        }
        if (!this.failure) await this.activeSegment.trimUnwritten().catch(() => undefined); // open extends it again
        await Promise.all(this.segments.map((s) => s.retire()));
      } finally {
        await this.lock.release();
      }
      if (lazyWriteError !== undefined) throw lazyWriteError;
    });
  }

  private get activeSegment(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** Closes the active segment and starts the next one at lastIndex + 1. */
  private async roll(): Promise<Segment> {
    const previous = this.activeSegment;
    const segment = await this.createSegment(this.last + 1, this.term(this.last) as number, false, this.currentHardState);
    if (previous.firstIndex === segment.firstIndex) {
      // It held no entries (only hard-state records) and was just replaced by the rename.
      this.segments.pop();
      void previous.retire();
    } else {
      await closedOnFailure(segment, previous.trimUnwritten());
    }
    this.segments.push(segment);
    return segment;
  }

  private async createSegment(firstIndex: number, prevTerm: number, reset: boolean, hardState: HardState): Promise<Segment> {
    const header: SegmentHeader = { seq: this.nextSeq++, firstIndex, prevTerm, reset, hardState, salt: newSegmentSalt() };
    const segment = await Segment.create(this.dir, header, this.sync === 'always', this.segmentCapacity);
    // The new header carries the latest hard state, a lazy one included.
    if (hardState === this.currentHardState) this.hardStateUnwritten = false;
    return segment;
  }

  /** Deletes segments a newer one made dead (except `replacedPath`, already renamed over). */
  private async deleteSegments(dead: Segment[], replacedPath: string): Promise<void> {
    let deleted = 0;
    for (const segment of dead) {
      void segment.retire();
      if (segment.path === replacedPath) continue;
      await unlink(segment.path);
      deleted++;
    }
    if (deleted > 0 && this.sync === 'always') await fsyncDirectory(this.dir);
  }

  /** Removes cached entries [from, to]. */
  private forgetCached(from: number, to: number): void {
    this.cache?.forget(from, to);
  }

  /** The record of `recordBytes` (at most MAX_REUSED_BUFFER_BYTES) encoded into the reused buffer. */
  private encoded(hardState: HardState | undefined, entries: readonly Entry[], recordBytes: number, salt: number): Buffer {
    if (recordBytes > this.encodeBuffer.length) this.encodeBuffer = Buffer.allocUnsafe(Math.min(MAX_REUSED_BUFFER_BYTES, Math.max(recordBytes, this.encodeBuffer.length * 2)));
    encodeUpdate(this.encodeBuffer, 0, hardState, entries, salt);
    return this.encodeBuffer;
  }

  private validateAppend(entries: readonly Entry[]): void {
    let prevIndex = this.last;
    let prevTerm = this.term(this.last) as number;
    for (const entry of entries) {
      if (entry === null || typeof entry !== 'object') throw new WalAppendError('entries must be objects');
      const { index, term, type, data } = entry;
      if (index !== prevIndex + 1) {
        throw new WalAppendError(`entry index ${index} does not continue the log: expected ${prevIndex + 1}`);
      }
      if (!isIndex(term)) throw new WalAppendError(`entry ${index} has invalid term ${term}`);
      if (term < prevTerm) throw new WalAppendError(`entry ${index} has term ${term}, below the previous entry's term ${prevTerm}`);
      if (!Number.isInteger(type) || type < 0 || type > MAX_U32) throw new WalAppendError(`entry ${index} has invalid type ${type}: must be 0..2^32-1`);
      if (!(data instanceof Uint8Array)) throw new WalAppendError(`entry ${index} data must be a Uint8Array`);
      prevIndex = index;
      prevTerm = term;
    }
  }

  private validateHardState(hardState: HardState): void {
    if (hardState === null || typeof hardState !== 'object' || !isIndex(hardState.term) || !isIndex(hardState.vote) || !isIndex(hardState.commit)) {
      throw new WalAppendError(`invalid hard state ${JSON.stringify(hardState)}: term, vote and commit must be non-negative integers`);
    }
  }

  /** Runs file-system work; an I/O failure leaves the files in an unknown state, so it is fatal. */
  private async guardIO<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof WalError) throw error;
      this.failure = new WalIOError(`write-ahead log I/O failed (${(error as Error).message}); close and reopen it`, { cause: error });
      throw this.failure;
    }
  }

  private assertUsable(): void {
    if (this.closeRequested) throw new WalClosedError();
    if (this.failure) throw this.failure;
  }

  private assertHealthy(): void {
    if (this.failure) throw this.failure;
  }
}

/**
 * Waits for `step` of a roll or truncation that created `segment`; if it fails, closes the
 * segment, which is in no list yet and so would stay open for good (close() closes the listed
 * ones), then rethrows.
 */
async function closedOnFailure(segment: Segment, step: Promise<void> | undefined): Promise<void> {
  try {
    await step;
  } catch (error) {
    await segment.close().catch(() => undefined);
    throw error;
  }
}
