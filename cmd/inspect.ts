/**
 * `raft-node inspect <path>`: a read-only report on a node's data directory — the WAL segments
 * and any damage in them, the hard state, the log entries with their key-value commands decoded,
 * the snapshot files, and the membership as of the end of the log.
 *
 * Strictly read-only: `Wal.open` and `SnapshotStore.open` repair a directory (cut a torn tail,
 * delete leftover and dead files), which would destroy the evidence an operator is looking at, so
 * this module only ever lists directories and reads files. Damage is reported, never fixed or
 * thrown. The byte formats are decoded by the WAL's and the snapshot store's own functions.
 * @module
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSegmentFileName, TEMP_SUFFIX as WAL_TEMP_SUFFIX } from '../wal/files.js';
import {
  checkFrame,
  decodeEntry,
  decodeSegmentHeader,
  decodeUpdate,
  frameProblem,
  isZeroFilled,
  lastNonZeroByte,
  SEGMENT_HEADER_BYTES,
  type LocatedEntries,
  type SegmentHeader,
} from '../wal/record.js';
import { LOCK_FILE } from '../wal/dir-lock.js';
import { renderDirFiles, scanDirFiles, type DirFilesScan } from './inspect-dir-files.js';
import { logPastSnapshot } from '../src/storage.js';
import { chooseLiveSegments, validRecordAfterDamage } from '../wal/recovery.js';
import type { Entry, HardState } from '../wal/types.js';
import { CommandRegistry } from '../src/command.js';
import { bytesCodec } from '../src/codec.js';
import { decodeConfChange, MembershipHistory } from '../src/core/membership.js';
import { decodeSessionFrame, type SessionFrame } from '../src/sessions.js';
import { EntryType, type ConfChange, type Entry as CoreEntry, type Member, type Membership } from '../src/core/messages.js';
import { AppendCommand, CasCommand, DeleteCommand, KV_COMMANDS, SetCommand } from '../src/kv/commands.js';
import type { KvStore } from '../src/kv/store.js';
import { SnapshotCorruptionError } from '../src/snapshot/errors.js';
import { parseSnapshotFileName, readSnapshotFile, TEMP_SUFFIX as SNAPSHOT_TEMP_SUFFIX } from '../src/snapshot/format.js';
import { snapshotDir } from '../src/snapshot/store.js';

/** Options of {@link inspectDataDir}. */
export interface InspectOptions {
  /** Most entries listed. Default 100. */
  limit?: number;
  /** First index listed. By default the window is the last `limit` entries of the log. */
  from?: number;
}

/** Where {@link inspectMain} writes; tests pass their own. A returned promise is awaited. */
export interface InspectOutput {
  out(text: string): void | Promise<void>;
  err(text: string): void | Promise<void>;
}

const DEFAULT_LIMIT = 100;
/** Characters of a key or a text value shown before it is cut with "…". */
const KEY_PREVIEW_CHARS = 48;
const VALUE_PREVIEW_CHARS = 32;
/** Bytes of a binary value shown (as hex) before it is cut with "…". */
const HEX_PREVIEW_BYTES = 16;
const USAGE = 'usage: raft-node inspect <path> [--limit N] [--from INDEX]';
/** Exit status of a report that found problems (damage, or what Wal.open would repair). */
export const EXIT_PROBLEMS_FOUND = 3;
const HELP = `${USAGE}
Prints a read-only report on a node's data directory: WAL segments, hard state, entries, snapshots, membership.
Exit status: 0 no problems found, ${EXIT_PROBLEMS_FOUND} problems found (the report names them), 1 the directory
cannot be read, 2 bad usage.
`;

