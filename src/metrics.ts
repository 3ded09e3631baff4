/**
 * Prometheus metrics of one Raft node, named after etcd's (`etcd_server_has_leader` becomes
 * `tsraft_server_has_leader`, and so on) so that existing dashboards and alerts translate.
 *
 * Each {@link RaftMetrics} owns its own prom-client `Registry` (never the global default), so several
 * nodes can live in one process — tests, simulations, an in-process cluster — without their series
 * colliding; give each a `defaultLabels: { node: address }` if their output is merged.
 * @module
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';
import type { ReadOutcome } from './read-requests.js';
import { TransportMetrics, type TransportStatsSource } from './transport-metrics.js';

/** Options of {@link RaftMetrics}. */
export interface RaftMetricsOptions {
  /** Labels added to every series, e.g. `{ node: '10.0.0.1:7001' }`. */
  defaultLabels?: Record<string, string>;
  /** Whether to monitor event-loop delay (default true). */
  eventLoopDelay?: boolean;
  /** Sampling interval of the event-loop delay monitor in milliseconds (default 10). */
  eventLoopResolutionMs?: number;
}

/** Cumulative counts of the WAL's entry cache, e.g. `() => wal.stats` (a getter, not a method). */
export type WalCacheSource = () => { hits: number; misses: number };

/**
 * This member's disk use, as the WAL and the snapshot keeper know it (no file system call): a
 * sample of the disk series, read at each scrape. A field left out, or not a size, keeps its
 * gauge's last value.
 */
export interface DiskUsage {
  /** Bytes of the WAL's live segment files (headers and records; a preallocated segment's sparse unwritten tail not counted). */
  walBytes?: number;
  /** Live WAL segment files. */
  walSegments?: number;
  /** Bytes of the latest snapshot file (its transfer size, `SnapshotMeta.size`); 0 while there is none. */
  snapshotBytes?: number;
}

/** Where the disk series come from, called at each scrape; undefined while there is nothing to read (not started). */
export type DiskUsageSource = () => DiskUsage | undefined;

/** Raft's three indices, any of which may be left out to keep its last value. */
export interface RaftIndices {
  /** Current term. */
  term?: number;
  /** Highest log index known to be committed. */
  commit?: number;
  /** Highest log index applied to the state machine. */
  applied?: number;
}

/** One follower's replication as its leader sees it: a sample of the `server_follower_*` series. */
export interface FollowerReplication {
  /** The follower's address (the `to` label, as in the `network_peer_*` series). */
  address: string;
  /** Entries of the leader's log past the follower's match index. */
  lagEntries: number;
  /** Seconds since the leader last heard from the follower. */
  lastContactSeconds: number;
}

/** What the replication series are read from at each scrape. */
export interface ReplicationStats {
  /** Every follower (non-voting members included) while this member leads; empty otherwise. */
  followers: readonly FollowerReplication[];
  /** Snapshot transfers this member began as leader, cumulative. */
  snapshotTransfersStarted: number;
  /** Messages dropped while they waited behind a snapshot chunk's disk read (PeerOutbox), cumulative. */
  droppedBehindChunkRead: number;
}

/** Where the replication series come from, called at each scrape; undefined while there is nothing to read (not started). */
export type ReplicationSource = () => ReplicationStats | undefined;

/** Prefix of every metric name. */
export const METRICS_PREFIX = 'tsraft_';

/**
 * Buckets of the WAL fsync histogram: 0.1 ms doubling to 6.5536 s — etcd's range for
 * `disk_wal_fsync_duration_seconds` plus sub-millisecond buckets: an `O_DSYNC` append on an SSD
 * takes 130–470 µs (docs/performance.md), all of which fell in the first 1 ms bucket.
 */
