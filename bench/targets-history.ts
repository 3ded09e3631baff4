/**
 * Every three-round target run kept in bench/results/, against the four throughput
 * targets: the ratio of the medians, each round's ratio, and whether the target was met. Counting
 * by hand got a 1.197× shown as "1.20×" wrong once; this counts from the JSON.
 *
 *   node --import tsx bench/targets-history.ts [--since 2026-12-05T03:00] [--dir bench/results]
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PointResult, Workload } from './http/load.js';
import { failed } from './http/report.js';

type Result = Pick<PointResult, 'system' | 'workload' | 'connections' | 'qps' | 'p99' | 'rounds' | 'errors' | 'non2xx' | 'problem' | 'block'>;

interface Run {
  dir: string;
  date: string;
  results: Result[];
}

/** One target: tsraft's workload against a baseline's, at a connection count, and the ratio to reach. */
export interface Target {
  name: string;
  workload: Workload;
  baseline: 'etcd' | 'limit';
  baselineWorkload: Workload;
  connections: number;
  ratio: number;
  /** Also require tsraft's p99 to be no higher than the baseline's. */
  p99NoHigher?: boolean;
}

/** The throughput targets. */
export const TARGETS: Target[] = [
  { name: 'writes@1 vs etcd (1.2×)', workload: 'write', baseline: 'etcd', baselineWorkload: 'write', connections: 1, ratio: 1.2 },
  { name: 'writes@256 vs etcd (2×, p99 no higher)', workload: 'write', baseline: 'etcd', baselineWorkload: 'write', connections: 256, ratio: 2, p99NoHigher: true },
  { name: 'ReadIndex@256 vs etcd (4×)', workload: 'index', baseline: 'etcd', baselineWorkload: 'index', connections: 256, ratio: 4 },
  { name: 'LeaseRead@256 vs limit (0.8×)', workload: 'lease', baseline: 'limit', baselineWorkload: 'local', connections: 256, ratio: 0.8 },
];

/** The outcome of one target in one run. */
export interface TargetOutcome {
  ratio: number;
  roundRatios: number[];
  met: boolean;
}

/** Evaluates `target` on a run's results; undefined when the run lacks either side. */
export function evaluate(target: Target, results: readonly Result[]): TargetOutcome | undefined {
  const all = (system: string, workload: Workload): Result[] => results.filter((r) => r.system === system && r.workload === workload && r.connections === target.connections);
  const ours = all('tsraft', target.workload)[0];
  // The baseline measured in the target's own block when it ran in several (the limit's read).
  const candidates = all(target.baseline, target.baselineWorkload);
  const theirs = candidates.find((r) => r.block === target.workload) ?? candidates.find((r) => r.block === undefined);
  if (!ours || !theirs || theirs.qps === 0) return undefined;
  const ratio = ours.qps / theirs.qps;
  const roundRatios = (ours.rounds ?? []).map((r, i) => r.qps / (theirs.rounds?.[i]?.qps ?? Number.NaN));
  // A point with errors or non-2xx answers never meets a target (its QPS counts the failures).
  const met = !failed(ours) && !failed(theirs) && ratio >= target.ratio && (!target.p99NoHigher || ours.p99 <= theirs.p99);
  return { ratio, roundRatios, met };
}

function loadRuns(dir: string, since: string): Run[] {
  const runs: Run[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('targets-3-rounds')) continue;
    const file = join(dir, name, 'results.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as { date: string; rounds?: number; sync?: string; pipelining?: number; durationSeconds?: number; results: Result[] };
    if ((json.rounds ?? 1) < 3 || json.date < since) continue;
    // Only the targets' workload counts: every write fsync'd, no pipelining, 10 s points.
    if (json.sync !== 'always' || json.pipelining !== 1 || json.durationSeconds !== 10) continue;
    runs.push({ dir: name, date: json.date, results: json.results });
  }
  return runs.sort((a, b) => a.date.localeCompare(b.date));
}

function main(): void {
  const { values } = parseArgs({ options: { since: { type: 'string', default: '' }, dir: { type: 'string', default: 'bench/results' } } });
  const runs = loadRuns(values.dir!, values.since!);
  const cell = (o: TargetOutcome | undefined): string =>
    o === undefined ? '—' : `${o.met ? '**' : ''}${o.ratio.toFixed(3)}×${o.met ? '**' : ''} (${o.roundRatios.map((r) => r.toFixed(2)).join(' / ')})`;
  console.log(`| run (UTC) | ${TARGETS.map((t) => t.name).join(' | ')} | results |`);
  console.log(`| --- | ${TARGETS.map(() => '---').join(' | ')} | --- |`);
  const met = TARGETS.map(() => ({ met: 0, of: 0 }));
  for (const run of runs) {
    const outcomes = TARGETS.map((t) => evaluate(t, run.results));
    outcomes.forEach((o, i) => {
      if (!o) return;
      met[i]!.of++;
      if (o.met) met[i]!.met++;
    });
    console.log(`| ${run.date.slice(5, 16).replace('T', ' ')} | ${outcomes.map(cell).join(' | ')} | \`${run.dir}\` |`);
  }
  console.log('');
  console.log('Ratio of the medians (each round\'s ratio in brackets); bold where the target was met.');
  TARGETS.forEach((t, i) => console.log(`- ${t.name}: met in ${met[i]!.met} of ${met[i]!.of} runs`));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
