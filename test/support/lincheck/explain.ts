/** Turns a failed search into a person-readable explanation and its structured form. */
import type { Op } from './history.js';
import type { RegisterModel } from './model.js';
import type { LincheckFailure, OpSummary, RegisterValue } from './types.js';

const PREFIX_SHOWN = 20;

function span(op: Op): string {
  const p = op.where === 'line' ? 'line ' : 'event #';
  if (op.outcome !== 'unknown') return `[${p}${op.invokeAt}-${op.returnAt}]`;
  return op.returnAt === null ? `[${p}${op.invokeAt}, no return]` : `[${p}${op.invokeAt}-${op.returnAt} info]`;
}

function what(op: Op): string {
  const j = (v: unknown): string => JSON.stringify(v);
  switch (op.f) {
    case 'read':
      return `read -> ${j(op.output)}`;
    case 'write':
    case 'append':
      return `${op.f} ${j(op.input)}`;
    case 'delete':
      return 'delete';
    case 'cas': {
      const [e, n] = op.input as [RegisterValue, string];
      return `cas ${j(e)} -> ${j(n)}`;
    }
  }
}

/** A one-line summary of an operation. */
export function summarize(op: Op): OpSummary {
  const outcome = op.outcome === 'fail' ? 'fail (comparison failed)' : op.outcome === 'unknown' ? 'unknown outcome' : 'ok';
  return {
    invokeAt: op.invokeAt,
    returnAt: op.outcome === 'unknown' ? null : op.returnAt,
    process: op.process,
    f: op.f,
    outcome: op.outcome,
    text: `${span(op)} p${op.process} ${what(op)}, ${outcome}`,
  };
}

/** Builds the structured failure and its text from the search's best attempt. */
export function explainFailure(
  key: string,
  ops: readonly Op[],
  model: RegisterModel,
  prefix: readonly number[],
  blockedBy: number,
  candidates: readonly number[],
  why: 'returned' | 'unreachable',
): { failure: LincheckFailure; text: string } {
  let s = model.initial;
  const longestPrefix: LincheckFailure['longestPrefix'] = [];
  for (const id of prefix) {
    s = model.step(id, s);
    longestPrefix.push({ op: summarize(ops[id]!), after: model.value(s) });
  }
  const reason = (id: number): string => {
    const why = model.whyNot(ops[id]!, s);
    if (why !== null) return why;
    const after = model.value(model.step(id, s));
    return `it fits (the value would become ${JSON.stringify(after)}), but no linearization of the rest exists from there`;
  };
  const blocked = blockedBy >= 0 ? ops[blockedBy]! : null;
  const others = candidates.filter((id) => id !== blockedBy);
  const failure: LincheckFailure = {
    key,
    longestPrefix,
    stateAfterPrefix: model.value(s),
    blockedBy: blocked ? summarize(blocked) : null,
    why,
    candidates: candidates.map((id) => ({ op: summarize(ops[id]!), reason: reason(id) })),
  };

  const completed = ops.filter((o) => o.outcome !== 'unknown').length;
  const lines: string[] = [];
  lines.push(
    `key ${JSON.stringify(key)} is not linearizable (${ops.length} operations on it: ${completed} completed, ${ops.length - completed} of unknown outcome).`,
  );
  lines.push(`Longest linearizable prefix found: ${prefix.length} operation(s)${prefix.length > PREFIX_SHOWN ? `, the last ${PREFIX_SHOWN} shown` : ''}:`);
  const from = Math.max(0, longestPrefix.length - PREFIX_SHOWN);
  if (from > 0) lines.push(`  ... ${from} earlier`);
  for (let i = from; i < longestPrefix.length; i++) {
    const p = longestPrefix[i]!;
    lines.push(`  ${i + 1}. ${p.op.text}  => ${JSON.stringify(p.after)}`);
  }
  lines.push(`Value after the prefix: ${JSON.stringify(model.value(s))}`);
  if (blocked) {
    if (why === 'returned') {
      lines.push(`It cannot be extended: this operation returned, so it must be linearized before anything invoked later, but:`);
      lines.push(`  ${summarize(blocked).text}: ${reason(blocked.id)}`);
    } else {
      lines.push(`It cannot be extended: this read can never be satisfied after it, since only operations invoked before its return can come before it and none of them can produce the value read:`);
      lines.push(`  ${summarize(blocked).text}`);
    }
  }
  if (others.length) {
    lines.push(`The other operations that could come next (invoked before that return, not yet linearized):`);
    for (const id of others) lines.push(`  ${summarize(ops[id]!).text}: ${reason(id)}`);
  }
  return { failure, text: lines.join('\n') };
}
