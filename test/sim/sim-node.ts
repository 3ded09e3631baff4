/**
 * One simulated server: durable storage that survives crashes, a Raft core, and a driver that
 * persists Ready batches asynchronously (a crash before the write completes loses it), sends
 * messages, applies committed entries to a KvMachine and serves reads.
 */
import { EntryType, MemoryStorage, Raft, SeededRandom, type Entry, type Membership, type Message, type NodeId, type RaftOptions, type Ready } from '../../src/core/index.js';
import { KvMachine, decodeCommand } from './kv-machine.js';
import { WalFaithfulStorage } from './wal-faithful-storage.js';

/**
 * Storage as weak as the real WAL (see wal-faithful-storage.ts): its own random source (so the
 * node's stream stays as it was), segment size in entries and the snapshotTrailingEntries kept.
 */
export interface WalFaithfulOptions {
  rng: SeededRandom;
  segmentEntries: number;
  trailing: number;
  /** snapshotsKept > 1: the log is kept back to the snapshot before the latest (the fallback). */
  keepFallback: boolean;
}

/** What the driver reports to the simulation. */
export interface NodeEvents {
  send(now: number, m: Message): void;
  /** An entry was persisted (for the log matching check). */
  persisted(node: SimNode, e: Entry, prevTerm: number | undefined): void;
  /** An entry was applied; `casMatched` for cas commands. */
  applied(node: SimNode, e: Entry, casMatched: boolean): void;
  /** A read became servable at applied >= index, or was dropped (index undefined). */
  readDone(node: SimNode, context: string, value: string | null | undefined): void;
  /** The core confirmed read `context` at `index` (it is served once that index applies). */
  readIndexed(node: SimNode, context: string, index: number): void;
  /** The leader served a read from its lease, at once (no heartbeat round). */
  leaseRead(node: SimNode): void;
  becameLeader(node: SimNode): void;
  /** The node started a (pre-)election: its Ready reported the role. */
  campaigned(node: SimNode): void;
  /**
   * A leader's commit index went past what it was after its last input (checked right after the
   * input that moved it, before any write in progress completes).
   */
  leaderCommitted(node: SimNode, index: number): void;
  /** A Ready's write is durable (entries appended before the call). */
  wrote(node: SimNode, entries: number): void;
  check(cond: boolean, message: string): void;
  /** Counts an event in the run's stats. */
  count(stat: string): void;
}

interface PendingRead {
  context: string;
  key: string;
  index: number;
}

export class SimNode {
  readonly storage: MemoryStorage | WalFaithfulStorage;
  /** The WAL-faithful storage may crash the node itself (at a compaction or a multi-step write): the fault phase only. */
  selfCrashes = true;
  /**
   * Durable snapshot bytes by index: the snapshot this node's log starts from and the one before
   * (as the real driver keeps with snapshotsKept 2), so a transfer of the older one goes on.
   */
  private snapshots = new Map<number, Uint8Array>();
  /** A snapshot being received, kept apart like the real driver's temporary file. */
  private incoming: { index: number; bytes: Uint8Array } | undefined;
  raft: Raft | undefined;
  machine = new KvMachine();
  appliedIndex = 0;
  incarnation = 0;
  /** The full Ready whose write is in flight; `applied` when its committed part went ahead (pipelined). */
  private persisting: { rd: Ready; doneAt: number; applied: boolean } | undefined;
  private nextTickAt: number;
  private reads: PendingRead[] = [];
  /** Keys of reads in flight by context, to serve them from the machine. */
  private readKeys = new Map<string, string>();
  private lastCommit = 0;
  /** Updated every step so the Raft clock reads simulated local time. */
  private readonly clockRef = { now: 0 };
  /** Term and commit index of this node as leader after its last input (see observe). */
  private observed = { term: -1, commit: 0, leading: false };
  /**
   * A process pause (a long GC, a stopped VM): until `until` the node does nothing; messages and
   * client reads that arrive wait in arrival order. Its clock keeps running.
   */
  /** Snapshot checks made, so a resent snapshot's check is a fresh draw. */
  private snapshotChecks = 0;
  private pause: { until: number; inbox: Array<{ m?: Message; read?: { context: string; key: string; lease: boolean } }>; readsFirst: boolean } | undefined;

