/**
 * A cluster of real raft-node processes for fault injection: started through the CLI (see
 * test/support/processes.ts), each in its own network namespace when a {@link NetnsLab} is given
 * (so partitions are real), else on loopback. Nodes can be killed, paused, restarted with the same
 * --path, added with --join and removed; `settle()` brings every member back and waits until they
 * all applied the same log.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeStatus } from '../../src/server/status.js';
import { freePort } from '../support/node-cluster.js';
import { RaftProcess, http } from '../support/processes.js';
import type { NetnsLab } from './netns.js';

/** The fast timing and the durability the chaos runs use. */
export const CHAOS_NODE_ARGS = [
  '--heartbeat',
  '50ms',
  '--election-timeout',
  '500ms',
  '--request-timeout',
  '2s',
  '--sync',
  'always',
  '--log-level',
  'info',
  // Snapshots only when the nemesis asks (POST /snapshot); compaction keeps few entries and the
  // WAL has small segments, so a node that was down while one was taken must install it.
  '--snapshot-policy',
  'never',
  '--snapshot-trailing-entries',
  '64',
  '--wal-segment-bytes',
  '8KiB',
];

/** One node of a {@link ChaosCluster}. */
export class ChaosNode {
  /** Removed from the configuration (and its process killed). */
  removed = false;

  constructor(
    readonly index: number,
    readonly proc: RaftProcess,
    readonly joined: boolean,
  ) {}

  get address(): string {
    return this.proc.peerAddress;
  }

  get url(): string {
    return this.proc.url;
  }

  get name(): string {
    return `n${this.index}`;
  }

  /** up | paused | down | removed. */
  get state(): 'up' | 'paused' | 'down' | 'removed' {
    if (this.removed) return 'removed';
    if (!this.proc.running) return 'down';
    return this.proc.paused ? 'paused' : 'up';
  }

  start(): void {
    this.proc.start();
  }

  async status(timeoutMs = 1500): Promise<NodeStatus | undefined> {
    if (!this.proc.running || this.proc.paused) return undefined;
    try {
      const r = await http(`${this.url}/status`, { timeoutMs });
      return r.status === 200 ? r.json<NodeStatus>() : undefined;
    } catch {
      return undefined;
    }
  }
}

export interface ChaosClusterOptions {
  size: number;
  /** Run directory: data in `<dir>/data/n<i>`, logs in `<dir>/logs/n<i>.log`. */
  dir: string;
  lab?: NetnsLab;
  args?: string[];
}

/** What `settle()` found. */
export interface SettleResult {
  ok: boolean;
  ms: number;
  /** The last statuses of the members (by node name). */
  statuses: Record<string, NodeStatus | null>;
  detail: string;
  leader?: ChaosNode;
  members: ChaosNode[];
}

const PEER_PORT = 7000;
const HTTP_PORT = 8000;

export class ChaosCluster {
  readonly nodes: ChaosNode[] = [];
  private readonly args: string[];

  private constructor(private readonly o: ChaosClusterOptions) {
    this.args = o.args ?? CHAOS_NODE_ARGS;
    mkdirSync(join(o.dir, 'data'), { recursive: true });
    mkdirSync(join(o.dir, 'logs'), { recursive: true });
  }

  /** Creates and starts `size` founding members. */
  static async start(o: ChaosClusterOptions): Promise<ChaosCluster> {
    const c = new ChaosCluster(o);
    const places = [];
    for (let i = 0; i < o.size; i++) places.push(await c.place(i));
    const members = places.map((p) => p.peer).join(';');
    for (const [i, p] of places.entries()) {
      const node = c.make(i, p, ['--members', members], false);
      node.start();
    }
    return c;
  }

  get lab(): NetnsLab | undefined {
    return this.o.lab;
  }

  /** Nodes that are members as far as we know (not removed). */
  members(): ChaosNode[] {
    return this.nodes.filter((n) => !n.removed);
  }

  byAddress(address: string): ChaosNode | undefined {
    return this.nodes.find((n) => n.address === address);
  }

  /** HTTP base URLs of the members (down or not: clients do not know). */
  clientUrls(): string[] {
    return this.members().map((n) => n.url);
  }

  /** Starts a new node that joins through the current members (as a voter or non-voting). */
  async join(nonVoting: boolean): Promise<ChaosNode> {
    const index = this.nodes.length;
    const p = await this.place(index);
    const through = this.members().map((n) => n.address).join(';');
    const node = this.make(index, p, ['--members', through, '--join', ...(nonVoting ? ['--non-voting'] : [])], true);
    node.start();
    return node;
  }

  /**
   * The leader: a reachable node that says it leads, with the highest term; its status too.
   * Undefined when there is none right now.
   */
  async leader(): Promise<{ node: ChaosNode; status: NodeStatus } | undefined> {
    const up = this.members().filter((n) => n.state === 'up');
    const statuses = await Promise.all(up.map((n) => n.status()));
    let best: { node: ChaosNode; status: NodeStatus } | undefined;
    for (const [i, s] of statuses.entries()) {
      if (s?.state === 'leader' && (!best || s.term > best.status.term)) best = { node: up[i]!, status: s };
    }
    return best;
  }

