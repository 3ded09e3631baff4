// The byte slab: small arrays are disjoint views into shared slabs, large ones get their own
// buffer, copies never alias their source; and the users of the entry slab (wire decoding, WAL
// reads, command encoding) hand out entry data that shares slabs rather than one buffer each.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteSlab, MAX_SLAB_ALLOCATION, MIN_KEPT_VIEW_BYTES, SLAB_BYTES } from '../../wal/byte-slab.js';
import { decodeBatch, encodeBatch } from '../../src/transport/wire.js';
import { EntryType, type Message } from '../../src/core/messages.js';
import { CommandRegistry } from '../../src/command.js';
import { MsgpackCodec } from '../../src/codec.js';

test('small allocations are disjoint, zero-filled views of one slab', () => {
  const slab = new ByteSlab();
  const a = slab.alloc(10);
  const b = slab.alloc(20);
  assert.is(a.buffer, b.buffer);
  assert.is(a.buffer.byteLength, SLAB_BYTES);
  assert.is(b.byteOffset, a.byteOffset + 10);
  assert.ok(a.every((x) => x === 0) && b.every((x) => x === 0));
  a.fill(1);
  assert.ok(b.every((x) => x === 0), 'writing one view leaves the next alone');
});

test('keepOrCopy keeps a large view that is most of its buffer (as a plain Uint8Array) and copies the rest', () => {
  const slab = new ByteSlab();
  const frame = Buffer.alloc(MIN_KEPT_VIEW_BYTES * 2, 7);
  const most = frame.subarray(1);
  const kept = slab.keepOrCopy(most);
  assert.is(kept.buffer, most.buffer, 'kept: no copy of a large entry');
  assert.is(kept.byteOffset, most.byteOffset);
  assert.is(kept.byteLength, most.byteLength);
  assert.is(kept.constructor, Uint8Array, 'a plain Uint8Array, not a Buffer');
  const small = frame.subarray(0, 100);
  assert.is.not(slab.keepOrCopy(small).buffer, frame.buffer, 'a small view is copied');
  const minority = Buffer.alloc(MIN_KEPT_VIEW_BYTES * 4).subarray(0, MIN_KEPT_VIEW_BYTES);
  const copied = slab.keepOrCopy(minority);
  assert.is.not(copied.buffer, minority.buffer, 'a large view that is a small part of its buffer is copied (it would pin the rest)');
  assert.is(copied.byteLength, MIN_KEPT_VIEW_BYTES);
});

test('a full slab is replaced, never overflowed', () => {
  const slab = new ByteSlab(100);
  const a = slab.alloc(60);
  const b = slab.alloc(60);
  assert.is.not(a.buffer, b.buffer);
  assert.is(b.byteOffset, 0);
  assert.is(b.byteLength, 60);
});

test('large allocations get their own buffer', () => {
  const slab = new ByteSlab();
  const big = slab.alloc(MAX_SLAB_ALLOCATION + 1);
  assert.is(big.byteOffset, 0);
  assert.is(big.buffer.byteLength, MAX_SLAB_ALLOCATION + 1);
  assert.is(slab.alloc(1).byteOffset, 0, 'the slab was not used');
});

test('copy is a plain Uint8Array equal to the source and not aliasing it', () => {
  const slab = new ByteSlab();
  const source = Buffer.from('hello');
  const copy = slab.copy(source);
  assert.is(copy.constructor, Uint8Array);
  assert.equal([...copy], [...source]);
  source[0] = 0;
  assert.is(copy[0], 'h'.charCodeAt(0));
});

test('decoded entries share slabs and do not alias the frame', () => {
  const entries = Array.from({ length: 3 }, (_, i) => ({ index: i + 1, term: 1, type: EntryType.Normal, data: new Uint8Array([i, i, i]) }));
  const message: Message = { type: 'append', from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, entries, commit: 0 };
  const frame = new Uint8Array(encodeBatch([message]));
  const [decoded] = decodeBatch(frame) as Array<Message & { entries: Array<{ data: Uint8Array }> }>;
  const data = decoded!.entries.map((e) => e.data);
  assert.equal(data.map((d) => [...d]), [[0, 0, 0], [1, 1, 1], [2, 2, 2]]);
  assert.ok(data.every((d) => d.buffer !== frame.buffer), 'no entry pins the receive buffer');
  assert.is(data[0]!.buffer, data[2]!.buffer, 'entries share one slab');
  frame.fill(0xff);
  assert.equal([...data[1]!], [1, 1, 1]);
});

test('encoded commands share slabs and carry their type id', () => {
  class Put {
    static readonly type = 7;
    constructor(readonly key = 'k') {}
    do(): void {}
  }
  const registry = new CommandRegistry<unknown>(new MsgpackCodec());
  registry.register(Put);
  const a = registry.encode(new Put('a'));
  const b = registry.encode(new Put('b'));
  assert.is(a.buffer, b.buffer);
  assert.is((registry.decode(b) as Put).key, 'b');
  assert.is((registry.decode(a) as Put).key, 'a');
});

test.run();
