/**
 * An in-process transport for tests and simulations: {@link MemoryTransport}s attached to one
 * {@link MemoryNetwork} exchange batches through the real wire encoding (encodeBatch/decodeBatch),
 * so an encoding bug fails the same tests a real network would. The network injects faults —
 * partitions, message loss, delay with jitter, duplication — and every random choice comes from
 * the injected `random`, so a seed reproduces which messages are lost, duplicated and delayed.
 */
import type { Message } from '../core/messages.js';
import { FlushScheduler } from './flush-scheduler.js';
import { DEFAULT_QUEUE_LIMITS, PeerQueue } from './queue.js';
import { StatsBook } from './stats.js';
import type { MessageHandler, QueueLimits, Transport, TransportLogger, TransportStats } from './types.js';
import { decodeBatch, encodeBatch } from './wire.js';

/** What the network does to traffic. Rates are probabilities per message in [0, 1]. */
export interface NetworkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a delivered message is delivered a second time (in a later batch). */
  duplicateRate: number;
  /** Fixed delay of every batch, in ms (0: next setImmediate). */
  delayMs: number;
  /** Extra random delay in [0, jitterMs) per batch; batches may then overtake each other. */
  jitterMs: number;
}

/** Counters of what the network did. */
export interface NetworkStats {
  /** Batches handed to a live transport. */
  deliveredBatches: number;
  /** Messages lost to `dropRate`. */
  dropped: number;
  /** Extra copies made by `duplicateRate`. */
  duplicated: number;
  /** Messages lost because their link was cut. */
  partitioned: number;
  /** Messages addressed to nobody (no started transport at that address). */
  undeliverable: number;
}

/** Options of a {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Source of randomness for faults, e.g. `() => rng.next()` with a SeededRandom. Default Math.random. */
  random?: () => number;
  /** Initial faults (default: none). */
  faults?: Partial<NetworkFaults>;
}

const NO_FAULTS: NetworkFaults = { dropRate: 0, duplicateRate: 0, delayMs: 0, jitterMs: 0 };

/** The medium shared by in-process transports, with fault injection. */
export class MemoryNetwork {
  private readonly transports = new Map<string, MemoryTransport>();
  /** Cut one-way links, as "from\0to". */
  private readonly cuts = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly random: () => number;
  private faultSettings: NetworkFaults;
  private readonly counters: NetworkStats = { deliveredBatches: 0, dropped: 0, duplicated: 0, partitioned: 0, undeliverable: 0 };

  constructor(options: MemoryNetworkOptions = {}) {
    this.random = options.random ?? Math.random;
    this.faultSettings = { ...NO_FAULTS, ...options.faults };
  }

  /** The current faults. */
  get faults(): Readonly<NetworkFaults> {
    return this.faultSettings;
  }

  /** Change some faults; the others keep their value. */
  setFaults(faults: Partial<NetworkFaults>): void {
    this.faultSettings = { ...this.faultSettings, ...faults };
  }

  /** Cut the link between `a` and `b` in both directions (messages in flight are lost too). */
  partition(a: string, b: string): void {
    this.cut(a, b);
    this.cut(b, a);
  }

  /** Cut the link from `from` to `to` only (asymmetric partition). */
  cut(from: string, to: string): void {
    this.cuts.add(`${from}\0${to}`);
  }

  /** Cut `address` from every other address currently attached, both ways. */
  isolate(address: string): void {
    for (const other of this.transports.keys()) if (other !== address) this.partition(address, other);
  }

  /** Restore the link between `a` and `b` (both directions), or every link when called without arguments. */
  heal(a?: string, b?: string): void {
    if (a === undefined || b === undefined) {
      this.cuts.clear();
      return;
    }
    this.cuts.delete(`${a}\0${b}`);
    this.cuts.delete(`${b}\0${a}`);
  }

  /** True when a message from `from` would currently reach a started transport at `to`. */
  reachable(from: string, to: string): boolean {
    return this.transports.has(to) && !this.cuts.has(`${from}\0${to}`);
  }

  /** A copy of the network's counters. */
  stats(): NetworkStats {
    return { ...this.counters };
  }

