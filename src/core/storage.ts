/**
 * The core's read-only view of stable storage, and an in-memory implementation for tests and the
 * simulation. The driver (Node layer) writes storage from Ready batches; the core only reads it.
 */
import { bootstrapEntry } from './membership.js';
import { EntryType, type Entry, type HardState, type Membership, type SnapshotMeta } from './messages.js';

/** What the core reads from durable storage. All calls are synchronous. */
export interface Storage {
  /** Hard state and every ConfChange entry after the snapshot, at start-up. */
  initialState(): { hardState: HardState; confEntries: Entry[] };
  /** The latest snapshot (index 0, term 0 and the bootstrap membership when there is none). */
  snapshot(): SnapshotMeta;
  /** Index of the first entry still in the log (snapshot index + 1 when it is empty). */
  firstIndex(): number;
  /** Index of the last entry (the snapshot index when the log is empty). */
  lastIndex(): number;
  /** Term at `index` for firstIndex-1 <= index <= lastIndex; undefined otherwise. */
  term(index: number): number | undefined;
  /**
   * Entries [lo, hi), at most `maxBytes` of data but always at least one.
   * Returns undefined when they exist but are not in memory now: the core then asks the driver
   * (Ready.fetch) to load them and retries on `wake()`.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] | undefined;
}

/** Bytes an entry accounts for in size limits: its data plus a fixed framing overhead. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 24;
}

/** Storage held in memory, used by unit tests and the deterministic simulation. */
export class MemoryStorage implements Storage {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: SnapshotMeta;
  /** ents[0] is the entry at snap.index + 1. */
  private ents: Entry[] = [];

  /** With a member list, the log starts with the bootstrap entry (a founding member); else empty (a joiner). */
  constructor(bootstrap: Membership = []) {
    this.snap = { index: 0, term: 0, membership: [], size: 0 };
    if (bootstrap.length) {
      this.ents = [bootstrapEntry(bootstrap)];
      this.hardState = { term: 1, vote: 0, commit: 1 };
    }
  }

  initialState(): { hardState: HardState; confEntries: Entry[] } {
    return {
      hardState: { ...this.hardState },
      confEntries: this.ents.filter((e) => e.type === EntryType.ConfChange),
    };
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.snap.index + this.ents.length;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    if (index < this.snap.index || index > this.lastIndex()) return undefined;
    return this.ents[index - this.snap.index - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo <= this.snap.index || hi > this.lastIndex() + 1 || lo > hi) {
      throw new RangeError(`entries [${lo}, ${hi}) out of range (${this.firstIndex()}..${this.lastIndex()})`);
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.snap.index - 1]!;
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Persists entries, truncating any existing suffix from entries[0].index on. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    if (first <= this.snap.index) throw new RangeError(`append at ${first} is behind the snapshot ${this.snap.index}`);
    if (first > this.lastIndex() + 1) throw new RangeError(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    this.ents.length = first - this.snap.index - 1;
    for (const e of entries) this.ents.push(e);
  }

  /** Replaces the whole log with a received snapshot. */
  applySnapshot(meta: SnapshotMeta): void {
    this.snap = meta;
    this.ents = [];
  }

  /** Drops the log prefix covered by a snapshot taken locally at meta.index. */
  compact(meta: SnapshotMeta): void {
    if (meta.index < this.snap.index) return;
    if (meta.index === this.snap.index) {
      this.snap = meta; // the same snapshot written again (a corrupt file replaced): its new size
      return;
    }
    if (meta.index > this.lastIndex()) throw new RangeError(`compact to ${meta.index} past last index ${this.lastIndex()}`);
    this.ents = this.ents.slice(meta.index - this.snap.index);
    this.snap = meta;
  }
}
