/**
 * The snapshot file format and its verification.
 *
 * A snapshot is one file named `<index:20 digits>-<term:20 digits>.snap` (so `ls` sorts it):
 *
 * ```
 * [ application data            dataSize bytes                                      ]
 * [ metadata JSON               {version,index,term,membership,dataSize,dataSha256,sessions?} ]
 * [ SHA-256 of the JSON         32 bytes                                            ]
 * [ JSON length                 u32 little-endian                                   ]
 * [ format version              u32 little-endian (1)                               ]
 * [ magic                       8 bytes "TSRAFTSN"                                  ]
 * ```
 *
 * The metadata goes last because it is only known once the application has written its data.
 * A file is valid when the trailer parses, the JSON's hash matches, its sizes add up to the file
 * size, its index and term match the file name and the data hashes to `dataSha256`.
 * @module
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Member, Membership } from '../core/messages.js';
import { SnapshotCorruptionError } from './errors.js';
import { readFully } from './files.js';
import { isSessionRecords, type SessionRecord } from '../sessions.js';
import type { SnapshotTarget, StoredSnapshot } from './types.js';

/** Digits of the index and of the term in a file name: any safe integer fits. */
const NAME_DIGITS = 20;
/** Suffix of complete snapshot files. */
export const SNAPSHOT_SUFFIX = '.snap';
/** Suffix of files being written or received; renamed into place when complete, deleted at open. */
export const TEMP_SUFFIX = '.tmp';
const SNAPSHOT_NAME = /^(\d{20})-(\d{20})\.snap$/;

/** The magic closing every snapshot file. */
const MAGIC = Buffer.from('TSRAFTSN', 'latin1');
/** Version of this format, stored in the trailer and in the JSON. */
export const FORMAT_VERSION = 1;
/** Fixed bytes after the metadata JSON: its SHA-256, its length, the version and the magic. */
export const TRAILER_BYTES = 32 + 4 + 4 + MAGIC.length;
/** Larger metadata is refused as corrupt (a membership list is a few kilobytes at most). */
const MAX_META_BYTES = 16 * 1024 * 1024;
/** Read size while hashing data. */
const HASH_CHUNK_BYTES = 1 << 20;

/** File name of the snapshot at (index, term), e.g. `00000000000000001234-00000000000000000003.snap`. */
export function snapshotFileName(index: number, term: number): string {
  return `${String(index).padStart(NAME_DIGITS, '0')}-${String(term).padStart(NAME_DIGITS, '0')}${SNAPSHOT_SUFFIX}`;
}

/** Index and term encoded in a snapshot file name, or undefined if `name` is not one. */
export function parseSnapshotFileName(name: string): { index: number; term: number } | undefined {
  const match = SNAPSHOT_NAME.exec(name);
  if (!match) return undefined;
  const index = Number(match[1]);
  const term = Number(match[2]);
  return Number.isSafeInteger(index) && Number.isSafeInteger(term) ? { index, term } : undefined;
}

/** Throws a RangeError unless index and term are safe integers >= 0 and membership an array. */
export function checkTarget(target: SnapshotTarget): void {
  if (!Number.isSafeInteger(target.index) || target.index < 0) throw new RangeError(`snapshot index must be an integer >= 0, got ${target.index}`);
  if (!Number.isSafeInteger(target.term) || target.term < 0) throw new RangeError(`snapshot term must be an integer >= 0, got ${target.term}`);
  if (!Array.isArray(target.membership)) throw new RangeError('snapshot membership must be an array of members');
}

/** Members with exactly the four fields, in a fixed order: compares and serializes stably. */
export function normalizeMembership(membership: Membership): Member[] {
  return membership.map((m) => ({ id: m.id, role: m.role, promote: m.promote, context: m.context }));
}

/** Whether two configurations list the same members with the same fields, in the same order. */
export function sameMembership(a: Membership, b: Membership): boolean {
  return JSON.stringify(normalizeMembership(a)) === JSON.stringify(normalizeMembership(b));
}

/** The bytes that follow `dataSize` bytes of data hashing to `dataSha256` in a snapshot of `target`. */
export function encodeTrailer(target: SnapshotTarget, dataSize: number, dataSha256: string): Buffer {
  const json = Buffer.from(
    JSON.stringify({
      version: FORMAT_VERSION,
      index: target.index,
      term: target.term,
      membership: normalizeMembership(target.membership),
      dataSize,
      dataSha256,
      ...(target.sessions && target.sessions.length > 0 ? { sessions: target.sessions } : {}),
    }),
    'utf8',
  );
  const fixed = Buffer.alloc(TRAILER_BYTES);
  createHash('sha256').update(json).digest().copy(fixed, 0);
  fixed.writeUInt32LE(json.length, 32);
  fixed.writeUInt32LE(FORMAT_VERSION, 36);
  MAGIC.copy(fixed, 40);
  return Buffer.concat([json, fixed]);
}

