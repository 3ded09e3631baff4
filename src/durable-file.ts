/**
 * A small file written so that a crash leaves either the old contents or the new, never a torn
 * file: written aside, synced, renamed into place, and the directory synced (in every sync mode:
 * such files are written once or twice in a node's life).
 * @module
 */
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory } from '../wal/files.js';

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