export const FSYNC_BUCKETS: readonly number[] = exponentialBuckets(0.0001, 2, 17);
/** Buckets of the snapshot save histogram: 1 ms doubling to 8.192 s, as etcd's `snap_save_total_duration_seconds`. */
export const SNAPSHOT_SAVE_BUCKETS: readonly number[] = exponentialBuckets(0.001, 2, 14);
/**
 * Buckets of the proposal duration histogram: 0.1 ms doubling to 6.5536 s. A proposal waits for
 * at least one durable write and, in a cluster, a round trip to a quorum; the top bucket is past
 * the default request timeout's reach of most deployments' p99.
 */
export const PROPOSAL_BUCKETS: readonly number[] = exponentialBuckets(0.0001, 2, 17);
/** Buckets of the apply histogram: 10 µs doubling to 5.24 s (a batch of in-memory updates takes microseconds). */
export const APPLY_BUCKETS: readonly number[] = exponentialBuckets(0.00001, 2, 20);
/** Buckets of the snapshot install histogram: 1 ms doubling to 65.536 s (a large state's recover takes long). */
export const SNAPSHOT_INSTALL_BUCKETS: readonly number[] = exponentialBuckets(0.001, 2, 17);
/** Buckets of the peer round-trip histogram: 0.1 ms doubling to 0.8192 s, as etcd's `network_peer_round_trip_time_seconds`. */
export const PEER_RTT_BUCKETS: readonly number[] = exponentialBuckets(0.0001, 2, 14);

/** The kinds of linearizable read, as values of the `consistency` label of `server_reads_total`. */
export type ReadConsistency = 'index' | 'lease';
/** The `outcome` label of `server_reads_total` for each way a read ends (Prometheus spells labels in snake case). */
const READ_OUTCOME_LABELS: Readonly<Record<ReadOutcome, string>> = { confirmed: 'confirmed', refused: 'refused', timedOut: 'timed_out', stopped: 'stopped' };

/** The statistics of event-loop delay exported, as values of the `stat` label. */
const LOOP_STATS = ['p50', 'p99', 'max'] as const;

