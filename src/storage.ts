/**
 * The core's stable storage over the write-ahead log (`wal/`), plus the latest snapshot's
 * metadata. The core reads synchronously (`Storage`); the Node driver writes Ready batches
 * through `persist`, installs received snapshots and compacts behind local ones.
 *
 * Reads the core makes synchronously are served from the WAL's LRU cache; when entries are only
 * on disk, `entries()` answers undefined, the core puts the range in Ready.fetch, the driver calls
 * `load()` and then wakes the core, which finds them in `loaded`.
 * @module
 */
import { bootstrapEntry } from './core/membership.js';
import { EntryType, type Entry, type HardState, type Membership, type SnapshotMeta } from './core/messages.js';
import type { Storage } from './core/storage.js';
import { Wal, type SyncMode } from '../wal/index.js';

/** Most bytes one `load()` reads for the core. */
const LOAD_BYTES = 8 * 1024 * 1024;

/** Snapshot metadata meaning "no snapshot". */
const NO_SNAPSHOT: SnapshotMeta = { index: 0, term: 0, membership: [], size: 0 };

/**
 * Why a log that starts at `firstIndex` cannot be opened behind the latest readable snapshot,
 * which ends at `snapshotIndex` (undefined: none), or undefined when it can. The log was compacted
 * behind a snapshot that is no longer readable; resetting the log to the older snapshot would
 * delete entries this member acknowledged, so `open` refuses instead (and `raft-node inspect`
 * reports it in the same words).
 */
export function logPastSnapshot(firstIndex: number, snapshotIndex: number | undefined): string | undefined {
  const covered = snapshotIndex ?? 0;
  if (firstIndex <= covered + 1) return undefined;
  return (
    `the log starts at entry ${firstIndex} but ${snapshotIndex !== undefined ? `the latest readable snapshot ends at entry ${covered}` : 'no readable snapshot was found'}: ` +
    `entries ${covered + 1} to ${firstIndex - 1} are in neither (the snapshot that held them is corrupt or missing). ` +
    `This member lost state it may have acknowledged and does not start: put a good copy of that snapshot back, or remove this member, move its data directory away and add it again`
  );
}

export class WalStorage implements Storage {
  private snap: SnapshotMeta;
  private confEntries: Entry[];
  /** The last range loaded from disk for the core (see the module comment). */
  private loaded: Entry[] = [];

  private constructor(
    readonly wal: Wal,
    snapshot: SnapshotMeta | undefined,
    confEntries: Entry[],
    /** Whether `open` found an empty log and wrote the founding configuration into it. */
    readonly bootstrapped: boolean,
  ) {
    this.snap = snapshot ?? NO_SNAPSHOT;
    this.confEntries = confEntries;
  }

  /**
   * Opens the log in `dir`. `snapshot` is the latest snapshot on disk, if any. A founding member
   * (`bootstrap` non-empty) with an empty log writes the founding configuration as entry 1. A log
   * that does not contain the snapshot's last entry (a crash between storing a received snapshot
   * and resetting the log) is reset to start after the snapshot.
   * @throws Error when the log starts past the snapshot's end (the snapshot the log was compacted
   * behind is corrupt or missing): entries are lost, and the member must not rejoin with this data
   */
  static async open(
    dir: string,
    options: {
      sync: SyncMode;
      cacheBytes?: number;
      segmentBytes?: number;
      preallocate?: boolean;
      snapshot?: SnapshotMeta;
      bootstrap?: Membership;
      onFsync?: (seconds: number) => void;
    },
  ): Promise<WalStorage> {
    const { sync, cacheBytes, segmentBytes, preallocate, onFsync } = options;
    const wal = await Wal.open(dir, {
      sync,
      ...(cacheBytes !== undefined ? { cacheBytes } : {}),
      ...(segmentBytes !== undefined ? { segmentBytes } : {}),
      ...(preallocate !== undefined ? { preallocate } : {}),
      ...(onFsync !== undefined ? { onFsync } : {}),
    });
    // What follows may fail (a read error, ENOSPC on the bootstrap save): the WAL is closed again,
    // or it stayed held by this process and every later start failed (found in review).
    try {
      const snap = options.snapshot;
      const gap = logPastSnapshot(wal.firstIndex, snap?.index);
      if (gap !== undefined) throw new Error(gap);
      if (snap && snap.index > 0 && wal.term(snap.index) !== snap.term) {
        const hs = wal.hardState;
        await wal.reset(snap.index, snap.term, { term: hs.term, vote: hs.vote, commit: Math.max(hs.commit, snap.index) });
      }
      const founding = options.bootstrap ?? [];
      const bootstrapped = !snap && wal.lastIndex === 0 && founding.length > 0;
      if (bootstrapped) {
        const e = bootstrapEntry(founding);
        await wal.save({ entries: [{ index: e.index, term: e.term, type: e.type, data: e.data }], hardState: { term: 1, vote: 0, commit: 1 } });
      }
      // Every configuration change after the snapshot, for the core's membership history.
      const confEntries: Entry[] = [];
      const from = Math.max(wal.firstIndex, (snap?.index ?? 0) + 1);
      for (let lo = from; lo <= wal.lastIndex; ) {
        const batch = await wal.entries(lo, wal.lastIndex + 1, LOAD_BYTES);
        for (const e of batch) if (e.type === EntryType.ConfChange) confEntries.push(e as Entry);
        lo += batch.length;
      }
      return new WalStorage(wal, snap, confEntries, bootstrapped);
    } catch (err) {
      await wal.close().catch(() => undefined);
      throw err;
    }
  }

