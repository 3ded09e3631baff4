// codecs must round-trip what they accept or refuse it; never store other bytes silently.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonCodec, msgpackCodec, type Codec } from '../../src/codec.js';

const bytesOf = (v: ArrayBufferView | ArrayBuffer): number[] =>
  [...(v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength))];

/** The codec either refuses `value` or gives back its bytes (in some binary form). */
function roundTripsBytesOrRefuses(codec: Codec, value: ArrayBufferView | ArrayBuffer): void {
  let encoded: Uint8Array;
  try {
    encoded = codec.encode({ samples: value });
  } catch {
    return; // refused: fine
  }
  const back = (codec.decode(encoded) as { samples: unknown }).samples;
  const got = back instanceof Uint8Array || ArrayBuffer.isView(back) || back instanceof ArrayBuffer ? bytesOf(back as ArrayBufferView) : back;
  assert.equal(got, bytesOf(value), `${codec.name} accepted a ${value.constructor.name} and decoded ${JSON.stringify(got)}`);
}

test('msgpack: a Float64Array payload is refused or decodes to its own bytes, not to truncated elements and leftover slab bytes', () => {
  msgpackCodec.encode({ earlier: 'x'.repeat(64) });
  roundTripsBytesOrRefuses(msgpackCodec, new Float64Array([1.5, 2.5]));
});

test('msgpack: a Uint16Array payload is refused or decodes to its own bytes', () => {
  roundTripsBytesOrRefuses(msgpackCodec, new Uint16Array([258, 772]));
});

test('msgpack: a DataView payload is refused or decodes to its bytes, not to an empty bin', () => {
  roundTripsBytesOrRefuses(msgpackCodec, new DataView(new Uint8Array([7, 8, 9]).buffer));
});

test('json: an ArrayBuffer payload is refused or decodes to its bytes, not silently to {}', () => {
  roundTripsBytesOrRefuses(jsonCodec, new Uint8Array([1, 2, 3]).buffer);
});

test('json: a DataView payload is refused or decodes to its bytes, not silently to {}', () => {
  roundTripsBytesOrRefuses(jsonCodec, new DataView(new Uint8Array([7, 8, 9]).buffer));
});

test.run();
