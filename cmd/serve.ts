/**
 * Runs one raft-node: a Node over the key-value store, its HTTP API, and clean shutdown on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, stop the node and close the WAL).
 * @module
 */
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { Node } from '../src/node.js';
import { KvStore, installKv } from '../src/kv/index.js';
import { KvHttpServer } from '../src/server/http.js';
import { DefaultSync, EveryDay, EveryHour, EveryMinute, EverySecond, Never, type SnapshotPolicy } from '../src/snapshot/index.js';
import type { ServerConfig, SnapshotPolicyName } from './flags.js';

const POLICIES: Record<SnapshotPolicyName, SnapshotPolicy> = {
  never: Never,
  second: EverySecond,
  minute: EveryMinute,
  hour: EveryHour,
  day: EveryDay,
  default: DefaultSync,
};

/** A raft-node: its node and HTTP API, created as configured. */
export interface RaftNodeServer {
  node: Node<KvStore>;
  http: KvHttpServer;
  /** Binds the HTTP port (a conflict fails before the node joins anything), then starts the node. */
  start(): Promise<void>;
  /**
   * Graceful stop: HTTP first (in-flight requests finish), then the node. Asked during start(),
   * it waits for the start to end (the node's own stop() does too), then stops.
   */
  stop(): Promise<void>;
}

/** A started raft-node. */
export type RunningServer = Omit<RaftNodeServer, 'start'>;

/** Creates the node and its HTTP API as configured; opens and binds nothing yet. */
export async function createServer(config: ServerConfig): Promise<RaftNodeServer> {
  const node = await Node.create<KvStore>({
    host: config.host,
    port: config.port,
    dataDir: config.path,
    context: new KvStore(),
    ...(config.members ? { members: config.members } : {}),
    join: config.join,
    nonVoting: config.nonVoting,
    clusterId: config.clusterId,
    heartbeatMs: config.heartbeatMs,
    electionTimeoutMs: config.electionTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(config.leaderWaitMs === undefined ? {} : { leaderWaitMs: config.leaderWaitMs }),
    sync: config.sync,
    snapshotTrailingEntries: config.snapshotTrailingEntries,
    ...(config.snapshotsKept === undefined ? {} : { snapshotsKept: config.snapshotsKept }),
    walSegmentBytes: config.walSegmentBytes,
    walPreallocate: config.walPreallocate,
    logLevel: config.logLevel,
    ...(config.peerTls ? { tls: config.peerTls } : {}),
  });
  installKv(node);
  node.setSnapshotPolicy(POLICIES[config.snapshotPolicy]);
  const http = new KvHttpServer(node, {
    host: config.host,
    port: config.httpPort,
    maxValueBytes: config.maxValueBytes,
    maxConnections: config.maxConnections,
  });
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  return {
    node,
    http,
    start: () =>
      (starting ??= (async () => {
        await listenHttp(http, config.host, config.httpPort);
        node.setNodeMeta(http.address);
        try {
          // Before the node writes its data directory: a busy peer port was found only after it
          // founded a cluster there (found on an operator's run), keeping a wrong --members for good.
          await probePeerPort(config.host, config.port);
          await node.start().catch((err: unknown) => {
            throw namingPathFlag(err, config.path);
          });
        } catch (err) {
          await http.stop();
          throw err;
        }
      })()),
    stop: () =>
      (stopping ??= (async () => {
        await starting?.catch(() => undefined);
        await http.stop();
        await node.stop();
      })()),
  };
}

/**
 * Binds the HTTP port. @throws Error naming the flag, as a busy peer port does: Node's own
 * "listen EADDRINUSE: address already in use h:p" did not say it was the HTTP port, which by
 * default is --port + 1000 and so not one the operator typed (found in a README walkthrough).
 */
async function listenHttp(http: KvHttpServer, host: string, port: number): Promise<void> {
  try {
    await http.start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    // The HTTP port is bound first, so a --host this machine cannot listen on fails here: said as
    // a busy --http-port, it sent the operator looking for another process (found in review).
    if (code === 'EADDRNOTAVAIL') throw new Error(`--host ${host}: cannot listen on it (${code}): not an address of this machine`, { cause: err });
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new Error(`--host ${host}: cannot listen on it (${code}): the name does not resolve`, { cause: err });
    const hint = code === 'EADDRINUSE' ? '; is another process using it?' : code === 'EACCES' && port < 1024 ? '; a port below 1024 needs privileges' : '';
    throw new Error(`--http-port: cannot listen on ${host}:${port} for HTTP clients (${code})${hint} (default: --port + 1000)`, { cause: err });
  }
}

/** Errors of the file system that mean the directory itself cannot be used (not a damaged file in it). */
const UNUSABLE_DIRECTORY = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT']);

/**
 * A start that failed because --path cannot be made or written, said as a flag problem:
 * "EACCES: permission denied, open '/srv/d/LOCK.4841.tmp'" named a file the operator never asked
 * for (found in a README walkthrough). Other errors pass unchanged.
 */
function namingPathFlag(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || e.code === undefined || !UNUSABLE_DIRECTORY.has(e.code)) return err;
  if (e.code === 'ENOENT' && e.syscall !== 'mkdir') return err; // a file missing from a data directory is another story
  const dir = resolve(path);
  if (typeof e.path !== 'string' || !(resolve(e.path) === dir || resolve(e.path).startsWith(`${dir}/`) || dir.startsWith(`${resolve(e.path)}/`))) return err;
  return new Error(`--path ${path}: cannot use it as the data directory (${e.message})`, { cause: err });
}

/** Whether the peer port can be bound: listens on it and closes at once. @throws Error naming the port */
async function probePeerPort(host: string, port: number): Promise<void> {
  const probe = createNetServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host: host.startsWith('[') ? host.slice(1, -1) : host, port, exclusive: true }, resolve);
    });
  } catch (err) {
    throw new Error(`--port: cannot listen on ${host}:${port} for peers (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is another process using it?`, { cause: err });
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/** Creates and starts a raft-node (see {@link createServer}). */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const server = await createServer(config);
  await server.start();
  return server;
}
