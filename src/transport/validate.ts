/**
 * Structural validation of decoded peer messages. Bytes from the network are untrusted: this
 * checks every field of every message against the shapes in core/messages.ts and rebuilds each
 * message as a fresh object holding only known fields, so nothing unexpected (extra keys, Maps,
 * prototypes, BigInts) ever reaches the core. Errors name the message and the field.
 */
import { EntryType, type Entry, type Member, type Message, type SnapshotMeta } from '../core/messages.js';
import type { PeerMessage } from '../peer-messages.js';
import { entrySlab } from '../../wal/index.js';

/** Bytes that are not a valid batch (or frame): the message names the problem. */
export class WireError extends Error {
  override name = 'WireError';
}

/** How one field is checked. */
type FieldKind =
  | 'uint' // safe integer >= 0
  | 'uint?' // the same, or absent (a field older versions do not send)
  | 'int' // safe integer (readIndexResp.index may be -1)
  | 'bool'
  | 'string'
  | 'string?' // a string, or absent (a field older versions do not send)
  | 'bytes'
  | 'entries'
  | 'snapshotMeta';

/** Wire fields: symbol keys (local annotations such as COMMIT_NOTICE) are never encoded. */
type Fields<T> = Exclude<keyof T, 'type' | 'from' | 'to' | 'term' | symbol>;

/**
 * The fields of each message type besides type/from/to/term. The mapped type makes the compiler
 * reject this table when messages.ts gains, loses or renames a field, so validation cannot drift
 * from the types.
 */
const SCHEMAS: { [K in PeerMessage['type']]: { [F in Fields<Extract<PeerMessage, { type: K }>>]-?: FieldKind } } = {
  vote: { preVote: 'bool', lastIndex: 'uint', lastTerm: 'uint', transfer: 'bool' },
  voteResp: { preVote: 'bool', reject: 'bool' },
  append: { prevIndex: 'uint', prevTerm: 'uint', entries: 'entries', commit: 'uint', epoch: 'uint?' },
  appendResp: { reject: 'bool', index: 'uint', conflictTerm: 'uint', conflictIndex: 'uint', epoch: 'uint?' },
  heartbeat: { commit: 'uint', commitTerm: 'uint?', round: 'uint', epoch: 'uint?' },
  heartbeatResp: { round: 'uint' },
  snapshot: { meta: 'snapshotMeta', offset: 'uint', length: 'uint', data: 'bytes', done: 'bool', epoch: 'uint?' },
  snapshotResp: { snapshotIndex: 'uint', nextOffset: 'uint', epoch: 'uint?' },
  timeoutNow: {},
  readIndex: { context: 'string', lease: 'bool' },
  readIndexResp: { context: 'string', index: 'int' },
  notMember: { configIndex: 'uint', commit: 'uint', commitTerm: 'uint?' },
  // The Node layer's own messages (src/peer-messages.ts) share the streams.
  forward: { requestId: 'uint', op: 'string', data: 'bytes', address: 'string' },
  forwardResp: { requestId: 'uint', index: 'uint', logTerm: 'uint', error: 'string', message: 'string', leader: 'string', problem: 'string?' },
  nodeMeta: { meta: 'string', codec: 'string?' },
};

const ENTRY_TYPES: ReadonlySet<number> = new Set(Object.values(EntryType));

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object' && !isRecord(value)) return (value as object).constructor?.name ?? 'object';
  if (typeof value === 'number') return `number ${value}`;
  return typeof value;
}

/** A plain object (not an array, bytes, Map, Date or other class instance a decoder may produce). */
function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}


function fail(path: string, expected: string, value: unknown): never {
  throw new WireError(`${path} must be ${expected}, got ${describe(value)}`);
}

/**
 * The largest term, index or other count a peer may send: 2^52, so that one more (a new term, the
 * next index) is still a safe integer. A term of 2^53 - 1 taken from one forged message made
 * every later campaign's term unsendable: no leader, for good (found in review).
 */
const MAX_UINT = 2 ** 52;

function uint(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(path, 'a non-negative integer', value);
  if (value > MAX_UINT) throw new WireError(`${path} must be at most 2^52, got ${value}`);
  return value;
}

function int(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, 'an integer', value);
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'a boolean', value);
  return value;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'a string', value);
  return value;
}