  constructor(
    readonly id: NodeId,
    bootstrap: Membership,
    private readonly options: Omit<RaftOptions, 'id' | 'random' | 'clock'> & { tickMs: number },
    /** Local clock rate relative to simulated real time (clock skew). */
    readonly clockRate: number,
    private readonly rng: SeededRandom,
    private readonly events: NodeEvents,
    private readonly maxPersistDelayMs: number,
    now: number,
    /** Drive the core like the real Node: light Readys while a write is in flight. */
    private readonly pipelined = false,
    private readonly walFaithful?: WalFaithfulOptions,
    /** Announce to the members every this many ticks, as src/node.ts does (announceMeta); 0: never. */
    private readonly announceEveryTicks = 0,
  ) {
    this.storage = walFaithful ? new WalFaithfulStorage(bootstrap, walFaithful.segmentEntries) : new MemoryStorage(bootstrap);
    this.nextTickAt = this.localTime(now) + options.tickMs;
    this.start(now);
  }

  private ticksSinceAnnounce = 0;

  localTime(now: number): number {
    return now * this.clockRate;
  }

  get alive(): boolean {
    return this.raft !== undefined;
  }

  /** Alive and not paused. */
  get running(): boolean {
    return this.raft !== undefined && this.pause === undefined;
  }

  /** A Ready's durable write is in progress (a crash now loses it). */
  get writing(): boolean {
    return this.persisting !== undefined;
  }

  /**
   * Pauses the process until `until`. On resume it handles what arrived meanwhile before its
   * timers fire (client reads first when `readsFirst`, else messages first), as an event loop
   * that comes back from a pause may.
   */
  pauseUntil(until: number, readsFirst: boolean): void {
    if (!this.raft || this.pause) return;
    this.pause = { until, inbox: [], readsFirst };
  }

  start(now: number): void {
    this.incarnation++;
    const seedRng = new SeededRandom(this.rng.int(2 ** 31));
    this.clockRef.now = now;
    this.raft = new Raft(
      { ...this.options, id: this.id, random: () => seedRng.next(), clock: () => this.localTime(this.clockRef.now) },
      this.storage,
    );
    const snap = this.storage.snapshot();
    this.machine = KvMachine.restore(this.snapshots.get(snap.index) ?? new Uint8Array(0));
    this.appliedIndex = snap.index;
    this.lastCommit = this.raft.log.committed;
    this.persisting = undefined;
    this.reads = [];
    this.readKeys.clear();
    this.pause = undefined;
    this.observed = { term: -1, commit: 0, leading: false };
    this.nextTickAt = this.localTime(now) + this.options.tickMs;
  }

  crash(): void {
    this.raft = undefined;
    // The write in progress never reached the disk: what it held is lost.
    if (this.persisting && (this.persisting.rd.entries.length > 0 || this.persisting.rd.hardState)) this.events.count('unsavedWritesLost');
    if (this.storage instanceof WalFaithfulStorage) {
      if (this.persisting) this.crashDuringWrite(this.persisting.rd, this.storage, this.walFaithful!.rng);
      const found = this.storage.recover();
      if (found.reset) this.events.count('walResetAtOpen');
      if (found.lazyCommitLost) this.events.count('lazyCommitsLost');
      if (found.commitBelowSnapshot) this.events.count('restartCommitBelowSnapshot');
      if (found.logBelowSnapshot) this.events.count('restartLogBelowSnapshot');
    }
    this.persisting = undefined;
    this.reads = [];
    this.readKeys.clear();
    this.pause = undefined;
  }

