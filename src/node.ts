/**
 * The Node: tsraft's public facade in the shape of hslam/raft's Node. It owns the run loop that
 * drives the pure core: ticks on a timer, steps messages from the transport, and drains Ready
 * batches one at a time — while one batch is being made durable, proposals, reads and messages
 * pile up in the core and the next batch carries them all (one fdatasync, one message per peer).
 * @module
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { EntryType, NONE, Raft, RaftInvariantError, decodeConfChange, type ConfChange, type Entry, type Membership, type Message, type NodeId, type Ready, type Role, type SnapshotMeta, type SoftState } from './core/index.js';
import { jsonCodec, type Codec } from './codec.js';
import { CommandRegistry, type Command, type CommandClass } from './command.js';
import { ByteBudget } from './byte-budget.js';
import {
  CommandTooLargeError,
  LeadershipTransferError,
  LostDataError,
  MembershipChangeError,
  NotLeaderError,
  NotStartedError,
  ProposalDroppedError,
  RaftError,
  RemovedError,
  ResultNotKeptError,
  StoppedError,
  TimeoutError,
} from './errors.js';
import { clusterFingerprint, readFingerprint, writeFingerprint } from './cluster-fingerprint.js';
import { claimDataDir } from './member-identity.js';
import { IncarnationGuard } from './incarnation-guard.js';
import { RaftMetrics, type DiskUsage, type FollowerReplication, type ReplicationStats } from './metrics.js';
import { RecentApplied } from './recent-applied.js';
import { ProposerSession } from './proposer-session.js';
import { ReadRequests, type ReadOutcome } from './read-requests.js';
import { CommandApplier, isCommandError } from './command-apply.js';
import { SessionTable } from './sessions.js';
import { checkAddress, formatMembers, memberId, parseMembers, type MemberAddress } from './members.js';
import { LOG_LEVELS, checkBoolean, checkCodec, checkFunction, checkLogLevel, checkString, hasMethods, oneOf, resolveNodeOptions, type LogLevel, type NodeOptions, type ResolvedNodeOptions } from './node-options.js';
import { PeerAddresses } from './peer-addresses.js';
import { PeerOutbox } from './peer-outbox.js';
import { settledWithin } from './settled-within.js';
import { proposalRefusalMessage, refusalError, transferAbandonedMessage, transferRefusalMessage } from './refusals.js';
import type { ForwardOp, ForwardRequest, ForwardResponse, PeerMessage } from './peer-messages.js';
import { CustomSync, DefaultSync, snapshotDir, type SnapshotPolicy, type SyncType } from './snapshot/index.js';
import { SnapshotKeeper, type SnapshotHandler } from './snapshot/keeper.js';
import { WalStorage } from './storage.js';
import { tornTailSuspect, tornTailWarning } from './torn-tail-notice.js';
import { REMOVED_SINCE_ADDITION, additionCommitted, decodeAcceptedAddition, encodeAcceptedAddition, type AcceptedAddition } from './join-evidence.js';
import { aliasHint, describeAlias, findAlias } from './address-aliases.js';
import type { Transport } from './transport/types.js';
import { DirectoryLock, WalCompactedError, WalRangeError } from '../wal/index.js';

export type { LogLevel, NodeOptions } from './node-options.js';

export type { SnapshotHandler } from './snapshot/keeper.js';

/** What `leaderChange` callbacks receive. */
export interface LeaderChange {
  /** The new leader's address, or undefined when none is known. */
  leader: string | undefined;
  term: number;
  /** Whether this node is now the leader. */
  isLeader: boolean;
}

interface PendingProposal {
  term: number;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** Proposed by this node as leader of `term`: fail it at once if that leadership ends. */
  asLeader: boolean;
}

export type { ReadOutcome } from './read-requests.js';

interface PendingForward {
  resolve(r: ForwardResponse): void;
  timer: NodeJS.Timeout;
  /** The node it was sent to: if that node stops being the leader, the answer may never come. */
  target: NodeId;
}

const EMPTY = new Uint8Array(0);
/**
 * The largest encoded command: its entry must fit in one peer message with room to spare (the
 * gRPC transport's frame limit is 64 MiB). A larger one was appended and then could never be
 * sent: every later write waited behind it (found in review).
 */
export const MAX_COMMAND_BYTES = 60 * 1024 * 1024;

function commandTooLarge(bytes: number): CommandTooLargeError {
  return new CommandTooLargeError(`command of ${bytes} bytes encoded, more than the ${MAX_COMMAND_BYTES} bytes an entry may hold (it must fit in one peer message)`);
}
/**
 * Bytes of commands a follower has forwarded to the leader and not had answered, at most (one
 * larger command goes alone): half the transport queue's byte bound, so forwards neither grow a
 * slow link's queue without bound nor crowd Raft's own messages out of it.
 */
const FORWARD_BYTES_IN_FLIGHT = 4 * 1024 * 1024;

export { CommandThrewError } from './command-apply.js';

/** The longest node metadata kept from a peer (setNodeMeta refuses longer for this node's own). */
const MAX_NODE_META_CHARS = 64 * 1024;
const FORWARD_OPS: ReadonlySet<string> = new Set(['propose', 'addVoter', 'addLearner', 'remove', 'transfer']);

/** Applied entries remembered for proposals whose position arrives after they applied. */
const RECENT_APPLIED = 4096;

/** Committed entries the run loop applies in one turn of the event loop at most (the core's maxCommittedEntriesPerReady, 4096, is one Ready's worth). */
const APPLIED_PER_TURN = 4096;

/**
 * A peer outside the configuration (a removed member, a joiner) silent this many election
 * timeouts is forgotten: the transport stops dialing it. Long enough for a removed member's
 * next campaigns to be answered.
 */
const FORGET_OUTSIDERS_AFTER_ELECTION_TIMEOUTS = 10;

/** A leader's replication traffic: meant for one incarnation of a member, from one leadership (see discardReplicationToDeparted). */
function isReplication(m: Message): boolean {
  return m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' || m.type === 'timeoutNow';
}

/** Whether `op` adds a member (checked for another name of a member first). */
function isAddition(op: { op: string }): boolean {
  return op.op === 'addVoter' || op.op === 'addLearner';
}

/** Refusals that promise nothing was appended and that a leader (or a settled one) may lift soon. */
const RETRIED_REFUSALS = new Set(['notLeader', 'transferring', 'leaderNotReady']);

/**
 * The error of a proposal proposed again, whose earlier attempt may still apply: marked outcome
 * unknown. Only errors made for this request reach here (never one shared with other requests).
 */
function markInDoubt(err: unknown): unknown {
  if (err instanceof RaftError && !err.outcomeUnknown && !(err instanceof ResultNotKeptError) && !isCommandError(err)) {
    err.outcomeUnknown = true;
    err.message += '; an earlier attempt of this proposal may still apply (outcome unknown)';
  }
  return err;
}

/**
 * The entry at a proposal's position applied here through a snapshot before this node learnt the
 * position, so whether it was the proposal only a copy can tell: a proposal is proposed again
 * (its session skips the copy if the first applied); any other request fails with this timeout,
 * outcome unknown.
 */
class AppliedUnseenError extends TimeoutError {
  override name = 'TimeoutError';
}

/**
 * A Raft node. Create it, register commands, set the snapshot handler, then `start()`.
 *
 * ```ts
 * const node = await Node.create({ port: 9001, dataDir: 'data/a', context: kv, members: 'localhost:9001;localhost:9002;localhost:9003' });
 * node.registerCommand(SetCommand);
 * await node.start();
 * await node.do(new SetCommand('k', 'v'));
 * ```
 */
export class Node<Context = unknown> {
  /** This node's "host:port". */
  readonly address: string;
  /** The context commands apply to. */
  readonly context: Context;
  private readonly opts: ResolvedNodeOptions<Context>;
  private readonly registry: CommandRegistry<Context>;
  private readonly id: NodeId;
  private readonly founding: MemberAddress[];
  private transport: Transport | undefined;
  private raft: Raft | undefined;
  private storage: WalStorage | undefined;
  private readonly snapshots: SnapshotKeeper;
  private logLevel: LogLevel;
  /** This node's hold on its data directory, from start() to stop(). */
  private dirLock: DirectoryLock | undefined;
  private starting = false;
  private running = false;
  private stopping = false;
  /**
   * stop() was called while the node was not running (before start(), or after a failed one):
   * start() is refused from then on. A stop asked that early (a signal at start-up) was forgotten,
   * and the start that followed ran a node nobody would stop (found in a user trial).
   */
  private stoppedUnstarted = false;
  private ticker: NodeJS.Timeout | undefined;
  private metaTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  /** The local write of the last full Ready, while it is in flight (see pump). */
  private persisting: Promise<void> | undefined;
  private pumpAgain = false;
  private fatal: Error | undefined;
  /** A join request loop runs (requestJoin). */
  private joinAsking = false;
  /** This cluster's fingerprint (cluster-fingerprint.ts), once known. */
  private fingerprint: string | undefined;
  /** The write of a fingerprint learnt while running (learnFingerprint); stop() waits for it. */
  private fingerprintWrite: Promise<void> | undefined;
  /** This data directory's incarnation and its members' (incarnation-guard.ts): one back on a wiped directory is refused. */
  private incarnations: IncarnationGuard | undefined;
  private readonly fatalCallbacks: Array<(err: Error) => void> = [];
  /** The one stop in progress or done: a second stop() waits for it. */
  private stopped: Promise<void> | undefined;
  /** The start in progress or done (stop() during start() waits for it). */
  private started: Promise<void> | undefined;

  private role: Role = 'follower';
  private leaderId: NodeId = NONE;
  private term = 0;
  /** The core's removedAt as of the last Ready (for the log line when it changes). */
  private removedAt = 0;
  private applied = 0;
  private readonly addresses: PeerAddresses;
  /** The configuration `addresses` was last told about. */
  private addressesOf: Membership = [];
  /** The leadership transfer target last seen in the core (see dropTimeoutNowOfEndedTransfer). */
  private transferTargetSeen: NodeId = NONE;
  private readonly nodeMeta = new Map<string, string>();
  /** "address codec" pairs already logged by warnCodecMismatch. */
  private readonly codecMismatchesLogged = new Set<string>();
  private ownMeta = '';
  private readonly leaderCallbacks: Array<(change: LeaderChange) => void> = [];
  /** This node's Prometheus metrics (its own registry); served by `metrics()`. */
  readonly metricsRegistry: RaftMetrics;
  private readonly rttPeers = new Set<string>();

  private readonly proposals = new Map<number, PendingProposal>();
  private readonly recentApplied = new RecentApplied(RECENT_APPLIED);
  /** This node's own proposals' session; sessions of every proposer, as of the applied index. */
  private readonly proposer = new ProposerSession();
  private readonly sessions = new SessionTable();
  /** Runs committed command entries on the context. */
  private readonly commands: CommandApplier<Context>;
  private readonly reads: ReadRequests;
  private readonly outbox: PeerOutbox;
  private readonly forwards = new Map<number, PendingForward>();
  /** Bytes of forwarded commands not yet answered by the leader (see forwardProposal). */
  private readonly forwardBytes = new ByteBudget(FORWARD_BYTES_IN_FLIGHT);
  /** Requests waiting for a leader (see leaderWaitMs): woken on every leader change and at stop. */
  private readonly leaderWaiters = new Set<() => void>();
  /**
   * Forwarded requests and read contexts are numbered from this run's random session, not from 1:
   * an answer the leader made for this node's previous run, arriving after a restart, must not
   * match a request of this one (regression, found in review: a held readIndexResp confirmed a
   * new read at an index fixed before an acknowledged write, and a held forwardResp answered a new
   * proposal with another command's result).
   */
  private nextRequestId = this.proposer.session + 1;

  private constructor(options: NodeOptions<Context>) {
    this.opts = resolveNodeOptions(options);
    this.address = this.opts.address;
    this.id = memberId(this.address);
    this.context = options.context;
    this.registry = new CommandRegistry<Context>(options.codec ?? jsonCodec);
    this.founding = this.opts.founding;
    this.logLevel = this.opts.logLevel;
    this.snapshots = new SnapshotKeeper(
      {
        appliedIndex: () => this.applied,
        snapshotMetaAt: (index) => this.requireRaft().snapshotMetaAt(index, 0),
        installPending: () => this.raft?.log.hasPendingSnapshot() ?? false,
        sessionRecords: () => this.sessions.toRecords(),
        compact: async (meta, keepFrom) => {
          await this.storage!.compact(meta, this.opts.snapshotTrailingEntries, keepFrom);
          this.requireRaft().compacted(meta);
        },
        applyDeferred: (deferred) => this.applyDeferred(deferred),
        wake: () => this.kick(),
        running: () => this.running,
        observeSave: (seconds) => this.metricsRegistry.observeSnapshotSave(seconds),
        snapshotRefused: (side) => this.metricsRegistry.countCorruptSnapshot(side),
        log: (level, line) => this.log(level, line),
      },
      DefaultSync,
      options.snapshotEntryThreshold ?? 0,
      this.opts.requestTimeoutMs,
    );
    this.commands = new CommandApplier(this.registry, this.sessions, this.proposer.session, this.context, { warn: (line) => this.log('warn', line) });
    this.outbox = new PeerOutbox({
      transport: () => this.transport,
      addressOf: (id) => this.addresses.get(id),
      running: () => this.running,
      readChunk: (meta, offset, length) => this.snapshots.readChunk(meta, offset, length),
      snapshotUnavailable: (peer, meta) => {
        this.raft?.snapshotUnavailable(peer, meta);
        this.kick();
      },
      fail: (err) => this.failStorage(err),
    });
    this.reads = new ReadRequests(
      {
        running: () => this.running,
        starting: () => this.starting,
        stopping: () => this.stopping,
        removed: () => this.removedAt > 0,
        raft: () => this.requireRaft(),
        appliedIndex: () => this.applied,
        recoverRunning: () => this.snapshots.recoverRunning,
        wake: () => this.kick(),
        nextLeaderChangeOrTick: () => this.nextLeaderChangeOrTick(),
        leaseFellBack: () => this.metricsRegistry.countLeaseReadFallback(),
      },
      `${this.id}:${this.proposer.session}`,
      this.opts,
    );
    this.addresses = new PeerAddresses(this.id, this.address, FORGET_OUTSIDERS_AFTER_ELECTION_TIMEOUTS * this.opts.electionTimeoutMs);
    for (const m of this.founding) this.addresses.pin(memberId(m.address), m.address);
    this.metricsRegistry = new RaftMetrics({ eventLoopDelay: false, ...(options.metricsLabels ? { defaultLabels: options.metricsLabels } : {}) });
    this.metricsRegistry.setTransportSource(() => this.transport?.stats());
    this.metricsRegistry.setReplicationSource(() => this.replicationStats());
    this.metricsRegistry.setDiskUsageSource(() => this.diskUsage());
  }

