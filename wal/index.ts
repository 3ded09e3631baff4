/**
 * tsraft's write-ahead log: a standalone, segmented, checksummed log of Raft entries and hard
 * state with an LRU entry cache. Imports nothing from the rest of tsraft.
 *
 * ```ts
 * const wal = await Wal.open(dir, { segmentBytes: 64 << 20, cacheBytes: 32 << 20, sync: 'always' });
 * await wal.save({ hardState: { term: 1, vote: 1, commit: 0 }, entries: [{ index: 1, term: 1, type: 0, data }] });
 * wal.term(1); // 1
 * await wal.entries(1, 2); // [entry 1]
 * await wal.close();
 * ```
 * @module
 */
export { Wal, DEFAULT_CACHE_BYTES, DEFAULT_SEGMENT_BYTES, MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES } from './wal.js';
export type { Entry, HardState, SyncMode, WalCacheStats, WalOptions, WalStats, WalUpdate } from './types.js';
export type { RecoveryReport, TornTail } from './recovery.js';
export {
  DirectoryLockedError,
  WalAppendError,
  WalClosedError,
  WalCompactedError,
  WalCorruptionError,
  WalError,
  WalIOError,
  WalRangeError,
} from './errors.js';
export { crc32c } from './crc32c.js';
export { ByteSlab, entrySlab } from './byte-slab.js';
export { segmentFileName } from './files.js';
export { DirectoryLock, LOCK_FILE, lockHolder } from './dir-lock.js';
export type { ProcessIdentity } from './process-identity.js';
