/**
 * The Node's linearizable reads (ReadIndex and LeaseRead) from the call to its answer: gathered
 * into one core request per kind per turn of the event loop, confirmed once the local context has
 * applied the read index the core returned, refused when leadership changes under them, asked
 * again while no leader is known, and timed out after requestTimeoutMs.
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Raft, ReadState } from './core/index.js';

/**
 * How a linearizable read ended: `confirmed` (the local context may be read now), `refused` (no
 * leader, or leadership changed before a quorum confirmed it: soon, not after a timeout),
 * `timedOut` (not confirmed within requestTimeoutMs), `stopped` (the node stopped).
 */
export type ReadOutcome = 'confirmed' | 'refused' | 'timedOut' | 'stopped';

/**
 * A read call joins the request gathering its kind only while that request is younger than this
 * share of requestTimeoutMs; after that it starts a new one. The calls of one request share its
 * timer, so while the run loop is held (a slow apply or save) a call joining late would otherwise
 * time out early: with this, every call gets at least 90 % of its timeout.
 */
const READ_GATHER_TIMEOUT_SHARE = 0.1;

/**
 * One read request to the core, answering every read call of its kind that arrived in one turn of
 * the event loop (see {@link ReadRequests.submit}).
 */
interface PendingRead {
  /** The confirmed read index; -1 until the core confirms it. */
  index: number;
  waiters: Array<(outcome: ReadOutcome) => void>;
  timer: NodeJS.Timeout;
  /** When the first of its calls arrived (performance.now()): its timer runs from then. */
  since: number;
}

/** What the reads need from their node. */
export interface ReadHost {
  /** Started and not stopping (the core exists). */
  running(): boolean;
  /** start() is under way. */
  starting(): boolean;
  /** stop() was called. */
  stopping(): boolean;
  /** This node was removed from the cluster. */
  removed(): boolean;
  /** The core; called only while running. */
  raft(): Raft;
  /** The index the local context has applied. */
  appliedIndex(): number;
  /** recover() is replacing the context: no read may be confirmed meanwhile. */
  recoverRunning(): boolean;
  /** Schedules the run loop (which calls submit). */
  wake(): void;
  /** Resolves at the next leader change or tick. */
  nextLeaderChangeOrTick(): Promise<void>;
  /** A lease read found no valid lease on a leader and goes through a heartbeat round. */
  leaseFellBack(): void;
}

/** The reads of one Node waiting for confirmation. */
export class ReadRequests {
  private readonly pending = new Map<string, PendingRead>();
  private nextId = 1;
  /**
   * Per kind (0: ReadIndex, 1: lease), the read requests gathering calls until the next run of the
   * loop hands them to the core: one, unless the loop was held long enough to start another (see
   * READ_GATHER_TIMEOUT_SHARE). Settled requests stay listed until then; submit skips them.
   */
  private readonly gathering: [string[], string[]] = [[], []];

  /**
   * @param contextPrefix makes the core's read contexts unique to this node and process
   *   (a restarted node's late confirmations must not answer new reads)
   */
  constructor(
    private readonly host: ReadHost,
    private readonly contextPrefix: string,
    private readonly timing: { readonly requestTimeoutMs: number; readonly leaderWaitMs: number },
  ) {}

  /** Reads gather for the core: the run loop has work. */
  get hasGathering(): boolean {
    return this.gathering[0].length > 0 || this.gathering[1].length > 0;
  }

  /**
   * Asks for a read (`lease`: LeaseRead, else ReadIndex); `settle` is called once with its outcome.
   * A read refused for want of a leader waits for one (see retryForLeader).
   */
  ask(lease: boolean, settle: (outcome: ReadOutcome) => void): void {
    const started = performance.now();
    this.askOnce(lease, (outcome) => (outcome === 'refused' ? this.retryForLeader(lease, settle, started) : settle(outcome)));
  }

  /**
   * Hands the reads gathered since the last run of the loop to the core, one request per kind.
   * Linearizable for each of them: the core takes its commit index now, after every one of them
   * arrived, and confirms it with a heartbeat round that starts after that. Per call, a read costs
   * one array push instead of a context, a timer, a map entry and a core request of its own.
   */
  submit(raft: Raft): void {
    for (const kind of [0, 1] as const) {
      const gathering = this.gathering[kind];
      if (gathering.length === 0) continue;
      for (const ctx of gathering) if (this.pending.has(ctx)) raft.readIndex(ctx, kind === 1);
      gathering.length = 0;
    }
  }

  /** Takes a Ready's answers: confirmed read indices, and reads the core refused or dropped. */
  record(readStates: readonly ReadState[], dropped: readonly string[]): void {
    for (const rs of readStates) {
      const r = this.pending.get(rs.context);
      if (r) {
        if (rs.index < 0) this.settle(rs.context, r, 'refused');
        else r.index = rs.index;
      }
    }
    for (const ctx of dropped) {
      const r = this.pending.get(ctx);
      if (r) this.settle(ctx, r, 'refused');
    }
  }

