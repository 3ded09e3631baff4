/**
 * The byte format of segment files: a fixed header, then framed update records. Pure encoding and
 * decoding over buffers; no I/O.
 *
 * Segment header (64 bytes, little-endian):
 *
 *     0  u32 magic "TSRW"      4  u16 version (2; 1 still read)  6  u16 flags (bit 0: reset)
 *     8  u64 seq (creation order of segments, never reused)
 *    16  u64 firstIndex        24 u64 prevTerm (term of entry firstIndex - 1)
 *    32  u64 hardState.term    40 u64 hardState.vote  48 u64 hardState.commit
 *    56  u32 salt (format 2: seeds every record checksum; 0 in format 1)  60 u32 CRC-32C of bytes 0..60
 *
 * Record frame (one per `save`):
 *
 *     0  u32 payload length    4  u32 CRC-32C of the payload
 *     8  u32 CRC-32C of bytes 0..8 (lets recovery test any offset for "is a record here?" cheaply)
 *    12  payload
 *
 * Update payload:
 *
 *     0  u8 kind (1 = update)  1  u8 flags (bit 0: has hard state)  2 u16 reserved (0)
 *     4  u32 entry count
 *     8  [hard state: u64 term, u64 vote, u64 commit]   if flags bit 0
 *        entries: u64 index, u64 term, u32 type, u32 data length, data bytes
 *
 * u64 fields hold integers up to 2^53 - 1 (JavaScript's safe integers).
 *
 * Unwritten tail: a segment file is extended to its full size when it is created (a sparse
 * extension, no bytes written), so its end is zero bytes until records fill it. Zero bytes right
 * after the last record are that unwritten space, not damage: no record is all zeros (the frame
 * header checksum of eight zero bytes is not zero), so a valid record always has a non-zero byte
 * among its first 12.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { entrySlab } from './byte-slab.js';
import { crc32c } from './crc32c.js';
import type { Entry, HardState } from './types.js';

/** Bytes of the header at the start of every segment file. */
export const SEGMENT_HEADER_BYTES = 64;
/** Bytes of the frame header in front of every record payload. */
export const FRAME_HEADER_BYTES = 12;
/** Fixed bytes at the start of an update payload. */
const UPDATE_FIXED_BYTES = 8;
/** Bytes of the hard state inside an update payload. */
const HARD_STATE_BYTES = 24;
/** Bytes in front of each entry's data. */
export const ENTRY_HEADER_BYTES = 24;

const SEGMENT_MAGIC = 0x57525354; // "TSRW" read as little-endian u32
/**
 * 2: the header carries a random salt (bytes 56–59) that seeds every record checksum in the
 * segment, so that entry data (a client's value) holding the bytes of a record can never pass for
 * one (see recovery.ts). 1: no salt; still read, as salt 0.
 */
const FORMAT_VERSION = 2;
const UNSALTED_FORMAT_VERSION = 1;
const SEGMENT_FLAG_RESET = 1;
const RECORD_KIND_UPDATE = 1;
const UPDATE_FLAG_HARD_STATE = 1;
const TWO_POW_32 = 0x1_0000_0000;
/** High word limit of a safe integer stored as u64. */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/** What a segment's header says about it. */
export interface SegmentHeader {
  /** Creation order. A segment overrides every older-seq segment at or after its firstIndex. */
  seq: number;
  /** Index of the first entry the segment holds (or would hold). */
  firstIndex: number;
  /** Term of entry firstIndex - 1: the snapshot term once everything before is compacted. */
  prevTerm: number;
  /** The segment discards every older segment, whatever their indices (after a snapshot install). */
  reset: boolean;
  /** Hard state when the segment was created; later records in the segment override it. */
  hardState: HardState;
  /**
   * Seeds the checksums of the segment's records: random per segment, unknown to clients, so a
   * record forged inside entry data does not check out. 0 in a segment of format 1.
   */
  salt: number;
}

