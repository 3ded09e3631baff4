/**
 * A tiny deterministic harness around the pure core for scenario tests: nodes with MemoryStorage,
 * a message queue delivered by hand, and a driver loop that persists, sends and applies Ready
 * batches the way the real Node does.
 */
import {
  EntryType,
  MemoryStorage,
  Raft,
  SeededRandom,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  type MessageType,
  type NodeId,
  type RaftOptions,
  type ReadState,
  type Ready,
  type SnapshotMeta,
  type AppendRequest,
  type AppendResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type VoteRequest,
  type VoteResponse,
} from '../../src/core/index.js';

export interface HarnessNode {
  id: NodeId;
  raft: Raft;
  storage: MemoryStorage;
  applied: Entry[];
  readStates: ReadState[];
  droppedReads: string[];
  /** Bytes of snapshot chunks received, per snapshot index. */
  snapshotBytes: Map<number, Uint8Array>;
  clock: { now: number };
  /**
   * The driver's check of a snapshot whose bytes all arrived (its checksums); passes when unset.
   * `'later'`: the test reports it by hand with `raft.snapshotChecked`.
   */
  checkSnapshot?: (meta: SnapshotMeta, bytes: Uint8Array) => boolean | 'later';
}

export function voters(...ids: NodeId[]): Membership {
  return ids.map((id) => ({ id, role: 'voter' as const, promote: false, context: `n${id}` }));
}

export class Harness {
  nodes = new Map<NodeId, HarnessNode>();
  /** Messages sent and not yet delivered. */
  queue: Message[] = [];
  /** Links that drop everything: "from->to". */
  cut = new Set<string>();
  /** Every message any node emitted (early and late), in emission order, delivered or not. */
  sent: Message[] = [];

  constructor(
    readonly membership: Membership,
    readonly options: Partial<RaftOptions> = {},
    readonly seed = 1,
  ) {
    for (const m of membership) this.add(m.id, new MemoryStorage(membership));
  }

  add(id: NodeId, storage: MemoryStorage, extra: Partial<RaftOptions> = {}): HarnessNode {
    const rng = new SeededRandom(this.seed * 1000 + id);
    const clock = { now: 0 };
    const raft = new Raft({ id, random: () => rng.next(), clock: () => clock.now, ...this.options, ...extra }, storage);
    const node: HarnessNode = { id, raft, storage, applied: [], readStates: [], droppedReads: [], snapshotBytes: new Map(), clock };
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): HarnessNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Drains every node's Ready: persist, queue messages, apply. */
  process(): void {
    let again = true;
    while (again) {
      again = false;
      for (const n of this.nodes.values()) {
        if (!n.raft.hasReady()) continue;
        again = true;
        this.handleReady(n, n.raft.ready());
      }
    }
  }

  private handleReady(n: HarnessNode, rd: Ready): void {
    this.queue.push(...rd.earlyMessages);
    this.sent.push(...rd.earlyMessages);
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    for (const c of rd.snapshotChunks) {
      const prev = c.offset === 0 ? new Uint8Array(0) : n.snapshotBytes.get(c.meta.index) ?? new Uint8Array(0);
      const next = new Uint8Array(c.offset + c.data.byteLength);
      next.set(prev.subarray(0, c.offset));
      next.set(c.data, c.offset);
      n.snapshotBytes.set(c.meta.index, next);
    }
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.hardState = rd.hardState;
    this.queue.push(...rd.messages);
    this.sent.push(...rd.messages);
    n.applied.push(...rd.committed);
    n.readStates.push(...rd.readStates);
    n.droppedReads.push(...rd.droppedReads);
    n.raft.advance(rd);
    for (const c of rd.snapshotChunks) {
      if (!c.done) continue;
      const ok = n.checkSnapshot?.(c.meta, n.snapshotBytes.get(c.meta.index)!) ?? true;
      if (ok !== 'later') n.raft.snapshotChecked(c.meta, ok);
    }
  }

  /** Delivers queued messages (and the ones they cause) until quiet, filling snapshot chunk data. */
  deliverAll(limit = 100000): void {
    this.process();
    let steps = 0;
    while (this.queue.length) {
      if (++steps > limit) throw new Error('message storm: delivery did not settle');
      const m = this.queue.shift()!;
      this.deliver(m);
      this.process();
    }
  }

  deliver(m: Message): void {
    if (this.cut.has(`${m.from}->${m.to}`)) return;
    const target = this.nodes.get(m.to);
    if (!target) return;
    if (m.type === 'snapshot') {
      const data = this.snapshotData(m.from, m.meta.index).subarray(m.offset, m.offset + m.length);
      target.raft.step({ ...m, data });
    } else {
      target.raft.step(m);
    }
  }