  /** Waits up to `timeoutMs` for a leader. */
  async waitLeader(timeoutMs: number): Promise<{ node: ChaosNode; status: NodeStatus } | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = await this.leader();
      if (l || Date.now() > deadline) return l;
      await sleep(100);
    }
  }

  /**
   * Brings the cluster to rest (call with every fault healed and no client running): whatever the
   * leader's configuration lists runs (restarted if needed), whatever it does not is killed; then
   * waits until every member answers, names the same leader and configuration, and applied the
   * same index with the same digest, twice in a row.
   */
  async settle(timeoutMs: number): Promise<SettleResult> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    let detail = 'no leader';
    let last: Record<string, NodeStatus | null> = {};
    let stableSince: string | undefined;
    for (;;) {
      const l = await this.leader();
      if (l) {
        const listed = new Set(l.status.members.map((m) => m.address));
        for (const n of this.nodes) {
          if (listed.has(n.address)) {
            n.removed = false;
            if (n.proc.paused) n.proc.resume();
            if (!n.proc.running) n.start();
          } else if (!n.removed) {
            await n.proc.kill();
            n.removed = true;
          }
        }
        const members = this.members();
        const statuses = await Promise.all(members.map((n) => n.status()));
        last = Object.fromEntries(members.map((n, i) => [n.name, statuses[i] ?? null]));
        const problems: string[] = [];
        const leader = l.status;
        const config = JSON.stringify(leader.members.map((m) => [m.address, m.nonVoting]).sort());
        for (const [i, s] of statuses.entries()) {
          const name = members[i]!.name;
          if (!s) problems.push(`${name} does not answer`);
          else {
            if (s.leader?.address !== leader.address) problems.push(`${name} follows ${s.leader?.address ?? 'nobody'}`);
            if (s.appliedIndex !== leader.commitIndex) problems.push(`${name} applied ${s.appliedIndex} of ${leader.commitIndex}`);
            if (s.digest !== leader.digest) problems.push(`${name} digest ${s.digest} != leader's ${leader.digest}`);
            if (JSON.stringify(s.members.map((m) => [m.address, m.nonVoting]).sort()) !== config) problems.push(`${name} has another configuration`);
          }
        }
        if (leader.appliedIndex !== leader.commitIndex) problems.push(`leader applied ${leader.appliedIndex} of ${leader.commitIndex}`);
        if (problems.length === 0) {
          const fingerprint = `${leader.address}@${leader.term}:${leader.commitIndex}:${leader.digest}`;
          if (stableSince === fingerprint) return { ok: true, ms: Date.now() - started, statuses: last, detail: `leader ${l.node.name}, ${members.length} members at index ${leader.commitIndex}`, leader: l.node, members };
          stableSince = fingerprint;
          await sleep(300);
          continue;
        }
        stableSince = undefined;
        detail = problems.join('; ');
      }
      if (Date.now() > deadline) return { ok: false, ms: Date.now() - started, statuses: last, detail, members: this.members() };
      await sleep(200);
    }
  }

  /** Kills every process (data and logs stay in the run directory). */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.proc.kill()));
    await Promise.all(this.nodes.map((n) => n.proc.closeLog()));
  }

  /** The last lines of every node's output. */
  tails(lines = 15): string {
    return this.nodes.map((n) => `--- ${n.name} ${n.address} (${n.state})\n${n.proc.output.split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  private async place(index: number): Promise<{ peer: string; httpPort: number; httpHost: string; wrap?: string[] }> {
    if (this.o.lab) {
      const host = await this.o.lab.addHost(index);
      return { peer: `${host.ip}:${PEER_PORT}`, httpPort: HTTP_PORT, httpHost: host.ip, wrap: this.o.lab.wrap(index) };
    }
    return { peer: `127.0.0.1:${await freePort()}`, httpPort: await freePort(), httpHost: '127.0.0.1' };
  }

  private make(index: number, p: { peer: string; httpPort: number; httpHost: string; wrap?: string[] }, extra: string[], joined: boolean): ChaosNode {
    // Odd nodes keep one snapshot (compacted right behind it: a node down across one snapshot must
    // install it), even nodes the default two (the log reaches back to the older one).
    const kept = this.args === CHAOS_NODE_ARGS && index % 2 === 1 ? ['--snapshots-kept', '1'] : [];
    const proc = new RaftProcess(p.peer, p.httpPort, join(this.o.dir, 'data', `n${index}`), [...this.args, ...kept, ...extra], {
      httpHost: p.httpHost,
      logFile: join(this.o.dir, 'logs', `n${index}.log`),
      ...(p.wrap ? { wrap: p.wrap } : {}),
    });
    const node = new ChaosNode(index, proc, joined);
    this.nodes.push(node);
    return node;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
