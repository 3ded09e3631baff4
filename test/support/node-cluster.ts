/**
 * A cluster of real Nodes in one process, each with its own temporary data directory, a key-value
 * context and snapshot hooks; over the in-memory transport (with its fault injection) or over the
 * real gRPC transport on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Node, type NodeOptions } from '../../src/node.js';
import { LeadershipTransferError, MembershipChangeError } from '../../src/errors.js';
import { freePort } from './ports.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';

/** The test context: a map, plus the order commands applied in. */
export class Kv {
  data = new Map<string, string>();
  log: string[] = [];
}

export class SetCommand {
  static readonly type = 1;
  constructor(
    readonly key: string,
    readonly value: string,
  ) {}
  do(kv: Kv): string | undefined {
    const old = kv.data.get(this.key);
    kv.data.set(this.key, this.value);
    kv.log.push(`${this.key}=${this.value}`);
    return old;
  }
}

export const kvSnapshot = (kv: Kv) => ({
  async save(w: Writable): Promise<void> {
    const text = JSON.stringify({ data: [...kv.data], log: kv.log });
    await new Promise<void>((resolve, reject) => w.end(text, (err?: Error | null) => (err ? reject(err) : resolve())));
  },
  async recover(r: Readable): Promise<void> {
    let text = '';
    for await (const chunk of r) text += chunk.toString();
    const parsed = JSON.parse(text) as { data: [string, string][]; log: string[] };
    kv.data = new Map(parsed.data);
    kv.log = parsed.log;
  },
});

export { freePort };

/**
 * Gives `node` the kv snapshot hooks with a save that waits for `until` (a promise, or a number
 * of ms) before writing: `saving()` is true from the save's start until the wait ends.
 */
export function slowSave(node: Node<Kv>, until: Promise<void> | number): { saving(): boolean } {
  const plain = kvSnapshot(node.context);
  let saving = false;
  node.setSnapshot({
    async save(w: Writable): Promise<void> {
      saving = true;
      await (typeof until === 'number' ? new Promise((resolve) => setTimeout(resolve, until)) : until);
      saving = false;
      await plain.save(w);
    },
    recover: plain.recover,
  });
  return { saving: () => saving };
}

/**
 * Gives `node` the kv snapshot hooks with a recover that waits `ms` before reading the snapshot:
 * `recovering()` is true from the recover's start until it ends.
 */
export function slowRecover(node: Node<Kv>, ms: number): { recovering(): boolean; recovered(): number } {
  const plain = kvSnapshot(node.context);
  let recovering = false;
  let recovered = 0;
  node.setSnapshot({
    save: plain.save,
    async recover(r: Readable): Promise<void> {
      recovering = true;
      await new Promise((resolve) => setTimeout(resolve, ms));
      await plain.recover(r);
      recovering = false;
      recovered++;
    },
  });
  return { recovering: () => recovering, recovered: () => recovered };
}

/** `leader` applies one more write (after=yes) and `follower` applies it too: it caught up and goes on replicating. */
export async function followerCatchesUp(c: TestCluster, leader: Node<Kv>, follower: Node<Kv>, what = 'the follower to catch up'): Promise<void> {
  await leader.do(new SetCommand('after', 'yes'));
  await c.waitFor(() => follower.context.data.get('after') === 'yes', 5000, what);
}

/** Drops the leader's appends and snapshot chunks: the receiver falls behind. */
const isNotReplication = (m: SeenMessage): boolean => m.type !== 'append' && m.type !== 'snapshot';

/**
 * A started 3-node cluster where one follower stopped hearing the leader's appends while the
 * leader moved on and compacted: it can only catch up through the leader's snapshot, once
 * `unblock()` is called. `onDelivered` sees each batch it receives after that.
 */
