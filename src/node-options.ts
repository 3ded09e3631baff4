/**
 * The Node's options: what each means, its default, and the one place they are checked. A bad
 * option fails `Node.create` with a TypeError (wrong kind of value, unknown option, a combination
 * that cannot work) or a RangeError (a number out of range), naming the option and the value —
 * not later, at start() (one exception: a `members` list naming one endpoint twice under two names,
 * `localhost:p` beside `127.0.0.1:p`, needs name resolution and is refused by start()), and never
 * by quietly misbehaving (a NaN heartbeat that runs a 1 ms
 * timer, a request timeout of 0 that fails every request that then applies).
 * @module
 */
import type { Codec } from './codec.js';
import { checkAddress, formatMembers, parseMembers, type MemberAddress } from './members.js';
import { clusterIdProblem } from './transport/frame.js';
import type { Transport } from './transport/types.js';
import { MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES } from '../wal/index.js';

/** Log levels, from chattiest to silent. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
/** Each level's rank: a line is logged when its rank is at least the node's level's. */
export const LOG_LEVELS: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Options of {@link Node.create}. Times are in milliseconds. */
export interface NodeOptions<Context> {
  /** Host peers reach this node at. Default 'localhost'. */
  host?: string;
  /** Peer (gRPC) port. Not needed with `transport`: its address names this node. */
  port?: number;
  /** Data directory: the WAL and snapshots live here. One Node (one process) at a time. */
  dataDir: string;
  /** The object commands apply to. */
  context: Context;
  /**
   * The founding members, this node included: `"h:p;h:p;h:p,true"` (`,true` = non-voting), or a
   * list. Default: this node alone (a one-member cluster). With `join`, the members of the running
   * cluster to ask for admission. Only read when the data directory is new: afterwards the
   * configuration in the log wins (a different list is logged as a warning and ignored).
   */
  members?: string | ReadonlyArray<string | MemberAddress>;
  /** Join a running cluster through `members` instead of founding one. */
  join?: boolean;
  /** With `join`: join as a non-voting member. */
  nonVoting?: boolean;
  /** Peers from another cluster id are rejected. Default 'tsraft'. */
  clusterId?: string;
  /** Default 100. */
  heartbeatMs?: number;
  /**
   * Default 1000 (a follower campaigns after a random time in [1×, 2×) this). At least twice
   * heartbeatMs; counted in whole heartbeats (rounded).
   */
  electionTimeoutMs?: number;
  /** Append messages in flight per follower. Default 256. */
  maxInflight?: number;
  /** Entries per append message. Default 4096. */
  maxEntriesPerMessage?: number;
  /** Entry bytes per append message. Default 1 MiB. */
  maxBytesPerMessage?: number;
  /** How long do(), readIndex(), join() etc. wait. Default 5000. */
  requestTimeoutMs?: number;
  /**
   * How long a request waits for a leader, from when it first finds none known or leadership
   * moving (an election, a transfer), before it is refused with NoLeaderError (or read as
   * refused). Such refusals are definite (nothing was appended), so the request is simply retried
   * once a leader is known; requestTimeoutMs still bounds the whole request. Default: two
   * election timeouts, at most requestTimeoutMs. 0 refuses at once.
   */
  leaderWaitMs?: number;
  /**
   * The share of a lease given up to clock drift, in [0, 1). Default 0.1. A lease lasts
   * `(electionTicks − 1) × heartbeatMs × (1 − leaseDriftMargin)` from the send time of the last
   * heartbeat round a quorum acknowledged: 810 ms with the defaults.
   */
  leaseDriftMargin?: number;
  /** WAL durability. Default 'always'. */
  sync?: 'always' | 'none';
  /** WAL entry cache budget in bytes. Default 32 MiB; 0 disables the cache. The newest entry larger than the budget is kept beside it. */
  cacheBytes?: number;
  /** WAL segment size; compaction deletes whole segments. Default 64 MiB. */
  walSegmentBytes?: number;
  /**
   * Extend each WAL segment file to its full size up front (sparse), so a synced append does not
   * grow the file. Default true; false on a file system without sparse files (see WalOptions).
   */
  walPreallocate?: boolean;
  /** Entries kept in the WAL behind a snapshot for slow followers. Default 10000. */
  snapshotTrailingEntries?: number;
  /** Snapshot when this many entries were applied since the last one, whatever the policy. Default 0 (off). */
  snapshotEntryThreshold?: number;
  /**
   * Snapshot files kept. Default 2: the log then reaches back to the older one (or to its start
   * before a second snapshot), so that a latest snapshot found corrupt at start costs a longer
   * replay instead of the member. 1 compacts right behind the latest (less disk; a member whose
   * only snapshot rots does not start).
   */
  snapshotsKept?: number;
  /** Snapshot chunk size for lagging followers. Default 1 MiB. */
  snapshotChunkBytes?: number;
  /** The peer transport. Default: gRPC on host:port. */
  transport?: Transport;
  /** Mutual TLS for the default gRPC transport. */
  tls?: { cert: Buffer | string; key: Buffer | string; ca: Buffer | string };
  /** Command codec. Default JSON. */
  codec?: Codec;
  /** Default 'info'. */
  logLevel?: LogLevel;
  /** Where log lines go. Default: console.error with the node's address. */
  logger?: (level: LogLevel, line: string) => void;
  /**
   * Labels added to every metric series, e.g. `{ node: 'a' }` when several nodes' metrics are
   * merged. Not one the node's own series use (le, quantile, side, to, from, stat, route, code,
   * consistency, outcome: RESERVED_METRIC_LABELS).
   */
  metricsLabels?: Record<string, string>;
}

