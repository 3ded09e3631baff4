/**
 * A data directory's incarnation: 16 random hex digits kept in `dataDir/INCARNATION` from the
 * directory's first start on, and sent in every peer handshake. A member whose directory was
 * wiped, replaced or rebuilt starts with another, so the peers that heard from its earlier
 * directory tell the two apart (peer-incarnations.ts) and refuse the new one's streams until the
 * member is removed and added again: its acknowledgements and votes were forgotten with the
 * directory, and a vote given again could elect a leader without entries it had acknowledged.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readKeptFile, writeFileDurably } from './durable-file.js';

/** The file, in the data directory, that holds its incarnation. */
export const INCARNATION_FILE = 'INCARNATION';

/** An incarnation: 16 lowercase hex digits (64 random bits). */
export const INCARNATION_PATTERN = /^[0-9a-f]{16}$/;

/** A new incarnation. */
export function newIncarnation(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The incarnation kept in `dataDir`, or undefined when there is none yet.
 * @throws Error naming the file when it is unreadable or holds anything but an incarnation
 */
export async function readIncarnation(dataDir: string): Promise<string | undefined> {
  const path = join(dataDir, INCARNATION_FILE);
  const text = await readKeptFile(dataDir, INCARNATION_FILE);
  if (text === undefined) return undefined;
  const incarnation = text.trim();
  if (!INCARNATION_PATTERN.test(incarnation)) {
    throw new Error(
      `${path} does not hold this data directory's incarnation (16 hex digits) but ${JSON.stringify(text.slice(0, 40))}. ` +
        'Put back the value its peers remember (they name it when they refuse this node), or remove the member, empty the directory and start it with join',
    );
  }
  return incarnation;
}

/**
 * The incarnation of `dataDir`, made and kept durably on the directory's first start (and on the
 * first start of a directory from a version without it, or that lost the file), with whether it
 * was made now.
 * @throws Error naming the file when it is unreadable or holds anything but an incarnation
 */
export async function claimIncarnation(dataDir: string): Promise<{ incarnation: string; made: boolean }> {
  const kept = await readIncarnation(dataDir);
  if (kept !== undefined) return { incarnation: kept, made: false };
  const incarnation = newIncarnation();
  await writeFileDurably(dataDir, INCARNATION_FILE, `${incarnation}\n`);
  return { incarnation, made: true };
}
