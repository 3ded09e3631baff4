/**
 * tsraft's linearizability checker for key-value register histories (read, write, append,
 * delete, cas): Wing & Gong search with Lowe's memoisation, partitioned per key.
 *
 * - `parseHistory(text)` reads the JSON-lines format of test/lincheck/vectors/README.md.
 * - `checkHistory(events, { timeoutMs, maxStates })` gives `ok` / `bad` / `unknown`.
 * - `HistoryRecorder` builds a history in memory while a test runs.
 * The CLI is scripts/lincheck.ts (`npm run lincheck -- FILE`). The format is in test/lincheck/vectors/README.md.
 */
export { checkHistory } from './check.js';
export { parseHistory } from './parse.js';
export { HistoryRecorder } from './recorder.js';
export {
  LincheckInputError,
  type CheckOptions,
  type CheckResult,
  type EventType,
  type HistoryEvent,
  type LincheckFailure,
  type OpName,
  type OpSummary,
  type RegisterValue,
  type Verdict,
} from './types.js';
