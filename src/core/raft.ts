/**
 * The Raft state machine: roles, terms and votes, replication, commit, reads, snapshots,
 * membership and leadership transfer. Pure and deterministic: its only inputs are method calls,
 * an injected random source and an injected monotonic clock; its only output is the Ready batch.
 *
 * Rules follow the Raft paper (§5) and Ongaro's thesis (PreVote §9.6, CheckQuorum and leader
 * stickiness §6.2/§9.6, ReadIndex and leases §6.4, single-server membership changes §4.1,
 * leadership transfer §3.10).
 */
import { RaftLog, RaftInvariantError } from './log.js';
import {
  COMMIT_NOTICE,
  EntryType,
  NONE,
  sameSnapshot,
  type ConfChange,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  type NodeId,
  type ReadState,
  type Ready,
  type Role,
  type SnapshotChunk,
  type SnapshotMeta,
  type SoftState,
} from './messages.js';
import {
  ConfChangeError,
  type ConfChangeProblem,
  MembershipHistory,
  applyConfChange,
  encodeConfChange,
  findMember,
  isVoter,
  voterIds,
} from './membership.js';
import { ReplicationProgress } from './progress.js';
import { committedIndex, quorumHas, voteOutcome } from './quorum.js';
import { ReadOnlyQueue, type PendingRead } from './read-only.js';
import { entrySize, type Storage } from './storage.js';

/** Options of the core. Times are in ticks except where named Ms. */
export interface RaftOptions {
  /** This node's id (> 0). */
  id: NodeId;
  /** Followers campaign after a random timeout in [electionTicks, 2 × electionTicks). Default 10. */
  electionTicks?: number;
  /** A leader broadcasts a heartbeat round every heartbeatTicks. Default 1. */
  heartbeatTicks?: number;
  /** Milliseconds per tick on the injected clock: converts the election timeout for the lease. Default 100. */
  tickMs?: number;
  /** Run a PreVote round before a real election (§9.6). Default true. */
  preVote?: boolean;
  /**
   * A leader that has not heard from a quorum within an election timeout steps down, and a node
   * that heard from a leader (or started) within an election timeout ignores vote requests.
   * Default true. Required for lease reads.
   */
  checkQuorum?: boolean;
  /** Fraction of the election timeout the lease gives up to clock drift. Default 0.1. */
  leaseDriftMargin?: number;
  /** Appends in flight to one follower at most. Default 256. */
  maxInflightMessages?: number;
  /** Entry bytes in flight to one follower at most. Default 32 MiB. */
  maxInflightBytes?: number;
  /** Entries in one append message at most. Default 4096. */
  maxEntriesPerMessage?: number;
  /** Entry bytes in one append message at most (at least one entry is always sent). Default 1 MiB. */
  maxBytesPerMessage?: number;
  /** Committed entry bytes handed out in one Ready at most. Default 8 MiB. */
  maxCommittedBytesPerReady?: number;
  /**
   * Committed entries handed out in one Ready at most. Default 4096: the driver applies a Ready's
   * entries in one turn of its event loop, and a restart replaying ~94,000 small entries in one
   * Ready held it ~0.3 s (found in an event-loop audit).
   */
  maxCommittedEntriesPerReady?: number;
  /** Snapshot chunk size. Default 1 MiB. */
  snapshotChunkBytes?: number;
  /** Seeded random source in [0, 1). */
  random: () => number;
  /** Monotonic clock in milliseconds. */
  clock: () => number;
  /** Optional debug log. */
  logger?: (line: string) => void;
}

/** Why a proposal was not accepted. */
export type ProposalRejection =
  | { ok: false; reason: 'notLeader'; leader: NodeId }
  | { ok: false; reason: 'transferring'; leader: NodeId }
  | { ok: false; reason: 'confChangeInFlight'; leader: NodeId }
  /** A new leader takes membership changes once it has committed an entry of its term (§4.1). */
  | { ok: false; reason: 'leaderNotReady'; leader: NodeId }
  | { ok: false; reason: 'invalidConfChange'; leader: NodeId; problem: ConfChangeProblem; message: string };

/** Why a leadership transfer was refused: this node does not lead, or the target is not a voter. */
export type TransferRefusal = { ok: false; reason: 'notLeader' | 'notVoter' };

/** Where an accepted proposal sits in the log: it succeeded iff this (index, term) commits. */
export type ProposalResult = { ok: true; index: number; term: number } | ProposalRejection;

/** A snapshot being received from the leader. */
interface SnapshotReceive {
  meta: SnapshotMeta;
  nextOffset: number;
  /** All bytes arrived and the driver checks the file (snapshotChecked); the leader to answer then. */
  checking?: NodeId;
  /** The last chunk left in a Ready: only then can the driver have stored and checked it. */
  handedOut?: boolean;
}

/**
 * A leader counted entries as acknowledged by this node that its log does not hold: it lost them
 * (see {@link Raft.lostLog}).
 */
export interface LostLog {
  /** The leader that said so, in `term`. */
  leader: NodeId;
  term: number;
  /** The commit index the leader sent: at most what this node acknowledged to it. */
  commit: number;
  /** This node's last log index then. */
  lastIndex: number;
  /**
   * Set when this node's log reaches `commit` but holds an entry of another term there:
   * `[the leader's term at commit, this node's]`.
   */
  termsAtCommit?: [leaders: number, ours: number];
}