  /** Advances this node to simulated time `now`: ticks, completes writes, drains Ready. */
  step(now: number): void {
    if (!this.raft) return;
    if (this.pause) {
      if (now < this.pause.until) return;
      this.resume(now);
      if (!this.raft) return;
    }
    this.clockRef.now = now;
    while (this.localTime(now) >= this.nextTickAt) {
      this.nextTickAt += this.options.tickMs;
      this.raft.tick();
      this.observe();
      if (this.announceEveryTicks > 0 && ++this.ticksSinceAnnounce >= this.announceEveryTicks) this.announce(now);
    }
    this.pump(now);
  }

  private resume(now: number): void {
    const p = this.pause!;
    this.pause = undefined;
    const reads = p.inbox.filter((x) => x.read);
    const msgs = p.inbox.filter((x) => x.m);
    for (const x of p.readsFirst ? [...reads, ...msgs] : [...msgs, ...reads]) {
      if (x.m) this.deliver(now, x.m);
      else this.read(now, x.read!.context, x.read!.key, x.read!.lease);
    }
  }

  deliver(now: number, m: Message): void {
    if (!this.raft) return;
    if (this.pause) {
      this.pause.inbox.push({ m });
      return;
    }
    this.clockRef.now = now;
    // The real driver's answer to an announcement: tell a node outside the configuration so
    // (unless this node knows it was removed: its configuration is old).
    if (isAnnouncement(m)) {
      if (this.raft.removedAt() === 0) this.raft.tellIfNotMember(m.from);
    } else this.raft.step(m);
    this.observe();
    this.pump(now);
  }

  /**
   * The real Node announces itself to its peers every min(5 s, two election timeouts), and a peer
   * that finds it outside its configuration tells it (src/node.ts announceMeta, nodeMeta): how a
   * removed member whose fellow voters cannot vouch for the configuration still learns it. One
   * that knows it was removed announces nothing more, as the real Node.
   */
  private announce(now: number): void {
    this.ticksSinceAnnounce = 0;
    if (this.raft!.removedAt() > 0) return;
    for (const m of this.raft!.membership.current()) {
      if (m.id !== this.id) this.events.send(now, announcement(this.id, m.id));
    }
  }

  /** Undefined when the node is down or paused (a client would get no answer: it tries elsewhere). */
  propose(now: number, data: Uint8Array): ReturnType<Raft['propose']> | undefined {
    if (!this.raft || this.pause) return undefined;
    this.clockRef.now = now;
    // No pump here: the caller records the proposal before any of its effects can be observed.
    const r = this.raft.propose(data);
    this.observe();
    return r;
  }

  read(now: number, context: string, key: string, lease: boolean): boolean {
    if (!this.raft) return false;
    this.readKeys.set(context, key);
    if (this.pause) {
      this.pause.inbox.push({ read: { context, key, lease } });
      return true;
    }
    this.clockRef.now = now;
    const byLease = lease && this.raft.role === 'leader' && this.raft.leaseValid();
    this.raft.readIndex(context, lease);
    if (byLease) this.events.leaseRead(this);
    this.observe();
    this.pump(now);
    return true;
  }

  /**
   * Reports a leader's commit index moving, right after the input that moved it — also when that
   * input ended the leadership in the same term: a leader that commits its own removal steps down
   * in the step that commits it, and that commit is still its decision.
   */
  private observe(): void {
    const raft = this.raft;
    if (!raft) return;
    const o = this.observed;
    if (o.leading && raft.term === o.term && raft.log.committed > o.commit) {
      o.commit = raft.log.committed;
      this.events.leaderCommitted(this, raft.log.committed);
    }
    if (raft.role !== 'leader') o.leading = false;
    // Inherited from earlier terms: this leader did not decide it.
    else if (!o.leading || raft.term !== o.term) this.observed = { term: raft.term, commit: raft.log.committed, leading: true };
  }

