/**
 * The checks of a chaos run and their report:
 *
 * 1. linearizable: the recorded history (final reads included) passes the project's checker
 *    within a time budget; "unknown (checker budget)" is reported apart from a violation.
 * 2. acknowledged writes survive: each key's final value (read with consistency=index) is made of
 *    values that were written (a write or CAS value, or nothing, then append tokens), holds no
 *    token twice, and is consistent with every acknowledged write, CAS and append (see
 *    `acknowledgedCheck`).
 * 3. same state everywhere: after settling every member reports the same appliedIndex and
 *    digest, and local reads of every key agree with the final value.
 * 4. served: ok / fail / info per operation and per fault window; passes when every operation
 *    kind succeeded at least once.
 * @module
 */
import type { CheckResult, HistoryEvent } from '../support/lincheck/index.js';
import { CLIENT_OPS, type ClientOp, type OpRecord } from './clients.js';
import type { FaultWindow, SnapshotCatchUp } from './faults.js';

export interface Counts {
  ok: number;
  fail: number;
  info: number;
}

export interface CheckOutcome {
  pass: boolean;
  summary: string;
  details: string[];
}

export interface ChaosReport {
  seed: number;
  command: string;
  dir: string;
  nodes: number;
  clients: number;
  faults: string[];
  partitions: string;
  runMs: number;
  counts: Record<ClientOp, Counts>;
  windows: Array<FaultWindow & Counts>;
  catchUps: SnapshotCatchUp[];
  finalValues: Record<string, string | null>;
  historyEvents: number;
  unexpected: string[];
  checks: {
    linearizable: CheckOutcome & { verdict: 'ok' | 'bad' | 'unknown' };
    acknowledged: CheckOutcome;
    converged: CheckOutcome;
    served: CheckOutcome;
  };
  pass: boolean;
}

export function countOps(records: readonly OpRecord[]): Record<ClientOp, Counts> {
  const out = Object.fromEntries(CLIENT_OPS.map((op) => [op, { ok: 0, fail: 0, info: 0 }])) as Record<ClientOp, Counts>;
  for (const r of records) out[r.op][r.outcome]++;
  return out;
}

/** Outcomes of the operations that started inside each window. */
export function countWindows(records: readonly OpRecord[], windows: readonly FaultWindow[]): Array<FaultWindow & Counts> {
  return windows.map((w) => {
    const c = { ok: 0, fail: 0, info: 0 };
    for (const r of records) if (r.start >= w.start && r.start < w.end) c[r.outcome]++;
    return { ...w, ...c };
  });
}

export function linearizabilityCheck(result: CheckResult, budgetMs: number): ChaosReport['checks']['linearizable'] {
  const stats = `${result.states} states, ${(result.ms / 1000).toFixed(1)} s`;
  if (result.verdict === 'ok') return { pass: true, verdict: 'ok', summary: `linearizable (${stats})`, details: [] };
  if (result.verdict === 'unknown') {
    return { pass: false, verdict: 'unknown', summary: `unknown (checker budget of ${budgetMs / 1000} s ran out)`, details: [result.explanation ?? ''] };
  }
  return { pass: false, verdict: 'bad', summary: `NOT linearizable: key ${JSON.stringify(result.key)} (${stats})`, details: (result.explanation ?? '').split('\n') };
}

interface KeyOp {
  f: 'write' | 'cas' | 'append' | 'delete';
  /** The value written / the CAS's new value / the appended token (with its "|") / "" for a delete. */
  value: string;
  outcome: 'ok' | 'fail' | 'unknown';
  inv: number;
  ret: number;
  at: string;
}

/** Writes, CASes, appends and deletes of one key with their outcomes and real-time positions. */
function keyOps(events: readonly HistoryEvent[]): Map<string, KeyOp[]> {
  const open = new Map<number, { ev: HistoryEvent; idx: number }>();
  const byKey = new Map<string, KeyOp[]>();
  const add = (ev: HistoryEvent, inv: number, ret: number, outcome: KeyOp['outcome']): void => {
    if (ev.f !== 'write' && ev.f !== 'append' && ev.f !== 'cas' && ev.f !== 'delete') return;
    const value = ev.f === 'cas' ? (ev.value as [string | null, string])[1] : ev.f === 'delete' ? '' : (ev.value as string);
    const list = byKey.get(ev.key) ?? [];
    list.push({ f: ev.f, value, outcome, inv, ret, at: `history line ${inv + 1}` });
    byKey.set(ev.key, list);
  };
  for (const [idx, ev] of events.entries()) {
    if (ev.type === 'invoke') {
      open.set(ev.process, { ev, idx });
      continue;
    }
    const o = open.get(ev.process);
    if (!o) continue;
    open.delete(ev.process);
    add(o.ev, o.idx, ev.type === 'info' ? Infinity : idx, ev.type === 'ok' ? 'ok' : ev.type === 'fail' ? 'fail' : 'unknown');
  }
  for (const o of open.values()) add(o.ev, o.idx, Infinity, 'unknown');
  return byKey;
}

