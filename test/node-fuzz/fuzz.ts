/**
 * One randomized history of real Nodes in this process, from a seed: the cluster's shape and
 * timing, the clients' operations and the fault schedule are all drawn from it. Then everything
 * heals, the cluster must converge (every address a voter again, every member applied the same
 * log), and checks.ts judges the outcome.
 *
 * Replay: `node --import tsx test/node-fuzz/soak.ts --seeds N-N`. Timing is real (timers, the
 * event loop, fsync-free file I/O), so a seed reproduces the choices but not their interleaving
 * with the nodes: a replay is best-effort, and a rare failure may need several runs of its seed.
 */
import { SeededRandom } from '../../src/core/rng.js';
import { HistoryRecorder } from '../support/lincheck/index.js';
import { checkMutations, compareData, compareLogs, historyProblem, leftoverResources, tally } from './checks.js';
import { FuzzClients } from './clients.js';
import { type ClusterOptions, FuzzCluster } from './cluster.js';
import { SetCommand } from './commands.js';
import { CALM, FaultRunner, withTimeout } from './faults.js';
import { describeError } from './outcome.js';

export interface FuzzOptions {
  /** How long clients and faults run before the heal, ms. */
  durationMs: number;
  /** Budget of the linearizability check, ms (past it the verdict is "unknown", reported apart). */
  checkBudgetMs?: number;
  /** How long the healed cluster has to converge, ms. */
  convergeMs?: number;
  /** Sensitivity check (see ClientOptions.recordLocalReads): should make some seeds fail. */
  recordLocalReads?: boolean;
}