export async function followerBehindSnapshot(
  c: TestCluster,
  onDelivered: (messages: SeenMessage[]) => void = () => {},
): Promise<{ leader: Node<Kv>; lagging: Node<Kv>; leaderSnapshot: number; unblock(): void }> {
  await c.startAll();
  const leader = await c.waitLeader();
  const [lagging] = c.addresses.filter((a) => a !== leader.address).map((a) => c.node(a)) as [Node<Kv>];
  await leader.do(new SetCommand('k', 'v0'));
  await c.waitFor(() => lagging.context.data.get('k') === 'v0', 5000, 'k=v0 on the follower');
  let blocked = true;
  interceptReceive(lagging, (from, messages, deliver) => {
    deliver(from, blocked ? messages.filter(isNotReplication) : messages);
    if (!blocked) onDelivered(messages);
  });
  for (let i = 1; i <= 10; i++) await leader.do(new SetCommand('k', `v${i}`));
  const leaderSnapshot = await leader.snapshot();
  if (leader.status().firstIndex <= lagging.status().appliedIndex + 1) throw new Error('the follower could catch up without the snapshot: the test would prove nothing');
  return { leader, lagging, leaderSnapshot, unblock: () => (blocked = false) };
}

/**
 * Starts `c`, stops one follower and has the leader apply 60 writes (s0=0 ... s59=59) and take a
 * snapshot, so that (with a small WAL segment and few trailing entries) the stopped follower can
 * only catch up through it. Returns the leader, the stopped follower's address and the snapshot's index.
 */
export async function snapshotPastStoppedFollower(c: TestCluster): Promise<{ leader: Node<Kv>; lagging: string; at: number }> {
  await c.startAll();
  const leader = await c.waitLeader();
  const lagging = c.addresses.find((a) => a !== leader.address)!;
  await c.stop(lagging);
  for (let i = 0; i < 60; i++) await leader.do(new SetCommand(`s${i}`, `${i}`));
  return { leader, lagging, at: await leader.snapshot() };
}

/**
 * A 3-node cluster for snapshot transfers (small WAL segments, 5 trailing entries, one snapshot
 * kept so that the first one compacts the log, 64-byte chunks) whose nodes log at info into `lines`;
 * `extra` overrides any of these.
 * Its election timeout is 600 ms, not 200: an election under load moved leadership to the member
 * that never compacted, and the lagging one then caught up by appends, not by the snapshot these
 * tests are about (seen with a mutation loop loading the machine).
 */
export function snapshotTransferCluster(extra: Partial<NodeOptions<Kv>> = {}): { c: TestCluster; lines: Array<{ level: string; line: string }> } {
  const lines: Array<{ level: string; line: string }> = [];
  const c = new TestCluster(3, {
    heartbeatMs: 50,
    electionTimeoutMs: 600,
    snapshotTrailingEntries: 5,
    snapshotsKept: 1,
    walSegmentBytes: 1024,
    snapshotChunkBytes: 64,
    logLevel: 'info',
    logger: (level, line) => lines.push({ level, line }),
    ...extra,
  });
  return { c, lines };
}

/** A peer message as a test inspects it. */
export interface SeenMessage {
  type: string;
  done?: boolean;
}

/**
 * Routes every batch of peer messages `node` receives through `intercept`, which passes on what it
 * wants with `deliver` (now or later). Returns `deliver`.
 */
export function interceptReceive(
  node: Node<Kv>,
  intercept: (from: string, messages: SeenMessage[], deliver: (from: string, messages: SeenMessage[]) => void) => void,
): (from: string, messages: SeenMessage[]) => void {
  const inner = node as unknown as { receive: (from: string, messages: SeenMessage[]) => void };
  const deliver = inner.receive.bind(node);
  inner.receive = (from, messages) => intercept(from, messages, deliver);
  return deliver;
}

/**
 * Cuts the entries from index `from` on out of the appends `node` receives (from `leader` only,
 * when given); returns how many appends were cut.
 */
export function holdEntriesFrom(node: Node<Kv>, from: number, leader?: string): () => number {
  let cut = 0;
  interceptReceive(node, (sender, messages, deliver) => {
    type Append = SeenMessage & { entries?: Array<{ index: number }> };
    const shorten = (m: Append): Append => {
      if (m.type !== 'append' || (leader !== undefined && sender !== leader) || !m.entries?.some((e) => e.index >= from)) return m;
      cut++;
      return { ...m, entries: m.entries.filter((e) => e.index < from) };
    };
    deliver(sender, messages.map(shorten));
  });
  return () => cut;
}