  /**
   * Validates the options and creates a node (nothing is opened until `start()`).
   * @throws TypeError naming an unknown option, a value of the wrong kind, or a combination that
   *   cannot work (nonVoting without join, members without this node, ...)
   * @throws RangeError naming a number out of range (NaN included)
   */
  static async create<Context>(options: NodeOptions<Context>): Promise<Node<Context>> {
    return new Node(options);
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration (before start)

  /**
   * Registers a command class (static numeric `type` > 0). Register the same classes on every
   * node, before `start()`.
   * @throws BadTypeIdError when `type` is not an integer from 1 to 2^32-1, or another class has it
   * @throws TypeError when `cls` is not a class with a `do()` method, or `do` is an async function (a command applies synchronously)
   * @throws Error while the node starts or runs: a committed entry of a type not yet registered
   *   would already have stopped it (it cannot skip an entry the others apply)
   */
  registerCommand(cls: CommandClass<Context>): void {
    this.refuseWhileRunning('registerCommand()', 'a committed entry of a class not yet registered stops the node');
    this.registry.register(cls);
  }

  /**
   * Sets the codec for command payloads (JSON, MessagePack, Bytes). Same on every node, before `start()`.
   * @throws Error while the node starts or runs: entries already in the log were written with the old one
   */
  setCodec(codec: Codec): void {
    this.refuseWhileRunning('setCodec()', 'the log holds entries written with the codec it started with');
    checkCodec('setCodec: the codec', codec);
    this.registry.setCodec(codec);
  }

  private refuseWhileRunning(call: string, why: string): void {
    if (this.starting || this.running || this.stopping) throw new Error(`${call} must be called before start() (${why})`);
  }

  /**
   * Sets the snapshot hooks. Without them the node never snapshots and keeps its whole log.
   * @throws TypeError when `save` or `recover` is not a function (or `capture`, when given)
   */
  setSnapshot(handler: SnapshotHandler): void {
    // One without recover took snapshots it could not read back, and every restart failed (found
    // in a user trial).
    hasMethods('setSnapshot(): the handler', handler, ['save', 'recover']);
    if (handler.capture !== undefined) checkFunction('setSnapshot(): capture', handler.capture);
    this.snapshots.setHandler(handler);
  }

  /** When to snapshot (Never, EverySecond, EveryMinute, EveryHour, EveryDay, DefaultSync, CustomSync). */
  setSnapshotPolicy(policy: SnapshotPolicy): void {
    this.snapshots.setPolicy(policy);
  }

  /** CustomSync rules: snapshot when `seconds` passed and at least `changes` entries applied. */
  setSyncTypes(syncTypes: readonly SyncType[]): void {
    this.setSnapshotPolicy(CustomSync(syncTypes));
  }

  /**
   * This node's metadata (e.g. its HTTP address), announced to its peers; '' announces none.
   * @throws RangeError past 65,536 characters (peers would not keep it)
   * @throws TypeError when `meta` is not a string
   */
  setNodeMeta(meta: string): void {
    // Another type was announced, and every peer refused the stream that carried it, again and
    // again (found in a user trial).
    checkString('setNodeMeta(): meta', meta);
    if (meta.length > MAX_NODE_META_CHARS) throw new RangeError(`node metadata of ${meta.length} characters, more than the ${MAX_NODE_META_CHARS} peers keep`);
    this.ownMeta = meta;
    if (meta === '') this.nodeMeta.delete(this.address);
    else this.nodeMeta.set(this.address, meta);
    if (this.running) this.announceMeta();
  }

  /** A member's metadata as it announced it, if known. */
  getNodeMeta(address: string): string | undefined {
    return this.nodeMeta.get(address);
  }

  /** Sets the log level ('debug', 'info', 'warn', 'error', 'silent'); a TypeError for another value. */
  setLogLevel(level: LogLevel): void {
    this.logLevel = checkLogLevel('log level', level);
  }

  /**
   * The Prometheus text exposition of this node's metrics (serve it with content type
   * `node.metricsRegistry.contentType`): leader, proposals and their durations, apply time,
   * indices, WAL fsync, cache and size, snapshot save, size, transfer and install, the leader's lag and last
   * contact per follower, reads, peer round trips and transport counters, event-loop delay. Names
   * follow etcd's, prefixed `tsraft_`.
   */
  metrics(): Promise<string> {
    return this.metricsRegistry.text();
  }

  /** Calls `callback` on every leader change (including "no leader"); a TypeError if it is not a function. */
  leaderChange(callback: (change: LeaderChange) => void): void {
    checkFunction('leaderChange(): the callback', callback);
    this.leaderCallbacks.push(callback);
  }

  /**
   * Calls `callback` once if the node stops on its own because it can no longer keep its
   * promises: its storage failed (a WAL write or fsync, a snapshot it received would not
   * recover), a committed command it cannot decode or has no class for, or it lost data it had
   * acknowledged ({@link LostDataError}). The node is already stopping when it is called; `stop()` resolves once it has
   * stopped. A process hosting one node should exit then so its supervisor restarts it: the
   * restart recovers from what is on disk. Registered after the failure, it is called at once
   * (in a microtask).
   */
  onFatal(callback: (err: Error) => void): void {
    checkFunction('onFatal(): the callback', callback);
    const fatal = this.fatal;
    if (fatal) queueMicrotask(() => callback(fatal));
    else this.fatalCallbacks.push(callback);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Locks the data directory, recovers the last snapshot and the log, starts the transport and
   * the timers. If it fails, what it opened is closed again and the directory released, so it may
   * be called again.
   * @throws DirectoryLockedError when another process, or another Node in this one, uses dataDir
   */
  start(): Promise<void> {
    if (this.stopping || this.stoppedUnstarted) return Promise.reject(new Error('start() after stop(): a Node runs once; create a new Node (and a new transport, if you passed one) over the same dataDir to start again'));
    if (this.starting || this.running) return Promise.reject(new Error('start() called twice'));
    this.started = this.startOnce();
    return this.started;
  }

  private async startOnce(): Promise<void> {
    this.starting = true;
    try {
      await this.refuseAliasedMembers();
      // Before anything in the directory is read or changed: a second process on a live node's
      // directory would cut the WAL back to its own view at stop and delete a snapshot in progress.
      this.dirLock = await DirectoryLock.acquire(this.opts.dataDir, { sync: this.opts.sync === 'always' });
      const stale = this.dirLock.tookOverFrom;
      if (stale) this.log('info', `took over ${this.dirLock.path} from ${stale.pid > 0 ? `pid ${stale.pid}, which no longer runs` : 'an unreadable lock file'}`);
      // Before the log is read: another member's data must not run under this address.
      await claimDataDir(this.opts.dataDir, this.address);
      this.incarnations = await IncarnationGuard.claim({
        dataDir: this.opts.dataDir,
        joining: this.opts.join ?? false,
        electionTimeoutMs: this.opts.electionTimeoutMs,
        log: (level, line) => this.log(level, line),
      });
      await this.recover();
      this.transport = this.opts.transport ?? (await this.createGrpcTransport());
      this.transport.onMessages((from, messages) => this.receive(from, messages as unknown as PeerMessage[]));
      await this.transport.start();
    } catch (err) {
      await this.abandonStart();
      this.starting = false;
      // Reads asked during the start wait for it: they learn here that it failed (NotStartedError).
      this.wakeLeaderWaiters();
      throw err;
    } finally {
      this.starting = false;
    }
    const raft = this.raft!;
    this.updatePeers();
    this.running = true;
    this.ticker = setInterval(() => this.tick(), this.opts.heartbeatMs);
    // Often enough that a removed member still up that missed its notice is heard from (and told)
    // several times per forget window (FORGET_OUTSIDERS_AFTER_ELECTION_TIMEOUTS).
    this.metaTimer = setInterval(() => this.announceMeta(), Math.min(5000, 2 * this.opts.electionTimeoutMs));
    this.metaTimer.unref();
    this.announceMeta();
    this.kick();
    if (this.opts.join) void this.requestJoin();
    const [first, last] = [this.storage!.firstIndex(), this.storage!.lastIndex()];
    // A joiner holds no entry: "log [1, 0]" read like a typo (README walkthrough).
    this.log('info', `started at term ${raft.term}, applied ${this.applied}, ${last < first ? 'log empty' : `log [${first}, ${last}]`}`);
  }

  /**
   * Refuses a member list that names one endpoint twice (see address-aliases.ts): the core would
   * count two members where one process answers to one of the names.
   */
  private async refuseAliasedMembers(): Promise<void> {
    const alias = await findAlias([this.address, ...this.founding.map((m) => m.address)]);
    if (!alias) return;
    const self = alias.address === this.address || alias.sameAs === this.address;
    throw new TypeError(
      `members: ${describeAlias(alias)}; ` +
        (self ? 'give this node the address the other members know it by' : 'list each member once, by one address'),
    );
  }

  /** Recovers the latest snapshot into the context, opens the WAL and builds the core over it. */
  private async recover(): Promise<void> {
    const latest = await this.snapshots.recover(snapshotDir(this.opts.dataDir), this.opts.snapshotsKept);
    if (latest) this.applied = latest.meta.index;
    // The log replays from here: the sessions must be the snapshot's, not a failed start's.
    this.sessions.restore(latest?.sessions ?? []);
    const bootstrap = this.opts.join
      ? []
      : this.founding.map((m) => ({ id: memberId(m.address), role: m.nonVoting ? ('learner' as const) : ('voter' as const), promote: false, context: m.address }));
    this.storage = await WalStorage.open(join(this.opts.dataDir, 'wal'), {
      sync: this.opts.sync,
      ...(this.opts.cacheBytes !== undefined ? { cacheBytes: this.opts.cacheBytes } : {}),
      ...(this.opts.walSegmentBytes !== undefined ? { segmentBytes: this.opts.walSegmentBytes } : {}),
      ...(this.opts.walPreallocate !== undefined ? { preallocate: this.opts.walPreallocate } : {}),
      ...(latest ? { snapshot: latest.meta } : {}),
      bootstrap,
      onFsync: (seconds) => this.metricsRegistry.observeFsync(seconds),
    });
    const wal = this.storage.wal;
    if (wal.recovery.tornTail) this.log('warn', tornTailWarning(wal.recovery.tornTail));
    this.fingerprint = await this.loadFingerprint();
    this.metricsRegistry.setWalCacheSource(() => wal.stats);
    this.metricsRegistry.startEventLoopMonitor();
    const electionTicks = Math.max(2, Math.round(this.opts.electionTimeoutMs / this.opts.heartbeatMs));
    this.raft = new Raft(
      {
        id: this.id,
        electionTicks,
        heartbeatTicks: 1,
        tickMs: this.opts.heartbeatMs,
        ...(this.opts.leaseDriftMargin !== undefined ? { leaseDriftMargin: this.opts.leaseDriftMargin } : {}),
        ...(this.opts.maxInflight !== undefined ? { maxInflightMessages: this.opts.maxInflight } : {}),
        ...(this.opts.maxEntriesPerMessage !== undefined ? { maxEntriesPerMessage: this.opts.maxEntriesPerMessage } : {}),
        ...(this.opts.maxBytesPerMessage !== undefined ? { maxBytesPerMessage: this.opts.maxBytesPerMessage } : {}),
        ...(this.opts.snapshotChunkBytes !== undefined ? { snapshotChunkBytes: this.opts.snapshotChunkBytes } : {}),
        random: Math.random,
        clock: () => performance.now(),
        logger: (line) => this.log('debug', line),
      },
      this.storage,
    );
    this.term = this.raft.term;
    this.learnAddresses();
    this.onSoftState(this.raft.softState());
    if (this.storage.bootstrapped) this.log('info', `founded a new cluster of ${formatMembers(this.founding)}${this.opts.membersGiven ? '' : ' (no members given: this node alone)'}`);
    else this.warnIfMembersIgnored();
  }

  /**
   * Once the log holds a configuration it wins over `members` (as etcd's does over
   * --initial-cluster): a restart never changes the membership. Say so when they differ, or the
   * user believes in replicas that are not there.
   */
  private warnIfMembersIgnored(): void {
    if (!this.opts.membersGiven || this.opts.join) return;
    const persisted = this.members();
    const key = (list: readonly MemberAddress[]): string => formatMembers([...list].sort((a, b) => a.address.localeCompare(b.address)));
    if (key(persisted) === key(this.founding)) return;
    // Not dialed either: pinned at construction, they were dialed for as long as the node ran
    // (found on an operator's run).
    const kept = new Set(persisted.map((m) => m.address));
    for (const m of this.founding) if (!kept.has(m.address)) this.addresses.unpin(memberId(m.address));
    this.log(
      'warn',
      `members "${formatMembers(this.founding)}" ignored: the data directory already holds the cluster's configuration, which wins: "${formatMembers(persisted)}"; ` +
        'change the membership of the running cluster with join()/leave() (raft-node: POST /members, DELETE /members/<address>)',
    );
  }

  /** Undoes what a failed start() opened, so that the directory is free and start() may run again. */
  private async abandonStart(): Promise<void> {
    // Only a transport this node made: the application's own stays usable for another start()
    // (a stopped GrpcTransport refuses to start again; found in review). Its start() is the last
    // step of start(), so a failure left it not started.
    if (!this.opts.transport) await this.transport?.stop().catch(() => undefined);
    this.transport = undefined;
    await this.incarnations?.settled();
    await this.closeStorage().catch(() => undefined);
    this.storage = undefined;
    this.raft = undefined;
    this.snapshots.forget();
    this.applied = 0;
  }

  /** Closes the WAL and releases the data directory (even if closing failed): the end of stop() or of a failed start(). */
  private async closeStorage(): Promise<void> {
    try {
      await this.storage?.close();
    } finally {
      this.metricsRegistry.setWalCacheSource(undefined);
      this.metricsRegistry.stop();
      await this.dirLock?.release();
      this.dirLock = undefined;
    }
  }

  /**
   * Stops timers and the transport, fails what is pending with StoppedError, closes the WAL,
   * releases the data directory. Called again while stopping, it resolves when the first call does.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    if (this.starting) {
      // Asked while start() runs (a signal at start-up): stop once it has settled, rather than
      // resolve at once and let it go on to run and hold the directory (found in review).
      this.stopped = this.started!.then(
        () => this.stopRunning(),
        () => {
          // Nothing to stop, but the stop is kept as one asked before start(): a retried start()
          // ran a node nobody would stop (found in review).
          this.stopped = undefined;
          this.stoppedUnstarted = true;
        },
      );
      return this.stopped;
    }
    if (!this.running) {
      this.stoppedUnstarted = true;
      return Promise.resolve();
    }
    this.stopped = this.stopRunning();
    return this.stopped;
  }

  private async stopRunning(): Promise<void> {
    this.stopping = true;
    this.running = false;
    clearInterval(this.ticker);
    clearInterval(this.metaTimer);
    const stopped = new StoppedError();
    // Proposals already in a log (or handed to the leader, below) may still commit: in doubt. As
    // "certainly not applied" a caller retried them and they applied twice (found in review).
    const inDoubt = new StoppedError('the node stopped before the proposal applied here; it may still commit on the members (outcome unknown)');
    inDoubt.outcomeUnknown = true;
    for (const [index, p] of this.proposals) this.settleProposal(index, p, undefined, inDoubt);
    this.reads.settleAll('stopped');
    // A stopped node leads nothing and follows no one: its registry may still be scraped (several
    // Nodes in a process), and a stopped leader answered isLeader() true, so that a program looking
    // for the leader among its nodes found two (found in review).
    this.metricsRegistry.setLeader(false, false);
    const hadLeader = this.leaderId !== NONE;
    this.role = 'follower';
    this.leaderId = NONE;
    if (hadLeader) this.notifyLeaderChange({ leader: undefined, term: this.term, isLeader: false });
    this.metricsRegistry.setPendingProposals(0);
    this.snapshots.refuseAsked(stopped);
    this.wakeLeaderWaiters();
    for (const [id, f] of this.forwards) {
      clearTimeout(f.timer);
      this.forwards.delete(id);
      f.resolve(this.refusal(id, 'stoppedInDoubt', inDoubt.message));
    }
    try {
      await this.transport?.stop();
      await this.fingerprintWrite;
      await this.quiesce();
      // After the Readys quiesce waits for: one may forget records (a removal appended, a
      // snapshot installed) and start a write, which the released directory must not see land.
      await this.incarnations?.settled();
      await this.snapshots.close();
    } finally {
      await this.closeStorage();
    }
    this.log('info', 'stopped');
  }

  // ---------------------------------------------------------------------------------------------
  // State

  /** 'leader', 'follower', 'candidate' or 'preCandidate'. */
  get state(): Role {
    return this.role;
  }

  /** The leader's address, or undefined when none is known. */
  get leader(): string | undefined {
    return this.leaderId === NONE ? undefined : this.addresses.get(this.leaderId);
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  /**
   * Whether this node knows it was removed from the cluster: a committed configuration leaves it
   * out. A removed node stops campaigning and refuses requests — `do()`, `join()`, `leave()` and
   * `transferLeadership()` with {@link RemovedError} (raft-node: 410), reads by resolving false
   * (`'refused'`) — until a member adds it again. The leader tells a member it removed once the removal
   * commits; one that missed it (down, cut off) learns it when it next campaigns or announces
   * itself (every node does, every two election timeouts, at most 5 s), or at once if it is the
   * leader that removed itself.
   */
  isRemoved(): boolean {
    return this.raft !== undefined && this.raft.removedAt() > 0;
  }

  /**
   * Where the node is in its life: `'new'` (start() not called, or it failed and may be called
   * again), `'starting'` (start() recovers: the context is still being rebuilt, and a local read
   * of it would miss keys it holds), `'running'`, or `'stopped'` (stop() called, or the node
   * stopped itself; see onFatal).
   */
  get lifecycle(): 'new' | 'starting' | 'running' | 'stopped' {
    if (this.running) return 'running';
    if (this.starting) return 'starting';
    return this.stopping || this.stoppedUnstarted ? 'stopped' : 'new';
  }

  /** Whether a leader is known and this node has applied everything it knows to be committed. */
  ready(): boolean {
    return this.running && this.leaderId !== NONE && this.raft !== undefined && this.applied >= this.raft.log.committed;
  }

  /**
   * Current term, the address this node voted for in it (undefined: no vote), commit, applied,
   * first and last log index, snapshot index, the cluster fingerprint (undefined until known:
   * a joiner learns it from the member it asks to join), to compare members by, and the data
   * directory's incarnation (the value its peers know it by; see "A member that lost its data").
   */
  status(): {
    term: number;
    vote: string | undefined;
    commitIndex: number;
    appliedIndex: number;
    firstIndex: number;
    lastIndex: number;
    snapshotIndex: number;
    removedAt: number | undefined;
    clusterFingerprint: string | undefined;
    incarnation: string | undefined;
  } {
    const raft = this.requireRaft();
    const removedAt = raft.removedAt();
    return {
      term: raft.term,
      vote: raft.vote === NONE ? undefined : (this.addresses.get(raft.vote) ?? String(raft.vote)),
      commitIndex: raft.log.committed,
      appliedIndex: this.applied,
      firstIndex: this.storage!.firstIndex(),
      lastIndex: raft.log.lastIndex(),
      snapshotIndex: this.storage!.snapshot().index,
      removedAt: removedAt > 0 ? removedAt : undefined,
      clusterFingerprint: this.fingerprint,
      incarnation: this.incarnations?.incarnation,
    };
  }

  /**
   * The members of the current configuration, each as it votes now: a member added as a voter is
   * `nonVoting` with `promoting: true` until it has caught up and been promoted. On the leader,
   * each with its match index.
   */
  members(): Array<MemberAddress & { promoting?: true; match?: number }> {
    const raft = this.requireRaft();
    return raft.membership.current().map((m) => {
      const out: MemberAddress & { promoting?: true; match?: number } = { address: m.context, nonVoting: m.role === 'learner' };
      if (m.role === 'learner' && m.promote) out.promoting = true;
      if (this.role === 'leader') out.match = m.id === this.id ? raft.log.lastIndex() : (raft.progressOf(m.id)?.match ?? 0);
      return out;
    });
  }

  /**
   * Resolves once this node is a member of a committed configuration: at once for a founding
   * member, and for a node started with `join` once its addition commits. A joining voter then
   * catches up as non-voting and is promoted (`members()` shows it `promoting`). A removed node
   * waits until it is added again. Asked while start() runs, it waits for start() first.
   * @throws NotStartedError when start() was never called or failed (then with start()'s error as
   *   its `cause`); StoppedError if the node stops before it is admitted
   */
  async admitted(): Promise<void> {
    if (this.starting) {
      await this.started!.catch((err: unknown) => {
        throw new NotStartedError(`the node is not started: its start() failed (${(err as Error)?.message ?? String(err)})`, { cause: err });
      });
    }
    this.requireRunning();
    while (!this.isCommittedMember()) {
      await this.nextLeaderChangeOrTick();
      if (!this.running) throw new StoppedError('the node stopped before it was admitted to the cluster');
    }
  }

  /**
   * A member of the configuration committed here, and not since removed (see Raft.removedAt). A
   * joiner asks until then: an addition only appended may be overwritten by the next leader, which
   * never contacts this node (found in review: a joiner that stopped asking once accepted stayed
   * out of the cluster for good).
   */
  private isCommittedMember(): boolean {
    return this.inCommittedConfiguration() && this.requireRaft().removedAt() === 0;
  }

  /** In the configuration at the commit index, as far as this node's log says. */
  private inCommittedConfiguration(): boolean {
    const raft = this.requireRaft();
    return raft.membership.at(raft.log.committed).some((m) => m.id === this.id);
  }

  /** The other members' addresses. */
  peers(): string[] {
    return this.members()
      .map((m) => m.address)
      .filter((a) => a !== this.address);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands and reads

  /**
   * Replicates `command` and resolves with its `do(context)` result once it applied here. On a
   * follower the proposal is forwarded to the leader; one whose log position a new leader
   * overwrote is proposed again within requestTimeoutMs. Rejects with the command's own error when
   * its `do` threw (it applied: the state is as the command left it); NotLeaderError /
   * NoLeaderError when no leader could take it within leaderWaitMs; ProposalDroppedError when it
   * certainly did not commit (see its `outcomeUnknown` for an earlier attempt); TimeoutError
   * (outcome unknown) after requestTimeoutMs; ResultNotKeptError when it applied before a snapshot
   * and its result is gone; RemovedError on a removed node; NotRegisteredError for a class not
   * registered; CommandTooLargeError (a RangeError) when it does not fit in an entry;
   * NotStartedError before start() finished; StoppedError when stopped. Every RaftError says
   * whether the command may still apply in `outcomeUnknown`.
   */
  async do<R = unknown>(command: Command<Context, R>): Promise<R> {
    return (await this.propose(command)).result;
  }

  /**
   * Like {@link Node.do}, but also tells where the command landed: its log index and term.
   * (The HTTP API answers writes with the index.)
   */
  async propose<R = unknown>(command: Command<Context, R>): Promise<{ result: R; index: number; term: number }> {
    this.requireRunning();
    const seq = this.proposer.begin();
    const began = performance.now();
    try {
      // The session header lets the proposal be proposed again after a leader failure and still
      // apply once (see submit).
      const data = this.registry.encode(command, this.proposer.header(seq));
      if (data.byteLength > MAX_COMMAND_BYTES) throw commandTooLarge(data.byteLength);
      const applied = await this.submit({ op: 'propose', data, address: '' });
      this.metricsRegistry.observeProposal((performance.now() - began) / 1000);
      return { result: applied.result as R, index: applied.index, term: applied.term };
    } catch (err) {
      // A command that threw applied all the same (whatever it threw, a RaftError too): it is
      // timed, and only replication failures count as failed.
      if (isCommandError(err)) this.metricsRegistry.observeProposal((performance.now() - began) / 1000);
      else if (err instanceof RaftError) this.metricsRegistry.proposalFailed();
      throw err;
    } finally {
      this.proposer.end(seq);
    }
  }

  /**
   * Resolves true once the local context may be read linearizably (ReadIndex); false if that
   * cannot be confirmed in time. A read asked while start() recovers waits for it, as for a leader.
   * @throws NotStartedError (a rejection) when start() was never called, or failed
   */
  readIndex(): Promise<boolean> {
    return this.confirmRead('index').then((outcome) => outcome === 'confirmed');
  }

  /** Like readIndex, answered at once while the leader holds a lease; falls back to ReadIndex. */
  leaseRead(): Promise<boolean> {
    return this.confirmRead('lease').then((outcome) => outcome === 'confirmed');
  }

  /**
   * Like {@link Node.readIndex} (`'index'`) or {@link Node.leaseRead} (`'lease'`), but tells why a
   * read was not confirmed: refused (no leader known, or leadership changing, for `leaderWaitMs`),
   * timed out, or the node stopped — what an API answers differently (raft-node: 503 against 504).
   * @throws NotStartedError (a rejection) when start() was never called, or failed (a read asked
   *   while start() runs learns it when the start fails)
   * @throws TypeError (a rejection) for a consistency other than 'index' or 'lease'
   */
  confirmRead(consistency: 'index' | 'lease'): Promise<ReadOutcome> {
    // An unchecked value ran as an index read, then threw in the metrics inside the run loop and
    // stopped the node, the read never settling (found in a user trial).
    try {
      oneOf('confirmRead(): consistency', consistency, ['index', 'lease']);
    } catch (err) {
      return Promise.reject(err as TypeError);
    }
    // Never started: nothing will ever confirm it; waiting leaderWaitMs to say false hid the mistake.
    if (this.neverStarted()) return Promise.reject(new NotStartedError());
    return new Promise((resolve, reject) =>
      this.reads.ask(consistency === 'lease', (outcome) => {
        // Asked while start() ran, which then failed: as if never started (and not counted, as a
        // read asked before start() is not).
        if (outcome === 'refused' && this.neverStarted()) return reject(new NotStartedError('the node is not started: its start() failed'));
        this.metricsRegistry.countRead(consistency, outcome);
        resolve(outcome);
      }),
    );
  }

  /** start() was never called, or failed (a stop() after either counts as stopping). */
  private neverStarted(): boolean {
    return !this.starting && !this.running && !this.stopping;
  }

  // ---------------------------------------------------------------------------------------------
  // Membership and leadership

  /**
   * Adds a member (a voter joins as non-voting and is promoted once caught up). Resolves when committed.
   * @throws MembershipChangeError when another change is in flight, or `address` names the same
   * endpoint as a member known by another address ("localhost:9001" beside "127.0.0.1:9001")
   */
  async join(member: { address: string; nonVoting?: boolean }): Promise<void> {
    // Checked first: a string was read as an object without an address ("bad member address
    // undefined"), and nonVoting: 'yes' joined a voter (found in a user trial).
    if (typeof member !== 'object' || member === null) throw new TypeError(`join() takes { address, nonVoting? }, got ${member === null ? 'null' : typeof member}${typeof member === 'string' ? ` (write join({ address: ${JSON.stringify(member)} }))` : ''}`);
    checkString('join(): address', member.address);
    if (member.nonVoting !== undefined) checkBoolean('join(): nonVoting', member.nonVoting);
    this.requireRunning();
    const [m] = parseMembers([{ address: member.address, nonVoting: member.nonVoting === true }]);
    const deadline = performance.now() + this.opts.requestTimeoutMs;
    let earlierInDoubt = false;
    for (;;) {
      try {
        return void (await this.submit({ op: m!.nonVoting ? 'addLearner' : 'addVoter', data: EMPTY, address: m!.address }, deadline));
      } catch (err) {
        // Asked again after the leader changed mid-request, as leave() does: "already a member"
        // then means an earlier attempt added it (a caller retrying by hand got that refusal
        // for a join that worked; found by the node fuzz test). The leader's code says so; this
        // node's own view may lag behind it (a leader of an older version sends no code).
        const present = this.members().some((x) => x.address === m!.address);
        const added = err instanceof MembershipChangeError && (err.problem === 'alreadyMember' || (err.problem === undefined && present));
        if (added && earlierInDoubt) return this.untilCommitted(m!.address, true, deadline);
        if (!(await this.askAgainAfterDoubt(err, deadline))) throw err;
        earlierInDoubt = true;
      }
    }
  }

  /**
   * Whether a membership change that failed with `err` is asked again: its leader changed before
   * answering (outcome unknown) and time is left. Waits a moment first, for the next leader.
   */
  private async askAgainAfterDoubt(err: unknown, deadline: number): Promise<boolean> {
    if (!(err instanceof NotLeaderError && err.outcomeUnknown && performance.now() < deadline)) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Asked again within the first attempt's deadline: join() and leave() end within requestTimeoutMs.
    return performance.now() < deadline;
  }

  /**
   * Resolves once `address` is (`member`) or is not a member of a configuration committed here;
   * TimeoutError at `deadline`.
   */
  private async untilCommitted(address: string, member: boolean, deadline: number): Promise<void> {
    const raft = this.requireRaft();
    while (raft.membership.at(raft.log.committed).some((x) => x.context === address) !== member) {
      this.requireRunning();
      if (performance.now() >= deadline) throw new TimeoutError(`the ${member ? 'addition' : 'removal'} of ${address} did not commit here in time; it may still commit`);
      await this.nextLeaderChangeOrTick();
    }
  }

  /**
   * Removes a member; resolves when committed. A leader removing itself first hands leadership
   * to the most caught-up voter (clients see a transfer, not an election); if that fails it
   * removes itself and steps down once the removal commits. A node removing itself resolves once
   * it knows it was removed.
   */
  async leave(address: string): Promise<void> {
    checkString('leave(): address', address);
    this.requireRunning();
    const [m] = parseMembers([address]);
    const self = m!.address === this.address;
    // Removed already: nothing to ask for, and the README's 410 for it (it answered success).
    if (self && this.isRemoved()) throw new RemovedError(this.status().removedAt ?? 0);
    const handedOver = self && this.isLeader() && (await this.handOverLeadership());
    const deadline = performance.now() + this.opts.requestTimeoutMs;
    let earlierInDoubt = false;
    for (;;) {
      try {
        return void (await this.submit({ op: 'remove', data: EMPTY, address: m!.address }, deadline));
      } catch (err) {
        // Removing itself, a follower never applies its removal (the leader stops replicating to
        // it at once): it learns it from the leader's notice, which is what was asked for.
        if (self && err instanceof RemovedError) return;
        const gone = !this.members().some((x) => x.address === m!.address);
        // Asked again after the leader changed mid-request (a leader asked to remove itself hands
        // leadership over first): "not a member" then means an earlier attempt removed it. The
        // leader's code says so; this node's own view may lag behind it.
        const removed = err instanceof MembershipChangeError && (err.problem === 'notMember' || (err.problem === undefined && gone));
        // (A node removing itself may never commit its removal: the leader stops replicating to it.)
        if (removed && earlierInDoubt) return self ? undefined : this.untilCommitted(m!.address, false, deadline);
        if (err instanceof MembershipChangeError && gone) {
          const refused = new MembershipChangeError(err.message + (await this.aliasHint(m!.address)));
          if (err.problem !== undefined) refused.problem = err.problem;
          throw refused;
        }
        if (await this.askAgainAfterDoubt(err, deadline)) {
          earlierInDoubt = true;
          continue;
        }
        // The new leader takes membership changes once it has committed an entry of its term.
        if (!handedOver || !(err instanceof MembershipChangeError) || performance.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /**
   * For a refusal of a change naming an address that is not a member here: which member it is
   * another name for ("localhost:9002" for "127.0.0.1:9002"), if any. Looked up only once refused.
   */
  private aliasHint(address: string): Promise<string> {
    return aliasHint(address, this.members().map((m) => m.address));
  }

  /**
   * A leader about to remove itself hands leadership to the most caught-up voter first, so that
   * clients see a transfer instead of an election (about an election timeout without a leader).
   * Resolves whether it did; on failure the leader removes itself and steps down as before.
   */
  private async handOverLeadership(): Promise<boolean> {
    const raft = this.requireRaft();
    const match = (id: NodeId): number => raft.progressOf(id)?.match ?? 0;
    // The most caught-up voter among those that answered the last two heartbeats, after three
    // more: in an idle cluster every voter has the same match, and a voter just gone down took
    // the transfer, costing an election timeout with writes refused, then another once the
    // leader gave up (found in review).
    await new Promise((resolve) => setTimeout(resolve, 3 * this.opts.heartbeatMs));
    if (!this.isLeader()) return false;
    const successor = raft.membership
      .current()
      .filter((m) => m.role === 'voter' && m.id !== this.id && raft.heardFromWithin(m.id, 2))
      .sort((a, b) => match(b.id) - match(a.id))[0];
    if (!successor) return false; // the last voter (the core refuses the removal), or none answers
    try {
      await this.transferLeadership(successor.context);
      return true;
    } catch (err) {
      this.log('warn', `could not hand leadership to ${successor.context} before leaving (${(err as Error).message}); leaving as the leader`);
      return false;
    }
  }

  /**
   * Hands leadership to `address`; resolves once this node sees it lead.
   * @throws TypeError if `address` is not "host:port"
   * @throws LeadershipTransferError if it is not a voting member, or it did not take over within an
   * election timeout and the leader gave the transfer up (asked of a follower too: the leader
   * answers the forwarded request then)
   * @throws TimeoutError if this node did not see it lead within requestTimeoutMs
   */
  async transferLeadership(address: string): Promise<void> {
    checkString('transferLeadership(): address', address);
    this.requireRunning();
    checkAddress(address);
    const target = memberId(address);
    if (this.leaderId === target) return;
    const deadline = performance.now() + this.opts.requestTimeoutMs;
    // Set when the request ended for want of a leader, or with its answer lost as leadership
    // moved: the transfer itself may have happened (found in review: with no leader wait, a
    // transfer to this very node, while it campaigned, was answered 503 "not applied").
    let unsure: { error: unknown; until: number } | undefined;
    await this.submit({ op: 'transfer', data: EMPTY, address }).catch(async (err: unknown) => {
      if (err instanceof LeadershipTransferError && !this.members().some((x) => x.address === address && !x.nonVoting)) throw new LeadershipTransferError(err.message + (await this.aliasHint(address)));
      if (err instanceof NotLeaderError || (err instanceof RaftError && err.outcomeUnknown)) {
        unsure = { error: err, until: Math.min(deadline, performance.now() + this.opts.electionTimeoutMs) };
        return;
      }
      throw err;
    });
    for (;;) {
      this.requireRunning();
      if (this.leaderId === target) return;
      // Judged by its outcome: the target leads within an election timeout, or the error stands.
      if (unsure && performance.now() >= unsure.until) throw unsure.error;
      // The leader gives a transfer up after an election timeout (QA: the request waited out the
      // whole request timeout, for a target that was paused).
      if (this.role === 'leader' && this.requireRaft().transferTarget() !== target) {
        throw new LeadershipTransferError(transferAbandonedMessage(address, this.opts.electionTimeoutMs, 'this node'));
      }
      if (performance.now() >= deadline) throw new TimeoutError(`leadership did not move to ${address} within ${this.opts.requestTimeoutMs} ms`);
      await this.nextLeaderChangeOrTick();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Submitting to the leader: one mechanism for commands, membership changes and transfers

  /**
   * Has the leader append `op` (locally, or by forwarding to it) and waits until the entry at the
   * returned (index, term) applies here; resolves with the command's result.
   *
   * A command whose attempt ends in doubt — the leader changed before answering, lost leadership
   * before its entry committed, or its entry was overwritten — is proposed again, within
   * requestTimeoutMs: its session header (sessions.ts) makes every node apply it once however many
   * copies reach the log, and a later copy answers with the first one's outcome.
   */
  private async submit(
    op: ForwardOp,
    // requestTimeoutMs bounds the whole request, waiting for a leader and proposing again included;
    // join() and leave() pass the deadline of their first attempt when they ask again.
    deadline = performance.now() + this.opts.requestTimeoutMs,
  ): Promise<{ result: unknown; index: number; term: number }> {
    let earlierAttemptMayApply = false;
    for (;;) {
      let response: ForwardResponse;
      try {
        // The leader's own proposal is appended synchronously: no extra turn on the hot path.
        const attempt = this.appendAtLeader(op, deadline);
        response = attempt instanceof Promise ? await attempt : attempt;
      } catch (err) {
        throw earlierAttemptMayApply ? markInDoubt(err) : err;
      }
      let inDoubt: boolean;
      let failure: Error;
      if (!response.error) {
        if (op.op === 'transfer') return { result: undefined, index: 0, term: 0 };
        const asLeader = this.role === 'leader' && this.term === response.logTerm;
        try {
          const result = await this.awaitApply(response.index, response.logTerm, asLeader, deadline - performance.now());
          return { result, index: response.index, term: response.logTerm };
        } catch (err) {
          // Overwritten (a definite drop: outcomeUnknown false), proposed by a leader that lost
          // leadership before it committed, or applied here unseen through a snapshot. Other
          // errors are the request's answer as they are (several proposals may share one: stop()
          // rejects them all with one StoppedError).
          const retriable =
            !isCommandError(err) &&
            ((err instanceof ProposalDroppedError && !err.outcomeUnknown) || (err instanceof NotLeaderError && err.outcomeUnknown) || err instanceof AppliedUnseenError);
          if (!retriable) throw err;
          inDoubt = true;
          failure = err;
        }
      } else {
        failure = refusalError(response, this.opts.leaderWaitMs);
        inDoubt = response.error === 'leaderLost';
        if (op.op === 'transfer' && inDoubt) {
          // The leader stepped down before answering: to the target, as asked (the caller then
          // waits to see it lead), or to another member, which is asked in turn.
          if (response.leader === op.address) return { result: undefined, index: 0, term: 0 };
          if (performance.now() < deadline && this.running) continue;
        }
      }
      if (op.op === 'propose' && inDoubt && performance.now() < deadline && this.running) {
        earlierAttemptMayApply = true;
        this.metricsRegistry.proposalRetried();
        continue;
      }
      throw earlierAttemptMayApply ? markInDoubt(failure) : failure;
    }
  }

  /**
   * One attempt to have the leader append `op`: its answer, after waiting for a leader while the
   * refusals are definite (none known, leadership moving, a leader too new for a membership
   * change) for leaderWaitMs from the first of them, within `deadline`.
   */
  private appendAtLeader(op: ForwardOp, deadline: number): ForwardResponse | Promise<ForwardResponse> {
    const first = this.appendOnce(op, deadline);
    if (first instanceof Promise) return first.then((r) => this.waitForLeaderIfRefused(op, deadline, r));
    return RETRIED_REFUSALS.has(first.error) ? this.waitForLeaderIfRefused(op, deadline, first) : first;
  }

  /** Asks again, at each leader change or tick, while the answer is a definite refusal and leaderWaitMs allows. */
  private async waitForLeaderIfRefused(op: ForwardOp, deadline: number, response: ForwardResponse): Promise<ForwardResponse> {
    // leaderWaitMs from the first refusal (a leader may fail mid-request).
    const waitUntil = Math.min(deadline, performance.now() + this.opts.leaderWaitMs);
    // A definite refusal (nothing was appended): the same request is tried again.
    while (RETRIED_REFUSALS.has(response.error) && performance.now() < waitUntil) {
      await this.nextLeaderChangeOrTick();
      response = await this.appendOnce(op, deadline);
    }
    return response;
  }

  /** Appends `op` if this node leads (synchronously, but for an addition's alias check), else forwards it. */
  private appendOnce(op: ForwardOp, deadline: number): ForwardResponse | Promise<ForwardResponse> {
    this.requireRunning();
    const removedAt = this.requireRaft().removedAt();
    if (removedAt > 0) throw new RemovedError(removedAt);
    if (this.role !== 'leader') return op.op === 'propose' ? this.forwardProposal(op, deadline) : this.forwardToLeader(op, this.leaderId, deadline - performance.now());
    return isAddition(op) ? this.proposeAddition(op, this.id, 0) : this.proposeAsLeader(op, this.id, 0);
  }

  /**
   * Forwards a proposal to the leader once its command fits in the budget of forwarded bytes in
   * flight (FORWARD_BYTES_IN_FLIGHT); it waits its turn meanwhile, within the request's deadline.
   */
  private forwardProposal(op: ForwardOp, deadline: number): ForwardResponse | Promise<ForwardResponse> {
    const bytes = op.data.byteLength;
    if (this.forwardBytes.tryTake(bytes)) return this.forwardHolding(op, bytes, deadline);
    return this.forwardBytes.take(bytes, deadline - performance.now()).then((granted) => {
      if (!granted) return this.refusal(0, 'timeout', `not sent within ${this.opts.requestTimeoutMs} ms: the commands forwarded before it filled the link to the leader`);
      if (this.role !== 'leader' && this.running) return this.forwardHolding(op, bytes, deadline);
      this.forwardBytes.release(bytes);
      return this.appendOnce(op, deadline); // this node leads now, or stopped
    });
  }

  private async forwardHolding(op: ForwardOp, bytes: number, deadline: number): Promise<ForwardResponse> {
    try {
      return await this.forwardToLeader(op, this.leaderId, deadline - performance.now());
    } finally {
      this.forwardBytes.release(bytes);
    }
  }

  /**
   * Resolves at the next leader change, the next tick (every heartbeatMs: a leader whose transfer
   * failed keeps leading, a new leader commits its first entry) or stop. One wake-up serves every
   * waiting request, with no timer each.
   */
  private nextLeaderChangeOrTick(): Promise<void> {
    return new Promise((resolve) => this.leaderWaiters.add(resolve));
  }

  private wakeLeaderWaiters(): void {
    if (this.leaderWaiters.size === 0) return;
    const waiters = [...this.leaderWaiters];
    this.leaderWaiters.clear();
    for (const wake of waiters) wake();
  }

  /** The leader's side: append the operation, answer with its log position. */
  private proposeAsLeader(op: ForwardOp, from: NodeId, requestId: number): ForwardResponse {
    const raft = this.requireRaft();
    if (raft.role !== 'leader') {
      // A removed node knows no leader: its asker (a joiner given an outdated member list) is told why.
      const removedAt = raft.removedAt();
      return this.refusal(requestId, 'notLeader', removedAt > 0 ? `${this.address} was removed from the cluster (at index ${removedAt}) and knows no leader: ask a current member` : 'not the leader', from);
    }
    let result;
    if (!FORWARD_OPS.has(op.op)) return this.refusal(requestId, 'badRequest', `unknown forwarded operation ${JSON.stringify(op.op)}`, from);
    const bad = this.badForwardedAddress(op, from, requestId);
    if (bad) return bad;
    if (op.op === 'propose' && op.data.byteLength > MAX_COMMAND_BYTES) return this.refusal(requestId, 'badRequest', commandTooLarge(op.data.byteLength).message, from);
    if (op.op === 'propose') result = raft.propose(op.data);
    else if (op.op === 'transfer') {
      const t = raft.transferLeader(memberId(op.address));
      this.kick();
      if (t.ok) return this.answer(requestId, 0, 0, from);
      return this.refusal(requestId, t.reason === 'notLeader' ? 'notLeader' : 'transferRefused', transferRefusalMessage(t, op.address), from);
    } else {
      const id = memberId(op.address);
      const cc: ConfChange = op.op === 'remove' ? { type: 'remove', id } : { type: op.op, id, context: op.address };
      if (op.op !== 'remove' && this.addresses.expect(id, op.address)) this.updatePeers();
      result = raft.proposeConfChange(cc);
    }
    this.kick();
    if (!result.ok) {
      const leader = result.leader !== NONE ? (this.addresses.get(result.leader) ?? '') : '';
      const problem = result.reason === 'invalidConfChange' ? { problem: result.problem } : {};
      return { ...this.refusal(requestId, result.reason, proposalRefusalMessage(result, op.address), from), leader, ...problem };
    }
    return this.answer(requestId, result.index, result.term, from);
  }

  /**
   * The leader's side of adding a member, whoever asked (join(), POST /members, a node started
   * with --join): another name for a current member is refused (see address-aliases.ts).
   */
  /**
   * A forwarded membership change or transfer naming an address join() and POST /members would
   * refuse: its refusal. Such an address without a port was remembered and then threw in
   * updatePeers, an unhandled rejection that ended the leader's process; one POST /members
   * refuses became a member (found in review).
   */
  private badForwardedAddress(op: ForwardOp, from: NodeId, requestId: number): ForwardResponse | undefined {
    if (op.op === 'propose') return undefined;
    try {
      checkAddress(op.address);
      return undefined;
    } catch (err) {
      return this.refusal(requestId, 'badRequest', (err as Error).message, from);
    }
  }

  private async proposeAddition(op: ForwardOp, from: NodeId, requestId: number): Promise<ForwardResponse> {
    const bad = this.badForwardedAddress(op, from, requestId);
    if (bad) return bad;
    const members = this.members().map((m) => m.address);
    if (!members.includes(op.address)) {
      const alias = await findAlias([op.address], members);
      if (alias) return this.refusal(requestId, 'invalidConfChange', `${describeAlias(alias)}: ${alias.sameAs} is already a member (a member is known by one address)`, from);
      const earlier = decodeAcceptedAddition(op.data);
      if (earlier !== undefined && this.role === 'leader' && additionCommitted(earlier, memberId(op.address), this.requireRaft())) {
        const message = `${op.address} was added at index ${earlier.index} and removed since: it is not added back on its own request (add it again with join() or POST /members)`;
        return { ...this.refusal(requestId, 'invalidConfChange', message, from), problem: REMOVED_SINCE_ADDITION };
      }
      // Stopped meanwhile: nothing was proposed (proposed now, it waited out its timeout).
      if (!this.running) return this.refusal(requestId, 'stopped', new StoppedError().message, from);
    }
    const answer = this.proposeAsLeader(op, from, requestId);
    if (answer.problem !== 'alreadyMember' || from === this.id) return answer;
    // A joiner told it is a member already names, if it asks again, a committed configuration
    // that held it, as one accepted names its addition (join-evidence.ts): else, removed while it
    // caught up, it was added back (found in review).
    const raft = this.requireRaft();
    const index = raft.membership.indexAt(raft.log.committed);
    return { ...answer, index, logTerm: raft.log.term(index) ?? 0 };
  }

  /**
   * The leader's side of a transfer another node asked for: answered once it is decided — the
   * leader stepped down (to the target, as a rule) or gave the transfer up after an election
   * timeout — so the asker learns of an abandoned transfer then, not at its request timeout.
   */
  private async transferForPeer(m: ForwardRequest): Promise<ForwardResponse> {
    const accepted = this.proposeAsLeader(m, m.from, m.requestId);
    const target = memberId(m.address);
    if (accepted.error || target === this.id) return accepted;
    while (this.running && this.role === 'leader' && this.requireRaft().transferTarget() === target) await this.nextLeaderChangeOrTick();
    if (!this.running) return this.refusal(m.requestId, 'stopped', 'the leader stopped during the transfer', m.from);
    if (this.role !== 'leader') {
      // Stepped down, on the target's campaign as a rule: its leadership is known once it won.
      // Answered at once, "no leader known" sent an asker with no leader wait to answer 503 "not
      // applied" for a transfer that had worked (found in review).
      const until = performance.now() + this.opts.electionTimeoutMs;
      while (this.running && this.leaderId === NONE && performance.now() < until) await this.nextLeaderChangeOrTick();
      // To the target as a rule; else the asker asks whoever leads now.
      return this.leaderId === target ? accepted : { ...this.refusal(m.requestId, 'leaderLost', 'the leader stepped down to another member during the transfer', m.from), leader: this.leader ?? '' };
    }
    const now = this.requireRaft().transferTarget();
    if (now !== NONE) return this.refusal(m.requestId, 'transferRefused', `the transfer to ${m.address} was replaced by one to ${this.addresses.get(now) ?? `member ${now}`}`, m.from);
    return this.refusal(m.requestId, 'transferRefused', transferAbandonedMessage(m.address, this.opts.electionTimeoutMs, this.address), m.from);
  }

  /**
   * A member asks this leader to remove itself: it hands leadership over first, as leave() of
   * itself does, and the asker asks the new leader (found in review: proposed here, the removal
   * left the cluster leaderless for an election timeout).
   */
  private async removeSelfForPeer(m: ForwardRequest): Promise<ForwardResponse> {
    if (!(await this.handOverLeadership())) return this.proposeAsLeader(m, m.from, m.requestId);
    return this.refusal(m.requestId, 'notLeader', 'leadership was handed over before this member leaves; ask the new leader', m.from);
  }

  private answer(requestId: number, index: number, logTerm: number, to: NodeId): ForwardResponse {
    return { type: 'forwardResp', from: this.id, to, term: this.term, requestId, index, logTerm, error: '', message: '', leader: '' };
  }

  private refusal(requestId: number, error: string, message: string, to: NodeId = NONE): ForwardResponse {
    return { type: 'forwardResp', from: this.id, to, term: this.term, requestId, index: 0, logTerm: 0, error, message, leader: this.leader ?? '' };
  }

  /** Sends `op` to the leader (or, with none known while joining, to each listed member in turn). */
  private async forwardToLeader(op: ForwardOp, target: NodeId = this.leaderId, timeoutMs = this.opts.requestTimeoutMs): Promise<ForwardResponse> {
    if (target === NONE || !this.addresses.has(target)) return this.refusal(0, 'notLeader', 'no leader is known');
    const requestId = this.nextRequestId++;
    const request: ForwardRequest = { type: 'forward', from: this.id, to: target, term: this.term, requestId, op: op.op, data: op.data, address: op.address };
    return new Promise<ForwardResponse>((resolve) => {
      const timer = setTimeout(() => {
        this.forwards.delete(requestId);
        // A proposal may have waited its turn to be sent (forwardProposal) and kept only the rest
        // of its time: "within 85 ms" alone read as a misconfigured timeout (a user trial).
        const rest = timeoutMs < this.opts.requestTimeoutMs - 1 ? ` (what was left of the request's ${this.opts.requestTimeoutMs} ms when it was sent)` : '';
        resolve(this.refusal(requestId, 'timeout', `the leader did not answer within ${Math.round(timeoutMs)} ms${rest}; outcome unknown`));
      }, Math.max(1, timeoutMs));
      this.forwards.set(requestId, { resolve, timer, target });
      this.outbox.sendNow([request]);
    });
  }

  /** Waits until the entry at (index, term) applies here; rejects if another entry lands there. */
  private awaitApply(index: number, term: number, asLeader: boolean, timeoutMs: number): Promise<unknown> {
    if (!this.running) return Promise.reject(Object.assign(new StoppedError('the node stopped before the entry applied here; it may still commit (outcome unknown)'), { outcomeUnknown: true }));
    const removedAt = this.requireRaft().removedAt();
    if (removedAt > 0 && index > this.applied) return Promise.reject(new RemovedError(removedAt, true));
    const seen = this.recentApplied.get(index);
    if (seen) {
      if (seen.term !== term) return Promise.reject(new ProposalDroppedError(`entry ${index} was replaced by one of term ${seen.term}`));
      return seen.error ? Promise.reject(seen.error) : Promise.resolve(seen.result);
    }
    if (index <= this.applied) return Promise.reject(new AppliedUnseenError(`entry ${index} applied before its position was known (through a snapshot); outcome unknown`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.proposals.get(index);
        if (p) this.settleProposal(index, p, undefined, new TimeoutError(`entry ${index} did not apply within ${this.opts.requestTimeoutMs} ms; it may still apply`));
      }, Math.max(1, timeoutMs));
      const previous = this.proposals.get(index);
      if (previous) this.settleProposal(index, previous, undefined, new ProposalDroppedError(`entry ${index} was replaced`));
      this.proposals.set(index, { term, resolve, reject, timer, asLeader });
    });
  }

  private settleProposal(index: number, p: PendingProposal, result: unknown, error: Error | undefined): void {
    clearTimeout(p.timer);
    this.proposals.delete(index);
    if (error) p.reject(error);
    else p.resolve(result);
  }

  /** A joining node asks the listed members, then the leader they name, until one admits it. */
  private async requestJoin(): Promise<void> {
    this.joinAsking = true;
    try {
      await this.askToJoin();
    } finally {
      this.joinAsking = false;
    }
  }

  /** requestJoin's loop. */
  private async askToJoin(): Promise<void> {
    const op: ForwardOp = { op: this.opts.nonVoting ? 'addLearner' : 'addVoter', data: EMPTY, address: this.address };
    let candidates = this.founding.map((m) => memberId(m.address)).filter((id) => id !== this.id);
    let refusedAs = '';
    // Sent with every request after a member accepted one (see join-evidence.ts).
    let accepted: AcceptedAddition | undefined;
    if (this.inCommittedConfiguration()) {
      // Restarted on its old data: a member as its log says, unless the cluster removed it since
      // (a leader that left handed leadership over first and never received its removal; found
      // in review). It hears from a leader, or is told of its removal when it campaigns.
      while (this.running && this.leaderId === NONE && this.requireRaft().removedAt() === 0) await this.nextLeaderChangeOrTick();
      if (!this.running || this.requireRaft().removedAt() === 0) return;
      this.log('info', 'the cluster removed this node since it last ran; asking to join again');
    }
    // One election timeout or two for an answer: a member that is down was waited on for the
    // whole request timeout before the next one was asked (found in review).
    const attemptMs = Math.min(this.opts.requestTimeoutMs, 2 * this.opts.electionTimeoutMs);
    const lastSaid = new Map<string, number>();
    // Says whom it asks, and who did not answer, once a minute each: it said nothing.
    const say = (key: string, line: string): void => {
      if (performance.now() - (lastSaid.get(key) ?? -Infinity) < 60_000) return;
      lastSaid.set(key, performance.now());
      this.log('info', line);
    };
    for (let attempt = 0; this.running; attempt++) {
      if (this.isCommittedMember()) return;
      const target = this.leaderId !== NONE ? this.leaderId : candidates[attempt % Math.max(1, candidates.length)];
      if (target === undefined) return;
      const name = this.addresses.get(target) ?? `member ${target}`;
      say(`ask ${target}`, `asking ${name} to add this node${this.opts.nonVoting ? ' as a non-voting member' : ''}`);
      const r = await this.forwardToLeader(accepted ? { ...op, data: encodeAcceptedAddition(accepted) } : op, target, attemptMs);
      // Stopped meanwhile: its request was refused as stopped, and "asking again" was not true (a user trial).
      if (!this.running) return;
      if (r.error === 'timeout') say(`timeout ${target}`, `${name} did not answer the join request within ${attemptMs} ms; asking again`);
      // Every member it asks heard from this address on another data directory (a peer that has
      // not received a removal yet refuses it only until it has).
      const refusedByAll = r.error === 'timeout' ? this.incarnations?.refusedByAll(candidates, target) : undefined;
      if (refusedByAll !== undefined && (await this.stoppedForLostData(`every member it asked refuses its streams; ${name}: ${refusedByAll}`))) return;
      if (!r.error) {
        this.log('info', `join accepted at index ${r.index}`);
        accepted = { index: r.index, term: r.logTerm };
        if (await this.awaitAdmission(r.index, `the addition at index ${r.index}`)) return;
        continue;
      }
      if (r.error === 'invalidConfChange' && r.problem === REMOVED_SINCE_ADDITION) {
        this.log('warn', `${r.message}; not asking to join again`);
        return;
      }
      if (r.error === 'invalidConfChange' && r.problem === 'alreadyMember' && !(await this.stoppedForLostData(r.message))) {
        // Its addition committed before: answered to an earlier request (lost, or before a restart
        // mid-catch-up). The advice in the refusal ("remove it and add it again") is not for a
        // joiner, and warning of it on every slow catch-up alarmed operators (a user trial).
        this.log('info', 'the cluster counts this node as a member already (its addition committed before); catching up');
        // The committed configuration that holds it (an older leader names none).
        if (r.index > 0 && r.logTerm > 0) accepted = { index: r.index, term: r.logTerm };
        if (await this.awaitAdmission(Math.max(r.index, this.requireRaft().removedAt()), 'its addition')) return;
        continue;
      }
      if (r.error === 'invalidConfChange') {
        if (r.message !== refusedAs) {
          refusedAs = r.message;
          this.log('warn', `join refused: ${r.message}; asking again`);
        }
        if (await this.stoppedForLostData(r.message)) return;
      }
      // Said once a minute: a joiner asking only removed members (an outdated list) said only whom it asked.
      // Keyed by the refusal's code, not its text: a peer's ever-new text grew the map (growth audit).
      if (r.error !== 'timeout' && r.error !== 'invalidConfChange' && !r.leader) say(`refused ${target} ${r.error}`, `${name} did not add this node (${r.message}); asking again`);
      if (r.error === 'notLeader' && r.leader) {
        const id = memberId(r.leader);
        this.addresses.pin(id, r.leader);
        candidates = [id, ...candidates.filter((c) => c !== id)];
        this.updatePeers();
      }
      await new Promise((resolve) => setTimeout(resolve, 200).unref());
    }
  }

  /**
   * A joiner whose addition a member accepted (at index `since`), or refused as already made,
   * waits while it catches up: while a leader sends it entries or a snapshot it is admitted, only
   * slowly (a catch-up longer than the request timeout was taken for a lost addition, which it
   * asked for again, with two warnings; a user trial). Returns true when the waiting is over for
   * good: it sees itself in its committed configuration, or it stopped. False when it should ask
   * again: told that a configuration after `since` leaves it out, or nothing came from a leader
   * for the request timeout. Removed by an operator or overwritten by the next leader, its
   * addition looks the same from here; the request it sends again names the addition, and the
   * leader refuses it in the first case (join-evidence.ts).
   */
  private async awaitAdmission(since: number, what: string): Promise<boolean> {
    const raft = this.requireRaft();
    // A snapshot's chunks move none of the indexes: its bytes count (a review found a transfer
    // longer than the request timeout taken for no progress).
    const progress = (): string => `${raft.log.lastIndex()} ${raft.log.committed} ${this.snapshots.receivedBytes} ${this.storage!.snapshot().index}`;
    let seen = progress();
    let until = performance.now() + this.opts.requestTimeoutMs;
    for (;;) {
      if (!this.running || this.isCommittedMember()) return true;
      const removedAt = raft.removedAt();
      if (removedAt > since) {
        this.log('info', `told that the configuration at index ${removedAt} leaves this node out while it caught up after ${what}: asking the leader whether that addition committed`);
        return false;
      }
      const now = progress();
      if (now !== seen) {
        seen = now;
        until = performance.now() + this.opts.requestTimeoutMs;
      }
      if (performance.now() >= until) break;
      await this.nextLeaderChangeOrTick();
    }
    this.log('warn', `${what} has not reached this node: nothing from a leader for ${this.opts.requestTimeoutMs} ms; asking again`);
    return false;
  }

  /**
   * A joiner refused (already a member, under this or another name) that holds no log at all.
   * Either its addition committed and the answer was lost, and the log arrives within a few round
   * trips; or its data was lost (wiped, moved) while the cluster still counts it as a member that
   * acknowledged entries: the leader, believing it holds them, never sends them, and as a voter it
   * would grant votes it forgot (found in review: such a node sat for good as a voter that never
   * caught up). In the second case the node stops, saying how to bring it back.
   * @returns whether it stopped
   */
  private async stoppedForLostData(refusal: string): Promise<boolean> {
    const raft = this.requireRaft();
    const holdsNothing = (): boolean => raft.log.lastIndex() === 0 && this.storage!.snapshot().index === 0;
    let until = performance.now() + 3 * this.opts.electionTimeoutMs;
    while (this.running && holdsNothing() && !this.isCommittedMember()) {
      // A snapshot on its way is the log arriving, however long the transfer takes.
      if (raft.receivingSnapshot()) until = performance.now() + 3 * this.opts.electionTimeoutMs;
      if (performance.now() >= until) break;
      await this.nextLeaderChangeOrTick();
    }
    if (!this.running || !holdsNothing() || this.isCommittedMember()) return false;
    this.failStorage(new LostDataError(`the cluster refused to add this node (${refusal}), and its data directory holds no log: it was a member whose data was lost or moved. ${this.lostDataRemedy()}`));
    return true;
  }

  /**
   * Stops the node when the leader's heartbeat showed it lost entries it had acknowledged
   * (Raft.lostLog): a founding member restarted on a wiped or replaced data directory founds
   * again, and otherwise sat as a voter that had forgotten its acknowledgements and votes and never
   * caught up (the leader, counting the entries as held, takes the follower's rejections for stale
   * ones). The same with `sync: 'none'`, where a machine's crash loses acknowledged writes.
   * @returns whether it stopped
   */
  private stoppedForLostLog(raft: Raft): boolean {
    const lost = raft.lostLog();
    if (!lost) return false;
    const leader = this.addresses.get(lost.leader) ?? `member ${lost.leader}`;
    const torn = this.storage!.wal.recovery.tornTail;
    const cause =
      (this.opts.sync === 'always' ? 'wiped, replaced or restored from an older copy' : "wiped, replaced or restored from an older copy, or writes sync 'none' had not made durable were lost in a crash") +
      (torn ? `; ${tornTailSuspect(torn)}` : '');
    this.failStorage(
      new LostDataError(
        `the leader ${leader} (term ${lost.term}) counts entries up to index ${lost.commit} as acknowledged by this node, ` +
          (lost.termsAtCommit
            ? `whose log holds an entry of term ${lost.termsAtCommit[1]} at that index where the acknowledged one is of term ${lost.termsAtCommit[0]}: `
            : `whose log ends at index ${lost.lastIndex}: `) +
          `its data directory lost what it acknowledged (${cause}). ${this.lostDataRemedy()}`,
      ),
    );
    return true;
  }

  /** A member refused this node's streams for its data directory incarnation (IncarnationGuard.refused). */
  private refusedAsWiped(peer: string, reason: string): void {
    if (!this.running || !this.incarnations) return;
    const raft = this.requireRaft();
    const holdsMore = raft.log.lastIndex() > 1 || this.storage!.snapshot().index > 0;
    const stopFor = this.incarnations.refused(peer, reason, holdsMore);
    if (stopFor !== undefined) this.failStorage(new LostDataError(stopFor));
  }

  private lostDataRemedy(): string {
    const emptyDirectory = 'start it again with join and an empty data directory (move this one away: a directory that holds any log, even only the founding entry of a failed start, is taken for this member\'s old self)';
    if (this.removedAt > 0) return `A member that forgot what it acknowledged or voted must not go on as itself. It was removed from the cluster already (at index ${this.removedAt}): ${emptyDirectory}`;
    // This node may not know of a removal done since (found on an operator's run: the advice looped).
    return `A member that forgot what it acknowledged or voted must not go on as itself: remove it on a member (raft-node: DELETE /members/${this.address}; the library: leave()) unless that was done already, then ${emptyDirectory}`;
  }

  // ---------------------------------------------------------------------------------------------
  // The run loop

  private tick(): void {
    if (!this.running) return;
    this.raft!.tick();
    this.dropTimeoutNowOfEndedTransfer();
    this.forgetSilentOutsiders();
    // A snapshot due (or due again after a failure) on an idle node: the run loop takes it.
    this.snapshots.tick();
    this.kick();
    this.wakeLeaderWaiters();
  }

  private receive(fromAddress: string, messages: PeerMessage[]): void {
    if (!this.running) return;
    const raft = this.requireRaft();
    for (const m of messages) {
      if (m.to !== this.id) continue;
      if (this.addresses.heardFrom(m.from, fromAddress)) this.updatePeers();
      switch (m.type) {
        case 'forward': {
          const answered = (r: ForwardResponse): void => this.outbox.sendNow([r]);
          const failed = (err: Error): void => this.log('error', `forwarded ${m.op} from ${fromAddress} failed: ${err.message}`);
          if (isAddition(m)) this.proposeAddition(m, m.from, m.requestId).then(answered, failed);
          else if (m.op === 'transfer') this.transferForPeer(m).then(answered, failed);
          else if (m.op === 'remove' && m.address === this.address && this.role === 'leader') this.removeSelfForPeer(m).then(answered, failed);
          else this.outbox.sendNow([this.proposeAsLeader(m, m.from, m.requestId)]);
          break;
        }
        case 'forwardResp': {
          const f = this.forwards.get(m.requestId);
          if (f && f.target === m.from) {
            clearTimeout(f.timer);
            this.forwards.delete(m.requestId);
            f.resolve(m);
          }
          break;
        }
        case 'nodeMeta':
          // Kept only for the address a known peer id has, and bounded: metadata sent under a
          // member's id from ever new hello addresses was kept for good (found in review).
          if (m.meta === '' || this.addresses.get(m.from) !== fromAddress) this.nodeMeta.delete(fromAddress);
          else if (m.meta.length <= MAX_NODE_META_CHARS) this.nodeMeta.set(fromAddress, m.meta);
          if (m.codec !== undefined && m.codec !== this.registry.codecName) this.warnCodecMismatch(fromAddress, m.codec);
          // A removed member still running announces itself too: tell it (see removedAt). Not
          // from a removed node: its configuration is old, and its notices to members added since,
          // taken for signs of life, kept it their peer for good (a user trial).
          if (!this.isRemoved()) raft.tellIfNotMember(m.from);
          break;
        default:
          try {
            raft.step(m as Message);
          } catch (err) {
            this.failStorage(this.stepFailure(err as Error, m as Message, fromAddress));
            return;
          }
      }
    }
    this.kick();
  }

  /**
   * The error to stop with when handling a peer's message threw: a broken invariant of the core
   * (RaftInvariantError) or a bug. Before, the transport logged the throw and the node went on,
   * having taken in part of the message (a sender's term and leader, say).
   */
  private stepFailure(err: Error, m: Message, fromAddress: string): Error {
    const what = err instanceof RaftInvariantError ? 'broke an invariant of the core' : 'threw';
    return new Error(`handling a ${m.type} from ${fromAddress} (term ${m.term}) ${what}: ${err.message}; this node stops rather than go on in a state it cannot vouch for`, { cause: err });
  }

  /** Drains Ready batches, one at a time, until the core has nothing more. */
  private kick(): void {
    if (!this.running || this.fatal) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (!this.raft!.hasReady() && !this.reads.hasGathering && !this.snapshots.hasWork) return;
    this.pumping = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.pump());
  }

  /**
   * Drains Ready batches until the core has nothing more. At most one full Ready's local write is
   * in flight (`persisting`): while it is on disk, new proposals, acks and messages accumulate for
   * the next full Ready (one write, one sync per batch), and light Readys keep applying committed
   * entries, answering reads and sending the leader's appends — so a commit by a quorum of
   * followers is not held back by the leader's own sync.
   */
  private async pump(): Promise<void> {
    // Entries applied in this turn of the event loop: the awaits below settle as microtasks, so
    // without a bound a replay of many Readys ran in one turn (found in review of the core's
    // per-Ready cap); past it the pump goes on at the next turn.
    let appliedThisTurn = 0;
    try {
      for (;;) {
        this.pumpAgain = false;
        if (!this.running) break;
        if (appliedThisTurn >= APPLIED_PER_TURN) {
          this.pumpAgain = true;
          break;
        }
        const raft = this.raft!;
        // Before any of this node's messages leave: none may, from a member that lost its log.
        if (this.stoppedForLostLog(raft)) break;
        this.reads.submit(raft);
        if (this.persisting) {
          if (!raft.hasLightReady()) break; // the write's completion kicks again
          const light = raft.readyLight();
          appliedThisTurn += light.committed.length;
          await this.handleLightReady(light);
          continue;
        }
        // Compaction to a save that finished first: a checked snapshot from the leader waits for it.
        await this.snapshots.maybeTake();
        const check = this.snapshots.takeCheck();
        if (check) await this.reportCheck(check);
        if (!raft.hasReady()) break;
        const rd = raft.ready();
        appliedThisTurn += rd.committed.length;
        await this.handleReady(rd);
      }
    } catch (err) {
      this.failStorage(err as Error);
    } finally {
      this.pumping = undefined;
    }
    if (this.pumpAgain) this.kick();
  }

  /**
   * Stops the node for good on an error it cannot recover from (its storage failed, its data was
   * lost): it cannot keep its promises, so it stops serving rather than lie. Logs the error as
   * fatal and tells the onFatal callbacks.
   */
  private failStorage(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    // Ours explain themselves (LostDataError names the fix); a stack after that read as a crash
    // (a user trial). Anything else may be a bug: its stack helps.
    this.log('error', `fatal: ${err instanceof RaftError ? `${err.name}: ${err.message}` : (err.stack ?? err)}`);
    void this.stop();
    for (const callback of this.fatalCallbacks.splice(0)) {
      try {
        callback(err);
      } catch (thrown) {
        this.log('error', `onFatal callback threw: ${(thrown as Error).stack ?? String(thrown)}`);
      }
    }
  }

  /**
   * Waits until no Ready is being handled, no local write is in flight and no snapshot is being
   * written (stop() closes the WAL after it, and the context must not change after stop()).
   */
  private async quiesce(): Promise<void> {
    for (;;) {
      const busy = this.pumping ?? this.persisting ?? this.snapshots.busy;
      if (busy) {
        await busy;
        continue;
      }
      const chunkReads = this.outbox.drained();
      if (!chunkReads) return;
      // A snapshot chunk's disk read that hangs (a failing disk) held stop() for good; what it
      // reads is sent to no one once the node stops, so it is waited for a while only.
      if (!(await settledWithin(chunkReads, this.opts.requestTimeoutMs))) {
        this.log('warn', `a snapshot chunk read for a lagging follower has not returned within ${this.opts.requestTimeoutMs} ms; stopping without it`);
        return;
      }
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    const storage = this.storage!;
    if (rd.softState) this.onSoftState(rd.softState);
    if (rd.snapshotChunks.length > 0 || rd.snapshot || (rd.entries.length === 0 && !rd.hardState)) {
      // Snapshot work, or nothing to write: handled in line, as one step.
      this.outbox.send(rd.earlyMessages);
      if (rd.earlyMessages.length > 0) this.transport?.flush?.();
      const whole = await this.receiveSnapshot(rd);
      await storage.persist(rd.entries, rd.hardState);
      this.afterPersist(rd);
      this.finishReady(rd, true);
      if (whole) this.snapshots.checkInBackground(whole, (err) => this.failStorage(err));
      return;
    }
    // The local write starts first and the leader's appends go out while it is on disk: they need
    // no local durability (thesis §10.2.1). Started after the sends, the leader's write began
    // ~160 µs into a one-connection write and, finishing after the first follower's ack in a third
    // of writes, held the commit back. Measured with bench:ab against that order: one connection
    // +3 % (p50 850 -> 806 µs, 15 of 16 windows faster), 4 connections +3 %, 256 connections +4 %.
    const written = storage.persist(rd.entries, rd.hardState);
    written.catch(() => {}); // handled below, once persisting is chained on it
    this.outbox.send(rd.earlyMessages);
    if (rd.earlyMessages.length > 0) this.transport?.flush?.();
    // Committed entries are durable on a quorum: apply them while this node's own write is in
    // flight. Everything that promises local durability (acks, votes) waits in afterPersist,
    // which runs after finishReady below even if the write is already done.
    this.persisting = written.then(
      () => {
        this.persisting = undefined;
        if (!this.running) return;
        this.afterPersist(rd);
        this.requireRaft().advance(rd);
        this.reads.serve();
        this.kick();
      },
      (err: Error) => {
        this.persisting = undefined;
        this.failStorage(err);
      },
    )
      // A throw after the write (a broken invariant in advance, say) stops the node like a
      // failed write, instead of an unhandled rejection while it goes on.
      .catch((err: Error) => this.failStorage(err));
    this.finishReady(rd, false);
  }

  /** A Ready's write is durable: what it promised may leave now. */
  private afterPersist(rd: Ready): void {
    if (rd.messages.length === 0) return;
    // Acks promise durable state: flushed out now, not a turn of the event loop later.
    this.outbox.send(rd.messages);
    this.transport?.flush?.();
  }

  /** Work that needs no local write: the leader's traffic, applying, reads. */
  private async handleLightReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState);
    this.outbox.send(rd.earlyMessages);
    if (rd.earlyMessages.length > 0) this.transport?.flush?.();
    this.finishReady(rd, true);
  }

  /** Applies a Ready's committed entries, settles its reads and fetches; advances it if `advance`. */
  private finishReady(rd: Ready, advance: boolean): void {
    const raft = this.requireRaft();
    const storage = this.storage!;
    if (raft.membership.current() !== this.addressesOf) this.learnAddresses();
    this.dropTimeoutNowOfEndedTransfer();
    this.apply(rd.committed);
    this.reads.record(rd.readStates, rd.droppedReads);
    if (advance) raft.advance(rd);
    this.reads.serve();
    this.updateMetrics(rd.committed);
    for (const range of rd.fetch) {
      void storage.load(range.lo, range.hi).then(
        () => {
          if (!this.running) return;
          raft.wake();
          this.kick();
        },
        (err: Error) => {
          if (!this.running) return;
          // Compacted or truncated meanwhile (a snapshot installed, a suffix overwritten): the
          // core asks again for what it still needs. It waited for this answer: without a wake
          // it never applied again (found in review).
          if (err instanceof WalCompactedError || err instanceof WalRangeError) {
            setTimeout(() => {
              if (!this.running) return;
              raft.wake();
              this.kick();
            }, 10);
            return;
          }
          // Any other read failure: the disk cannot be trusted with the log, as for a failed write.
          this.failStorage(new Error(`loading entries [${range.lo}, ${range.hi}) from the WAL failed: ${err.message}`));
        },
      );
    }
  }

  /**
   * Reports a received snapshot's check (SnapshotKeeper.checkInBackground) to the core, which takes
   * the snapshot only if it checked out.
   */
  private async reportCheck(check: { meta: SnapshotMeta; ok: boolean }): Promise<void> {
    const raft = this.requireRaft();
    raft.snapshotChecked(check.meta, check.ok);
    // Taken without replacing the log (it already held the snapshot's last entry), or dropped
    // (the node campaigns, or a newer snapshot is on its way): not installed.
    if (check.ok && !raft.log.hasPendingSnapshot()) await this.snapshots.dropReceived(check.meta);
  }

  /**
   * Installs the snapshot when the Ready carries one, then stores its snapshot chunks. Returns
   * the snapshot whose last chunk it stored, to check (SnapshotKeeper.checkInBackground).
   */
  private async receiveSnapshot(rd: Ready): Promise<SnapshotMeta | undefined> {
    // The snapshot to install was checked in an earlier Ready; chunks in this one can only be of
    // a later snapshot, whose first chunk drops the checked file if stored first.
    const snapshot = rd.snapshot;
    if (snapshot) {
      const began = performance.now();
      const stored = await this.snapshots.install(snapshot);
      await this.storage!.installSnapshot(snapshot, rd.hardState);
      // Members removed and added again within the snapshot's entries went unseen.
      this.incarnations?.forgetAll();
      // The log holds the snapshot now (the leader may be told); the context catches up beside
      // the run loop, and until it has, entries wait to apply and reads wait for the applied index.
      this.snapshots.recoverInBackground(
        stored,
        () => {
          this.sessions.restore(stored.sessions);
          this.applied = snapshot.index;
          for (const [index, p] of this.proposals) {
            if (index <= snapshot.index) this.settleProposal(index, p, undefined, new AppliedUnseenError(`entry ${index} was covered by a snapshot before it applied here; outcome unknown`));
          }
          this.refreshGauges();
          this.metricsRegistry.observeSnapshotInstall((performance.now() - began) / 1000);
        },
        (err) => this.failStorage(err),
      );
    }
    await this.snapshots.receiveChunks(rd.snapshotChunks);
    if (!this.requireRaft().receivingSnapshot()) await this.snapshots.dropPartial();
    const last = rd.snapshotChunks.at(-1);
    return last?.done ? last.meta : undefined;
  }

  private apply(entries: readonly Entry[]): void {
    if (this.snapshots.holdsApplies) {
      // The application is saving the state at the applied index (the context must hold still),
      // or the entries committed while it did are still applying: these go behind them.
      this.snapshots.defer(entries);
      return;
    }
    this.applyInOrder(entries);
  }

  private applyInOrder(entries: readonly Entry[]): void {
    // Timed per batch (most Readys apply none): two clock reads and one observation per batch,
    // nothing per entry.
    const began = entries.length > 0 ? performance.now() : 0;
    let commands = 0;
    let copies = 0;
    for (const e of entries) {
      // The state machine takes every entry once, in order. A gap or a repeat would make this
      // member's state differ silently from the others': stop the node instead (pump → fatal).
      if (e.index !== this.applied + 1) throw new Error(`entry ${e.index} was handed out to apply after entry ${this.applied}; stopping rather than skip or repeat entries`);
      let result: unknown;
      let error: Error | undefined;
      if (e.type === EntryType.Normal) {
        if (e.data.length > 0) commands++;
        const applied = this.commands.apply(e);
        ({ result, error } = applied);
        if (applied.copy) {
          copies++;
          this.metricsRegistry.duplicateSkipped();
        }
      } else if (e.type === EntryType.ConfChange) {
        const change = this.describeConfChange(decodeConfChange(e.data), e.index);
        if (change) this.log('info', `membership, entry ${e.index}: ${change}`);
      }
      this.applied = e.index;
      this.recentApplied.remember(e.index, { term: e.term, result, error });
      const p = this.proposals.get(e.index);
      if (p) {
        if (p.term !== e.term) this.settleProposal(e.index, p, undefined, new ProposalDroppedError(`entry ${e.index} of term ${p.term} was replaced by one of term ${e.term}`));
        else this.settleProposal(e.index, p, result, error);
      }
    }
    this.snapshots.applied(entries.length);
    if (entries.length > 0) this.metricsRegistry.observeApplyBatch((performance.now() - began) / 1000);
    // Counted as they apply (not when committed: held behind a save they apply later), and copies
    // of a proposal that applied already are not (they were counted as applied and as skipped).
    if (commands > copies) this.metricsRegistry.proposalApplied(commands - copies);
  }

  /**
   * An applied membership change in words, for the log: operators need a record of them. The
   * founding configuration is logged once, when the cluster is founded, not at every replay.
   */
  private describeConfChange(cc: ConfChange, index: number): string | undefined {
    // The configuration before the change names the member (at a replay the removed one is no
    // longer a peer whose address is known: QA saw "removed member 2299142824").
    const before = this.requireRaft().membership.at(index - 1);
    const name = (id: NodeId): string => before.find((m) => m.id === id)?.context ?? this.addresses.get(id) ?? `member ${id}`;
    switch (cc.type) {
      case 'bootstrap':
        return undefined;
      case 'addVoter':
        return `added ${cc.context} (non-voting until it has caught up, then a voter)`;
      case 'addLearner':
        return `added ${cc.context} as a non-voting member`;
      case 'promote':
        return `${name(cc.id)} is now a voter`;
      case 'remove':
        return `removed ${name(cc.id)}`;
    }
  }

  private updateMetrics(committed: readonly Entry[]): void {
    const m = this.metricsRegistry;
    let commands = 0;
    for (const e of committed) if (e.type === EntryType.Normal && e.data.length > 0) commands++;
    if (commands > 0) m.proposalCommitted(commands);
    this.refreshGauges();
  }

  /**
   * The replication series, read at each scrape (nothing on the write path): each follower's lag
   * and last contact while this node leads, and the snapshot transfers it began.
   */
  private replicationStats(): ReplicationStats | undefined {
    const raft = this.raft;
    if (!raft) return undefined;
    const followers: FollowerReplication[] = [];
    if (this.running && this.role === 'leader') {
      const last = raft.log.lastIndex();
      for (const m of raft.membership.current()) {
        const pr = m.id === this.id ? undefined : raft.progressOf(m.id);
        const ticks = pr && raft.ticksSinceHeardFrom(m.id);
        if (!pr || ticks === undefined) continue;
        followers.push({ address: m.context, lagEntries: Math.max(0, last - pr.match), lastContactSeconds: (ticks * this.opts.heartbeatMs) / 1000 });
      }
    }
    return { followers, snapshotTransfersStarted: raft.snapshotTransfersStarted, droppedBehindChunkRead: this.outbox.droppedBehindChunkRead };
  }

  /**
   * The disk series, read at each scrape from memory (no file system call, nothing on the write
   * path): the WAL's segments and their bytes, the latest snapshot's size. Undefined before the
   * WAL is open; a stopped node's closed WAL still answers (its files are still there).
   */
  private diskUsage(): DiskUsage | undefined {
    const wal = this.storage?.wal;
    if (!wal) return undefined;
    const { bytes, segments } = wal.stats;
    return { walBytes: bytes, walSegments: segments, snapshotBytes: this.snapshots.latestMeta?.size ?? 0 };
  }

  /** Pending proposals and the indices, after anything that moves them (also outside a Ready). */
  private refreshGauges(): void {
    this.metricsRegistry.setPendingProposals(this.proposals.size);
    this.metricsRegistry.setIndices({ term: this.term, commit: this.raft!.log.committed, applied: this.applied });
  }

  private onSoftState({ role, leader, term, removedAt }: SoftState): void {
    if (removedAt !== this.removedAt) {
      this.removedAt = removedAt;
      if (removedAt > 0) {
        // Started with join, it asks to be added again by itself (restarted on its old data
        // after a removal): advice to act was wrong then (a user trial).
        if (this.opts.join && (this.joinAsking || !this.running)) this.log('info', `${new RemovedError(removedAt).message}; started with join, it asks to be added again`);
        else this.log('warn', `${new RemovedError(removedAt).message}. It takes no further part in the cluster; stop it, or add it again from a member (join(); raft-node: POST /members)`);
        // What it waits for will not apply here, nor be confirmed: answer now, not at the timeout.
        // (Entries known committed do apply here: a leader's own removal, say.)
        const committed = this.requireRaft().log.committed;
        for (const [index, p] of this.proposals) if (index > committed) this.settleProposal(index, p, undefined, new RemovedError(removedAt, true));
        this.reads.settleAll('refused');
      } else {
        this.log('info', 'added to the cluster again');
      }
    }
    const wasLeader = this.role === 'leader';
    const termBefore = this.term;
    this.role = role;
    this.term = term;
    if (wasLeader && role !== 'leader') {
      // Proposals this node made as leader and not known committed: fail them now rather than let
      // clients hang. Committed ones settle when they apply (a leader that committed its own
      // removal steps down in the same Ready that applies it).
      const committed = this.requireRaft().log.committed;
      for (const [index, p] of this.proposals) {
        if (!p.asLeader || index <= committed) continue;
        const lost = new NotLeaderError(this.addresses.get(leader), `leadership lost before entry ${index} committed; it may still commit (outcome unknown)`);
        lost.outcomeUnknown = true;
        this.settleProposal(index, p, undefined, lost);
      }
      this.dropReplicationOfEndedLeadership();
    }
    this.metricsRegistry.setLeader(leader !== NONE, role === 'leader');
    if (leader === this.leaderId && leader !== NONE && leader !== this.id && term !== termBefore) {
      // The same leader in a new term (re-elected, perhaps after a restart, without this node
      // seeing "no leader" in between): requests it was asked in the old term may never be
      // answered (a restarted leader forgot them). Asked again, they apply once (sessions).
      this.failForwardsTo(leader, leader);
      this.reads.refuseUnconfirmed();
    }
    if (leader !== this.leaderId) {
      if (leader !== NONE) this.metricsRegistry.leaderChanged();
      this.failForwardsTo(this.leaderId, leader);
      this.leaderId = leader;
      this.reads.refuseUnconfirmed();
      this.wakeLeaderWaiters();
      this.notifyLeaderChange({ leader: this.leader, term, isLeader: role === 'leader' });
    }
  }

  private notifyLeaderChange(change: LeaderChange): void {
    this.log('info', `leader is now ${change.leader ?? 'unknown'} (term ${change.term})`);
    for (const cb of [...this.leaderCallbacks]) {
      try {
        cb(change);
      } catch (err) {
        this.log('warn', `leaderChange callback threw: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The leader changed: requests forwarded to the old one may never be answered (it crashed or was
   * cut off). Fail them now rather than at the timeout; the old leader may have appended them, so
   * the outcome is unknown.
   */
  private failForwardsTo(oldLeader: NodeId, newLeader: NodeId): void {
    if (oldLeader === NONE) return;
    for (const [id, f] of this.forwards) {
      if (f.target !== oldLeader) continue;
      clearTimeout(f.timer);
      this.forwards.delete(id);
      f.resolve({ ...this.refusal(id, 'leaderLost', `the leader changed before answering; outcome unknown`), leader: this.addresses.get(newLeader) ?? '' });
    }
  }

  /**
   * Logs (once per member and codec) that a member announced another command codec: every
   * member must decode every command, and one that cannot stops when the entry applies. Said
   * before any command of theirs is committed, this names the cause (found in review: nothing
   * told the operator until a member stopped).
   */
  private warnCodecMismatch(address: string, codec: string): void {
    const key = `${address} ${codec.slice(0, 64)}`;
    if (this.codecMismatchesLogged.has(key)) return;
    if (this.codecMismatchesLogged.size >= 64) return; // bounded: a peer could send ever new names
    this.codecMismatchesLogged.add(key);
    this.log(
      'error',
      `member ${address} encodes commands with codec ${JSON.stringify(codec.slice(0, 64))}, this node with ${JSON.stringify(this.registry.codecName)}: ` +
        'set the same codec on every member (setCodec); a member that cannot decode a committed command stops',
    );
  }

  /**
   * Every node announces itself, with or without metadata: a removed non-voting member that missed
   * the leader's notice never campaigns, and this is how the members hear from it and tell it.
   * One that knows it was removed says nothing more: its announcements kept it a peer of the
   * members for as long as it ran, connected in their metrics (found in a user trial); silent,
   * they forget it (forgetSilentOutsiders). Added again, it hears from the leader and announces.
   */
  private announceMeta(): void {
    if (!this.running || this.isRemoved()) return;
    this.outbox.sendNow(
      this.addresses.peerIds().map((to) => ({ type: 'nodeMeta' as const, from: this.id, to, term: this.term, meta: this.ownMeta, codec: this.registry.codecName })),
    );
  }

  /**
   * Member addresses come from the configuration (the member's context is its address): learnt
   * at start and whenever the configuration changes — appended, applied, rolled back with a
   * truncated log, or replaced by a snapshot (checked on every Ready).
   */
  private learnAddresses(): void {
    if (!this.raft) return;
    const before = this.addressesOf;
    this.addressesOf = this.raft.membership.current();
    this.discardReplicationToDeparted(before, this.addressesOf);
    const dialerIncarnations = this.transport?.dialerIncarnations?.bind(this.transport);
    this.incarnations?.membershipChanged(this.addressesOf, this.raft.membership.adoptedAfter(before, this.raft.log.committed), this.address, dialerIncarnations);
    // A member that left stays a peer until forgotten (forgetSilentOutsiders).
    if (this.addresses.setMembers(this.addressesOf)) {
      this.updatePeers();
      this.announceMeta(); // new members learn our metadata (raft-node: the HTTP address) now
    }
  }

  /**
   * A member that leaves the configuration loses its progress at the leader, and with it any
   * claim to the appends and heartbeats queued for it while it was unreachable (a down member's
   * link holds them until it is back). Left there, they reach whatever node comes back at that
   * address: one added again on the founding entry of a failed start took a heartbeat naming the
   * commit index its old self had acknowledged for proof of lost data, and stopped (seen on a
   * CI run of test/server/wiped-voter-rejoin). Other messages (a removal notice) stay queued.
   */
  private discardReplicationToDeparted(before: Membership, after: Membership): void {
    for (const m of before) {
      if (m.id === this.id || after.some((x) => x.id === m.id)) continue;
      this.outbox.discard(m.id, isReplication);
    }
  }

  /**
   * A transfer that ended unfinished (given up after an election timeout, replaced, or ended by a
   * change of term) takes back the order to campaign it may have sent: to a target that was down
   * it waits in the link's queue, and reached it when it came back, however long after, so that
   * it took leadership from a leader whose caller had been told the transfer failed (an
   * operator's run: 409, then leadership moved anyway).
   */
  private dropTimeoutNowOfEndedTransfer(): void {
    const target = this.raft!.transferTarget();
    const ended = this.transferTargetSeen;
    this.transferTargetSeen = target;
    if (ended === NONE || ended === target) return;
    this.outbox.discard(ended, (m) => m.type === 'timeoutNow');
  }

  /**
   * A leadership that ended takes back the replication it queued: to a peer that was down it
   * waits in the link's queue, and a deposed leader never learns of a removal done since, so
   * the node that comes back at that address (the member, removed meanwhile and started again
   * with join) took its heartbeats for its old self's and stopped (found in review). Called when
   * the Ready that ended it is taken, before its messages are handed over: those are the last
   * words of the leadership (a leader that committed its own removal tells the others the commit
   * and has a caught-up voter campaign at once, Raft.afterCommit), and dropped with the rest from
   * a backpressured or reconnecting link they cost an election timeout without a leader (the
   * commit notices, sent with sendSoon, were dropped even from healthy gRPC links).
   */
  private dropReplicationOfEndedLeadership(): void {
    for (const peer of this.addresses.peerIds()) this.outbox.discard(peer, isReplication);
  }

  /** Outsiders silent for a while are forgotten (see PeerAddresses), unless a request waits on them. */
  private forgetSilentOutsiders(): void {
    const members = this.raft!.membership.current();
    const forgotten = this.addresses.forgetSilent((id) => id === this.leaderId || members.some((m) => m.id === id) || [...this.forwards.values()].some((f) => f.target === id));
    if (forgotten.length === 0) return;
    for (const address of forgotten) this.nodeMeta.delete(address);
    this.log('info', `forgot ${forgotten.join(', ')}: not a member, and silent for ${FORGET_OUTSIDERS_AFTER_ELECTION_TIMEOUTS} election timeouts`);
    this.updatePeers();
  }

  private updatePeers(): void {
    if (!this.transport) return;
    const peers = new Set(this.addresses.peerAddresses());
    this.transport.setPeers([...peers]);
    for (const gone of [...this.rttPeers].filter((a) => !peers.has(a))) {
      this.rttPeers.delete(gone);
      this.metricsRegistry.forgetPeer(gone);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Takes a snapshot at the applied index now (also used by the server's POST /snapshot); resolves
   * with its index. The application saves while no entry applies (see SnapshotKeeper): before,
   * one could, and the snapshot then held entries past its index.
   */
  async snapshot(): Promise<number> {
    this.requireRunning();
    const taken = this.snapshots.ask();
    this.kick();
    return taken;
  }

  /** The application's save ended (written or not): a batch of the entries committed meanwhile applies. */
  private applyDeferred(deferred: Entry[]): void {
    if (!this.running) return;
    try {
      this.applyInOrder(deferred);
    } catch (err) {
      this.failStorage(err as Error);
      return;
    }
    // Applied outside a Ready: the gauges would wait for the next one (on an idle one-member
    // cluster, the next write; found in review).
    this.refreshGauges();
    this.reads.serve();
    this.kick();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /**
   * The cluster fingerprint kept in the data directory; else, on a founding member whose log
   * still starts at the bootstrap entry (a new one, or one upgraded from a version without
   * fingerprints), the one computed from that entry, kept from now on; else none yet (a joiner, or
   * a log compacted past entry 1: learnFingerprint).
   */
  private async loadFingerprint(): Promise<string | undefined> {
    const kept = await readFingerprint(this.opts.dataDir);
    if (kept) return kept;
    const storage = this.storage!;
    if (storage.firstIndex() !== 1 || storage.lastIndex() < 1) return undefined;
    const [first] = await storage.wal.entries(1, 2);
    if (!first || first.type !== EntryType.ConfChange) return undefined;
    const change = decodeConfChange(first.data);
    if (change.type !== 'bootstrap') return undefined;
    const fingerprint = clusterFingerprint(this.opts.clusterId, change.members);
    await writeFingerprint(this.opts.dataDir, fingerprint);
    return fingerprint;
  }

  /**
   * While this node knew none, a node it dialed (a seed it asks to join, a member) answered with a
   * fingerprint, or a member of its configuration dialed in with one: it is this cluster's.
   */
  private learnFingerprint(fingerprint: string, from: string): void {
    if (this.fingerprint !== undefined || !this.running) return;
    this.fingerprint = fingerprint;
    this.log('info', `cluster fingerprint ${fingerprint}, learnt from ${from}`);
    // If it cannot be kept, it is learnt again after the next start. stop() waits for the write,
    // so that the directory lock is not released under it.
    this.fingerprintWrite = writeFingerprint(this.opts.dataDir, fingerprint).catch((err: Error) => this.log('warn', `keeping the cluster fingerprint failed: ${err.message}`));
  }

  private async createGrpcTransport(): Promise<Transport> {
    const { GrpcTransport } = await import('./transport/grpc.js');
    return new GrpcTransport({
      address: this.address,
      clusterId: this.opts.clusterId,
      fingerprint: () => this.fingerprint,
      onFingerprint: (fingerprint, from) => this.learnFingerprint(fingerprint, from),
      mayTeachFingerprint: (from) => this.isConfiguredPeer(from),
      incarnation: () => this.incarnations?.incarnation,
      admitDialer: (from, incarnation) => this.incarnations?.peers.admit(from, incarnation, this.isConfiguredPeer(from)),
      onIncarnationRefused: (peer, reason) => this.refusedAsWiped(peer, reason),
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      onRoundTrip: (peer, ms) => {
        this.incarnations?.letIn(peer);
        this.rttPeers.add(peer);
        this.metricsRegistry.observePeerRtt(peer, ms / 1000);
      },
      logger: { info: (l: string) => this.log('info', l), warn: (l: string) => this.log('warn', l) },
    });
  }

  /** Whether `address` is another member of this node's configuration. */
  private isConfiguredPeer(address: string): boolean {
    return address !== this.address && (this.raft?.membership.current().some((m) => m.context === address) ?? false);
  }

  private requireRaft(): Raft {
    if (!this.raft) throw new NotStartedError();
    return this.raft;
  }

  private requireRunning(): void {
    if (this.running) return;
    if (!this.stopping) throw new NotStartedError();
    // A node that stopped itself says why: "the node is stopped" alone sent the caller to the logs.
    throw this.fatal ? new StoppedError(`the node stopped on a fatal error: ${this.fatal.message}`, { cause: this.fatal }) : new StoppedError();
  }

  private log(level: LogLevel, line: string): void {
    if (LOG_LEVELS[level] < LOG_LEVELS[this.logLevel]) return;
    if (this.opts.logger) this.opts.logger(level, line);
    else console.error(`${new Date().toISOString()} ${level} [${this.address}] ${line}`);
  }
}
