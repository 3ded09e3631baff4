// In a preallocated segment, recovery tells the end of the log from a torn record: every way of tearing the last record into "some 64-byte blocks written, the rest
// still zeros" (prefix, suffix, and random subsets) must reopen at either the previous record or
// the whole record (only possible when the unwritten blocks were meant to be zeros anyway), never
// refuse and never return other bytes. A flipped bit elsewhere must be refused, not read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile, mkdtemp, rm, cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Wal, WalCorruptionError, segmentFileName, type Entry } from '../../../wal/index.js';
import { SEGMENT_HEADER_BYTES, updateRecordBytes } from '../../../wal/record.js';
import { seededRandom } from '../helpers.js';

const SEGMENT = 64 * 1024;
const OPTIONS = { sync: 'none' as const, segmentBytes: SEGMENT, preallocate: true, cacheBytes: 0 };

/** Data with long zero runs (so a block left unwritten may equal the bytes meant for it). */
function data(index: number, size: number): Uint8Array {
  const d = new Uint8Array(size);
  for (let i = 0; i < size; i++) d[i] = (i >> 6) % 2 === 0 ? 0 : (index * 31 + i) & 0xff || 1;
  return d;
}
function entry(index: number, size = 300): Entry {
  return { index, term: 1, type: 0, data: data(index, size) };
}

async function build(): Promise<{ dir: string; file: string; bytes: Buffer; lastStart: number; lastEnd: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'tsraft-torn-'));
  const wal = await Wal.open(dir, OPTIONS);
  for (let r = 0; r < 4; r++) await wal.save({ entries: [entry(r * 3 + 1), entry(r * 3 + 2), entry(r * 3 + 3)], hardState: { term: 1, vote: 0, commit: r } });
  // The record to tear: 3 entries, ~1 KB, data half zeros.
  const last = [entry(13, 400), entry(14, 400), entry(15, 400)];
  const lastBytes = updateRecordBytes({ term: 1, vote: 0, commit: 9 }, last);
  await wal.save({ entries: last, hardState: { term: 1, vote: 0, commit: 9 } });
  // Simulate a crash: copy while open (the preallocated tail is still there).
  const copy = await mkdtemp(join(tmpdir(), 'tsraft-torn-copy-'));
  for (const n of await readdir(dir)) if (n.endsWith('.wal')) await cp(join(dir, n), join(copy, n));
  await wal.close();
  await rm(dir, { recursive: true, force: true });
  const file = join(copy, segmentFileName(1));
  const bytes = await readFile(file);
  assert.is(bytes.length, SEGMENT);
  const lastStart = SEGMENT_HEADER_BYTES + recordsBefore();
  return { dir: copy, file, bytes, lastStart, lastEnd: lastStart + lastBytes };
}

/** Bytes of the first four records. */
function recordsBefore(): number {
  let n = 0;
  for (let r = 0; r < 4; r++) n += updateRecordBytes({ term: 1, vote: 0, commit: r }, [entry(r * 3 + 1), entry(r * 3 + 2), entry(r * 3 + 3)]);
  return n;
}

async function reopenCheck(dir: string): Promise<{ last: number; error?: Error }> {
  let wal: Wal | undefined;
  try {
    wal = await Wal.open(dir, OPTIONS);
    const entries = await wal.entries(1, wal.lastIndex + 1);
    for (const e of entries) {
      const size = e.index >= 13 ? 400 : 300;
      assert.ok(Buffer.from(e.data).equals(Buffer.from(data(e.index, size))), `entry ${e.index} intact`);
    }
    return { last: wal.lastIndex };
  } catch (error) {
    return { last: -1, error: error as Error };
  } finally {
    await wal?.close().catch(() => undefined);
  }
}

test('tearing the last record into any written/unwritten 64-byte blocks: reopens at record 4 or 5, never refuses, never other bytes', async () => {
  const { dir, file, bytes, lastStart, lastEnd } = await build();
  const BLOCK = 64;
  const firstBlock = Math.floor(lastStart / BLOCK);
  const lastBlock = Math.floor((lastEnd - 1) / BLOCK);
  const blocks = lastBlock - firstBlock + 1;
  const random = seededRandom(7);
  const masks: boolean[][] = [];
  for (let k = 0; k <= blocks; k++) {
    masks.push(Array.from({ length: blocks }, (_, b) => b < k)); // prefix written
    masks.push(Array.from({ length: blocks }, (_, b) => b >= k)); // suffix written
  }
  for (let t = 0; t < 120; t++) masks.push(Array.from({ length: blocks }, () => random() < 0.5));
  const outcomes = new Map<string, number>();
  for (const mask of masks) {
    const torn = Buffer.from(bytes);
    for (let b = 0; b < blocks; b++) {
      if (mask[b]) continue;
      const from = Math.max(lastStart, (firstBlock + b) * BLOCK);
      const to = Math.min(lastEnd, (firstBlock + b + 1) * BLOCK);
      torn.fill(0, from, to);
    }
    await writeFile(file, torn);
    const { last, error } = await reopenCheck(dir);
    const key = error ? `refused: ${error.message.replace(/.*: /, '')}` : `last ${last}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    assert.ok(!error, `mask ${mask.map((m) => (m ? 1 : 0)).join('')}: ${error?.message}`);
    assert.ok(last === 12 || last === 15, `last ${last}`);
    if (last === 15) assert.ok(torn.subarray(lastStart, lastEnd).equals(bytes.subarray(lastStart, lastEnd)), 'a whole record only when its bytes are exactly the ones written');
  }
  console.log('  outcomes:', Object.fromEntries(outcomes));
  await rm(dir, { recursive: true, force: true });
});

test('a flipped bit anywhere in records 1-4 is refused; in record 5 it is cut; never read as data', async () => {
  const { dir, file, bytes, lastStart } = await build();
  const random = seededRandom(11);
  let refused = 0;
  let cut = 0;
  for (let t = 0; t < 200; t++) {
    const at = SEGMENT_HEADER_BYTES + Math.floor(random() * (lastStart + 1200 - SEGMENT_HEADER_BYTES));
    const damaged = Buffer.from(bytes);
    damaged[at] ^= 1 << Math.floor(random() * 8);
    await writeFile(file, damaged);
    const { last, error } = await reopenCheck(dir);
    if (at < lastStart) {
      assert.instance(error, WalCorruptionError, `flip at ${at} must be refused, got last ${last}`);
      refused++;
    } else if (error) {
      assert.unreachable(`flip at ${at} in the last record: ${error.message}`);
    } else {
      assert.ok(last === 12 || last === 15, `last ${last}`);
      if (last === 12) cut++;
    }
  }
  console.log(`  refused ${refused}, cut ${cut}`);
  await rm(dir, { recursive: true, force: true });
});

test.run();
