/**
 * Linearizable reads on the leader: the ReadIndex queue and the leader lease.
 *
 * Every heartbeat broadcast is a numbered round. A read records the commit index at arrival and
 * waits for a round sent after it; once a quorum has acknowledged that round (acknowledging round r
 * confirms every round <= r), the leader was still leader when the read arrived, so the read may be
 * served at the recorded index. All reads waiting together share one round.
 *
 * The lease: when a quorum acknowledges a round sent at time t, no other leader can be elected
 * before those voters' election timers run out, so the leader may answer reads without a round
 * until t + lease duration (measured on the injected monotonic clock).
 */
import type { NodeId } from './messages.js';

/** A read waiting for leadership confirmation. */
export interface PendingRead {
  context: string;
  /** Commit index when the read arrived. */
  index: number;
  /** Who asked: the leader itself or a follower that forwarded it. */
  from: NodeId;
  /** The round that must be confirmed; 0 until a round is sent after the read arrived. */
  round: number;
}

export class ReadOnlyQueue {
  /** Last round sent. */
  private lastRound = 0;
  /** Highest round a quorum acknowledged. */
  private confirmedRound = 0;
  /** Send time of rounds not yet confirmed, oldest first. */
  private sentAt: Array<{ round: number; at: number }> = [];
  private pending: PendingRead[] = [];
  private leaseUntil = Number.NEGATIVE_INFINITY;

  constructor(startRound = 0) {
    this.lastRound = startRound;
    this.confirmedRound = startRound;
  }

  add(context: string, index: number, from: NodeId): void {
    this.pending.push({ context, index, from, round: 0 });
  }

  /** Reads are waiting for a round that has not been sent yet. */
  needsRound(): boolean {
    return this.pending.length > 0 && this.pending[this.pending.length - 1]!.round === 0;
  }

  /** A round was sent but not yet confirmed by a quorum. */
  roundInFlight(): boolean {
    return this.lastRound > this.confirmedRound;
  }

  /** Starts a new round sent at `now`; the waiting reads ride on it. Returns its number. */
  startRound(now: number): number {
    this.lastRound++;
    this.sentAt.push({ round: this.lastRound, at: now });
    for (let i = this.pending.length - 1; i >= 0 && this.pending[i]!.round === 0; i--) {
      this.pending[i]!.round = this.lastRound;
    }
    return this.lastRound;
  }

  currentRound(): number {
    return this.lastRound;
  }

  /**
   * A quorum has acknowledged `round`. Extends the lease from that round's send time and returns
   * the reads it releases.
   */
  confirm(round: number, leaseMs: number): PendingRead[] {
    if (round <= this.confirmedRound) return [];
    this.confirmedRound = round;
    let at: number | undefined;
    while (this.sentAt.length && this.sentAt[0]!.round <= round) at = this.sentAt.shift()!.at;
    if (at !== undefined) this.leaseUntil = Math.max(this.leaseUntil, at + leaseMs);
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.round !== 0 && this.pending[n]!.round <= round) n++;
    return this.pending.splice(0, n);
  }

  leaseValidAt(now: number): boolean {
    return now < this.leaseUntil;
  }

  /** Forgets everything (leadership lost); returns the reads that can no longer be served. */
  reset(): PendingRead[] {
    const dropped = this.pending;
    this.pending = [];
    this.sentAt = [];
    this.confirmedRound = this.lastRound;
    this.leaseUntil = Number.NEGATIVE_INFINITY;
    return dropped;
  }
}