/** A report and the number of problems it names. */
export interface InspectReport {
  text: string;
  /**
   * Damage found in the WAL and the snapshots (also what Wal.open would repair, e.g. a torn tail),
   * and what start() refuses or would get wrong (a damaged small file, a log past every readable
   * snapshot, a lost INCARNATION).
   */
  problems: number;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Reads the data directory `path` of a tsraft node (its `wal/` and `snapshots/`) and returns a
 * plain-text report: WAL segments with any damage found (byte offsets), hard state, a window of
 * log entries with decoded commands (by default the last 100), snapshot files with their
 * verification result, and the membership at the end of the log.
 *
 * Never writes, renames or deletes anything; safe on a damaged directory. Damage is part of the
 * report, not an error.
 * @throws Error naming `path` when it does not exist, is not a directory, is not a tsraft data
 *   directory or cannot be read; RangeError on a bad `limit` or `from`
 */
export async function inspectDataDir(path: string, options: InspectOptions = {}): Promise<string> {
  return (await inspectReport(path, options)).text;
}

/** {@link inspectDataDir}, also counting the problems the report names (its first line). */
export async function inspectReport(path: string, options: InspectOptions = {}): Promise<InspectReport> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be an integer >= 1, got ${limit}`);
  if (options.from !== undefined && (!Number.isSafeInteger(options.from) || options.from < 0)) {
    throw new RangeError(`from must be an integer >= 0, got ${options.from}`);
  }
  await checkDataDir(path);
  const files = await scanDirFiles(path);
  // A running node may roll, truncate or compact its log while we read it: scan again.
  for (let attempt = 1; ; attempt++) {
    const log = new LogCollector(new EntryWindow(limit, options.from));
    try {
      const wal = await scanWal(join(path, 'wal'), log);
      const snapshots = await scanSnapshots(snapshotDir(path));
      return renderReport(path, wal, log, snapshots, files);
    } catch (error) {
      if (!(error instanceof LogChangedError) || attempt === MAX_SCANS) throw error;
    }
  }
}

/** Scans of a log that keeps changing under us before inspect gives up. */
const MAX_SCANS = 5;

/** A segment listed at the start of a scan was replaced or deleted before its records were read. */
class LogChangedError extends Error {
  constructor(segment: string) {
    super(`the log changed while it was being read (${segment} was replaced or deleted: a running node rolled, truncated or compacted it); try again, or stop the node first`);
  }
}

/**
 * `raft-node inspect <path> [--limit N] [--from INDEX]` (`args`: what follows `inspect`): prints
 * the {@link inspectDataDir} report to stdout, errors to stderr.
 * @returns the exit status: 0 report printed, no problems found; 3 report printed, problems
 *   found; 1 data directory unreadable; 2 bad usage
 */
export async function inspectMain(args: string[], output: InspectOutput = processOutput): Promise<number> {
  const parsed = parseInspectArgs(args);
  if (parsed.kind === 'usage-error') {
    await output.err(`raft-node inspect: ${parsed.message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    await output.out(HELP);
    return 0;
  }
  let report: InspectReport;
  try {
    report = await inspectReport(parsed.path, parsed.options);
  } catch (error) {
    await output.err(`raft-node inspect: ${(error as Error).message}\n`);
    return 1;
  }
  await output.out(`${report.text}\n`);
  return report.problems > 0 ? EXIT_PROBLEMS_FOUND : 0;
}

/**
 * Resolves once `text` is handed to the OS, so a caller may process.exit() right after. A reader
 * that went away (`inspect DIR | head`) is no failure: EPIPE resolves too, quietly (it printed a
 * stack trace; found in review).
 */
function writeTo(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error && (error as NodeJS.ErrnoException).code !== 'EPIPE' ? reject(error) : resolve());
    stream.once('error', done);
    stream.write(text, (error) => {
      stream.off('error', done);
      done(error);
    });
  });
}

const processOutput: InspectOutput = {
  out: (text) => writeTo(process.stdout, text),
  err: (text) => writeTo(process.stderr, text),
};

type ParsedArgs =
  | { kind: 'run'; path: string; options: InspectOptions }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

/** Parses `<path> [--limit N] [--from INDEX]` (also `--flag=value`); messages name the bad flag. */
function parseInspectArgs(args: readonly string[]): ParsedArgs {
  const options: InspectOptions = {};
  const paths: string[] = [];
  let flagsEnded = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (flagsEnded || !arg.startsWith('-') || arg === '-') {
      paths.push(arg);
      continue;
    }
    if (arg === '--') {
      flagsEnded = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (flag !== '--limit' && flag !== '--from') return { kind: 'usage-error', message: `unknown flag ${flag}` };
    const text = eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (text === undefined) return { kind: 'usage-error', message: `${flag} needs a value` };
    const value = Number(text);
    const min = flag === '--limit' ? 1 : 0;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
      return { kind: 'usage-error', message: `${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}` };
    }
    if (flag === '--limit') options.limit = value;
    else options.from = value;
  }
  if (paths.length !== 1) {
    return { kind: 'usage-error', message: paths.length === 0 ? 'missing <path>' : `expected one path, got ${paths.length}: ${paths.join(' ')}` };
  }
  return { kind: 'run', path: paths[0]!, options };
}

/** Throws a clear Error naming `path` unless it is a readable tsraft data directory. */
async function checkDataDir(path: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new Error(`${path}: no such directory`);
    throw new Error(`${path}: cannot read it (${(error as Error).message})`);
  }
  if (!isDirectory) throw new Error(`${path} is not a directory`);
  const names = await readdir(path);
  if (!names.includes('wal') && !names.includes('snapshots')) {
    const hint = names.some((n) => parseSegmentFileName(n) !== undefined) ? ' (it holds WAL segments itself: pass the directory above it)' : '';
    throw new Error(`${path} is not a tsraft data directory: it has neither a wal/ nor a snapshots/ subdirectory${hint}`);
  }
}

/** The names in `dir`, sorted; undefined when it does not exist. */
async function sortedNames(dir: string): Promise<string[] | undefined> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

// ---------------------------------------------------------------------------------------------
// The log: which entries are live, and the window of them to list

/** The entries to list: from `from` on, or the last `limit` (kept while scanning, in bounded memory). */
class EntryWindow {
  private kept: Entry[] = [];
  private offered = 0;
  /** Position among all offered entries of kept[0]. */
  private firstPosition = 0;

  constructor(
    readonly limit: number,
    readonly from: number | undefined,
  ) {}