  /** The snapshot data a node serves; tests set it with setSnapshotData. */
  snapshotData(id: NodeId, index: number): Uint8Array {
    return this.node(id).snapshotBytes.get(index) ?? new Uint8Array(0);
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).raft.tick();
    this.process();
  }

  /** Ticks every node and delivers, `ticks` times; the error of a delivery that does not settle within 5,000 messages (a message storm), if any. */
  runSettled(ticks: number): string | undefined {
    try {
      for (let i = 0; i < ticks; i++) {
        this.tickAll();
        this.deliverAll(5000);
      }
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const n of this.nodes.values()) n.raft.tick();
    this.process();
  }

  /** Partition: cut both directions between the groups. */
  partition(a: NodeId[], b: NodeId[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}->${y}`);
      this.cut.add(`${y}->${x}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /**
   * Like deliverAll, but messages for which `drop` returns true are discarded instead of
   * delivered (a lossy link for one message, a lost chunk...).
   */
  deliverAllExcept(drop: (m: Message) => boolean, limit = 100000): void {
    this.process();
    let steps = 0;
    while (this.queue.length) {
      if (++steps > limit) throw new Error('message storm: delivery did not settle');
      const m = this.queue.shift()!;
      if (!drop(m)) this.deliver(m);
      this.process();
    }
  }

  /** Removes from the queue and returns the queued messages (of one type if given). */
  take<T extends MessageType>(type?: T): Array<Extract<Message, { type: T }>> {
    const out: Message[] = [];
    this.queue = this.queue.filter((m) => {
      if (type !== undefined && m.type !== type) return true;
      out.push(m);
      return false;
    });
    return out as Array<Extract<Message, { type: T }>>;
  }

  /** Messages of `type` emitted so far (see `sent`), optionally only from/to a node. */
  sentOf<T extends MessageType>(type: T, where: { from?: NodeId; to?: NodeId } = {}): Array<Extract<Message, { type: T }>> {
    return this.sent.filter(
      (m): m is Extract<Message, { type: T }> =>
        m.type === type && (where.from === undefined || m.from === where.from) && (where.to === undefined || m.to === where.to),
    );
  }

  /** Ends the start-up quiet period (one election timeout during which votes are ignored) of every node. */
  leaveQuietPeriod(): void {
    for (const n of this.nodes.values()) {
      for (let i = 0; i < (this.options.electionTicks ?? 10); i++) (n.raft as unknown as { ticksSinceStart: number }).ticksSinceStart++;
    }
  }

  /** Crash and restart `id`: a new Raft over the same storage (everything not persisted is lost). */
  restart(id: NodeId, extra: Partial<RaftOptions> = {}): HarnessNode {
    const old = this.node(id);
    const n = this.add(id, old.storage, extra);
    n.clock.now = old.clock.now;
    n.snapshotBytes = old.snapshotBytes;
    return n;
  }

  /**
   * Crash `id` in the middle of the write of its pending Ready: that Ready's earlyMessages leave
   * (a driver sends them before writing), nothing else of it is sent or reaches the disk, and a
   * new Raft restarts over the storage as it was. Returns the restarted node.
   */
  crashDuringWrite(id: NodeId): HarnessNode {
    const n = this.node(id);
    if (n.raft.hasReady()) {
      const rd = n.raft.ready();
      this.queue.push(...rd.earlyMessages);
      this.sent.push(...rd.earlyMessages);
    }
    return this.restart(id);
  }

  /**
   * Pins `id`'s randomized election timeout (drawn in [electionTicks, 2 × electionTicks) at every
   * term change) to `ticks` until its next term change: a scenario needs the timer that fires
   * first, or last, without depending on the seed.
   */
  pinElectionTimeout(id: NodeId, ticks: number): void {
    (this.node(id).raft as unknown as { randomizedElectionTimeout: number }).randomizedElectionTimeout = ticks;
  }

  /** Terms of the entries of `id`'s log, from its first index to its last. */
  logTerms(id: NodeId): number[] {
    const log = this.node(id).raft.log;
    const out: number[] = [];
    for (let i = log.firstIndex(); i <= log.lastIndex(); i++) out.push(log.term(i)!);
    return out;
  }

  /** Terms of the entries persisted in `id`'s storage, from its first index to its last. */
  storedTerms(id: NodeId): number[] {
    const s = this.node(id).storage;
    const out: number[] = [];
    for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.term(i)!);
    return out;
  }

  /** Makes `id` leader by campaigning and delivering everything. */
  elect(id: NodeId): void {
    // Let every node leave its start-up quiet period first.
    for (const n of this.nodes.values()) {
      for (let i = 0; i < (this.options.electionTicks ?? 10); i++) (n.raft as unknown as { ticksSinceStart: number }).ticksSinceStart++;
    }
    this.node(id).raft.campaign();
    this.deliverAll();
  }

  /**
   * Makes `id` leader after its quiet period, delivering one message at a time and stopping as
   * soon as it leads: its no-op is not committed yet. Returns it.
   */
  electUncommitted(id: NodeId): HarnessNode {
    this.leaveQuietPeriod();
    const leader = this.node(id);
    leader.raft.campaign();
    this.process();
    while (leader.raft.role !== 'leader') {
      this.deliver(this.queue.shift()!);
      this.process();
    }
    return leader;
  }

  leader(): HarnessNode | undefined {
    let found: HarnessNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.raft.role === 'leader' && (!found || n.raft.term > found.raft.term)) found = n;
    }
    return found;
  }
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Log entries with the given terms, at consecutive indices from `from` (Normal entries, data "i"). */
export function entriesWithTerms(terms: readonly number[], from = 1): Entry[] {
  return terms.map((term, i) => ({ index: from + i, term, type: EntryType.Normal, data: enc(`e${from + i}`) }));
}

