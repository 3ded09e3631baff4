// From a mutation review of the session header's decoding (src/sessions.ts): only a leading u32 of zero
// marks a header, so a command written without one (older logs) whose type id has a zero low byte
// (256, 65536, ... are valid type ids, stored little-endian) still decodes as a plain command; a
// marker with nothing after it, a floor of -1, or a number of 2^53 or more is a malformed header,
// refused with a RangeError rather than read; and writeSessionHeader writes every byte of the
// header, so a buffer that held other bytes before reads back as the header written into it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandRegistry } from '../../src/command.js';
import { jsonCodec } from '../../src/codec.js';
import { decodeSessionFrame, encodeSessionHeader, sessionHeaderBytes, writeSessionHeader, type SessionHeader } from '../../src/sessions.js';

/** A command class of type id `type`, adding `by` to the context. */
function commandClass(type: number) {
  return class Add {
    static readonly type = type;
    constructor(readonly by: number) {}
    do(ctx: { n: number }): number {
      ctx.n += this.by;
      return ctx.n;
    }
  };
}

test('session header: a command written without one whose type id has zero low bytes (256, 65536, 2^24, ...) decodes as a plain command', () => {
  const registry = new CommandRegistry<{ n: number }>(jsonCodec);
  for (const type of [0x100, 0x1_0000, 0x100_0000, 0x1_0100, 0x100_0100, 0x101_0000, 0xffff_ff00, 0xff00_0000]) {
    const Add = commandClass(type);
    registry.register(Add);
    const data = registry.encode(new Add(3)); // no session: as written before sessions came in
    assert.is(data[0], 0, `type id ${type} starts with a zero byte`);
    const frame = decodeSessionFrame(data);
    assert.is(frame.header, undefined, `type id ${type}: no session header`);
    assert.is(frame.command, data);
    const ctx = { n: 1 };
    assert.is(registry.decode(frame.command).do(ctx), 4, `type id ${type} runs`);
  }
});

test('session header: the four-byte marker with nothing after it is a malformed header, refused', () => {
  assert.throws(() => decodeSessionFrame(new Uint8Array([0, 0, 0, 0])), (e: unknown) => e instanceof RangeError && /session header/.test(e.message));
});

test('session header: a floor of -1 (one more behind than the seq) is refused, as any floor below zero', () => {
  // session 7, seq 2, 3 behind: floor -1
  assert.throws(() => decodeSessionFrame(new Uint8Array([0, 0, 0, 0, 1, 7, 2, 3, 1, 0, 0, 0])), /floor below zero/);
  // seq 300 (two bytes), 301 behind
  assert.throws(() => decodeSessionFrame(new Uint8Array([0, 0, 0, 0, 1, 7, 0xac, 0x02, 0xad, 0x02, 1, 0, 0, 0])), /floor below zero/);
});

test('session header: a number of 2^53 or more in eight bytes is refused, in any of the three places', () => {
  const twoTo53 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]; // 16 * 2^49
  const twoTo56Less1 = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
  const command = [1, 0, 0, 0];
  for (const big of [twoTo53, twoTo56Less1]) {
    for (const data of [
      [0, 0, 0, 0, 1, ...big, 1, 0, ...command], // session
      [0, 0, 0, 0, 1, 5, ...big, 0, ...command], // seq
      [0, 0, 0, 0, 1, 5, ...big, ...big, ...command], // seq and behind
    ]) {
      assert.throws(() => decodeSessionFrame(new Uint8Array(data)), /beyond 2\^53/, `bytes ${data.join(',')}`);
    }
  }
  // 2^53 - 1 itself is still read
  const max: SessionHeader = { session: 2 ** 53 - 1, seq: 1, floor: 1 };
  assert.equal(decodeSessionFrame(encodeSessionHeader(max)).header, max);
});

test('session header: a floor above its seq is refused when written, not written as a negative number that corrupts the entry', () => {
  const h: SessionHeader = { session: 7, seq: 3, floor: 4 };
  assert.throws(() => sessionHeaderBytes(h), (err: unknown) => err instanceof RangeError && /floor 4 is above seq 3/.test(err.message));
  assert.throws(() => encodeSessionHeader(h), RangeError);
  assert.is(decodeSessionFrame(new Uint8Array([...encodeSessionHeader({ session: 7, seq: 3, floor: 3 }), 1, 0, 0, 0])).header?.floor, 3, 'floor = seq is fine');
});

test('session header: written into a buffer that held other bytes (not zeroed), it reads back as written', () => {
  for (const header of [{ session: 1, seq: 1, floor: 1 }, { session: 2 ** 48 - 1, seq: 2 ** 40, floor: 2 ** 40 - 300 }]) {
    for (const at of [0, 3]) {
      const out = new Uint8Array(at + sessionHeaderBytes(header) + 4).fill(0xff);
      const end = writeSessionHeader(out, at, header);
      assert.is(end, at + sessionHeaderBytes(header));
      out.set([9, 0, 0, 0], end); // the command's type id
      const frame = decodeSessionFrame(out.subarray(at));
      assert.equal(frame.header, header, `header at ${at}`);
      assert.equal([...frame.command], [9, 0, 0, 0]);
    }
  }
});

test.run();