  offer(entry: Entry): void {
    const position = this.offered++;
    if (this.from !== undefined) {
      if (entry.index < this.from || this.kept.length >= this.limit) return;
      if (this.kept.length === 0) this.firstPosition = position;
      this.kept.push(entry);
      return;
    }
    this.kept.push(entry);
    // Trim in batches rather than shifting on every entry: amortized O(1).
    if (this.kept.length >= 2 * this.limit) this.dropOldest(this.kept.length - this.limit);
  }

  /** The entries listed, and how many live entries come before and after them. */
  result(): { entries: Entry[]; before: number; after: number } {
    if (this.kept.length > this.limit) this.dropOldest(this.kept.length - this.limit);
    const before = this.kept.length > 0 ? this.firstPosition : this.offered;
    return { entries: this.kept, before, after: this.offered - before - this.kept.length };
  }

  private dropOldest(count: number): void {
    this.kept.splice(0, count);
    this.firstPosition += count;
  }
}

/** What the scan of the live segments learns about the log. */
class LogCollector {
  /** First index of the first live segment; undefined when there is none. */
  firstIndex: number | undefined;
  lastIndex = 0;
  lastTerm = 0;
  entryCount = 0;
  /** Places where an entry does not follow the previous one (damage, unreadable segments). */
  gaps = 0;
  /** The hard state Wal.open would recover: the active segment's header, then its records'. */
  hardState: HardState | undefined;
  /** Every live configuration entry (few and small): for the membership and member addresses. */
  readonly confEntries: Entry[] = [];

  constructor(readonly window: EntryWindow) {}

  add(entry: Entry): void {
    if (this.entryCount > 0 && entry.index !== this.lastIndex + 1) this.gaps++;
    this.entryCount++;
    this.lastIndex = entry.index;
    this.lastTerm = entry.term;
    if (entry.type === EntryType.ConfChange) this.confEntries.push(entry);
    this.window.offer(entry);
  }
}

// ---------------------------------------------------------------------------------------------
// WAL segments

/** One line of the segment table. */
interface SegmentRow {
  name: string;
  firstIndex: number | undefined;
  /** Last live entry in the segment (for a dead segment: the last entry in it). */
  lastIndex: number | undefined;
  records: number;
  bytes: number;
  /** 'live', 'dead' (overridden by a newer segment) or 'unreadable' (bad header). */
  state: 'live' | 'dead' | 'unreadable';
  problems: string[];
  notes: string[];
}

/** A segment file whose header decoded. */
interface SegmentFile {
  path: string;
  header: SegmentHeader;
  row: SegmentRow;
}

/** How a segment's damage would be treated by Wal.open (see wal/recovery.ts). */
type SegmentRole = 'active' | 'sealed' | 'dead';

interface WalScan {
  dir: string;
  exists: boolean;
  rows: SegmentRow[];
  /** Leftover temporary files and foreign files in the directory. */
  notes: string[];
}

/** Reads every segment file of `dir` (read-only), reporting damage, feeding live entries to `log`. */
async function scanWal(dir: string, log: LogCollector): Promise<WalScan> {
  const names = await sortedNames(dir);
  const scan: WalScan = { dir, exists: names !== undefined, rows: [], notes: [] };
  if (names === undefined) return scan;
  const files: SegmentFile[] = [];
  for (const name of names) {
    const nameIndex = parseSegmentFileName(name);
    if (nameIndex !== undefined) {
      const { row, file } = await readSegmentFile(join(dir, name), name, nameIndex);
      scan.rows.push(row);
      if (file) files.push(file);
    } else if (name.endsWith(WAL_TEMP_SUFFIX) && parseSegmentFileName(name.slice(0, -WAL_TEMP_SUFFIX.length)) !== undefined) {
      scan.notes.push(`${name}: leftover of an interrupted segment creation (Wal.open would delete it)`);
    } else if (name !== LOCK_FILE) {
      scan.notes.push(`${name}: not a segment file (ignored)`);
    }
  }
  const { live, dead } = liveAndDead(files);
  const reader = new SegmentReader();
  for (const file of dead) {
    file.row.state = 'dead';
    file.row.notes.push('dead: overridden by a newer segment (Wal.open would delete it)');
    const buf = await reader.read(file);
    if (buf) scanSegment(file, buf, 'dead', Infinity, undefined);
  }
  await scanLiveSegments(live, log, reader);
  return scan;
}

/**
 * Reads a segment file's header (only: segments are read whole one at a time while scanning, so
 * that inspecting a large log needs one segment's memory, not the log's); `file` is undefined
 * when that fails.
 */
async function readSegmentFile(path: string, name: string, nameIndex: number): Promise<{ row: SegmentRow; file?: SegmentFile }> {
  const row: SegmentRow = { name, firstIndex: undefined, lastIndex: undefined, records: 0, bytes: 0, state: 'unreadable', problems: [], notes: [] };
  let buf: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      row.bytes = (await handle.stat()).size;
      buf = Buffer.alloc(Math.min(row.bytes, SEGMENT_HEADER_BYTES));
      await handle.read(buf, 0, buf.length, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    row.problems.push(`cannot read it: ${(error as Error).message}`);
    return { row };
  }
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') {
    row.problems.push(`bad segment header at byte offset 0: ${header}: Wal.open would refuse the log`);
    return { row };
  }
  row.firstIndex = header.firstIndex;
  if (header.firstIndex !== nameIndex) {
    row.problems.push(`header says first index ${header.firstIndex} but the file name says ${nameIndex}: Wal.open would refuse the log`);
    return { row };
  }
  row.state = 'live';
  return { row, file: { path, header, row } };
}

