/**
 * Applying one committed command entry to the context: its session decides whether it runs (a
 * copy of a proposal that applied already answers with the first outcome), the registry decodes
 * it, and what its do() returns or throws becomes its outcome (a do() that returns a Promise is
 * refused as its own error: its later effects would differ between members). What this member
 * cannot apply as the others did (an unknown type, undecodable bytes) is thrown, to stop the node.
 * @module
 */
import type { Entry } from './core/index.js';
import type { CommandRegistry } from './command.js';
import { CodecError } from './codec.js';
import { ProposalDroppedError, ResultNotKeptError, UnknownCommandTypeError } from './errors.js';
import { readSessionHeader, type SessionHeader, type SessionOutcome, type SessionTable } from './sessions.js';

/** A command's do() threw something that is not an Error (null, a string, a number): `thrown` is it. */
export class CommandThrewError extends Error {
  constructor(readonly thrown: unknown) {
    super(`command do() threw ${typeof thrown === 'string' ? JSON.stringify(thrown) : String(thrown)}`);
  }
}

/**
 * Errors a command's do() threw (wrapped in a CommandThrewError if not Errors): the command's own
 * answer, which the node never takes for one of its own, whatever its class (found in review: a
 * do() throwing a ProposalDroppedError was proposed again ~10,000 times in 1.5 s, each copy
 * answering with the first error), nor changes.
 */
const commandErrors = new WeakSet<Error>();

/** Whether `err` is what a command's do() threw (its answer, not the node's). */
export function isCommandError(err: unknown): boolean {
  return err instanceof Error && commandErrors.has(err);
}

/** The outcome of one command entry. */
export interface AppliedCommand extends SessionOutcome {
  /** A copy of a proposal that applied (or was given up) before: it did not run. */
  copy: boolean;
}

/** What applying commands reports to its node. */
export interface CommandApplyHooks {
  /** A command threw: its error is its answer, and worth a line in the log. */
  warn(line: string): void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** What a copy of a proposal its proposer had given up on answers (no one should be waiting). */
function staleCopyError(index: number, seq: number): ProposalDroppedError {
  const err = new ProposalDroppedError(`entry ${index} was not applied: its proposer had given the proposal (seq ${seq}) up; an earlier copy may have applied`);
  err.outcomeUnknown = true;
  return err;
}

/** Runs command entries on one node's context, in log order. */
export class CommandApplier<Context> {
  /** Reused for every entry: headers are read one at a time. */
  private readonly header: SessionHeader = { session: 0, seq: 0, floor: 0 };

  /**
   * @param ownSession this node's proposer session: only its outcomes are kept for copies (only
   *   the proposer awaits a copy's answer, and results may be large)
   */
  constructor(
    private readonly registry: CommandRegistry<Context>,
    private readonly sessions: SessionTable,
    private readonly ownSession: number,
    private readonly context: Context,
    private readonly hooks: CommandApplyHooks,
  ) {}

  /**
   * Runs command entry `e` on the context, unless its session shows it a copy of a proposal that
   * applied already (answered with the first outcome) or one its proposer gave up on.
   * @throws UnknownCommandTypeError, CodecError (decode) — this member cannot apply it as the others did
   */
  apply(e: Entry): AppliedCommand {
    const header = this.header;
    let offset = 0;
    try {
      offset = readSessionHeader(e.data, header);
      if (offset > 0) {
        const admission = this.sessions.admit(header, e.index);
        if (!admission.run) {
          if (admission.outcome) return { ...admission.outcome, copy: true };
          // Stale: outcomeUnknown, so that a proposer (there should be none) does not propose it again.
          if (admission.stale) return { result: undefined, error: staleCopyError(e.index, header.seq), copy: true };
          return { result: undefined, error: new ResultNotKeptError(`entry ${e.index} repeats a proposal that applied before this node's snapshot, or that another node proposed; it applied once, its result was not kept`), copy: true };
        }
      }
      const result = this.registry.decode(e.data, offset).do(this.context);
      if (isThenable(result)) {
        // Its continuation would change the context later, at a different point of each member's
        // log: refused, and its rejection kept from becoming an unhandled one on every member.
        result.then(undefined, () => undefined);
        throw new TypeError(`command at ${e.index}: do() returned a Promise; a command must apply synchronously (its state changes made after an await differ between members)`);
      }
      if (offset > 0) this.record(header, result, undefined);
      return { result, error: undefined, copy: false };
    } catch (err) {
      // Not registered here: the members' registrations differ. Applying past it would leave this
      // member's state different from the others' for good (found in review): stop instead.
      if (err instanceof UnknownCommandTypeError) throw new UnknownCommandTypeError(`entry ${e.index}: ${err.message}; this member stops rather than skip it (its state would differ from the others')`);
      // The same for a payload this member's codec cannot read: our codecs read what they wrote,
      // so it was written with another codec (setCodec differs between members).
      if (err instanceof CodecError && err.direction === 'decode') throw new CodecError(err.codec, 'decode', `entry ${e.index}: ${err.reason}; this member stops rather than skip it: set the same codec on every member`, err);
      // Whatever was thrown (null, 0, a string) is the command's error: `throw null` used to fail
      // the log line and stop every member, a falsy throw to resolve do() as a success.
      const error = err instanceof Error ? err : new CommandThrewError(err);
      commandErrors.add(error);
      this.hooks.warn(`command at ${e.index} failed: ${error.message}`);
      // A command that threw applied all the same: a copy of it answers with the same error.
      if (offset > 0) this.record(header, undefined, error);
      return { result: undefined, error, copy: false };
    }
  }

  /** Remembers that a command of a session applied; its outcome only for this node's own session. */
  private record(header: SessionHeader, result: unknown, error: Error | undefined): void {
    this.sessions.record(header, header.session === this.ownSession ? { result, error } : undefined);
  }
}