/**
 * A MemoryStorage bootstrapped with `membership` whose log holds entries of `terms` (terms[i] is
 * the term of index i + 1) and `hardState`. Entries the bootstrapped storage already holds (a
 * founding member's bootstrap entry) are kept and must agree with `terms`; the rest are Normal.
 */
export function storageWithLog(membership: Membership, terms: readonly number[], hardState: Partial<HardState> = {}): MemoryStorage {
  const s = new MemoryStorage(membership);
  const base = s.lastIndex();
  for (let i = 1; i <= base; i++) {
    if (terms[i - 1] !== s.term(i)) throw new Error(`index ${i} of a bootstrapped log has term ${s.term(i)}, not ${terms[i - 1]}`);
  }
  s.append(entriesWithTerms(terms.slice(base), base + 1));
  const initial = s.hardState;
  s.hardState = { term: Math.max(initial.term, ...terms), vote: 0, commit: initial.commit, ...hardState };
  return s;
}

/** A copy of `s` as it is now: a backup of a member's data directory, to restore later. */
export function copyOfStorage(s: MemoryStorage): MemoryStorage {
  const c = new MemoryStorage();
  const src = s as unknown as { hardState: object; snap: object; ents: unknown[] };
  const dst = c as unknown as { hardState: object; snap: object; ents: unknown[] };
  dst.hardState = { ...src.hardState };
  dst.snap = src.snap;
  dst.ents = src.ents.slice();
  return c;
}

/** Index and term of the last entry of a node's log (what an up-to-date vote request carries). */
export function lastOf(n: HarnessNode): { lastIndex: number; lastTerm: number } {
  return { lastIndex: n.raft.log.lastIndex(), lastTerm: n.raft.log.lastTerm() };
}

/**
 * A harness holding only node `id` (the other members exist in the configuration but not as
 * nodes: messages to them stay in `queue`, where a test can inspect them with `take`, and the
 * test plays their part by stepping responses into `id` by hand).
 */
export function isolated(membership: Membership, id: NodeId, options: Partial<RaftOptions> = {}, storage?: MemoryStorage): { h: Harness; n: HarnessNode } {
  const h = new Harness(membership, options);
  for (const m of membership) if (m.id !== id) h.nodes.delete(m.id);
  const n = storage ? h.add(id, storage) : h.node(id);
  return { h, n };
}

/**
 * Node 1 (`n`, with its peers played by the test) campaigns and wins: votes from `from`, in order,
 * until it leads. Returns its term and its no-op's index (not yet committed).
 * @throws if it does not become leader
 */
export function winElection(h: Harness, n: HarnessNode, from: readonly NodeId[] = [2]): { term: number; noop: number } {
  n.raft.campaign();
  h.process();
  const term = n.raft.term;
  for (const id of from) {
    if (n.raft.role === 'leader') break;
    n.raft.step(msg.voteResp(id, 1, term));
    h.process();
  }
  if (n.raft.role !== 'leader') throw new Error('node 1 did not become leader');
  return { term, noop: n.raft.log.lastIndex() };
}

