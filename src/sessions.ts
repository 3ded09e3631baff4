/**
 * Proposer sessions: each command entry names its proposer's session and a sequence number, so
 * that a proposal retried after a leader failure applies once, not twice (the Raft thesis,
 * §6.3). Every node keeps the same table, built from the log in log order, and snapshots carry it.
 *
 * In the log, a command entry with a session is
 * `[u32 0][u8 version 1][varint session][varint seq][varint seq - floor][u32 type id][payload]`:
 * type ids are >= 1, so a leading zero tells it from a command written without one (older logs).
 * `floor` is the proposer's lowest sequence number still awaiting an answer: an entry below the
 * floor of a later entry of its session is one the proposer gave up on, and is skipped.
 * @module
 */

/** The session fields of a command entry. */
export interface SessionHeader {
  /** The proposer's session: random, new at every start of a Node. */
  session: number;
  /** The proposal's sequence number in its session (>= 1). */
  seq: number;
  /** The proposer's lowest sequence number still awaiting an answer when this one was sent. */
  floor: number;
}

/** A session header and the command bytes after it. */
export interface SessionFrame {
  header: SessionHeader | undefined;
  /** `[u32 type id][payload]`: what the command registry decodes. */
  command: Uint8Array;
}

/** A session as snapshots store it: [session, floor, last index it proposed at, seqs applied at or above floor]. */
export type SessionRecord = [number, number, number, number[]];

/** What the entry of a known proposal answers with: the first application's outcome. */
export interface SessionOutcome {
  result: unknown;
  error: Error | undefined;
}

const MARKER_BYTES = 4;
const VERSION = 1;

/**
 * Bytes of the session header of `h`. Refuses (RangeError) a floor above the seq: `seq - floor`
 * would be written as a negative varint, which corrupts the framing of the entry.
 */
export function sessionHeaderBytes(h: SessionHeader): number {
  if (!(h.floor <= h.seq)) throw new RangeError(`session header: floor ${h.floor} is above seq ${h.seq}`);
  return MARKER_BYTES + 1 + varintBytes(h.session) + varintBytes(h.seq) + varintBytes(h.seq - h.floor);
}

/**
 * Writes the session header of `h` into `out` at `at` (written straight into the entry's bytes:
 * no buffer of its own per proposal); returns where it ends.
 */
export function writeSessionHeader(out: Uint8Array, at: number, h: SessionHeader): number {
  out[at] = out[at + 1] = out[at + 2] = out[at + 3] = 0;
  out[at + MARKER_BYTES] = VERSION;
  let end = writeVarint(out, at + MARKER_BYTES + 1, h.session);
  end = writeVarint(out, end, h.seq);
  return writeVarint(out, end, h.seq - h.floor);
}

/** The session header of `h` on its own (tests, tools). */
export function encodeSessionHeader(h: SessionHeader): Uint8Array {
  const out = new Uint8Array(sessionHeaderBytes(h));
  writeSessionHeader(out, 0, h);
  return out;
}

/**
 * Reads the session header at the start of command entry data into `into`: returns the offset
 * of the command bytes, or 0 for data written without a header (older logs), `into` untouched.
 * Allocates nothing (it runs for every applied entry on every node).
 * @throws RangeError on a malformed header (names what is wrong)
 */
export function readSessionHeader(data: Uint8Array, into: SessionHeader): number {
  if (data.byteLength < MARKER_BYTES || data[0] !== 0 || data[1] !== 0 || data[2] !== 0 || data[3] !== 0) return 0;
  if (data[MARKER_BYTES] !== VERSION) throw new RangeError(`command entry has a session header of unknown version ${data[MARKER_BYTES] ?? '(none)'}`);
  let at = MARKER_BYTES + 1;
  const session = readVarint(data, at);
  at += varintBytes(session);
  const seq = readVarint(data, at);
  at += varintBytes(seq);
  const behind = readVarint(data, at);
  at += varintBytes(behind);
  if (behind > seq) throw new RangeError(`command entry's session header has a floor below zero (seq ${seq}, ${behind} behind)`);
  into.session = session;
  into.seq = seq;
  into.floor = seq - behind;
  return at;
}

/** Splits command entry data into its session header (undefined without one) and the command bytes. */
export function decodeSessionFrame(data: Uint8Array): SessionFrame {
  const header: SessionHeader = { session: 0, seq: 0, floor: 0 };
  const at = readSessionHeader(data, header);
  return at === 0 ? { header: undefined, command: data } : { header, command: data.subarray(at) };
}

function varintBytes(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

/** LEB128 of a safe integer >= 0 (arithmetic, not bitwise: values may exceed 32 bits). */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}

