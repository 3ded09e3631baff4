// From a mutation review of src/codec.ts, which found two bugs (fixed with these tests).
//
// MsgpackCodec.encode refuses binary values other than a Uint8Array (Float64Array, DataView, ...)
// because msgpackr writes them as a bin of their byte length filled with the wrong bytes: their
// elements cut to bytes, then whatever its allocation slab held before (bytes of earlier,
// unrelated encodings). The search for them did not look inside a Map or a Set, and gave up past
// 64 levels of nesting, answering "nothing found"; msgpackr encodes Maps, Sets and deep values, so
// there the value was accepted and written corrupt — silently, with bytes of other commands in it.
// The search (forEachNested) now covers Map keys and values, Set members and any depth.
//
// MsgpackCodec.decode refused the never-used byte 0xc1 only as the whole value; nested in an array
// or a map it decoded to msgpackr's internal placeholder object, which the command got as data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { msgpackCodec } from '../../src/codec.js';

const bytesOf = (v: ArrayBufferView): number[] => [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];

/** `encode` either refuses `value` or what decodes at `pick` has the bytes of `original`. */
function refusedOrExact(value: unknown, pick: (decoded: unknown) => unknown, original: ArrayBufferView): void {
  msgpackCodec.encode({ earlier: 'x'.repeat(64) }); // something else in the slab, as in a running node
  let encoded: Uint8Array;
  try {
    encoded = msgpackCodec.encode(value);
  } catch {
    return; // refused: fine
  }
  const back = pick(msgpackCodec.decode(encoded));
  const got = ArrayBuffer.isView(back) ? bytesOf(back) : back;
  assert.equal(got, bytesOf(original), `accepted a ${original.constructor.name} and decoded other bytes: ${JSON.stringify(got)}`);
}

test('msgpack: a Float64Array inside a Map is refused or decodes to its own bytes', () => {
  const f = new Float64Array([1.5, 2.5]);
  refusedOrExact(new Map([['k', f]]), (d) => (d as { k: unknown }).k, f);
});

test('msgpack: a Float64Array inside a Set is refused or decodes to its own bytes', () => {
  const f = new Float64Array([1.5, 2.5]);
  refusedOrExact(new Set([f]), (d) => (d as unknown[])[0], f);
});

test('msgpack: a Float64Array nested more than 64 levels deep is refused or decodes to its own bytes', () => {
  const f = new Float64Array([1.5, 2.5]);
  let value: unknown = { f };
  for (let i = 0; i < 70; i++) value = { n: value };
  refusedOrExact(value, (d) => {
    let v = d as { n?: unknown; f?: unknown };
    for (let i = 0; i < 70; i++) v = v.n as typeof v;
    return v.f;
  }, f);
});

test('msgpack: the never-used byte 0xc1 inside an array or a map is refused', () => {
  for (const bytes of [[0x91, 0xc1], [0x81, 0xa1, 0x61, 0xc1]]) {
    assert.throws(() => msgpackCodec.decode(Uint8Array.from(bytes)), (e: unknown) => e instanceof Error && e.name === 'CodecError', `decoded ${bytes.map((b) => b.toString(16)).join(' ')}`);
  }
});

test('msgpack: 0xc1 inside a number or binary data is data, not the unused byte', () => {
  const back = msgpackCodec.decode(msgpackCodec.encode({ n: 0xc1, b: Uint8Array.from([0xc1, 0xc1]) })) as { n: number; b: Uint8Array };
  assert.is(back.n, 0xc1);
  assert.equal([...back.b], [0xc1, 0xc1]);
});

test.run();
