/**
 * A small file written so that a crash leaves either the old contents or the new, never a torn
 * file: written aside, synced, renamed into place, and the directory synced (in every sync mode:
 * such files are written once or twice in a node's life); and read back.
 * @module
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory } from '../wal/files.js';

/**
 * The text of `dir/name`, or undefined when it does not exist.
 * @param what names the file in the error, e.g. "the cluster fingerprint file"
 * @throws Error naming the file when it exists and cannot be read
 */
export async function readKeptFile(dir: string, name: string, what?: string): Promise<string | undefined> {
  const path = join(dir, name);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${what ? `${what} ` : ''}${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes `text` to `dir/name` durably and atomically. */
export async function writeFileDurably(dir: string, name: string, text: string): Promise<void> {
  const path = join(dir, name);
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await fsyncDirectory(dir);
}
