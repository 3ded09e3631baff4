import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkFrame,
  decodeEntry,
  decodeSegmentHeader,
  decodeUpdate,
  encodeSegmentHeader,
  encodeUpdate,
  FRAME_HEADER_BYTES,
  isZeroFilled,
  lastNonZeroByte,
  SEGMENT_HEADER_BYTES,
  updateRecordBytes,
  type SegmentHeader,
} from '../../wal/record.js';
import { crc32c } from '../../wal/crc32c.js';
import { makeEntries } from './helpers.js';

/** A segment's checksum salt (any value; 0 is a format-1 segment's). */
const SALT = 0x5eed1234;

test('segment header round-trips, large safe integers included', () => {
  const header: SegmentHeader = {
    seq: 7,
    firstIndex: Number.MAX_SAFE_INTEGER - 1,
    prevTerm: 2 ** 40 + 3,
    reset: true,
    hardState: { term: 2 ** 33, vote: 3, commit: 2 ** 52 },
    salt: 0xdeadbeef,
  };
  const buf = encodeSegmentHeader(header);
  assert.is(buf.length, SEGMENT_HEADER_BYTES);
  assert.equal(decodeSegmentHeader(buf), header);
});

test('a damaged segment header is reported, not decoded', () => {
  const buf = encodeSegmentHeader({ seq: 1, firstIndex: 1, prevTerm: 0, reset: false, hardState: { term: 0, vote: 0, commit: 0 }, salt: 1 });
  buf[20] ^= 1;
  assert.type(decodeSegmentHeader(buf), 'string');
  assert.type(decodeSegmentHeader(Buffer.alloc(10)), 'string');
});

test('an update record round-trips: frame, hard state, entries located', () => {
  const entries = makeEntries(5, 9, 3);
  const hardState = { term: 3, vote: 2, commit: 7 };
  const bytes = updateRecordBytes(hardState, entries);
  const buf = Buffer.alloc(bytes + 10);
  const end = encodeUpdate(buf, 10, hardState, entries, SALT);
  assert.is(end, 10 + bytes);
  assert.is(checkFrame(buf, 10, buf.length, SALT), end);
  const located = decodeUpdate(buf, 10, end);
  if (typeof located === 'string') throw new Error(located);
  assert.equal(located.hardState, hardState);
  assert.equal(located.indices, [5, 6, 7, 8, 9]);
  assert.equal(located.terms, [3, 3, 3, 3, 3]);
  located.offsets.forEach((at, k) => assert.equal(decodeEntry(buf, at, 5 + k), entries[k]));
});

test('every single-bit flip in a record is caught by its checksums', () => {
  const entries = makeEntries(1, 2, 1, 5);
  const bytes = updateRecordBytes(undefined, entries);
  const buf = Buffer.alloc(bytes);
  encodeUpdate(buf, 0, undefined, entries, SALT);
  for (let bit = 0; bit < bytes * 8; bit++) {
    buf[bit >> 3] ^= 1 << (bit & 7);
    assert.is(checkFrame(buf, 0, bytes, SALT), -1, `bit ${bit}`);
    buf[bit >> 3] ^= 1 << (bit & 7);
  }
  assert.is(checkFrame(buf, 0, bytes, SALT), bytes);
  assert.is(checkFrame(buf, 0, bytes - 1, SALT), -1, 'cut short');
  assert.is(checkFrame(Buffer.alloc(64), 0, 64, SALT), -1, 'zeros');
});

test('a record checks out only under the salt of the segment it was written in (a record built inside entry data, without the salt, does not)', () => {
  const entries = makeEntries(1, 2, 1, 5);
  const bytes = updateRecordBytes({ term: 1, vote: 0, commit: 0 }, entries);
  const buf = Buffer.alloc(bytes);
  encodeUpdate(buf, 0, { term: 1, vote: 0, commit: 0 }, entries, SALT);
  assert.is(checkFrame(buf, 0, bytes, SALT), bytes);
  for (const other of [0, SALT ^ 1, 0xffffffff]) assert.is(checkFrame(buf, 0, bytes, other), -1, `salt ${other}`);
});

test('a format-1 segment header (no salt) is still read, as salt 0', () => {
  const buf = encodeSegmentHeader({ seq: 3, firstIndex: 10, prevTerm: 2, reset: false, hardState: { term: 2, vote: 1, commit: 9 }, salt: 0 });
  buf.writeUInt16LE(1, 4); // format 1
  buf.writeUInt32LE(0, 56);
  buf.writeUInt32LE(crc32c(buf, 0, 0, 60), 60);
  assert.equal(decodeSegmentHeader(buf), { seq: 3, firstIndex: 10, prevTerm: 2, reset: false, hardState: { term: 2, vote: 1, commit: 9 }, salt: 0 });
  buf.writeUInt16LE(3, 4);
  buf.writeUInt32LE(crc32c(buf, 0, 0, 60), 60);
  assert.match(String(decodeSegmentHeader(buf)), /unsupported segment format version 3/);
});

test('no record is all zeros, so a zero tail can never hide one: zero bytes are unwritten space', () => {
  // The frame header checksum of eight zero bytes is not zero.
  for (const length of [FRAME_HEADER_BYTES, 64, 4096]) assert.is(checkFrame(Buffer.alloc(length), 0, length, SALT), -1);
  const entries = makeEntries(1, 1, 1, 0);
  const buf = Buffer.alloc(updateRecordBytes(undefined, entries));
  encodeUpdate(buf, 0, undefined, entries, SALT);
  assert.ok(buf.subarray(0, FRAME_HEADER_BYTES).some((b) => b !== 0), 'a record has a non-zero byte in its first 12');
});

test('isZeroFilled and lastNonZeroByte: across the 64 KiB comparison chunks and at both ends', () => {
  const size = 200 * 1024 + 7;
  const buf = Buffer.alloc(size);
  assert.ok(isZeroFilled(buf, 0, size));
  assert.ok(isZeroFilled(buf, 5, 5), 'an empty range');
  assert.is(lastNonZeroByte(buf, 0, size), -1, 'none: from - 1');
  assert.is(lastNonZeroByte(buf, 100, size), 99);
  for (const at of [0, 1, 65535, 65536, 65537, 131072, size - 1]) {
    buf[at] = 7;
    assert.not.ok(isZeroFilled(buf, 0, size), `byte ${at}`);
    assert.ok(isZeroFilled(buf, at + 1, size), `after byte ${at}`);
    assert.ok(isZeroFilled(buf, 0, at), `before byte ${at}`);
    assert.is(lastNonZeroByte(buf, 0, size), at);
    assert.is(lastNonZeroByte(buf, 0, at), -1);
    assert.is(lastNonZeroByte(buf, at, at + 1), at);
    buf[at] = 0;
  }
  buf[10] = 1;
  buf[70000] = 1;
  assert.is(lastNonZeroByte(buf, 0, size), 70000);
  assert.is(lastNonZeroByte(buf, 0, 70000), 10);
});

test.run();
