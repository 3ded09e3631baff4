// From a mutation review of `raft-node inspect` (cmd/inspect.ts): the checks it makes and the figures it
// reports, on small hand-made data directories (a WAL of 12 entries in 4 preallocated segments of 3
// records each, and optionally two snapshots). Pins that:
// - RECORDS counts a segment's records and BYTES what was written, not the preallocated size;
// - every kind of damage Wal.open would refuse is a named problem on the right segment (a header
//   that disagrees with its file name, a segment that does not continue the log before it in index
//   or in term, a sealed segment that ends before the next one starts) and makes the exit status 3;
// - one damaged record is one problem, and the entries it loses count as a gap (log line and
//   membership warning);
// - a snapshot that fails its check counts as a problem (exit status 3);
// - the membership comes from the newest valid snapshot, and a healthy log gets no warning;
// - the LOCK holder is told apart: a running node versus one that no longer runs;
// - `--limit 1` and `--from 0` are valid;
// - a key, text value or hex dump exactly at its preview length is shown whole, without "…".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFile, mkdir, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectMain, inspectReport } from '../../cmd/inspect.js';
import { captured } from './inspect-output.js';
import { Wal } from '../../wal/index.js';
import { checkFrame, decodeSegmentHeader, SEGMENT_HEADER_BYTES } from '../../wal/record.js';
import { CommandRegistry } from '../../src/command.js';
import { bytesCodec } from '../../src/codec.js';
import { KV_COMMANDS, SetCommand } from '../../src/kv/commands.js';
import type { KvStore } from '../../src/kv/store.js';
import { SnapshotStore, snapshotDir } from '../../src/snapshot/store.js';
import { membership, writePayload } from '../snapshot/helpers.js';
import { removeDir, tempDir, writtenBytes } from '../wal/helpers.js';

const ENTRIES = 12;
/** 3 records of one 100-byte entry fit a segment: 4 segments, first indices 1, 4, 7, 10. */
const SEGMENT_BYTES = 512;

const roots: string[] = [];

test.after(async () => {
  await Promise.all(roots.map(removeDir));
});

/** A data directory whose wal/ holds entries 1..12 (entry i has term `termOf(i)`), closed. */
async function dataDir(termOf: (index: number) => number = () => 1): Promise<{ root: string; walDir: string; segments: string[] }> {
  const root = await tempDir('tsraft-review-inspect-');
  roots.push(root);
  const walDir = join(root, 'wal');
  await mkdir(walDir);
  const wal = await Wal.open(walDir, { segmentBytes: SEGMENT_BYTES, sync: 'none' });
  for (let i = 1; i <= ENTRIES; i++) await wal.save({ entries: [{ index: i, term: termOf(i), type: 0, data: Buffer.alloc(100, i) }] });
  await wal.close();
  const segments = (await readdir(walDir)).filter((n) => n.endsWith('.wal')).sort();
  assert.is(segments.length, 4, `4 segments: ${segments.join(' ')}`);
  return { root, walDir, segments };
}

/** Byte offsets where the records of a segment file start (the frames that check). */
async function recordOffsets(path: string): Promise<number[]> {
  const buf = await readFile(path);
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') throw new Error(`${path}: ${header}`);
  const offsets: number[] = [];
  let pos = SEGMENT_HEADER_BYTES;
  for (let end = checkFrame(buf, pos, buf.length, header.salt); end > 0; end = checkFrame(buf, pos, buf.length, header.salt)) {
    offsets.push(pos);
    pos = end;
  }
  return offsets;
}

/** The cells of the table row that starts with `first`. */
function cells(report: string, first: string): string[] {
  const line = report.split('\n').find((l) => l.trimStart().startsWith(first));
  assert.ok(line, `a row starting with ${first} in:\n${report}`);
  return line.trim().split(/\s{2,}/);
}

test('a healthy log: RECORDS counts the records, BYTES what was written (not the preallocated size), no problem, no warning', async () => {
  const { root, walDir, segments } = await dataDir();
  // Wal.close() trims the active segment to its records; a node that was killed leaves it
  // preallocated: zeros up to segmentBytes after the last record.
  const active = join(walDir, segments[3]!);
  await truncate(active, SEGMENT_BYTES);
  const r = await inspectReport(root);
  assert.is(r.problems, 0, r.text);
  for (const name of segments) {
    const [, first, last, records, bytes, status] = cells(r.text, name);
    assert.is(Number(records), Number(last) - Number(first) + 1, `RECORDS of ${name} (one entry per record)`);
    assert.is(Number(bytes), await writtenBytes(join(walDir, name)), `BYTES of ${name}`);
    assert.is(status, 'ok');
  }
  assert.ok((await writtenBytes(active)) < (await stat(active)).size, 'the active segment has an unwritten tail');
  assert.match(r.text, /^  log: 12 entries, indices 1\.\.12$/m);
  assert.not.match(r.text, /warning:/, 'a log that starts at index 1 misses nothing');
  const out = captured();
  assert.is(await inspectMain([root], out), 0);
});

