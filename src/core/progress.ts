/**
 * The leader's view of one follower's replication: where its log matches ours, what to send next,
 * and how much is in flight.
 *
 * - probe: we do not know where the follower's log matches; send one append per heartbeat
 *   interval and wait for its answer.
 * - replicate: the follower is keeping up; send optimistically, bounded by the in-flight window.
 * - snapshot: the follower needs entries we compacted; stream the snapshot in chunks.
 */
import type { SnapshotMeta } from './messages.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** Limits of the optimistic in-flight window of one follower. */
export interface InflightLimits {
  maxMessages: number;
  maxBytes: number;
}

export class ReplicationProgress {
  state: ProgressState = 'probe';
  /**
   * This progress's replication epoch (see AppendRequest.epoch), set by the leader when it makes
   * the progress; 0 for none.
   */
  epoch = 0;
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  /** In probe state: an append was sent this heartbeat interval; wait for an answer. */
  probeSent = false;
  /** The leader's tick count when this member last answered (CheckQuorum counts from it). */
  lastHeardTick = 0;
  /** Highest heartbeat round this member acknowledged (for ReadIndex and the lease). */
  ackedRound = 0;
  /**
   * A voter-to-be's catch-up round (Raft thesis §4.2.1): the leader's last index when the round
   * began, and the leader's tick count then (see Raft.maybePromoteLearner). Undefined: none yet.
   */
  catchUp: { target: number; sinceTick: number } | undefined;

  /** Snapshot being streamed (state 'snapshot'), and the next offset the follower expects. */
  pendingSnapshot: SnapshotMeta | undefined;
  snapshotOffset = 0;
  /** A chunk was sent and not yet acknowledged; its length and the heartbeat round it left in. */
  snapshotChunkInFlight = false;
  snapshotLength = 0;
  snapshotSentRound = 0;

  /** Last index and byte size of each append in flight, oldest first. */
  private inflightLast: number[] = [];
  private inflightSize: number[] = [];
  private inflightBytes = 0;

  constructor(
    next: number,
    private readonly limits: InflightLimits,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot' && this.pendingSnapshot) {
      this.next = Math.max(this.match + 1, this.pendingSnapshot.index + 1);
    } else {
      this.next = this.match + 1;
    }
    this.reset('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset('replicate');
  }

  becomeSnapshot(meta: SnapshotMeta): void {
    this.reset('snapshot');
    this.pendingSnapshot = meta;
    this.snapshotOffset = 0;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = undefined;
    this.snapshotOffset = 0;
    this.snapshotChunkInFlight = false;
    this.snapshotLength = 0;
    this.inflightLast = [];
    this.inflightSize = [];
    this.inflightBytes = 0;
  }

  /** The follower acknowledged everything up to `index`. Returns whether anything changed. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * The follower rejected an append whose prevIndex was `rejected`; `hint` is the index after
   * which we should retry. Returns false when the rejection is stale (an old message).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    const next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    // A rejection at the match index itself: the follower no longer holds what it acknowledged
    // (its data was lost, or the match came from an earlier incarnation at its address). Probing
    // it again at once would be refused again at once, a storm of appends and rejections: the
    // probe waits for the next heartbeat's answer instead.
    if (next === this.next) return false;
    this.next = next;
    this.probeSent = false;
    return true;
  }

  /** Record an append ending at `lastIndex` carrying `bytes`, sent optimistically. */
  sentEntries(lastIndex: number, bytes: number): void {
    if (this.state === 'replicate') {
      // An append without entries (a commit notice) takes no slot, as in etcd: its answer is at
      // most the match index, which frees nothing, so counted, notices to a follower whose
      // answers were lost filled the window and held back the entries behind them.
      if (lastIndex < this.next) return;
      this.next = lastIndex + 1;
      this.inflightLast.push(lastIndex);
      this.inflightSize.push(bytes);
      this.inflightBytes += bytes;
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** Release in-flight appends acknowledged up to `index`. */
  freeUpTo(index: number): void {
    let n = 0;
    while (n < this.inflightLast.length && this.inflightLast[n]! <= index) {
      this.inflightBytes -= this.inflightSize[n]!;
      n++;
    }
    if (n > 0) {
      this.inflightLast.splice(0, n);
      this.inflightSize.splice(0, n);
    }
  }

  /** Release the oldest in-flight append (a heartbeat answer proves the link is alive). */
  freeFirst(): void {
    if (this.inflightLast.length > 0) this.freeUpTo(this.inflightLast[0]!);
  }

  inflightFull(): boolean {
    return this.inflightLast.length >= this.limits.maxMessages || this.inflightBytes >= this.limits.maxBytes;
  }

  inflightCount(): number {
    return this.inflightLast.length;
  }

  /** Whether the leader must hold back appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflightFull();
      case 'snapshot':
        return true;
    }
  }
}