/** Voters 1, 2 and 3 led by 1 (`options`), with `writes` more entries committed and stored on every member. */
export function clusterWithWrites(writes: number, options: Partial<RaftOptions> = {}): Harness {
  const h = new Harness(voters(1, 2, 3), options);
  h.elect(1);
  for (let i = 0; i < writes; i++) h.node(1).raft.propose(enc(`w${i}`));
  h.deliverAll();
  return h;
}

/**
 * Node 1 of a `size`-voter cluster elected leader by hand (the other members are played by the
 * test). Every follower has acknowledged the leader's no-op, which is therefore committed.
 */
export function electedLeader(size: number, options: Partial<RaftOptions>, storage?: MemoryStorage): { h: Harness; n: HarnessNode; term: number; noop: number } {
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const { h, n } = isolated(voters(...ids), 1, options, storage);
  const { term, noop } = winElection(h, n, ids.slice(1));
  for (let id = 2; id <= size; id++) n.raft.step(msg.appendResp(id, 1, term, noop));
  h.process();
  h.take();
  if (n.raft.log.committed !== noop) throw new Error(`the no-op ${noop} did not commit`);
  return { h, n, term, noop };
}

/**
 * Node 3 is cut off from the start; leader 1 commits five proposals with node 2, then compacts its
 * log behind `snapshot` (served in chunks of `chunkBytes`) two entries before its last index, and
 * the partition heals: node 3 can catch up only through the snapshot.
 */
export function laggingFollower(snapshot: Uint8Array, chunkBytes: number): { h: Harness; leader: HarnessNode; follower: HarnessNode; index: number } {
  const h = new Harness(voters(1, 2, 3), { snapshotChunkBytes: chunkBytes });
  h.partition([3], [1, 2]);
  h.elect(1);
  const leader = h.node(1);
  for (let i = 0; i < 5; i++) leader.raft.propose(enc(`v${i}`));
  h.deliverAll();
  h.tick(1);
  h.deliverAll();
  const index = leader.raft.log.applied - 2;
  if (index <= h.node(3).raft.log.lastIndex()) throw new Error('the follower should lag behind the snapshot');
  leader.snapshotBytes.set(index, snapshot);
  const meta = leader.raft.snapshotMetaAt(index, snapshot.length);
  leader.storage.compact(meta);
  leader.raft.compacted(meta);
  if (leader.raft.log.firstIndex() !== index + 1) throw new Error(`the leader's log should start at ${index + 1}`);
  h.heal();
  return { h, leader, follower: h.node(3), index };
}

/** Builders for the messages a test steps into a node by hand. */
export const msg = {
  vote(from: NodeId, to: NodeId, term: number, o: { lastIndex?: number; lastTerm?: number; preVote?: boolean; transfer?: boolean } = {}): VoteRequest {
    return { type: 'vote', from, to, term, lastIndex: o.lastIndex ?? 0, lastTerm: o.lastTerm ?? 0, preVote: o.preVote ?? false, transfer: o.transfer ?? false };
  },
  voteResp(from: NodeId, to: NodeId, term: number, reject = false, preVote = false): VoteResponse {
    return { type: 'voteResp', from, to, term, reject, preVote };
  },
  append(from: NodeId, to: NodeId, term: number, prevIndex: number, prevTerm: number, entries: Entry[] = [], commit = 0): AppendRequest {
    return { type: 'append', from, to, term, prevIndex, prevTerm, entries, commit };
  },
  appendResp(from: NodeId, to: NodeId, term: number, index: number, o: { reject?: boolean; conflictTerm?: number; conflictIndex?: number } = {}): AppendResponse {
    return { type: 'appendResp', from, to, term, index, reject: o.reject ?? false, conflictTerm: o.conflictTerm ?? 0, conflictIndex: o.conflictIndex ?? 0 };
  },
  heartbeat(from: NodeId, to: NodeId, term: number, commit = 0, round = 0): HeartbeatRequest {
    return { type: 'heartbeat', from, to, term, commit, round };
  },
  heartbeatResp(from: NodeId, to: NodeId, term: number, round: number): HeartbeatResponse {
    return { type: 'heartbeatResp', from, to, term, round };
  },
};

/**
 * Three voters led by 1 whose node 2 has just acknowledged a heartbeat round: well inside its
 * lease protection (leader stickiness). Returns the harness, node 2 and the term.
 */
export function protectedFollower(): { h: Harness; A: HarnessNode; T: number } {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.tick(1);
  h.deliverAll();
  const A = h.node(2);
  const T = A.raft.term;
  if (A.raft.lead !== 1 || !h.node(1).raft.leaseValid()) throw new Error('node 2 should follow leader 1, whose lease holds');
  h.take();
  return { h, A, T };
}
