/**
 * The end-of-history checks on a healed, converged cluster:
 * - every running member applied the same commands in the same order, and holds the same map;
 * - no acknowledged mutation is missing from the log, none applied twice, and none the caller
 *   was told "certainly not applied" is in it (a phantom: an error class that claimed too much);
 * - the recorded history is linearizable (checkHistory);
 * - the run left nothing behind (nodes stopped, directories removed, no timers).
 */
import type { CheckResult, HistoryRecorder } from '../support/lincheck/index.js';
import type { Mutation } from './clients.js';

/** Where two members' applied logs first differ, with the lines around it; undefined if they agree. */
export function compareLogs(logs: ReadonlyArray<[string, readonly string[]]>): string | undefined {
  const [refName, ref] = logs[0]!;
  for (const [name, log] of logs.slice(1)) {
    const n = Math.min(ref.length, log.length);
    let i = 0;
    while (i < n && ref[i] === log[i]) i++;
    if (i === n && ref.length === log.length) continue;
    const around = (l: readonly string[]): string => JSON.stringify(l.slice(Math.max(0, i - 2), i + 3));
    return `${refName} and ${name} applied different commands: first difference at log position ${i} (lengths ${ref.length} / ${log.length}): ${refName} ${around(ref)} vs ${name} ${around(log)}`;
  }
  return undefined;
}

/** The members' maps must agree too (a command whose effect differs per member would show here). */
export function compareData(datas: ReadonlyArray<[string, ReadonlyMap<string, string>]>): string | undefined {
  const text = (m: ReadonlyMap<string, string>): string => JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const [refName, ref] = datas[0]!;
  for (const [name, data] of datas.slice(1)) {
    if (text(data) !== text(ref)) return `${refName} and ${name} hold different data: ${text(ref).slice(0, 300)} vs ${text(data).slice(0, 300)}`;
  }
  return undefined;
}

/** Lost, doubled and phantom mutations against the converged log. */
export function checkMutations(mutations: readonly Mutation[], log: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const line of log) count.set(line, (count.get(line) ?? 0) + 1);
  const problems: string[] = [];
  for (const [line, n] of count) if (n > 1) problems.push(`applied ${n} times (sessions promise once): ${line}`);
  for (const m of mutations) {
    const n = count.get(m.line) ?? 0;
    if (m.told === 'acked' && n === 0) problems.push(`LOST: acknowledged but not in the log: ${m.detail}`);
    if (m.told === 'notApplied' && n > 0) problems.push(`PHANTOM: told "certainly not applied" but applied: ${m.detail}`);
  }
  return problems;
}

/** The linearizability verdict as a failure line, or undefined when `ok`. `unknown` is reported apart. */
export function historyProblem(result: CheckResult, recorder: HistoryRecorder): string | undefined {
  if (result.verdict !== 'bad') return undefined;
  return `history not linearizable on key ${result.key} (${recorder.events.length} events):\n${result.explanation}`;
}

/**
 * Timers and immediates keeping the event loop alive beyond `baseline` (counted before the run):
 * a stopped cluster must leave none, or the test process would not exit by itself.
 */
export function leftoverResources(baseline: Map<string, number>): string | undefined {
  const now = tally(process.getActiveResourcesInfo());
  const extra: string[] = [];
  for (const kind of ['Timeout', 'Immediate', 'TTYWRAP', 'FSReqCallback', 'FileHandle']) {
    const n = (now.get(kind) ?? 0) - (baseline.get(kind) ?? 0);
    if (n > 0) extra.push(`${n} ${kind}`);
  }
  return extra.length ? `resources left after close: ${extra.join(', ')} (all: ${process.getActiveResourcesInfo().join(',')})` : undefined;
}

export function tally(kinds: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of kinds) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}