/** One entry as located by {@link decodeUpdate}: where it is, not its data. */
export interface LocatedEntries {
  /** Hard state carried by the record, if any. */
  hardState: HardState | undefined;
  /** Index of each entry, in order (contiguous). */
  indices: number[];
  /** Term of each entry. */
  terms: number[];
  /** Byte offset of each entry's header within the buffer decoded. */
  offsets: number[];
}

/** Stores a u32 little-endian without Buffer's argument checks (the encoder sized the buffer). */
function putU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value;
  buf[at + 1] = value >>> 8;
  buf[at + 2] = value >>> 16;
  buf[at + 3] = value >>> 24;
}

function writeU64(buf: Uint8Array, at: number, value: number): void {
  putU32(buf, at, value >>> 0);
  putU32(buf, at + 4, value < TWO_POW_32 ? 0 : Math.floor(value / TWO_POW_32));
}

/** Reads a u64; returns -1 when it does not fit a safe integer. */
function readU64(buf: Buffer, at: number): number {
  const high = buf.readUInt32LE(at + 4);
  if (high > MAX_SAFE_HIGH_WORD) return -1;
  return high * TWO_POW_32 + buf.readUInt32LE(at);
}

/** A new segment's checksum salt: random, so that no client can build a record that checks out. */
export function newSegmentSalt(): number {
  return randomBytes(4).readUInt32LE(0);
}

/** Encodes a segment header into a new 64-byte buffer. */
export function encodeSegmentHeader(header: SegmentHeader): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
  buf.writeUInt32LE(SEGMENT_MAGIC, 0);
  buf.writeUInt16LE(FORMAT_VERSION, 4);
  buf.writeUInt16LE(header.reset ? SEGMENT_FLAG_RESET : 0, 6);
  writeU64(buf, 8, header.seq);
  writeU64(buf, 16, header.firstIndex);
  writeU64(buf, 24, header.prevTerm);
  writeU64(buf, 32, header.hardState.term);
  writeU64(buf, 40, header.hardState.vote);
  writeU64(buf, 48, header.hardState.commit);
  buf.writeUInt32LE(header.salt >>> 0, 56);
  buf.writeUInt32LE(crc32c(buf, 0, 0, 60), 60);
  return buf;
}

/** Decodes a segment header; returns a string saying what is wrong when it is not a valid one. */
export function decodeSegmentHeader(buf: Buffer): SegmentHeader | string {
  if (buf.length < SEGMENT_HEADER_BYTES) return `file is shorter than the ${SEGMENT_HEADER_BYTES}-byte segment header`;
  if (buf.readUInt32LE(0) !== SEGMENT_MAGIC) return 'not a segment file (bad magic number)';
  if (buf.readUInt32LE(60) !== crc32c(buf, 0, 0, 60)) return 'segment header checksum mismatch';
  const version = buf.readUInt16LE(4);
  if (version !== FORMAT_VERSION && version !== UNSALTED_FORMAT_VERSION) return `unsupported segment format version ${version}`;
  const fields = [8, 16, 24, 32, 40, 48].map((at) => readU64(buf, at));
  if (fields.some((v) => v < 0)) return 'segment header field out of range';
  const [seq, firstIndex, prevTerm, term, vote, commit] = fields as [number, number, number, number, number, number];
  const salt = version === UNSALTED_FORMAT_VERSION ? 0 : buf.readUInt32LE(56);
  return { seq, firstIndex, prevTerm, reset: (buf.readUInt16LE(6) & SEGMENT_FLAG_RESET) !== 0, hardState: { term, vote, commit }, salt };
}

/** Total bytes (frame included) of the record {@link encodeUpdate} writes for this update. */
export function updateRecordBytes(hardState: HardState | undefined, entries: readonly Entry[]): number {
  let bytes = FRAME_HEADER_BYTES + UPDATE_FIXED_BYTES + (hardState ? HARD_STATE_BYTES : 0);
  for (let i = 0; i < entries.length; i++) bytes += ENTRY_HEADER_BYTES + entries[i].data.byteLength;
  return bytes;
}