  /** Confirms the reads whose index the context has applied. */
  serve(): void {
    // While recover() replaces the context, no read is confirmed, not even one at an index
    // applied before: the context may hold a mix of old and new (review: one could be).
    if (this.host.recoverRunning()) return;
    const applied = this.host.appliedIndex();
    for (const [ctx, r] of this.pending) if (r.index >= 0 && r.index <= applied) this.settle(ctx, r, 'confirmed');
  }

  /**
   * The leader changed: reads not yet confirmed were asked of the old leader (a follower's go to
   * it), which may never answer (QA: reads sent as the leader was killed waited out the whole
   * request timeout). Refused now, they are asked again of the new leader (leaderWaitMs).
   */
  refuseUnconfirmed(): void {
    for (const [ctx, r] of this.pending) if (r.index < 0) this.settle(ctx, r, 'refused');
  }

  /** Ends every pending read with `outcome` (the node stopped, or was removed). */
  settleAll(outcome: ReadOutcome): void {
    for (const [ctx, r] of this.pending) this.settle(ctx, r, outcome);
  }

  /**
   * A read refused for want of a leader (none known, leadership moving) is tried again at each
   * leader change and tick for leaderWaitMs from that refusal, and answered within
   * requestTimeoutMs of when it was asked. The slow path only: a read answered at once allocates none of this.
   */
  private retryForLeader(lease: boolean, settle: (outcome: ReadOutcome) => void, started: number): void {
    const deadline = started + this.timing.requestTimeoutMs;
    // leaderWaitMs from this first refusal: a read may have waited on a leader that then failed.
    // Asked while start() recovers, from the first attempt after it: recovering is not a missing
    // leader (a recovery longer than leaderWaitMs refused the read; found in review).
    let waitUntil = Math.min(deadline, performance.now() + this.timing.leaderWaitMs);
    let waitingForStart = !this.host.running();
    let settled = false;
    let asking = false;
    const finish = (outcome: ReadOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle(outcome);
    };
    // The request's time is up: timed out if a leader was being asked, else still no leader.
    const timer = setTimeout(() => finish(asking ? 'timedOut' : 'refused'), Math.max(1, deadline - performance.now()));
    const attempt = (outcome: ReadOutcome): void => {
      asking = false;
      if (settled) return;
      if (waitingForStart && this.host.running()) {
        waitingForStart = false;
        waitUntil = Math.min(deadline, performance.now() + this.timing.leaderWaitMs);
      }
      if (outcome !== 'refused' || this.host.stopping() || this.host.removed()) return finish(outcome);
      // The start it waited for failed: nothing will ever confirm it (after the stopping check: a
      // stop right after a start that succeeded answers 'stopped'; found in review).
      if (waitingForStart && !this.host.starting()) return finish('refused');
      // Not started yet (still recovering) is waited out too, within requestTimeoutMs.
      if (!waitingForStart && performance.now() >= waitUntil) return finish(outcome);
      void this.host.nextLeaderChangeOrTick().then(() => {
        if (settled) return;
        asking = true;
        this.askOnce(lease, attempt);
      });
    };
    attempt('refused');
  }

  private askOnce(lease: boolean, settle: (outcome: ReadOutcome) => void): void {
    // Not started yet (still recovering): like a node that knows no leader, not a stopped one.
    if (!this.host.running()) return settle(this.host.stopping() ? 'stopped' : 'refused');
    const raft = this.host.raft();
    if (lease) {
      // Inside its lease the core would answer at once, at its commit index; when that is applied
      // here the read is confirmed now, without a context, a timer and a round through the Ready loop.
      if (raft.leaseValid()) {
        if (this.host.appliedIndex() >= raft.log.committed) return settle('confirmed');
      } else if (raft.role === 'leader') this.host.leaseFellBack();
    }
    const kind = lease ? 1 : 0;
    const gathering = this.gathering[kind];
    const newest = gathering.length === 0 ? undefined : gathering[gathering.length - 1]!;
    let r = newest === undefined ? undefined : this.pending.get(newest);
    if (r && performance.now() - r.since > this.timing.requestTimeoutMs * READ_GATHER_TIMEOUT_SHARE) r = undefined;
    if (!r) {
      const ctx = `${this.contextPrefix}:${this.nextId++}`;
      const timer = setTimeout(() => {
        const timedOut = this.pending.get(ctx);
        if (timedOut) this.settle(ctx, timedOut, 'timedOut');
      }, this.timing.requestTimeoutMs);
      r = { index: -1, waiters: [], timer, since: performance.now() };
      this.pending.set(ctx, r);
      gathering.push(ctx);
    }
    r.waiters.push(settle);
    this.host.wake();
  }

  private settle(ctx: string, r: PendingRead, outcome: ReadOutcome): void {
    clearTimeout(r.timer);
    this.pending.delete(ctx);
    for (const settle of r.waiters) settle(outcome);
  }
}