/**
 * The metrics of one Raft node. The node layer calls the typed methods as things happen; `text()`
 * renders the Prometheus exposition for an HTTP `/metrics` handler (serve it with `contentType`).
 *
 * Unless disabled, the constructor starts a `perf_hooks.monitorEventLoopDelay` monitor; call
 * {@link RaftMetrics.stop} when the node shuts down.
 *
 * Exported series (all prefixed `tsraft_`):
 * - `server_has_leader`, `server_is_leader` (gauges, 0 or 1), `server_leader_changes_seen_total`
 * - `server_proposals_committed_total`, `server_proposals_applied_total`,
 *   `server_proposals_failed_total` (counters), `server_proposals_pending` (gauge)
 * - `server_proposals_retried_total`, `server_duplicate_commands_skipped_total` (counters)
 * - `server_term`, `server_commit_index`, `server_applied_index` (gauges)
 * - `server_proposal_duration_seconds` (histogram: from propose()/do() on this member to its
 *   command applying here, forwarded to the leader first on a follower; proposals that failed are
 *   not timed) — hashicorp/raft's `raft.commitTime` plus the apply, as the caller waits for them
 * - `server_apply_batch_duration_seconds` (histogram: time to apply one batch of committed entries
 *   to the state machine, per batch, not per entry; its `_sum` rate is the share of time spent
 *   applying) — as hashicorp/raft's `raft.fsm.apply`
 * - on the leader, read from the core at scrape time (see {@link RaftMetrics.setReplicationSource}):
 *   `server_follower_lag_entries{to}` (gauge: entries of the leader's log past the follower's
 *   match index) and `server_follower_last_contact_seconds{to}` (gauge: time since the leader last
 *   heard from the follower, in whole heartbeat intervals) — hashicorp/raft's
 *   `raft.leader.lastContact` per follower; no series on a non-leader
 * - `snapshot_transfers_started_total` (counter, leader: snapshot transfers begun to followers
 *   that needed compacted entries), `snapshot_install_duration_seconds` (histogram, follower: from
 *   taking a snapshot received from the leader to the state recovered from it; its count is the
 *   snapshots installed) — as etcd's `network_snapshot_send_*` / `_receive_*`;
 *   `snapshot_chunk_read_dropped_messages_total` (counter: messages dropped while waiting behind a
 *   snapshot chunk's disk read)
 * - `disk_wal_fsync_duration_seconds`, `snapshot_save_duration_seconds` (histograms)
 * - `snapshot_corrupt_total{side}` (counter: snapshot files found corrupt, stored or received)
 * - `server_reads_total{consistency,outcome}` (counter: how the reads asked of this member ended)
 * - `server_lease_read_fallbacks_total` (counter: lease reads this member, leading, had to confirm
 *   with a heartbeat round because it held no lease)
 * - `wal_cache_hits_total`, `wal_cache_misses_total` (counters read from the WAL at scrape time)
 * - read from the WAL's and the snapshot keeper's own bookkeeping at scrape time, no file system
 *   call (see {@link RaftMetrics.setDiskUsageSource}), to alert on a filling disk:
 *   `wal_size_bytes` (gauge: bytes of the live WAL segment files, the sparse preallocated tail
 *   not counted), `wal_segments` (gauge: live segment files) and `snapshot_bytes` (gauge: the
 *   latest snapshot file's size, 0 for none) — as etcd's `mvcc_db_total_size_in_bytes`
 * - `network_peer_round_trip_time_seconds{to}` (histogram)
 * - from the transport's own counters at scrape time (see {@link RaftMetrics.setTransportSource}):
 *   `network_peer_sent_bytes_total{to}`, `network_peer_received_bytes_total{from}`,
 *   `network_peer_sent_messages_total{to}`, `network_peer_received_messages_total{from}`,
 *   `network_peer_dropped_messages_total{to}`, `network_peer_decode_errors_total{from}`,
 *   `network_peer_reconnects_total{to}` (counters), `network_peer_connected{to}`,
 *   `network_peer_queued_messages{to}`, `network_peer_queued_bytes{to}` (gauges),
 *   `network_rejected_streams_total`, `network_unknown_peer_messages_total`,
 *   `network_undecodable_frames_total` (counters)
 * - `server_event_loop_delay_seconds{stat="p50"|"p99"|"max"}` (gauge; see the method notes)
 */
export class RaftMetrics {
  /** The registry holding this node's metrics; register your own metrics on it if you like. */
  readonly registry: Registry = new Registry();

