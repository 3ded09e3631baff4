/**
 * The Raft log as the core sees it: durable entries in {@link Storage} followed by an unstable
 * tail of entries (and possibly a received snapshot) not yet persisted by the driver.
 */
import type { Entry, SnapshotMeta } from './messages.js';
import { entrySize, type Storage } from './storage.js';

/** Thrown when the core detects a broken Raft invariant: continuing could lose committed data. */
export class RaftInvariantError extends Error {
  override name = 'RaftInvariantError';
}

export class RaftLog {
  /** Highest index known to be committed. */
  committed: number;
  /** Highest index handed to the driver to apply (in a Ready not yet advanced, or applied). */
  applying: number;
  /** Highest index the driver has applied (advanced). */
  applied: number;

  /** Index of unstableEntries[0]. */
  private offset: number;
  private unstableEntries: Entry[] = [];
  /** A snapshot received from the leader and not yet installed by the driver. */
  private unstableSnapshot: SnapshotMeta | undefined;

  constructor(
    readonly storage: Storage,
    commit: number,
  ) {
    const snap = storage.snapshot();
    this.offset = storage.lastIndex() + 1;
    this.committed = Math.max(commit, snap.index);
    this.applied = snap.index;
    this.applying = snap.index;
  }

  firstIndex(): number {
    return this.unstableSnapshot ? this.unstableSnapshot.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstableEntries.length > 0) return this.offset + this.unstableEntries.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.index;
    return this.storage.lastIndex();
  }

  /** Term at `index`, or undefined when compacted away or beyond the last index. */
  term(index: number): number | undefined {
    if (index >= this.offset) {
      return this.unstableEntries[index - this.offset]?.term;
    }
    if (this.unstableSnapshot) {
      return index === this.unstableSnapshot.index ? this.unstableSnapshot.term : undefined;
    }
    if (index === 0) return 0;
    return this.storage.term(index);
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends entries, replacing any existing suffix from entries[0].index on.
   * Returns the index after which the log was truncated, or undefined when nothing was dropped.
   */
  append(entries: readonly Entry[]): number | undefined {
    if (entries.length === 0) return undefined;
    const first = entries[0]!.index;
    if (first <= this.committed) {
      throw new RaftInvariantError(`append at ${first} would overwrite committed index ${this.committed}`);
    }
    const last = this.lastIndex();
    if (first > last + 1) throw new RaftInvariantError(`append at ${first} leaves a gap after ${last}`);
    let truncatedAfter: number | undefined;
    if (first <= last) truncatedAfter = first - 1;
    if (first === this.offset + this.unstableEntries.length) {
      for (const e of entries) this.unstableEntries.push(e);
    } else if (first <= this.offset) {
      // Replaces part of the stable log: the driver truncates storage when it persists these.
      this.offset = first;
      this.unstableEntries = entries.slice();
    } else {
      this.unstableEntries = this.unstableEntries.slice(0, first - this.offset).concat(entries);
    }
    return truncatedAfter;
  }

  /**
   * The follower side of AppendEntries: if our log matches (prevIndex, prevTerm), append the
   * entries that are new (dropping a conflicting suffix) and advance commit.
   * Returns the last index known to match the leader, or undefined on mismatch.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    commit: number,
    entries: readonly Entry[],
  ): { lastNew: number; truncatedAfter: number | undefined; appended: readonly Entry[] } | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    let appended: readonly Entry[] = [];
    let truncatedAfter: number | undefined;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new RaftInvariantError(`entry ${conflict} conflicts with committed log (commit ${this.committed})`);
      }
      appended = entries.slice(conflict - entries[0]!.index);
      truncatedAfter = this.append(appended);
    }
    this.commitTo(Math.min(commit, lastNew));
    return { lastNew, truncatedAfter, appended };
  }

  /** First index whose term differs from ours (or that we lack); 0 when all match. */
  private findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) {
      throw new RaftInvariantError(`commit ${index} is past the last index ${this.lastIndex()}`);
    }
    this.committed = index;
  }

  /**
   * Entries [lo, hi) with at most maxBytes of data (always at least one), from storage and the
   * unstable tail. Undefined when storage has them but not in memory; throws when compacted.
   */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) throw new RangeError(`entries from ${lo} are compacted (first ${this.firstIndex()})`);
    if (hi > this.lastIndex() + 1) throw new RangeError(`entries to ${hi} are past the last index ${this.lastIndex()}`);
    let out: Entry[] = [];
    let bytes = 0;
    if (lo < this.offset) {
      const fromStorage = this.storage.entries(lo, Math.min(hi, this.offset), maxBytes);
      if (fromStorage === undefined) return undefined;
      out = fromStorage;
      for (const e of out) bytes += entrySize(e);
      if (out.length < Math.min(hi, this.offset) - lo) return out; // size limit reached
    }
    for (let i = Math.max(lo, this.offset); i < hi; i++) {
      const e = this.unstableEntries[i - this.offset]!;
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Whether the unstable tail or snapshot has anything to persist. */
  hasUnstable(): boolean {
    return this.unstableEntries.length > 0 || this.unstableSnapshot !== undefined;
  }

  /** Whether a received snapshot replaced the log and the driver has not installed it yet. */
  hasPendingSnapshot(): boolean {
    return this.unstableSnapshot !== undefined;
  }

  unstable(): { entries: Entry[]; snapshot: SnapshotMeta | undefined } {
    return { entries: this.unstableEntries.slice(), snapshot: this.unstableSnapshot };
  }

  /** The driver persisted entries up to (index, term): drop them from the unstable tail. */
  stableTo(index: number, term: number): void {
    if (index < this.offset || this.term(index) !== term) return;
    this.unstableEntries = this.unstableEntries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  /** The driver installed the snapshot at `index`. */
  stableSnapshotTo(index: number): void {
    if (this.unstableSnapshot?.index === index) this.unstableSnapshot = undefined;
  }

  /** Replaces the whole log with a snapshot received from the leader (Figure 13, step 7). */
  restore(meta: SnapshotMeta): void {
    this.committed = meta.index;
    this.offset = meta.index + 1;
    this.unstableEntries = [];
    this.unstableSnapshot = meta;
    this.applying = meta.index;
  }

  /** Committed entries not yet handed out for applying, at most maxBytes (at least one). */
  nextCommitted(maxBytes: number, maxEntries = Infinity): Entry[] | undefined {
    const lo = Math.max(this.applying + 1, this.firstIndex());
    if (lo > this.committed) return [];
    return this.slice(lo, Math.min(this.committed + 1, lo + maxEntries), maxBytes);
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applying;
  }
}
