/**
 * How a failed request is recorded. The library's own contract (src/errors.ts): a RaftError whose
 * `outcomeUnknown` is false "certainly was not appended to any leader's log"; true means it may
 * still apply. ResultNotKeptError says it applied (its result was lost), and a
 * CommandTooLargeError is refused before anything is proposed. Anything else (a TypeError, an
 * error the library does not document) is unknown, and listed as unexpected.
 *
 * This deliberately takes the library at its word, StoppedError included (the HTTP layer,
 * src/server/http-errors.ts, is more careful and answers every StoppedError "unknown"): the
 * fuzz test is there to catch a refusal that claims too much. The phantom check in checks.ts
 * then names the error class that lied.
 */
import { CommandTooLargeError, RaftError, ResultNotKeptError } from '../../src/errors.js';

/** 'notApplied': certainly not applied; 'unknown': may have applied (or may yet). */
export type FailureKind = 'notApplied' | 'unknown';

export function failureKind(err: unknown): FailureKind {
  if (err instanceof CommandTooLargeError) return 'notApplied';
  if (!(err instanceof RaftError)) return 'unknown';
  if (err instanceof ResultNotKeptError) return 'unknown';
  return err.outcomeUnknown ? 'unknown' : 'notApplied';
}

/** True for an error the API documents for do() (the others are worth a line in the report). */
export function documented(err: unknown): boolean {
  return err instanceof RaftError || err instanceof CommandTooLargeError;
}

/** "ClassName(unknown): message" for the error tally and the report. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const unknown = err instanceof RaftError && err.outcomeUnknown ? '(unknown)' : '';
    return `${err.constructor.name}${unknown}`;
  }
  return `non-Error ${String(err)}`;
}