/**
 * Reads and verifies the snapshot file at `path`: trailer, metadata checksum, sizes, data
 * checksum, and (when given) that index and term are `expected`'s.
 * @throws SnapshotCorruptionError when any check fails; file-system errors (ENOENT…) as they are
 */
export async function readSnapshotFile(path: string, expected?: { index: number; term: number }): Promise<StoredSnapshot> {
  const corrupt = (reason: string): SnapshotCorruptionError => new SnapshotCorruptionError(path, reason);
  const fh = await open(path, 'r');
  try {
    const fileSize = (await fh.stat()).size;
    if (fileSize < TRAILER_BYTES) throw corrupt(`${fileSize} bytes is shorter than the ${TRAILER_BYTES}-byte trailer`);
    const fixed = await readFully(fh, TRAILER_BYTES, fileSize - TRAILER_BYTES);
    if (fixed.length < TRAILER_BYTES) throw corrupt('file shrank while being read');
    if (!fixed.subarray(40).equals(MAGIC)) throw corrupt('no snapshot trailer magic at the end of the file');
    const version = fixed.readUInt32LE(36);
    if (version !== FORMAT_VERSION) throw corrupt(`unknown format version ${version}`);
    const metaBytes = fixed.readUInt32LE(32);
    if (metaBytes > MAX_META_BYTES || metaBytes > fileSize - TRAILER_BYTES) throw corrupt(`metadata length ${metaBytes} does not fit the file`);
    const dataSize = fileSize - TRAILER_BYTES - metaBytes;
    const json = await readFully(fh, metaBytes, dataSize);
    if (!createHash('sha256').update(json).digest().equals(fixed.subarray(0, 32))) throw corrupt('metadata checksum mismatch');
    const meta = parseMeta(json, corrupt);
    if (meta.dataSize !== dataSize) throw corrupt(`metadata says ${meta.dataSize} data bytes, the file holds ${dataSize}`);
    if (expected && (meta.index !== expected.index || meta.term !== expected.term)) {
      throw corrupt(`holds index ${meta.index} term ${meta.term}, expected index ${expected.index} term ${expected.term}`);
    }
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(HASH_CHUNK_BYTES, Math.max(1, dataSize)));
    for (let position = 0; position < dataSize; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, dataSize - position), position);
      if (bytesRead === 0) throw corrupt('file shrank while being read');
      hash.update(buf.subarray(0, bytesRead));
      position += bytesRead;
    }
    if (hash.digest('hex') !== meta.dataSha256) throw corrupt('data checksum mismatch');
    return {
      meta: { index: meta.index, term: meta.term, membership: meta.membership, size: fileSize },
      dataSize,
      dataSha256: meta.dataSha256,
      path,
      sessions: meta.sessions,
    };
  } finally {
    await fh.close();
  }
}

interface TrailerMeta {
  index: number;
  term: number;
  membership: Member[];
  dataSize: number;
  dataSha256: string;
  sessions: SessionRecord[];
}

function parseMeta(json: Buffer, corrupt: (reason: string) => Error): TrailerMeta {
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    throw corrupt('metadata is not JSON');
  }
  const v = value as Partial<Record<keyof TrailerMeta, unknown>> | null;
  const count = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (typeof v !== 'object' || v === null) throw corrupt('metadata is not an object');
  if (!count(v.index) || !count(v.term) || !count(v.dataSize)) throw corrupt('metadata index, term or dataSize malformed');
  if (typeof v.dataSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.dataSha256)) throw corrupt('metadata dataSha256 malformed');
  if (!Array.isArray(v.membership) || !v.membership.every(isMember)) throw corrupt('metadata membership malformed');
  // Snapshots written before proposer sessions have none.
  if (v.sessions !== undefined && !isSessionRecords(v.sessions)) throw corrupt('metadata sessions malformed');
  return { index: v.index, term: v.term, membership: normalizeMembership(v.membership), dataSize: v.dataSize, dataSha256: v.dataSha256, sessions: v.sessions ?? [] };
}

function isMember(m: unknown): m is Member {
  const x = m as Partial<Member> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    Number.isSafeInteger(x.id) &&
    (x.role === 'voter' || x.role === 'learner') &&
    typeof x.promote === 'boolean' &&
    typeof x.context === 'string'
  );
}
