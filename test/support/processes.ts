/**
 * Real raft-node processes for tests: spawn on free loopback ports in temporary data dirs, kill
 * -9, restart with the same --path, and an HTTP client. Every process is killed when the cluster
 * closes (and on test-process exit), so a failing test leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './node-cluster.js';
import type { NodeStatus } from '../../src/server/status.js';
import { withOverrides } from '../../cmd/flags.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'cmd/raft-node.ts');
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Runs raft-node with `args` and resolves with its exit code and output (for flag tests). */
export function runRaftNode(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** An HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** A fetch that never throws on HTTP errors; network errors reject. */
export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<HttpAnswer> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
    text = await res.text();
  } catch (err) {
    // fetch's own message is only "fetch failed": name the request and the socket-level cause.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${init.method ?? 'GET'} ${url}: ${(err as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`, { cause: err });
  }
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** Options of a {@link RaftProcess} beyond its addresses. */
export interface RaftProcessOptions {
  /** Host clients use for the HTTP API (default 127.0.0.1). */
  httpHost?: string;
  /** A command the node runs under, e.g. `['ip', 'netns', 'exec', 'ns1']` (it must exec, so the pid stays the node's). */
  wrap?: string[];
  /** Append stdout + stderr here as well; then `output` keeps only the last 64 KiB. */
  logFile?: string;
}

/** One raft-node process of a {@link ProcessCluster}. */
export class RaftProcess {
  child: ChildProcess | undefined;
  /** stdout + stderr of every run, for failure messages. */
  output = '';
  /** Whether the process was stopped with SIGSTOP (see `pause`). */
  paused = false;
  private log: WriteStream | undefined;

  constructor(
    readonly peerAddress: string,
    readonly httpPort: number,
    readonly path: string,
    private readonly args: string[],
    private readonly options: RaftProcessOptions = {},
  ) {}

  get url(): string {
    return `http://${this.options.httpHost ?? '127.0.0.1'}:${this.httpPort}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process (again, with the same --path). */
  start(extraArgs: string[] = []): void {
    const [host, port] = this.peerAddress.split(':') as [string, string];
    const args = withOverrides(['--host', host, '--port', port, '--http-port', String(this.httpPort), '--path', this.path, ...this.args], extraArgs);
    const argv = [process.execPath, '--import', 'tsx', ENTRY, ...args];
    const [cmd, ...rest] = [...(this.options.wrap ?? []), ...argv] as [string, ...string[]];
    const child = spawn(cmd, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    child.on('exit', () => live.delete(child));
    if (this.options.logFile) this.log ??= createWriteStream(this.options.logFile, { flags: 'a' });
    const onData = (d: Buffer): void => {
      this.output += d;
      if (this.log) {
        this.log.write(d);
        if (this.output.length > 128 * 1024) this.output = this.output.slice(-64 * 1024);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.child = child;
    this.paused = false;
  }

  /** kill -9 (also of a paused process). */
  kill(): Promise<void> {
    return this.signal('SIGKILL').then(() => {
      this.paused = false;
    });
  }

  /** SIGSTOP: the process freezes with its sockets open. */
  pause(): void {
    if (!this.running || this.paused) return;
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    if (!this.running || !this.paused) return;
    this.child!.kill('SIGCONT');
    this.paused = false;
  }

  /** Closes the log file (after the process exited). */
  async closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
  }

  /** Sends `signal` and waits for the exit; resolves with the exit code. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** GET /status, or undefined when the node does not answer. */
  async status(): Promise<NodeStatus | undefined> {
    try {
      const r = await http(`${this.url}/status`, { timeoutMs: 2000 });
      return r.status === 200 ? r.json<NodeStatus>() : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Polls `probe` every 50 ms until it returns something other than undefined/false. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A cluster of raft-node processes on loopback, in a temporary directory. */
export class ProcessCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'tsraft-proc-'));
  readonly nodes: RaftProcess[] = [];

  private constructor(private readonly common: string[]) {}

  /**
   * Allocates ports for `size` members (`nonVoting` marks some of them `,true`) and starts them.
   * Fast timing by default (50 ms heartbeats, 500 ms election timeout) so tests stay short.
   * `beforeStart` runs for each member before its first spawn (to mount a file system at its path, say).
   */
  static async start(size: number, options: { nonVoting?: number[]; args?: string[]; beforeStart?: (node: RaftProcess) => void } = {}): Promise<ProcessCluster> {
    const c = new ProcessCluster(withOverrides(['--heartbeat', '50ms', '--election-timeout', '500ms', '--log-level', 'warn'], options.args ?? []));
    const peers: string[] = [];
    for (let i = 0; i < size; i++) peers.push(`127.0.0.1:${await freePort()}`);
    const members = peers.map((p, i) => (options.nonVoting?.includes(i) ? `${p},true` : p)).join(';');
    for (const peer of peers) {
      const node = new RaftProcess(peer, await freePort(), join(c.root, peer.replace(':', '-')), [...c.common, '--members', members]);
      c.nodes.push(node);
      options.beforeStart?.(node);
      node.start();
    }
    return c;
  }

  /** A new member that joins through the current ones (not started). */
  async joiner(extra: string[] = []): Promise<RaftProcess> {
    const peer = `127.0.0.1:${await freePort()}`;
    const members = this.nodes.map((n) => n.peerAddress).join(';');
    const node = new RaftProcess(peer, await freePort(), join(this.root, peer.replace(':', '-')), [...this.common, '--members', members, '--join', ...extra]);
    this.nodes.push(node);
    return node;
  }

  /** Waits until a running node leads and every running node's /status names it; returns it. */
  async waitLeader(timeoutMs = 20_000): Promise<RaftProcess> {
    return waitFor(
      'a leader known to every running node',
      async () => {
        const running = this.nodes.filter((n) => n.running);
        const statuses = await Promise.all(running.map((n) => n.status()));
        if (statuses.some((s) => !s)) return undefined;
        const leaders = statuses.filter((s) => s!.state === 'leader');
        if (leaders.length !== 1) return undefined;
        const leader = leaders[0]!.address;
        if (!statuses.every((s) => s!.leader?.address === leader)) return undefined;
        return running.find((n) => n.peerAddress === leader);
      },
      timeoutMs,
    );
  }

  /** Kills every process and deletes the data (unless `keep`). */
  async close(keep = false): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    if (!keep) rmSync(this.root, { recursive: true, force: true });
  }

  /** The output of every node, for a failure message. */
  logs(): string {
    return this.nodes.map((n) => `--- ${n.peerAddress}\n${n.output}`).join('\n');
  }
}