/** The options after checking, with every default filled in. */
export type ResolvedNodeOptions<Context> = NodeOptions<Context> &
  Required<Pick<NodeOptions<Context>, 'host' | 'heartbeatMs' | 'electionTimeoutMs' | 'requestTimeoutMs' | 'leaderWaitMs' | 'sync' | 'snapshotTrailingEntries' | 'clusterId' | 'logLevel'>> & {
    /** This node's "host:port" (the transport's address when one is given). */
    address: string;
    /** The parsed `members` (default: this node alone). */
    founding: MemberAddress[];
    /** Whether `members` was given (not defaulted). */
    membersGiven: boolean;
  };

/** Every option, so an unknown key (a typo, an option of another library) is refused. */
const KNOWN: Record<keyof NodeOptions<unknown>, true> = {
  host: true,
  port: true,
  dataDir: true,
  context: true,
  members: true,
  join: true,
  nonVoting: true,
  clusterId: true,
  heartbeatMs: true,
  electionTimeoutMs: true,
  maxInflight: true,
  maxEntriesPerMessage: true,
  maxBytesPerMessage: true,
  requestTimeoutMs: true,
  leaderWaitMs: true,
  leaseDriftMargin: true,
  sync: true,
  cacheBytes: true,
  walSegmentBytes: true,
  walPreallocate: true,
  snapshotTrailingEntries: true,
  snapshotEntryThreshold: true,
  snapshotsKept: true,
  snapshotChunkBytes: true,
  transport: true,
  tls: true,
  codec: true,
  logLevel: true,
  logger: true,
  metricsLabels: true,
};

/** Longest delay a Node.js timer keeps: a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * Largest message and snapshot chunk: half the gRPC transport's 64 MiB frame limit, so one fits in
 * a frame with the rest of its batch.
 */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/**
 * Label names the node's own series use (src/metrics.ts, the KV server's request counter) and
 * Prometheus's histogram and summary labels: a default label of the same name would silently
 * replace theirs (test/node/metrics-labels-reserved.test.ts keeps this list complete).
 */
export const RESERVED_METRIC_LABELS: ReadonlySet<string> = new Set(['le', 'quantile', 'side', 'to', 'from', 'stat', 'route', 'code', 'consistency', 'outcome']);

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function integer(name: string, value: unknown, min: number, max: number, unit = ''): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}${unit}, got ${show(value)}`);
  return value;
}

/** `value` if it is true or false; else a TypeError naming `name`. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false, got ${show(value)}`);
  return value;
}

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string, got ${show(value)}`);
  return value;
}

/** `value` if it is a string ('' included); else a TypeError naming `name`. */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${show(value)}`);
  return value;
}

/** Throws a TypeError naming `name` unless `value` is a function (a callback). */
export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${show(value)}`);
}

/** `value` if it is one of `allowed`; else a TypeError naming `name` and the choices. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) throw new TypeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(value)}`);
  return value as T;
}

/** `value` if it is a log level; else a TypeError naming `name` (an option, or setLogLevel's argument). */
export function checkLogLevel(name: string, value: unknown): LogLevel {
  return oneOf(name, value, Object.keys(LOG_LEVELS) as LogLevel[]);
}

