import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c } from '../../wal/crc32c.js';

/** Bit-at-a-time reference implementation, obviously right and slow. */
function referenceCrc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

test('"123456789" -> 0xE3069283 (the standard check value)', () => {
  assert.is(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('empty input -> 0', () => {
  assert.is(crc32c(new Uint8Array(0)), 0);
});

test('RFC 3720 (iSCSI) appendix B.4 vectors', () => {
  const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
  const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
  assert.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.is(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.is(crc32c(ascending), 0x46dd794e);
  assert.is(crc32c(descending), 0x113fdb5c);
});

test('"The quick brown fox jumps over the lazy dog" -> 0x22620404', () => {
  assert.is(crc32c(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x22620404);
});

test('matches the bit-at-a-time reference at every length and alignment (byte and word loops)', () => {
  const backing = new Uint8Array(5000);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + (i >> 3)) & 0xff;
  for (const offset of [0, 1, 2, 3, 5, 7]) {
    for (const length of [0, 1, 7, 8, 9, 63, 255, 256, 257, 1000, 4093]) {
      const view = backing.subarray(offset, offset + length);
      assert.is(crc32c(view), referenceCrc32c(view), `offset ${offset} length ${length}`);
    }
  }
});

test('start/end select a range; a previous CRC continues the checksum', () => {
  const data = Buffer.from('hello, write-ahead log; hello, raft; '.repeat(20));
  for (const cut of [0, 1, 9, 300, data.length]) {
    assert.is(crc32c(data, crc32c(data, 0, 0, cut), cut, data.length), crc32c(data));
  }
  assert.is(crc32c(data, 0, 5, 14), crc32c(data.subarray(5, 14)));
});

test.run();
