/**
 * The values the write-ahead log stores and the options it opens with.
 * @module
 */

/** One Raft log entry. */
export interface Entry {
  /** Position in the log, from 1; consecutive entries have consecutive indices. */
  index: number;
  /** Term of the leader that created the entry; never decreases along the log. */
  term: number;
  /** Application-defined kind of entry (normal command, configuration change, ...): 0 to 2^32 - 1. */
  type: number;
  /**
   * The payload. The WAL keeps a reference in its cache, and entries returned by `entries()` may
   * be shared with other callers: treat it as immutable once saved or returned.
   */
  data: Uint8Array;
}

/** The Raft state that must survive a restart besides the log itself. */
export interface HardState {
  /** Latest term this server has seen. */
  term: number;
  /** Candidate voted for in `term`, 0 = none. */
  vote: number;
  /** Highest index known to be committed. */
  commit: number;
}

/** One durable update: a single record in one write (with `sync: 'always'` a durable O_DSYNC write). */
export interface WalUpdate {
  /** New hard state, if it changed. */
  hardState?: HardState;
  /** Entries to append; the first must have index `lastIndex + 1`. */
  entries?: readonly Entry[];
  /**
   * For a hard state alone (no entries) that a crash may lose, such as a new Raft commit index:
   * nothing is written now. `hardState` reflects it at once; it is written with the next update
   * that has entries, with a segment roll, truncation or reset, or at `close()`; a crash before
   * then loses it and the log reopens with the previous hard state. Ignored when there are
   * entries, and when the term or vote differs from the current hard state's: those are written
   * now (a lost vote could let a node vote twice in one term). Default false.
   */
  lazy?: boolean;
}

/**
 * How hard the WAL works to make each update survive a crash.
 * - `'always'` (default): every `save` and every structural change (truncation, reset,
 *   compaction, segment roll) is made durable (O_DSYNC writes, fdatasync, directory fsync)
 *   before its promise resolves. Survives power loss.
 * - `'none'`: nothing is fsync'ed. Data reaches the OS page cache, so it survives a crash of the
 *   process but NOT of the machine (power loss, kernel panic): acknowledged entries can be lost and
 *   the log can be left torn. Meant for tests and for users who accept that risk.
 */
export type SyncMode = 'always' | 'none';

/** Options of {@link Wal.open}. */
export interface WalOptions {
  /** Size at which the active segment is closed and a new one started (default 64 MiB). A segment
   * can exceed it by one update: an update is never split across segments. */
  segmentBytes?: number;
  /** Byte budget of the LRU entry cache, counting entry data plus a fixed per-entry overhead
   * (default 32 MiB; 0 disables the cache). The newest entry larger than the whole budget is
   * kept beside it, outside the budget, until a newer one or a change at its index replaces it. */
  cacheBytes?: number;
  /** Durability of updates; see {@link SyncMode}. Default `'always'`. */
  sync?: SyncMode;
  /**
   * Extend each new segment file (and the active one at open) to `segmentBytes` up front, so
   * appends do not grow the file and a synced append needs no journal commit for the new size.
   * The extension is sparse: disk blocks are used only as records fill them. Default true; turn
   * it off on a file system without sparse files, where the extension would write the zeros.
   */
  preallocate?: boolean;
  /** Called after each durable write of an update with its duration in seconds (for metrics). */
  onFsync?: (seconds: number) => void;
}

/** Counters of the LRU entry cache. */
export interface WalCacheStats {
  /** Entries served from the cache, by `entries()` or `cachedEntries()`. */
  hits: number;
  /** Entries `entries()` had to read from disk. */
  misses: number;
  /** Entries currently cached. */
  entries: number;
  /** Bytes currently accounted to the cache. */
  bytes: number;
}

/** Counters of the WAL as a whole. */
export interface WalStats {
  /** The entry cache. */
  cache: WalCacheStats;
  /** Cache hits (same as `cache.hits`). */
  hits: number;
  /** Cache misses (same as `cache.misses`). */
  misses: number;
  /** Live segment files. */
  segments: number;
  /**
   * Bytes of the live segment files' contents: their headers and the records written (dead
   * records after a truncation included), from the WAL's own bookkeeping, no file system call. A
   * preallocated segment's unwritten tail is not counted: it is sparse (see WalOptions.preallocate).
   */
  bytes: number;
  /** Bytes written by `save` since open (framing included). */
  bytesWritten: number;
  /** Durable (O_DSYNC) writes made by `save` since open. */
  syncs: number;
}
