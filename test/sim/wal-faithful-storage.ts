/**
 * Simulated stable storage as weak as the real one (src/storage.ts WalStorage over wal/), for the
 * simulation's crashes. MemoryStorage makes a whole Ready durable in one atomic step with the
 * commit index; the real storage does not, and a crash can leave what this class can leave:
 *
 * - Commit-only hard-state changes are lazy (WalStorage.persist, Wal.saveNow `lazy`): they stay
 *   in memory and become durable only with the next record, segment roll, truncation or reset.
 *   A crash loses them: the restart finds an older commit index, possibly below the snapshot's
 *   index (the core then starts from max(commit, snapshot index), RaftLog's constructor).
 * - A Ready's write is up to three durable steps in order: truncateAfter (a new segment whose
 *   header carries the current hard state, lazy commit included), a segment roll (the same), and
 *   one update record (entries and hard state together, CRC'd: a torn record is dropped whole at
 *   recovery). A crash keeps a prefix of them: truncation done and the appended entries missing
 *   is possible. A failed write (fsync error) is fatal to the WAL and stops the node: the same
 *   states, the failed step either landed or not.
 * - Installing a received snapshot is: snapshot file made latest, then Wal.reset (atomic, new hard
 *   state with it), then the Ready's own persist. A crash after the first step restarts from the
 *   new snapshot with the old log, which WalStorage.open resets when it does not hold the
 *   snapshot's last entry (with the old term and vote).
 * - A local snapshot is saved first and the log compacted behind it later, by deleting whole
 *   segments oldest first, never past `keepFrom` (the entry after the previous snapshot) nor
 *   within `trailing` entries of the snapshot. So the log may start well below the snapshot
 *   (firstIndex() <= snapshot index + 1): entries before the snapshot stay readable.
 *
 * The simulation reads `hardState`, `lastIndex()`, `term()` and `snapshot()` as the durable state
 * (what a restart finds): they never show a lazy commit.
 */
import { EntryType, type Entry, type HardState, type SnapshotMeta, type Storage } from '../../src/core/index.js';
import { bootstrapEntry } from '../../src/core/membership.js';
import type { Membership } from '../../src/core/index.js';

const NO_SNAPSHOT: SnapshotMeta = { index: 0, term: 0, membership: [], size: 0 };

/** Bytes an entry accounts for in the core's size limits (as MemoryStorage counts). */
const entrySize = (e: Entry): number => e.data.byteLength + 24;

export class WalFaithfulStorage implements Storage {
  /** Latest snapshot on disk. */
  private snap: SnapshotMeta = NO_SNAPSHOT;
  /** The WAL: entries [first, first + ents.length - 1], term of first - 1 is prevTerm. */
  private first = 1;
  private prevTerm = 0;
  private ents: Entry[] = [];
  /** First index of each live segment, ascending; segStarts[0] === first. */
  private segStarts: number[] = [1];
  /** Hard state in the segment files. */
  private durable: HardState = { term: 0, vote: 0, commit: 0 };
  /** The WAL's current hard state: `durable` plus a lazy commit not written yet. */
  private memory: HardState = { term: 0, vote: 0, commit: 0 };

  /**
   * @param bootstrap founding membership (written as entry 1, commit 1), or [] for a joiner
   * @param segmentEntries a segment rolls before a record that would take it past this many entries
   */
  constructor(
    bootstrap: Membership,
    private readonly segmentEntries: number,
  ) {
    if (bootstrap.length) {
      const e = bootstrapEntry(bootstrap);
      this.ents = [e];
      this.durable = { term: 1, vote: 0, commit: 1 };
      this.memory = { ...this.durable };
    }
  }

  /** The hard state a restart finds (a lazy commit is not in it). */
  get hardState(): HardState {
    return this.durable;
  }

  private get walLast(): number {
    return this.first + this.ents.length - 1;
  }

  private walTerm(index: number): number | undefined {
    if (index === this.first - 1) return this.prevTerm;
    if (index < this.first || index > this.walLast) return undefined;
    return this.ents[index - this.first]!.term;
  }

  // --- Storage (as WalStorage answers it) ---

  initialState(): { hardState: HardState; confEntries: Entry[] } {
    const from = Math.max(this.first, this.snap.index + 1);
    return { hardState: { ...this.memory }, confEntries: this.ents.filter((e) => e.index >= from && e.type === EntryType.ConfChange) };
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return Math.max(this.walLast, this.snap.index);
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    return this.walTerm(index);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.first || hi > this.walLast + 1 || lo > hi) {
      throw new RangeError(`entries [${lo}, ${hi}) out of range (${this.first}..${this.walLast})`);
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.first]!;
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  // --- Writes, as durable steps ---