  readonly #hasLeader: Gauge;
  readonly #isLeader: Gauge;
  readonly #leaderChanges: Counter;
  readonly #committed: Counter;
  readonly #applied: Counter;
  readonly #pending: Gauge;
  readonly #failed: Counter;
  readonly #retried: Counter;
  readonly #duplicates: Counter;
  readonly #term: Gauge;
  readonly #commitIndex: Gauge;
  readonly #appliedIndex: Gauge;
  readonly #fsync: Histogram;
  readonly #snapshotSave: Histogram;
  readonly #snapshotsRefused: Counter<'side'>;
  readonly #peerRtt: Histogram<'to'>;
  readonly #proposalDuration: Histogram;
  readonly #applyDuration: Histogram;
  readonly #snapshotInstall: Histogram;
  readonly #followerLag: Gauge<'to'>;
  readonly #followerLastContact: Gauge<'to'>;
  #replicationSource: ReplicationSource | undefined;
  readonly #loopDelay: Gauge<'stat'>;
  readonly #walHits: Counter;
  readonly #reads: Counter<'consistency' | 'outcome'>;
  readonly #leaseFallbacks: Counter;
  /** Counts behind #reads and #leaseFallbacks, kept as plain numbers: a read costs an increment, not a label lookup. */
  readonly #readCounts: Record<ReadConsistency, Record<ReadOutcome, number>> = {
    index: { confirmed: 0, refused: 0, timedOut: 0, stopped: 0 },
    lease: { confirmed: 0, refused: 0, timedOut: 0, stopped: 0 },
  };
  #leaseFallbackCount = 0;
  readonly #walMisses: Counter;
  #walCacheSource: WalCacheSource | undefined;
  readonly #walBytes: Gauge;
  readonly #walSegments: Gauge;
  readonly #snapshotBytes: Gauge;
  #diskUsageSource: DiskUsageSource | undefined;
  readonly #transport: TransportMetrics;
  #loopMonitor: IntervalHistogram | undefined;
  readonly #loopResolutionNs: number;

  /**
   * Creates the metrics and, unless `eventLoopDelay` is false, starts the event-loop delay monitor.
   * @param options default labels and event-loop monitoring settings
   */
  constructor(options: RaftMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    const name = (suffix: string) => METRICS_PREFIX + suffix;

    this.#hasLeader = new Gauge({ name: name('server_has_leader'), help: 'Whether a leader is known to this member (1) or not (0).', registers });
    this.#isLeader = new Gauge({ name: name('server_is_leader'), help: 'Whether this member is the leader (1) or not (0).', registers });
    this.#leaderChanges = new Counter({
      name: name('server_leader_changes_seen_total'),
      help: 'Number of leader changes seen by this member.',
      registers,
    });
    this.#committed = new Counter({ name: name('server_proposals_committed_total'), help: 'Number of proposals committed.', registers });
    this.#applied = new Counter({ name: name('server_proposals_applied_total'), help: 'Number of proposals applied to the state machine.', registers });
    this.#pending = new Gauge({ name: name('server_proposals_pending'), help: 'Number of proposals waiting to be committed and applied.', registers });
    this.#failed = new Counter({ name: name('server_proposals_failed_total'), help: 'Number of proposals that failed.', registers });
    this.#retried = new Counter({
      name: name('server_proposals_retried_total'),
      help: 'Number of proposals proposed again after a leader failure left their outcome unknown.',
      registers,
    });
    this.#duplicates = new Counter({
      name: name('server_duplicate_commands_skipped_total'),
      help: 'Number of command entries not applied because their proposal had applied already or was given up.',
      registers,
    });
    this.#term = new Gauge({ name: name('server_term'), help: 'Current Raft term of this member.', registers });
    this.#commitIndex = new Gauge({ name: name('server_commit_index'), help: 'Highest log index known to be committed.', registers });
    this.#appliedIndex = new Gauge({ name: name('server_applied_index'), help: 'Highest log index applied to the state machine.', registers });
    this.#fsync = new Histogram({
      name: name('disk_wal_fsync_duration_seconds'),
      help: 'Latency of the write-ahead log\'s durable writes (one O_DSYNC write per update with sync always).',
      buckets: [...FSYNC_BUCKETS],
      registers,
    });
    this.#snapshotSave = new Histogram({
      name: name('snapshot_save_duration_seconds'),
      help: 'Time taken to save a snapshot durably.',
      buckets: [...SNAPSHOT_SAVE_BUCKETS],
      registers,
    });
    this.#snapshotsRefused = new Counter({
      name: name('snapshot_corrupt_total'),
      help: 'Snapshots that failed their check: received from the leader (dropped, sent again), or this member\'s own found corrupt or unreadable while sent to a follower (replaced by a new one).',
      labelNames: ['side'],
      registers,
    });
    // Exported at 0 from the start: a series that first appears at 1 hides the first corrupt
    // snapshot from increase()/rate() alerts.
    for (const side of ['received', 'sent']) this.#snapshotsRefused.inc({ side }, 0);
    this.#peerRtt = new Histogram({
      name: name('network_peer_round_trip_time_seconds'),
      help: 'Round-trip time of messages to each peer.',
      labelNames: ['to'],
      buckets: [...PEER_RTT_BUCKETS],
      registers,
    });
    this.#proposalDuration = new Histogram({
      name: name('server_proposal_duration_seconds'),
      help: 'Time from propose()/do() on this member to its command applying here (forwarded to the leader first on a follower): replication, commit and apply as the caller waits for them. Failed proposals are not timed.',
      buckets: [...PROPOSAL_BUCKETS],
      registers,
    });
    this.#applyDuration = new Histogram({
      name: name('server_apply_batch_duration_seconds'),
      help: 'Time to apply one batch of committed entries to the state machine (per batch, not per entry; the rate of its sum is the share of time spent applying).',
      buckets: [...APPLY_BUCKETS],
      registers,
    });
    this.#snapshotInstall = new Histogram({
      name: name('snapshot_install_duration_seconds'),
      help: 'Time from taking a snapshot received from the leader in place of the log to the state recovered from it (entries wait to apply meanwhile); its count is the snapshots installed.',
      buckets: [...SNAPSHOT_INSTALL_BUCKETS],
      registers,
    });
    this.#followerLag = new Gauge({
      name: name('server_follower_lag_entries'),
      help: 'On the leader: entries of its log past each follower\'s match index (non-voting members included). A follower the leader has not heard from since it took over counts from 0.',
      labelNames: ['to'],
      registers,
      collect: () => this.#collectFollowers(this.#followerLag, (f) => f.lagEntries),
    });
    this.#followerLastContact = new Gauge({
      name: name('server_follower_last_contact_seconds'),
      help: 'On the leader: time since it last heard from each follower, in whole heartbeat intervals (0: within the last one). Counted from the leader\'s takeover, or the member\'s addition.',
      labelNames: ['to'],
      registers,
      collect: () => this.#collectFollowers(this.#followerLastContact, (f) => f.lastContactSeconds),
    });
    this.#replicationCounter(
      name('snapshot_transfers_started_total'),
      'Snapshot transfers this member began as leader, to followers that needed entries compacted away.',
      registers,
      'snapshotTransfersStarted',
    );
    this.#replicationCounter(
      name('snapshot_chunk_read_dropped_messages_total'),
      "Messages to a follower dropped while they waited behind its snapshot chunk's disk read: the oldest past 1,024 (a read that hangs), or taken back when the follower left or the leadership ended. Raft sends again what is still wanted.",
      registers,
      'droppedBehindChunkRead',
    );

    this.#reads = new Counter({
      name: name('server_reads_total'),
      help: 'Linearizable reads asked of this member (readIndex, leaseRead), by consistency and how they ended: confirmed, refused (no leader, leadership changing), timed_out, stopped.',
      labelNames: ['consistency', 'outcome'],
      registers,
      collect: () => this.#collectReads(),
    });
    this.#leaseFallbacks = new Counter({
      name: name('server_lease_read_fallbacks_total'),
      help: 'Lease reads asked of this member while it led without a valid lease (late heartbeat acknowledgements, a leadership transfer, no entry committed in its term yet), confirmed by a heartbeat round as ReadIndex reads are.',
      registers,
      collect: () => {
        this.#leaseFallbacks.reset();
        this.#leaseFallbacks.inc(this.#leaseFallbackCount);
      },
    });
    this.#collectReads();

    // Counters, but their values come from the WAL's own cumulative counts at scrape time.
    this.#walHits = new Counter({
      name: name('wal_cache_hits_total'),
      help: 'Log entries served from the WAL entry cache.',
      registers,
      collect: () => this.#collectWalCache(this.#walHits, 'hits'),
    });
    this.#walMisses = new Counter({
      name: name('wal_cache_misses_total'),
      help: 'Log entries the WAL had to read from disk.',
      registers,
      collect: () => this.#collectWalCache(this.#walMisses, 'misses'),
    });

    // Gauges, but their values come from the WAL's and the snapshot keeper's bookkeeping at scrape time.
    this.#walBytes = new Gauge({
      name: name('wal_size_bytes'),
      help: 'Bytes of the write-ahead log\'s live segment files: headers and records (a preallocated segment\'s sparse unwritten tail is not counted). Compaction behind a snapshot takes it down.',
      registers,
      collect: () => this.#collectDisk(this.#walBytes, 'walBytes'),
    });
    this.#walSegments = new Gauge({
      name: name('wal_segments'),
      help: 'Live segment files of the write-ahead log.',
      registers,
      collect: () => this.#collectDisk(this.#walSegments, 'walSegments'),
    });
    this.#snapshotBytes = new Gauge({
      name: name('snapshot_bytes'),
      help: 'Size of the latest snapshot file (taken here or installed from the leader) in bytes; 0 while there is none. Older ones kept beside it (snapshotsKept) are not counted.',
      registers,
      collect: () => this.#collectDisk(this.#snapshotBytes, 'snapshotBytes'),
    });

    this.#transport = new TransportMetrics(registers, name);

    this.#loopResolutionNs = (options.eventLoopResolutionMs ?? 10) * 1e6;
    this.#loopDelay = new Gauge({
      name: name('server_event_loop_delay_seconds'),
      help:
        'Event-loop delay since the previous scrape beyond the sampling interval: median, 99th percentile and maximum. ' +
        'Heartbeats share the loop with everything else; a high value here delays them.',
      labelNames: ['stat'],
      registers,
      collect: () => this.#collectLoopDelay(),
    });
    for (const stat of LOOP_STATS) this.#loopDelay.set({ stat }, 0);
    if (options.eventLoopDelay !== false) this.startEventLoopMonitor();

    for (const gauge of [this.#hasLeader, this.#isLeader, this.#pending, this.#term, this.#commitIndex, this.#appliedIndex, this.#walBytes, this.#walSegments, this.#snapshotBytes]) gauge.set(0);
  }

  /** The value for the `Content-Type` header of the exposition returned by {@link RaftMetrics.text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Whether the event-loop delay monitor is running (it stops with {@link RaftMetrics.stop}). */
  get monitoring(): boolean {
    return this.#loopMonitor !== undefined;
  }

  /**
   * Records whether a leader is known and whether it is this member.
   * @param hasLeader a leader is known for the current term
   * @param isLeader this member is that leader
   */
  setLeader(hasLeader: boolean, isLeader: boolean): void {
    this.#hasLeader.set(hasLeader ? 1 : 0);
    this.#isLeader.set(isLeader ? 1 : 0);
  }

  /** Counts one leader change seen by this member. */
  leaderChanged(): void {
    this.#leaderChanges.inc();
  }

  /**
   * Counts proposals committed.
   * @param n how many (default 1)
   */
  proposalCommitted(n = 1): void {
    this.#committed.inc(n);
  }

  /**
   * Counts proposals applied to the state machine.
   * @param n how many (default 1)
   */
  proposalApplied(n = 1): void {
    this.#applied.inc(n);
  }

  /**
   * Counts proposals that failed (dropped, timed out, lost leadership, rejected).
   * @param n how many (default 1)
   */
  proposalFailed(n = 1): void {
    this.#failed.inc(n);
  }

  /** Counts proposals proposed again after a leader failure left their outcome unknown. */
  proposalRetried(): void {
    this.#retried.inc();
  }

  /** Counts command entries skipped as duplicates of an applied (or given-up) proposal. */
  duplicateSkipped(): void {
    this.#duplicates.inc();
  }

  /**
   * Sets the number of proposals waiting to be committed and applied.
   * @param n the current number
   */
  setPendingProposals(n: number): void {
    this.#pending.set(n);
  }

  /**
   * Sets the term, commit index and applied index; fields left out keep their values.
   * @param indices the values to set
   */
  setIndices(indices: RaftIndices): void {
    if (indices.term !== undefined) this.#term.set(indices.term);
    if (indices.commit !== undefined) this.#commitIndex.set(indices.commit);
    if (indices.applied !== undefined) this.#appliedIndex.set(indices.applied);
  }

  /**
   * Records the duration of one durable WAL write (the O_DSYNC write of one update).
   * @param seconds how long it took
   */
  observeFsync(seconds: number): void {
    this.#fsync.observe(seconds);
  }

  /**
   * Records the duration of one snapshot save.
   * @param seconds how long it took
   */
  observeSnapshotSave(seconds: number): void {
    this.#snapshotSave.observe(seconds);
  }

  /**
   * Counts a snapshot that failed its check.
   * @param side `received` (from the leader) or `sent` (this member's own, to a follower)
   */
  countCorruptSnapshot(side: 'received' | 'sent'): void {
    this.#snapshotsRefused.inc({ side });
  }

  /**
   * Counts one read asked of this member, by how it ended.
   * @param consistency `index` (readIndex) or `lease` (leaseRead)
   * @param outcome how it ended
   */
  countRead(consistency: ReadConsistency, outcome: ReadOutcome): void {
    this.#readCounts[consistency][outcome]++;
  }

  /** Counts one lease read that this member, leading without a valid lease, confirms with a heartbeat round. */
  countLeaseReadFallback(): void {
    this.#leaseFallbackCount++;
  }

  /**
   * Records one round trip to a peer.
   * @param peer the peer's address or id (the `to` label)
   * @param seconds the round-trip time
   */
  observePeerRtt(peer: string, seconds: number): void {
    this.#peerRtt.observe({ to: peer }, seconds);
  }

  /**
   * Drops the round-trip series of a peer that left the cluster.
   * @param peer the peer's address or id
   */
  forgetPeer(peer: string): void {
    this.#peerRtt.remove({ to: peer });
  }

  /**
   * Records one proposal's duration, from propose() to its command applied here.
   * @param seconds how long it took
   */
  observeProposal(seconds: number): void {
    this.#proposalDuration.observe(seconds);
  }

  /**
   * Records the time one batch of committed entries took to apply.
   * @param seconds how long it took
   */
  observeApplyBatch(seconds: number): void {
    this.#applyDuration.observe(seconds);
  }

  /**
   * Records one installed snapshot: from taking it in place of the log to the state recovered.
   * @param seconds how long it took
   */
  observeSnapshotInstall(seconds: number): void {
    this.#snapshotInstall.observe(seconds);
  }

  /** A counter set at each scrape to the replication source's cumulative `field`; it keeps its last value while the source gives none or garbage. */
  #replicationCounter(counterName: string, help: string, registers: Registry[], field: 'snapshotTransfersStarted' | 'droppedBehindChunkRead'): Counter {
    const counter: Counter = new Counter({
      name: counterName,
      help,
      registers,
      collect: () => {
        const value = this.#replication()?.[field];
        if (value === undefined || !Number.isFinite(value) || value < 0) return;
        counter.reset();
        counter.inc(value);
      },
    });
    return counter;
  }

  /**
   * Sets where the per-follower series and the snapshot transfer counter come from: a function
   * called at each scrape. Its followers replace the previous scrape's (a member that left, or a
   * leadership that ended, takes its series away); while it gives undefined or throws, or is
   * detached (`undefined`), there are no follower series and the counter keeps its last value.
   * @param source the function, or undefined
   */
  setReplicationSource(source: ReplicationSource | undefined): void {
    this.#replicationSource = source;
  }

  /**
   * Sets where the WAL cache counters come from: a function returning the WAL's cumulative hit and
   * miss counts, called at each scrape (e.g. `() => wal.stats`). `undefined` detaches it; the
   * counters then keep their last values. A source that throws (a closed WAL) is treated the same.
   * @param source the function, or undefined
   */
  setWalCacheSource(source: WalCacheSource | undefined): void {
    this.#walCacheSource = source;
  }

  /**
   * Sets where the disk series (`wal_size_bytes`, `wal_segments`, `snapshot_bytes`) come from: a
   * function called at each scrape, which should answer from memory (the WAL's and the snapshot
   * keeper's bookkeeping), never the file system. `undefined` detaches it; the gauges then keep
   * their last values, as they do while it gives undefined or throws, and each gauge whose field
   * is missing or no size (negative, fractional, not finite).
   * @param source the function, or undefined
   */
  setDiskUsageSource(source: DiskUsageSource | undefined): void {
    this.#diskUsageSource = source;
  }

  /**
   * Sets where the transport's series come from: a function returning `Transport.stats()`, called
   * at each scrape. `undefined` detaches it; the series then keep their last values, as they do
   * while the function returns undefined or throws (no transport yet, a closed one).
   * @param source the function, or undefined
   */
  setTransportSource(source: TransportStatsSource | undefined): void {
    this.#transport.setSource(source);
  }

  /**
   * The Prometheus text exposition of every metric. Reading it also resets the event-loop delay
   * window, so the delay statistics cover the time since the previous call.
   */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Starts the event-loop delay monitor if it is not running (again after {@link RaftMetrics.stop}). */
  startEventLoopMonitor(): void {
    if (this.#loopMonitor) return;
    this.#loopMonitor = monitorEventLoopDelay({ resolution: this.#loopResolutionNs / 1e6 });
    this.#loopMonitor.enable();
  }

  /**
   * Stops the event-loop delay monitor (the delay gauges keep their last values). Idempotent; the
   * other metrics keep working.
   */
  stop(): void {
    this.#loopMonitor?.disable();
    this.#loopMonitor = undefined;
  }

  /** Sets a WAL cache counter from the source's cumulative count, if there is a source that answers. */
  #collectWalCache(counter: Counter, which: 'hits' | 'misses'): void {
    let value: number;
    try {
      if (!this.#walCacheSource) return;
      value = this.#walCacheSource()[which];
    } catch {
      return;
    }
    if (!Number.isFinite(value) || value < 0) return;
    counter.reset();
    counter.inc(value);
  }

  /** Sets a disk gauge from the source's field, if there is a source that answers with a size. */
  #collectDisk(gauge: Gauge, field: keyof DiskUsage): void {
    let value: unknown;
    try {
      value = this.#diskUsageSource?.()?.[field];
    } catch {
      return;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return;
    gauge.set(value);
  }

  #replication(): ReplicationStats | undefined {
    try {
      return this.#replicationSource?.();
    } catch {
      return undefined;
    }
  }

  /** Sets a per-follower gauge from the source: one series per follower it names, none but those. */
  #collectFollowers(gauge: Gauge<'to'>, value: (f: FollowerReplication) => number): void {
    gauge.reset();
    for (const f of this.#replication()?.followers ?? []) {
      const v = value(f);
      if (Number.isFinite(v) && v >= 0) gauge.set({ to: f.address }, v);
    }
  }

  /** Sets the read counter from the plain counts; every series is exported, at 0 until its first read. */
  #collectReads(): void {
    this.#reads.reset();
    for (const consistency of ['index', 'lease'] as const) {
      const counts = this.#readCounts[consistency];
      for (const outcome of Object.keys(counts) as ReadOutcome[]) {
        this.#reads.inc({ consistency, outcome: READ_OUTCOME_LABELS[outcome] }, counts[outcome]);
      }
    }
  }

  /**
   * Moves the monitor's window into the gauges. The monitor records the time between its timer's
   * callbacks, which is the sampling interval plus the delay; the interval is taken off. A window
   * without samples leaves the gauges unchanged.
   */
  #collectLoopDelay(): void {
    const monitor = this.#loopMonitor;
    if (!monitor || monitor.count === 0) return;
    const delay = (nanoseconds: number) => Math.max(0, nanoseconds - this.#loopResolutionNs) / 1e9;
    this.#loopDelay.set({ stat: 'p50' }, delay(monitor.percentile(50)));
    this.#loopDelay.set({ stat: 'p99' }, delay(monitor.percentile(99)));
    this.#loopDelay.set({ stat: 'max' }, delay(monitor.max));
    monitor.reset();
  }
}
