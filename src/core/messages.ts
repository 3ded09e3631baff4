/**
 * Types that cross the boundary of the pure Raft core: log entries, hard state, membership,
 * the messages peers exchange, and the Ready batch the core hands to its driver.
 *
 * Everything here is plain data (numbers, strings, Uint8Array, arrays) so a transport can encode
 * it with MessagePack and a test can compare it structurally.
 */

/** A member's id inside the core. The Node layer derives it from the member's address. */
export type NodeId = number;

/** Id meaning "nobody" (no vote cast, no leader known). */
export const NONE: NodeId = 0;

/** What a log entry carries. Stored as a number in the WAL. */
export const EntryType = {
  /** Application command bytes, applied through the command registry. */
  Normal: 0,
  /** A membership change (see {@link ConfChange}), encoded by the core itself. */
  ConfChange: 1,
  /** The empty entry a new leader appends to commit entries of earlier terms. */
  Noop: 2,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/** One Raft log entry. */
export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

/** State that must be durable before any message that depends on it leaves the node. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** A member of the cluster as recorded in the log. */
export interface Member {
  id: NodeId;
  /** Voters elect leaders and count toward quorums; learners only receive the log. */
  role: 'voter' | 'learner';
  /** A learner that the leader promotes to voter once it has caught up (a joining voter). */
  promote: boolean;
  /** Opaque to the core: the Node layer stores the member's address here. */
  context: string;
}

/** The cluster configuration: members sorted by id. */
export type Membership = readonly Member[];

/** A membership change proposed through {@link Raft.proposeConfChange}. */
export type ConfChange =
  /** Add a voter. It joins as a learner and is promoted once caught up. */
  | { type: 'addVoter'; id: NodeId; context: string }
  /** Add a non-voting member that stays non-voting. */
  | { type: 'addLearner'; id: NodeId; context: string }
  /** Promote a learner to voter (the leader issues this itself for joining voters). */
  | { type: 'promote'; id: NodeId }
  /** Remove a member of either kind. */
  | { type: 'remove'; id: NodeId }
  /**
   * The initial configuration, written as entry 1 of every founding member's log (see
   * bootstrapEntry) so that members joining later learn it by replicating the log.
   */
  | { type: 'bootstrap'; members: Member[] };

/** Metadata of a snapshot: the log prefix it replaces and the configuration at its index. */
export interface SnapshotMeta {
  index: number;
  term: number;
  membership: Membership;
  /** Size in bytes of the snapshot data, so the leader can cut it into chunks. */
  size: number;
}

/**
 * Whether two snapshot announcements name the same file: index, term AND size, since a leader
 * may write a corrupt snapshot again at the same index with another size.
 */
export function sameSnapshot(a: SnapshotMeta, b: SnapshotMeta): boolean {
  return a.index === b.index && a.term === b.term && a.size === b.size;
}

interface MessageBase {
  from: NodeId;
  to: NodeId;
  term: number;
}

/** RequestVote (and PreVote) request. */
export interface VoteRequest extends MessageBase {
  type: 'vote';
  preVote: boolean;
  lastIndex: number;
  lastTerm: number;
  /** Set by a leadership-transfer target: bypasses leader stickiness. */
  transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  type: 'voteResp';
  preVote: boolean;
  reject: boolean;
}

/**
 * Marks an append that only tells an in-sync follower (replicate state) the leader's new commit
 * index. Nobody waits on it, so a driver may hold it briefly to share a write with the next
 * append. A symbol key: never encoded on the wire, local to the leader that made the message.
 */
export const COMMIT_NOTICE: unique symbol = Symbol('commitNotice');

/** AppendEntries. */
export interface AppendRequest extends MessageBase {
  type: 'append';
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
  /**
   * The leader's replication epoch for the receiver: a number the leader gives each progress it
   * keeps, new whenever it makes one (a member added again at the same address gets another).
   * The follower echoes the last one it received in its answers (absent from older senders).
   */
  epoch?: number;
  /** See {@link COMMIT_NOTICE}. */
  [COMMIT_NOTICE]?: true;
}

export interface AppendResponse extends MessageBase {
  type: 'appendResp';
  reject: boolean;
  /**
   * On success: the highest index known to match the leader's log.
   * On reject: the `prevIndex` of the rejected request.
   */
  index: number;
  /** On reject: the follower's term at `prevIndex` (0 when its log is shorter). */
  conflictTerm: number;
  /** On reject: the first index of `conflictTerm` in the follower's log, or its lastIndex + 1. */
  conflictIndex: number;
  /**
   * The epoch of the leader's last append, heartbeat or snapshot chunk this node received (see
   * AppendRequest.epoch): an answer with another one was sent to another of the leader's
   * progresses for this id, an earlier incarnation of this member's, and is ignored.
   */
  epoch?: number;
}

/** Heartbeat: keeps followers from campaigning and confirms leadership for reads and the lease. */
export interface HeartbeatRequest extends MessageBase {
  type: 'heartbeat';
  /** The leader's commit index, capped at the follower's match index. */
  commit: number;
  /**
   * The term of the leader's entry at `commit` (0 or absent: not known, e.g. compacted, or an
   * older sender). The follower acknowledged that entry, so a different term there means it lost it.
   */
  commitTerm?: number;
  /** The heartbeat round; acknowledging round r confirms every round <= r. */
  round: number;
  /** See {@link AppendRequest.epoch}. */
  epoch?: number;
}

export interface HeartbeatResponse extends MessageBase {
  type: 'heartbeatResp';
  round: number;
}

/**
 * One chunk of a snapshot. The core decides offset and length; the driver fills `data` from the
 * snapshot file before sending (the core never touches snapshot bytes on the leader).
 */
export interface SnapshotRequest extends MessageBase {
  type: 'snapshot';
  meta: SnapshotMeta;
  offset: number;
  length: number;
  data: Uint8Array;
  done: boolean;
  /** See {@link AppendRequest.epoch}. */
  epoch?: number;
}

export interface SnapshotResponse extends MessageBase {
  type: 'snapshotResp';
  /** Index of the snapshot being acknowledged. */
  snapshotIndex: number;
  /** The next offset the follower expects (0: start again). */
  nextOffset: number;
  /** See {@link AppendResponse.epoch}. */
  epoch?: number;
}

/** Sent by a leader to its transfer target: campaign now. */
export interface TimeoutNow extends MessageBase {
  type: 'timeoutNow';
}

/** A follower forwards a read to the leader. */
export interface ReadIndexRequest extends MessageBase {
  type: 'readIndex';
  context: string;
  lease: boolean;
}

export interface ReadIndexResponse extends MessageBase {
  type: 'readIndexResp';
  context: string;
  /** The commit index the read must wait for; -1 when the leader refused the read. */
  index: number;
}

/**
 * Answers a vote request from a node missing from the sender's configuration committed at
 * `configIndex`: the candidate was removed. Without it a removed server that never received its
 * removal (the leader stops replicating to it at once) would campaign forever, refused by
 * everyone (thesis §4.2.3), and never know why.
 */
export interface NotMember extends MessageBase {
  type: 'notMember';
  configIndex: number;
  /**
   * The sender's commit index. At or past the receiver's newest configuration, which the sender
   * does not hold, it shows that configuration to be a divergent entry that will never commit.
   */
  commit: number;
  /**
   * The term of the sender's entry at `commit` (0: unknown). A receiver whose entry there has
   * another term holds a divergent log from there on (see Raft.noteNotMember). Absent from
   * members of older versions; optional on the wire.
   */
  commitTerm?: number;
}

/** Every message peers exchange. */
export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | SnapshotResponse
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse
  | NotMember;

export type MessageType = Message['type'];

/** A read that may be served once the local apply index reaches `index`. */
export interface ReadState {
  context: string;
  index: number;
}

/** The role a node plays in its current term. */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the driver reports to users (leader changes, role). */
export interface SoftState {
  role: Role;
  leader: NodeId;
  term: number;
  /** See {@link Raft.removedAt}: the index of a committed configuration that leaves this node out, or 0. */
  removedAt: number;
}

/** A received snapshot chunk the driver must store before sending this Ready's messages. */
export interface SnapshotChunk {
  meta: SnapshotMeta;
  offset: number;
  data: Uint8Array;
  done: boolean;
}

/**
 * Everything the core asks its driver to do, in this order:
 *  1. send `earlyMessages` (leader traffic that does not depend on local durability); a snapshot
 *     chunk, whose bytes the driver reads from the snapshot file, may leave after the later steps,
 *     as long as the messages to the same peer keep their order (they are loss-tolerant traffic);
 *  2. if `snapshot` is set, install it (restore the state machine, reset storage to it); store
 *     `snapshotChunks`; persist `entries` (first truncating storage after entries[0].index-1)
 *     and `hardState` — with one fsync;
 *  3. send `messages`;
 *  4. apply `committed` in order, then serve `readStates` once applied >= their index;
 *  5. call `advance(ready)`;
 *  6. if a chunk in `snapshotChunks` is `done`, check the whole snapshot file and report it with
 *     `snapshotChecked(meta, ok)` (the core takes the snapshot only if it checks out).
 * A snapshot to install was checked in an earlier Ready, so installing it before storing this
 * Ready's chunks (of a later snapshot) keeps its file.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: SnapshotMeta;
  snapshotChunks: SnapshotChunk[];
  earlyMessages: Message[];
  messages: Message[];
  committed: Entry[];
  readStates: ReadState[];
  /** Reads that can no longer be served here (leadership lost, no leader): fail them now. */
  droppedReads: string[];
  /** Log ranges [lo, hi) the core wanted but storage had not in memory: load them, then wake(). */
  fetch: Array<{ lo: number; hi: number }>;
}
