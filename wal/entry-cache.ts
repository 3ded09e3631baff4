/**
 * The WAL's LRU entry cache, bounded in bytes.
 *
 * It caches *runs* of consecutive entries (as saved together, or as read together from disk)
 * rather than single entries: one LRU operation per run instead of one per entry. A per-entry
 * `lru-cache` set costs about a microsecond, which at 256 entries a save was a third of the
 * fdatasync time and cost the WAL its margin over a raw write loop (see bench/wal.ts).
 *
 * Runs never overlap. `starts` lists run start indices in ascending order so the run holding an
 * index is found by binary search; a start whose run the LRU evicted stays in the list until the
 * list is rebuilt (it then just misses), which keeps eviction O(1).
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { Entry } from './types.js';

/**
 * What the cache charges per entry on top of its data: the entry object, its Uint8Array view (a
 * view into a shared slab, see byte-slab.ts) and its slot in the run. Measured with Node 20: 200k
 * cached entries of 60 data bytes took 260 bytes each of heap. Charging less lets the cache hold
 * several times its budget.
 */
const ENTRY_OVERHEAD_BYTES = 200;
/** What it charges per run: the array, the LRU slots, the start index. */
const RUN_OVERHEAD_BYTES = 128;
/** Longest run: eviction granularity stays fine even for huge saves. */
const MAX_RUN_ENTRIES = 256;

/** A cached run found for an index: `run[index - start]` is the entry. */
export interface CachedRun {
  readonly start: number;
  readonly run: readonly Entry[];
}

export class EntryCache {
  private readonly lru: LRUCache<number, Entry[]>;
  private starts: number[] = [];
  private entryCount = 0;
  private readonly maxRunBytes: number;
  /**
   * The newest run too big for the whole budget (a single entry larger than it), kept outside the
   * LRU until a newer such run, or a change to its indices, replaces it (so the budget does not
   * bound this one entry). Without it, an entry larger than the budget was read back from disk
   * (and copied) for every use: applying it here, sending it to each follower, sending it again.
   */
  private oversized: { start: number; run: Entry[]; bytes: number } | undefined;

  constructor(maxBytes: number) {
    this.maxRunBytes = Math.max(1, Math.floor(maxBytes / 8));
    this.lru = new LRUCache<number, Entry[]>({
      maxSize: maxBytes,
      dispose: (run) => {
        this.entryCount -= run.length;
      },
    });
  }

  /** Entries cached. */
  get size(): number {
    return this.entryCount + (this.oversized?.run.length ?? 0);
  }

  /** Bytes held: those charged against the budget, plus the one run too big for it. */
  get bytes(): number {
    return this.lru.calculatedSize + (this.oversized?.bytes ?? 0);
  }

  /** The run holding `index`, marking it recently used; undefined when not cached. */
  lookup(index: number): CachedRun | undefined {
    const start = this.startAtOrBefore(index);
    if (start !== undefined) {
      const run = this.lru.get(start);
      if (run !== undefined && index < start + run.length) return { start, run };
    }
    return this.oversizedAt(index);
  }

  /** Whether `index` is cached (does not change recency). */
  has(index: number): boolean {
    const start = this.startAtOrBefore(index);
    if (start !== undefined) {
      const run = this.lru.peek(start);
      if (run !== undefined && index < start + run.length) return true;
    }
    return this.oversizedAt(index) !== undefined;
  }

  private oversizedAt(index: number): CachedRun | undefined {
    const o = this.oversized;
    return o !== undefined && index >= o.start && index < o.start + o.run.length ? { start: o.start, run: o.run } : undefined;
  }

  /**
   * Caches consecutive entries (the entry objects by reference: do not modify them afterwards).
   * Cached entries at the same indices are replaced: two reads of the same range from disk may
   * race to cache it, and runs must stay disjoint.
   */
  add(entries: readonly Entry[]): void {
    let from = 0;
    while (from < entries.length) {
      let to = from;
      let bytes = RUN_OVERHEAD_BYTES;
      while (to < entries.length && to - from < MAX_RUN_ENTRIES) {
        const cost = entries[to]!.data.byteLength + ENTRY_OVERHEAD_BYTES;
        if (to > from && bytes + cost > this.maxRunBytes) break;
        bytes += cost;
        to++;
      }
      this.addRun(entries.slice(from, to), bytes);
      from = to;
    }
  }

  /** Drops cached entries in [from, to], keeping the uncovered parts of runs that straddle it. */
  forget(from: number, to: number): void {
    if (to < from) return;
    const o = this.oversized;
    if (o !== undefined && o.start <= to && o.start + o.run.length - 1 >= from) this.oversized = undefined;
    if (this.entryCount === 0) return;
    // First run that may overlap: the one at or before `from`, then every start up to `to`.
    let i = this.indexAtOrBefore(from);
    if (i < 0) i = 0;
    const keep: Entry[][] = [];
    const removed: number[] = [];
    for (; i < this.starts.length && this.starts[i]! <= to; i++) {
      const start = this.starts[i]!;
      const run = this.lru.peek(start);
      if (run === undefined) continue;
      const end = start + run.length - 1;
      if (end < from) continue;
      removed.push(start);
      if (start < from) keep.push(run.slice(0, from - start));
      if (end > to) keep.push(run.slice(to + 1 - start));
    }
    for (const start of removed) this.lru.delete(start);
    if (removed.length > 0) this.starts = this.starts.filter((s) => this.lru.has(s));
    for (const run of keep) this.add(run);
  }

  clear(): void {
    this.oversized = undefined;
    this.lru.clear();
    this.starts = [];
    this.entryCount = 0;
  }

  private addRun(run: Entry[], bytes: number): void {
    const start = run[0]!.index;
    this.forget(start, start + run.length - 1);
    this.lru.set(start, run, { size: bytes });
    if (!this.lru.has(start)) {
      // Bigger than the whole budget. Kept if it is the newest such run: a catch-up read of an
      // old big entry must not push out the one still being applied and sent.
      if (this.oversized === undefined || start >= this.oversized.start) this.oversized = { start, run, bytes };
      return;
    }
    this.entryCount += run.length;
    const last = this.starts.length - 1;
    if (last < 0 || this.starts[last]! < start) this.starts.push(start);
    else {
      // Inserting before the end: any start inside the new run is a stale one (live runs never
      // overlap); drop those, so a lookup never stops at a stale start inside a live run.
      const end = start + run.length - 1;
      let at = this.indexAtOrBefore(start);
      if (at < 0 || this.starts[at] !== start) this.starts.splice(++at, 0, start);
      let stale = 0;
      while (at + 1 + stale < this.starts.length && this.starts[at + 1 + stale]! <= end) stale++;
      if (stale > 0) this.starts.splice(at + 1, stale);
    }
    // Evicted runs leave stale starts behind; sweep them once they are the majority.
    if (this.starts.length > 2 * this.lru.size + 64) this.starts = this.starts.filter((s) => this.lru.has(s));
  }

  private startAtOrBefore(index: number): number | undefined {
    const i = this.indexAtOrBefore(index);
    return i < 0 ? undefined : this.starts[i];
  }

  /** Position of the greatest start <= index in `starts`, or -1. */
  private indexAtOrBefore(index: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
