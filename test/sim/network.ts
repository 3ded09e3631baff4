/**
 * The simulated network: messages are delayed by a random latency (which also reorders them),
 * dropped, duplicated, and cut by partitions that may be asymmetric.
 */
import type { Message, NodeId } from '../../src/core/index.js';
import type { SeededRandom } from '../../src/core/index.js';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  /** Share of messages delayed a further 20–320 ms (drawn from `tailRng`): late arrivals and replays. */
  tailRate?: number;
}

interface InFlight {
  at: number;
  seq: number;
  m: Message;
}

export class SimNetwork {
  private inFlight: InFlight[] = [];
  private seq = 0;
  /** Directed links that drop everything, "from->to". */
  private cut = new Set<string>();
  delivered = 0;
  dropped = 0;
  delayedLong = 0;

  constructor(
    private readonly rng: SeededRandom,
    public faults: NetworkFaults,
    /** The long tail's own random source, so that without it the other draws stay as they were. */
    private readonly tailRng?: SeededRandom,
  ) {}

  send(now: number, m: Message): void {
    if (this.rng.chance(this.faults.dropRate)) {
      this.dropped++;
      return;
    }
    this.enqueue(now, m);
    if (this.rng.chance(this.faults.duplicateRate)) this.enqueue(now, m);
  }

  private enqueue(now: number, m: Message): void {
    const span = this.faults.maxLatencyMs - this.faults.minLatencyMs;
    let late = 0;
    if (this.tailRng && this.faults.tailRate && this.tailRng.chance(this.faults.tailRate)) {
      late = 20 + this.tailRng.int(301);
      this.delayedLong++;
    }
    this.inFlight.push({ at: now + this.faults.minLatencyMs + this.rng.int(span + 1) + late, seq: this.seq++, m });
  }

  /** Messages due at or before `now`, in delivery order; cut links drop them on arrival. */
  due(now: number): Message[] {
    if (this.inFlight.length === 0) return [];
    const ready: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.inFlight) (f.at <= now ? ready : rest).push(f);
    this.inFlight = rest;
    ready.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const out: Message[] = [];
    for (const f of ready) {
      if (this.cut.has(`${f.m.from}->${f.m.to}`)) this.dropped++;
      else out.push(f.m);
    }
    this.delivered += out.length;
    return out;
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}->${to}`);
  }

  /** Isolates `group` from everyone else, both ways (or only outbound when `oneWay`). */
  partition(group: readonly NodeId[], all: readonly NodeId[], oneWay = false): void {
    for (const a of group) {
      for (const b of all) {
        if (group.includes(b)) continue;
        this.cut.add(`${a}->${b}`);
        if (!oneWay) this.cut.add(`${b}->${a}`);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  hasCuts(): boolean {
    return this.cut.size > 0;
  }
}