test('a segment whose header disagrees with its file name is a problem (Wal.open would refuse the log): exit status 3', async () => {
  const { root, walDir, segments } = await dataDir();
  const odd = '00000000000000000999.wal';
  await copyFile(join(walDir, segments[3]!), join(walDir, odd));
  const r = await inspectReport(root);
  assert.is(r.problems, 1, r.text);
  assert.match(cells(r.text, odd).at(-1)!, 'header says first index 10 but the file name says 999: Wal.open would refuse the log');
  assert.is(await inspectMain([root], captured()), 3);
});

test('a missing segment: the next one does not continue the log, and the segment before it ends too early', async () => {
  const { root, walDir, segments } = await dataDir();
  await unlink(join(walDir, segments[1]!));
  const r = await inspectReport(root);
  assert.is(r.problems, 2, r.text);
  assert.is(cells(r.text, segments[0]!).at(-1), 'ends at index 3 but the next segment starts at 7');
  assert.is(cells(r.text, segments[2]!).at(-1), 'starts at index 7 but the log before it ends at 3');
  assert.match(r.text, /^  log: 9 entries, indices 1\.\.12 with 1 gap \(entries lost to the damage above\)$/m);
  assert.is(await inspectMain([root], captured()), 3);
});

test('a segment that continues the log at the right index but from another term is a problem', async () => {
  // The same log written twice, the second time with entries 3.. in term 2: its segment 4's
  // header says entry 3 has term 2, while this log's entry 3 has term 1 (and the segment after it
  // says entry 6 has term 1, while the swapped-in segment's entry 6 has term 2).
  const { root, walDir, segments } = await dataDir();
  const other = await dataDir((i) => (i >= 3 ? 2 : 1));
  assert.equal(other.segments, segments);
  await copyFile(join(other.walDir, segments[1]!), join(walDir, segments[1]!));
  const r = await inspectReport(root);
  assert.is(r.problems, 2, r.text);
  assert.is(cells(r.text, segments[1]!).at(-1), 'header says entry 3 has term 2 but the log has 1');
  assert.is(cells(r.text, segments[2]!).at(-1), 'header says entry 6 has term 1 but the log has 2');
  assert.is(await inspectMain([root], captured()), 3);
});

test('a sealed segment whose last record is gone (zeroed) is reported as ending before the next segment starts', async () => {
  const { root, walDir, segments } = await dataDir();
  const path = join(walDir, segments[0]!);
  const offsets = await recordOffsets(path);
  assert.is(offsets.length, 3);
  const bytes = await readFile(path);
  bytes.fill(0, offsets[2]!);
  await writeFile(path, bytes);
  const r = await inspectReport(root);
  assert.match(cells(r.text, segments[0]!).at(-1)!, 'ends at index 2 but the next segment starts at 4');
  assert.ok(r.problems >= 1, r.text);
  assert.is(await inspectMain([root], captured()), 3);
});

test('one damaged record in a sealed segment is one problem; the entry it held counts as one gap', async () => {
  const { root, walDir, segments } = await dataDir();
  const path = join(walDir, segments[0]!);
  const offsets = await recordOffsets(path);
  const bytes = await readFile(path);
  const inside = offsets[1]! + 40; // in the payload of the record of entry 2
  bytes[inside] = bytes[inside]! ^ 0xff;
  await writeFile(path, bytes);
  const r = await inspectReport(root);
  assert.is(r.problems, 1, `the skipped record only; the record after it is no new problem:\n${r.text}`);
  assert.match(cells(r.text, segments[0]!).at(-1)!, /CRC mismatch at byte offset \d+; next valid record at byte offset \d+ .*Wal\.open would refuse the log$/);
  assert.match(r.text, /^  log: 11 entries, indices 1\.\.12 with 1 gap \(entries lost to the damage above\)$/m);
  assert.match(r.text, 'entry 2 is not readable');
  assert.match(r.text, 'warning: the log has gaps: configuration changes lost in them are unknown');
});

/** Adds snapshots at indices 6 (membership tag 1) and 12 (tag 2) under `root`. */
async function addSnapshots(root: string): Promise<string[]> {
  const store = await SnapshotStore.open(snapshotDir(root), { retain: 2 });
  for (const [index, tag] of [[6, 1], [12, 2]] as const) {
    const writer = await store.create({ index, term: 1, membership: membership(tag) });
    await writePayload(writer, index, 1024);
    await writer.commit();
  }
  const names = (await readdir(snapshotDir(root))).filter((n) => n.endsWith('.snap')).sort();
  assert.is(names.length, 2, names.join(' '));
  return names;
}

