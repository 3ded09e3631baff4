/**
 * File-system helpers of the snapshot store. Full positional reads and writes and the directory
 * fsync are the WAL's (one implementation for both); this adds what only the store needs.
 * @module
 */
export { fsyncDirectory, makeDirectory, readFully, writeFully } from '../../wal/files.js';

/** Whether `error` is a "no such file or directory" error. */
export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