  /** Snapshot the machine at the applied index and compact the log behind it. */
  takeSnapshot(): void {
    const raft = this.raft;
    if (!raft || this.pause || this.persisting || this.appliedIndex <= this.storage.snapshot().index) return;
    const bytes = this.machine.snapshot();
    const meta = raft.snapshotMetaAt(this.appliedIndex, bytes.byteLength);
    const previous = this.storage.snapshot().index;
    this.keepSnapshot(meta.index, bytes);
    if (this.storage instanceof WalFaithfulStorage) {
      // The snapshot file is durable; the compaction behind it is a later step, never past the
      // entry after the previous snapshot (the fallback should this one be found corrupt).
      const { rng, trailing } = this.walFaithful!;
      const keepFrom = previous > 0 && this.walFaithful!.keepFallback ? previous + 1 : Infinity;
      if (this.selfCrashes && rng.chance(0.05)) {
        // A crash between the save and the compaction, or in the middle of the compaction.
        this.storage.compact(meta, trailing, keepFrom, rng.int(3));
        this.events.count('crashesBeforeCompaction');
        this.crash();
        return;
      }
      this.storage.compact(meta, trailing, keepFrom);
    } else {
      this.storage.compact(meta);
    }
    raft.compacted(meta);
  }

  /**
   * The writes with the most steps (a truncation before the append, a snapshot install) are rare
   * and short: one in ten crashes the node while it is on disk, so that their partial states are
   * reached at all.
   */
  private crashesMidStep(rd: Ready, s: WalFaithfulStorage, rng: SeededRandom): boolean {
    const truncates = rd.entries.length > 0 && rd.entries[0]!.index <= s.lastIndex();
    if (!this.selfCrashes || !(truncates || rd.snapshot) || !rng.chance(0.1)) return false;
    this.events.count(rd.snapshot ? 'crashesAtSnapshotInstall' : 'crashesAtTruncation');
    this.crash();
    return true;
  }

  /**
   * The crash cut the Ready's write short (or the write failed: an fsync error is fatal to the
   * WAL, and the node stops): a prefix of its durable steps landed — one time in five all of them,
   * the driver never learning it. A torn record is dropped whole at recovery: no partial step.
   */
  private crashDuringWrite(rd: Ready, s: WalFaithfulStorage, rng: SeededRandom): void {
    const steps: Array<() => void> = [];
    if (rd.snapshot) {
      const meta = rd.snapshot;
      const bytes = this.incoming?.index === meta.index ? this.incoming.bytes : undefined;
      if (!bytes || bytes.byteLength !== meta.size) return;
      steps.push(() => {
        this.keepSnapshot(meta.index, bytes);
        s.snapshotFileSaved(meta);
      });
      steps.push(() => s.resetTo(meta, rd.hardState));
    }
    const lastEntry = rd.entries.at(-1);
    const truncates = !rd.snapshot && rd.entries.length > 0 && rd.entries[0]!.index <= s.lastIndex();
    const total = steps.length + (rd.entries.length > 0 || rd.hardState ? 3 : 0);
    // Half the time a truncating write stops right after its truncation (rare enough otherwise).
    const landed = truncates && rng.chance(0.5) ? 1 : rng.chance(0.2) ? Infinity : rng.int(total + 1);
    if (landed > 0 && landed !== Infinity) this.events.count('partialWritesLanded');
    if (landed === Infinity) this.events.count('unackedWritesLanded');
    if (rd.snapshot) this.events.count('crashesDuringSnapshotInstall');
    let done = 0;
    for (const step of steps) {
      if (done++ >= landed) return;
      step();
    }
    for (const step of s.persistSteps(rd.entries, rd.hardState)) {
      if (done++ >= landed) break;
      step();
    }
    if (truncates && lastEntry && s.term(lastEntry.index) !== lastEntry.term) this.events.count('truncationsWithoutAppend');
    for (const e of rd.entries) if (s.term(e.index) === e.term && e.index <= s.lastIndex()) this.events.persisted(this, e, s.term(e.index - 1));
  }

  /** A new latest snapshot: it and the one before it are kept, older ones dropped. */
  private keepSnapshot(index: number, bytes: Uint8Array): void {
    const before = [...this.snapshots.keys()].filter((i) => i < index).sort((a, b) => b - a)[0];
    this.snapshots = new Map(before === undefined ? [[index, bytes]] : [[before, this.snapshots.get(before)!], [index, bytes]]);
  }