/** Which peer transport a TestCluster's nodes use. */
export type TransportKind = 'memory' | 'grpc';

export class TestCluster {
  readonly network = new MemoryNetwork();
  readonly root = mkdtempSync(join(tmpdir(), 'tsraft-cluster-'));
  readonly nodes = new Map<string, Node<Kv>>();
  readonly addresses: string[];
  /** Called on each node before it starts (registerCommand, setCodec: refused once started). */
  configure: ((node: Node<Kv>, address: string) => void) | undefined;

  /** A cluster over the memory transport; see {@link TestCluster.grpc} for one over gRPC. */
  constructor(
    size: number,
    private readonly extra: Partial<NodeOptions<Kv>> = {},
    readonly kind: TransportKind = 'memory',
    addresses?: string[],
  ) {
    this.addresses = addresses ?? Array.from({ length: size }, (_, i) => `n${i + 1}:${9000 + i + 1}`);
  }

  /** A cluster whose nodes talk gRPC on loopback ports chosen now (kept across restarts). */
  static async grpc(size: number, extra: Partial<NodeOptions<Kv>> = {}): Promise<TestCluster> {
    const addresses: string[] = [];
    while (addresses.length < size) {
      const address = `127.0.0.1:${await freePort()}`;
      if (!addresses.includes(address)) addresses.push(address);
    }
    // Lost-peer lines are expected whenever a test stops a node; keep the output for real errors.
    return new TestCluster(size, { logLevel: 'error', ...extra }, 'grpc', addresses);
  }

  /** A new address for a node that will join (a free loopback port over gRPC). */
  async newAddress(): Promise<string> {
    return this.kind === 'grpc' ? `127.0.0.1:${await freePort()}` : `n${this.addresses.length + 1}:${9000 + this.addresses.length + 1}`;
  }

  /** A cluster of `size` nodes over `kind`. */
  static async of(kind: TransportKind, size: number, extra: Partial<NodeOptions<Kv>> = {}): Promise<TestCluster> {
    return kind === 'grpc' ? TestCluster.grpc(size, extra) : new TestCluster(size, extra);
  }

  /** Starts every node at once (concurrently), as after a whole-cluster restart. */
  async startAll(): Promise<void> {
    await Promise.all(this.addresses.map((a) => this.start(a)));
  }

  /** Starts (or restarts) the node at `address` with a fresh context over its data dir. */
  async start(address: string, options: Partial<NodeOptions<Kv>> = {}): Promise<Node<Kv>> {
    const [host, port] = address.split(':') as [string, string];
    const kv = new Kv();
    const node = await Node.create<Kv>({
      host,
      port: Number(port),
      dataDir: join(this.root, address.replace(':', '-')),
      context: kv,
      members: this.addresses.join(';'),
      heartbeatMs: 20,
      electionTimeoutMs: 200,
      requestTimeoutMs: 3000,
      sync: 'none',
      logLevel: 'warn',
      ...(this.kind === 'memory' ? { transport: new MemoryTransport(this.network, { address, logger: { info() {}, warn() {} } }) } : {}),
      ...this.extra,
      ...options,
    });
    node.registerCommand(SetCommand);
    node.setSnapshot(kvSnapshot(kv));
    this.configure?.(node, address);
    await node.start();
    this.nodes.set(address, node);
    return node;
  }

  node(address: string): Node<Kv> {
    const n = this.nodes.get(address);
    if (!n) throw new Error(`no running node ${address}`);
    return n;
  }

  async stop(address: string): Promise<void> {
    await this.nodes.get(address)?.stop();
    this.nodes.delete(address);
  }

