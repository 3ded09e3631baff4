// Found in review (encodeBatchFrame): a batch frame is now a subarray of msgpackr's internal
// buffer (module-level, shared by every Packr in the process: the wire's two, the hello's, the
// MessagePack codec's), handed to grpc-js and kept while queued. Read from msgpackr 2.x pack.js:
// each pack() starts at the previous end (word-aligned), a full buffer is replaced by a new one
// (never rewound), makeRoom copies the current pack into a new buffer and leaves the old one as it
// is, and only useBuffer()/RESET_BUFFER_MODE rewind (nothing in tsraft uses them). This pins that
// down: frames stay byte-identical while later packs of every kind run, including ones that grow
// the buffer, fill it up, and fail half-way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { MsgpackCodec } from '../../src/codec.js';
import { encodeBatchFrame, helloFrame, parseFrame } from '../../src/transport/frame.js';
import { decodeBatch, encodeBatch } from '../../src/transport/wire.js';

const KIB = 1024;
const MIB = 1024 * KIB;

function append(entries: number, bytes: number, fill: number): Message {
  return {
    type: 'append', from: 1, to: 2, term: 3, prevIndex: 10, prevTerm: 3, commit: 9,
    entries: Array.from({ length: entries }, (_, k) => ({ index: 11 + k, term: 3, type: 0, data: new Uint8Array(bytes).fill((fill + k) & 0xff) })),
  } as Message;
}

test('batch frames stay intact while later packs grow, fill, replace and fail in msgpackr\'s buffer', () => {
  const codec = new MsgpackCodec();
  const kept: Array<{ frame: Uint8Array; copy: Buffer; label: string }> = [];
  const keep = (frame: Uint8Array, label: string): void => {
    kept.push({ frame, copy: Buffer.from(frame), label });
  };
  // Sizes that fit, that make msgpackr grow its buffer (x4 below 16 MiB, x2 above), and small
  // ones that fill what is left of a big buffer until it is replaced by another of the same size.
  const plan: Array<[number, number]> = [[1, 10], [9, 100], [1, 70 * KIB], [1, 3 * MIB], [40, 200], [1, 18 * MIB], [3, 4 * MIB], [1, 64 * KIB], [200, 1000]];
  let fill = 1;
  for (let round = 0; round < 3; round++) {
    for (const [count, bytes] of plan) {
      keep(encodeBatchFrame([append(count, bytes, fill++)]), `frame ${count}x${bytes} round ${round}`);
      keep(encodeBatch([append(count, Math.min(bytes, 1000), fill++)]), `plain batch ${count} round ${round}`);
      codec.encode({ k: 'x'.repeat(bytes % 5000), n: fill });
      helloFrame({ version: 2, clusterId: 'c', address: '127.0.0.1:1' });
      assert.throws(() => encodeBatchFrame([{ ...append(1, 10, 0), term: 2n ** 70n } as unknown as Message]));
    }
    // Many small packs: the big buffer fills up and msgpackr starts a new one.
    for (let i = 0; i < 3000; i++) keep(encodeBatchFrame([append(1 + (i % 9), 700, fill++)]), `small ${i} round ${round}`);
  }
  for (const { frame, copy, label } of kept) assert.ok(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).equals(copy), `${label} changed after later packs`);
  // And they still decode (kind byte in place).
  const last = kept.at(-1)!.frame;
  const parsed = parseFrame(last);
  assert.is(parsed.kind, 'batch');
  assert.is(decodeBatch((parsed as { payload: Uint8Array }).payload).length, 1);
});

test.run();
