/**
 * Pairs invokes with their returns and turns a validated event list into operations, partitioned
 * per key, applying the outcome rules of the history format:
 *
 * - `ok`: happened, with its observed result.
 * - `fail` of read / write / append / delete: certainly did not happen, so the operation is dropped.
 * - `fail` of cas: the comparison failed; kept as an observation "value != expect" with no effect.
 * - `info`, or an invoke with no return: unknown outcome; the operation gets return time +infinity
 *   and may be linearized anywhere after its invoke, or never. An unknown read tells nothing and
 *   is dropped.
 */
import { locate, isCasValue } from './validate.js';
import { LincheckInputError, type HistoryEvent, type OpName, type RegisterValue } from './types.js';

/** One operation of one key's sub-history. */
export type Op = {
  /** Index within its partition (0-based, in invoke order). */
  id: number;
  key: string;
  process: number;
  f: OpName;
  /** ok = happened; fail = a cas whose comparison failed; unknown = may or may not have happened. */
  outcome: 'ok' | 'fail' | 'unknown';
  /** write/append: the string; cas: [expect, new]; read/delete: null. */
  input: string | [RegisterValue, string] | null;
  /** read: the value observed (null = missing); others: null. */
  output: RegisterValue;
  /** Position of the invoke in the event array (real-time order). */
  invokeIdx: number;
  /** Position of the return in the event array, or Infinity when the outcome is unknown. */
  returnIdx: number;
  /** Location of the invoke for messages (line number, or 1-based event index). */
  invokeAt: number;
  /** Location of the return for messages, or null when there is none / it is `info`. */
  returnAt: number | null;
  /** Whether the locations above are line numbers or event indices. */
  where: 'line' | 'event';
};

/** A key's operations, ordered by invoke. */
export type Partition = { key: string; ops: Op[] };

type Pending = { ev: HistoryEvent; idx: number };

function sameValue(a: unknown, b: unknown): boolean {
  if (isCasValue(a) && isCasValue(b)) return a[0] === b[0] && a[1] === b[1];
  return a === b;
}

/**
 * Pairs every return with the outstanding invoke of its process and checks the history's
 * structure: a return needs an outstanding invoke of the same process with the same `f` and
 * `key` (and, for write/append/cas, the same value when the return repeats it); a process never
 * has two operations outstanding. Throws `LincheckInputError` naming the offending line/event.
 * Events must already have passed `validateEvent`.
 */
export function buildPartitions(events: readonly HistoryEvent[]): Partition[] {
  const outstanding = new Map<number, Pending>();
  const raw: { inv: Pending; ret: Pending | null }[] = [];
  const slot = new Map<Pending, number>();
  for (let idx = 0; idx < events.length; idx++) {
    const ev = events[idx]!;
    const { at, where } = locate(ev, idx);
    const err = (problem: string): never => {
      throw new LincheckInputError(at, problem, where);
    };
    const pending = outstanding.get(ev.process);
    if (ev.type === 'invoke') {
      if (pending) {
        const p = locate(pending.ev, pending.idx);
        err(
          `process ${ev.process} invokes ${ev.f} while its ${pending.ev.f} invoked at ${p.where === 'line' ? 'line ' : 'event #'}${p.at} is still outstanding (a process has at most one operation outstanding; use a new process id after an unknown outcome)`,
        );
      }
      const p: Pending = { ev, idx };
      outstanding.set(ev.process, p);
      slot.set(p, raw.length);
      raw.push({ inv: p, ret: null });
      continue;
    }
    if (!pending) err(`${ev.f} ${ev.type} of process ${ev.process} without a matching invoke`);
    const inv = pending!.ev;
    const p = locate(inv, pending!.idx);
    const invAt = `${p.where === 'line' ? 'line ' : 'event #'}${p.at}`;
    if (inv.f !== ev.f) err(`${ev.f} ${ev.type} of process ${ev.process} does not match its invoke (${inv.f}, ${invAt})`);
    if (inv.key !== ev.key) {
      err(`${ev.f} ${ev.type} of process ${ev.process} is for key ${JSON.stringify(ev.key)} but its invoke (${invAt}) is for key ${JSON.stringify(inv.key)}`);
    }
    if ((ev.f === 'write' || ev.f === 'append' || ev.f === 'cas') && ev.value != null && !sameValue(ev.value, inv.value)) {
      err(`${ev.f} ${ev.type} value ${JSON.stringify(ev.value)} differs from its invoke's value ${JSON.stringify(inv.value)} (${invAt})`);
    }
    raw[slot.get(pending!)!]!.ret = { ev, idx };
    outstanding.delete(ev.process);
  }

  const parts = new Map<string, Op[]>();
  for (const { inv, ret } of raw) {
    const type = ret ? ret.ev.type : 'info';
    const f = inv.ev.f;
    let outcome: Op['outcome'];
    if (type === 'ok') outcome = 'ok';
    else if (type === 'fail') {
      if (f !== 'cas') continue; // certainly did not happen
      outcome = 'fail';
    } else {
      if (f === 'read') continue; // an unknown read observed nothing
      outcome = 'unknown';
    }
    const loc = locate(inv.ev, inv.idx);
    const known = outcome !== 'unknown' && ret !== null;
    let input: Op['input'] = null;
    if (f === 'write' || f === 'append') input = inv.ev.value as string;
    else if (f === 'cas') {
      const v = inv.ev.value as [RegisterValue, string];
      input = [v[0], v[1]];
    }
    let list = parts.get(inv.ev.key);
    if (!list) parts.set(inv.ev.key, (list = []));
    list.push({
      id: list.length,
      key: inv.ev.key,
      process: inv.ev.process,
      f,
      outcome,
      input,
      output: f === 'read' ? ((ret!.ev.value as RegisterValue | undefined) ?? null) : null,
      invokeIdx: inv.idx,
      returnIdx: known ? ret!.idx : Infinity,
      invokeAt: loc.at,
      returnAt: ret ? locate(ret.ev, ret.idx).at : null,
      where: loc.where,
    });
  }
  return [...parts].map(([key, ops]) => ({ key, ops }));
}
