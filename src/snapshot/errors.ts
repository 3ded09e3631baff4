/**
 * Errors thrown by the snapshot store. Every one extends {@link SnapshotError}.
 * @module
 */

/** Base class of every error the snapshot store throws. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/**
 * A snapshot file (stored, or just received) fails verification: too short, bad trailer magic,
 * metadata checksum or data checksum mismatch, metadata that does not match its file name or the
 * snapshot announced by the leader. The file is never used; stored ones are deleted once a newer
 * snapshot is installed, received ones at once.
 */
export class SnapshotCorruptionError extends SnapshotError {
  override name = 'SnapshotCorruptionError';
  /**
   * @param file path of the damaged file
   * @param reason what is wrong with it
   */
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`corrupt snapshot ${file}: ${reason}`);
  }
}
