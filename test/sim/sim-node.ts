/**
 * One simulated server: durable storage that survives crashes, a Raft core, and a driver that
 * persists Ready batches asynchronously (a crash before the write completes loses it), sends
 * messages, applies committed entries to a KvMachine and serves reads.
 */
import { EntryType, MemoryStorage, Raft, SeededRandom, type Entry, type Membership, type Message, type NodeId, type RaftOptions, type Ready } from '../../src/core/index.js';
import { KvMachine, decodeCommand } from './kv-machine.js';

/** What the driver reports to the simulation. */
export interface NodeEvents {
  send(now: number, m: Message): void;
  /** An entry was persisted (for the log matching check). */
  persisted(node: SimNode, e: Entry, prevTerm: number | undefined): void;
  /** An entry was applied; `casMatched` for cas commands. */
  applied(node: SimNode, e: Entry, casMatched: boolean): void;
  /** A read became servable at applied >= index, or was dropped (index undefined). */
  readDone(node: SimNode, context: string, value: string | null | undefined): void;
  becameLeader(node: SimNode): void;
  check(cond: boolean, message: string): void;
}

interface PendingRead {
  context: string;
  key: string;
  index: number;
}

export class SimNode {
  readonly storage: MemoryStorage;
  /** Durable snapshot bytes by index: the snapshot this node's log starts from. */
  private snapshots = new Map<number, Uint8Array>();
  /** A snapshot being received, kept apart like the real driver's temporary file. */
  private incoming: { index: number; bytes: Uint8Array } | undefined;
  raft: Raft | undefined;
  machine = new KvMachine();
  appliedIndex = 0;
  incarnation = 0;
  private persisting: { rd: Ready; doneAt: number } | undefined;
  private nextTickAt: number;
  private reads: PendingRead[] = [];
  /** Keys of reads in flight by context, to serve them from the machine. */
  private readKeys = new Map<string, string>();
  private lastCommit = 0;
  /** Updated every step so the Raft clock reads simulated local time. */
  private readonly clockRef = { now: 0 };

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
  ) {
    this.storage = new MemoryStorage(bootstrap);
    this.nextTickAt = this.localTime(now) + options.tickMs;
    this.start(now);
  }

  localTime(now: number): number {
    return now * this.clockRate;
  }

  get alive(): boolean {
    return this.raft !== undefined;
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
    this.nextTickAt = this.localTime(now) + this.options.tickMs;
  }

  crash(): void {
    this.raft = undefined;
    this.persisting = undefined; // the write in progress never reached the disk
    this.reads = [];
    this.readKeys.clear();
  }

  /** Advances this node to simulated time `now`: ticks, completes writes, drains Ready. */
  step(now: number): void {
    if (!this.raft) return;
    this.clockRef.now = now;
    while (this.localTime(now) >= this.nextTickAt) {
      this.nextTickAt += this.options.tickMs;
      this.raft.tick();
    }
    this.pump(now);
  }

  deliver(now: number, m: Message): void {
    if (!this.raft) return;
    this.clockRef.now = now;
    this.raft.step(m);
    this.pump(now);
  }

  propose(now: number, data: Uint8Array): ReturnType<Raft['propose']> | undefined {
    if (!this.raft) return undefined;
    this.clockRef.now = now;
    // No pump here: the caller records the proposal before any of its effects can be observed.
    return this.raft.propose(data);
  }

  read(now: number, context: string, key: string, lease: boolean): boolean {
    if (!this.raft) return false;
    this.clockRef.now = now;
    this.readKeys.set(context, key);
    this.raft.readIndex(context, lease);
    this.pump(now);
    return true;
  }

  /** Snapshot the machine at the applied index and compact the log behind it. */
  takeSnapshot(): void {
    const raft = this.raft;
    if (!raft || this.persisting || this.appliedIndex <= this.storage.snapshot().index) return;
    const bytes = this.machine.snapshot();
    const meta = raft.snapshotMetaAt(this.appliedIndex, bytes.byteLength);
    this.snapshots = new Map([[meta.index, bytes]]);
    this.storage.compact(meta);
    raft.compacted(meta);
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
        if (now < this.persisting.doneAt) return;
        const rd = this.persisting.rd;
        this.persisting = undefined;
        this.finish(now, raft, rd);
        continue;
      }
      if (!raft.hasReady()) return;
      const rd = raft.ready();
      if (rd.softState?.role === 'leader') this.events.becameLeader(this);
      for (const m of rd.earlyMessages) this.events.send(now, m);
      this.persisting = { rd, doneAt: now + this.rng.int(this.maxPersistDelayMs + 1) };
    }
  }

  private finish(now: number, raft: Raft, rd: Ready): void {
    // 1. durable writes
    for (const c of rd.snapshotChunks) {
      const prev = c.offset === 0 || this.incoming?.index !== c.meta.index ? new Uint8Array(0) : this.incoming.bytes;
      this.events.check(prev.byteLength === c.offset, `node ${this.id}: snapshot chunk at ${c.offset} follows ${prev.byteLength} bytes`);
      const next = new Uint8Array(c.offset + c.data.byteLength);
      next.set(prev);
      next.set(c.data, c.offset);
      this.incoming = { index: c.meta.index, bytes: next };
    }
    if (rd.snapshot) {
      const bytes = this.incoming?.index === rd.snapshot.index ? this.incoming.bytes : undefined;
      this.incoming = undefined;
      this.events.check(bytes !== undefined && bytes.byteLength === rd.snapshot.size, `node ${this.id}: snapshot ${rd.snapshot.index} installed without its bytes`);
      this.storage.applySnapshot(rd.snapshot);
      this.snapshots = new Map([[rd.snapshot.index, bytes!]]);
      this.machine = KvMachine.restore(bytes!);
      this.events.check(rd.snapshot.index >= this.appliedIndex, `node ${this.id}: snapshot ${rd.snapshot.index} behind applied ${this.appliedIndex}`);
      this.appliedIndex = rd.snapshot.index;
    }
    this.storage.append(rd.entries);
    for (const e of rd.entries) this.events.persisted(this, e, this.storage.term(e.index - 1));
    if (rd.hardState) this.storage.hardState = rd.hardState;
    // 2. messages that promise durable state
    for (const m of rd.messages) this.events.send(now, m);
    // 3. apply
    for (const e of rd.committed) {
      this.events.check(e.index === this.appliedIndex + 1, `node ${this.id}: applied ${e.index} after ${this.appliedIndex}`);
      let matched = true;
      if (e.type === EntryType.Normal) matched = this.machine.apply(decodeCommand(e.data));
      this.appliedIndex = e.index;
      this.events.applied(this, e, matched);
    }
    for (const r of rd.readStates) {
      const key = this.readKeys.get(r.context);
      if (key !== undefined) this.reads.push({ context: r.context, key, index: r.index });
    }
    for (const ctx of rd.droppedReads) {
      if (this.readKeys.delete(ctx)) this.events.readDone(this, ctx, undefined);
    }
    raft.advance(rd);
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
