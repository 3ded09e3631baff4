// From a mutation review of src/codec.ts (JsonCodec.decode): bytes the JSON codec wrote always decode
// back, whichever base64 characters their binary values use; bytes that are not what it writes
// (invalid UTF-8 inside a string, a `$bytes` tag whose value is not a base64 string) are refused with
// a CodecError instead of being decoded into other data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsWith } from '../support/throws.js';
import { CodecError, jsonCodec } from '../../src/codec.js';


test('json: binary values whose base64 holds "+" and "/" round trip (the decoder accepts the whole alphabet the encoder writes)', () => {
  for (const bytes of [[0xfb, 0xef, 0xbe], [0xff, 0xff, 0xff], [0xf8], [0x00, 0x3e, 0xff, 0xbf]]) {
    const value = { v: Uint8Array.from(bytes) };
    const encoded = jsonCodec.encode(value);
    const text = Buffer.from(encoded).toString('utf8');
    const decoded = jsonCodec.decode(encoded) as { v: Uint8Array };
    assert.instance(decoded.v, Uint8Array, text);
    assert.equal(Array.from(decoded.v), bytes, text);
  }
  // The encoder really wrote both characters above.
  assert.is(Buffer.from(jsonCodec.encode(Uint8Array.from([0xfb, 0xef, 0xbe]))).toString(), '{"$bytes":"++++"}');
  assert.is(Buffer.from(jsonCodec.encode(Uint8Array.from([0xff, 0xff, 0xff]))).toString(), '{"$bytes":"////"}');
});

test('json: a $bytes tag whose value is not a string is refused, not decoded into other bytes', () => {
  // ["AQID"] stringifies to a valid base64 text, and Buffer.from(array) makes bytes of its items.
  for (const text of ['{"$bytes":["AQID"]}', '{"v":{"$bytes":["AAAA"]}}', '{"$bytes":[1234]}', '{"$bytes":{"toString":"AQID"}}']) {
    throwsWith(() => jsonCodec.decode(Buffer.from(text)), CodecError, /^CodecError: cannot decode command \(json\): malformed binary value/);
  }
});

test('json: invalid UTF-8 inside a JSON string is refused, not replaced with U+FFFD', () => {
  const cases = [
    Uint8Array.from([0x22, 0xff, 0x22]), // "\xff"
    Uint8Array.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]), // {"k":"\xc3"} (truncated sequence)
    Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22]), // an encoded UTF-16 surrogate
  ];
  for (const bytes of cases) throwsWith(() => jsonCodec.decode(bytes), CodecError, /^CodecError: cannot decode command \(json\): invalid UTF-8/);
});

test.run();