/** The LEB128 number at `at`; its length is varintBytes(value) (the writer never pads). */
function readVarint(data: Uint8Array, at: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    const byte = data[at + i];
    if (byte === undefined) throw new RangeError('command entry ends inside its session header');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (!Number.isSafeInteger(value)) break;
      if (i > 0 && byte === 0) throw new RangeError('command entry has a padded number in its session header');
      return value;
    }
    scale *= 0x80;
  }
  throw new RangeError('command entry has a session header number beyond 2^53');
}

interface Session {
  floor: number;
  /** Index of this session's latest entry: the least recently active session is evicted first. */
  lastIndex: number;
  /** Seqs applied at or above `floor`, with their outcome (undefined: restored from a snapshot, outcome not kept). */
  applied: Map<number, SessionOutcome | undefined>;
  /** Prune `applied` of seqs below the floor once it holds this many. */
  pruneAt: number;
}

const PRUNE_MIN = 64;

/** What {@link SessionTable.admit} decides for an entry. */
export type Admission = { run: true } | { run: false; outcome: SessionOutcome | undefined; stale: boolean };

const RUN: Admission = { run: true };

/**
 * The sessions of every proposer, as of the last applied entry. Deterministic: every node feeds it
 * the same entries in the same order and so holds the same table.
 */
export class SessionTable {
  private readonly sessions = new Map<number, Session>();

  /** @param capacity the sessions kept; beyond it the least recently active is forgotten */
  constructor(readonly capacity = 4096) {}

  /** Sessions held. */
  get size(): number {
    return this.sessions.size;
  }

  /** Applied seqs remembered over every session (pruned as the floors rise). */
  get seqsHeld(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.applied.size;
    return n;
  }

  /**
   * Decides whether the command of the entry at `index` runs: not if its seq already applied (a
   * retried proposal) or lies below its session's floor (one its proposer gave up on). Call
   * {@link SessionTable.record} after running it.
   */
  admit(h: SessionHeader, index: number): Admission {
    let s = this.sessions.get(h.session);
    if (!s) {
      s = { floor: h.floor, lastIndex: index, applied: new Map(), pruneAt: PRUNE_MIN };
      this.sessions.set(h.session, s);
      if (this.sessions.size > this.capacity) this.evictLeastRecent();
    }
    s.lastIndex = index;
    if (h.floor > s.floor) {
      s.floor = h.floor;
      if (s.applied.size >= s.pruneAt) this.prune(s);
    }
    if (h.seq < s.floor) return { run: false, outcome: undefined, stale: true };
    if (s.applied.has(h.seq)) return { run: false, outcome: s.applied.get(h.seq), stale: false };
    return RUN;
  }

  /** Remembers that a command {@link SessionTable.admit} let run applied, with its outcome if given. */
  record(h: SessionHeader, outcome: SessionOutcome | undefined): void {
    this.sessions.get(h.session)?.applied.set(h.seq, outcome);
  }

  /** The table as a snapshot stores it (outcomes are not kept: a snapshot holds no results). */
  toRecords(): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const [session, s] of this.sessions) {
      const seqs: number[] = [];
      for (const seq of s.applied.keys()) if (seq >= s.floor) seqs.push(seq);
      out.push([session, s.floor, s.lastIndex, seqs]);
    }
    return out;
  }

  /** Replaces the table with a snapshot's (an empty one for snapshots written without sessions). */
  restore(records: readonly SessionRecord[]): void {
    this.sessions.clear();
    for (const [session, floor, lastIndex, seqs] of records) {
      this.sessions.set(session, { floor, lastIndex, applied: new Map(seqs.map((q) => [q, undefined])), pruneAt: Math.max(PRUNE_MIN, 2 * seqs.length) });
    }
  }

  /** Drops the seqs below the floor; runs when the map doubled since the last time (amortized O(1)). */
  private prune(s: Session): void {
    const kept = new Map<number, SessionOutcome | undefined>();
    for (const [seq, outcome] of s.applied) if (seq >= s.floor) kept.set(seq, outcome);
    s.applied = kept;
    s.pruneAt = Math.max(PRUNE_MIN, 2 * kept.size);
  }

  private evictLeastRecent(): void {
    let oldest: number | undefined;
    let oldestIndex = Infinity;
    for (const [session, s] of this.sessions) {
      if (s.lastIndex < oldestIndex) {
        oldestIndex = s.lastIndex;
        oldest = session;
      }
    }
    if (oldest !== undefined) this.sessions.delete(oldest);
  }
}

/** Whether `v` is a list of well-formed {@link SessionRecord}s (read back from a snapshot). */
export function isSessionRecords(v: unknown): v is SessionRecord[] {
  const count = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  return Array.isArray(v) && v.every((r) => Array.isArray(r) && r.length === 4 && count(r[0]) && count(r[1]) && count(r[2]) && Array.isArray(r[3]) && (r[3] as unknown[]).every(count));
}
