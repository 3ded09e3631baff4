/**
 * A tiny deterministic harness around the pure core for scenario tests: nodes with MemoryStorage,
 * a message queue delivered by hand, and a driver loop that persists, sends and applies Ready
 * batches the way the real Node does.
 */
import { MemoryStorage, Raft, SeededRandom, type Entry, type Membership, type Message, type NodeId, type RaftOptions, type ReadState, type Ready } from '../../src/core/index.js';

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
    for (const c of rd.snapshotChunks) {
      const prev = c.offset === 0 ? new Uint8Array(0) : n.snapshotBytes.get(c.meta.index) ?? new Uint8Array(0);
      const next = new Uint8Array(c.offset + c.data.byteLength);
      next.set(prev.subarray(0, c.offset));
      next.set(c.data, c.offset);
      n.snapshotBytes.set(c.meta.index, next);
    }
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.hardState = rd.hardState;
    this.queue.push(...rd.messages);
    n.applied.push(...rd.committed);
    n.readStates.push(...rd.readStates);
    n.droppedReads.push(...rd.droppedReads);
    n.raft.advance(rd);
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

  /** Makes `id` leader by campaigning and delivering everything. */
  elect(id: NodeId): void {
    // Let every node leave its start-up quiet period first.
    for (const n of this.nodes.values()) {
      for (let i = 0; i < (this.options.electionTicks ?? 10); i++) (n.raft as unknown as { ticksSinceStart: number }).ticksSinceStart++;
    }
    this.node(id).raft.campaign();
    this.deliverAll();
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
