// Per-peer send order for messages that must wait before they can leave (a snapshot chunk whose
// bytes are still being read from disk), without holding the messages to the other peers.

/**
 * One lane per peer: the steps queued for a peer run one after the other, in the order they were
 * queued; lanes of different peers do not wait for each other. A peer with a step pending is
 * `busy`, and whatever else goes to it must be queued behind that step to keep its order.
 */
export class PeerLanes<Peer> {
  private readonly lanes = new Map<Peer, Promise<void>>();

  /** `onError` gets a step's throw or rejection; the lane goes on with its next step. */
  constructor(private readonly onError: (err: Error) => void) {}

  /** Whether `peer` has a step queued or running (messages to it must go through its lane). */
  busy(peer: Peer): boolean {
    return this.lanes.size > 0 && this.lanes.has(peer);
  }

  /** Runs `step` once every step queued for `peer` before it has finished. */
  enqueue(peer: Peer, step: () => Promise<void>): void {
    const previous = this.lanes.get(peer) ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(step)
      .catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))))
      .then(() => {
        if (this.lanes.get(peer) === next) this.lanes.delete(peer);
      });
    this.lanes.set(peer, next);
  }

  /** Settles when every step queued so far has run; undefined when no lane is busy. */
  drained(): Promise<void> | undefined {
    if (this.lanes.size === 0) return undefined;
    return Promise.all(this.lanes.values()).then(() => undefined);
  }
}
