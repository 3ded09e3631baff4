// Review (mutation testing of record.ts): decodeUpdate is the last line of defence when a record's
// checksums hold but its contents are not what the WAL writes (a foreign file, a bug in a writer,
// a record forged inside an unsalted format-1 segment). It must refuse bytes after the last entry
// and entries whose indices do not run consecutively; recovery indexes each entry by position, so
// accepting either would have entries read back under the wrong index or from the wrong bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFrame, decodeEntry, decodeUpdate, encodeUpdate, FRAME_HEADER_BYTES, updateRecordBytes } from '../../wal/record.js';
import { crc32c } from '../../wal/crc32c.js';
import { makeEntries, makeEntry } from './helpers.js';

const SALT = 0x5eed1234;

/** Rewrites the frame header of the record at 0 for a payload of `payloadBytes`, both checksums valid. */
function reframe(buf: Buffer, payloadBytes: number): void {
  buf.writeUInt32LE(payloadBytes, 0);
  buf.writeUInt32LE(crc32c(buf, SALT, FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + payloadBytes), 4);
  buf.writeUInt32LE(crc32c(buf, SALT, 0, 8), 8);
}

test('a record with valid checksums but bytes after its last entry is refused', () => {
  const entries = makeEntries(1, 3, 1, 8);
  const bytes = updateRecordBytes(undefined, entries);
  const buf = Buffer.alloc(bytes + 4);
  encodeUpdate(buf, 0, undefined, entries, SALT);
  assert.type(decodeUpdate(buf, 0, bytes), 'object', 'as written, it decodes');
  buf.writeUInt32LE(0xabcdef01, bytes);
  reframe(buf, bytes + 4 - FRAME_HEADER_BYTES);
  assert.is(checkFrame(buf, 0, buf.length, SALT), buf.length, 'the frame checks out');
  assert.match(String(decodeUpdate(buf, 0, buf.length)), /bytes after its last entry/);
});

test('a record with valid checksums whose entry indices skip one is refused', () => {
  const entries = [makeEntry(5, 1), makeEntry(7, 1)];
  const bytes = updateRecordBytes(undefined, entries);
  const buf = Buffer.alloc(bytes);
  encodeUpdate(buf, 0, undefined, entries, SALT); // the encoder does not validate: the WAL does
  assert.is(checkFrame(buf, 0, bytes, SALT), bytes);
  assert.match(String(decodeUpdate(buf, 0, bytes)), /entry index 7 does not follow 5/);
});

test('decodeEntry refuses an entry header that is not the index the in-memory index expects (file changed under the log)', () => {
  const entries = makeEntries(5, 6, 2, 10);
  const bytes = updateRecordBytes(undefined, entries);
  const buf = Buffer.alloc(bytes);
  encodeUpdate(buf, 0, undefined, entries, SALT);
  const located = decodeUpdate(buf, 0, bytes);
  if (typeof located === 'string') throw new Error(located);
  assert.equal(decodeEntry(buf, located.offsets[1], 6), entries[1]);
  assert.is(decodeEntry(buf, located.offsets[1], 5), undefined, 'entry 6 read where entry 5 was expected');
  assert.is(decodeEntry(buf, located.offsets[0], 6), undefined, 'entry 5 read where entry 6 was expected');
});

test.run();
