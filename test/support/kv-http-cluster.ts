/**
 * raft-node's HTTP API in process, for the server tests: KvHttpServer over Nodes on the memory
 * transport (KvCluster), and raw HTTP requests whose path is sent exactly as given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node, type NodeOptions } from '../../src/node.js';
import { KvStore, installKv } from '../../src/kv/index.js';
import { KvHttpServer, type KvHttpServerOptions } from '../../src/server/http.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { waitUntil } from './node-cluster.js';

export { waitUntil };

/** One member: its node and HTTP server. */
export interface Member {
  address: string;
  node: Node<KvStore>;
  http: KvHttpServer;
  url: string;
}

/** Members on one memory network, each with its HTTP API on a loopback port. */
export class KvCluster {
  readonly network = new MemoryNetwork();
  readonly root = mkdtempSync(join(tmpdir(), 'tsraft-kv-http-'));
  readonly members = new Map<string, Member>();
  readonly addresses: string[];
  /** Options of the members' HTTP servers started from now on (set before startNode). */
  httpOptions: Partial<KvHttpServerOptions> = {};

  constructor(
    size: number,
    private readonly extra: Partial<NodeOptions<KvStore>> = {},
    private readonly maxValueBytes?: number,
  ) {
    this.addresses = Array.from({ length: size }, (_, i) => `n${i + 1}:${9100 + i + 1}`);
  }

  static async start(size: number, extra: Partial<NodeOptions<KvStore>> = {}, maxValueBytes?: number): Promise<KvCluster> {
    const c = new KvCluster(size, extra, maxValueBytes);
    await Promise.all(c.addresses.map((a) => c.startNode(a)));
    return c;
  }

  async startNode(address: string, options: Partial<NodeOptions<KvStore>> = {}): Promise<Member> {
    const [host, port] = address.split(':') as [string, string];
    const node = await Node.create<KvStore>({
      host,
      port: Number(port),
      dataDir: join(this.root, address.replace(':', '-')),
      context: new KvStore(),
      members: this.addresses.join(';'),
      heartbeatMs: 20,
      electionTimeoutMs: 200,
      requestTimeoutMs: 3000,
      sync: 'none',
      logLevel: 'error',
      transport: new MemoryTransport(this.network, { address, logger: { info() {}, warn() {} } }),
      ...this.extra,
      ...options,
    });
    installKv(node);
    const http = new KvHttpServer(node, { host: '127.0.0.1', port: 0, ...(this.maxValueBytes ? { maxValueBytes: this.maxValueBytes } : {}), ...this.httpOptions });
    await http.start();
    node.setNodeMeta(http.address);
    await node.start();
    const m = { address, node, http, url: `http://${http.address}` };
    this.members.set(address, m);
    return m;
  }

  async stopNode(address: string): Promise<void> {
    const m = this.members.get(address);
    if (!m) return;
    this.members.delete(address);
    await m.http.stop();
    await m.node.stop();
  }

  async waitLeader(timeoutMs = 5000): Promise<Member> {
    return waitUntil('a leader known to every member', () => {
      const all = [...this.members.values()];
      const leaders = all.filter((m) => m.node.isLeader());
      if (leaders.length !== 1) return undefined;
      return all.every((m) => m.node.leader === leaders[0]!.address) ? leaders[0] : undefined;
    }, timeoutMs);
  }

  async close(): Promise<void> {
    for (const a of [...this.members.keys()]) await this.stopNode(a);
    this.network.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** An HTTP answer. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** One request over node:http, with `path` sent exactly as given (no normalisation, raw bytes allowed). */
export function raw(url: string, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers: { ...headers }, timeout: 10_000, insecureHTTPParser: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: b, text: b.toString('utf8') });
      });
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** A raw TCP connection to a member's HTTP port, collecting what the server sends (as latin1 text). */
export interface RawConnection {
  readonly socket: Socket;
  /** Resolves once connected. */
  readonly connected: Promise<void>;
  /** Everything read so far. */
  text(): string;
  /** Whether the connection has closed. */
  closed(): boolean;
}

/** Opens a {@link RawConnection} to the server of `url`. */
export function rawConnection(url: string): RawConnection {
  const u = new URL(url);
  let text = '';
  let closed = false;
  const socket = connect(Number(u.port), u.hostname);
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, connected, text: () => text, closed: () => closed };
}

/**
 * Writes `data` as it is (several pipelined requests, bytes that do not parse) on a fresh
 * connection; resolves with everything read until the server closes it or `waitMs` passes, and
 * whether it closed.
 */
export function rawExchangeClosing(url: string, data: string, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  const c = rawConnection(url);
  void c.connected.then(() => c.socket.write(data));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      c.socket.destroy();
      resolve({ text: c.text(), closed: false });
    }, waitMs);
    c.socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: c.text(), closed: true });
    });
  });
}

/** {@link rawExchangeClosing}, for what was read. */
export async function rawExchange(url: string, data: string, waitMs = 3000): Promise<string> {
  return (await rawExchangeClosing(url, data, waitMs)).text;
}
