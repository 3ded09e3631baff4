/**
 * The snapshot store: a directory (by convention `<dataDir>/snapshots/`) of complete, verified
 * snapshot files (format.ts), written atomically by {@link SnapshotWriter} and
 * {@link SnapshotReceiver}, read back whole (`open`) or in chunks (`readChunk`).
 *
 * Atomicity: data and trailer go to a temp file that is fsynced, then renamed to its final name,
 * then the directory is fsynced; only then are old snapshots deleted. A crash at any point leaves
 * the previous snapshots intact, plus either nothing or the complete new file under its final
 * name; temp files are deleted by the next `SnapshotStore.open`.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import type { SnapshotMeta } from '../core/messages.js';
import { SnapshotCorruptionError } from './errors.js';
import { checkTarget, parseSnapshotFileName, readSnapshotFile, snapshotFileName, TEMP_SUFFIX, TRAILER_BYTES } from './format.js';
import { fsyncDirectory, isNotFound, makeDirectory, readFully } from './files.js';
import { SnapshotReceiver } from './receiver.js';
import type { SnapshotTarget, StoredSnapshot } from './types.js';
import { SnapshotWriter } from './writer.js';

/** Options of {@link SnapshotStore.open}. */
export interface SnapshotStoreOptions {
  /** How many of the newest snapshots to keep; older ones are deleted after each install. Default 2. */
  retain?: number;
  /**
   * Told when deleting older snapshots after an install failed (the install itself stands: the
   * new snapshot is in place and durable). The next install tries again. Default: ignored.
   */
  onPruneError?: (err: Error) => void;
}

/** A snapshot file found by name, not yet verified. */
export interface SnapshotListing {
  /** Index from the file name. */
  readonly index: number;
  /** Term from the file name. */
  readonly term: number;
  /** Path of the file. */
  readonly path: string;
}

/** The conventional snapshot directory of a node whose data directory is `dataDir`. */
export function snapshotDir(dataDir: string): string {
  return join(dataDir, 'snapshots');
}

/** Random bytes in a temp file's name, so that concurrent writes never share one. */
const TEMP_TAG_BYTES = 6;
/** `<snapshot file name>.<random hex>.tmp` (TEMP_SUFFIX); any length of hex, as earlier versions wrote. */
const OWN_TEMP_NAME = /^(.+)\.[0-9a-f]+\.tmp$/;

/** A temp file name of the store's own making: `<snapshot file name>.<random hex>.tmp`. */
function isOwnTempFile(name: string): boolean {
  const match = OWN_TEMP_NAME.exec(name);
  return match !== null && parseSnapshotFileName(match[1]!) !== undefined;
}

/** Snapshot files in a directory; see the module comment for the guarantees. */
export class SnapshotStore {
  /** The directory holding the snapshot files. */
  readonly dir: string;
  /** How many of the newest snapshots are kept. */
  readonly retain: number;
  private readonly corruptFiles = new Map<string, SnapshotCorruptionError>();
  private receiving: SnapshotReceiver | undefined;
  private installs: Promise<unknown> = Promise.resolve();

  private constructor(
    dir: string,
    retain: number,
    private readonly onPruneError: (err: Error) => void,
  ) {
    this.dir = dir;
    this.retain = retain;
  }

  /**
   * Opens (creating if needed) the snapshot directory `dir`, deletes temp files left by writes or
   * transfers that a crash interrupted, and snapshots beyond `retain` + 1 that crashes left behind.
   * The caller must hold the directory: those deletions would destroy another process's snapshot
   * in progress (the Node locks its data directory before it opens the store, see wal/dir-lock.ts).
   * @throws RangeError if `retain` is not an integer >= 1
   */
  static async open(dir: string, options: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
    const retain = options.retain ?? 2;
    if (!Number.isSafeInteger(retain) || retain < 1) throw new RangeError(`retain must be an integer >= 1, got ${retain}`);
    const absolute = resolve(dir);
    await makeDirectory(absolute, true);
    // Only files of our own making (see tempPath): rm() of a directory named "x.tmp" threw
    // EISDIR, and start() failed on it (found in review).
    const leftovers = (await readdir(absolute, { withFileTypes: true })).filter((e) => e.isFile() && isOwnTempFile(e.name)).map((e) => e.name);
    await Promise.all(leftovers.map((name) => rm(join(absolute, name), { force: true })));
    if (leftovers.length > 0) await fsyncDirectory(absolute);
    const store = new SnapshotStore(absolute, retain, options.onPruneError ?? (() => undefined));
    // Crashes between installs and their pruning can pile up snapshots; keep one more than
    // `retain` (not yet verified, so an extra fallback stays) and delete the older ones.
    const listings = await store.list();
    for (const old of listings.slice(0, Math.max(0, listings.length - retain - 1))) await rm(old.path, { force: true });
    return store;
  }