test('the membership is the newest valid snapshot\'s; a log that ends at that snapshot is not behind it', async () => {
  const { root } = await dataDir();
  await addSnapshots(root);
  const r = await inspectReport(root);
  assert.is(r.problems, 0, r.text);
  assert.match(r.text, 'Membership at the end of the log, index 12 (snapshot at index 12 + 0 configuration entries after it)');
  assert.ok(cells(r.text, '10.0.0.1:9002'), 'the members of the snapshot at index 12');
  assert.not.match(r.text, '10.0.0.1:9001  ', 'not those of the older snapshot');
  assert.not.match(r.text, /warning:/, r.text);
});

test('a snapshot that fails its check is a problem: counted, and exit status 3', async () => {
  const { root } = await dataDir();
  const [, newest] = await addSnapshots(root);
  const path = join(snapshotDir(root), newest!);
  const bytes = await readFile(path);
  bytes[0] = bytes[0]! ^ 0xff;
  await writeFile(path, bytes);
  const r = await inspectReport(root);
  assert.match(cells(r.text, newest!).at(-1)!, /^CORRUPT: /);
  assert.is(r.problems, 1, r.text);
  assert.match(r.text, /^1 problem found \(see below\); nothing was repaired\.$/m);
  const out = captured();
  assert.is(await inspectMain([root], out), 3);
  assert.match(out.stdout, /^1 problem found/m);
  // The membership falls back to the older, valid snapshot.
  assert.match(r.text, 'snapshot at index 6 + 0 configuration entries after it');
});

test('the LOCK holder: a node running now is "in use", a holder that no longer runs is "locked by ... which no longer runs"', async () => {
  const { root, walDir } = await dataDir();
  const wal = await Wal.open(walDir, { segmentBytes: SEGMENT_BYTES, sync: 'none' });
  try {
    const live = await inspectReport(root);
    assert.match(live.text, `In use by pid ${process.pid}, which is running`);
    assert.not.match(live.text, 'no longer runs');
  } finally {
    await wal.close();
  }
  // A LOCK left behind: this pid, but this process does not hold the directory (a pid reused after a crash).
  await writeFile(join(walDir, 'LOCK'), JSON.stringify({ pid: process.pid }));
  const stale = await inspectReport(root);
  assert.match(stale.text, `Locked by pid ${process.pid}, which no longer runs (a crash or kill -9)`);
  assert.not.match(stale.text, 'which is running');
});

test('--limit 1 and --from 0 are valid (the smallest values the usage allows)', async () => {
  const { root } = await dataDir();
  const one = captured();
  assert.is(await inspectMain([root, '--limit', '1'], one), 0, one.stderr);
  assert.match(one.stdout, /^Entries 12\.\.12 \(11 earlier not shown/m);
  const zero = captured();
  assert.is(await inspectMain([root, '--from=0', '--limit=2'], zero), 0, zero.stderr);
  assert.match(zero.stdout, /^Entries 1\.\.2 \(10 later not shown/m);
});

test('previews: a 48-character key, a 32-character value and 16 bytes of hex are shown whole; one more is cut with "…"', async () => {
  const root = await tempDir('tsraft-review-inspect-');
  roots.push(root);
  const walDir = join(root, 'wal');
  await mkdir(walDir);
  const commands = new CommandRegistry<KvStore>(bytesCodec);
  for (const cls of KV_COMMANDS) commands.register(cls);
  const set = (key: string, value: string): Uint8Array => commands.encode(new SetCommand(key, Buffer.from(value)));
  const [k48, v32] = ['k'.repeat(48), 'v'.repeat(32)];
  const wal = await Wal.open(walDir, { sync: 'none' });
  await wal.save({
    entries: [
      { index: 1, term: 1, type: 0, data: set(k48, v32) },
      { index: 2, term: 1, type: 0, data: set(`${k48}K`, `${v32}V`) },
      { index: 3, term: 1, type: 9, data: Buffer.alloc(16, 0xab) },
      { index: 4, term: 1, type: 9, data: Buffer.alloc(17, 0xab) },
    ],
  });
  await wal.close();
  const r = await inspectReport(root);
  assert.is(r.problems, 0, r.text);
  assert.match(r.text, `set key="${k48}" value=32 bytes "${v32}"\n`);
  assert.match(r.text, `set key="${k48}…" value=33 bytes "${v32}…"\n`);
  assert.match(r.text, `type 9  16 bytes: ${'ab'.repeat(16)}\n`);
  assert.match(r.text, `type 9  17 bytes: ${'ab'.repeat(16)}…\n`);
});

test.run();
