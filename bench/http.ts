// `npm run bench`: HTTP benchmark of a 3-node raft-node cluster (separate processes, --sync
// always) with autocannon: writes (PUT, random 4-byte keys, 32-byte values), ReadIndex reads,
// LeaseReads and local reads, at 1, 64 and 256 connections; in the same run the machine's limit (a
// plain Node HTTP server into a Map, its reads measured in every read block) and, with --vs etcd,
// a 3-member etcd through its JSON gateway. All systems run at once and the points are interleaved
// (each workload and connection count on every system back to back, in the opposite order every
// other round), and each point reports the CPU time the hypervisor stole during it. After each
// point every system is checked: a process that exited or a leader that moved fails the point.
// Prints a table, writes JSON, markdown and SVG charts to bench/results/. Any error or non-2xx is
// reported loudly and makes the exit status 1: a fast but failing run does not count.
//
// Usage: npm run bench -- [--vs etcd] [--connections 1,64,256] [--pipelining 1] [--duration 10]
//                         [--workloads write,index,lease,local] [--out bench/results] [--rounds 1]
//          (--rounds N: run the interleaved sequence N times; each point reports its median-QPS round)
//          (--warmup S, default 20: before measuring, every system runs each of its workloads at
//           the largest connection count for S split over the most workloads any system runs, the
//           same per workload for all; those figures are discarded)
//        npm run bench -- --soak 300 [--soak-keys 100000] [--connections 64]
//          (RSS of each node over a long write run to a fixed key space)
//        add --profile DIR to write a V8 CPU profile of every raft-node (node --cpu-prof) to DIR
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { failed, markdownTable, roundsTable, writeResults } from './http/report.js';
import { preload, runPoint, type PointResult, type Workload } from './http/load.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { soak, soakSummary } from './http/soak.js';
import { waitUntilQuiet } from './http/quiet.js';
import { etcdAvailable, etcdVersion, startEtcd, startLimit, startTsraft, type System } from './http/systems.js';

