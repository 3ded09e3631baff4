// From a mutation review of src/codec.ts (MsgpackCodec.encode): a binary value other than a Uint8Array
// (which msgpackr would write as a bin holding leftover slab bytes) is refused wherever it sits in
// an array, first, middle or last; a value msgpackr cannot write (a cycle) is refused with a
// CodecError, not a bare RangeError; and a CodecError keeps msgpackr's own error as its cause.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsWith } from '../support/throws.js';
import { CodecError, msgpackCodec } from '../../src/codec.js';


test('msgpack: a typed array that is not a Uint8Array is refused as any item of an array (first, middle, last)', () => {
  const odd = () => new Float64Array([1.5, 2.5]);
  for (const value of [[odd()], [odd(), 1], [1, odd()], [1, odd(), 2], { list: ['a', odd()] }, [[odd()]], [new DataView(new ArrayBuffer(3))]]) {
    throwsWith(() => msgpackCodec.encode(value), CodecError, /^CodecError: cannot encode command \(msgpack\): cannot encode a (Float64Array|DataView)/);
  }
});

test('msgpack: a cyclic value is refused with a CodecError', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const list: unknown[] = [1];
  list.push(list);
  for (const value of [cyclic, list]) throwsWith(() => msgpackCodec.encode(value), CodecError, /^CodecError: cannot encode command \(msgpack\)/);
});

test('msgpack: a CodecError carries the underlying msgpackr error as its cause', () => {
  const decodeError = throwsWith(() => msgpackCodec.decode(Uint8Array.from([0x92, 0x01])), CodecError, /cannot decode command \(msgpack\): .+/);
  assert.instance(decodeError.cause, Error);
  assert.ok(decodeError.message.endsWith((decodeError.cause as Error).message), 'the message ends with the cause\'s');
  const encodeError = throwsWith(() => msgpackCodec.encode(2n ** 70n), CodecError, /cannot encode command \(msgpack\)/);
  assert.instance(encodeError.cause, Error);
});

test.run();