  /**
   * Files found corrupt (by `latest()`, or marked by {@link markCorrupt}), each with the reason.
   * They are no fallback, and the next snapshot installed deletes them.
   */
  get corrupt(): readonly SnapshotCorruptionError[] {
    return [...this.corruptFiles.values()];
  }

  /**
   * Records that the stored snapshot at `path` was found corrupt or unreadable while the node
   * ran (sending it): retention no longer counts it and {@link fallbackBefore} skips it
   * (regression, found in review: a replacement taken at a higher index then deleted the sound
   * older snapshot and kept the rotten one as the fallback).
   */
  /** Whether the file at `path` was found corrupt. */
  isCorrupt(path: string): boolean {
    return this.corruptFiles.has(path);
  }

  markCorrupt(path: string, reason: string): void {
    this.corruptFiles.set(path, new SnapshotCorruptionError(path, reason));
  }

  /**
   * Starts a snapshot of the state at `target.index`. Write the application state into the
   * returned stream, then `commit()` it (or `abort()`).
   * @throws RangeError on a malformed target
   */
  async create(target: SnapshotTarget): Promise<SnapshotWriter> {
    checkTarget(target);
    const tempPath = this.tempPath(target.index, target.term);
    const fh = await open(tempPath, 'wx');
    return new SnapshotWriter(fh, tempPath, target, (temp, sealed) => this.install(temp, sealed));
  }

  /** Complete snapshot files by name, oldest first (not verified: see {@link latest}). */
  async list(): Promise<SnapshotListing[]> {
    const listings: SnapshotListing[] = [];
    // Files (or links to them) only: a directory named like a snapshot (an operator's copy, say)
    // is none, and rm() of it at pruning threw EISDIR, which failed start().
    const names = (await readdir(this.dir, { withFileTypes: true })).filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
    for (const name of names.sort()) {
      const parsed = parseSnapshotFileName(name);
      if (parsed) listings.push({ ...parsed, path: join(this.dir, name) });
    }
    return listings;
  }

  /**
   * What a node falls back to if its snapshot at `index` is lost: the index of the newest kept
   * snapshot before it not known to be corrupt, 0 (the start of the log) if none, or undefined
   * when retention keeps a single snapshot. Compaction keeps the log back to it (see
   * WalStorage.compact), so that a latest snapshot found corrupt at start costs a longer replay
   * instead of the member.
   */
  async fallbackBefore(index: number): Promise<number | undefined> {
    if (this.retain < 2) return undefined;
    const older = (await this.list()).filter((l) => l.index < index && !this.corruptFiles.has(l.path));
    return older.at(-1)?.index ?? 0;
  }

  /**
   * The newest snapshot that verifies (trailer, metadata and data checksums, name), or undefined
   * if there is none. Reads the whole file to check the data checksum. Corrupt files are skipped
   * and reported in {@link corrupt}.
   */
  async latest(): Promise<StoredSnapshot | undefined> {
    const listings = await this.list();
    for (let i = listings.length - 1; i >= 0; i--) {
      const listing = listings[i]!;
      try {
        return await readSnapshotFile(listing.path, listing);
      } catch (error) {
        if (error instanceof SnapshotCorruptionError) this.corruptFiles.set(listing.path, error);
        else if (!isNotFound(error)) throw error;
      }
    }
    return undefined;
  }

