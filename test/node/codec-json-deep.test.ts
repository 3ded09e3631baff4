// With the codec fixes of a mutation review of src/codec.ts: the JSON codec's check for values
// that need its replacer walks the whole value (it used to give up past 64 levels and say yes),
// so binary values at any depth round trip, and a cycle is still refused with a CodecError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CodecError, jsonCodec } from '../../src/codec.js';

test('json: a Uint8Array nested 100 levels deep round trips', () => {
  let value: unknown = { bytes: Uint8Array.from([1, 2, 3]) };
  for (let i = 0; i < 100; i++) value = i % 2 === 0 ? { n: value } : [value];
  let back = jsonCodec.decode(jsonCodec.encode(value));
  for (let i = 99; i >= 0; i--) back = i % 2 === 0 ? (back as { n: unknown }).n : (back as unknown[])[0];
  const bytes = (back as { bytes: unknown }).bytes;
  assert.instance(bytes, Uint8Array);
  assert.equal([...(bytes as Uint8Array)], [1, 2, 3]);
});

test('json: a Float64Array inside a deep value is refused, naming its kind', () => {
  let value: unknown = { f: new Float64Array([1.5]) };
  for (let i = 0; i < 100; i++) value = { n: value };
  assert.throws(() => jsonCodec.encode(value), (e: unknown) => e instanceof CodecError && /Float64Array/.test(e.message));
});

test('json: a cyclic value is refused with a CodecError', () => {
  const cyclic: Record<string, unknown> = { a: [1, 2] };
  cyclic.self = { back: cyclic };
  assert.throws(() => jsonCodec.encode(cyclic), (e: unknown) => e instanceof CodecError);
});

test.run();