/** Throws a TypeError naming `name` unless `value` is an object with every one of `methods`. */
export function hasMethods(name: string, value: unknown, methods: readonly string[]): void {
  const missing = typeof value === 'object' && value !== null ? methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function') : methods;
  if (missing.length > 0) throw new TypeError(`${name} must be an object with ${methods.join(', ')} methods, got ${show(value)}${typeof value === 'object' && value !== null ? ` without ${missing.join(', ')}` : ''}`);
}

/** A codec has encode and decode methods and a name, which members announce and compare. */
export function checkCodec(name: string, codec: unknown): void {
  hasMethods(name, codec, ['encode', 'decode']);
  const codecName = (codec as { name?: unknown }).name;
  if (typeof codecName !== 'string' || codecName === '') throw new TypeError(`${name} must have a name (a non-empty string, which members compare), got ${show(codecName)}`);
}

/**
 * Checks `options` and fills in the defaults. Absent and `undefined` options take their default.
 * @throws TypeError for an unknown option, a value of the wrong kind or an impossible combination
 * @throws RangeError for a number out of range (NaN included)
 */
export function resolveNodeOptions<Context>(options: NodeOptions<Context>): ResolvedNodeOptions<Context> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Node.create needs an options object, got ${show(options)}`);
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(KNOWN, key));
  if (unknown.length > 0) throw new TypeError(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${Object.keys(KNOWN).join(', ')})`);
  const o = options;

  // With a transport of the caller's, its address names this node and host/port go unused.
  const port = o.transport !== undefined && o.port === undefined ? 0 : integer('port', o.port, 1, 65535);
  const host = o.host === undefined ? 'localhost' : nonEmptyString('host', o.host);
  const dataDir = nonEmptyString('dataDir', o.dataDir);
  if (o.transport !== undefined) {
    hasMethods('transport', o.transport, ['start', 'stop', 'send', 'onMessages', 'setPeers']);
    nonEmptyString('transport.address', o.transport.address);
    if (o.tls !== undefined) throw new TypeError('tls applies to the default gRPC transport only: configure TLS on the transport you pass');
  } else {
    try {
      checkAddress(`${host}:${port}`);
    } catch {
      throw new TypeError(`host ${show(host)} is not a host name or IP address (IPv6 in brackets) peers can reach`);
    }
  }
  const address = o.transport?.address ?? `${host}:${port}`;

  const heartbeatMs = o.heartbeatMs === undefined ? 100 : integer('heartbeatMs', o.heartbeatMs, 1, MAX_TIMER_MS, ' ms');
  const electionTimeoutMs = o.electionTimeoutMs === undefined ? 1000 : integer('electionTimeoutMs', o.electionTimeoutMs, 1, MAX_TIMER_MS, ' ms');
  // The core counts the election timeout in heartbeats and needs more than one (see RaftOptions).
  if (electionTimeoutMs < 2 * heartbeatMs) {
    throw new RangeError(`electionTimeoutMs (${electionTimeoutMs}) must be at least twice heartbeatMs (${heartbeatMs})`);
  }
  const requestTimeoutMs = o.requestTimeoutMs === undefined ? 5000 : integer('requestTimeoutMs', o.requestTimeoutMs, 1, MAX_TIMER_MS, ' ms');
  const leaderWaitMs =
    o.leaderWaitMs === undefined ? Math.min(2 * electionTimeoutMs, requestTimeoutMs) : integer('leaderWaitMs', o.leaderWaitMs, 0, MAX_TIMER_MS, ' ms');
  if (o.leaseDriftMargin !== undefined) {
    if (typeof o.leaseDriftMargin !== 'number') throw new TypeError(`leaseDriftMargin must be a number, got ${show(o.leaseDriftMargin)}`);
    if (!(o.leaseDriftMargin >= 0 && o.leaseDriftMargin < 1)) throw new RangeError(`leaseDriftMargin must be a fraction from 0 to less than 1, got ${show(o.leaseDriftMargin)}`);
  }
  if (o.maxInflight !== undefined) integer('maxInflight', o.maxInflight, 1, Number.MAX_SAFE_INTEGER);
  if (o.maxEntriesPerMessage !== undefined) integer('maxEntriesPerMessage', o.maxEntriesPerMessage, 1, Number.MAX_SAFE_INTEGER);
  if (o.maxBytesPerMessage !== undefined) integer('maxBytesPerMessage', o.maxBytesPerMessage, 1, MAX_MESSAGE_BYTES, ' bytes');
  if (o.snapshotChunkBytes !== undefined) integer('snapshotChunkBytes', o.snapshotChunkBytes, 1, MAX_MESSAGE_BYTES, ' bytes');
  const sync = o.sync === undefined ? 'always' : oneOf('sync', o.sync, ['always', 'none'] as const);
  if (o.cacheBytes !== undefined) integer('cacheBytes', o.cacheBytes, 0, Number.MAX_SAFE_INTEGER, ' bytes');
  if (o.walSegmentBytes !== undefined) integer('walSegmentBytes', o.walSegmentBytes, MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES, ' bytes');
  if (o.walPreallocate !== undefined) checkBoolean('walPreallocate', o.walPreallocate);
  const snapshotTrailingEntries = o.snapshotTrailingEntries === undefined ? 10_000 : integer('snapshotTrailingEntries', o.snapshotTrailingEntries, 0, Number.MAX_SAFE_INTEGER);
  if (o.snapshotEntryThreshold !== undefined) integer('snapshotEntryThreshold', o.snapshotEntryThreshold, 0, Number.MAX_SAFE_INTEGER);
  if (o.snapshotsKept !== undefined) integer('snapshotsKept', o.snapshotsKept, 1, 1000);
  const clusterId = o.clusterId === undefined ? 'tsraft' : nonEmptyString('clusterId', o.clusterId);
  const clusterIdWrong = clusterIdProblem(clusterId);
  if (clusterIdWrong !== undefined) throw new RangeError(`clusterId ${show(clusterId.slice(0, 40))}${clusterId.length > 40 ? '…' : ''}: ${clusterIdWrong}`);
  if (o.tls !== undefined) {
    if (typeof o.tls !== 'object' || o.tls === null) throw new TypeError(`tls must be { cert, key, ca }, got ${show(o.tls)}`);
    for (const part of ['cert', 'key', 'ca'] as const) {
      const v = o.tls[part];
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) throw new TypeError(`tls.${part} must be a string or a Buffer (PEM), got ${show(v)}`);
    }
  }
  if (o.codec !== undefined) checkCodec('codec', o.codec);
  const logLevel = o.logLevel === undefined ? 'info' : checkLogLevel('logLevel', o.logLevel);
  if (o.logger !== undefined && typeof o.logger !== 'function') throw new TypeError(`logger must be a function (level, line), got ${show(o.logger)}`);
  if (o.metricsLabels !== undefined) {
    if (typeof o.metricsLabels !== 'object' || o.metricsLabels === null) throw new TypeError(`metricsLabels must be an object of label names to values, got ${show(o.metricsLabels)}`);
    for (const [name, value] of Object.entries(o.metricsLabels)) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new TypeError(`metricsLabels: ${show(name)} is not a Prometheus label name`);
      if (RESERVED_METRIC_LABELS.has(name)) throw new TypeError(`metricsLabels: ${show(name)} is a label the node's own metrics use (${[...RESERVED_METRIC_LABELS].join(', ')}); pick another name`);
      if (typeof value !== 'string') throw new TypeError(`metricsLabels.${name} must be a string, got ${show(value)}`);
    }
  }

  const join = o.join === undefined ? false : checkBoolean('join', o.join);
  const nonVoting = o.nonVoting === undefined ? false : checkBoolean('nonVoting', o.nonVoting);
  if (nonVoting && !join) throw new TypeError('nonVoting applies only with join: a founding member is made non-voting with ",true" in members');
  const membersGiven = o.members !== undefined;
  let founding: MemberAddress[];
  if (membersGiven) {
    if (typeof o.members !== 'string' && !Array.isArray(o.members)) throw new TypeError(`members must be a string like "h:p;h:p,true" or an array, got ${show(o.members)}`);
    try {
      founding = parseMembers(o.members!);
    } catch (error) {
      throw new TypeError(`members: ${(error as Error).message}`);
    }
  } else {
    founding = join ? [] : [{ address, nonVoting: false }];
  }
  if (join) {
    if (!founding.some((m) => m.address !== address)) throw new TypeError(`join needs members listing at least one member of the running cluster other than this node (${address})`);
  } else {
    if (founding.length === 0) throw new TypeError('members is empty: list the founding members, this node included, or leave it out to found a one-member cluster');
    if (!founding.some((m) => m.address === address)) {
      throw new TypeError(`members ${show(formatMembers(founding))} do not include this node (${address}); use join to join a running cluster`);
    }
    if (founding.every((m) => m.nonVoting)) throw new TypeError('members has no voting member: a cluster needs at least one');
  }

  return { ...o, host, port, dataDir, address, heartbeatMs, electionTimeoutMs, requestTimeoutMs, leaderWaitMs, sync, snapshotTrailingEntries, clusterId, logLevel, join, nonVoting, founding, membersGiven };
}