/** Offset of the first entry header relative to the start of its record. */
export function firstEntryOffset(hasHardState: boolean): number {
  return FRAME_HEADER_BYTES + UPDATE_FIXED_BYTES + (hasHardState ? HARD_STATE_BYTES : 0);
}

/** Writes an update payload's fixed part (and hard state) at `payloadStart`; returns the offset after it. */
function writeUpdatePrefix(out: Buffer, payloadStart: number, hardState: HardState | undefined, entryCount: number): number {
  out[payloadStart] = RECORD_KIND_UPDATE;
  out[payloadStart + 1] = hardState ? UPDATE_FLAG_HARD_STATE : 0;
  out.writeUInt16LE(0, payloadStart + 2);
  out.writeUInt32LE(entryCount, payloadStart + 4);
  let pos = payloadStart + UPDATE_FIXED_BYTES;
  if (hardState) {
    writeU64(out, pos, hardState.term);
    writeU64(out, pos + 8, hardState.vote);
    writeU64(out, pos + 16, hardState.commit);
    pos += HARD_STATE_BYTES;
  }
  return pos;
}

/** Writes the header in front of an entry's data at `pos`. */
function writeEntryHeader(out: Uint8Array, pos: number, entry: Entry): void {
  writeU64(out, pos, entry.index);
  writeU64(out, pos + 8, entry.term);
  putU32(out, pos + 16, entry.type);
  putU32(out, pos + 20, entry.data.byteLength);
}

/** Writes the frame header at `at`: the payload's length and checksum, then the header's own checksum. */
function writeFrameHeader(out: Buffer, at: number, payloadBytes: number, payloadCrc: number, salt: number): void {
  out.writeUInt32LE(payloadBytes, at);
  out.writeUInt32LE(payloadCrc, at + 4);
  out.writeUInt32LE(crc32c(out, salt, at, at + 8), at + 8);
}

/**
 * Encodes one update record (frame and payload, checksums seeded with the segment's `salt`) into
 * `out` at `at`. `out` must have {@link updateRecordBytes} bytes of room. Returns the offset
 * after the record.
 */
export function encodeUpdate(out: Buffer, at: number, hardState: HardState | undefined, entries: readonly Entry[], salt: number): number {
  const payloadStart = at + FRAME_HEADER_BYTES;
  let pos = writeUpdatePrefix(out, payloadStart, hardState, entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    writeEntryHeader(out, pos, entry);
    out.set(entry.data, pos + ENTRY_HEADER_BYTES);
    pos += ENTRY_HEADER_BYTES + entry.data.byteLength;
  }
  writeFrameHeader(out, at, pos - payloadStart, crc32c(out, salt, payloadStart, pos), salt);
  return pos;
}

/** Entry data of at least this many bytes goes into {@link encodeUpdatePieces} by reference. */
export const REFERENCED_DATA_BYTES = 1024 * 1024;

/**
 * The record {@link encodeUpdate} writes, the same bytes, as pieces for one vectored write: the
 * headers and the smaller entries in one fresh buffer, the data of entries of
 * {@link REFERENCED_DATA_BYTES} or more by reference (not copied; it must not change before the
 * write completes, as saved entries never do). For records too big for the WAL's reused encode
 * buffer: a fresh copy of a 59 MiB entry cost ~170 ms on the benchmark VM (every page faults on
 * first touch), more than writing it.
 */
