/**
 * One step of a true key-value register, for generating histories that are linearizable by
 * construction: an operation takes effect on `state` once (its effect point), recording what a
 * read saw and whether a CAS matched. Independent of the checker under test.
 */
import type { OpName } from '../support/lincheck/index.js';

/** An operation in flight in a generated history. */
export interface InFlight {
  f: OpName;
  key: string;
  value: unknown;
  applied: boolean;
  result: string | null;
  casOk: boolean;
}

/** Applies `op` to `state` unless it already took effect. */
export function takeEffect(state: Map<string, string | null>, op: InFlight): void {
  if (op.applied) return;
  op.applied = true;
  const cur = state.get(op.key) ?? null;
  if (op.f === 'read') op.result = cur;
  else if (op.f === 'write') state.set(op.key, op.value as string);
  else if (op.f === 'append') state.set(op.key, (cur ?? '') + (op.value as string));
  else if (op.f === 'delete') state.set(op.key, null);
  else {
    const [expect, next] = op.value as [string | null, string];
    op.casOk = cur === expect;
    if (op.casOk) state.set(op.key, next);
  }
}