const EMPTY = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';
  readonly log: RaftLog;
  readonly membership: MembershipHistory;

  private readonly opts: Required<Omit<RaftOptions, 'logger'>> & Pick<RaftOptions, 'logger'>;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Ticks since start, for the start-up quiet period (see isLeaseProtected). */
  private ticksSinceStart = 0;
  /** ticksSinceStart when a leader's append, heartbeat or snapshot last arrived (see isLeaseProtected). */
  private leaderHeardTick = Number.NEGATIVE_INFINITY;
  private votes = new Map<NodeId, boolean>();
  private progress = new Map<NodeId, ReplicationProgress>();
  /** Epochs given to progresses so far (see AppendRequest.epoch); never reused by this instance. */
  private progressEpochs = 0;
  /** Snapshot transfers begun as leader (see snapshotTransfersStarted). */
  private snapshotTransfers = 0;
  /** The epoch of the last append, heartbeat or snapshot chunk from the leader; 0 for none. */
  private leaderEpoch = 0;
  private leadTransferee: NodeId = NONE;
  /** A TimeoutNow was sent this term: another node may win an election despite stickiness. */
  private timeoutNowSent = false;
  /** Index of the last ConfChange appended while leader; no new change until it commits. */
  private pendingConfIndex = 0;
  /** Set once a heartbeat showed this node lost entries it acknowledged (see lostLog). */
  private lost: LostLog | undefined;
  /** Highest `configIndex` of a NotMember notice received: a committed configuration there leaves this node out. */
  private notMemberNotice = 0;
  /** Our newest configuration's index, once a notice showed it will never commit (see noteNotMember). */
  private divergentConfigIndex = 0;
  /** This node was in a configuration it knew of (sticky; a joiner is not, until it sees its addition). */
  private wasMember: boolean;
  /** Index of the last configuration whose removed members this leader told (see tellRemoved). */
  private removedToldAt = 0;
  /** Highest index durable in local storage. The leader counts itself only up to here. */
  private persistedIndex: number;
  private readonly readOnly = new ReadOnlyQueue();
  /** Reads that arrived before this leader committed an entry of its term. */
  private readsAwaitingCommit: Array<{ context: string; from: NodeId; lease: boolean }> = [];
  private receiving: SnapshotReceive | undefined;
  /** Entries were appended on the leader since the last Ready: broadcast them when it is taken. */
  private appendsPending = false;

  // Output accumulated for the next Ready.
  private earlyMsgs: Message[] = [];
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private droppedReads: string[] = [];
  private chunks: SnapshotChunk[] = [];
  private fetches: Array<{ lo: number; hi: number }> = [];
  private committedFetchPending = false;
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  /** Term of the last hard state the driver made durable (advance of a Ready that carried one). */
  private durableTerm: number;

  constructor(options: RaftOptions, storage: Storage) {
    if (!Number.isSafeInteger(options.id) || options.id <= 0) throw new RangeError(`invalid node id ${options.id}`);
    this.opts = {
      electionTicks: 10,
      heartbeatTicks: 1,
      tickMs: 100,
      preVote: true,
      checkQuorum: true,
      leaseDriftMargin: 0.1,
      maxInflightMessages: 256,
      maxInflightBytes: 32 * 1024 * 1024,
      maxEntriesPerMessage: 4096,
      maxBytesPerMessage: 1024 * 1024,
      maxCommittedBytesPerReady: 8 * 1024 * 1024,
      maxCommittedEntriesPerReady: 4096,
      snapshotChunkBytes: 1024 * 1024,
      ...options,
    };
    if (this.opts.heartbeatTicks >= this.opts.electionTicks) {
      throw new RangeError('heartbeatTicks must be less than electionTicks');
    }
    if (!Number.isSafeInteger(this.opts.maxCommittedEntriesPerReady) || this.opts.maxCommittedEntriesPerReady < 1) {
      // 0 would hand out nothing while hasReady() stays true: a driver spinning for ever.
      throw new RangeError(`maxCommittedEntriesPerReady must be an integer >= 1, got ${this.opts.maxCommittedEntriesPerReady}`);
    }
    this.id = options.id;
    const { hardState, confEntries } = storage.initialState();
    this.log = new RaftLog(storage, hardState.commit);
    if (hardState.commit > this.log.lastIndex()) {
      throw new RaftInvariantError(`stored commit ${hardState.commit} is past the last index ${this.log.lastIndex()}`);
    }
    this.membership = new MembershipHistory(storage.snapshot(), confEntries);
    this.wasMember = this.membership.everIncludes(this.id);
    this.persistedIndex = storage.lastIndex();
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.prevHardState = { ...hardState };
    this.durableTerm = hardState.term;
    this.becomeFollower(hardState.term, NONE);
    this.prevSoftState = this.softState();
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  /** Advances logical time by one tick. */
  tick(): void {
    this.ticksSinceStart++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Proposes application data. On a leader the entry is appended at once. */
  propose(data: Uint8Array): ProposalResult {
    const refused = this.proposalRefusal();
    if (refused) return refused;
    const e = this.appendEntry(EntryType.Normal, data);
    return { ok: true, index: e.index, term: e.term };
  }

  /**
   * Proposes a membership change. One change at a time, and only after this leader committed an
   * entry of its term; adding a voter first adds it as a learner that is promoted once caught up.
   */
  proposeConfChange(cc: ConfChange): ProposalResult {
    const refused = this.proposalRefusal();
    if (refused) return refused;
    if (!this.committedInTerm()) return { ok: false, reason: 'leaderNotReady', leader: this.lead };
    if (!this.confChangeAllowed()) return { ok: false, reason: 'confChangeInFlight', leader: this.lead };
    try {
      applyConfChange(this.membership.current(), cc);
    } catch (err) {
      if (err instanceof ConfChangeError) return { ok: false, reason: 'invalidConfChange', leader: this.lead, problem: err.problem, message: err.message };
      throw err;
    }
    const e = this.appendEntry(EntryType.ConfChange, encodeConfChange(cc));
    return { ok: true, index: e.index, term: e.term };
  }

  /**
   * Asks for a linearizable read. The answer comes as a ReadState with the same context (serve it
   * once applied >= its index) or as a dropped read. With `lease`, a leader holding a valid lease
   * answers at once; otherwise this is ReadIndex.
   */
  readIndex(context: string, lease = false): void {
    if (this.role === 'leader') {
      this.leaderRead(context, this.id, lease);
    } else if (this.lead !== NONE && this.role === 'follower') {
      this.send({ type: 'readIndex', from: this.id, to: this.lead, term: this.term, context, lease });
    } else {
      this.droppedReads.push(context);
    }
  }

  /** Starts a leadership transfer to `target`: catch it up, then tell it to campaign. */
  transferLeader(target: NodeId): { ok: true } | TransferRefusal {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader' };
    if (target === this.id) return { ok: true };
    if (!isVoter(this.membership.current(), target)) return { ok: false, reason: 'notVoter' };
    if (this.leadTransferee === target) return { ok: true };
    this.leadTransferee = target;
    this.electionElapsed = 0; // the transfer must finish within an election timeout
    const pr = this.progress.get(target)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(target);
    else this.sendAppend(target);
    return { ok: true };
  }

  /**
   * Whether a snapshot from the leader is being received (its chunks arriving, or being checked).
   * When it turns false with the chunks of a transfer stored, the driver drops them: the core
   * gave that transfer up (its term ended, or appends caught the node up past it).
   */
  receivingSnapshot(): boolean {
    return this.receiving !== undefined;
  }

  /** Gives up a transfer whose last chunk has not arrived (one being checked ends in snapshotChecked). */
  private forgetPartialReceive(): void {
    if (this.receiving?.checking === undefined) this.receiving = undefined;
  }

  /** The member a leadership transfer is under way to, or NONE. */
  transferTarget(): NodeId {
    return this.leadTransferee;
  }

  /** Starts an election now (tests, and a driver that knows it is the only voter). */
  campaign(): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.opts.preVote) this.startElection('pre', false);
    else this.startElection('real', false);
  }

  /** Handles a message from a peer. Messages not addressed to this node are ignored. */
  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    // Membership facts, not part of any term's exchange: handled whatever the terms.
    if (m.type === 'notMember') return this.noteNotMember(m.configIndex, m.commit, m.commitTerm);
    if (m.type === 'vote') this.tellIfNotMember(m.from);
    if (m.term > this.term) {
      if (m.type === 'vote') {
        // Leader stickiness: a node that heard from a live leader recently ignores elections.
        if (!m.transfer && this.isLeaseProtected()) return;
        if (!m.preVote) this.becomeFollower(m.term, NONE);
      } else if (m.type === 'voteResp' && m.preVote && !m.reject) {
        // A granted pre-vote carries the term we would campaign in; do not adopt it.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.opts.checkQuorum || this.opts.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // Tell a stale leader about the newer term so it steps down.
        this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject: true, index: 0, conflictTerm: 0, conflictIndex: 0 });
      } else if (m.type === 'vote' && m.preVote) {
        this.send({ type: 'voteResp', from: this.id, to: m.from, term: this.term, preVote: true, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'vote':
        this.handleVote(m);
        return;
      case 'voteResp':
        this.handleVoteResponse(m);
        return;
      case 'append':
        if (this.role !== 'follower') this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        if (this.role !== 'follower') this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        if (this.role !== 'follower') this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        if (this.role === 'follower' && this.promotable()) this.startElection('real', true);
        return;
      case 'readIndex':
        if (this.role === 'leader') this.leaderRead(m.context, m.from, m.lease);
        else this.send({ type: 'readIndexResp', from: this.id, to: m.from, term: this.term, context: m.context, index: -1 });
        return;
      case 'readIndexResp':
        if (m.index < 0) this.droppedReads.push(m.context);
        else this.readStates.push({ context: m.context, index: m.index });
        return;
    }
    if (this.role !== 'leader') return;
    switch (m.type) {
      case 'appendResp':
        this.handleAppendResponse(m);
        return;
      case 'heartbeatResp':
        this.handleHeartbeatResponse(m);
        return;
      case 'snapshotResp':
        this.handleSnapshotResponse(m);
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ready / advance

  /** Whether there is anything for the driver to do. */
  hasReady(): boolean {
    return (
      this.appendsPending ||
      this.earlyMsgs.length > 0 ||
      this.msgs.length > 0 ||
      this.log.hasUnstable() ||
      (this.log.hasNextCommitted() && !this.committedFetchPending) ||
      this.readStates.length > 0 ||
      this.droppedReads.length > 0 ||
      this.chunks.length > 0 ||
      this.fetches.length > 0 ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  /**
   * Whether a light Ready ({@link readyLight}) would carry anything: work that needs no local
   * write — committed entries to apply, read states, leader traffic while our term is durable.
   */
  hasLightReady(): boolean {
    return (
      ((this.appendsPending || this.earlyMsgs.length > 0) && this.leaderTrafficMayLeave()) ||
      (this.log.hasNextCommitted() && !this.committedFetchPending && this.mayApplyWithoutInstall()) ||
      this.readStates.length > 0 ||
      this.droppedReads.length > 0 ||
      this.fetches.length > 0 ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  /**
   * Whether committed entries may be handed out without the next full Ready. Not while a received
   * snapshot awaits installation: the entries after it apply on top of the snapshot's state, which
   * the driver gets from that full Ready (it installs the snapshot, then applies what follows).
   */
  private mayApplyWithoutInstall(): boolean {
    return !this.log.hasPendingSnapshot();
  }

  /**
   * Takes the part of the pending work that does not wait for a local write: committed entries
   * (committed means durable on a quorum, so they may be applied while this node's own write of
   * them is still in flight; none while a received snapshot awaits installation), read states,
   * dropped reads, fetches, the soft state, and — only while the current term is durable here —
   * the leader's appends and heartbeats. Entries to persist, the hard state, snapshot work and
   * every other message (acks and votes promise durable state) stay for the next full
   * {@link ready}. Lets a driver keep applying and replicating while the previous full Ready's
   * write is on disk; call advance() on it at once (it carries no entries, so advancing it
   * promises nothing about storage). Take one only after applying the committed entries of every
   * earlier Ready: its entries follow theirs. A driver that applies a Ready's entries only after
   * its write (as with snapshot work) takes no light Ready until then.
   */
  readyLight(): Ready {
    const leaderTrafficMayLeave = this.leaderTrafficMayLeave();
    if (this.appendsPending && leaderTrafficMayLeave) {
      this.appendsPending = false;
      this.broadcastAppend();
    }
    const ss = this.softState();
    const rd: Ready = {
      entries: [],
      snapshotChunks: [],
      earlyMessages: leaderTrafficMayLeave ? this.earlyMsgs : [],
      messages: [],
      committed: this.mayApplyWithoutInstall() ? this.takeCommitted() : [],
      readStates: this.readStates,
      droppedReads: this.droppedReads,
      fetch: this.fetches,
    };
    if (!sameSoftState(ss, this.prevSoftState)) rd.softState = ss;
    this.prevSoftState = ss;
    if (leaderTrafficMayLeave) this.earlyMsgs = [];
    this.readStates = [];
    this.droppedReads = [];
    this.fetches = [];
    return rd;
  }

  /** A leader's appends and heartbeats may leave ahead of the local write: our term is durable. */
  private leaderTrafficMayLeave(): boolean {
    return this.role === 'leader' && this.term === this.durableTerm;
  }

  /** The next committed entries to apply (marked as being applied), or a fetch for them. */
  private takeCommitted(): Entry[] {
    if (!this.log.hasNextCommitted() || this.committedFetchPending) return [];
    const next = this.log.nextCommitted(this.opts.maxCommittedBytesPerReady, this.opts.maxCommittedEntriesPerReady);
    if (next === undefined) {
      this.committedFetchPending = true;
      this.fetches.push({ lo: this.log.applying + 1, hi: this.log.committed + 1 });
      return [];
    }
    if (next.length) this.log.applying = next[next.length - 1]!.index;
    return next;
  }

  /** Takes the pending work as a Ready batch. Call advance(ready) once it is done. */
  ready(): Ready {
    // Caught up by appends past a snapshot partly received: the leader will not finish sending it.
    if (this.receiving !== undefined && this.receiving.meta.index <= this.log.committed) this.forgetPartialReceive();
    if (this.appendsPending) {
      this.appendsPending = false;
      if (this.role === 'leader') this.broadcastAppend();
    }
    const hs = this.hardState();
    const ss = this.softState();
    const { entries, snapshot } = this.log.unstable();
    const committed = this.takeCommitted();
    const hardStateChanged = !sameHardState(hs, this.prevHardState);
    // Leader traffic may leave before the local write, unless our term itself is not durable yet.
    let early = this.earlyMsgs;
    let late = this.msgs;
    if (hardStateChanged && hs.term !== this.prevHardState.term) {
      late = early.concat(late);
      early = [];
    }
    const rd: Ready = {
      entries,
      snapshotChunks: this.chunks,
      earlyMessages: early,
      messages: late,
      committed,
      readStates: this.readStates,
      droppedReads: this.droppedReads,
      fetch: this.fetches,
    };
    if (hardStateChanged) rd.hardState = hs;
    if (!sameSoftState(ss, this.prevSoftState)) rd.softState = ss;
    if (snapshot) rd.snapshot = snapshot;
    this.prevHardState = hs;
    this.prevSoftState = ss;
    if (this.receiving?.checking !== undefined && this.chunks.length > 0) this.receiving.handedOut = true;
    this.earlyMsgs = [];
    this.msgs = [];
    this.readStates = [];
    this.droppedReads = [];
    this.chunks = [];
    this.fetches = [];
    return rd;
  }

  /** The driver persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    if (rd.hardState) this.durableTerm = rd.hardState.term;
    if (rd.snapshot) {
      this.log.stableSnapshotTo(rd.snapshot.index);
      this.persistedIndex = Math.max(this.persistedIndex, rd.snapshot.index);
      this.log.applied = Math.max(this.log.applied, rd.snapshot.index);
    }
    if (rd.entries.length) {
      const last = rd.entries[rd.entries.length - 1]!;
      if (this.log.term(last.index) === last.term) {
        this.persistedIndex = Math.max(this.persistedIndex, last.index);
      }
      this.log.stableTo(last.index, last.term);
    }
    if (rd.committed.length) {
      this.log.applied = Math.max(this.log.applied, rd.committed[rd.committed.length - 1]!.index);
    }
    if (this.role === 'leader' && this.maybeCommit()) this.broadcastAppend(true);
  }

  /** Storage loaded what a Ready's `fetch` asked for: retry what waited on it. */
  wake(): void {
    this.committedFetchPending = false;
    if (this.role === 'leader') this.broadcastAppend();
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /**
   * Set when the leader's heartbeat named a commit index past this node's log end, or one where
   * this log holds an entry of another term than the leader's: it had acknowledged entries its log
   * no longer holds (its data directory was wiped, replaced or
   * restored from an older copy, or a crash took writes `sync: 'none'` never made durable). Such a
   * member may have forgotten votes too, and its lost acknowledgements may be what made entries
   * committed: it must not go on as itself (nor would it catch up: the leader takes its rejections
   * of appends past its log for stale ones). The core records it and carries on; the driver stops.
   */
  lostLog(): LostLog | undefined {
    return this.lost;
  }

  softState(): SoftState {
    return { role: this.role, leader: this.lead, term: this.term, removedAt: this.removedAt() };
  }

  /** Whether this leader heard from peer `id` within the last `ticks` ticks (false on a non-leader). */
  heardFromWithin(id: NodeId, ticks: number): boolean {
    return this.role === 'leader' && this.heardWithin(id, ticks);
  }

  /**
   * Whole ticks since this leader last heard from peer `id` (an answer to an append, heartbeat or
   * snapshot chunk; a progress made when this node took over, or when `id` joined, counts as heard
   * then); undefined on a non-leader or for a peer without progress. For metrics, read at scrape time.
   */
  ticksSinceHeardFrom(id: NodeId): number | undefined {
    const pr = this.progress.get(id);
    if (this.role !== 'leader' || pr === undefined) return undefined;
    return this.ticksSinceStart - pr.lastHeardTick;
  }

  /**
   * Snapshot transfers this node began as leader, to any follower (a follower needing entries
   * compacted away): a count for metrics, read at scrape time.
   */
  get snapshotTransfersStarted(): number {
    return this.snapshotTransfers;
  }

  /** The replication progress of a peer (leader only), for status pages and tests. */
  progressOf(id: NodeId): Readonly<ReplicationProgress> | undefined {
    return this.progress.get(id);
  }

  /** The metadata a snapshot of the state machine at `index` must carry. */
  snapshotMetaAt(index: number, size: number): SnapshotMeta {
    const term = this.log.term(index);
    if (term === undefined) throw new RangeError(`no term known for index ${index}`);
    if (index > this.log.applied) throw new RangeError(`snapshot at ${index} is past the applied index ${this.log.applied}`);
    return { index, term, membership: this.membership.at(index), size };
  }

  /**
   * The driver cannot read the snapshot `meta` for a chunk to `to` any more (a newer one replaced
   * it and retention deleted it, or it was found corrupt and replaced): the transfer to `to`, if
   * it is of that snapshot, starts again with the latest one. Nothing changes while `meta` is the
   * latest: the chunk is sent again after the next heartbeat round.
   */
  snapshotUnavailable(to: NodeId, meta: SnapshotMeta): void {
    const pr = this.progress.get(to);
    if (this.role !== 'leader' || !pr || pr.state !== 'snapshot' || !sameSnapshot(pr.pendingSnapshot!, meta)) return;
    const latest = this.log.storage.snapshot();
    if (sameSnapshot(latest, meta)) return;
    this.log_(`snapshot ${meta.index} for ${to} is gone; sending snapshot ${latest.index} instead`);
    pr.becomeSnapshot(latest);
    this.sendSnapshotChunk(to, pr);
  }

  /** The driver compacted storage behind a snapshot at meta.index. */
  compacted(meta: SnapshotMeta): void {
    this.membership.compactTo(meta.index);
  }

  /** Whether a lease read would be answered at once. */
  leaseValid(): boolean {
    return (
      this.role === 'leader' &&
      this.opts.checkQuorum &&
      this.leadTransferee === NONE &&
      !this.timeoutNowSent &&
      this.committedInTerm() &&
      (this.soleVoter() || this.readOnly.leaseValidAt(this.opts.clock()))
    );
  }

  /** Lease length: the followers' election timeout, less one tick of timer phase, less the drift margin. */
  leaseMs(): number {
    return (this.opts.electionTicks - 1) * this.opts.tickMs * (1 - this.opts.leaseDriftMargin);
  }

  // ---------------------------------------------------------------------------------------------
  // Roles

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
      this.timeoutNowSent = false;
      // A leader of any later term sends its snapshot from offset 0: the chunks so far are dead.
      this.forgetPartialReceive();
    }
    if (this.role === 'leader') this.dropReads();
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.opts.electionTicks + Math.floor(this.opts.random() * this.opts.electionTicks);
    this.votes = new Map();
    this.progress = new Map();
    this.leadTransferee = NONE;
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    this.syncProgressWithMembership();
    this.pendingConfIndex = this.log.lastIndex();
    this.appendEntry(EntryType.Noop, EMPTY);
    this.log_(`became leader at term ${this.term}`);
  }

  private startElection(kind: 'pre' | 'real', transfer: boolean): void {
    let voteTerm: number;
    if (kind === 'pre') {
      this.reset(this.term);
      this.role = 'preCandidate';
      voteTerm = this.term + 1;
    } else {
      this.reset(this.term + 1);
      this.role = 'candidate';
      this.vote = this.id;
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    this.log_(`starting ${kind === 'pre' ? 'pre-vote' : 'election'} for term ${voteTerm}${transfer ? ' (transfer)' : ''}`);
    if (this.tally() !== 'pending') return; // a sole voter wins at once
    for (const id of voterIds(this.membership.current())) {
      if (id === this.id) continue;
      this.send({
        type: 'vote',
        from: this.id,
        to: id,
        term: voteTerm,
        preVote: kind === 'pre',
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        transfer,
      });
    }
  }

  /** Counts votes and acts on the outcome. */
  private tally(): 'won' | 'lost' | 'pending' {
    const outcome = voteOutcome(voterIds(this.membership.current()), this.votes);
    if (outcome === 'won') {
      if (this.role === 'preCandidate') this.startElection('real', false);
      else this.becomeLeader();
    } else if (outcome === 'lost') {
      this.becomeFollower(this.term, NONE);
    }
    return outcome;
  }

  /**
   * Who may campaign: a voter of its latest configuration, and also a node missing from it (thesis
   * §4.1: a server being removed may still be needed until that removal commits; its own vote is
   * not counted). A learner never campaigns, nor does a node whose configuration has no voters
   * but itself to ask (a joiner that has not received the log yet), nor a removed node.
   */
  private promotable(): boolean {
    if (this.removedAt() > 0) return false;
    const members = this.membership.current();
    const me = findMember(members, this.id);
    if (me) return me.role === 'voter';
    return voterIds(members).length > 0;
  }

  /**
   * The index of a committed configuration that leaves this node out — it was removed from the
   * cluster — or 0 while it is a member (or a joiner still catching up). Known from its own log
   * (a leader that committed its own removal) or from a {@link NotMember} notice: the leader stops
   * replicating to a removed member at once and tells it when the removal commits; one that
   * missed that is told when it next campaigns. A removed node never campaigns again; a leader
   * replicating to it again (it was added again) ends this.
   */
  removedAt(): number {
    // A leader replicates only to the members of its configuration: a node it replicates to is
    // one, whatever the entries it is still catching up through say (a member added again under
    // its old address, on an empty log, passes through its own earlier removal).
    if (this.lead !== NONE && this.lead !== this.id) return 0;
    const members = this.membership.current();
    if (members.length === 0) return 0; // a joiner that has not received the log: never a member yet
    const at = this.membership.currentIndex();
    if (this.notMemberNotice > at || this.divergentConfigIndex === at) return this.notMemberNotice;
    if (findMember(members, this.id)) return 0;
    if (this.notMemberNotice === at) return at; // the peer that said so had committed it
    return this.wasMember && this.log.committed >= at ? at : 0;
  }

  /**
   * On a leader whose configuration just committed: tells the members it removed. The leader
   * stopped replicating to them when it appended it, so they would otherwise learn it only when
   * they campaign — and a non-voting member never does. Sent once; a lost notice is made up by
   * tellIfNotMember when a removed voter campaigns.
   */
  private tellRemoved(): void {
    const at = this.membership.currentIndex();
    if (this.role !== 'leader' || this.removedToldAt >= at || this.log.committed < at) return;
    this.removedToldAt = at;
    const members = this.membership.current();
    for (const m of this.membership.at(at - 1)) {
      if (m.id !== this.id && !findMember(members, m.id)) this.sendNotMember(m.id, at);
    }
  }

  /**
   * Tells `from` it is not a member when it is missing from our committed configuration. The core
   * calls it for every vote request; a driver may call it for other signs of life of a node it
   * is not sure of (raft-node: its periodic announcements), so that a removed non-voting member,
   * which never campaigns, learns its removal too. Sends nothing to a member.
   */
  tellIfNotMember(from: NodeId): void {
    if (from === this.id) return;
    const at = this.membership.currentIndex();
    if (at === 0 || findMember(this.membership.current(), from)) return;
    // Committed here, or named by a notice from a peer that had committed it: a removed member
    // hears of its removal that way, never from the log (seed 2654295: a removed voter that asked
    // only such members campaigned forever).
    if (this.log.committed >= at || this.notMemberNotice === at) {
      this.sendNotMember(from, at);
      return;
    }
    // Our newest configuration is not known committed (we may be removed ourselves, told by a
    // notice): the newest one at or below our commit index is, and it may leave `from` out too
    // (seed 2879511: a removed voter whose only fellow voter was such a node campaigned forever).
    // A node added again since holds that newer configuration and does not believe this notice.
    const committedAt = this.membership.indexAt(this.log.committed);
    if (committedAt === 0 || findMember(this.membership.at(committedAt), from)) return;
    this.sendNotMember(from, committedAt);
  }

  /**
   * Tells `to` that our configuration committed at `configIndex` leaves it out, with our commit
   * index and the term of our entry there: a receiver whose own entry at that index has another
   * term knows that nothing in its log from there on can ever commit (see noteNotMember).
   */
  private sendNotMember(to: NodeId, configIndex: number): void {
    const commit = this.log.committed;
    this.send({ type: 'notMember', from: this.id, to, term: this.term, configIndex, commit, commitTerm: this.log.term(commit) ?? 0 });
  }

  /**
   * A peer's committed configuration at `configIndex` leaves this node out. Not believed when it
   * is older than our newest configuration and the peer has not committed as far as ours: a
   * lagging peer may not know we were added. Believed otherwise:
   * - newer than ours: we were removed since;
   * - at the same index: if ours includes us it is another entry than the committed one;
   * - older, from a peer that committed past ours: its newest configuration being older, our
   *   entry is not the committed one at that index either.
   * - older, from a peer whose committed entry at its commit index has another term than ours
   *   there (`commitTerm`): ours is not the committed one, and by Log Matching nothing of our log
   *   from there on can ever commit, our newest configuration included. Checked against our log
   *   as it is now, so a notice delivered late, after a leader replaced our log, proves nothing
   *   wrong (seed 2900898: a deposed leader with its own configuration past the cluster's commit
   *   index, in an idle cluster, disbelieved every notice and campaigned forever).
   * In these cases our newest configuration is a deposed leader's entry that will never
   * commit, and that no leader overwrites: the current one does not replicate to a node outside
   * its configuration (seed 2100795: a removed voter campaigned forever, a voter in its own view).
   */
  private noteNotMember(configIndex: number, commit: number, commitTerm: number | undefined): void {
    // A joiner that has not received the log is not a member yet: nothing to learn from this.
    if (this.membership.current().length === 0) return;
    const at = this.membership.currentIndex();
    // commitTerm 0 (or absent, from an older version): the sender did not know it.
    const ours = this.log.term(commit);
    const divergentFromCommit = commitTerm !== undefined && commitTerm > 0 && ours !== undefined && ours !== commitTerm;
    // A notice that contradicts what this node knows to be committed cannot come from its own
    // cluster: two committed entries at one index have one term, and a member whose configuration
    // is older than this node's committed one is behind it (had it committed past it, it would
    // hold it). It comes from another cluster's member under an address this cluster lists (added
    // by mistake): one such notice made every member of a cluster take itself for removed (found
    // 12-07). Ignored.
    const committed = this.log.committed;
    if ((divergentFromCommit && commit <= committed) || (configIndex < at && at <= committed)) return;
    if (configIndex < at && commit < at && !divergentFromCommit) return;
    // Notices are not compared with each other: one member's configIndex may be its snapshot's
    // index, another's the configuration entry's, for the same configuration.
    const known = this.removedAt() > 0;
    this.notMemberNotice = Math.max(this.notMemberNotice, configIndex);
    if (configIndex <= at) this.divergentConfigIndex = at;
    if (known) return;
    // Whoever led it will not contact it again: no leader (see removedAt), and no campaign.
    this.becomeFollower(this.term, NONE);
    this.log_(`removed from the cluster: the configuration committed at ${this.removedAt()} leaves this node out`);
  }

  /**
   * Whether this node must ignore vote requests: with CheckQuorum, while it leads, for an election
   * timeout after an append, heartbeat or snapshot from a leader, and after start-up (a restarted
   * voter may have acknowledged a lease it no longer remembers). Counted from the last such
   * message, not from knowing a leader: a higher term taken in from any other message (a late
   * rejection of this node's pre-vote) forgets the leader, but the lease this node acknowledged
   * still runs (regression: it then granted votes at once, and the old leader served stale reads).
   */
  private isLeaseProtected(): boolean {
    if (!this.opts.checkQuorum) return false;
    if (this.ticksSinceStart < this.opts.electionTicks) return true;
    if (this.role === 'leader') return true;
    return this.ticksSinceStart - this.leaderHeardTick < this.opts.electionTicks;
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed < this.randomizedElectionTimeout) return;
    if (this.promotable()) {
      this.electionElapsed = 0;
      this.campaign();
    } else if (this.role === 'follower' && this.lead !== NONE) {
      // A member that never campaigns (non-voting) forgets a leader it has not heard from for an
      // election timeout, as the voters do by campaigning: it named a dead leader for good, and
      // its reads waited out their timeout instead of being refused (found in review).
      this.log_(`no word from leader ${this.lead} for an election timeout`);
      this.lead = NONE;
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    // CheckQuorum on every tick, from each member's last answer, so a leader cut off from a
    // majority steps down one election timeout after it last heard from one, wherever the cut
    // falls (a per-window flag, as in etcd, can take up to two timeouts).
    if (this.opts.checkQuorum && !this.quorumHeardWithin(this.opts.electionTicks)) {
      this.log_(`stepping down: no quorum heard within an election timeout`);
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.electionElapsed >= this.opts.electionTicks) {
      this.electionElapsed = 0;
      this.leadTransferee = NONE; // a transfer that did not finish in time is abandoned
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
      this.maybePromoteLearner();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Votes

  private handleVote(m: Extract<Message, { type: 'vote' }>): void {
    // Leader stickiness holds here too, not only for a request of a higher term (see step): a
    // follower that took in a higher term from another message has no vote and no leader in it,
    // yet may have acknowledged a live leader's round (regression: it granted a vote of that same
    // term at once, and the old leader served stale lease reads).
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE && (m.transfer || !this.isLeaseProtected())) ||
      (m.preVote && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm)) {
      this.send({ type: 'voteResp', from: this.id, to: m.from, term: m.term, preVote: m.preVote, reject: false });
      if (!m.preVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
      this.log_(`granted ${m.preVote ? 'pre-vote' : 'vote'} to ${m.from} for term ${m.term}`);
    } else {
      this.send({ type: 'voteResp', from: this.id, to: m.from, term: this.term, preVote: m.preVote, reject: true });
    }
  }

  private handleVoteResponse(m: Extract<Message, { type: 'voteResp' }>): void {
    const expected = this.role === 'preCandidate' ? m.preVote : this.role === 'candidate' ? !m.preVote : false;
    if (!expected) return;
    this.votes.set(m.from, !m.reject);
    this.tally();
  }

  // ---------------------------------------------------------------------------------------------
  // Replication: follower side

  private handleAppend(m: Extract<Message, { type: 'append' }>): void {
    this.electionElapsed = 0;
    this.leaderHeardTick = this.ticksSinceStart;
    this.lead = m.from;
    this.leaderEpoch = m.epoch ?? 0;
    if (m.prevIndex < this.log.committed) {
      this.sendAppendAck(m.from, this.log.committed);
      return;
    }
    const result = this.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
    if (result) {
      this.afterLogChange(result.truncatedAfter, result.appended);
      this.sendAppendAck(m.from, result.lastNew);
      return;
    }
    // Reject with a hint: our term at prevIndex and the first index of that term (§5.3 optimisation).
    const last = this.log.lastIndex();
    let conflictTerm = 0;
    let conflictIndex = last + 1;
    if (m.prevIndex <= last) {
      conflictTerm = this.log.term(m.prevIndex) ?? 0;
      conflictIndex = this.firstIndexOfTerm(conflictTerm, m.prevIndex);
    }
    this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject: true, index: m.prevIndex, conflictTerm, conflictIndex, epoch: this.leaderEpoch });
  }

  private sendAppendAck(to: NodeId, index: number): void {
    this.send({ type: 'appendResp', from: this.id, to, term: this.term, reject: false, index, conflictTerm: 0, conflictIndex: 0, epoch: this.leaderEpoch });
  }

  private handleHeartbeat(m: Extract<Message, { type: 'heartbeat' }>): void {
    this.electionElapsed = 0;
    this.leaderHeardTick = this.ticksSinceStart;
    this.lead = m.from;
    this.leaderEpoch = m.epoch ?? 0;
    // A leader sends each follower at most its match index, which only the follower's own acks of
    // durable entries raise. A commit past this log's end means it lost entries it acknowledged.
    // Not said of a node holding no log at all, a joiner: a heartbeat queued for the member's
    // earlier incarnation (removed, then added again with an empty directory) may reach it first
    // over a transport that cannot drop it (the Node drops what the gRPC and memory transports
    // queued, at the removal); the driver's join path finds a wiped member that joins without
    // being removed.
    const last = this.log.lastIndex();
    if (m.commit > last && last > 0) this.lost ??= { leader: m.from, term: this.term, commit: m.commit, lastIndex: last };
    // So does another entry where the acknowledged one was: a log restored from an older copy (or
    // a `sync: 'none'` crash that lost the truncation of a stale tail) can reach past the commit
    // with entries of an older term that never committed. Committing them would apply them (found
    // in review), so nothing is committed: the driver stops the node.
    const ours = m.commit > this.log.committed ? this.log.term(m.commit) : undefined;
    if (m.commitTerm && ours !== undefined && ours !== m.commitTerm) {
      this.lost ??= { leader: m.from, term: this.term, commit: m.commit, lastIndex: last, termsAtCommit: [m.commitTerm, ours] };
    }
    if (this.lost === undefined) this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, round: m.round });
  }

  private handleSnapshot(m: Extract<Message, { type: 'snapshot' }>): void {
    this.electionElapsed = 0;
    this.leaderHeardTick = this.ticksSinceStart;
    this.lead = m.from;
    this.leaderEpoch = m.epoch ?? 0;
    const meta = m.meta;
    if (meta.index <= this.log.committed) {
      // (A receive of a newer snapshot, or its check, goes on: this message is only late.)
      if (this.receiving !== undefined && this.receiving.meta.index <= this.log.committed) this.receiving = undefined;
      this.sendAppendAck(m.from, this.log.committed);
      return;
    }
    const r0 = this.receiving;
    if (r0 !== undefined && r0.checking !== undefined && sameSnapshot(r0.meta, meta)) {
      // A resend while the driver checks the file: all bytes are here, the answer follows the check.
      this.askSnapshotFrom(m.from, meta.index, r0.nextOffset);
      return;
    }
    if (m.offset === 0) this.receiving = { meta, nextOffset: 0 };
    const r = this.receiving;
    // Index, term and size: a leader may write a corrupt snapshot again at the same index, and the
    // bytes of the two files must not be joined.
    const same = r !== undefined && sameSnapshot(r.meta, meta);
    if (!same || m.offset !== r.nextOffset || m.data.byteLength !== m.length) {
      this.askSnapshotFrom(m.from, meta.index, same ? r.nextOffset : 0);
      return;
    }
    this.chunks.push({ meta, offset: m.offset, data: m.data, done: m.done });
    r.nextOffset += m.length;
    if (!m.done) {
      this.askSnapshotFrom(m.from, meta.index, r.nextOffset);
      return;
    }
    // The file is whole: the driver checks it (its checksums) before it may replace the log, and
    // answers with snapshotChecked. Installed unchecked, bytes corrupted on the leader's disk or
    // on the way stopped this node at the install, with the log already given up.
    r.checking = m.from;
  }

  /**
   * The driver checked the snapshot file whose last chunk it stored (a Ready's `snapshotChunks`
   * entry with `done`): if `ok`, the snapshot is taken (Figure 13 steps 6-8; a later Ready installs
   * it when it replaces the log); if not, it is refused and the leader sends it again from the
   * start. A check of a snapshot no longer being received (a newer one started) is ignored.
   */
  snapshotChecked(meta: SnapshotMeta, ok: boolean): void {
    const r = this.receiving;
    if (r === undefined || r.checking === undefined || !r.handedOut || !sameSnapshot(r.meta, meta)) return;
    this.receiving = undefined;
    // A candidate drops it: whoever wins sends what this node needs. A follower takes it even if
    // the term moved on while the file was checked: it holds committed state only, and checks
    // longer than an election timeout would otherwise be dropped again and again.
    if (this.role !== 'follower') return;
    const leader = this.lead === NONE ? r.checking : this.lead;
    if (!ok) {
      this.askSnapshotFrom(leader, meta.index, 0);
      return;
    }
    if (meta.index <= this.log.committed) {
      this.sendAppendAck(leader, this.log.committed);
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // Figure 13 step 6: our log already holds the snapshot's last entry; keep what follows.
      // Acknowledge only the commit index: entries after it may still conflict with the leader.
      this.log.commitTo(meta.index);
      this.sendAppendAck(leader, this.log.committed);
      return;
    }
    // Figure 13 steps 7-8: discard the log and install the snapshot.
    this.log_(`installing snapshot at ${meta.index} term ${meta.term}`);
    this.log.restore(meta);
    this.committedFetchPending = false; // a load of the old log's entries no longer matters
    this.membership.reset(meta);
    if (!this.wasMember) this.wasMember = this.membership.everIncludes(this.id);
    this.persistedIndex = Math.min(this.persistedIndex, meta.index);
    this.sendAppendAck(leader, meta.index);
  }

  /** Tells the leader `to` which offset of snapshot `index` to send next (0: from the start). */
  private askSnapshotFrom(to: NodeId, index: number, nextOffset: number): void {
    this.send({ type: 'snapshotResp', from: this.id, to, term: this.term, snapshotIndex: index, nextOffset, epoch: this.leaderEpoch });
  }

  // ---------------------------------------------------------------------------------------------
  // Replication: leader side

  private proposalRefusal(): ProposalRejection | undefined {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', leader: this.lead };
    if (this.leadTransferee !== NONE) return { ok: false, reason: 'transferring', leader: this.lead };
    return undefined;
  }

  private appendEntry(type: EntryType, data: Uint8Array): Entry {
    const e: Entry = { index: this.log.lastIndex() + 1, term: this.term, type, data };
    this.log.append([e]);
    if (type === EntryType.ConfChange) this.pendingConfIndex = e.index;
    this.afterLogChange(undefined, [e]);
    // Appends go out with the next Ready, so proposals made meanwhile share one message per peer.
    this.appendsPending = true;
    return e;
  }

  /** Keeps the membership (and, on a leader, the progress set) in step with log changes. */
  private afterLogChange(truncatedAfter: number | undefined, appended: readonly Entry[]): void {
    let changed = false;
    if (truncatedAfter !== undefined) {
      this.persistedIndex = Math.min(this.persistedIndex, truncatedAfter);
      changed = this.membership.truncateAfter(truncatedAfter);
    }
    if (this.membership.onAppend(appended)) changed = true;
    if (changed && !this.wasMember) this.wasMember = this.membership.everIncludes(this.id);
    if (changed && this.role === 'leader') {
      this.syncProgressWithMembership();
      if (this.maybeCommit()) this.broadcastAppend(true);
    }
  }

  /** Whether a quorum of voters (the leader counting itself) answered within the last `ticks` ticks. */
  private quorumHeardWithin(ticks: number): boolean {
    const voters = voterIds(this.membership.current());
    return quorumHas(voters, (id) => id === this.id || this.heardWithin(id, ticks));
  }

  private heardWithin(id: NodeId, ticks: number): boolean {
    const pr = this.progress.get(id);
    return pr !== undefined && this.ticksSinceStart - pr.lastHeardTick < ticks;
  }

  /**
   * Creates progress for new members. Every new progress counts as heard from now: a new leader
   * just got a quorum's votes, and a member added mid-term gets one election timeout to answer.
   */
  private syncProgressWithMembership(): void {
    const members = this.membership.current();
    for (const id of [...this.progress.keys()]) {
      if (!findMember(members, id)) {
        this.progress.delete(id);
        if (this.leadTransferee === id) this.leadTransferee = NONE;
      }
    }
    for (const m of members) {
      if (m.id === this.id || this.progress.has(m.id)) continue;
      const pr = new ReplicationProgress(this.log.lastIndex() + 1, {
        maxMessages: this.opts.maxInflightMessages,
        maxBytes: this.opts.maxInflightBytes,
      });
      pr.lastHeardTick = this.ticksSinceStart;
      pr.epoch = ++this.progressEpochs;
      this.progress.set(m.id, pr);
    }
  }

  /** Sends new entries to every peer; with `force`, an empty append too (to carry a new commit index). */
  private broadcastAppend(force = false): void {
    for (const id of this.progress.keys()) this.sendAppend(id, force);
  }

  /**
   * Sends as many appends to `to` as its state allows (one in probe state, up to the in-flight
   * window in replicate state). `force` sends even when there are no new entries (to carry the
   * commit index or to probe).
   */
  private sendAppend(to: NodeId, force = false): void {
    const pr = this.progress.get(to);
    if (!pr) return;
    for (;;) {
      if (pr.isPaused()) return;
      const last = this.log.lastIndex();
      if (pr.state === 'replicate' && pr.next > last && !force) return;
      const prevIndex = pr.next - 1;
      const prevTerm = this.log.term(prevIndex);
      if (prevTerm === undefined || pr.next < this.log.firstIndex()) {
        this.startSnapshot(to, pr);
        return;
      }
      let entries: Entry[] = [];
      if (pr.next <= last) {
        const hi = Math.min(last + 1, pr.next + this.opts.maxEntriesPerMessage);
        const got = this.log.slice(pr.next, hi, this.opts.maxBytesPerMessage);
        if (got === undefined) {
          this.fetches.push({ lo: pr.next, hi });
          return;
        }
        entries = got;
      }
      let bytes = 0;
      for (const e of entries) bytes += entrySize(e);
      const append: Message = { type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed, epoch: pr.epoch };
      if (entries.length === 0 && pr.state === 'replicate') append[COMMIT_NOTICE] = true;
      this.send(append);
      pr.sentEntries(prevIndex + entries.length, bytes);
      force = false;
      if (pr.state !== 'replicate' || entries.length === 0) return;
    }
  }

  private startSnapshot(to: NodeId, pr: ReplicationProgress): void {
    const meta = this.log.storage.snapshot();
    if (meta.index === 0) throw new RaftInvariantError(`peer ${to} needs entries before ${this.log.firstIndex()} but there is no snapshot`);
    this.log_(`sending snapshot at ${meta.index} to ${to}`);
    this.snapshotTransfers++;
    pr.becomeSnapshot(meta);
    this.sendSnapshotChunk(to, pr);
  }

  private sendSnapshotChunk(to: NodeId, pr: ReplicationProgress): void {
    // A transfer starts with the latest snapshot and keeps to it once the follower has taken a
    // chunk: restarting at each newer snapshot, a transfer longer than the snapshot interval
    // (a large state, a slow link, EverySecond) never finished. Should the driver no longer have
    // it, it says so (snapshotUnavailable) and the transfer starts again with the latest.
    const latest = this.log.storage.snapshot();
    if (pr.snapshotOffset === 0 && !sameSnapshot(latest, pr.pendingSnapshot!)) pr.becomeSnapshot(latest);
    const meta = pr.pendingSnapshot!;
    const offset = pr.snapshotOffset;
    const length = Math.max(0, Math.min(this.opts.snapshotChunkBytes, meta.size - offset));
    pr.snapshotChunkInFlight = true;
    pr.snapshotLength = length;
    pr.snapshotSentRound = this.readOnly.currentRound();
    this.send({ type: 'snapshot', from: this.id, to, term: this.term, meta, offset, length, data: EMPTY, done: offset + length >= meta.size, epoch: pr.epoch });
  }

  private handleSnapshotResponse(m: Extract<Message, { type: 'snapshotResp' }>): void {
    const pr = this.progress.get(m.from);
    if (!pr || isOtherEpoch(m.epoch, pr)) return;
    pr.lastHeardTick = this.ticksSinceStart;
    if (pr.state !== 'snapshot' || pr.pendingSnapshot?.index !== m.snapshotIndex) return;
    if (m.nextOffset === pr.snapshotOffset + pr.snapshotLength) {
      pr.snapshotOffset = m.nextOffset;
    } else if (m.nextOffset === pr.snapshotOffset && pr.snapshotChunkInFlight) {
      return; // an answer to a duplicate; the chunk it asks for is already on its way
    } else {
      pr.snapshotOffset = Math.min(m.nextOffset, pr.pendingSnapshot.size);
    }
    pr.snapshotChunkInFlight = false;
    if (pr.snapshotOffset < pr.pendingSnapshot.size) this.sendSnapshotChunk(m.from, pr);
  }

  private handleAppendResponse(m: Extract<Message, { type: 'appendResp' }>): void {
    const pr = this.progress.get(m.from);
    // An answer to another progress for this id: an earlier incarnation of the member (removed,
    // then added again at its address), whose acknowledgement, arriving late, set the new one's
    // match to entries it never received (found in review: it never caught up).
    if (!pr || isOtherEpoch(m.epoch, pr)) return;
    // A leader's log never shrinks within its term, so an answer about an index past it is no
    // answer to this leader (a member of another cluster under a listed address): taken in, it
    // moved the follower's next index past the log, and the next append to it threw (found 12-07).
    if (m.index > this.log.lastIndex()) return;
    pr.lastHeardTick = this.ticksSinceStart;
    if (m.reject) {
      if (pr.state === 'snapshot') return;
      const hint = this.retryHint(m.index, m.conflictTerm, m.conflictIndex);
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe' && m.index === pr.match && m.index === pr.next - 1) {
        // A probe at the match index accepted (an empty one: the follower had everything): it
        // holds everything up to `next - 1`, so replication goes on from there, as in etcd.
        // Ignored, the follower stayed in probe, its probe answered but still counted as sent,
        // and each new entry went out only at the next heartbeat answer.
        pr.becomeReplicate();
        this.sendAppend(m.from);
      } else if (wasPaused && pr.state === 'probe') this.sendAppend(m.from);
      return;
    }
    if (pr.state === 'probe') pr.becomeReplicate();
    // Out of snapshot state once appends can carry on from the follower's match: after it took
    // this snapshot, or an older one the log still reaches back to (as etcd does).
    else if (pr.state === 'snapshot' && (pr.match >= pr.pendingSnapshot!.index || pr.match + 1 >= this.log.firstIndex())) pr.becomeProbe();
    else if (pr.state === 'replicate') pr.freeUpTo(m.index);

    if (this.maybeCommit()) this.broadcastAppend(true);
    else this.sendAppend(m.from);

    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    this.maybePromoteLearner();
  }

  /** Where to retry after a rejection, from the follower's conflict hint (thesis §5.3). */
  private retryHint(rejected: number, conflictTerm: number, conflictIndex: number): number {
    if (conflictTerm > 0) {
      const i = this.lastIndexWithTermAtMost(conflictTerm, Math.min(rejected, this.log.lastIndex()));
      if (i !== undefined && this.log.term(i) === conflictTerm) return i;
    }
    return conflictIndex - 1;
  }

  private handleHeartbeatResponse(m: Extract<Message, { type: 'heartbeatResp' }>): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.lastHeardTick = this.ticksSinceStart;
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflightFull()) pr.freeFirst();
    if (m.round > pr.ackedRound) {
      pr.ackedRound = m.round;
      this.confirmReads();
    }
    if (pr.state === 'snapshot') {
      if (!pr.snapshotChunkInFlight || m.round > pr.snapshotSentRound) this.sendSnapshotChunk(m.from, pr);
    } else if (pr.match < this.log.lastIndex() || pr.state === 'probe') {
      // Forced: if appends in flight were lost, an append from `next` (even an empty one) makes
      // the follower reject, and the leader falls back to probing from its match index.
      this.sendAppend(m.from, true);
    }
  }

  private broadcastHeartbeat(): void {
    const round = this.readOnly.startRound(this.opts.clock());
    for (const [id, pr] of this.progress) {
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, commitTerm: this.log.term(commit) ?? 0, round, epoch: pr.epoch });
    }
    this.confirmReads(); // a sole voter confirms its own rounds
  }

  private sendTimeoutNow(to: NodeId): void {
    this.timeoutNowSent = true;
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  /** Advances the commit index to what a quorum has durably stored, for an entry of this term. */
  private maybeCommit(): boolean {
    const idx = this.durableOnQuorumOf(voterIds(this.membership.current()));
    if (!Number.isFinite(idx) || idx <= this.log.committed) return false;
    // Figure 8: only an entry of the current term is committed by counting replicas.
    if (this.log.term(idx) !== this.term) return false;
    this.log.commitTo(idx);
    this.afterCommit();
    return true;
  }

  private afterCommit(): void {
    if (this.readsAwaitingCommit.length && this.committedInTerm()) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const r of waiting) this.leaderRead(r.context, r.from, r.lease);
    }
    this.tellRemoved();
    // A leader removed from the configuration steps down once the removal is committed.
    const members = this.membership.current();
    if (!isVoter(members, this.id) && this.log.committed >= this.membership.currentIndex()) {
      this.log_(`stepping down: no longer a voter`);
      // Tell the others the commit first (stepping down, it sends nothing more: they learnt of
      // the removal only after an election), and have a caught-up voter campaign at once.
      this.broadcastAppend(true);
      const last = this.log.lastIndex();
      const successor = [...this.progress].find(([id, pr]) => id !== this.id && isVoter(members, id) && pr.match === last);
      if (successor && this.leadTransferee === NONE) this.sendTimeoutNow(successor[0]);
      this.becomeFollower(this.term, NONE);
    }
  }

  private confChangeAllowed(): boolean {
    return this.log.committed >= this.pendingConfIndex && this.committedInTerm();
  }

  /**
   * Promotes a voter-to-be once it has caught up: it holds everything committed (an idle
   * cluster), or it finished a catch-up round within an election timeout (Raft thesis §4.2.1): a
   * round ends when it holds what the leader's log held as the round began; a slower round starts
   * another. Under steady writes a learner a few milliseconds farther away than the voters never
   * held everything committed, and waited for the load to stop (found in review). Lagging by less
   * than a round is safe: a voter may be behind; at worst a commit waits for it briefly.
   */
  private maybePromoteLearner(): void {
    if (this.role !== 'leader' || this.leadTransferee !== NONE || !this.confChangeAllowed()) return;
    for (const m of this.membership.current()) {
      if (m.role !== 'learner' || !m.promote) continue;
      const pr = this.progress.get(m.id);
      if (!pr) continue;
      let caughtUp = pr.match >= this.log.committed;
      if (!caughtUp && pr.catchUp !== undefined && pr.match >= pr.catchUp.target) {
        // In time, and only while the committed entries stay on a majority of the voters with it
        // counted (the other voters hold them): the simulation's commit-durability check found
        // promotions that left them on two of four voters (safe by quorum overlap, but a thinner
        // margin than the cluster had).
        caughtUp = this.ticksSinceStart - pr.catchUp.sinceTick <= this.opts.electionTicks && this.committedStaysOnMajorityWith(m.id);
        pr.catchUp = undefined; // a new round starts below unless it is promoted
      }
      if (caughtUp) {
        this.log_(`promoting learner ${m.id}`);
        this.appendEntry(EntryType.ConfChange, encodeConfChange({ type: 'promote', id: m.id }));
        return;
      }
      pr.catchUp ??= { target: this.log.lastIndex(), sinceTick: this.ticksSinceStart };
    }
  }

  /** Whether everything committed is held by a majority of the voters with `learner` added. */
  private committedStaysOnMajorityWith(learner: NodeId): boolean {
    return this.durableOnQuorumOf([...voterIds(this.membership.current()), learner]) >= this.log.committed;
  }

  /** The highest index durable on a majority of `voters`: this node counts up to its own durable write. */
  private durableOnQuorumOf(voters: readonly NodeId[]): number {
    return committedIndex(voters, (id) => (id === this.id ? this.persistedIndex : this.progress.get(id)?.match ?? 0));
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  private leaderRead(context: string, from: NodeId, lease: boolean): void {
    if (!this.committedInTerm()) {
      // The commit index of a new leader may lag; wait for its first commit (thesis §6.4 step 1).
      this.readsAwaitingCommit.push({ context, from, lease });
      return;
    }
    if (this.soleVoter() || (lease && this.leaseValid())) {
      this.answerRead(context, this.log.committed, from);
      return;
    }
    this.readOnly.add(context, this.log.committed, from);
    if (!this.readOnly.roundInFlight()) this.broadcastHeartbeat();
  }

  private confirmReads(): void {
    const voters = voterIds(this.membership.current());
    let round = committedIndex(voters, (id) => (id === this.id ? Number.POSITIVE_INFINITY : this.progress.get(id)?.ackedRound ?? 0));
    if (!Number.isFinite(round)) round = this.readOnly.currentRound(); // we are the only voter
    for (const r of this.readOnly.confirm(round, this.leaseMs())) this.answerRead(r.context, r.index, r.from);
    // Reads that arrived while the last round was in flight ride on the next one.
    if (this.readOnly.needsRound() && !this.readOnly.roundInFlight()) this.broadcastHeartbeat();
  }

  private answerRead(context: string, index: number, from: NodeId): void {
    if (from === this.id) this.readStates.push({ context, index });
    else this.send({ type: 'readIndexResp', from: this.id, to: from, term: this.term, context, index });
  }

  private dropReads(): void {
    const dropped: Array<Pick<PendingRead, 'context' | 'from'>> = [...this.readOnly.reset(), ...this.readsAwaitingCommit];
    this.readsAwaitingCommit = [];
    for (const r of dropped) {
      if (r.from === this.id) this.droppedReads.push(r.context);
      else this.send({ type: 'readIndexResp', from: this.id, to: r.from, term: this.term, context: r.context, index: -1 });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private soleVoter(): boolean {
    const voters = voterIds(this.membership.current());
    return voters.length === 1 && voters[0] === this.id;
  }

  /** First index of `term` at or before `atOrBefore` (terms never decrease along the log). */
  private firstIndexOfTerm(term: number, atOrBefore: number): number {
    let lo = this.log.firstIndex() - 1;
    let hi = atOrBefore;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const t = this.log.term(mid) ?? 0;
      if (t < term) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(lo, 1);
  }

  /** Last index at or before `atOrBefore` whose term is <= `term`; undefined when none is known. */
  private lastIndexWithTermAtMost(term: number, atOrBefore: number): number | undefined {
    let lo = this.log.firstIndex() - 1;
    let hi = atOrBefore;
    if ((this.log.term(lo) ?? 0) > term) return undefined;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const t = this.log.term(mid) ?? 0;
      if (t <= term) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private send(m: Message): void {
    const early =
      this.role === 'leader' &&
      (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' || m.type === 'timeoutNow' || m.type === 'readIndexResp');
    (early ? this.earlyMsgs : this.msgs).push(m);
  }

  private log_(line: string): void {
    this.opts.logger?.(`[${this.id} t${this.term} ${this.role}] ${line}`);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader && a.term === b.term && a.removedAt === b.removedAt;
}

export type { Membership };

/** Whether an answer carries the epoch of another progress than `pr` (0 or absent: not known, an older sender). */
function isOtherEpoch(epoch: number | undefined, pr: ReplicationProgress): boolean {
  return epoch !== undefined && epoch !== 0 && epoch !== pr.epoch;
}