  /**
   * Sends `m`; a snapshot chunk of a snapshot this node no longer keeps is not sent: the core is
   * told (as the real driver does) and starts the transfer again with the latest.
   */
  private sendOut(now: number, raft: Raft, m: Message): void {
    if (m.type === 'snapshot' && m.length > 0 && this.snapshots.get(m.meta.index)?.byteLength !== m.meta.size) {
      this.events.count('snapshotsGone');
      raft.snapshotUnavailable(m.to, m.meta);
      return;
    }
    this.events.send(now, m);
  }

  /** Bytes of the snapshot at `index` this node can serve (for filling outgoing chunks). */
  snapshotBytes(index: number): Uint8Array | undefined {
    return this.snapshots.get(index);
  }

  private pump(now: number): void {
    for (;;) {
      const raft = this.raft;
      if (!raft) return;
      if (this.persisting) {
        if (now < this.persisting.doneAt) {
          // Like the real Node: a light Ready only while the write in flight has had its
          // committed entries applied (a Ready with snapshot work is handled as one step).
          if (!this.persisting.applied || !raft.hasLightReady()) return;
          this.takeLight(now, raft);
          continue;
        }
        const { rd, applied } = this.persisting;
        this.persisting = undefined;
        this.finish(now, raft, rd, applied);
        continue;
      }
      if (!raft.hasReady()) return;
      const rd = raft.ready();
      this.reportRole(rd);
      for (const m of rd.earlyMessages) this.sendOut(now, raft, m);
      // Pipelined: committed entries are durable on a quorum and go ahead of this node's write.
      const applyNow = this.pipelined && !rd.snapshot && rd.snapshotChunks.length === 0;
      if (applyNow) this.applyReady(rd);
      this.persisting = { rd, doneAt: now + this.rng.int(this.maxPersistDelayMs + 1), applied: applyNow };
      if (this.walFaithful && this.storage instanceof WalFaithfulStorage && this.crashesMidStep(rd, this.storage, this.walFaithful.rng)) return;
    }
  }

  private reportRole(rd: Ready): void {
    if (rd.softState?.role === 'leader') this.events.becameLeader(this);
    if (rd.softState?.role === 'candidate' || rd.softState?.role === 'preCandidate') this.events.campaigned(this);
  }

  /** A light Ready, taken while a write is in flight: nothing in it may wait for that write. */
  private takeLight(now: number, raft: Raft): void {
    const rd = raft.readyLight();
    this.events.check(rd.entries.length === 0 && rd.messages.length === 0 && !rd.hardState && !rd.snapshot, `node ${this.id}: a light Ready carried durable work`);
    this.reportRole(rd);
    this.events.count('lightReadys');
    for (const m of rd.earlyMessages) this.sendOut(now, raft, m);
    this.applyReady(rd);
    raft.advance(rd);
    this.afterAdvance();
  }