  /**
   * A stream of the snapshot's application data, for the application's `recover(readable)`.
   * The stream re-checks the data checksum and fails with a SnapshotCorruptionError at its end if
   * the bytes no longer match.
   */
  open(snapshot: StoredSnapshot): Readable {
    const source: Readable =
      snapshot.dataSize === 0 ? Readable.from([]) : createReadStream(snapshot.path, { start: 0, end: snapshot.dataSize - 1, highWaterMark: 1 << 20 });
    const hash = createHash('sha256');
    const verifier = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        if (hash.digest('hex') === snapshot.dataSha256) callback();
        else callback(new SnapshotCorruptionError(snapshot.path, 'data checksum mismatch while reading'));
      },
    });
    pipeline(source, verifier, () => undefined);
    return verifier;
  }

  /**
   * Reads the snapshot's file whole and checks it again (trailer, checksums, and the index, term,
   * size and data checksum it was stored with): bytes can rot on disk after they were verified.
   * @throws SnapshotCorruptionError when it no longer checks out; file-system errors as they are
   */
  async verify(snapshot: StoredSnapshot): Promise<void> {
    const now = await readSnapshotFile(snapshot.path, snapshot.meta);
    if (now.meta.size !== snapshot.meta.size || now.dataSha256 !== snapshot.dataSha256) {
      throw new SnapshotCorruptionError(snapshot.path, `holds ${now.meta.size} bytes of data checksum ${now.dataSha256.slice(0, 12)}…, stored as ${snapshot.meta.size} bytes of ${snapshot.dataSha256.slice(0, 12)}…`);
    }
  }

  /**
   * Bytes [offset, offset + length) of the snapshot FILE (the unit of transfer, `meta.size`
   * bytes), for a chunk sent to a lagging follower; from `openFile` when given (a file held open
   * while its transfer goes on, see sending.ts), else opened for this read.
   * @throws RangeError if the range is not within [0, meta.size)
   */
  async readChunk(snapshot: StoredSnapshot, offset: number, length: number, openFile?: FileHandle): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > snapshot.meta.size) {
      throw new RangeError(`chunk [${offset}, ${offset + length}) is outside snapshot ${snapshot.meta.index} of ${snapshot.meta.size} bytes`);
    }
    const fh = openFile ?? (await open(snapshot.path, 'r'));
    try {
      const bytes = await readFully(fh, length, offset);
      if (bytes.length < length) throw new SnapshotCorruptionError(snapshot.path, `shorter than its verified size ${snapshot.meta.size}`);
      return bytes;
    } finally {
      if (!openFile) await fh.close();
    }
  }

  /**
   * Starts (or resumes) receiving the snapshot `meta` from the leader. While a receiver for the
   * same index, term and size is open it is returned as it is, so a transfer interrupted by a
   * lost connection resumes at its `nextOffset`; a receiver for another snapshot is aborted.
   * @throws RangeError if `meta` is malformed or too small to be a snapshot file
   */
  async beginReceive(meta: SnapshotMeta): Promise<SnapshotReceiver> {
    checkTarget(meta);
    if (!Number.isSafeInteger(meta.size) || meta.size < TRAILER_BYTES) throw new RangeError(`snapshot ${meta.index}: size ${meta.size} is too small for a snapshot file`);
    const current = this.receiving;
    if (current?.isOpen) {
      if (current.meta.index === meta.index && current.meta.term === meta.term && current.meta.size === meta.size) return current;
      await current.abort();
    }
    const tempPath = this.tempPath(meta.index, meta.term);
    const fh = await open(tempPath, 'wx');
    const receiver = new SnapshotReceiver(
      fh,
      tempPath,
      meta,
      (temp, sealed) => this.install(temp, sealed),
      (ended) => {
        if (this.receiving === ended) this.receiving = undefined;
      },
    );
    this.receiving = receiver;
    return receiver;
  }

  private tempPath(index: number, term: number): string {
    return join(this.dir, `${snapshotFileName(index, term)}.${randomBytes(TEMP_TAG_BYTES).toString('hex')}${TEMP_SUFFIX}`);
  }

  /** Renames a sealed temp file into place, fsyncs the directory, then applies retention. One at a time. */
  private install(tempPath: string, sealed: StoredSnapshot): Promise<StoredSnapshot> {
    const run = async (): Promise<StoredSnapshot> => {
      const name = snapshotFileName(sealed.meta.index, sealed.meta.term);
      const path = join(this.dir, name);
      await rename(tempPath, path);
      await fsyncDirectory(this.dir);
      this.corruptFiles.delete(path);
      // The snapshot is in place and durable: failing the install for an old file that would not
      // go made a received snapshot stop the node, and a local one count as a failed save.
      await this.prune(path).catch((err: Error) => this.onPruneError(err));
      return { ...sealed, path };
    };
    const result = this.installs.then(run);
    this.installs = result.catch(() => undefined);
    return result;
  }

  /**
   * Deletes all but the newest `retain` snapshots, never `keep` (the one just installed). Files
   * found corrupt are no fallback: they do not count toward `retain` and are deleted too.
   */
  private async prune(keep: string): Promise<void> {
    const listings = await this.list();
    const sound = listings.filter((l) => !this.corruptFiles.has(l.path));
    const kept = new Set([keep, ...sound.slice(-this.retain).map((l) => l.path)]);
    for (const listing of listings.filter((l) => !kept.has(l.path))) {
      await rm(listing.path, { force: true });
      this.corruptFiles.delete(listing.path);
    }
  }
}