  /**
   * Resolves once nothing is queued in any attached transport and nothing is in flight. Never
   * resolves if handlers keep answering each other forever.
   */
  async settle(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.timers.size > 0) {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        continue;
      }
      if (![...this.transports.values()].some((t) => t.hasQueued())) return;
    }
  }

  /** Drop everything in flight and cancel its timers (end of a test). */
  close(): void {
    for (const t of this.timers) {
      clearTimeout(t as NodeJS.Timeout);
      clearImmediate(t as NodeJS.Immediate);
    }
    this.timers.clear();
    this.wakeIdle();
  }

  /** @internal Called by MemoryTransport.start(). */
  attach(transport: MemoryTransport): void {
    if (this.transports.has(transport.address)) throw new Error(`memory network: address ${transport.address} is already in use`);
    this.transports.set(transport.address, transport);
  }

  /** @internal Called by MemoryTransport.stop(). */
  detach(transport: MemoryTransport): void {
    if (this.transports.get(transport.address) === transport) this.transports.delete(transport.address);
  }

  /**
   * @internal Carry a batch from `from` to `to`, applying faults per message. Returns the
   * encoded bytes put on the wire.
   */
  transmit(from: string, to: string, messages: readonly Message[]): number {
    const { dropRate, duplicateRate } = this.faultSettings;
    const kept: Message[] = [];
    const copies: Message[] = [];
    for (const m of messages) {
      if (dropRate > 0 && this.random() < dropRate) {
        this.counters.dropped++;
        continue;
      }
      kept.push(m);
      if (duplicateRate > 0 && this.random() < duplicateRate) copies.push(m);
    }
    this.counters.duplicated += copies.length;
    let bytes = 0;
    for (const batch of [kept, copies]) {
      if (batch.length === 0) continue;
      const frame = encodeBatch(batch);
      bytes += frame.byteLength;
      this.schedule(from, to, frame, batch.length);
    }
    return bytes;
  }

  private schedule(from: string, to: string, frame: Uint8Array, count: number): void {
    const { delayMs, jitterMs } = this.faultSettings;
    const delay = delayMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
    const fire = (): void => {
      this.timers.delete(timer);
      this.deliver(from, to, frame, count);
      if (this.timers.size === 0) this.wakeIdle();
    };
    const timer = delay > 0 ? setTimeout(fire, delay) : setImmediate(fire);
    this.timers.add(timer);
  }

  private deliver(from: string, to: string, frame: Uint8Array, count: number): void {
    // Checked at delivery time: a partition made while a batch is in flight loses that batch.
    if (this.cuts.has(`${from}\0${to}`)) {
      this.counters.partitioned += count;
      return;
    }
    const target = this.transports.get(to);
    if (!target) {
      this.counters.undeliverable += count;
      return;
    }
    this.counters.deliveredBatches++;
    target.receive(from, frame);
  }

  private wakeIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

/** Options of a {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** This transport's address on the network (any unique string; "host:port" by convention). */
  address: string;
  /** Per-peer queue bounds (defaults: DEFAULT_QUEUE_LIMITS). */
  queue?: Partial<QueueLimits>;
  /** Where decode errors and handler exceptions are reported (default: console). */
  logger?: TransportLogger;
}

/** A {@link Transport} over a {@link MemoryNetwork}. */
export class MemoryTransport implements Transport {
  readonly address: string;
  private readonly queues = new Map<string, PeerQueue>();
  private readonly book = new StatsBook();
  private readonly scheduler = new FlushScheduler((to) => this.flushPeer(to));
  private readonly limits: QueueLimits;
  private readonly logger: TransportLogger;
  private handler: MessageHandler | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly network: MemoryNetwork,
    options: MemoryTransportOptions,
  ) {
    this.address = options.address;
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...options.queue };
    this.logger = options.logger ?? console;
  }

  /** Attach to the network; from now on messages sent to this address are delivered here. */
  async start(): Promise<void> {
    if (this.stopped) throw new Error(`transport ${this.address} was stopped; create a new one`);
    if (this.started) return;
    this.network.attach(this);
    this.started = true;
  }

  /** Detach from the network and discard queued messages. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.started = false;
    this.scheduler.close();
    for (const q of this.queues.values()) q.clear();
    this.network.detach(this);
  }

  send(to: string, messages: readonly Message[]): void {
    if (this.stopped || messages.length === 0) return;
    const queue = this.queues.get(to);
    if (!queue) {
      this.book.droppedUnknownPeer += messages.length;
      return;
    }
    for (const m of messages) queue.push(m);
    this.scheduler.schedule(to);
  }

  discard(to: string, which: (message: Message) => boolean): void {
    this.queues.get(to)?.dropWhere(which);
  }

  onMessages(handler: MessageHandler): void {
    this.handler = handler;
  }

  setPeers(addresses: readonly string[]): void {
    const wanted = new Set(addresses);
    wanted.delete(this.address); // a member list may include this node; it never dials itself
    for (const [address, queue] of this.queues) {
      if (wanted.has(address)) continue;
      queue.clear();
      this.queues.delete(address);
      this.book.forget(address);
    }
    for (const address of wanted) {
      if (this.queues.has(address)) continue;
      const queue = new PeerQueue(this.limits);
      this.queues.set(address, queue);
      this.book.peer(address);
      this.book.attachQueue(address, queue);
    }
  }

  /** Writes everything queued now (see Transport.flush). */
  flush(): void {
    this.scheduler.flushNow();
  }

  stats(): TransportStats {
    const snapshot = this.book.snapshot();
    for (const [address, peer] of Object.entries(snapshot.peers)) {
      peer.connected = this.queues.has(address) && this.started && this.network.reachable(this.address, address);
    }
    return snapshot;
  }

  /** @internal True while messages wait in a queue (used by MemoryNetwork.settle). */
  hasQueued(): boolean {
    for (const q of this.queues.values()) if (q.length > 0) return true;
    return false;
  }

  /** @internal Called by the network with one encoded batch. */
  receive(from: string, frame: Uint8Array): void {
    if (!this.started) return;
    const counters = this.book.peer(from);
    let messages: Message[];
    try {
      messages = decodeBatch(frame);
    } catch (err) {
      counters.decodeErrors++;
      this.logger.warn(`transport ${this.address}: dropped a batch from ${from}: ${(err as Error).message}`);
      return;
    }
    counters.received += messages.length;
    counters.batchesReceived++;
    counters.bytesReceived += frame.byteLength;
    try {
      this.handler?.(from, messages);
    } catch (err) {
      this.logger.warn(`transport ${this.address}: message handler threw on a batch from ${from}: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private flushPeer(to: string): void {
    const queue = this.queues.get(to);
    if (!queue || queue.length === 0) return;
    const batch = queue.take();
    const counters = this.book.peer(to);
    counters.sent += batch.length;
    counters.batchesSent++;
    counters.bytesSent += this.network.transmit(this.address, to, batch);
  }
}