/**
 * The problems of one key's final value if B was the last overwrite that applied (a write, CAS
 * or delete; undefined: none ever did): see acknowledgedCheck.
 */
function problemsGivenBase(key: string, b: KeyOp | undefined, base: string, tokens: readonly string[], ackedAppends: readonly KeyOp[], ackedOverwrites: readonly KeyOp[], happened: readonly KeyOp[]): { problems: string[]; required: number } {
  const problems: string[] = [];
  let required = 0;
  const position = new Map<string, number>();
  for (const [i, t] of tokens.entries()) {
    position.set(t, i);
    const a = happened.find((o) => o.f === 'append' && o.value === t);
    if (a && b && a.ret < b.inv) problems.push(`${key}: append ${JSON.stringify(t)} (${a.at}) returned before the ${b.f} of the base ${JSON.stringify(base)} (${b.at}) began, yet survives it`);
  }
  for (const a of ackedAppends) {
    if (b && b.ret > a.inv) continue; // B may have applied after a
    required++;
    if (!position.has(a.value)) {
      problems.push(`${key}: acknowledged append ${JSON.stringify(a.value)} (${a.at}) is lost: ${b ? `the ${b.f} of the base ${JSON.stringify(base)} (${b.at}) returned before it began` : 'no write, CAS or delete ever replaced the key'}`);
    }
  }
  for (const w of ackedOverwrites) {
    if (w === b) continue;
    if (!b) problems.push(`${key}: the ${w.f} ${JSON.stringify(w.value)} (${w.at}) was acknowledged, but the final value holds no write or delete at all`);
    else if (w.inv > b.ret) problems.push(`${key}: the ${w.f} ${JSON.stringify(w.value)} (${w.at}) began after ${JSON.stringify(base)} (the ${b.f} at ${b.at}) returned, but the final value is based on the latter`);
  }
  // Only appends in the final value have an order to keep: pair those alone, not every
  // acknowledged append (thousands per key in a long run, and again for every delete tried as the
  // base). With 8,000 acknowledged appends, one base took 1.2 s that way, and takes 20 ms now.
  const inFinal = ackedAppends.filter((a) => position.has(a.value));
  for (const a of inFinal) {
    for (const c of inFinal) {
      if (a.ret < c.inv && position.get(a.value)! > position.get(c.value)!) problems.push(`${key}: ${JSON.stringify(a.value)} returned before ${JSON.stringify(c.value)} began, but comes after it`);
    }
  }
  return { problems, required };
}

/**
 * Check 2 (see the module comment). Every written value is unique and no value is empty or holds
 * "|", so the final value names the last overwrite B that applied by its base — a write or CAS
 * value, or "" (null when no append followed) for a delete or none at all — and the appends
 * applied after it. Hence: an acknowledged append missing from it must have applied before B, so
 * B cannot have returned before that append began; no acknowledged overwrite can have begun after
 * B returned; no append that returned before B began can survive it; and acknowledged appends
 * keep their real-time order. An empty base may be any delete that may have happened (or none):
 * the key fails only if every such B leaves a problem.
 */
export function acknowledgedCheck(events: readonly HistoryEvent[], finals: Record<string, string | null | undefined>): CheckOutcome {
  const problems: string[] = [];
  const ops = keyOps(events);
  let acked = 0;
  let required = 0;
  for (const [key, final] of Object.entries(finals)) {
    const list = ops.get(key) ?? [];
    if (final === undefined) {
      problems.push(`${key}: no final value could be read`);
      continue;
    }
    const happened = list.filter((o) => o.outcome !== 'fail');
    const ackedAppends = list.filter((o) => o.f === 'append' && o.outcome === 'ok');
    const ackedOverwrites = list.filter((o) => o.f !== 'append' && o.outcome === 'ok');
    acked += ackedAppends.length + ackedOverwrites.length;
    const [base, ...rest] = final === null ? [''] : final.split('|');
    const tokens = rest.map((t) => `|${t}`);
    const seenTokens = new Set<string>();
    let malformed = false;
    for (const t of tokens) {
      if (seenTokens.has(t)) problems.push(`${key}: append ${JSON.stringify(t)} is in the final value twice (applied twice)`);
      seenTokens.add(t);
      if (!happened.some((o) => o.f === 'append' && o.value === t)) problems.push(`${key}: final value holds ${JSON.stringify(t)}, which no append that may have happened wrote`);
    }
    let candidates: Array<KeyOp | undefined>;
    if (base !== '') {
      const b = happened.find((o) => o.f !== 'append' && o.f !== 'delete' && o.value === base);
      if (!b) {
        problems.push(`${key}: final value starts with ${JSON.stringify(base)}, which no write or CAS that may have happened wrote`);
        malformed = true;
      }
      candidates = [b];
    } else {
      candidates = [undefined, ...happened.filter((o) => o.f === 'delete')];
    }
    if (malformed) continue;
    let best: { problems: string[]; required: number } | undefined;
    for (const b of candidates) {
      const r = problemsGivenBase(key, b, base!, tokens, ackedAppends, ackedOverwrites, happened);
      if (!best || r.problems.length < best.problems.length) best = r;
      if (r.problems.length === 0) break;
    }
    problems.push(...best!.problems.map((p) => (final === null ? `${p} (the key is missing at the end)` : p)));
    required += best!.required;
  }
  const keys = Object.keys(finals).length;
  return {
    pass: problems.length === 0,
    summary:
      problems.length === 0
        ? `all acknowledged writes accounted for (${keys} keys, ${acked} acknowledged writes/CAS/appends/deletes; ${required} appends had to be in the final value and are)`
        : `${problems.length} problem(s)`,
    details: problems.slice(0, 40),
  };
}

