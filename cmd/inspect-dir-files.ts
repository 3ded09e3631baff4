/**
 * `raft-node inspect`: the small files at the top of a data directory — who holds its `LOCK`, the
 * cluster fingerprint (`CLUSTER`), the member it belongs to (`MEMBER`), its incarnation
 * (`INCARNATION`) and the members' (`PEERS`). Each is read by the node's own reader, so that a file
 * the node refuses is a problem here in the node's words.
 * @module
 */
import { access } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LOCK_FILE, lockHolder } from '../wal/dir-lock.js';
import { FINGERPRINT_FILE, readFingerprint } from '../src/cluster-fingerprint.js';
import { INCARNATION_FILE, readIncarnation } from '../src/data-dir-incarnation.js';
import { MEMBER_FILE, readMember } from '../src/member-identity.js';
import { PEER_INCARNATIONS_FILE, PeerIncarnations } from '../src/peer-incarnations.js';

/** A file's value as its reader gives it, or why the reader refuses it. */
type Scanned<T> = { value: T } | { damaged: string };

/** What the data directory's small files hold. */
export interface DirFilesScan {
  /** The LOCK file found (the directory's own, else the WAL's), relative to the directory, and who holds it. */
  lock: { file: string; holder: NonNullable<Awaited<ReturnType<typeof lockHolder>>> } | undefined;
  fingerprint: Scanned<string | undefined>;
  member: Scanned<string | undefined>;
  incarnation: Scanned<string | undefined>;
  peers: Scanned<Array<[string, string]>>;
  /** Whether a PEERS file exists (only a version that keeps incarnations writes one). */
  peersFileExists: boolean;
}

function scanned<T>(read: Promise<T>): Promise<Scanned<T>> {
  return read.then(
    (value) => ({ value }),
    (err: Error) => ({ damaged: err.message }),
  );
}

/** Reads the small files of the data directory `path` (read-only). */
export async function scanDirFiles(path: string): Promise<DirFilesScan> {
  let lock: DirFilesScan['lock'];
  for (const dir of [path, join(path, 'wal')]) {
    const holder = await lockHolder(dir);
    if (holder) {
      lock = { file: relative(path, join(dir, LOCK_FILE)), holder };
      break;
    }
  }
  return {
    lock,
    fingerprint: await scanned(readFingerprint(path)),
    member: await scanned(readMember(path)),
    incarnation: await scanned(readIncarnation(path)),
    peers: await scanned(PeerIncarnations.load(path, () => {}).then((kept) => kept.entries())),
    peersFileExists: await access(join(path, PEER_INCARNATIONS_FILE)).then(
      () => true,
      () => false,
    ),
  };
}

/**
 * The report's lines on the small files, and how many problems they name.
 * @param holdsData whether the directory holds a log entry or a snapshot (a missing INCARNATION is then no first start)
 */
export function renderDirFiles(scan: DirFilesScan, holdsData: boolean): { lines: string[]; problems: number } {
  const lines = [
    ...renderLock(scan.lock),
    'damaged' in scan.fingerprint
      ? refused(scan.fingerprint)
      : scan.fingerprint.value === undefined
        ? `No cluster fingerprint kept yet (${FINGERPRINT_FILE}): a joiner learns it from the member it asks to join.`
        : `Cluster fingerprint ${scan.fingerprint.value} (${FINGERPRINT_FILE}): the same on every member of one cluster.`,
    'damaged' in scan.member
      ? refused(scan.member)
      : scan.member.value === undefined
        ? `No member address kept yet (${MEMBER_FILE}): the next start keeps the address it is started with.`
        : `Belongs to member ${scan.member.value} (${MEMBER_FILE}): start() refuses it under another address.`,
    renderIncarnation(scan, holdsData),
    'damaged' in scan.peers
      ? refused(scan.peers)
      : scan.peers.value.length === 0
        ? `No member incarnations kept (${PEER_INCARNATIONS_FILE}).`
        : `Member incarnations kept (${PEER_INCARNATIONS_FILE}): ${scan.peers.value.map(([address, value]) => `${address} ${value}`).join(', ')}.`,
  ];
  return { lines, problems: lines.filter((line) => line.startsWith('Problem: ')).length };
}

function refused(file: { damaged: string }): string {
  return `Problem: ${file.damaged} (start() refuses it)`;
}

/** Who holds the directory's lock: a running node, or a process that died holding it. */
function renderLock(lock: DirFilesScan['lock']): string[] {
  if (lock === undefined) return [];
  const { file, holder } = lock;
  if (holder.pid === 0) {
    // A lock is linked into place whole (wal/dir-lock.ts): no holder, live or crashed, leaves it
    // without its record unless the record never reached the disk.
    return [
      `Its ${file} file holds no lock record: no process holds it (a lock is linked into place whole, so this is a machine crash before its record reached the disk under sync 'none', or something else wrote the file); the next start takes it over.`,
    ];
  }
  if (holder.running) return [`In use by pid ${holder.pid}, which is running: this is a snapshot of a live directory, whose log tail may be mid-write (a torn tail here may be a write in progress).`];
  return [`Locked by pid ${holder.pid}, which no longer runs (a crash or kill -9): the next start takes the lock over.`];
}

/**
 * The directory's incarnation. Missing from a directory that holds data and a PEERS file (which
 * only a version that made an incarnation at its first start writes), it was lost: the next start
 * makes a new one, which the members that heard the old one refuse (a user trial found this
 * reported as a first start, exit status 0).
 */
function renderIncarnation(scan: DirFilesScan, holdsData: boolean): string {
  const { incarnation, member } = scan;
  if ('damaged' in incarnation) return refused(incarnation);
  if (incarnation.value !== undefined) {
    return `Data directory incarnation ${incarnation.value} (${INCARNATION_FILE}): the members know this directory by it; another one at this address is refused until the member is removed.`;
  }
  if (!holdsData) return `No data directory incarnation yet (${INCARNATION_FILE}): the next start makes one.`;
  const who = 'value' in member && member.value !== undefined ? member.value : "this member's address";
  const putBack = `write back the old value: every member's ${PEER_INCARNATIONS_FILE} file holds it under ${who} (raft-node inspect on a member's data directory lists it), and a member refusing this node names it`;
  if (!scan.peersFileExists) {
    return (
      `No data directory incarnation (${INCARNATION_FILE}), though the directory holds a log or snapshot: the next start makes one. ` +
      `Harmless for a directory last run by a version from before 12-07; if the file was lost instead, the members that heard the old one refuse the new one: ${putBack}.`
    );
  }
  return (
    `Problem: no data directory incarnation (${INCARNATION_FILE}) in a directory that holds a log or snapshot and a ${PEER_INCARNATIONS_FILE} file: the file was lost. ` +
    `The members know this member by its old incarnation; the next start would make a new one, which they refuse as a wiped member's (the node then stops with LostDataError). ` +
    `Before starting it, ${putBack}.`
  );
}
