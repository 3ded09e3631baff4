/**
 * raft-node's command line: the flags of hslam/raft's example program plus tsraft's own, parsed
 * strictly. Every problem becomes a {@link FlagError} naming the flag (the program exits 2).
 * @module
 */
import { parseArgs } from 'node:util';
import { parseMembers, checkAddress, type MemberAddress } from '../src/members.js';
import type { LogLevel } from '../src/node.js';
import type { TlsOptions } from '../src/transport/index.js';
import { clusterIdProblem } from '../src/transport/frame.js';
import { readPeerTls } from './peer-tls.js';

/** A bad command line; the message names the flag. */
export class FlagError extends Error {}

export type SnapshotPolicyName = 'never' | 'second' | 'minute' | 'hour' | 'day' | 'default';

/** The validated configuration of one raft-node process. */
export interface ServerConfig {
  host: string;
  port: number;
  httpPort: number;
  path: string;
  /**
   * --members as given; undefined without the flag: the library then founds a cluster of this
   * node alone, or, on a restart, keeps the configuration its data directory holds (quietly —
   * a list passed here that differs from that configuration is logged as ignored).
   */
  members: MemberAddress[] | undefined;
  join: boolean;
  nonVoting: boolean;
  snapshotPolicy: SnapshotPolicyName;
  snapshotTrailingEntries: number;
  /** --snapshots-kept; undefined: the library's default (2). */
  snapshotsKept: number | undefined;
  walSegmentBytes: number;
  /** --wal-preallocate: extend each WAL segment file to its full size up front. */
  walPreallocate: boolean;
  sync: 'always' | 'none';
  requestTimeoutMs: number;
  /** --leader-wait: how long a request waits for a leader; undefined: the library's default. */
  leaderWaitMs: number | undefined;
  maxValueBytes: number;
  /** --max-connections: open HTTP client connections at most. */
  maxConnections: number;
  logLevel: LogLevel;
  heartbeatMs: number;
  electionTimeoutMs: number;
  clusterId: string;
  /** V8's heap growth past the live data before a full GC, in percent; 0 leaves V8's own heuristic. */
  gcHeapGrowthPercent: number;
  /** Mutual TLS on the peer port (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file); undefined: plaintext. */
  peerTls: TlsOptions | undefined;
}

