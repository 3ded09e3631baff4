/**
 * Types shared by the snapshot store's writer, receiver and reader.
 * @module
 */
import type { Membership, SnapshotMeta } from '../core/messages.js';
import type { SessionRecord } from '../sessions.js';

/** What a new snapshot is of: the log prefix it replaces and the configuration at its index. */
export interface SnapshotTarget {
  /** Index of the last log entry the snapshot includes. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
  /** The cluster configuration at `index`. */
  readonly membership: Membership;
  /** The proposer sessions as of `index` (see sessions.ts); none when absent. */
  readonly sessions?: readonly SessionRecord[];
}

/** A complete snapshot file whose trailer and data checksum were verified. */
export interface StoredSnapshot {
  /**
   * Raft metadata. `meta.size` is the TRANSFER size: the bytes of the whole file (application data
   * plus the metadata trailer), which is what {@link SnapshotStore.readChunk} serves and what a
   * receiver expects, so a follower verifies the leader's checksum end to end.
   */
  readonly meta: SnapshotMeta;
  /** Bytes of application data: what {@link SnapshotStore.open} streams. */
  readonly dataSize: number;
  /** SHA-256 of the application data, lowercase hex. */
  readonly dataSha256: string;
  /** Path of the snapshot file. */
  readonly path: string;
  /** The proposer sessions as of `meta.index` (empty for a snapshot written without them). */
  readonly sessions: readonly SessionRecord[];
}
