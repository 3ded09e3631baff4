/**
 * Shared types of the linearizability checker: the history event format (one JSON line each, see
 * /work/shared/lincheck-vectors/README.md), the input error, and the result shape.
 */

/** The kind of an event: the invocation of an operation or one of its three possible returns. */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

/** The operation of the key-value register model. */
export type OpName = 'read' | 'write' | 'append' | 'delete' | 'cas';

/**
 * One event of a history, in real-time order (array order is time order).
 *
 * `value` by operation:
 * - `read`: invoke has no value (or null); `ok` carries the string read, or null = key missing.
 * - `write` / `append`: the string written / appended, on the invoke (returns may repeat it).
 * - `delete`: no value.
 * - `cas`: `[expect, new]`, expect null meaning "key missing", new a string.
 *
 * `line` is optional and only informative: `parseHistory` sets it to the 1-based line number so
 * that errors and explanations can point back into the file. Events built in memory may leave it
 * out; then messages say `event #N` (1-based index in the array).
 */
export type HistoryEvent = {
  process: number;
  type: EventType;
  f: OpName;
  key: string;
  value?: unknown;
  line?: number;
};

/** Thrown for malformed input; `line` is the 1-based line (or event index) of the problem. */
export class LincheckInputError extends Error {
  /** 1-based line number in the JSONL text, or 1-based event index for in-memory histories. */
  readonly line: number;
  /** The problem without the location prefix. */
  readonly problem: string;
  constructor(line: number, problem: string, where: 'line' | 'event' = 'line') {
    super(`${where === 'line' ? `line ${line}` : `event #${line}`}: ${problem}`);
    this.name = 'LincheckInputError';
    this.line = line;
    this.problem = problem;
  }
}

/** The verdict: `ok` = linearizable, `bad` = not, `unknown` = the budget ran out first. */
export type Verdict = 'ok' | 'bad' | 'unknown';

/** Options of `checkHistory`. */
export type CheckOptions = {
  /** Wall-clock budget for the whole check, in ms; when exceeded the verdict is `unknown`. */
  timeoutMs?: number;
  /** Budget of explored search states (summed over keys); when exceeded the verdict is `unknown`. */
  maxStates?: number;
};

/** A register value as seen by the model: a string, or null for "key missing". */
export type RegisterValue = string | null;

/** An operation as shown in an explanation. */
export type OpSummary = {
  /** Where its invoke is: the line number, or the event index when the history had no lines. */
  invokeAt: number;
  /** Where its return is, or null when its outcome is unknown (info, or no return). */
  returnAt: number | null;
  process: number;
  f: OpName;
  /** How it ended: `ok`, `fail` (only cas failures are kept), or `unknown`. */
  outcome: 'ok' | 'fail' | 'unknown';
  /** A one-line human description, e.g. `line 12 p3 cas ["1","2"] fail`. */
  text: string;
};

/** Structured detail of a non-linearizable key (the same facts as `explanation`). */
export type LincheckFailure = {
  key: string;
  /** The longest linearizable prefix found, in linearization order, with the state after each. */
  longestPrefix: { op: OpSummary; after: RegisterValue }[];
  /** The register value after that prefix. */
  stateAfterPrefix: RegisterValue;
  /** The completed operation whose return blocks any extension of the prefix. */
  blockedBy: OpSummary | null;
  /**
   * `returned`: no remaining operation can be linearized before `blockedBy`'s return;
   * `unreachable`: `blockedBy` is a read whose value can no longer be produced by anything that
   * may come before it.
   */
  why: 'returned' | 'unreachable';
  /** Every not-yet-linearized operation that could have come next, and why none of them fits. */
  candidates: { op: OpSummary; reason: string }[];
};

/** The result of `checkHistory`. */
export type CheckResult = {
  verdict: Verdict;
  /** For `bad`: the key whose sub-history is not linearizable; for `unknown`: the first key left undecided. */
  key?: string;
  /** For `bad` / `unknown`: a human-readable explanation (multi-line). */
  explanation?: string;
  /** For `bad`: the same explanation as data. */
  failure?: LincheckFailure;
  /** Wall-clock time of the check, ms. */
  ms: number;
  /** Search states explored, summed over keys. */
  states: number;
};
