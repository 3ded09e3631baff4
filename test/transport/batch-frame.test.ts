// Batch frames encoded in place (src/transport/frame.ts, encodeBatchFrame): the batch is packed
// after a reserved kind byte instead of copied behind it. Each frame must carry the kind byte and
// the batch unchanged, with maps (few objects) and records (many), with big entries, and a frame
// must stay intact while later frames are encoded (they share msgpackr's buffer).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { batchFrame, encodeBatchFrame, parseFrame } from '../../src/transport/frame.js';
import { decodeBatch, encodeBatch, RECORDS_FROM_OBJECTS } from '../../src/transport/wire.js';
import { ALL_EXAMPLES } from './fixtures.js';

function append(entries: number, bytes: number, fill: number): Message {
  return {
    type: 'append', from: 1, to: 2, term: 3, prevIndex: 10, prevTerm: 3, commit: 9,
    entries: Array.from({ length: entries }, (_, k) => ({ index: 11 + k, term: 3, type: 0, data: new Uint8Array(bytes).fill(fill + k) })),
  } as Message;
}

function decodeFrame(frame: Uint8Array): Message[] {
  const parsed = parseFrame(frame);
  assert.is(parsed.kind, 'batch');
  return decodeBatch((parsed as { payload: Uint8Array }).payload);
}

test('a batch frame encoded in place equals the copied one, with maps and with records', () => {
  for (const batch of [[ALL_EXAMPLES[0]!], [...ALL_EXAMPLES], [append(1, 10, 1)], [append(RECORDS_FROM_OBJECTS * 2, 10, 1)]]) {
    const inPlace = encodeBatchFrame(batch as Message[]);
    assert.equal([...inPlace], [...batchFrame(encodeBatch(batch as Message[]))]);
    assert.equal(decodeFrame(inPlace), batch);
  }
});

test('frames stay intact while later ones are encoded, big entries included', () => {
  const batches = [append(1, 3 * 1024 * 1024, 1), append(RECORDS_FROM_OBJECTS, 100, 2), append(2, 5 * 1024 * 1024, 3), [ALL_EXAMPLES[1]!], append(1, 64, 4)];
  const frames = batches.map((b) => encodeBatchFrame(Array.isArray(b) ? b : [b]));
  frames.forEach((frame, i) => {
    const b = batches[i]!;
    assert.equal(decodeFrame(frame), Array.isArray(b) ? b : [b], `frame ${i}`);
  });
});

test('encodeBatch refuses a reserve outside 0-255', () => {
  assert.throws(() => encodeBatch([ALL_EXAMPLES[0]!], 256), /reserve must be an integer from 0 to 255/);
  assert.throws(() => encodeBatch([ALL_EXAMPLES[0]!], -1), /reserve/);
});

test.run();