  /** Stops every running node at once, as a power cut would. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((a) => this.stop(a)));
  }

  /** Waits until one running node leads and every running node knows it; returns it. */
  async waitLeader(timeoutMs = 5000): Promise<Node<Kv>> {
    return this.waitFor(() => {
      const running = [...this.nodes.values()];
      const leaders = running.filter((n) => n.isLeader());
      if (leaders.length !== 1) return undefined;
      const l = leaders[0]!;
      return running.every((n) => n.leader === l.address) ? l : undefined;
    }, timeoutMs, 'a leader known to every running node');
  }

  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return waitUntil(what, probe, timeoutMs);
  }

  /** Waits until every running node applied the same log (same order of commands). */
  async waitConverged(timeoutMs = 5000): Promise<string[]> {
    return this.waitFor(() => {
      const logs = [...this.nodes.values()].map((n) => n.context.log.join('\n'));
      return logs.every((l) => l === logs[0]) ? [...this.nodes.values()][0]!.context.log : undefined;
    }, timeoutMs, 'all nodes to apply the same commands');
  }

  async close(): Promise<void> {
    for (const a of [...this.nodes.keys()]) await this.stop(a);
    this.network.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A one-member cluster's Node at `address` (fast timing, no fsync), with SetCommand and a snapshot
 * handler, on `network` or over `transport`; not started.
 */
export async function oneMemberNode(network: MemoryNetwork, address: string, dataDir: string, transport?: Transport): Promise<Node<Kv>> {
  const kv = new Kv();
  const node = await Node.create<Kv>({
    port: Number(address.split(':')[1]),
    dataDir,
    context: kv,
    members: address,
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    sync: 'none',
    logLevel: 'silent',
    transport: transport ?? new MemoryTransport(network, { address, logger: { info() {}, warn() {} } }),
  });
  node.registerCommand(SetCommand);
  node.setSnapshot(kvSnapshot(kv));
  return node;
}

/** Polls `probe` every 10 ms until it returns something other than undefined/false. */
export async function waitUntil<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Has `node` hand leadership to `address`, asking again (up to `attempts` times in all) when the
 * leader gives the transfer up. A transfer must finish within one election timeout, counted in the
 * leader's ticks, and on a loaded machine the chain it needs (TimeoutNow, a campaign, votes made
 * durable, the new leader's first append) can take more event-loop turns than that with several
 * nodes on one starved process. Any other error stands. For tests that need leadership moved, not
 * ones that check how long a transfer takes.
 */
export async function transferRetrying(node: Node<Kv>, address: string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const err = await node.transferLeadership(address).catch((e: unknown) => e);
    if (err === undefined) return;
    if (!(err instanceof LeadershipTransferError) || attempt >= attempts) throw err;
  }
}

/** Membership changes go one at a time: retries `change` while another (a promotion, say) is in flight. */
export async function retryInFlight(change: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await change();
    } catch (err) {
      if (!(err instanceof MembershipChangeError) || i > 100) throw err;
      await new Promise((r) => setTimeout(r, 30));
    }
  }
}

/**
 * Runs `body` against the leader of a started one-member TestCluster (`configure` runs on the node
 * before it starts), and closes the cluster whatever `body` does.
 */
export async function withOneMember(
  options: Partial<NodeOptions<Kv>>,
  body: (node: Node<Kv>, c: TestCluster) => Promise<void>,
  configure?: (node: Node<Kv>) => void,
): Promise<void> {
  const c = new TestCluster(1, { logLevel: 'silent', ...options });
  if (configure) c.configure = configure;
  try {
    await c.startAll();
    await body(await c.waitLeader(), c);
  } finally {
    await c.close();
  }
}

/**
 * Runs `body` against a started one-member cluster whose snapshot save is held until `release()`
 * (or until `body` ends): with one write ('a' = '1') applied, so that snapshot() has something to
 * save. While the save is held, entries commit but wait to apply.
 */
export async function withSaveHeld(
  options: Partial<NodeOptions<Kv>>,
  body: (node: Node<Kv>, c: TestCluster, release: () => void) => Promise<void>,
): Promise<void> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await withOneMember(
    options,
    async (node, c) => {
      try {
        await node.do(new SetCommand('a', '1'));
        await body(node, c, release);
      } finally {
        release(); // before the cluster closes: stop() waits for a save in progress
      }
    },
    (n) => void slowSave(n, gate),
  );
}
