/**
 * The JSON document `GET /status` answers with: a contract shared by the HTTP API, the dashboard,
 * the benchmarks and the fault-injection suite.
 * @module
 */

/** A member of the configuration as /status reports it. */
export interface MemberStatus {
  /** Peer address "host:port". */
  address: string;
  /** Its HTTP address "host:port", when it announced one. */
  httpAddress: string | null;
  /** Not voting now: a non-voting member, or a voter-to-be still catching up (`promoting`). */
  nonVoting: boolean;
  /** Added as a voter, not yet promoted (still catching up). Absent otherwise. */
  promoting?: true;
  /** On the leader: the highest log index known replicated there. Absent elsewhere. */
  match?: number;
}

/** `GET /status`. */
export interface NodeStatus {
  /** This node's peer address. */
  address: string;
  /** This node's HTTP address. */
  httpAddress: string;
  /** 'leader' | 'follower' | 'candidate' | 'preCandidate'. */
  state: string;
  term: number;
  /** The leader as known here, or null. */
  leader: { address: string; httpAddress: string | null } | null;
  commitIndex: number;
  appliedIndex: number;
  firstIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  /**
   * Index of a committed configuration that leaves this node out when it knows it was removed
   * from the cluster (it then answers KV requests with 410), else null.
   */
  removedAt: number | null;
  /**
   * The cluster fingerprint (16 hex digits; `raft-node inspect` shows the same): equal on every
   * member of one cluster. Null until known: a joiner learns it from the member it asks to join.
   */
  clusterFingerprint: string | null;
  /**
   * This node's data directory incarnation (16 hex digits, its `INCARNATION` file): the value its
   * peers know it by; a member back on a wiped directory has another, and is refused.
   */
  incarnation: string | null;
  members: MemberStatus[];
  /** Number of keys in the key-value store. */
  keys: number;
  /** Digest of the applied key-value state: equal on members that applied the same log prefix. */
  digest: string;
  /** Cumulative counts of KV requests this node answered with 2xx (for rates: diff two polls). */
  requests: { writes: number; reads: number };
  /** Seconds since the process started. */
  uptimeSeconds: number;
}
