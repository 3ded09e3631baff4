/**
 * The systems the HTTP benchmark loads, each behind one interface: a tsraft cluster (three
 * `raft-node` processes from dist/), a three-member etcd on loopback (Debian's etcd-server,
 * through its JSON gateway), and the machine's limit (a plain Node HTTP server doing the same
 * PUT/GET into a Map, no consensus).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withOverrides } from '../../cmd/flags.js';
import { freePort } from '../../test/support/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a workload reaches a system: the HTTP request for a write, and a read of each kind. */
export interface Endpoint {
  /** Base URL of the node the load goes to (the leader). */
  url: string;
  write(key: string, value: string): { method: 'PUT' | 'POST'; path: string; body: string; headers?: Record<string, string> };
  read(key: string, kind: 'index' | 'lease' | 'local'): { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> };
}

/** A running system under test. */
export interface System {
  name: string;
  endpoint: Endpoint;
  /** Process ids whose RSS and CPU are reported, and where a process serves Prometheus metrics (tsraft). */
  pids(): Array<{ label: string; pid: number; metricsUrl?: string }>;
  /**
   * What went wrong with the system during a point, checked after it: a process that exited, or
   * leadership that moved away from the node the load goes to (the point would then have measured
   * forwarded writes or another node's reads). Undefined when it stayed whole.
   */
  problem(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** The first of `children` that exited, named with its label. */
function exited(children: readonly ChildProcess[], label: (i: number) => string): string | undefined {
  const i = children.findIndex((c) => c.exitCode !== null || c.signalCode !== null);
  return i < 0 ? undefined : `${label(i)} exited (${children[i]!.exitCode ?? children[i]!.signalCode})`;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kill(children: ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const force = setTimeout(() => c.kill('SIGKILL'), 10_000);
          c.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

function logTail(children: Map<ChildProcess, string[]>, child: ChildProcess): string {
  return (children.get(child) ?? []).slice(-20).join('');
}

/** Spawns `cmd` keeping the last lines of its output for error messages. */
function spawnLogged(cmd: string, args: string[], logs: Map<ChildProcess, string[]>): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  logs.set(child, lines);
  const keep = (d: Buffer): void => {
    lines.push(d.toString());
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

/**
 * Starts three raft-node processes from dist/ (`nodeArgs` go to node itself, e.g. --cpu-prof) and
 * waits for a leader known to all. `checkout` runs another built checkout's dist/ instead (an A/B
 * of two builds: bench/ab.ts).
 */
export async function startTsraft(options: { sync: 'always' | 'none'; extraArgs?: string[]; nodeArgs?: string[]; checkout?: string }): Promise<System> {
  const entry = join(options.checkout ?? ROOT, 'dist/cmd/raft-node.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: build that checkout first (npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-bench-'));
  const peers = [await freePort(), await freePort(), await freePort()];
  const https = [await freePort(), await freePort(), await freePort()];
  const members = peers.map((p) => `127.0.0.1:${p}`).join(';');
  const logs = new Map<ChildProcess, string[]>();
  const children = peers.map((p, i) =>
    spawnLogged(
      process.execPath,
      [...(options.nodeArgs ?? []), entry, ...withOverrides(['--host', '127.0.0.1', '--port', String(p), '--http-port', String(https[i]), '--members', members, '--path', join(dir, String(p)), '--sync', options.sync, '--log-level', 'warn'], options.extraArgs ?? [])],
      logs,
    ),
  );
  const stop = async (): Promise<void> => {
    await kill(children);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const leaderHttp = await waitFor('a tsraft leader', async () => {
      for (const port of https) {
        const r = await fetch(`http://127.0.0.1:${port}/status`);
        const s = (await r.json()) as { state: string; leader: { httpAddress: string | null } | null };
        if (s.state === 'leader') return `http://127.0.0.1:${port}`;
      }
      return undefined;
    });
    // Every member knows the leader before the load starts.
    await waitFor('every member to know the leader', async () => {
      const all = await Promise.all(https.map(async (port) => ((await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { leader: unknown }).leader));
      return all.every((l) => l) ? true : undefined;
    });
    const leaderTerm = ((await (await fetch(`${leaderHttp}/status`)).json()) as { term: number }).term;
    return {
      name: 'tsraft',
      endpoint: {
        url: leaderHttp,
        write: (key, value) => ({ method: 'PUT', path: `/kv/${key}`, body: value }),
        read: (key, kind) => ({ method: 'GET', path: `/kv/${key}?consistency=${kind}` }),
      },
      pids: () =>
        children.map((c, i) => ({
          label: `node${i + 1}${`http://127.0.0.1:${https[i]}` === leaderHttp ? ' (leader)' : ''}`,
          pid: c.pid!,
          metricsUrl: `http://127.0.0.1:${https[i]}/metrics`,
        })),
      problem: async () => {
        const gone = exited(children, (i) => `node${i + 1}`);
        if (gone) return gone;
        const s = (await (await fetch(`${leaderHttp}/status`)).json()) as { state: string; term: number };
        if (s.state !== 'leader' || s.term !== leaderTerm) return `leadership moved: the loaded node is ${s.state} in term ${s.term}, was leader in term ${leaderTerm}`;
        return undefined;
      },
      stop,
    };
  } catch (err) {
    const tails = children.map((c) => logTail(logs, c)).join('\n---\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
}

/** Whether an `etcd` binary is on the PATH (Debian package etcd-server). */
export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function etcdStatus(port: number): Promise<{ header?: { member_id?: string }; leader?: string }> {
  const r = await fetch(`http://127.0.0.1:${port}/v3/maintenance/status`, { method: 'POST', body: '{}' });
  return (await r.json()) as { header?: { member_id?: string }; leader?: string };
}

/** `etcd --version`'s first line (recorded with the results), or undefined without etcd. */
export function etcdVersion(): string | undefined {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0]?.trim() : undefined;
}

/** Starts a three-member etcd on loopback (fsync on, etcd's default) and finds its leader. */
export async function startEtcd(): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-bench-'));
  const clientPorts = [await freePort(), await freePort(), await freePort()];
  const peerPorts = [await freePort(), await freePort(), await freePort()];
  const names = ['e1', 'e2', 'e3'];
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${peerPorts[i]}`).join(',');
  const logs = new Map<ChildProcess, string[]>();
  const children = names.map((name, i) =>
    spawnLogged(
      'etcd',
      [
        '--name', name,
        '--data-dir', join(dir, name),
        '--listen-client-urls', `http://127.0.0.1:${clientPorts[i]}`,
        '--advertise-client-urls', `http://127.0.0.1:${clientPorts[i]}`,
        '--listen-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'tsraft-bench',
        '--log-level', 'error',
        '--logger', 'zap',
      ],
      logs,
    ),
  );
  const stop = async (): Promise<void> => {
    await kill(children);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const leaderIndex = await waitFor('an etcd leader', async () => {
      for (const [i, port] of clientPorts.entries()) {
        const s = await etcdStatus(port);
        if (s.leader && s.leader !== '0' && s.header?.member_id === s.leader) return i;
      }
      return undefined;
    });
    const leaderId = (await etcdStatus(clientPorts[leaderIndex]!)).leader;
    const url = `http://127.0.0.1:${clientPorts[leaderIndex]}`;
    const json = { 'content-type': 'application/json' };
    return {
      name: 'etcd',
      endpoint: {
        url,
        write: (key, value) => ({ method: 'POST', path: '/v3/kv/put', body: JSON.stringify({ key: b64(key), value: b64(value) }), headers: json }),
        read: (key, kind) => ({
          method: 'POST',
          path: '/v3/kv/range',
          // etcd has no lease read; its linearizable read is ReadIndex. "local" = serializable.
          body: JSON.stringify(kind === 'local' ? { key: b64(key), serializable: true } : { key: b64(key) }),
          headers: json,
        }),
      },
      pids: () => children.map((c, i) => ({ label: `${names[i]}${i === leaderIndex ? ' (leader)' : ''}`, pid: c.pid! })),
      problem: async () => {
        const gone = exited(children, (i) => names[i]!);
        if (gone) return gone;
        const s = await etcdStatus(clientPorts[leaderIndex]!);
        if (s.leader !== leaderId) return `leadership moved: etcd's leader is ${s.leader}, was ${leaderId} (${names[leaderIndex]})`;
        return undefined;
      },
      stop,
    };
  } catch (err) {
    const tails = children.map((c) => logTail(logs, c)).join('\n---\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
}

/** The machine's limit: `bench/http/limit-server.mjs` in its own process (PUT/GET into a Map). */
export async function startLimit(): Promise<System> {
  const port = await freePort();
  const logs = new Map<ChildProcess, string[]>();
  const child = spawnLogged(process.execPath, [join(ROOT, 'bench/http/limit-server.mjs'), String(port)], logs);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the limit server', async () => ((await fetch(`${url}/kv/probe`, { method: 'PUT', body: 'x' })).ok ? true : undefined));
  } catch (err) {
    await kill([child]);
    throw new Error(`${(err as Error).message}\n${logTail(logs, child)}`);
  }
  return {
    name: 'limit',
    endpoint: {
      url,
      write: (key, value) => ({ method: 'PUT', path: `/kv/${key}`, body: value }),
      read: (key) => ({ method: 'GET', path: `/kv/${key}` }),
    },
    pids: () => [{ label: 'server', pid: child.pid! }],
    problem: async () => exited([child], () => 'the limit server'),
    stop: () => kill([child]),
  };
}

/** Cumulative CPU seconds (user + system) from a /proc `stat` file (of a process or one thread). */
function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15 of stat)
}

/**
 * Cumulative CPU seconds of this process's main thread: the load generator's (autocannon runs in
 * it, single-threaded), without V8's helper threads.
 */
export function mainThreadCpuSeconds(): number | undefined {
  try {
    return statCpuSeconds(`/proc/${process.pid}/task/${process.pid}/stat`);
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes and cumulative CPU seconds (user + system) of a process, from /proc. */
export function processUsage(pid: number): { rss: number; cpuSeconds: number } | undefined {
  try {
    const cpuSeconds = statCpuSeconds(`/proc/${pid}/stat`);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { rss: rssKb * 1024, cpuSeconds };
  } catch {
    return undefined;
  }
}

/**
 * Cumulative CPU time of the whole machine from /proc/stat, in ticks: all of it, the part the
 * hypervisor gave to other guests (steal), and the part no process wanted (idle and I/O wait). On
 * a shared VM steal swings from a few percent to half the CPU between minutes, so each point
 * reports it: compare points only at similar steal. Idle time during a point says the machine was
 * not the bottleneck — something waited (see the load generator's CPU).
 */
export function machineTicks(): { total: number; steal: number; idle: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0, idle: (fields[3] ?? 0) + (fields[4] ?? 0) };
  } catch {
    return undefined;
  }
}