export function encodeUpdatePieces(hardState: HardState | undefined, entries: readonly Entry[], salt: number): Uint8Array[] {
  let ownBytes = firstEntryOffset(hardState !== undefined);
  for (let i = 0; i < entries.length; i++) {
    const bytes = entries[i].data.byteLength;
    ownBytes += ENTRY_HEADER_BYTES + (bytes >= REFERENCED_DATA_BYTES ? 0 : bytes);
  }
  const own = Buffer.allocUnsafe(ownBytes);
  const pieces: Uint8Array[] = [];
  let pos = writeUpdatePrefix(own, FRAME_HEADER_BYTES, hardState, entries.length);
  let payloadBytes = pos - FRAME_HEADER_BYTES;
  // The payload checksum runs over the pieces in order; `own` from `pieceStart` is not yet in it.
  let crc = salt;
  let pieceStart = FRAME_HEADER_BYTES;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const data = entry.data;
    writeEntryHeader(own, pos, entry);
    pos += ENTRY_HEADER_BYTES;
    payloadBytes += ENTRY_HEADER_BYTES + data.byteLength;
    if (data.byteLength >= REFERENCED_DATA_BYTES) {
      crc = crc32c(data, crc32c(own, crc, pieceStart, pos));
      pieces.push(own.subarray(pieces.length === 0 ? 0 : pieceStart, pos), data);
      pieceStart = pos;
    } else {
      own.set(data, pos);
      pos += data.byteLength;
    }
  }
  crc = crc32c(own, crc, pieceStart, pos);
  if (pieces.length === 0) pieces.push(own);
  else if (pos > pieceStart) pieces.push(own.subarray(pieceStart, pos));
  writeFrameHeader(own, 0, payloadBytes, crc, salt);
  return pieces;
}

/**
 * Checks the frame of the record at `at` (both checksums, seeded with the segment's `salt`;
 * length within `end`). Returns the offset after the record, or -1 when no whole valid record
 * starts there.
 */
export function checkFrame(buf: Buffer, at: number, end: number, salt: number): number {
  if (end - at < FRAME_HEADER_BYTES) return -1;
  if (buf.readUInt32LE(at + 8) !== crc32c(buf, salt, at, at + 8)) return -1;
  const payloadEnd = at + FRAME_HEADER_BYTES + buf.readUInt32LE(at);
  if (payloadEnd > end) return -1;
  if (buf.readUInt32LE(at + 4) !== crc32c(buf, salt, at + FRAME_HEADER_BYTES, payloadEnd)) return -1;
  return payloadEnd;
}

/**
 * Where the record at `at` ends by its frame header's length, when that header's own checksum
 * holds (its payload may still be damaged); -1 when the header itself is damaged or cut short.
 */
export function claimedFrameEnd(buf: Buffer, at: number, end: number, salt: number): number {
  if (end - at < FRAME_HEADER_BYTES) return -1;
  if (buf.readUInt32LE(at + 8) !== crc32c(buf, salt, at, at + 8)) return -1;
  return at + FRAME_HEADER_BYTES + buf.readUInt32LE(at);
}

/**
 * Says why {@link checkFrame} rejects the record at `at` (for diagnostics such as the inspector),
 * or returns undefined when it accepts it.
 */
export function frameProblem(buf: Buffer, at: number, end: number, salt: number): string | undefined {
  if (end - at < FRAME_HEADER_BYTES) return `only ${end - at} bytes left, less than a ${FRAME_HEADER_BYTES}-byte record frame`;
  if (buf.readUInt32LE(at + 8) !== crc32c(buf, salt, at, at + 8)) return 'frame header CRC mismatch';
  const length = buf.readUInt32LE(at);
  if (at + FRAME_HEADER_BYTES + length > end) return `record length ${length} runs past the end of the file`;
  if (buf.readUInt32LE(at + 4) !== crc32c(buf, salt, at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length)) return 'payload CRC mismatch';
  return undefined;
}

/**
 * Decodes the payload of a record whose frame {@link checkFrame} accepted, locating its entries.
 * Returns a string saying what is wrong if the payload is not a well-formed update (which, behind
 * a valid checksum, means a foreign or corrupt file).
 */