/** Check 4. */
export function servedCheck(counts: Record<ClientOp, Counts>): CheckOutcome {
  const missing = CLIENT_OPS.filter((op) => counts[op].ok === 0);
  const total = CLIENT_OPS.reduce((n, op) => n + counts[op].ok + counts[op].fail + counts[op].info, 0);
  const ok = CLIENT_OPS.reduce((n, op) => n + counts[op].ok, 0);
  return {
    pass: missing.length === 0,
    summary: missing.length === 0 ? `${ok} of ${total} operations ok; every kind succeeded` : `no successful ${missing.join(', ')}`,
    details: [],
  };
}

/** The report as text. */
export function formatReport(r: ChaosReport): string {
  const lines: string[] = [];
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  lines.push(`chaos: seed ${r.seed}, ${r.nodes} nodes, ${r.clients} clients, faults ${r.faults.join(',')}; partitions: ${r.partitions}`);
  lines.push(`ran ${(r.runMs / 1000).toFixed(1)} s, ${r.historyEvents} history events`);
  lines.push('');
  lines.push('operations        ok    fail    info');
  for (const op of CLIENT_OPS) lines.push(`  ${op.padEnd(12)} ${pad(r.counts[op].ok, 6)}  ${pad(r.counts[op].fail, 6)}  ${pad(r.counts[op].info, 6)}`);
  lines.push('');
  lines.push('fault windows (operations started inside each)');
  for (const w of r.windows) {
    lines.push(
      `  #${w.n} ${(w.start / 1000).toFixed(1).padStart(5)}s-${(w.end / 1000).toFixed(1).padEnd(5)}s ${w.kind.padEnd(10)} ok ${pad(w.ok, 5)} fail ${pad(w.fail, 4)} info ${pad(w.info, 4)}  ${w.skipped ? `skipped: ${w.skipped}` : w.description}`,
    );
    if (!w.skipped && w.ok === 0) lines.push('      (no operation succeeded during this window: unavailable)');
    for (const n of w.notes) lines.push(`      ${n}`);
  }
  if (r.unexpected.length) {
    lines.push('');
    lines.push('undocumented answers:');
    for (const u of r.unexpected) lines.push(`  ${u}`);
  }
  lines.push('');
  lines.push('final values');
  for (const [k, v] of Object.entries(r.finalValues)) lines.push(`  ${k} = ${v === null ? '(missing)' : JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}…` : v)}${v && v.length > 100 ? ` (${v.length} chars)` : ''}`);
  lines.push('');
  const c = r.checks;
  const mark = (x: CheckOutcome): string => (x.pass ? 'PASS' : 'FAIL');
  lines.push(`1. linearizable      ${c.linearizable.verdict === 'unknown' ? 'UNKNOWN' : mark(c.linearizable)}  ${c.linearizable.summary}`);
  lines.push(`2. acknowledged      ${mark(c.acknowledged)}  ${c.acknowledged.summary}`);
  lines.push(`3. same state        ${mark(c.converged)}  ${c.converged.summary}`);
  lines.push(`4. served requests   ${mark(c.served)}  ${c.served.summary}`);
  for (const [name, x] of Object.entries(c)) {
    if (x.details.length === 0 || x.pass) continue;
    lines.push('');
    lines.push(`${name}:`);
    for (const d of x.details.slice(0, 60)) lines.push(`  ${d}`);
  }
  lines.push('');
  lines.push(r.pass ? 'PASS' : `FAIL — kept in ${r.dir}`);
  lines.push(`replay: ${r.command}`);
  return lines.join('\n');
}