const { values } = parseArgs({
  options: {
    vs: { type: 'string' },
    connections: { type: 'string', default: '1,64,256' },
    pipelining: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10' },
    workloads: { type: 'string', default: 'write,index,lease,local' },
    sync: { type: 'string', default: 'always' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
    soak: { type: 'string' },
    'soak-keys': { type: 'string', default: '100000' },
    profile: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '20' },
  },
});

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}
const connections = values.connections.split(',').map(Number);
if (connections.some((c) => !Number.isInteger(c) || c < 1)) fail(`--connections: expected a list of positive integers, got ${values.connections}`);
const pipelining = Number(values.pipelining);
if (!Number.isInteger(pipelining) || pipelining < 1) fail(`--pipelining: expected a positive integer, got ${values.pipelining}`);
const duration = Number(values.duration);
if (!(duration > 0)) fail(`--duration: expected seconds > 0, got ${values.duration}`);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds: expected a positive integer, got ${values.rounds}`);
const warmupSeconds = Number(values.warmup);
if (!(warmupSeconds >= 0)) fail(`--warmup: expected seconds >= 0, got ${values.warmup}`);
const workloads = values.workloads.split(',') as Workload[];
for (const w of workloads) if (!['write', 'index', 'lease', 'local'].includes(w)) fail(`--workloads: unknown workload ${w}`);
if (values.vs !== undefined && values.vs !== 'etcd') fail(`--vs: only "etcd" is supported, got ${values.vs}`);
if (values.sync !== 'always' && values.sync !== 'none') fail(`--sync: always or none, got ${values.sync}`);
const nodeArgs = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
if (values.vs === 'etcd' && !etcdAvailable()) fail('--vs etcd: no etcd binary on the PATH (Debian: apt-get install etcd-server)');

/**
 * What `system` runs in the block of `workload`: tsraft every workload; etcd all but LeaseRead
 * (it has none); the limit server writes, and its one read path ("local" stands for every read)
 * in every read block, so each read is compared with the limit measured next to it, not minutes
 * apart (the VM's limit swings between minutes).
 */
function workloadOf(system: string, workload: Workload): Workload | undefined {
  if (system === 'tsraft') return workload;
  if (system === 'etcd') return workload === 'lease' ? undefined : workload;
  return workload === 'write' ? 'write' : 'local';
}

/** A point's identity across rounds. */
const pointKey = (r: PointResult): string => `${r.system}|${r.workload}|${r.block ?? ''}|${r.connections}`;

/**
 * Runs every point, interleaved: for each workload and connection count, each system in turn,
 * back to back. All systems run from the start, so a slow minute of the shared VM hits the
 * systems compared in a row alike instead of whichever ran then. Before each point the bench waits
 * until every system is idle (see {@link waitUntilQuiet}): right after its write points etcd keeps
 * a core busy for seconds, and without the wait that work landed on the next system's point. Each
 * point also reports the CPU the other systems used during it.
 */
async function measureInterleaved(systems: readonly System[], round: number): Promise<PointResult[]> {
  const out: PointResult[] = [];
  // Every other round in the opposite order, so that no system always goes first in its block.
  const order = round % 2 === 1 ? systems : [...systems].reverse();
  for (const workload of workloads) {
    for (const c of connections) {
      for (const system of order) {
        const w = workloadOf(system.name, workload);
        if (w === undefined) continue;
        const settle = await waitUntilQuiet(systems);
        if (!settle.quiet) console.log(`!!! the systems still used more than 15 % of a core after ${settle.waited.toFixed(0)} s; measuring ${system.name} anyway`);
        const others = systems.filter((s) => s !== system);
        const r = await runPoint(system, w, c, pipelining, duration, others);
        if (w !== workload) r.block = workload;
        console.log(
          `${system.name.padEnd(6)} ${w.padEnd(5)} c=${String(c).padEnd(3)} ${Math.round(r.qps).toString().padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  steal ${r.stealPercent.toFixed(0)}%  idle ${(r.idlePercent ?? 0).toFixed(0)}%  generator ${(r.generatorCpuPercent ?? 0).toFixed(0)}%  others ${r.othersCpuPercent.toFixed(0)}% cpu  (settled ${settle.waited.toFixed(1)} s)` +
            (failed(r) ? `  !!! ${failure(r)}` : ''),
        );
        out.push(r);
      }
    }
  }
  return out;
}

/**
 * Puts `system` through each of its workloads at the largest connection count before anything is
 * measured, and discards the figures. A fresh Node process runs its hot paths in the interpreter
 * and baseline tiers for its first tens of thousands of requests (a fresh cluster answered one
 * connection's writes 30-40 % slower in its first 10 s than after 40 s); a server in service is
 * warm, and etcd's Go binary has no such phase, so measuring cold would compare start-up, not
 * steady state. Every system gets the same warm-up. Errors during it are reported, not hidden.
 */
async function warmUp(system: System, seconds: number): Promise<void> {
  if (seconds === 0) return;
  for (const w of ownWorkloads(system)) {
    const r = await runPoint(system, w, Math.max(...connections), pipelining, seconds);
    console.log(`warm-up ${system.name} ${w} ${seconds.toFixed(0)} s: ${Math.round(r.qps)} req/s` + (failed(r) ? `  !!! ${failure(r)}` : ''));
  }
}

/** The distinct workloads `system` runs. */
function ownWorkloads(system: System): Workload[] {
  return [...new Set(workloads.map((w) => workloadOf(system.name, w)).filter((w): w is Workload => w !== undefined))];
}

function failure(r: PointResult): string {
  return `${r.errors} errors (${r.timeouts} of them timeouts), ${r.non2xx} non-2xx${r.problem ? `; ${r.problem}` : ''}`;
}

/**
 * Runs the interleaved sequence `rounds` times; each point is reported by its median-QPS round
 * (an odd count picks a real run, not an average), so one lucky or unlucky minute of the VM does
 * not make the figure. Every round's errors still count: `errors`, `timeouts` and `non2xx` are
 * summed over all rounds.
 */
async function measureRounds(systems: readonly System[]): Promise<PointResult[]> {
  if (workloads.some((w) => w !== 'write')) for (const system of systems) await preload(system.endpoint);
  // The same warm-up per workload for every system: the total split by the most workloads any runs.
  const perWorkload = warmupSeconds === 0 ? 0 : Math.max(1, Math.round(warmupSeconds / Math.max(...systems.map((s) => ownWorkloads(s).length))));
  for (const system of systems) await warmUp(system, perWorkload);
  const all: PointResult[][] = [];
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`--- round ${round} of ${rounds}`);
    all.push(await measureInterleaved(systems, round));
  }
  // Rounds run in alternating order: points are matched by what they measured, not by position.
  const picked = all[0]!.map((first) => {
    const runs = all.map((r) => r.find((x) => pointKey(x) === pointKey(first))!);
    const median = [...runs].sort((a, b) => a.qps - b.qps)[Math.floor((runs.length - 1) / 2)]!;
    return {
      ...median,
      rounds: runs.map((r) => ({ qps: r.qps, p99: r.p99 })),
      errors: runs.reduce((n, r) => n + r.errors, 0),
      timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
      non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
      ...(runs.some((r) => r.problem) ? { problem: runs.map((r, i) => (r.problem ? `round ${i + 1}: ${r.problem}` : '')).filter(Boolean).join('; ') } : {}),
    };
  });
  // The table groups rows by system; within one, points are in workload, connections order.
  const rank = (r: PointResult): number => systems.findIndex((s) => s.name === r.system);
  return picked.sort((a, b) => rank(a) - rank(b));
}

/** Systems started and not yet stopped: a signal stops them (else the clusters would run on, loading the machine). */
const running: System[] = [];
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`bench: ${signal}: stopping the systems`);
    void Promise.all(running.map((s) => s.stop().catch(() => undefined))).then(() => process.exit(130));
  });
}

if (values.soak !== undefined) {
  const seconds = Number(values.soak);
  if (!(seconds > 0)) fail(`--soak: expected seconds > 0, got ${values.soak}`);
  const keys = Number(values['soak-keys']);
  if (!Number.isInteger(keys) || keys < 1) fail(`--soak-keys: expected a positive integer, got ${values['soak-keys']}`);
  const system = await startTsraft({ sync: values.sync, nodeArgs });
  running.push(system);
  let status = 1;
  try {
    const r = await soak(system, seconds, values.connections === '1,64,256' ? 64 : connections[connections.length - 1]!, keys);
    console.log(soakSummary(r));
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'soak.json'), JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2) + '\n');
    status = r.errors + r.non2xx > 0 ? 1 : 0;
  } finally {
    await system.stop();
  }
  process.exit(status);
}

console.log(`bench: ${os.cpus().length} cores, ${duration} s a point, connections ${connections.join(',')}, pipelining ${pipelining}, sync ${values.sync}, systems interleaved point by point, ${rounds} round(s)`);
const systems = running;
let results: PointResult[];
try {
  systems.push(await startTsraft({ sync: values.sync, nodeArgs }));
  systems.push(await startLimit());
  if (values.vs === 'etcd') systems.push(await startEtcd());
  results = await measureRounds(systems);
} finally {
  for (const system of systems) await system.stop();
}

console.log('\n' + markdownTable(results) + '\n');
if (rounds > 1) console.log(roundsTable(results) + '\n');
const files = writeResults(values.out, results, {
  date: new Date().toISOString(),
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  node: process.version,
  durationSeconds: duration,
  pipelining,
  sync: values.sync,
  rounds,
  warmupSeconds,
  ...(values.vs === 'etcd' ? { etcd: etcdVersion(), etcdApi: 'JSON gateway (POST /v3/kv/put, /v3/kv/range)' } : {}),
});
console.log(`wrote ${files.join(', ')}`);
const failing = results.filter(failed);
if (failing.length > 0) {
  console.error(`\n!!! ${failing.length} point(s) failed (errors, non-2xx answers, or a system that lost a process or its leader); these figures do not count:`);
  for (const r of failing) console.error(`!!!   ${r.system} ${r.workload} c=${r.connections}: ${failure(r)}`);
  process.exit(1);
}
