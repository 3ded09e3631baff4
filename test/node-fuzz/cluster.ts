/**
 * The fuzz cluster: real Nodes in this process over one seeded MemoryNetwork, each on its own data
 * directory under os.tmpdir(), restartable on that directory (a crash-like restart: a new Node
 * object and a fresh context over the same WAL and snapshots) or on a wiped one (a member
 * removed, then added again as a new node). Unlike test/support's TestCluster, the network's
 * fault choices come from the seed, every node's log lines are kept for the failure report, and
 * each start can be a join.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node, type NodeOptions } from '../../src/node.js';
import { EverySecond } from '../../src/snapshot/index.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { SeededRandom } from '../../src/core/rng.js';
import { kvSnapshot } from '../support/node-cluster.js';
import { FUZZ_COMMANDS, Kv } from './commands.js';

/** Timing and storage knobs of one history (drawn from the seed by fuzz.ts). */
export interface ClusterOptions {
  size: number;
  heartbeatMs: number;
  electionTimeoutMs: number;
  requestTimeoutMs: number;
  snapshotTrailingEntries: number;
  snapshotsKept: number;
  walSegmentBytes: number;
  snapshotChunkBytes: number;
}

/** Last lines kept per run (all nodes): the tail printed with a failure. */
const KEPT_LINES = 400;

export class FuzzCluster {
  readonly network: MemoryNetwork;
  readonly root = mkdtempSync(join(tmpdir(), 'tsraft-fuzz-'));
  /** The founding members; members removed and added again keep their address. */
  readonly addresses: string[];
  /** Running nodes (a node is taken out before its stop() starts, so clients stop picking it). */
  private readonly running = new Map<string, Node<Kv>>();
  /** How each address was last started fresh: a joiner restarts as one (members = whom it asked). */
  private readonly joinedVia = new Map<string, string>();
  readonly lines: string[] = [];
  /** Lines logged at level error, and onFatal errors: reported whatever the verdict. */
  readonly errors: string[] = [];
  readonly startedAt = Date.now();

  constructor(
    seed: number,
    readonly o: ClusterOptions,
  ) {
    const rng = new SeededRandom((seed ^ 0x5bd1e995) >>> 0);
    this.network = new MemoryNetwork({ random: () => rng.next() });
    this.addresses = Array.from({ length: o.size }, (_, i) => `n${i + 1}:${9000 + i + 1}`);
  }

  dataDir(address: string): string {
    return join(this.root, address.replace(':', '-'));
  }

  /** The running nodes, as [address, node] pairs. */
  nodes(): Array<[string, Node<Kv>]> {
    return [...this.running];
  }

  node(address: string): Node<Kv> | undefined {
    return this.running.get(address);
  }

  isRunning(address: string): boolean {
    return this.running.has(address);
  }

  /** ms since the cluster was made, for log lines and the fault list. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  note(line: string): void {
    this.lines.push(`${String(this.now()).padStart(6)} ${line}`);
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
  }

  /**
   * Starts `address` on its data directory. `joinVia` (member addresses, ';'-separated) starts it
   * as a joiner, remembered for its later restarts (the log wins over `members` afterwards anyway).
   */
  async start(address: string, joinVia?: string): Promise<Node<Kv>> {
    if (this.running.has(address)) throw new Error(`${address} is already running`);
    if (joinVia !== undefined) this.joinedVia.set(address, joinVia);
    const via = this.joinedVia.get(address);
    const kv = new Kv();
    const options: NodeOptions<Kv> = {
      dataDir: this.dataDir(address),
      context: kv,
      members: via ?? this.addresses.join(';'),
      ...(via !== undefined ? { join: true } : {}),
      heartbeatMs: this.o.heartbeatMs,
      electionTimeoutMs: this.o.electionTimeoutMs,
      requestTimeoutMs: this.o.requestTimeoutMs,
      snapshotTrailingEntries: this.o.snapshotTrailingEntries,
      snapshotsKept: this.o.snapshotsKept,
      walSegmentBytes: this.o.walSegmentBytes,
      snapshotChunkBytes: this.o.snapshotChunkBytes,
      walPreallocate: false,
      // No fsync: a stop() here closes the WAL cleanly, so durability across power loss is not
      // what this test checks (test/chaos does, with real processes); speed is.
      sync: 'none',
      logLevel: 'warn',
      logger: (level, line) => {
        this.note(`${address} ${level}: ${line}`);
        if (level === 'error') this.errors.push(`${this.now()} ${address}: ${line}`);
      },
      transport: new MemoryTransport(this.network, { address, logger: { info() {}, warn: (l: string) => this.note(`${address} transport: ${l}`) } }),
    };
    const node = await Node.create<Kv>(options);
    for (const cls of FUZZ_COMMANDS) node.registerCommand(cls);
    node.setSnapshot(kvSnapshot(kv));
    node.setSnapshotPolicy(EverySecond);
    node.onFatal((err) => this.errors.push(`${this.now()} ${address}: FATAL ${err.stack ?? err.message}`));
    await node.start();
    this.running.set(address, node);
    this.note(`${address} started${via !== undefined ? ` (join via ${via})` : ''}`);
    return node;
  }

  /** Stops `address` (no-op if not running). There is no kill in the API: stop() is the crash. */
  async stop(address: string): Promise<void> {
    const node = this.running.get(address);
    if (!node) return;
    this.running.delete(address);
    this.note(`${address} stopping`);
    await node.stop();
    this.note(`${address} stopped`);
  }

  /** Deletes a stopped node's data directory: it can only come back as a new member (join). */
  wipe(address: string): void {
    if (this.running.has(address)) throw new Error(`wipe of running ${address}`);
    rmSync(this.dataDir(address), { recursive: true, force: true });
  }

  /** Stops every node, drops what is in flight and deletes the data directories. */
  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((a) => this.stop(a)));
    this.network.close();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** True once close() removed everything it made. */
  cleaned(): boolean {
    return this.running.size === 0 && !existsSync(this.root);
  }
}
