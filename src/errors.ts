/**
 * Typed errors of the Node API. Every error a caller can act on has its own class, so code can
 * branch with `instanceof` instead of parsing messages.
 * @module
 */

/**
 * Base class of the errors tsraft raises on purpose, except four that extend the standard class a
 * caller would test for: CommandTooLargeError (a RangeError), CodecError, CommandThrewError and
 * DirectoryLockedError.
 */
export class RaftError extends Error {
  /**
   * For a failed proposal: true when it may still have been (or yet be) applied — the caller
   * cannot tell — false when it certainly was not appended to any leader's log.
   */
  outcomeUnknown = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * This node cannot take the request because it is not the leader and could not forward it.
 * `leader` is the leader's address when one is known (retry there), else undefined.
 */
export class NotLeaderError extends RaftError {
  constructor(
    readonly leader: string | undefined,
    message = leader ? `not the leader; the leader is ${leader}` : 'not the leader, and no leader is known',
  ) {
    super(message);
  }
}

/** No leader is known right now (an election is in progress or the cluster lost its quorum). */
export class NoLeaderError extends NotLeaderError {
  constructor(message = 'no leader is known (election in progress or quorum lost); retry later') {
    super(undefined, message);
  }
}

/**
 * This node was removed from the cluster: the configuration committed at `configIndex` leaves it
 * out. It serves no requests until a member adds it again (`join`, `POST /members`).
 */
export class RemovedError extends RaftError {
  /**
   * @param outcomeUnknown for a proposal this node had already handed to the leader: it may
   *   apply on the members, but not here
   */
  constructor(
    readonly configIndex: number,
    outcomeUnknown = false,
  ) {
    super(
      `this node was removed from the cluster (the configuration committed at index ${configIndex} leaves it out); ` +
        (outcomeUnknown ? 'the request was handed to the leader before that and may still apply on the members' : 'send requests to a member, or add this node again'),
    );
    this.outcomeUnknown = outcomeUnknown;
  }
}

/** The command's class was not registered with `registerCommand`. */
export class NotRegisteredError extends RaftError {}

/** A command type id is not a positive integer, or is used by two classes, or is unknown on decode. */
export class BadTypeIdError extends RaftError {}

/**
 * A committed entry names a command type id no class is registered for on this node: the
 * members' registrations differ. The node stops rather than apply past it (its state would
 * differ from the others' for good).
 */
export class UnknownCommandTypeError extends BadTypeIdError {}

/** The request did not finish in time. For a proposal the outcome is unknown: it may still apply. */
export class TimeoutError extends RaftError {
  override outcomeUnknown = true;
}

/** The node is stopped or stopping. */
export class StoppedError extends RaftError {
  constructor(message = 'the node is stopped', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The node is not started yet (its start() is still recovering snapshot and log, or failed): what
 * was asked certainly did not happen. A StoppedError, as before.
 */
export class NotStartedError extends StoppedError {
  constructor(message = 'the node is not started', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A command whose encoding is larger than one log entry may hold (MAX_COMMAND_BYTES): refused
 * before it is proposed. A RangeError, as before.
 */
export class CommandTooLargeError extends RangeError {}

/**
 * This attempt of a proposal certainly did not commit: its log index ended up holding an entry of
 * another term (a new leader overwrote it), or the proposal was refused. Check `outcomeUnknown`:
 * when true, an earlier attempt of the same proposal (asked again after a leader failed) or an
 * earlier copy may still have applied.
 */
export class ProposalDroppedError extends RaftError {}

/**
 * A proposal proposed again after a leader failure had applied already, before a snapshot this
 * node started from or installed: it applied once, but its result was not kept.
 */
export class ResultNotKeptError extends RaftError {}

/** A membership change was refused: another change is in flight, or it is invalid. */
export class MembershipChangeError extends RaftError {
  /**
   * For a change the configuration refused: why ('alreadyMember', 'notMember', 'notLearner',
   * 'lastVoter', 'invalid'); undefined for a change refused for now (another one in flight, a
   * new leader not ready) or by a leader of an older version.
   */
  problem?: string;
}

/**
 * The node stopped because it lost data it had acknowledged to the cluster: its data directory was
 * wiped, replaced or restored from an older copy (passed to `onFatal`). A member that forgot what
 * it acknowledged or voted must not go on as itself (the entries it lost may be what made others
 * committed; a vote it forgot it may give again): remove it on a member, then start it again with
 * `join` and an empty data directory.
 */
export class LostDataError extends RaftError {}

/** A leadership transfer was refused (e.g. the target is not a voter of the configuration). */
export class LeadershipTransferError extends RaftError {}

/** A data directory started under an address other than the one it belongs to. */
export class WrongMemberError extends RaftError {
  constructor(
    readonly dataDir: string,
    readonly belongsTo: string,
    readonly startedAs: string,
  ) {
    super(
      `the data directory ${dataDir} belongs to member ${belongsTo} (its MEMBER file), not to ${startedAs}: ` +
        `a cluster knows a member by its address, so one member's data must not run under another's. ` +
        `Start it as ${belongsTo}, or give ${startedAs} an empty data directory of its own`,
    );
  }
}
