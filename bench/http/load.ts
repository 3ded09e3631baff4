/**
 * One benchmark point: autocannon (as a library) drives a workload against a system for a fixed
 * time at a number of connections; the result has QPS, latency percentiles, errors and non-2xx,
 * and each process's RSS and CPU over the run.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { cpuSecondsOf } from './quiet.js';
import { machineTicks, mainThreadCpuSeconds, processUsage, type Endpoint, type System } from './systems.js';

export type Workload = 'write' | 'index' | 'lease' | 'local';

/** The keys the reads use: written before the read workloads so reads find them (2xx). */
export const READ_KEYS: readonly string[] = Array.from({ length: 1024 }, () => randomBytes(4).toString('hex'));
const VALUE_BYTES = 32;

/** One measured point. */
export interface PointResult {
  system: string;
  workload: Workload;
  connections: number;
  pipelining: number;
  durationSeconds: number;
  qps: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  ok2xx: number;
  processes: Array<{ label: string; rssMiB: number; cpuPercent: number }>;
  /** Share of the machine's CPU time the hypervisor stole during the point, in percent. */
  stealPercent: number;
  /** CPU the other systems' processes used during the point, in percent of one core. */
  othersCpuPercent: number;
  /** CPU the load generator's thread (autocannon, in the bench process) used, in percent of one core. */
  generatorCpuPercent?: number;
  /** Share of the machine's CPU time nobody used during the point (idle and I/O wait), in percent. */
  idlePercent?: number;
  /** With `--rounds N` (N > 1): every round's QPS and p99, in round order (the point reports its median-QPS round). */
  rounds?: Array<{ qps: number; p99: number }>;
  /** The workload block a point of the limit server's one read ran in (it runs in every read block). */
  block?: Workload;
  /** What went wrong with the system during the point (see System.problem): the point does not count. */
  problem?: string;
}

/** Requests of each workload that every connection cycles through (see {@link requestPool}). */
const POOL_SIZE = 1024;

type PooledRequest = { method: string; path: string; body?: string; headers?: Record<string, string> };

/**
 * The requests of a workload, built once: writes with random 4-byte keys and 32-byte values, reads
 * of READ_KEYS. Every connection goes through the same list from its start (so at 256 connections
 * the connections write the same 1,024 keys in about the same order); the same for every system. autocannon serialises a static request list once per connection and then only
 * copies buffers, where a per-request `setupRequest` rebuilds every request and held the load
 * generator to ~22k requests/s on one core — below what the servers under test answer, so the
 * generator, not the system, set the figures.
 */
function requestPool(endpoint: Endpoint, workload: Workload): PooledRequest[] {
  if (workload === 'write') {
    return Array.from({ length: POOL_SIZE }, () => endpoint.write(randomBytes(4).toString('hex'), randomBytes(VALUE_BYTES / 2).toString('hex')));
  }
  return Array.from({ length: POOL_SIZE }, (_, i) => endpoint.read(READ_KEYS[i % READ_KEYS.length]!, workload));
}

/** Writes READ_KEYS with a few parallel requests. */
export async function preload(endpoint: Endpoint): Promise<void> {
  const queue = [...READ_KEYS];
  const worker = async (): Promise<void> => {
    for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
      const r = endpoint.write(key, 'v'.repeat(VALUE_BYTES));
      const res = await fetch(endpoint.url + r.path, { method: r.method, body: r.body, ...(r.headers ? { headers: r.headers } : {}) });
      if (!res.ok) throw new Error(`preload ${key}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** Runs one point. */
export async function runPoint(
  system: System,
  workload: Workload,
  connections: number,
  pipelining: number,
  durationSeconds: number,
  others: readonly System[] = [],
): Promise<PointResult> {
  const pool = requestPool(system.endpoint, workload);
  const before = system.pids().map((p) => ({ ...p, usage: processUsage(p.pid) }));
  const othersBefore = cpuSecondsOf(others);
  const machineBefore = machineTicks();
  const generatorBefore = mainThreadCpuSeconds();
  const started = performance.now();
  const result = await autocannon({
    url: system.endpoint.url,
    connections,
    pipelining,
    duration: durationSeconds,
    timeout: 10,
    requests: pool.map((r) => ({ method: r.method as 'GET', path: r.path, ...(r.body === undefined ? {} : { body: r.body }), headers: { ...r.headers } })),
  });
  const elapsed = (performance.now() - started) / 1000;
  const problem = await system.problem().catch((err: Error) => `could not check the system after the point: ${err.message}`);
  const othersCpuPercent = ((cpuSecondsOf(others) - othersBefore) / elapsed) * 100;
  const machineAfter = machineTicks();
  const generatorAfter = mainThreadCpuSeconds();
  const machineShare = (part: 'steal' | 'idle'): number =>
    machineBefore && machineAfter && machineAfter.total > machineBefore.total ? ((machineAfter[part] - machineBefore[part]) / (machineAfter.total - machineBefore.total)) * 100 : 0;
  const stealPercent = machineShare('steal');
  const processes = before.map((b) => {
    const after = processUsage(b.pid);
    return {
      label: b.label,
      rssMiB: after ? after.rss / (1024 * 1024) : 0,
      cpuPercent: after && b.usage ? ((after.cpuSeconds - b.usage.cpuSeconds) / elapsed) * 100 : 0,
    };
  });
  return {
    system: system.name,
    workload,
    connections,
    pipelining,
    durationSeconds,
    qps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    ok2xx: result['2xx'],
    processes,
    stealPercent,
    othersCpuPercent,
    ...(generatorBefore !== undefined && generatorAfter !== undefined ? { generatorCpuPercent: ((generatorAfter - generatorBefore) / elapsed) * 100 } : {}),
    idlePercent: machineShare('idle'),
    ...(problem === undefined ? {} : { problem }),
  };
}
