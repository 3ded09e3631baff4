// Per-peer send order for messages that must wait before they can leave (a snapshot chunk whose
// bytes are still being read from disk), without holding the messages to the other peers.

/** One peer's lane: the batch being sent, and what gathers behind it. */
interface Lane<Item> {
  pending: Item[];
  done: Promise<void>;
  /** What dropWhere took back from the batch being sent (reset when the next batch starts). */
  dropRules: Array<(item: Item) => boolean>;
}

/**
 * One lane per peer. A batch queued for a peer with nothing pending goes to `send` at once; while
 * `send` works on it (reads a chunk from disk), batches queued for that peer gather into one
 * pending batch, sent next, in order. Lanes of different peers do not wait for each other.
 *
 * The pending batch is bounded: past `maxPending` items the oldest are dropped, as the transport's
 * own peer queue drops its oldest. A read that hangs (a dead disk) while a leader sends heartbeat
 * rounds, one per read round trip, would otherwise grow memory without end, and the peer would get
 * thousands of stale messages at once when it returned. Raft takes a dropped message as a lost one.
 */
export class PeerLanes<Peer, Item> {
  private readonly lanes = new Map<Peer, Lane<Item>>();
  private droppedItems = 0;

  /**
   * @param send sends one batch to a peer; the lane waits for it before the next batch. Before
   *   the items leave it asks `wanted` which ones dropWhere has not taken back meanwhile.
   * @param onError gets a throw or rejection of `send`; the lane goes on with its next batch.
   * @param maxPending the most items a peer's pending batch holds.
   */
  constructor(
    private readonly send: (peer: Peer, batch: Item[], wanted: (item: Item) => boolean) => Promise<void>,
    private readonly onError: (err: Error) => void,
    private readonly maxPending: number,
  ) {}

  /** Whether `peer` has a batch being sent (whatever else goes to it must queue behind it). */
  busy(peer: Peer): boolean {
    return this.lanes.size > 0 && this.lanes.has(peer);
  }

  /** Items dropped from pending batches so far (the oldest past `maxPending`, and by dropWhere). */
  get dropped(): number {
    return this.droppedItems;
  }

  /** Sends `batch` to `peer` after everything queued for it before; at once if nothing is. */
  enqueue(peer: Peer, batch: Item[]): void {
    const lane = this.lanes.get(peer);
    if (lane) {
      lane.pending.push(...batch);
      const over = lane.pending.length - this.maxPending;
      if (over > 0) {
        lane.pending.splice(0, over);
        this.droppedItems += over;
      }
      return;
    }
    const started: Lane<Item> = { pending: [], done: Promise.resolve(), dropRules: [] };
    this.lanes.set(peer, started);
    started.done = this.run(peer, started, batch);
  }

  /**
   * Takes back the items to `peer` that `which` matches and that have not left yet: the pending
   * ones at once, those of the batch being sent when its send asks which are still wanted. Says
   * how many pending items it dropped.
   */
  dropWhere(peer: Peer, which: (item: Item) => boolean): number {
    const lane = this.lanes.get(peer);
    if (!lane) return 0;
    // The same rule again (isReplication at each leadership change while a read hangs) adds nothing.
    if (!lane.dropRules.includes(which)) lane.dropRules.push(which);
    const kept = lane.pending.filter((item) => !which(item));
    const dropped = lane.pending.length - kept.length;
    lane.pending = kept;
    this.droppedItems += dropped;
    return dropped;
  }

  /** Settles when every batch queued so far has been sent; undefined when no lane is busy. */
  drained(): Promise<void> | undefined {
    if (this.lanes.size === 0) return undefined;
    return Promise.all(Array.from(this.lanes.values(), (lane) => lane.done)).then(() => undefined);
  }

  private async run(peer: Peer, lane: Lane<Item>, first: Item[]): Promise<void> {
    const wanted = (item: Item): boolean => !lane.dropRules.some((rule) => rule(item));
    let batch = first;
    for (;;) {
      lane.dropRules = [];
      try {
        await this.send(peer, batch, wanted);
      } catch (err) {
        this.report(err);
      }
      if (lane.pending.length === 0) break;
      batch = lane.pending;
      lane.pending = [];
    }
    this.lanes.delete(peer);
  }

  private report(err: unknown): void {
    try {
      this.onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // A throwing handler must not stop the lane: its later batches would never leave.
    }
  }
}