function bytes(value: unknown, path: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(path, 'bytes (Uint8Array)', value);
  // The decoder hands out views into the receive buffer, which a small entry kept in the log
  // cache must not pin: those are copied (onto shared slabs). A large one that is most of the
  // frame keeps its view (see ByteSlab.keepOrCopy); nothing writes to a received frame.
  return entrySlab.keepOrCopy(value);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) fail(path, 'a map', value);
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  return value;
}

function entry(value: unknown, path: string): Entry {
  const e = record(value, path);
  const type = uint(e.type, `${path}.type`);
  if (!ENTRY_TYPES.has(type)) throw new WireError(`${path}.type must be a known EntryType, got ${type}`);
  return {
    index: uint(e.index, `${path}.index`),
    term: uint(e.term, `${path}.term`),
    type: type as EntryType,
    data: bytes(e.data, `${path}.data`),
  };
}

function member(value: unknown, path: string): Member {
  const m = record(value, path);
  const role = m.role;
  if (role !== 'voter' && role !== 'learner') fail(`${path}.role`, '"voter" or "learner"', role);
  return {
    id: uint(m.id, `${path}.id`),
    role,
    promote: bool(m.promote, `${path}.promote`),
    context: str(m.context, `${path}.context`),
  };
}

function snapshotMeta(value: unknown, path: string): SnapshotMeta {
  const m = record(value, path);
  return {
    index: uint(m.index, `${path}.index`),
    term: uint(m.term, `${path}.term`),
    membership: array(m.membership, `${path}.membership`).map((x, i) => member(x, `${path}.membership[${i}]`)),
    size: uint(m.size, `${path}.size`),
  };
}

function field(kind: FieldKind, value: unknown, path: string): unknown {
  switch (kind) {
    case 'uint':
      return uint(value, path);
    case 'uint?':
      return value === undefined || value === null ? undefined : uint(value, path);
    case 'int':
      return int(value, path);
    case 'bool':
      return bool(value, path);
    case 'string':
      return str(value, path);
    case 'string?':
      return value === undefined || value === null ? undefined : str(value, path);
    case 'bytes':
      return bytes(value, path);
    case 'entries':
      return array(value, path).map((x, i) => entry(x, `${path}[${i}]`));
    case 'snapshotMeta':
      return snapshotMeta(value, path);
  }
}

/**
 * Check one decoded value against the Message union and return a fresh, well-typed copy.
 * `path` prefixes error messages (e.g. "message 3").
 * @throws WireError naming the offending field.
 */
export function validateMessage(value: unknown, path = 'message'): Message {
  const m = record(value, path);
  const type = m.type;
  if (typeof type !== 'string' || !Object.hasOwn(SCHEMAS, type)) {
    throw new WireError(`${path}.type must be a known message type, got ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : describe(type)}`);
  }
  const where = `${path} (${type})`;
  const out: Record<string, unknown> = {
    type,
    from: uint(m.from, `${where}.from`),
    to: uint(m.to, `${where}.to`),
    term: uint(m.term, `${where}.term`),
  };
  const schema: Record<string, FieldKind> = SCHEMAS[type as PeerMessage['type']];
  for (const name in schema) {
    const v = field(schema[name]!, m[name], `${where}.${name}`);
    if (v !== undefined) out[name] = v;
  }
  if (type === 'append') checkAppendEntries(out as unknown as Extract<Message, { type: 'append' }>, where);
  return out as unknown as Message;
}

/**
 * An append's entries follow prevIndex one by one, with terms from prevTerm up to the message's
 * term, never going down: the core checks only the first entry, and the WAL refused the rest,
 * which stopped the follower (found in review: two forged messages took two of three members).
 */
function checkAppendEntries(m: Extract<Message, { type: 'append' }>, where: string): void {
  let term = m.prevTerm;
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i]!;
    if (e.index !== m.prevIndex + 1 + i) throw new WireError(`${where}.entries[${i}].index must be ${m.prevIndex + 1 + i} (entries follow prevIndex ${m.prevIndex}), got ${e.index}`);
    if (e.term < term || e.term > m.term) throw new WireError(`${where}.entries[${i}].term must be from ${term} to the message's term ${m.term}, got ${e.term}`);
    term = e.term;
  }
}

/**
 * Check a decoded batch: an array of messages.
 * @throws WireError naming the first offending message and field.
 */
export function validateBatch(value: unknown): Message[] {
  if (!Array.isArray(value)) fail('batch', 'an array of messages', value);
  return value.map((m, i) => validateMessage(m, `message ${i}`));
}