export function decodeUpdate(buf: Buffer, at: number, recordEnd: number): LocatedEntries | string {
  const start = at + FRAME_HEADER_BYTES;
  if (recordEnd - start < UPDATE_FIXED_BYTES) return 'record payload too short';
  if (buf[start] !== RECORD_KIND_UPDATE) return `unknown record kind ${buf[start]}`;
  const flags = buf[start + 1];
  if ((flags & ~UPDATE_FLAG_HARD_STATE) !== 0 || buf.readUInt16LE(start + 2) !== 0) return 'unknown record flags';
  const count = buf.readUInt32LE(start + 4);
  let pos = start + UPDATE_FIXED_BYTES;
  let hardState: HardState | undefined;
  if (flags & UPDATE_FLAG_HARD_STATE) {
    if (recordEnd - pos < HARD_STATE_BYTES) return 'record too short for its hard state';
    const term = readU64(buf, pos);
    const vote = readU64(buf, pos + 8);
    const commit = readU64(buf, pos + 16);
    if (term < 0 || vote < 0 || commit < 0) return 'hard state field out of range';
    hardState = { term, vote, commit };
    pos += HARD_STATE_BYTES;
  }
  const located: LocatedEntries = { hardState, indices: [], terms: [], offsets: [] };
  for (let i = 0; i < count; i++) {
    if (recordEnd - pos < ENTRY_HEADER_BYTES) return `record too short for entry ${i} of ${count}`;
    const index = readU64(buf, pos);
    const term = readU64(buf, pos + 8);
    const end = pos + ENTRY_HEADER_BYTES + buf.readUInt32LE(pos + 20);
    if (index < 0 || term < 0) return 'entry index or term out of range';
    if (end > recordEnd) return `entry ${index} runs past the end of its record`;
    if (i > 0 && index !== located.indices[i - 1] + 1) return `entry index ${index} does not follow ${located.indices[i - 1]}`;
    if (i > 0 && term < located.terms[i - 1]) return `entry ${index} has term ${term} below the previous entry's`;
    located.indices.push(index);
    located.terms.push(term);
    located.offsets.push(pos);
    pos = end;
  }
  if (pos !== recordEnd) return 'record has bytes after its last entry';
  return located;
}

/**
 * Decodes the entry whose header is at `at` (as located at open or by a save) into a fresh
 * object with its own copy of the data. With `bufIsFresh` (`buf` is a read of its own that
 * nothing writes again), large data may keep a view of `buf` instead (see ByteSlab.keepOrCopy);
 * a reused scratch buffer, as the inspector's, must not say so. Returns undefined when the bytes
 * are not the entry expected, which means the file changed under us.
 */
export function decodeEntry(buf: Buffer, at: number, expectedIndex: number, bufIsFresh = false): Entry | undefined {
  if (buf.length - at < ENTRY_HEADER_BYTES) return undefined;
  const index = readU64(buf, at);
  const length = buf.readUInt32LE(at + 20);
  const dataStart = at + ENTRY_HEADER_BYTES;
  if (index !== expectedIndex || dataStart + length > buf.length) return undefined;
  const data = buf.subarray(dataStart, dataStart + length);
  return {
    index,
    term: readU64(buf, at + 8),
    type: buf.readUInt32LE(at + 16),
    data: bufIsFresh ? entrySlab.keepOrCopy(data) : entrySlab.copy(data),
  };
}

/** Zero bytes compared against in one step by {@link lastNonZeroByte}. */
const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/** Whether buf[from, end) holds only zero bytes: the unwritten tail of a preallocated segment. */
export function isZeroFilled(buf: Buffer, from: number, end: number): boolean {
  return lastNonZeroByte(buf, from, end) < from;
}

/** Offset of the last non-zero byte in buf[from, end), or from - 1 when there is none. */
export function lastNonZeroByte(buf: Buffer, from: number, end: number): number {
  let chunkEnd = end;
  while (chunkEnd > from) {
    const chunkStart = Math.max(from, chunkEnd - ZERO_CHUNK.length);
    const n = chunkEnd - chunkStart;
    if (buf.compare(ZERO_CHUNK, 0, n, chunkStart, chunkEnd) !== 0) {
      for (let at = chunkEnd - 1; at >= chunkStart; at--) if (buf[at] !== 0) return at;
    }
    chunkEnd = chunkStart;
  }
  return from - 1;
}
