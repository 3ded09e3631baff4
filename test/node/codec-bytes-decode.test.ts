// From a mutation review of src/codec.ts (BytesCodec.decode): the bytes codec decodes bytes only; any
// other value is a TypeError naming what it got, as for the other codecs, not an empty or
// number-made array.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BytesCodec, bytesCodec } from '../../src/codec.js';

test('bytes: decode of something that is not a Uint8Array is a TypeError naming it', () => {
  for (const codec of [bytesCodec, new BytesCodec()]) {
    for (const [value, kind] of [['3', 'string'], [3, 'number'], [[1, 2], 'Array'], [new ArrayBuffer(2), 'ArrayBuffer'], [new Uint16Array(2), 'Uint16Array'], [null, 'null']] as const) {
      assert.throws(
        () => codec.decode(value as unknown as Uint8Array),
        (error: unknown) => error instanceof TypeError && new RegExp(`^cannot decode command \\(bytes\\): expected a Uint8Array, got ${kind}$`).test((error as Error).message),
        `decode(${kind})`,
      );
    }
  }
});

test.run();
