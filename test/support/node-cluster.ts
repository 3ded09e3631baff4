/**
 * A cluster of real Nodes in one process over the in-memory transport (with its fault injection),
 * each with its own temporary data directory, a key-value context and snapshot hooks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Node, type NodeOptions } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';

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

export class TestCluster {
  readonly network = new MemoryNetwork();
  readonly root = mkdtempSync(join(tmpdir(), 'tsraft-cluster-'));
  readonly nodes = new Map<string, Node<Kv>>();
  readonly addresses: string[];

  constructor(
    size: number,
    private readonly extra: Partial<NodeOptions<Kv>> = {},
  ) {
    this.addresses = Array.from({ length: size }, (_, i) => `n${i + 1}:${9000 + i + 1}`);
  }

  async startAll(): Promise<void> {
    for (const a of this.addresses) await this.start(a);
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
      transport: new MemoryTransport(this.network, { address, logger: { info() {}, warn() {} } }),
      ...this.extra,
      ...options,
    });
    node.registerCommand(SetCommand);
    node.setSnapshot(kvSnapshot(kv));
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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
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