/**
 * Reads whole segments into one buffer, grown to the largest: the scan copies what it keeps out
 * of it (decodeEntry), so each segment's bytes are dead once scanned. A fresh buffer per segment
 * left collection lagging: 110 MiB of Buffers while inspecting 160 MiB of log.
 */
class SegmentReader {
  private scratch = Buffer.alloc(0);

  /** The segment's whole content (valid until the next read); undefined, with a problem on its row, when it cannot be read. */
  async read(file: SegmentFile): Promise<Buffer | undefined> {
    try {
      const handle = await open(file.path, 'r');
      try {
        const size = (await handle.stat()).size;
        if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(size);
        let filled = 0;
        while (filled < size) {
          const { bytesRead } = await handle.read(this.scratch, filled, size - filled, filled);
          if (bytesRead === 0) break; // shrank since stat (a live node's directory): scan what is there
          filled += bytesRead;
        }
        const bytes = this.scratch.subarray(0, filled);
        // Its records must be read under the header they were written with (its salt): a file
        // renamed over this name since the listing is another segment (found in review).
        const header = decodeSegmentHeader(bytes);
        if (typeof header === 'string' || header.seq !== file.header.seq) throw new LogChangedError(file.row.name);
        return bytes;
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof LogChangedError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LogChangedError(file.row.name);
      file.row.problems.push(`cannot read it: ${(error as Error).message}`);
      return undefined;
    }
  }
}

/** Wal.open's choice of live segments; on an ambiguity it cannot resolve, all count as live. */
function liveAndDead(files: SegmentFile[]): { live: SegmentFile[]; dead: SegmentFile[] } {
  try {
    return chooseLiveSegments(files);
  } catch (error) {
    const file = files.find((f) => f.path === (error as { file?: string }).file);
    (file ?? files[0])!.row.problems.push((error as Error).message);
    return { live: [...files].sort((a, b) => a.header.firstIndex - b.header.firstIndex), dead: [] };
  }
}

/** Scans the live segments in order, checking that each continues the log before it. */
async function scanLiveSegments(live: SegmentFile[], log: LogCollector, reader: SegmentReader): Promise<void> {
  if (live.length === 0) return;
  const first = live[0]!.header;
  log.firstIndex = first.firstIndex;
  log.lastIndex = first.firstIndex - 1;
  log.lastTerm = first.prevTerm;
  for (let s = 0; s < live.length; s++) {
    const file = live[s]!;
    const { header, row } = file;
    const active = s === live.length - 1;
    // Entries at or after the next segment's first index were overridden by it (a truncation).
    const liveLimit = active ? Infinity : live[s + 1]!.header.firstIndex - 1;
    if (header.firstIndex !== log.lastIndex + 1) {
      row.problems.push(`starts at index ${header.firstIndex} but the log before it ends at ${log.lastIndex}`);
    } else if (header.prevTerm !== log.lastTerm) {
      row.problems.push(`header says entry ${log.lastIndex} has term ${header.prevTerm} but the log has ${log.lastTerm}`);
    }
    if (active) log.hardState = header.hardState;
    const buf = await reader.read(file);
    if (buf) scanSegment(file, buf, active ? 'active' : 'sealed', liveLimit, log);
    if (!active && log.lastIndex < liveLimit) {
      row.problems.push(`ends at index ${log.lastIndex} but the next segment starts at ${liveLimit + 1}`);
    }
  }
}

/**
 * Walks the records of one segment. Live entries (up to `liveLimit`) go to `log` (undefined for a
 * dead segment); damage is recorded on the row and scanning resumes at the next valid record.
 */
function scanSegment(file: SegmentFile, buf: Buffer, role: SegmentRole, liveLimit: number, log: LogCollector | undefined): void {
  const { header, row } = file;
  let expectedIndex = header.firstIndex;
  // After a skipped record its entries are missing: that gap is already reported, not a new problem.
  let afterDamage = false;
  let overridden = 0;
  let pos = SEGMENT_HEADER_BYTES;
  while (pos < buf.length) {
    const end = checkFrame(buf, pos, buf.length, header.salt);
    if (end < 0) {
      if (isZeroFilled(buf, pos, buf.length)) {
        // The unwritten rest of a preallocated segment: BYTES counts what was written.
        row.bytes = pos;
        break;
      }
      pos = reportDamage(file, buf, pos, expectedIndex, role);
      if (pos < 0) break;
      afterDamage = true;
      continue;
    }
    row.records++;
    const update = decodeUpdate(buf, pos, end);
    if (typeof update === 'string') {
      row.problems.push(`malformed record at byte offset ${pos}: ${update}`);
    } else {
      if (update.indices.length > 0 && update.indices[0] !== expectedIndex && !afterDamage) {
        row.problems.push(`record at byte offset ${pos} starts at index ${update.indices[0]}, expected ${expectedIndex}`);
      }
      if (update.indices.length > 0) {
        expectedIndex = update.indices[update.indices.length - 1]! + 1;
        afterDamage = false;
      }
      if (role === 'active' && update.hardState && log) log.hardState = update.hardState;
      overridden += collectEntries(file, buf, update, pos, liveLimit, log);
    }
    pos = end;
  }
  if (overridden > 0) row.notes.push(`${overridden} entries after ${liveLimit} overridden by the next segment (a truncation)`);
}

/** Adds a record's live entries to `log` (all entries of a dead segment only set its row's range). Returns how many were overridden. */
function collectEntries(file: SegmentFile, buf: Buffer, update: LocatedEntries, recordAt: number, liveLimit: number, log: LogCollector | undefined): number {
  const { row } = file;
  let overridden = 0;
  for (let k = 0; k < update.indices.length; k++) {
    const index = update.indices[k]!;
    if (index > liveLimit) {
      overridden++;
      continue;
    }
    row.lastIndex = index;
    if (!log) continue;
    const entry = decodeEntry(buf, update.offsets[k]!, index);
    if (entry) log.add(entry);
    else row.problems.push(`entry ${index} of the record at byte offset ${recordAt} does not decode`);
  }
  return overridden;
}

/**
 * Records the damaged record at `pos` on the segment's row, classified the way Wal.open would
 * (a torn tail of the active segment is cut; anything else is refused). Returns where scanning
 * resumes: the next valid record, or -1 when none follows.
 */
function reportDamage(file: SegmentFile, buf: Buffer, pos: number, expectedIndex: number, role: SegmentRole): number {
  const { row } = file;
  const why = frameProblem(buf, pos, buf.length, file.header.salt) ?? 'damaged record';
  const next = validRecordAfterDamage(buf, pos, buf.length, expectedIndex, file.header.salt);
  // Wal.open deletes dead segments unread, so their damage has no consequence.
  const refused = role === 'dead' ? '' : ': Wal.open would refuse the log';
  if (next >= 0) {
    row.problems.push(`${why} at byte offset ${pos}; next valid record at byte offset ${next} (${next - pos} bytes skipped)${refused}`);
  } else if (role === 'active') {
    const torn = lastNonZeroByte(buf, pos, buf.length) + 1 - pos;
    row.problems.push(`torn tail at byte offset ${pos}: ${torn} bytes (${why}); Wal.open would truncate it`);
  } else {
    const where = role === 'sealed' ? ' of a segment that is not the last' : '';
    row.problems.push(`${why} at byte offset ${pos}, ${buf.length - pos} bytes to the end${where}${refused}`);
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/** One line of the snapshot table. */
interface SnapshotRow {
  name: string;
  index: number;
  term: number;
  size: number;
  /** Membership from the verified metadata; undefined when the file does not verify. */
  membership: Membership | undefined;
  /** 'ok', or why the file does not verify. */
  check: string;
}

interface SnapshotScan {
  dir: string;
  exists: boolean;
  rows: SnapshotRow[];
  notes: string[];
}

/** Lists and verifies (read-only: readSnapshotFile opens with 'r') every snapshot file in `dir`. */
async function scanSnapshots(dir: string): Promise<SnapshotScan> {
  const names = await sortedNames(dir);
  const scan: SnapshotScan = { dir, exists: names !== undefined, rows: [], notes: [] };
  if (names === undefined) return scan;
  for (const name of names) {
    const parsed = parseSnapshotFileName(name);
    if (parsed) scan.rows.push(await checkSnapshot(join(dir, name), name, parsed));
    else if (name.endsWith(SNAPSHOT_TEMP_SUFFIX)) scan.notes.push(`${name}: leftover of an interrupted snapshot write or transfer (SnapshotStore.open would delete it)`);
    else scan.notes.push(`${name}: not a snapshot file (ignored)`);
  }
  return scan;
}

async function checkSnapshot(path: string, name: string, expected: { index: number; term: number }): Promise<SnapshotRow> {
  const row: SnapshotRow = { name, ...expected, size: 0, membership: undefined, check: 'ok' };
  try {
    row.size = (await stat(path)).size;
    row.membership = (await readSnapshotFile(path, expected)).meta.membership;
  } catch (error) {
    row.check = error instanceof SnapshotCorruptionError ? `CORRUPT: ${error.reason}` : `unreadable: ${(error as Error).message}`;
  }
  return row;
}

// ---------------------------------------------------------------------------------------------
// Membership

interface MembershipAtEnd {
  membership: Membership;
  /** Last index of the log (the snapshot's when the log holds no entries). */
  endIndex: number;
  /** Where it comes from, in words. */
  source: string;
  warnings: string[];
}

/** The configuration at the end of the log: the newest valid snapshot's, then the log's changes after it. */
function membershipAtEnd(log: LogCollector, snapshots: SnapshotScan): MembershipAtEnd | undefined {
  const base = newestValidSnapshot(snapshots);
  const baseIndex = base?.index ?? 0;
  const later = log.confEntries.filter((e) => e.index > baseIndex);
  if (!base && log.entryCount === 0) return undefined;
  // The WAL types entries with a plain number; MembershipHistory skips all but ConfChange ones.
  const history = new MembershipHistory({ index: baseIndex, membership: base?.membership ?? [] }, later as CoreEntry[]);
  const warnings: string[] = [];
  if (log.firstIndex !== undefined && log.firstIndex > baseIndex + 1) {
    warnings.push(
      base
        ? `the log starts at index ${log.firstIndex} but the newest valid snapshot ends at ${baseIndex}: configuration changes in between are unknown`
        : `the log starts at index ${log.firstIndex} and there is no valid snapshot: configuration changes before it are unknown`,
    );
  }
  if (base && log.firstIndex !== undefined && log.lastIndex < baseIndex) {
    warnings.push(`the snapshot at index ${baseIndex} is ahead of the log (it ends at ${log.lastIndex}): the node will restart its log after the snapshot`);
  }
  if (log.gaps > 0) warnings.push('the log has gaps: configuration changes lost in them are unknown');
  const changes = `${later.length} configuration ${later.length === 1 ? 'entry' : 'entries'}`;
  const source = base
    ? `snapshot at index ${base.index} + ${changes} after it`
    : `${changes} in the log${later.length > 0 ? `, the last at index ${later[later.length - 1]!.index}` : ''}`;
  const endIndex = log.firstIndex !== undefined ? log.lastIndex : baseIndex;
  return { membership: history.current(), endIndex, source, warnings };
}

function newestValidSnapshot(snapshots: SnapshotScan): (SnapshotRow & { membership: Membership }) | undefined {
  let newest: (SnapshotRow & { membership: Membership }) | undefined;
  for (const row of snapshots.rows) {
    if (row.membership && (!newest || row.index > newest.index)) newest = row as SnapshotRow & { membership: Membership };
  }
  return newest;
}

/** Every member id seen (snapshots, configuration entries) with its address, to name votes and removals. */
function addressBook(log: LogCollector, snapshots: SnapshotScan): Map<number, string> {
  const book = new Map<number, string>();
  for (const row of snapshots.rows) for (const m of row.membership ?? []) book.set(m.id, m.context);
  for (const entry of log.confEntries) {
    const cc = tryDecodeConfChange(entry.data);
    if (cc?.type === 'bootstrap') for (const m of cc.members) book.set(m.id, m.context);
    else if (cc?.type === 'addVoter' || cc?.type === 'addLearner') book.set(cc.id, cc.context);
  }
  return book;
}

function tryDecodeConfChange(data: Uint8Array): ConfChange | undefined {
  try {
    return decodeConfChange(data);
  } catch {
    return undefined;
  }
}

function roleName(m: Member): string {
  if (m.role === 'voter') return 'voter';
  return m.promote ? 'non-voting, joining as a voter' : 'non-voting';
}

function memberName(id: number, book: ReadonlyMap<number, string>): string {
  return book.get(id) ?? `member #${id}`;
}

// ---------------------------------------------------------------------------------------------
// Describing entries

/** Decodes raft-node's key-value commands (the Bytes codec, as installKv sets up). */
const kvCommands = new CommandRegistry<KvStore>(bytesCodec);
for (const cls of KV_COMMANDS) kvCommands.register(cls);

/** The TYPE and COMMAND columns of an entry. */
function describeEntry(entry: Entry, book: ReadonlyMap<number, string>): [string, string] {
  switch (entry.type) {
    case EntryType.Normal:
      return entry.data.byteLength === 0 ? ['no-op', ''] : ['normal', describeCommand(entry.data)];
    case EntryType.Noop:
      return ['no-op', entry.data.byteLength === 0 ? '' : hexDump(entry.data)];
    case EntryType.ConfChange: {
      const cc = tryDecodeConfChange(entry.data);
      if (!cc) return ['conf change', `undecodable, ${hexDump(entry.data)}`];
      return [cc.type === 'bootstrap' ? 'bootstrap' : 'conf change', describeConfChange(cc, book)];
    }
    default:
      return [`type ${entry.type}`, hexDump(entry.data)];
  }
}

function describeConfChange(cc: ConfChange, book: ReadonlyMap<number, string>): string {
  switch (cc.type) {
    case 'bootstrap':
      return cc.members.map((m) => `${m.context} (${roleName(m)})`).join(', ');
    case 'addVoter':
    case 'addLearner':
      return `${cc.type} ${cc.context}`;
    case 'promote':
    case 'remove':
      return `${cc.type} ${memberName(cc.id, book)}`;
  }
}

/** A command in words, with its proposer's session and seq when it has them (src/sessions.ts). */
function describeCommand(entryData: Uint8Array): string {
  let frame: SessionFrame;
  try {
    frame = decodeSessionFrame(entryData);
  } catch (err) {
    return `bad session header (${(err as Error).message}), ${hexDump(entryData)}`;
  }
  const text = describeKvCommand(frame.command);
  return frame.header ? `${text} [session ${frame.header.session} seq ${frame.header.seq}]` : text;
}

/** A key-value command in words; anything else as its type id and payload bytes. */
function describeKvCommand(data: Uint8Array): string {
  let command: unknown;
  try {
    command = kvCommands.decode(data);
  } catch {
    return describeRawCommand(data);
  }
  if (command instanceof SetCommand) return `set key=${quote(command.key, KEY_PREVIEW_CHARS)} value=${describeBytes(command.value)}`;
  if (command instanceof DeleteCommand) return `delete key=${quote(command.key, KEY_PREVIEW_CHARS)}`;
  if (command instanceof AppendCommand) {
    const limit = command.maxLength === undefined ? '' : ` max=${command.maxLength} bytes`;
    return `append key=${quote(command.key, KEY_PREVIEW_CHARS)} suffix=${describeBytes(command.suffix)}${limit}`;
  }
  if (command instanceof CasCommand) {
    const expect = command.expect === null ? 'absent' : describeBytes(command.expect);
    return `cas key=${quote(command.key, KEY_PREVIEW_CHARS)} expect=${expect} value=${describeBytes(command.value)}`;
  }
  return describeRawCommand(data);
}

/** `type 7, 12 bytes: 0a0b…`: the command framing is `[u32 LE type id][payload]` after the session header (src/command.ts). */
function describeRawCommand(data: Uint8Array): string {
  if (data.byteLength < 4) return `no command type id, ${hexDump(data)}`;
  const type = Buffer.from(data.buffer, data.byteOffset, data.byteLength).readUInt32LE(0);
  return `type ${type}, ${hexDump(data.subarray(4))}`;
}

/** `3 bytes "abc"` for printable UTF-8, else `3 bytes 0a0b0c`; long values are cut with "…". */
function describeBytes(bytes: Uint8Array): string {
  const size = `${bytes.byteLength} ${bytes.byteLength === 1 ? 'byte' : 'bytes'}`;
  if (bytes.byteLength === 0) return size;
  const text = printableText(bytes);
  return text === undefined ? `${size} ${hexPreview(bytes)}` : `${size} ${quote(text, VALUE_PREVIEW_CHARS)}`;
}

function hexDump(bytes: Uint8Array): string {
  return bytes.byteLength === 0 ? '0 bytes' : `${bytes.byteLength} ${bytes.byteLength === 1 ? 'byte' : 'bytes'}: ${hexPreview(bytes)}`;
}

function hexPreview(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEX_PREVIEW_BYTES)).toString('hex');
  return bytes.byteLength > HEX_PREVIEW_BYTES ? `${shown}…` : shown;
}

/** The text of `bytes` if they start as valid UTF-8 without control characters (only a prefix is decoded). */
function printableText(bytes: Uint8Array): string | undefined {
  // Streaming mode: a character cut at the end of the prefix is not an error.
  const prefix = bytes.subarray(0, VALUE_PREVIEW_CHARS * 4 + 4);
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(prefix, { stream: prefix.byteLength < bytes.byteLength });
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

/** JSON-quoted `text`, cut after `max` characters with "…" inside the quotes. */
function quote(text: string, max: number): string {
  const chars = [...text.slice(0, max * 2)];
  if (chars.length <= max && text.length <= max * 2) return JSON.stringify(text);
  return `${JSON.stringify(chars.slice(0, max).join('')).slice(0, -1)}…"`;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderReport(
  path: string,
  wal: WalScan,
  log: LogCollector,
  snapshots: SnapshotScan,
  files: DirFilesScan,
): InspectReport {
  const book = addressBook(log, snapshots);
  const membership = membershipAtEnd(log, snapshots);
  const dirFiles = renderDirFiles(files, log.entryCount > 0 || snapshots.rows.length > 0);
  const logProblem = logStartProblem(log, snapshots);
  const problems =
    wal.rows.reduce((n, row) => n + row.problems.length, 0) + snapshots.rows.filter((r) => r.check !== 'ok').length + dirFiles.problems + (logProblem ? 1 : 0);
  const lines = [
    `tsraft data directory ${path}`,
    // Right under the title, where the README says it is (it came after the identity lines).
    problems === 0 ? 'No damage found.' : `${problems} ${problems === 1 ? 'problem' : 'problems'} found (see below); nothing was repaired.`,
    ...dirFiles.lines,
    '',
    ...renderSegments(wal, log, logProblem),
    '',
    ...renderHardState(log, book),
    '',
    ...renderEntries(log, book),
    '',
    ...renderSnapshots(snapshots),
    '',
    ...renderMembership(membership),
  ];
  return { text: lines.join('\n'), problems };
}

/**
 * What start() refuses about where the log starts: past the newest valid snapshot's end, in the
 * node's words (WalStorage.open); undefined when it may start there.
 */
function logStartProblem(log: LogCollector, snapshots: SnapshotScan): string | undefined {
  if (log.firstIndex === undefined) return undefined;
  return logPastSnapshot(log.firstIndex, newestValidSnapshot(snapshots)?.index);
}

function renderSegments(wal: WalScan, log: LogCollector, logProblem: string | undefined): string[] {
  const lines = [`WAL segments (${wal.dir})`];
  if (!wal.exists) return [...lines, '  (no wal/ directory: this node never opened its log)'];
  if (wal.rows.length === 0) lines.push('  (no segment files)');
  else {
    const rows = wal.rows.map((r) => [
      r.name,
      r.firstIndex === undefined ? '-' : String(r.firstIndex),
      r.lastIndex === undefined ? '-' : String(r.lastIndex),
      String(r.records),
      String(r.bytes),
      [...r.problems, ...r.notes].join('; ') || (r.state === 'live' ? 'ok' : r.state),
    ]);
    lines.push(...table(['FILE', 'FIRST', 'LAST', 'RECORDS', 'BYTES', 'STATUS'], rows, [1, 2, 3, 4]));
  }
  for (const note of wal.notes) lines.push(`  note: ${note}`);
  if (log.firstIndex !== undefined) {
    lines.push(
      log.entryCount === 0
        ? `  log: no entries (next index ${log.lastIndex + 1})`
        : `  log: ${log.entryCount} ${log.entryCount === 1 ? 'entry' : 'entries'}, indices ${log.firstIndex}..${log.lastIndex}${
            log.gaps > 0 ? ` with ${log.gaps} ${log.gaps === 1 ? 'gap' : 'gaps'} (entries lost to the damage above)` : ''
          }`,
    );
  }
  if (logProblem) lines.push(`  Problem: ${logProblem}`);
  return lines;
}

function renderHardState(log: LogCollector, book: ReadonlyMap<number, string>): string[] {
  const hs = log.hardState;
  if (!hs) return ['Hard state', '  (none: no live segment)'];
  const vote = hs.vote === 0 ? 'none' : book.has(hs.vote) ? `${book.get(hs.vote)} (id ${hs.vote})` : `id ${hs.vote} (not a known member)`;
  return ['Hard state', ...table(['TERM', 'VOTE', 'COMMIT'], [[String(hs.term), vote, String(hs.commit)]], [0, 2])];
}

function renderEntries(log: LogCollector, book: ReadonlyMap<number, string>): string[] {
  const { entries, before, after } = log.window.result();
  if (entries.length === 0) {
    const why = log.entryCount === 0 ? 'the log holds none' : `none at or after index ${log.window.from} (the log ends at ${log.lastIndex})`;
    return ['Entries', `  (${why})`];
  }
  const skipped = [before > 0 ? `${before} earlier` : '', after > 0 ? `${after} later` : ''].filter(Boolean).join(' and ');
  const title = `Entries ${entries[0]!.index}..${entries[entries.length - 1]!.index}`;
  const lines = [skipped ? `${title} (${skipped} not shown; --from and --limit choose the window)` : title];
  const rows: string[][] = [];
  entries.forEach((e, i) => {
    const previous = entries[i - 1];
    if (previous && e.index !== previous.index + 1) rows.push(['…', '', 'missing', describeGap(previous.index, e.index)]);
    rows.push([String(e.index), String(e.term), ...describeEntry(e, book)]);
  });
  lines.push(...table(['INDEX', 'TERM', 'TYPE', 'COMMAND'], rows, [0, 1]));
  return [...lines, ...compactedNote(log)];
}

/** Says why a `--from` before the log's first entry lists from later (it did so silently). */
function compactedNote(log: LogCollector): string[] {
  const { from } = log.window;
  const first = log.firstIndex;
  if (from === undefined || first === undefined || from >= first || first === 1) return [];
  return [`  note: --from ${from} is before the log's first entry, ${first}: entries before it were compacted into a snapshot (see Snapshots), which holds their state, not the entries`];
}

function describeGap(previous: number, next: number): string {
  if (next <= previous) return `entry ${next} follows entry ${previous}: the log goes backwards`;
  return next === previous + 2 ? `entry ${previous + 1} is not readable` : `entries ${previous + 1}..${next - 1} are not readable`;
}

function renderSnapshots(snapshots: SnapshotScan): string[] {
  const lines = [`Snapshots (${snapshots.dir})`];
  if (!snapshots.exists) lines.push('  (no snapshots/ directory)');
  else if (snapshots.rows.length === 0) lines.push('  (none)');
  else {
    const rows = snapshots.rows.map((r) => [
      r.name,
      String(r.index),
      String(r.term),
      String(r.size),
      r.membership ? r.membership.map((m) => `${m.context} (${roleName(m)})`).join(', ') : '-',
      r.check,
    ]);
    lines.push(...table(['FILE', 'INDEX', 'TERM', 'BYTES', 'MEMBERSHIP', 'CHECK'], rows, [1, 2, 3]));
  }
  for (const note of snapshots.notes) lines.push(`  note: ${note}`);
  return lines;
}

function renderMembership(membership: MembershipAtEnd | undefined): string[] {
  if (!membership) return ['Membership', '  (unknown: no log entries and no valid snapshot)'];
  const lines = [`Membership at the end of the log, index ${membership.endIndex} (${membership.source})`];
  if (membership.membership.length === 0) lines.push('  (no members)');
  else lines.push(...table(['ADDRESS', 'ID', 'ROLE'], membership.membership.map((m) => [m.context, String(m.id), roleName(m)]), [1]));
  for (const warning of membership.warnings) lines.push(`  warning: ${warning}`);
  return lines;
}

/** An indented plain-text table: columns padded to their widest cell, `right` ones right-aligned. */
function table(header: string[], rows: string[][], right: readonly number[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    `  ${cells
      .map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]!) : c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
