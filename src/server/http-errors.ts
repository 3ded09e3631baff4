/**
 * How the HTTP API turns failures into answers: one place mapping every error to a status code,
 * a JSON body `{"error": "..."}` and, for proposals, whether the outcome is known.
 * @module
 */
import {
  CommandTooLargeError,
  LeadershipTransferError,
  MembershipChangeError,
  NotLeaderError,
  NotStartedError,
  ProposalDroppedError,
  RaftError,
  RemovedError,
  ResultNotKeptError,
  StoppedError,
  TimeoutError,
} from '../errors.js';

/** An error the handler raises on purpose, with the status it means (400, 404, 405, 409, 413…). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra fields of the JSON body (e.g. `current` of a failed compare-and-set). */
    readonly extra: Record<string, unknown> = {},
    /** Extra headers (e.g. `Allow` with a 405). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a request's failure is answered with. */
export interface ErrorAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Seconds a client should wait before retrying a 503 (an election takes about one timeout). */
const RETRY_AFTER_SECONDS = '1';

/**
 * Maps `err` to its answer. 5xx bodies carry `outcome`: "not applied" only when the operation
 * certainly was not appended anywhere, "applied" when it certainly applied (but its result is
 * not known), else "unknown" — a client must not assume a 5xx means nothing happened.
 */
export function errorAnswer(err: unknown): ErrorAnswer {
  // A 413 is always refused before anything is proposed (README: "outcome": "not applied").
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message, ...(err.status === 413 ? { outcome: 'not applied' } : {}), ...err.extra }, headers: err.headers };
  if (err instanceof MembershipChangeError) return { status: 409, body: { error: err.message }, headers: {} };
  if (err instanceof LeadershipTransferError) return { status: 409, body: { error: err.message }, headers: {} };
  // 410 Gone: retrying here is pointless until an operator adds this node again.
  if (err instanceof RemovedError) return { status: 410, body: { error: err.message, outcome: err.outcomeUnknown ? 'unknown' : 'not applied', removedAt: err.configIndex }, headers: {} };
  // Applied once, by an earlier copy of the proposal, whose result a snapshot did not keep.
  if (err instanceof ResultNotKeptError) return { status: 500, body: { error: err.message, outcome: 'applied' }, headers: {} };
  // Refused before it was proposed: too large for one log entry.
  if (err instanceof CommandTooLargeError) return { status: 413, body: { error: err.message, outcome: 'not applied' }, headers: {} };
  // Still recovering its snapshot and log: nothing was done; worth a retry in a moment.
  if (err instanceof NotStartedError) return { status: 503, body: { error: 'starting', outcome: 'not applied' }, headers: { 'Retry-After': RETRY_AFTER_SECONDS } };
  if (err instanceof RaftError) {
    const outcome = err.outcomeUnknown || err instanceof StoppedError ? 'unknown' : 'not applied';
    if (err instanceof TimeoutError) return { status: 504, body: { error: err.message, outcome }, headers: {} };
    const retry = { 'Retry-After': RETRY_AFTER_SECONDS };
    if (err instanceof NotLeaderError) return { status: 503, body: { error: err.message, outcome, leader: err.leader ?? null }, headers: retry };
    if (err instanceof StoppedError) return { status: 503, body: { error: 'shutting down', outcome }, headers: { ...retry, Connection: 'close' } };
    if (err instanceof ProposalDroppedError) return { status: 503, body: { error: err.message, outcome }, headers: retry };
    return { status: 500, body: { error: err.message, outcome }, headers: {} };
  }
  return { status: 500, body: { error: `internal error: ${(err as Error)?.message ?? String(err)}`, outcome: 'unknown' }, headers: {} };
}