export const USAGE = `Usage: raft-node [flags]
       raft-node inspect <path> [--limit N] [--from INDEX]

Runs one member of a tsraft key-value cluster: peers talk gRPC on --port, clients HTTP on --http-port.

Flags:
  --host HOST                 host peers and clients reach this node at (default localhost)
  --port PORT                 peer (gRPC) port (default 9001)
  --http-port PORT            HTTP API port (default: port + 1000)
  --path DIR                  data directory (default data/<host>-<port>)
  --members "h:p;h:p;h:p,true"
                              the cluster's members, this node included when founding;
                              ",true" marks a non-voting member (default: this node alone)
  --join                      join a running cluster through the listed members
  --non-voting                with --join: join as a non-voting member
  --snapshot-policy P         never | second | minute | hour | day | default (default: default)
  --snapshot-trailing-entries N
                              log entries kept behind a snapshot for slow followers;
                              one further behind gets the snapshot (default 10000)
  --snapshots-kept N          snapshot files kept (default 2: the log then reaches back to the
                              older one, so a latest snapshot found corrupt at start is replayed
                              around; 1: compact right behind the latest, less disk)
  --wal-segment-bytes N       WAL segment file size; compaction deletes whole segments
                              (default 64MiB)
  --wal-preallocate B         true | false: extend each segment file to its full size when
                              it is made (sparse), so a synced append does not grow the file
                              (default true; false where the file system has no sparse files)
  --sync MODE                 always | none: every WAL write durable before it is acknowledged
                              (O_DSYNC) or left to the OS (default always)
  --request-timeout D         how long a request may wait (default 5s)
  --leader-wait D             how long a request waits for a leader while none is known or
                              leadership moves, before 503 (default two election timeouts, at
                              most --request-timeout; 0ms: answer 503 at once)
  --max-value-bytes N         largest value accepted, e.g. 1048576, 64KiB, 1MiB (default 1MiB,
                              at most 59MiB; over 16MiB, give --election-timeout 3s or more)
  --max-connections N         open HTTP client connections at most (default 1000; keep it
                              below the process's file descriptor limit)
  --log-level L               debug | info | warn | error | silent (default info)
  --heartbeat D               heartbeat interval (default 100ms)
  --election-timeout D        election timeout (default 1s); at least twice --heartbeat
  --cluster-id ID             peers with another cluster id are refused (default tsraft)
  --peer-cert-file FILE       mutual TLS on the peer port (all three flags, or none): this
  --peer-key-file FILE        node's certificate chain and private key (PEM), and the CA(s)
  --peer-trusted-ca-file FILE peers' certificates must be signed by; the certificate must name
                              --host in its subjectAltName (peers check it). Every member needs
                              them; without them the peer port is plaintext and unauthenticated
  --gc-heap-growth PERCENT    how far the JS heap may grow past the live data before a full GC
                              (default 100, like Go's GOGC; 0 leaves V8's heuristic, which grows
                              it up to 4x under steady load)
  -h, --help                  this text

A duration D is a number with a unit: ms, s, m or h (500ms, 1.5s, 2m, 1h), from 1ms to 1h;
a bare number is refused.

Exit status: 0 after a clean stop (SIGTERM/SIGINT), 1 when the node fails to start or stops on
an error, 2 for a bad command line. raft-node inspect: 0 no problems found, 3 problems found
(the report names them), 1 the directory cannot be read, 2 bad usage.
`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'http-port': { type: 'string' },
  path: { type: 'string' },
  members: { type: 'string' },
  join: { type: 'boolean' },
  'non-voting': { type: 'boolean' },
  'snapshot-policy': { type: 'string' },
  'snapshot-trailing-entries': { type: 'string' },
  'snapshots-kept': { type: 'string' },
  'wal-segment-bytes': { type: 'string' },
  'wal-preallocate': { type: 'string' },
  sync: { type: 'string' },
  'request-timeout': { type: 'string' },
  'leader-wait': { type: 'string' },
  'max-value-bytes': { type: 'string' },
  'max-connections': { type: 'string' },
  'gc-heap-growth': { type: 'string' },
  'log-level': { type: 'string' },
  heartbeat: { type: 'string' },
  'election-timeout': { type: 'string' },
  'cluster-id': { type: 'string' },
  'peer-cert-file': { type: 'string' },
  'peer-key-file': { type: 'string' },
  'peer-trusted-ca-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function port(flag: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) throw new FlagError(`--${flag}: expected a port from 1 to 65535, got ${JSON.stringify(raw)}`);
  return n;
}

function segmentBytes(raw: string): number {
  const n = parseBytes('wal-segment-bytes', raw);
  if (n < 256) throw new FlagError(`--wal-segment-bytes: must be at least 256 bytes, got ${JSON.stringify(raw)}`);
  return n;
}

function count(flag: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new FlagError(`--${flag}: expected a whole number, got ${JSON.stringify(raw)}`);
  return n;
}

/** A value must fit in one entry with its key and headers (see MAX_COMMAND_BYTES in src/node.ts). */
function maxValueBytes(raw: string): number {
  const n = parseBytes('max-value-bytes', raw);
  if (n > MAX_VALUE_BYTES) throw new FlagError(`--max-value-bytes: at most 59MiB (an entry must fit in one peer message), got ${JSON.stringify(raw)}`);
  return n;
}

function positive(flag: string, raw: string): number {
  const n = count(flag, raw);
  if (n < 1) throw new FlagError(`--${flag}: must be at least 1, got ${JSON.stringify(raw)}`);
  return n;
}

const MAX_VALUE_BYTES = 59 * 1024 * 1024;

function snapshotsKept(raw: string): number {
  const n = count('snapshots-kept', raw);
  if (n < 1 || n > 1000) throw new FlagError(`--snapshots-kept: must be from 1 to 1000, got ${JSON.stringify(raw)}`);
  return n;
}

