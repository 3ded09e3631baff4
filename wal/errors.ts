/**
 * Errors thrown by the write-ahead log. Every one extends {@link WalError}, so callers can tell
 * WAL failures from their own with one `instanceof`.
 * @module
 */

/** Base class of every error the WAL throws. */
export class WalError extends Error {
  override name = 'WalError';
}

/**
 * The log on disk is damaged in a way that could lose committed entries: a bad record followed by
 * good ones, a bad record in a segment that is not the last one, a gap between segments. `open`
 * refuses to continue rather than silently dropping data; an operator must inspect the file.
 * (A torn write at the very end of the last segment is not corruption: it is truncated away.)
 */
export class WalCorruptionError extends WalError {
  override name = 'WalCorruptionError';
  /**
   * @param file absolute path of the damaged segment file
   * @param offset byte offset of the first damaged byte or record in `file`
   * @param reason what is wrong there
   */
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`corrupt write-ahead log: ${file} at byte offset ${offset}: ${reason}`);
  }
}

/**
 * `save` was given something the log cannot accept: entries that do not continue the log
 * (index != lastIndex + 1), terms that go down, malformed fields. Nothing was written.
 */
export class WalAppendError extends WalError {
  override name = 'WalAppendError';
}

/**
 * An index below the log's first index was requested: it was compacted away (or precedes the
 * snapshot the log was reset to). Like etcd's `ErrCompacted`.
 */
export class WalCompactedError extends WalError {
  override name = 'WalCompactedError';
  /**
   * @param index the requested index
   * @param firstIndex the log's first index at the time of the request
   */
  constructor(
    readonly index: number,
    readonly firstIndex: number,
  ) {
    super(`index ${index} is compacted: the log starts at ${firstIndex}`);
  }
}

/** A requested index or range lies past the end of the log, or the range is inverted. */
export class WalRangeError extends WalError {
  override name = 'WalRangeError';
}

/** The WAL was closed; no operation is possible any more. */
export class WalClosedError extends WalError {
  override name = 'WalClosedError';
  constructor() {
    super('the write-ahead log is closed');
  }
}

/**
 * A write, fdatasync or file operation failed. After an fdatasync failure the state of the page
 * cache is unknown (retrying can report success for lost data), so the WAL refuses every later
 * operation with this error; close it and open it again to recover from what is on disk.
 */
export class WalIOError extends WalError {
  override name = 'WalIOError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The directory is in use: another process (or another Wal or Node in this process) holds its
 * `LOCK` file. Nothing in the directory was read or changed. Two writers on one directory would
 * each truncate and overwrite what the other acknowledged.
 */
export class DirectoryLockedError extends WalError {
  override name = 'DirectoryLockedError';
  /**
   * @param dir the directory (absolute)
   * @param lockFile the lock file's path (`dir/LOCK`)
   * @param pid the holder's process id
   * @param inThisProcess whether the holder is this very process (another Wal or Node in it)
   */
  constructor(
    readonly dir: string,
    readonly lockFile: string,
    readonly pid: number,
    readonly inThisProcess: boolean,
  ) {
    super(
      inThisProcess
        ? `${dir} is already in use by this process (pid ${pid}): another Node or Wal has it open; stop or close that one first`
        : `another tsraft process (pid ${pid}) is using ${dir}; stop it first, or if no such process runs, delete ${lockFile}`,
    );
  }
}
