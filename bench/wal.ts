// WAL micro-benchmark: durable appends (sync 'always') of 100-byte entries at batch sizes 1, 16
// and 256, each next to a raw `write` + `fdatasync` loop writing the same number of bytes per
// batch (the WAL's framed record size) to a plain file in the same directory, measured in the
// same run in short alternating blocks so disk weather hits both alike. The raw file is extended
// 64 MiB at a time ahead of its writes, as the WAL preallocates its segments: both sides write
// into a file that does not grow with each write. Then cached range reads.
// Prints a markdown table.
//
// Usage: node --import tsx bench/wal.ts [--seconds N] [--dir PATH]
//   --seconds  measuring time per side of each point (default 3)
//   --dir      where to put the files (default: the OS temp dir); use the disk you care about
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Wal, type Entry } from '../wal/index.js';
import { updateRecordBytes } from '../wal/record.js';

const ENTRY_BYTES = 100;
const BATCH_SIZES = [1, 16, 256];
/** The raw file grows by this much at a time, like the WAL's (default) segment size. */
const RAW_EXTENT_BYTES = 64 * 1024 * 1024;
/** Each side of a point runs this many operations, then the other side, and so on. */
const BLOCK_OPS = 8;
const READ_ENTRIES = 200_000;
const READ_RANGE = 100;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, dir: { type: 'string' } } });
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${values.seconds}`);

interface Tally {
  ops: number;
  entries: number;
  ms: number;
}

/** Calls `step` back to back for `ms` milliseconds, adding to `tally`. */
async function runFor(ms: number, tally: Tally, entriesPerStep: number, step: () => Promise<void>): Promise<void> {
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await step();
    tally.ops++;
    tally.entries += entriesPerStep;
    now = performance.now();
  }
  tally.ms += now - start;
}

/** Calls `step` `count` times back to back, adding to `tally`. */
async function runOps(count: number, tally: Tally, entriesPerStep: number, step: () => Promise<void>): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await step();
  tally.ms += performance.now() - start;
  tally.ops += count;
  tally.entries += count * entriesPerStep;
}

function makeBatch(first: number, count: number, data: Uint8Array): Entry[] {
  const batch: Entry[] = new Array(count);
  for (let k = 0; k < count; k++) batch[k] = { index: first + k, term: 1, type: 0, data };
  return batch;
}

async function appendPoint(root: string, batchSize: number): Promise<{ wal: Tally; raw: Tally; recordBytes: number }> {
  const data = new Uint8Array(ENTRY_BYTES).fill(0x5a);
  const recordBytes = updateRecordBytes(undefined, makeBatch(1, batchSize, data));
  const wal = await Wal.open(join(root, `wal-${batchSize}`), { sync: 'always' });
  const rawFile = await open(join(root, `raw-${batchSize}.bin`), 'w');
  const rawBuffer = Buffer.alloc(recordBytes, 0x5a);
  let rawPosition = 0;
  let rawCapacity = 0;
  const walStep = () => wal.save({ entries: makeBatch(wal.lastIndex + 1, batchSize, data) });
  const rawStep = async () => {
    if (rawPosition + recordBytes > rawCapacity) await rawFile.truncate((rawCapacity += RAW_EXTENT_BYTES));
    await rawFile.write(rawBuffer, 0, recordBytes, rawPosition);
    rawPosition += recordBytes;
    await rawFile.datasync();
  };
  // Warm up both (JIT, first file blocks), then measure in short alternating blocks, so that
  // the disk's (often large) swings in fdatasync latency hit both sides alike.
  await runFor(200, { ops: 0, entries: 0, ms: 0 }, batchSize, walStep);
  await runFor(200, { ops: 0, entries: 0, ms: 0 }, batchSize, rawStep);
  const walTally: Tally = { ops: 0, entries: 0, ms: 0 };
  const rawTally: Tally = { ops: 0, entries: 0, ms: 0 };
  const started = performance.now();
  for (let block = 0; performance.now() - started < 2 * seconds * 1000; block++) {
    const sides: [Tally, () => Promise<void>][] = [
      [walTally, walStep],
      [rawTally, rawStep],
    ];
    if (block % 2 === 1) sides.reverse();
    for (const [tally, step] of sides) await runOps(BLOCK_OPS, tally, batchSize, step);
  }
  await wal.close();
  await rawFile.close();
  return { wal: walTally, raw: rawTally, recordBytes };
}

async function cachedReadPoint(root: string): Promise<Tally> {
  const wal = await Wal.open(join(root, 'wal-reads'), { sync: 'none', cacheBytes: 256 * 1024 * 1024 });
  const data = new Uint8Array(ENTRY_BYTES).fill(0x33);
  for (let first = 1; first <= READ_ENTRIES; first += 1000) await wal.save({ entries: makeBatch(first, 1000, data) });
  const tally: Tally = { ops: 0, entries: 0, ms: 0 };
  let lo = 1;
  const step = async () => {
    await wal.entries(lo, lo + READ_RANGE);
    lo = lo + READ_RANGE > READ_ENTRIES - READ_RANGE ? 1 : lo + READ_RANGE;
  };
  await runFor(200, { ops: 0, entries: 0, ms: 0 }, READ_RANGE, step);
  const hitsBefore = wal.cacheStats.hits;
  await runFor(seconds * 1000, tally, READ_RANGE, step);
  if (wal.cacheStats.misses !== 0 || wal.cacheStats.hits - hitsBefore !== tally.entries) throw new Error('reads were not all cache hits');
  await wal.close();
  return tally;
}

const perSecond = (count: number, tally: Tally) => (count * 1000) / tally.ms;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const root = await mkdtemp(join(values.dir ?? tmpdir(), 'tsraft-wal-bench-'));
try {
  console.log(`WAL benchmark: ${ENTRY_BYTES}-byte entries, sync 'always', ${seconds} s per side per point, files in ${root}\n`);
  const rows: string[] = [];
  const ratios: number[] = [];
  for (const batchSize of BATCH_SIZES) {
    const { wal, raw, recordBytes } = await appendPoint(root, batchSize);
    const ratio = perSecond(wal.entries, wal) / perSecond(raw.entries, raw);
    ratios.push(ratio);
    const payloadMBps = (t: Tally) => (perSecond(t.entries, t) * ENTRY_BYTES) / 1e6;
    rows.push(
      `| ${batchSize} | ${fmt(recordBytes)} | ${fmt(perSecond(wal.entries, wal))} | ${fmt(payloadMBps(wal), 2)} | ` +
        `${fmt(perSecond(wal.ops, wal))} | ${fmt(perSecond(raw.entries, raw))} | ${fmt(payloadMBps(raw), 2)} | **${fmt(ratio, 2)}** |`,
    );
  }
  console.log('| batch | bytes per write | WAL appends/s | WAL MB/s | WAL fdatasyncs/s | raw appends/s | raw MB/s | WAL / raw |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  const reads = await cachedReadPoint(root);
  console.log(`\n| cached reads | entries/s |`);
  console.log(`| --- | ---: |`);
  console.log(`| entries(lo, lo + ${READ_RANGE}) over ${fmt(READ_ENTRIES)} cached entries | ${fmt(perSecond(reads.entries, reads))} |`);
  const appendsOk = ratios.every((r) => r >= 0.8);
  const readsOk = perSecond(reads.entries, reads) >= 1e6;
  console.log(
    `\ntargets: WAL >= 0.8 x raw at every batch size: ${appendsOk ? 'met' : 'NOT met'}; ` +
      `cached reads >= 1,000,000 entries/s: ${readsOk ? 'met' : 'NOT met'}`,
  );
  console.log(`MB/s counts entry payload (${ENTRY_BYTES} bytes each); both sides write the same bytes per batch (the WAL's framed record size).`);
} finally {
  await rm(root, { recursive: true, force: true });
}
