/** checkHistory: validation, partitioning per key, and the WGL search of each key. */
import { explainFailure } from './explain.js';
import { buildPartitions } from './history.js';
import { RegisterModel } from './model.js';
import type { CheckOptions, CheckResult, HistoryEvent } from './types.js';
import { locate, validateEvent } from './validate.js';
import { WglSearch } from './wgl.js';

/** Search steps per key per round at first; doubles each round up to MAX_SLICE. */
const SLICE = 4096;
const MAX_SLICE = 1 << 16;

/**
 * Checks that a history of a key-value register (read, write, append, delete, cas) is
 * linearizable. Keys are independent (P-compositionality): the history is split per key and each
 * key's sub-history is searched on its own; the history is linearizable iff every key's is.
 *
 * Verdicts: `ok` linearizable; `bad` not (with `key`, `explanation` and `failure` for the first
 * bad key found); `unknown` when `opts.timeoutMs` or `opts.maxStates` ran out before a verdict
 * (a `bad` key found before that still gives `bad`).
 *
 * @throws LincheckInputError when the events are malformed (see `parseHistory`).
 */
export function checkHistory(events: readonly HistoryEvent[], opts: CheckOptions = {}): CheckResult {
  const start = Date.now();
  const checked = events.map((ev, i) => {
    const { at, where } = locate(ev, i);
    return validateEvent(ev, at, where);
  });
  const partitions = buildPartitions(checked);
  const deadline = opts.timeoutMs === undefined ? Infinity : start + opts.timeoutMs;
  const maxStates = opts.maxStates ?? Infinity;
  const searches = partitions.map(({ key, ops }) => {
    const model = new RegisterModel(ops);
    return { key, ops, model, search: new WglSearch(ops, model) };
  });
  const states = (): number => searches.reduce((n, s) => n + s.search.states, 0);
  // Interleave the keys in slices, so that one hard key cannot delay the verdict on a bad one
  // (porcupine checks keys in parallel and stops at the first bad one for the same reason).
  let running = searches;
  let slice = SLICE;
  while (running.length > 0) {
    const still: typeof running = [];
    for (const s of running) {
      const status = s.search.run(slice);
      if (status === 'bad') {
        const best = s.search.bestAttempt;
        const { failure, text } = explainFailure(s.key, s.ops, s.model, best.prefix, best.blockedBy, best.candidates, best.why);
        return { verdict: 'bad', key: s.key, explanation: text, failure, ms: Date.now() - start, states: states() };
      }
      if (status === 'running') still.push(s);
    }
    running = still;
    if (running.length > 0 && (Date.now() > deadline || states() > maxStates)) break;
    slice = Math.min(slice * 2, MAX_SLICE);
  }
  const undecided = running.map((s) => s.key);
  const ms = Date.now() - start;
  if (undecided.length > 0) {
    const limits = [
      opts.timeoutMs !== undefined ? `timeoutMs=${opts.timeoutMs}` : '',
      opts.maxStates !== undefined ? `maxStates=${opts.maxStates}` : '',
    ].filter(Boolean);
    return {
      verdict: 'unknown',
      key: undecided[0]!,
      explanation:
        `search budget exhausted (${limits.join(', ')}) after ${states()} states in ${ms} ms; ` +
        `undecided key(s): ${undecided.map((k) => JSON.stringify(k)).join(', ')}; ` +
        `the other ${searches.length - undecided.length} key(s) are linearizable`,
      ms,
      states: states(),
    };
  }
  return { verdict: 'ok', ms, states: states() };
}