  private finish(now: number, raft: Raft, rd: Ready, applied = false): void {
    // 1. durable writes
    if (rd.snapshot) {
      const bytes = this.incoming?.index === rd.snapshot.index ? this.incoming.bytes : undefined;
      this.incoming = undefined;
      this.events.check(bytes !== undefined && bytes.byteLength === rd.snapshot.size, `node ${this.id}: snapshot ${rd.snapshot.index} installed without its bytes`);
      if (this.storage instanceof WalFaithfulStorage) {
        this.storage.snapshotFileSaved(rd.snapshot);
        this.storage.resetTo(rd.snapshot, rd.hardState);
      } else {
        this.storage.applySnapshot(rd.snapshot);
      }
      this.events.count('snapshotInstalls');
      this.keepSnapshot(rd.snapshot.index, bytes!);
      this.machine = KvMachine.restore(bytes!);
      this.events.check(rd.snapshot.index >= this.appliedIndex, `node ${this.id}: snapshot ${rd.snapshot.index} behind applied ${this.appliedIndex}`);
      this.appliedIndex = rd.snapshot.index;
    }
    for (const c of rd.snapshotChunks) {
      const prev = c.offset === 0 || this.incoming?.index !== c.meta.index ? new Uint8Array(0) : this.incoming.bytes;
      this.events.check(prev.byteLength === c.offset, `node ${this.id}: snapshot chunk at ${c.offset} follows ${prev.byteLength} bytes`);
      const next = new Uint8Array(c.offset + c.data.byteLength);
      next.set(prev);
      next.set(c.data, c.offset);
      this.incoming = { index: c.meta.index, bytes: next };
    }
    if (this.storage instanceof WalFaithfulStorage) {
      this.storage.persist(rd.entries, rd.hardState);
    } else {
      this.storage.append(rd.entries);
      if (rd.hardState) this.storage.hardState = rd.hardState;
    }
    for (const e of rd.entries) this.events.persisted(this, e, this.storage.term(e.index - 1));
    this.events.wrote(this, rd.entries.length);
    // 2. messages that promise durable state
    for (const m of rd.messages) this.sendOut(now, raft, m);
    // 3. apply (unless it went ahead of the write)
    if (!applied) this.applyReady(rd);
    raft.advance(rd);
    // 4. the check of a snapshot whose bytes all arrived: one in four fails, as a transfer
    // corrupted on the leader's disk or on the way would (the leader sends it again). Decided by
    // a hash, not the node's random stream, so the rest of a seed's schedule stays as it was.
    for (const c of rd.snapshotChunks) {
      if (!c.done) continue;
      const corrupt = Math.imul(c.meta.index + ++this.snapshotChecks * 31 + this.id * 7, 2654435761) >>> 30 === 0;
      if (corrupt) this.events.count('snapshotChecksFailed');
      raft.snapshotChecked(c.meta, !corrupt);
    }
    this.afterAdvance();
  }

  /** Applies a Ready's committed entries and takes its read states. */
  private applyReady(rd: Ready): void {
    const lastDurable = this.storage.lastIndex();
    if (rd.committed.length > 0 && rd.committed[rd.committed.length - 1]!.index > lastDurable) this.events.count('appliedAheadOfWrite');
    for (const e of rd.committed) {
      this.events.check(e.index === this.appliedIndex + 1, `node ${this.id}: applied ${e.index} after ${this.appliedIndex}`);
      let matched = true;
      if (e.type === EntryType.Normal) matched = this.machine.apply(decodeCommand(e.data));
      this.appliedIndex = e.index;
      this.events.applied(this, e, matched);
    }
    for (const r of rd.readStates) {
      this.events.readIndexed(this, r.context, r.index);
      const key = this.readKeys.get(r.context);
      if (key !== undefined) this.reads.push({ context: r.context, key, index: r.index });
    }
    for (const ctx of rd.droppedReads) {
      if (this.readKeys.delete(ctx)) this.events.readDone(this, ctx, undefined);
    }
  }

  private afterAdvance(): void {
    const raft = this.raft!;
    this.observe();
    const commit = raft.log.committed;
    this.events.check(commit >= this.lastCommit, `node ${this.id}: commit went back from ${this.lastCommit} to ${commit}`);
    this.lastCommit = commit;
    this.serveReads();
  }

  private serveReads(): void {
    if (this.reads.length === 0) return;
    const keep: PendingRead[] = [];
    for (const r of this.reads) {
      if (r.index <= this.appliedIndex) {
        this.readKeys.delete(r.context);
        this.events.readDone(this, r.context, this.machine.data.get(r.key) ?? null);
      } else {
        keep.push(r);
      }
    }
    this.reads = keep;
  }
}

/** Marks the sim's stand-in for the driver's nodeMeta announcement (not a core message). */
const ANNOUNCEMENT = Symbol('announcement');

/** An announcement from `from` to `to`: a term-0 heartbeat answer that never reaches the core. */
function announcement(from: NodeId, to: NodeId): Message {
  return Object.assign({ type: 'heartbeatResp' as const, from, to, term: 0, round: 0 }, { [ANNOUNCEMENT]: true });
}

function isAnnouncement(m: Message): boolean {
  return ANNOUNCEMENT in m;
}