export interface FuzzResult {
  seed: number;
  config: string;
  /** Violations: any one fails the run. */
  failures: string[];
  /** Worth reading, not a violation by itself (an undecided check, error log lines). */
  warnings: string[];
  ops: { events: number; checked: number; mutations: number; acked: number; unknown: number; notApplied: number };
  faults: { total: number; byKind: Record<string, number>; schedule: string[] };
  tally: Record<string, number>;
  /** The last log lines of every node and the harness (for a failure report). */
  tail: string[];
  ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cluster's shape from the seed: 3 or 5 members, short timeouts, small WAL and snapshots. */
export function clusterOptionsFor(seed: number): ClusterOptions & { clients: number; keys: number } {
  const rng = new SeededRandom((seed * 2654435761) >>> 0);
  return {
    size: rng.chance(0.65) ? 3 : 5,
    heartbeatMs: 20,
    electionTimeoutMs: 150 + 50 * rng.int(3),
    requestTimeoutMs: 1500 + 500 * rng.int(3),
    snapshotTrailingEntries: 5 + rng.int(60),
    snapshotsKept: 1 + rng.int(2),
    walSegmentBytes: 2048 << rng.int(4),
    snapshotChunkBytes: 256 << rng.int(5),
    clients: 4 + rng.int(5),
    keys: 3 + rng.int(4),
  };
}

export async function runFuzz(seed: number, opts: FuzzOptions): Promise<FuzzResult> {
  const began = Date.now();
  const baseline = tally(process.getActiveResourcesInfo());
  const co = clusterOptionsFor(seed);
  const config = `size ${co.size}, election ${co.electionTimeoutMs} ms, request timeout ${co.requestTimeoutMs} ms, trailing ${co.snapshotTrailingEntries}, kept ${co.snapshotsKept}, segment ${co.walSegmentBytes} B, chunk ${co.snapshotChunkBytes} B, ${co.clients} clients, ${co.keys} keys`;
  const failures: string[] = [];
  const warnings: string[] = [];
  const rejections: string[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  process.on('unhandledRejection', onRejection);

  const cluster = new FuzzCluster(seed, co);
  const recorder = new HistoryRecorder();
  const keys = Array.from({ length: co.keys }, (_, i) => `k${i}`);
  const clients = new FuzzClients({ cluster, recorder, seed, clients: co.clients, keys, thinkMs: 10, recordLocalReads: opts.recordLocalReads === true });
  const faults = new FaultRunner(cluster, seed, 350);
  let checked = 0;
  try {
    await Promise.all(cluster.addresses.map((a) => cluster.start(a)));
    clients.start();
    faults.start();
    // Prefix agreement while it runs: a member's log may lag, never differ.
    const deadline = Date.now() + opts.durationMs;
    while (Date.now() < deadline) {
      await sleep(250);
      const diverged = prefixDivergence(cluster);
      if (diverged) {
        failures.push(`during the run: ${diverged}`);
        break;
      }
    }
    await faults.stop();
    await clients.stop();
    cluster.note('HEAL');
    cluster.network.heal();
    cluster.network.setFaults(CALM);
    for (const a of cluster.addresses) if (!cluster.isRunning(a)) await faults.startAgain(a);
    const converged = await converge(cluster, faults, opts.convergeMs ?? 20_000).catch((err: Error) => {
      failures.push(`no convergence after the heal: ${err.message}\n${statusTable(cluster)}`);
      return undefined;
    });
    if (converged) {
      const logs = cluster.nodes().map(([a, n]) => [a, n.context.log] as [string, string[]]);
      const differ = compareLogs(logs) ?? compareData(cluster.nodes().map(([a, n]) => [a, n.context.data]));
      if (differ) failures.push(differ);
      failures.push(...checkMutations(clients.mutations, logs[0]![1]));
      await finalReads(cluster, clients, recorder, keys);
      const result = recorder.check({ timeoutMs: opts.checkBudgetMs ?? 30_000 });
      const bad = historyProblem(result, recorder);
      if (bad) failures.push(bad);
      if (result.verdict === 'unknown') warnings.push(`linearizability undecided: ${result.explanation}`);
      else checked = recorder.events.length;
    }
  } catch (err) {
    failures.push(`harness error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await faults.stop().catch(() => {});
    await clients.stop().catch(() => {});
    await cluster.close();
  }
  if (!cluster.cleaned()) failures.push(`cluster not cleaned: nodes still running or ${cluster.root} still there`);
  // Timers a stop() left would fire within the timeouts; give close() a moment to let go.
  await sleep(Math.max(100, 2 * co.electionTimeoutMs));
  const leftover = leftoverResources(baseline);
  if (leftover) failures.push(leftover);
  process.off('unhandledRejection', onRejection);
  failures.push(...rejections, ...clients.anomalies, ...faults.anomalies);
  warnings.push(...faults.warnings);
  for (const e of cluster.errors) warnings.push(`logged error: ${e}`);
  const told = (t: string): number => clients.mutations.filter((m) => m.told === t).length;
  return {
    seed,
    config,
    failures,
    warnings,
    ops: { events: recorder.events.length, checked, mutations: clients.mutations.length, acked: told('acked'), unknown: told('unknown'), notApplied: told('notApplied') },
    faults: { total: faults.applied.length, byKind: Object.fromEntries(faults.counts), schedule: faults.applied },
    tally: Object.fromEntries([...clients.tally].sort()),
    tail: cluster.lines.slice(-150),
    ms: Date.now() - began,
  };
}

/** Two running members whose logs disagree on a common position, or undefined. */
function prefixDivergence(cluster: FuzzCluster): string | undefined {
  const logs = cluster.nodes().map(([a, n]) => [a, n.context.log] as [string, string[]]);
  for (let i = 1; i < logs.length; i++) {
    const [a, x] = logs[0]!;
    const [b, y] = logs[i]!;
    const n = Math.min(x.length, y.length);
    for (let j = 0; j < n; j++) {
      if (x[j] !== y[j]) return `${a} and ${b} applied different commands at log position ${j}: ${x[j]} vs ${y[j]}`;
    }
  }
  return undefined;
}

/**
 * After the heal: every founding address running and a voter again (added back if a removal
 * left it out), one leader known to all, then a barrier write that every member applies, so that
 * the logs compared afterwards are complete. Resolves once all members applied the same index.
 */
async function converge(cluster: FuzzCluster, faults: FaultRunner, ms: number): Promise<true> {
  const deadline = Date.now() + ms;
  let step = 'a leader';
  const left = (): number => Math.max(1, deadline - Date.now());
  while (Date.now() < deadline) {
    const down = cluster.addresses.filter((a) => !cluster.isRunning(a));
    if (down.length) {
      step = `${down.join(',')} to start again`;
      for (const a of down) await faults.startAgain(a);
      await sleep(100);
      continue;
    }
    const leader = cluster.nodes().find(([, n]) => n.isLeader())?.[1];
    if (!leader) {
      await sleep(50);
      continue;
    }
    const members = leader.members();
    const missing = cluster.addresses.filter((a) => !members.some((m) => m.address === a));
    if (missing.length) {
      step = `adding back ${missing.join(',')}`;
      try {
        await withTimeout(leader.join({ address: missing[0]! }), left(), step);
      } catch (err) {
        cluster.note(`converge: join ${missing[0]}: ${describeError(err)}`);
        await sleep(100);
      }
      continue;
    }
    faults.removed.clear();
    const allKnow = cluster.nodes().every(([, n]) => n.leader === leader.address && !n.isRemoved());
    if (members.some((m) => m.nonVoting) || !allKnow) {
      step = 'every member a voter that knows the leader';
      await sleep(50);
      continue;
    }
    step = 'the barrier write';
    let index: number;
    try {
      index = (await leader.propose(new SetCommand('barrier', `b${Date.now()}`))).index;
    } catch (err) {
      cluster.note(`converge: barrier: ${describeError(err)}`);
      await sleep(50);
      continue;
    }
    step = `every member to apply ${index}`;
    const applied = (): boolean => cluster.nodes().every(([, n]) => n.status().appliedIndex >= index && n.status().appliedIndex === leader.status().appliedIndex);
    while (!applied() && Date.now() < deadline) await sleep(20);
    if (applied()) return true;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${step}`);
}

/** One ReadIndex read of every key through a random member, recorded: lost writes show in the history too. */
async function finalReads(cluster: FuzzCluster, clients: FuzzClients, recorder: HistoryRecorder, keys: readonly string[]): Promise<void> {
  const nodes = cluster.nodes();
  for (const [i, key] of keys.entries()) {
    const [, node] = nodes[i % nodes.length]!;
    const p = clients.newProcess();
    recorder.invoke(p, 'read', key);
    if ((await node.confirmRead('index')) === 'confirmed') recorder.ok(p, node.context.data.get(key) ?? null);
    else recorder.fail(p);
  }
}

function statusTable(cluster: FuzzCluster): string {
  return cluster
    .nodes()
    .map(([a, n]) => {
      const s = n.status();
      return `  ${a} ${n.state} leader=${n.leader ?? '-'} term=${s.term} commit=${s.commitIndex} applied=${s.appliedIndex} log=[${s.firstIndex},${s.lastIndex}] snap=${s.snapshotIndex} removed=${s.removedAt ?? '-'} members=${n.members().map((m) => m.address + (m.nonVoting ? '(nv)' : '')).join(',')}`;
    })
    .join('\n');
}

/** A result as report lines: the summary, then failures with the log tail. */
export function formatResult(r: FuzzResult, verbose = false): string {
  const kinds = Object.entries(r.faults.byKind).map(([k, n]) => `${k} ${n}`).join(', ');
  const head = `seed ${r.seed} [${r.config}]: ${r.failures.length ? 'FAIL' : 'ok'} in ${(r.ms / 1000).toFixed(1)} s; ${r.ops.events} events (${r.ops.checked} checked), ${r.ops.mutations} mutations (${r.ops.acked} acked, ${r.ops.unknown} unknown, ${r.ops.notApplied} not applied); ${r.faults.total} faults (${kinds})`;
  const parts = [head];
  if (r.failures.length || verbose) {
    parts.push(...r.failures.map((f) => `  FAILURE: ${f}`));
    parts.push(...r.warnings.map((w) => `  warning: ${w}`));
    parts.push(`  outcomes: ${JSON.stringify(r.tally)}`);
  }
  if (r.failures.length || verbose) parts.push('  faults:', ...r.faults.schedule.map((f) => `    ${f}`));
  if (r.failures.length) {
    parts.push('  last lines:', ...r.tail.map((l) => `    ${l}`));
    parts.push(`  replay (best-effort, real timing): node --import tsx test/node-fuzz/soak.ts --seeds ${r.seed}-${r.seed}`);
  }
  return parts.join('\n');
}
