/**
 * A node's part in data-directory incarnations (README, "A member that lost its data"): it claims
 * its own (data-dir-incarnation.ts), keeps the ones its members dialed in with
 * (peer-incarnations.ts), and judges a refusal of its own streams — a wiped node that must stop,
 * a joiner whose peers have not caught up with it yet, or a member that a lagging peer does not
 * yet know to be back. Node decides when each step runs; this module decides what it means.
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Membership, NodeId } from './core/index.js';
import { claimIncarnation } from './data-dir-incarnation.js';
import { memberId } from './members.js';
import { PeerIncarnations } from './peer-incarnations.js';
import { DEFAULT_BACKOFF } from './transport/backoff.js';

/** What the guard needs from its node. */
export interface IncarnationGuardOptions {
  dataDir: string;
  /** Whether the node was started with `join` (it asks to be added rather than founding). */
  joining: boolean;
  electionTimeoutMs: number;
  log: (level: 'info' | 'warn', line: string) => void;
  /** The clock refusals are timed by, in ms (performance.now unless a test sets it). */
  now?: () => number;
}

/** One node's incarnation, its members' incarnations, and the refusals of its own streams. */
export class IncarnationGuard {
  /** Peers whose refusal was taken for a lagging peer's (refused), said once each. */
  private readonly refusalsBorne = new Set<string>();
  /**
   * A joiner's peers that refuse its streams, with why and since when; one is forgotten once it
   * lets a stream in (letIn).
   */
  private readonly refusals = new Map<NodeId, { reason: string; since: number }>();

  private constructor(
    /** This data directory's incarnation, sent in the peer handshake. */
    readonly incarnation: string,
    /** Whether this start made it: a new (wiped) directory, or one that lost the file. */
    private readonly made: boolean,
    /** The members' incarnations heard so far: one back on a wiped directory is refused. */
    readonly peers: PeerIncarnations,
    private readonly opts: IncarnationGuardOptions,
  ) {}

  /**
   * Claims the directory's incarnation (making one at its first start) and loads the members'.
   * @throws Error naming the file when either cannot be read or kept
   */
  static async claim(opts: IncarnationGuardOptions): Promise<IncarnationGuard> {
    const { incarnation, made } = await claimIncarnation(opts.dataDir);
    const peers = await PeerIncarnations.load(opts.dataDir, (line) => opts.log('warn', line));
    return new IncarnationGuard(incarnation, made, peers, opts);
  }

  /**
   * A member refused this node's streams: it heard from this address on another data directory.
   * A node started without `join` on a wiped directory founds again and would vote as if it had
   * never voted: it stops. A joiner goes on (its link retries): a member removed and added again
   * may dial a peer that has not received its removal yet; it stops once every member it asks to
   * add it refuses it so (refusedByAll). So does a directory that is neither new nor holding only
   * its founding entry: such a member, added again on it and restarted without `join`, is refused
   * by a peer that was down through its removal and re-addition until that peer has caught up,
   * and it stopped there (found in review). Refused, nothing of it reaches that peer meanwhile.
   * @param holdsMore whether the log holds more than its founding entry, or a snapshot
   * @returns why the node must stop (a LostDataError's message), or undefined to go on
   */
  refused(peer: string, reason: string, holdsMore: boolean): string | undefined {
    if (this.opts.joining) {
      const id = memberId(peer);
      this.refusals.set(id, { reason, since: this.refusals.get(id)?.since ?? this.now() });
      return undefined;
    }
    if (!this.made && holdsMore) {
      if (this.refusalsBorne.has(peer)) return undefined;
      this.refusalsBorne.add(peer);
      this.opts.log(
        'warn',
        `the member ${peer} refuses this node's streams: ${reason}. This node's data directory ${this.opts.dataDir} kept its incarnation ${this.incarnation} since an earlier start ` +
          'and holds entries past the founding one: taken for a member that has not yet received this node\'s removal and re-addition; its streams are dialed again',
      );
      return undefined;
    }
    return (
      `the member ${peer} refuses this node's streams: ${reason}. This node's data directory ${this.opts.dataDir} has incarnation ${this.incarnation}: ` +
      "move it away before starting with join (a directory that holds any log is taken for this member's old self)"
    );
  }

  /** A stream to `peer` made a round trip: whatever it refused before is over. */
  letIn(peer: string): void {
    this.refusals.delete(memberId(peer));
  }

  /**
   * For a joiner whose request went unanswered: the refusal to stop for when every member it
   * asks has refused its streams for longer than a peer behind on a removal takes to catch up —
   * it heard from this address on another data directory, a member that lost its data rather
   * than one removed and added again. Refusals that began once, or lasted no longer than that,
   * stopped a joiner whose only seed was behind (found in review).
   * @param asked the member asked last, whose reason is preferred
   */
  refusedByAll(candidates: readonly NodeId[], asked: NodeId): string | undefined {
    if (candidates.length === 0) return undefined;
    const now = this.now();
    const outlasts = this.refusalOutlastsCatchUpMs();
    if (!candidates.every((c) => now - (this.refusals.get(c)?.since ?? Infinity) >= outlasts)) return undefined;
    return (this.refusals.get(asked) ?? this.refusals.get(candidates[0]!)!).reason;
  }

  /**
   * The configuration changed from `before` to `current`. A member that left may come back on a
   * new data directory: its incarnation is heard again. Left in any configuration adopted since
   * counts: a lagging follower appends a member's removal and its re-addition at once, and kept
   * refusing its new directory for good (found in review). Then keeps the incarnation of each
   * member without one whose open stream was let in before it was a member (adoptDialers).
   * @param adoptedSince the configurations adopted after `before` (MembershipHistory.adoptedAfter)
   * @param dialerIncarnations the transport's incarnations of the open streams from an address
   */
  membershipChanged(current: Membership, adoptedSince: readonly Membership[], self: string, dialerIncarnations?: (address: string) => readonly string[]): void {
    const stayed = new Set(current.map((m) => m.context));
    for (const adopted of adoptedSince) {
      for (const address of stayed) if (!adopted.some((m) => m.context === address)) stayed.delete(address);
    }
    this.peers.retain(stayed);
    if (dialerIncarnations) this.adoptDialers(current, self, dialerIncarnations);
  }

  /** A snapshot from the leader replaced the log: members removed and added again within it went unseen. */
  forgetAll(): void {
    this.peers.clear();
  }

  /** Resolves once every write of the members' incarnations asked so far has ended. */
  settled(): Promise<void> {
    return this.peers.settled();
  }

  /**
   * Keeps the data directory incarnation of each member without one whose open stream was let in
   * before it was a member: a joiner dials while it asks to be added, and its peers kept nothing
   * until it redialed; wiped before that, it came back unseen and could vote (found in review).
   * Two different ones at one address are ambiguous: neither is kept.
   */
  private adoptDialers(members: Membership, self: string, dialerIncarnations: (address: string) => readonly string[]): void {
    for (const m of members) {
      if (m.context === self || this.peers.get(m.context) !== undefined) continue;
      const heard = dialerIncarnations(m.context);
      if (heard.length === 1) this.peers.adopt(m.context, heard[0]!);
    }
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  /**
   * How long a peer's refusal of a joiner's streams must last before it counts: a peer behind on
   * a removal catches up once its leader's link and then the joiner's redial it (each backing off
   * up to DEFAULT_BACKOFF.maxMs, with jitter) and a leader is elected.
   */
  refusalOutlastsCatchUpMs(): number {
    return 2 * DEFAULT_BACKOFF.maxMs * (1 + DEFAULT_BACKOFF.jitter) + 2 * this.opts.electionTimeoutMs;
  }
}