  initialState(): { hardState: HardState; confEntries: Entry[] } {
    const hs = this.wal.hardState;
    return { hardState: { term: hs.term, vote: hs.vote, commit: hs.commit }, confEntries: this.confEntries };
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  firstIndex(): number {
    return this.wal.firstIndex;
  }

  lastIndex(): number {
    return Math.max(this.wal.lastIndex, this.snap.index);
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    return this.wal.term(index);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    const cached = this.wal.cachedEntries(lo, hi, maxBytes) as Entry[] | undefined;
    if (cached) return cached;
    const first = this.loaded[0]?.index;
    if (first !== undefined && lo >= first && lo < first + this.loaded.length) {
      const out: Entry[] = [];
      let bytes = 0;
      for (let i = lo; i < hi && i < first + this.loaded.length; i++) {
        const e = this.loaded[i - first]!;
        if (out.length > 0 && bytes + e.data.byteLength > maxBytes) break;
        out.push(e);
        bytes += e.data.byteLength;
      }
      // Served to its end: let it go, or up to LOAD_BYTES stayed alive beside the cache's bound
      // until the next load (found in review). Another reader of the same range loads it again.
      if (out.at(-1) === this.loaded.at(-1)) this.loaded = [];
      return out;
    }
    return undefined;
  }

  /** Loads entries [lo, hi) from disk for the core's next attempt (Ready.fetch). */
  async load(lo: number, hi: number): Promise<void> {
    const from = Math.max(lo, this.wal.firstIndex);
    const to = Math.min(hi, this.wal.lastIndex + 1);
    if (from >= to) return;
    this.loaded = (await this.wal.entries(from, to, LOAD_BYTES)) as Entry[];
  }

  /**
   * Makes a Ready's entries and hard state durable with one durable WAL write, first
   * dropping any conflicting suffix the new entries replace.
   */
  async persist(entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
    if (entries.length > 0) {
      const first = entries[0]!.index;
      if (first <= this.wal.lastIndex) {
        await this.wal.truncateAfter(first - 1);
        this.loaded = [];
      }
    }
    if (entries.length === 0 && !hardState) return;
    // A change of the commit index alone need not be durable (it is re-learned from the leader
    // after a crash), so it is saved lazily (not written now): on the leader a sync there sat
    // between commit and apply, on followers it cost a second sync per write.
    const saved = this.wal.hardState;
    const lazy = entries.length === 0 && hardState !== undefined && hardState.term === saved.term && hardState.vote === saved.vote;
    await this.wal.save({ entries: entries as Entry[], ...(hardState ? { hardState } : {}), lazy });
  }

  /** A received snapshot was stored and restored: the log now starts right after it. */
  async installSnapshot(meta: SnapshotMeta, hardState: HardState | undefined): Promise<void> {
    const hs = hardState ?? this.wal.hardState;
    await this.wal.reset(meta.index, meta.term, { term: hs.term, vote: hs.vote, commit: Math.max(hs.commit, meta.index) });
    this.loaded = [];
    this.snap = meta;
  }

  /**
   * A local snapshot at meta.index is durable: drop whole segments before it, keeping `trailing`
   * entries, and never past `keepFrom` (the entry after the previous snapshot: should this one be
   * found corrupt at start, the node replays from that one instead of refusing a log with a gap).
   */
  async compact(meta: SnapshotMeta, trailing: number, keepFrom = Infinity): Promise<void> {
    this.snap = meta;
    const before = Math.min(meta.index + 1 - trailing, keepFrom);
    if (before > this.wal.firstIndex) await this.wal.compactBefore(before);
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}
