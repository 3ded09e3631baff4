/**
 * Runs one raft-node: a Node over the key-value store, its HTTP API, and clean shutdown on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, stop the node and close the WAL).
 * @module
 */
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

/** A running raft-node. */
export interface RunningServer {
  node: Node<KvStore>;
  http: KvHttpServer;
  /** Graceful stop: HTTP first (in-flight requests finish), then the node. */
  stop(): Promise<void>;
}

/** Starts the node and its HTTP API as configured. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
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
  // Bind HTTP first: a port conflict should fail before the node joins anything.
  await http.start();
  node.setNodeMeta(http.address);
  try {
    await node.start();
  } catch (err) {
    await http.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    node,
    http,
    stop: () =>
      (stopping ??= (async () => {
        await http.stop();
        await node.stop();
      })()),
  };
}
