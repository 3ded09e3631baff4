/**
 * The address a data directory belongs to, kept in `dataDir/MEMBER` from the first start on. A
 * cluster knows a member by its address, so a directory started under another address would act
 * with another member's log and votes: a second copy of that member in the cluster's eyes, or a
 * stranger holding its acknowledgements (an operator's run found it diagnosed as "removed … add
 * it again" instead). Start refuses it, naming both addresses.
 * @module
 */
import { join } from 'node:path';
import { readKeptFile, writeFileDurably } from './durable-file.js';
import { WrongMemberError } from './errors.js';

/** What no address holds: control characters, and U+FFFD (bytes that were not UTF-8). */
const NOT_AN_ADDRESS = /[\u0000-\u001f\u007f\ufffd]/;

/** The file, in the data directory, that holds the member's address. */
export const MEMBER_FILE = 'MEMBER';

/**
 * The address kept in `dataDir`, or undefined when there is none yet. A file holding control
 * characters or bytes that are not UTF-8 is reported, JSON-escaped, as malformed, not echoed as
 * an address (a garbage file printed its control bytes, and advice to start the node "as" them).
 * @throws Error naming the file when it is unreadable, empty or holds anything but a member address
 */
export async function readMember(dataDir: string): Promise<string | undefined> {
  const path = join(dataDir, MEMBER_FILE);
  const text = await readKeptFile(dataDir, MEMBER_FILE);
  if (text === undefined) return undefined;
  const belongsTo = text.trim();
  if (belongsTo.length === 0) throw new Error(`${path} is empty; it should hold the address of the member this directory belongs to`);
  // Not checkAddress: a caller's transport may name its node by any string (MemoryTransport's
  // "node-a"), and such a node was refused on its every restart (found in review).
  if (!NOT_AN_ADDRESS.test(belongsTo)) return belongsTo;
  throw new Error(
    `${path} does not hold the address of the member this directory belongs to (host:port) but ${JSON.stringify(text.slice(0, 40))}. ` +
      'Write back the address this member was started with (the membership its peers and `raft-node inspect` show), or remove the member, empty the directory and start it with join',
  );
}

/**
 * Checks that `dataDir` belongs to `address`, writing the file on the directory's first start (and
 * on the first start of a directory from a version without it).
 * @throws WrongMemberError when it belongs to another address; Error naming the file when it is
 *   unreadable, empty or malformed
 */
export async function claimDataDir(dataDir: string, address: string): Promise<void> {
  const belongsTo = await readMember(dataDir);
  if (belongsTo === undefined) return writeFileDurably(dataDir, MEMBER_FILE, `${address}\n`);
  if (belongsTo !== address) throw new WrongMemberError(dataDir, belongsTo, address);
}
