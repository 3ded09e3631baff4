// Command codecs: round trips, clear errors for garbage and for values a codec cannot represent,
// the bytes codec's type check and copying, and MessagePack interop between msgpackr (what
// MsgpackCodec writes) and msgpack-lite in both directions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsWith } from '../support/throws.js';
import msgpackLite from 'msgpack-lite';
import {
  BytesCodec,
  CodecError,
  JsonCodec,
  MsgpackCodec,
  bytesCodec,
  jsonCodec,
  msgpackCodec,
  type Codec,
} from '../../src/codec.js';
import { CommandRegistry } from '../../src/command.js';

/** Buffers and Uint8Arrays of the same bytes compare equal; everything else as is. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

function roundTrip(codec: Codec, value: unknown): unknown {
  const bytes = codec.encode(value);
  assert.instance(bytes, Uint8Array, `${codec.name} encodes to a Uint8Array`);
  return codec.decode(bytes);
}


const structured: unknown[] = [
  'hello',
  '',
  'ünïcödé ✓ 🚀',
  0,
  -1,
  42,
  2 ** 31,
  -(2 ** 40),
  Number.MAX_SAFE_INTEGER,
  3.25,
  -0.1,
  true,
  false,
  null,
  [],
  {},
  [1, 'two', null, [3, [4]]],
  { key: 'k001', value: 'v'.repeat(32) },
  { op: 'set', args: { key: 'a', ttl: 30, tags: ['x', 'y'], nested: { deep: { deeper: [null, true] } } } },
  { key: 'k', value: new Uint8Array([0, 1, 2, 254, 255]) },
  { key: 'k', value: Buffer.from('raw bytes') },
  { empty: new Uint8Array(0), list: [new Uint8Array([9]), new Uint8Array([8, 7])] },
];

for (const codec of [msgpackCodec, jsonCodec, new MsgpackCodec(), new JsonCodec()]) {
  test(`${codec.name}: round trips strings, numbers, nested objects, binary values and null`, () => {
    for (const value of structured) {
      assert.equal(normalize(roundTrip(codec, value)), normalize(value), JSON.stringify(normalize(value)));
    }
  });

  test(`${codec.name}: a decoded binary value is a Uint8Array that does not alias the encoded bytes`, () => {
    const bytes = codec.encode({ value: new Uint8Array([1, 2, 3]) });
    const decoded = codec.decode(bytes) as { value: Uint8Array };
    assert.instance(decoded.value, Uint8Array);
    decoded.value.fill(0);
    assert.equal(normalize(codec.decode(bytes)), { value: { bytes: [1, 2, 3] } });
  });

  test(`${codec.name}: garbage is rejected with a CodecError naming the codec`, () => {
    const garbage = [
      new Uint8Array(0),
      Uint8Array.from([0xc1]), // never used in MessagePack; not JSON either
      Uint8Array.from([0x92, 0x01]), // MessagePack array of 2 with 1 element; not JSON
      Uint8Array.from([0xff, 0xfe, 0xfd]), // invalid UTF-8
      Buffer.from('{"key": '),
      Buffer.from('{"a":1} trailing'),
    ];
    for (const bytes of garbage) {
      const error = throwsWith(() => codec.decode(bytes), CodecError, new RegExp(`^CodecError: cannot decode command \\(${codec.name}\\): .+`));
      assert.is((error as CodecError).codec, codec.name);
      assert.is((error as CodecError).direction, 'decode');
    }
  });

  test(`${codec.name}: decode of something that is not bytes is a TypeError`, () => {
    throwsWith(() => codec.decode('{}' as unknown as Uint8Array), TypeError, /expected a Uint8Array, got string/);
  });
}

test('msgpack: trailing bytes after a value are refused', () => {
  const bytes = new Uint8Array([...msgpackCodec.encode({ a: 1 }), 0x01]);
  throwsWith(() => msgpackCodec.decode(bytes), CodecError, /cannot decode command \(msgpack\)/);
});

test('msgpack: values MessagePack cannot hold are refused with a CodecError', () => {
  throwsWith(() => msgpackCodec.encode(2n ** 70n), CodecError, /cannot encode command \(msgpack\): .*too large/);
  throwsWith(() => msgpackCodec.encode(Symbol('s')), CodecError, /cannot encode command \(msgpack\)/);
});

test('msgpack: undefined is written as nil, bigint as int64, Map as a map', () => {
  assert.equal(Array.from(msgpackCodec.encode(undefined)), [0xc0]);
  assert.is(msgpackCodec.decode(msgpackCodec.encode({ a: undefined })) !== null, true);
  assert.equal(msgpackCodec.decode(msgpackCodec.encode({ a: undefined })), { a: null });
  assert.is(msgpackCodec.decode(msgpackCodec.encode(2n ** 60n)), 2n ** 60n);
  assert.equal(msgpackCodec.decode(msgpackCodec.encode(new Map([['k', 1]]))), { k: 1 });
});

test('json: binary values are tagged base64 and the tag key is reserved', () => {
  const text = Buffer.from(jsonCodec.encode({ v: new Uint8Array([1, 2, 3]) })).toString('utf8');
  assert.is(text, '{"v":{"$bytes":"AQID"}}');
  throwsWith(() => jsonCodec.encode({ $bytes: 'AQID' }), CodecError, /key "\$bytes" is reserved/);
  throwsWith(() => jsonCodec.decode(Buffer.from('{"$bytes":"AQID","x":1}')), CodecError, /malformed binary value/);
  throwsWith(() => jsonCodec.decode(Buffer.from('{"$bytes":"not base64!"}')), CodecError, /malformed binary value/);
  throwsWith(() => jsonCodec.decode(Buffer.from('{"$bytes":7}')), CodecError, /malformed binary value/);
});

test('json: binary values are found however they are reached (deep nesting, arrays, toJSON)', () => {
  let deep: unknown = { leaf: new Uint8Array([7]) };
  for (let i = 0; i < 100; i++) deep = i % 2 ? { next: deep } : [deep];
  assert.equal(normalize(roundTrip(jsonCodec, deep)), normalize(deep));
  const viaToJSON = { toJSON: () => ({ v: new Uint8Array([5, 6]) }) };
  assert.equal(normalize(roundTrip(jsonCodec, viaToJSON)), { v: { bytes: [5, 6] } });
  throwsWith(() => jsonCodec.encode([1, [{ ok: 1 }, { $bytes: 'AA==' }]]), CodecError, /reserved/);
  assert.is(Buffer.from(jsonCodec.encode({ at: new Date(0) })).toString(), '{"at":"1970-01-01T00:00:00.000Z"}');
});

test('json: values JSON would silently lose or cannot hold are refused', () => {
  throwsWith(() => jsonCodec.encode(undefined), CodecError, /cannot encode command \(json\): JSON cannot represent undefined/);
  throwsWith(() => jsonCodec.encode({ m: new Map([[1, 2]]) }), CodecError, /cannot represent a Map \(at key "m"\)/);
  throwsWith(() => jsonCodec.encode(new Set([1])), CodecError, /cannot represent a Set/);
  throwsWith(() => jsonCodec.encode({ n: 1n }), CodecError, /cannot encode command \(json\): .*BigInt/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  throwsWith(() => jsonCodec.encode(cyclic), CodecError, /cannot encode command \(json\)/);
});

test('json: output is plain UTF-8 JSON', () => {
  const value = { key: 'ключ', n: 1.5, list: [true, null] };
  assert.equal(JSON.parse(Buffer.from(jsonCodec.encode(value)).toString('utf8')), value);
});

test('bytes: round trips bytes, copying in both directions', () => {
  for (const codec of [bytesCodec, new BytesCodec()]) {
    const input = Buffer.from([1, 2, 3]);
    const encoded = codec.encode(input);
    input[0] = 99; // the caller reuses its buffer after proposing
    assert.equal(Array.from(encoded), [1, 2, 3]);
    const decoded = codec.decode(encoded) as Uint8Array;
    assert.instance(decoded, Uint8Array);
    decoded[1] = 99; // the command scribbles on what it got
    assert.equal(Array.from(encoded), [1, 2, 3]);
    assert.equal(Array.from(codec.decode(new Uint8Array(0)) as Uint8Array), []);
    assert.equal(Array.from(codec.decode(Uint8Array.from([0xc1, 0xff])) as Uint8Array), [0xc1, 0xff], 'any bytes are a valid payload');
  }
});

test('bytes: encode takes a Uint8Array only, else a clear TypeError', () => {
  for (const value of ['text', 42, null, undefined, { a: 1 }, [1, 2], new Uint16Array(2), new ArrayBuffer(4)]) {
    throwsWith(() => bytesCodec.encode(value), TypeError, /^TypeError: cannot encode command \(bytes\): the bytes codec takes a Uint8Array, got \w+/);
    throwsWith(() => bytesCodec.encodeView!(value), TypeError, /^TypeError: cannot encode command \(bytes\): the bytes codec takes a Uint8Array, got \w+/);
  }
});

test('bytes: a command\'s entry data never aliases the bytes it encoded (the registry copies what encodeView lends it)', () => {
  class Blob {
    static readonly type = 9;
    constructor(readonly bytes: Uint8Array) {}
    static encode(c: Blob): Uint8Array {
      return c.bytes;
    }
    static decode(payload: unknown): Blob {
      return new Blob(payload as Uint8Array);
    }
    do(): void {}
  }
  const registry = new CommandRegistry<unknown>(bytesCodec);
  registry.register(Blob as never);
  const mine = Buffer.from([1, 2, 3, 4]);
  const entry = registry.encode(new Blob(mine) as never);
  assert.is(bytesCodec.encodeView!(mine), mine, 'encodeView lends the bytes themselves');
  mine.fill(0); // the caller reuses its buffer after proposing
  assert.equal(Array.from((registry.decode(entry) as unknown as Blob).bytes), [1, 2, 3, 4]);
});

test('every codec has a distinct name', () => {
  assert.equal([msgpackCodec.name, jsonCodec.name, bytesCodec.name], ['msgpack', 'json', 'bytes']);
});

// Plain data: what both libraries write as standard MessagePack. (msgpack-lite writes a bare
// Uint8Array as its own extension type 0x12, so binary values go in as Buffers.)
const plain: unknown[] = [
  null,
  true,
  0,
  -5,
  127,
  255,
  65_536,
  2 ** 32 + 1,
  -(2 ** 33),
  1.5,
  'short',
  'x'.repeat(300),
  'ünïcödé ✓',
  [1, [2, [3]]],
  { key: 'k001', value: 'v'.repeat(32) },
  { key: 'k001', value: Buffer.alloc(1024, 0xab) },
  { op: 'transfer', from: 'a', to: 'b', amount: 125.5, seq: 123456, ok: false, tags: ['x'], meta: { n: null } },
  Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, i])),
];

test('interop: what MsgpackCodec writes, msgpack-lite reads', () => {
  for (const value of plain) {
    assert.equal(normalize(msgpackLite.decode(msgpackCodec.encode(value))), normalize(value), JSON.stringify(normalize(value)).slice(0, 80));
  }
});

test('interop: what msgpack-lite writes, MsgpackCodec reads', () => {
  for (const value of plain) {
    assert.equal(normalize(msgpackCodec.decode(msgpackLite.encode(value))), normalize(value), JSON.stringify(normalize(value)).slice(0, 80));
  }
});

test('interop: MsgpackCodec writes no msgpackr record extension (fixext 0x72)', () => {
  // With records on, msgpackr would define a record structure for a repeated object shape.
  const bytes = msgpackCodec.encode([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
  assert.equal(msgpackLite.decode(bytes), [{ a: 1, b: 2 }, { a: 3, b: 4 }]);
  assert.ok(!Buffer.from(bytes).includes(Buffer.from([0xd4, 0x72])));
});

test.run();