  /**
   * The durable steps of WalStorage.persist(entries, hardState), in order. Running a prefix of
   * them and then `recover()` is a crash during that write. A commit-only change is not a step
   * (nothing is written), but it runs with the steps: a later segment header carries it.
   */
  persistSteps(entries: readonly Entry[], hardState: HardState | undefined): Array<() => void> {
    const steps: Array<() => void> = [];
    if (entries.length > 0 && entries[0]!.index <= this.walLast) {
      const after = entries[0]!.index - 1;
      steps.push(() => this.truncateAfter(after));
    }
    if (entries.length === 0 && !hardState) return steps;
    const lazy = entries.length === 0 && hardState !== undefined && hardState.term === this.memory.term && hardState.vote === this.memory.vote;
    if (lazy) {
      // Nothing is written (not a crash point): only the WAL's memory changes, now.
      this.memory = { ...hardState };
      return steps;
    }
    // A roll (a new segment, the current hard state in its header) before a record that does not
    // fit, then the record. Decided when it runs: a truncation before it changes the segments.
    const n = entries.length;
    steps.push(() => this.maybeRoll(n));
    steps.push(() => this.record(entries, hardState));
    return steps;
  }

  /** WalStorage.persist done whole (the driver saw the write complete). */
  persist(entries: readonly Entry[], hardState: HardState | undefined): void {
    for (const step of this.persistSteps(entries, hardState)) step();
  }

  private truncateAfter(index: number): void {
    if (index >= this.walLast) return;
    if (index < this.first - 1) throw new RangeError(`truncateAfter(${index}) before the log's start ${this.first}`);
    this.ents.length = index + 1 - this.first;
    this.segStarts = this.segStarts.filter((s) => s <= index);
    this.segStarts.push(index + 1); // replaces a segment that started there, if any
    this.durable = { ...this.memory }; // the new segment's header
  }

  private maybeRoll(entries: number): void {
    const active = this.segStarts[this.segStarts.length - 1]!;
    const inActive = this.walLast + 1 - active;
    if (inActive > 0 && inActive + entries > this.segmentEntries) {
      this.segStarts.push(this.walLast + 1);
      this.durable = { ...this.memory };
    }
  }

  private record(entries: readonly Entry[], hardState: HardState | undefined): void {
    if (entries.length > 0 && entries[0]!.index !== this.walLast + 1) {
      throw new RangeError(`append at ${entries[0]!.index} does not continue the log ending at ${this.walLast}`);
    }
    for (const e of entries) this.ents.push(e);
    if (hardState) this.memory = { ...hardState };
    // A pending lazy commit rides along with the record.
    this.durable = { ...this.memory };
  }

  /**
   * Step 1 of installing a received snapshot: its file is the latest on disk (the WAL is not
   * reset yet). Step 2 is `resetTo`.
   */
  snapshotFileSaved(meta: SnapshotMeta): void {
    this.snap = meta;
  }

  /** Wal.reset: the log restarts after the snapshot, the hard state replaced with it atomically. */
  resetTo(meta: SnapshotMeta, hardState: HardState | undefined): void {
    const hs = hardState ?? this.memory;
    this.snap = meta;
    this.first = meta.index + 1;
    this.prevTerm = meta.term;
    this.ents = [];
    this.segStarts = [this.first];
    this.memory = { term: hs.term, vote: hs.vote, commit: Math.max(hs.commit, meta.index) };
    this.durable = { ...this.memory };
  }

  /**
   * WalStorage.compact after a local snapshot's file is durable: deletes whole segments before
   * min(meta.index + 1 - trailing, keepFrom), oldest first, each deletion durable. `maxDeletes`
   * stops early (a crash in the middle of it).
   */
  compact(meta: SnapshotMeta, trailing: number, keepFrom: number, maxDeletes = Infinity): void {
    if (meta.index > this.walLast) throw new RangeError(`compact to ${meta.index} past the durable last index ${this.walLast}`);
    if (meta.index < this.snap.index) return;
    this.snap = meta;
    const before = Math.min(meta.index + 1 - trailing, keepFrom);
    let deleted = 0;
    while (this.segStarts.length > 1 && this.segStarts[1]! <= before && deleted < maxDeletes) {
      const next = this.segStarts[1]!;
      this.prevTerm = this.walTerm(next - 1)!;
      this.ents = this.ents.slice(next - this.first);
      this.first = next;
      this.segStarts.shift();
      deleted++;
    }
  }

  /**
   * A crash: what is in memory only (a lazy commit) is lost, and the restart opens the storage
   * as WalStorage.open does. Returns what the restart will find, for the run's stats.
   * @throws Error where WalStorage.open would refuse to start (the log starts past the snapshot)
   */
  recover(): { lazyCommitLost: boolean; commitBelowSnapshot: boolean; logBelowSnapshot: boolean; reset: boolean } {
    const lazyCommitLost = this.memory.commit > this.durable.commit;
    this.memory = { ...this.durable };
    const covered = this.snap.index;
    if (this.first > covered + 1) throw new Error(`storage: the log starts at ${this.first} but the snapshot ends at ${covered} (WalStorage.open refuses)`);
    if (this.durable.commit > this.lastIndex()) throw new Error(`storage: durable commit ${this.durable.commit} is past the durable last index ${this.lastIndex()}`);
    const commitBelowSnapshot = this.durable.commit < covered;
    if (covered > 0 && this.walTerm(covered) !== this.snap.term) {
      this.resetTo(this.snap, this.durable);
      return { lazyCommitLost, commitBelowSnapshot, logBelowSnapshot: false, reset: true };
    }
    return { lazyCommitLost, commitBelowSnapshot, logBelowSnapshot: this.first <= covered, reset: false };
  }
}
