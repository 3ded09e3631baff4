/** Parsing of the JSON-lines history format (see /work/shared/lincheck-vectors/README.md). */
import { buildPartitions } from './history.js';
import { LincheckInputError, type HistoryEvent } from './types.js';
import { validateEvent } from './validate.js';

/**
 * Parses a JSON-lines history: one event object a line, in real-time order. Blank lines are
 * skipped. Every event is validated (known `type` and `f`, integer `process`, string `key`, value
 * shape by operation) and so is the history's structure (each return pairs with an outstanding
 * invoke of the same process, `f` and key; no process has two operations outstanding).
 * Each returned event carries its 1-based `line`.
 *
 * @throws LincheckInputError naming the line number and the problem.
 */
export function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const src = lines[i]!.trim();
    if (src === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(src);
    } catch (e) {
      throw new LincheckInputError(i + 1, `bad JSON: ${(e as Error).message}`);
    }
    events.push(validateEvent(raw, i + 1, 'line'));
  }
  buildPartitions(events); // structural checks; throws with the line number
  return events;
}