function gcHeapGrowth(raw: string): number {
  const n = count('gc-heap-growth', raw);
  if (n > 1000) throw new FlagError(`--gc-heap-growth: must be a percent from 0 to 1000, got ${JSON.stringify(raw)}`);
  return n;
}

const TLS_FLAGS = ['peer-cert-file', 'peer-key-file', 'peer-trusted-ca-file'] as const;

function peerTls(values: Partial<Record<(typeof TLS_FLAGS)[number], string>>, host: string): TlsOptions | undefined {
  const given = TLS_FLAGS.filter((flag) => values[flag] !== undefined);
  if (given.length === 0) return undefined;
  const missing = TLS_FLAGS.filter((flag) => values[flag] === undefined);
  if (missing.length > 0) throw new FlagError(`--${missing[0]}: needed with --${given[0]} (mutual TLS takes all three of --${TLS_FLAGS.join(', --')})`);
  try {
    return readPeerTls({ cert: values['peer-cert-file']!, key: values['peer-key-file']!, ca: values['peer-trusted-ca-file']! }, host);
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
}

function nonEmpty(flag: string, raw: string): string {
  if (raw.trim() === '') throw new FlagError(`--${flag}: must not be empty`);
  return raw;
}

function clusterId(raw: string): string {
  const problem = clusterIdProblem(nonEmpty('cluster-id', raw));
  if (problem !== undefined) throw new FlagError(`--cluster-id: ${problem}`);
  return raw;
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new FlagError(`--${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * "500ms", "5s", "1.5s", "2m", "1h" -> milliseconds, from 1 ms to 1 h. A bare number is refused:
 * etcd's flags take milliseconds where ours took seconds, so "1000" was a silent 1000 s.
 */
export function parseDuration(flag: string, raw: string, minMs = 1): number {
  const text = raw.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    // Either unit may have been meant; a large number was probably milliseconds: show its seconds.
    const seconds = Number(text) >= 1000 ? String(Number(text) / 1000) : text;
    throw new FlagError(`--${flag} ${text}: give a unit, e.g. ${text}ms or ${seconds}s`);
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw new FlagError(`--${flag}: expected a duration like 500ms, 5s, 2m or 1h, got ${JSON.stringify(raw)}`);
  const ms = Number(m[1]) * DURATION_UNITS_MS[m[2] as keyof typeof DURATION_UNITS_MS];
  if (ms < minMs || ms > 3_600_000) throw new FlagError(`--${flag}: must be between ${minMs}ms and 1h, got ${JSON.stringify(raw)}`);
  return Math.round(ms);
}

/** "1048576", "64KiB", "1MiB", "1KB" (1000). */
export function parseBytes(flag: string, raw: string): number {
  const m = /^(\d+)(B|KB|KiB|MB|MiB)?$/.exec(raw.trim());
  if (!m) throw new FlagError(`--${flag}: expected a size like 1048576, 64KiB or 1MiB, got ${JSON.stringify(raw)}`);
  const unit = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1024 * 1024 }[m[2] ?? 'B']!;
  const n = Number(m[1]) * unit;
  if (n < 1 || n > 256 * 1024 * 1024) throw new FlagError(`--${flag}: must be between 1 byte and 256MiB, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Parses the flags (argv without node and the script). Returns 'help' for --help; throws
 * FlagError for an unknown, malformed or inconsistent flag.
 */
export function parseFlags(argv: readonly string[]): ServerConfig | 'help' {
  let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };
  let tokens: ReturnType<typeof parseArgs>['tokens'];
  try {
    ({ values, tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false, tokens: true }));
  } catch (err) {
    // Node's messages name the option already ("Unknown option '--foo'"); keep them.
    throw new FlagError((err as Error).message);
  }
  if (values.help) return 'help';
  // parseArgs keeps the last of a repeated flag: `--members a --members b` dropped list a unseen.
  const given = new Set<string>();
  for (const t of tokens ?? []) {
    if (t.kind !== 'option') continue;
    if (given.has(t.name)) throw new FlagError(`--${t.name}: given twice; give it once`);
    given.add(t.name);
  }
  // An IPv6 address may be given bare (::1) or as it appears in an address ([::1]).
  const givenHost = values.host ?? 'localhost';
  const host = givenHost.includes(':') && !givenHost.startsWith('[') ? `[${givenHost}]` : givenHost;
  const peerPort = values.port === undefined ? 9001 : port('port', values.port);
  const httpPort = values['http-port'] === undefined ? peerPort + 1000 : port('http-port', values['http-port']);
  if (httpPort > 65535) throw new FlagError(`--http-port: the default (port + 1000 = ${httpPort}) is not a valid port; set --http-port`);
  if (httpPort === peerPort) throw new FlagError('--http-port: must differ from --port');
  const self = `${host}:${peerPort}`;
  try {
    checkAddress(self);
  } catch (err) {
    throw new FlagError(`--host: ${(err as Error).message}`);
  }
  let members: MemberAddress[] | undefined;
  try {
    members = values.members === undefined ? undefined : parseMembers(values.members);
  } catch (err) {
    throw new FlagError(`--members: ${(err as Error).message}`);
  }
  // An empty list (--members "$UNSET_VAR") was refused as "does not include this node".
  if (members !== undefined && members.length === 0) throw new FlagError(`--members: lists no member (got ${JSON.stringify(values.members)}); give "h:p;h:p", or leave the flag out to found a one-member cluster`);
  // Another member's peer port on this host: one of the two would fail to listen, or the HTTP
  // clients of one would reach the other's gRPC port.
  const clash = members?.find((m) => m.address !== self && m.address === `${host}:${httpPort}`);
  if (clash) throw new FlagError(`--http-port: ${httpPort} is the peer port of member ${clash.address} in --members; choose another`);
  const join = values.join === true;
  if (join && members === undefined) throw new FlagError('--join: needs --members listing members of the running cluster');
  if (join && !members!.some((m) => m.address !== self)) throw new FlagError(`--members: with --join, list at least one member of the running cluster other than this node (${self})`);
  if (!join && members && !members.some((m) => m.address === self)) {
    // The same port under another host name is most likely this node, written as the others know it
    // (found on an operator's run: --host defaults to localhost, the list said 127.0.0.1).
    const samePort = members.find((m) => m.address.endsWith(`:${peerPort}`));
    if (samePort) {
      throw new FlagError(`--members: does not include this node (${self}); if ${samePort.address} is this node, give --host ${samePort.address.slice(0, samePort.address.lastIndexOf(':'))} (a member is known by one address); to join a running cluster instead, use --join`);
    }
    throw new FlagError(`--members: does not include this node (${self}); use --join to join a running cluster`);
  }
  // Checked here, before the node creates its data directory: a cluster of non-voting members
  // could never elect a leader.
  if (!join && members && !members.some((m) => !m.nonVoting)) throw new FlagError('--members: lists no voting member (every one is marked ",true"); a cluster needs at least one voter');
  if (values['non-voting'] && !join) throw new FlagError('--non-voting: only with --join (a founding member is made non-voting with ",true" in --members)');
  const heartbeatMs = values.heartbeat === undefined ? 100 : parseDuration('heartbeat', values.heartbeat);
  const electionTimeoutMs = values['election-timeout'] === undefined ? 1000 : parseDuration('election-timeout', values['election-timeout']);
  if (electionTimeoutMs < 2 * heartbeatMs) throw new FlagError('--election-timeout: must be at least twice --heartbeat');
  return {
    host,
    port: peerPort,
    httpPort,
    path: values.path === undefined ? `data/${host}-${peerPort}` : nonEmpty('path', values.path),
    members,
    join,
    nonVoting: values['non-voting'] === true,
    snapshotPolicy: oneOf('snapshot-policy', values['snapshot-policy'] ?? 'default', ['never', 'second', 'minute', 'hour', 'day', 'default'] as const),
    snapshotTrailingEntries: values['snapshot-trailing-entries'] === undefined ? 10_000 : count('snapshot-trailing-entries', values['snapshot-trailing-entries']),
    snapshotsKept: values['snapshots-kept'] === undefined ? undefined : snapshotsKept(values['snapshots-kept']),
    walSegmentBytes: values['wal-segment-bytes'] === undefined ? 64 * 1024 * 1024 : segmentBytes(values['wal-segment-bytes']),
    walPreallocate: oneOf('wal-preallocate', values['wal-preallocate'] ?? 'true', ['true', 'false'] as const) === 'true',
    sync: oneOf('sync', values.sync ?? 'always', ['always', 'none'] as const),
    requestTimeoutMs: values['request-timeout'] === undefined ? 5000 : parseDuration('request-timeout', values['request-timeout']),
    leaderWaitMs: values['leader-wait'] === undefined ? undefined : parseDuration('leader-wait', values['leader-wait'], 0),
    maxValueBytes: values['max-value-bytes'] === undefined ? 1024 * 1024 : maxValueBytes(values['max-value-bytes']),
    maxConnections: values['max-connections'] === undefined ? 1000 : positive('max-connections', values['max-connections']),
    logLevel: oneOf('log-level', values['log-level'] ?? 'info', ['debug', 'info', 'warn', 'error', 'silent'] as const),
    heartbeatMs,
    electionTimeoutMs,
    clusterId: values['cluster-id'] === undefined ? 'tsraft' : clusterId(values['cluster-id']),
    gcHeapGrowthPercent: values['gc-heap-growth'] === undefined ? 100 : gcHeapGrowth(values['gc-heap-growth']),
    peerTls: peerTls(values, host),
  };
}

/** Values above this size hold a member's event loop long enough to matter at the default timing. */
const BIG_VALUE_BYTES = 16 * 1024 * 1024;
/** The election timeout below which values over BIG_VALUE_BYTES may move leadership. */
const ELECTION_TIMEOUT_FOR_BIG_VALUES_MS = 3000;

/**
 * Advice on a configuration that is valid but likely to misbehave, one line each (raft-node
 * prints them as warnings at start). Today: values over 16 MiB with an election timeout under
 * 3 s. Each member's event loop is held while such a value is copied, checksummed and hashed
 * (`npm run bench:big-values`, 2-core VM, default timing: 59 MiB held the leader's loop up to
 * ~1 s and moved leadership in 2 of 6 runs of five writes; 16 MiB ~0.1 s).
 */
export function configAdvice(config: ServerConfig): string[] {
  const advice: string[] = [];
  if (config.maxValueBytes > BIG_VALUE_BYTES && config.electionTimeoutMs < ELECTION_TIMEOUT_FOR_BIG_VALUES_MS) {
    const mib = (config.maxValueBytes / 2 ** 20).toFixed(config.maxValueBytes % 2 ** 20 === 0 ? 0 : 1);
    advice.push(
      `--max-value-bytes ${mib}MiB with --election-timeout ${config.electionTimeoutMs}ms: a value over 16MiB can hold a member's event loop ` +
        `for up to a second, long enough for an election in the middle of its write; give values that large --election-timeout 3s or more`,
    );
  }
  return advice;
}

/**
 * `base` flags with those that `overrides` gives again left out, then `overrides`: for programs
 * that start raft-node with defaults of their own and the user's flags (the tests, the
 * benchmarks), since raft-node refuses a flag given twice. A flag's value is the next
 * argument unless that is a flag itself.
 */
export function withOverrides(base: readonly string[], overrides: readonly string[]): string[] {
  const overridden = new Set(overrides.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!));
  const kept: string[] = [];
  for (let i = 0; i < base.length; i++) {
    const arg = base[i]!;
    const hasValue = !arg.includes('=') && base[i + 1] !== undefined && !base[i + 1]!.startsWith('--');
    if (arg.startsWith('--') && overridden.has(arg.split('=')[0]!)) {
      if (hasValue) i++;
      continue;
    }
    kept.push(arg);
  }
  return [...kept, ...overrides];
}
