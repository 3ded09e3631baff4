/**
 * A cluster's fingerprint: a hash of its `clusterId` and its founding configuration (the bootstrap
 * entry every founding member writes as entry 1). Every member keeps it in `dataDir/CLUSTER` and
 * sends it in its peer handshake, and a member refuses streams from a node whose fingerprint
 * differs: two clusters founded apart (with other members) never exchange a message, even with the same `clusterId`
 * (the default) and an address of one listed in the other by mistake (etcd keeps a cluster ID in
 * every message for the same reason). Founding members compute it from entry 1 at their first
 * start (or, upgraded from a version without it, at their next start while entry 1 is in their
 * log); a joiner, or a member whose log no longer reaches entry 1, learns it from a node it chose to
 * dial (the member it asks to join, a member of its configuration), which answers with its own,
 * or from a member of its configuration dialing in. Until then it refuses dialers that send one
 * and are not members of its configuration (a stranger must not teach it another cluster's), and
 * accepts those that send none (versions before fingerprints).
 * @module
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Member } from './core/index.js';
import { readKeptFile, writeFileDurably } from './durable-file.js';

/** The file, in the data directory, that holds the fingerprint. */
export const FINGERPRINT_FILE = 'CLUSTER';

/** A fingerprint: 16 lowercase hex digits (64 bits of SHA-256). */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

/** The fingerprint of the cluster `clusterId` founded with `members` (order does not matter). */
export function clusterFingerprint(clusterId: string, members: readonly Member[]): string {
  const founding = [...members]
    .sort((a, b) => a.id - b.id)
    .map((m) => `${m.id} ${m.role} ${m.context}`)
    .join('\n');
  return createHash('sha256').update(`tsraft cluster\n${clusterId}\n${founding}`).digest('hex').slice(0, 16);
}

/**
 * The fingerprint kept in `dataDir`, or undefined when there is none yet.
 * @throws Error naming the file when it holds anything but a fingerprint
 */
export async function readFingerprint(dataDir: string): Promise<string | undefined> {
  const path = join(dataDir, FINGERPRINT_FILE);
  const text = await readKeptFile(dataDir, FINGERPRINT_FILE, 'the cluster fingerprint file');
  if (text === undefined) return undefined;
  const fingerprint = text.trim();
  if (!FINGERPRINT_PATTERN.test(fingerprint)) {
    throw new Error(`${path} does not hold a cluster fingerprint (16 hex digits) but ${JSON.stringify(text.slice(0, 40))}; delete it and the node learns it again from its log or its peers`);
  }
  return fingerprint;
}

/**
 * Keeps `fingerprint` in `dataDir`: written aside, synced and renamed into place, in every sync
 * mode (once in a node's life: a torn file after a power loss would stop the next start).
 */
export async function writeFingerprint(dataDir: string, fingerprint: string): Promise<void> {
  await writeFileDurably(dataDir, FINGERPRINT_FILE, `${fingerprint}\n`);
}
