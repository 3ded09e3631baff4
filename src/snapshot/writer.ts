/**
 * The writable end of a new local snapshot: the application's `save(writable)` writes its state
 * into it, then `commit()` seals the file (trailer, fsync) and installs it atomically.
 * @module
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { SnapshotError } from './errors.js';
import { encodeTrailer, normalizeMembership } from './format.js';
import { writeFully } from './files.js';
import type { SnapshotTarget, StoredSnapshot } from './types.js';

/** Renames a sealed, fsynced temp file into place and returns the installed snapshot. */
export type InstallSnapshot = (tempPath: string, sealed: StoredSnapshot) => Promise<StoredSnapshot>;

/**
 * A Node Writable over a temporary file. Write the application state into it (or pipe into it),
 * then call exactly one of `commit()` or `abort()`; commit() ends it if the writer did not. (A
 * Node's snapshot keeper, which hands it to the application's save, refuses a save that resolved
 * without ending it: see SnapshotHandler.save.)
 * Made by {@link SnapshotStore.create}.
 */
export class SnapshotWriter extends Writable {
  /** What this snapshot is of. */
  readonly target: SnapshotTarget;
  /** The temporary file the data goes to until commit. */
  readonly tempPath: string;
  private readonly fh: FileHandle;
  private readonly install: InstallSnapshot;
  private readonly hash = createHash('sha256');
  private position = 0;
  private state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';
  private fileClosed = false;
  /** Settles when the stream finished (resolves) or failed or was destroyed first (rejects). */
  private readonly ended: Promise<void>;

  /** @internal Use {@link SnapshotStore.create}. */
  constructor(fh: FileHandle, tempPath: string, target: SnapshotTarget, install: InstallSnapshot) {
    super({ highWaterMark: 1 << 20 });
    this.fh = fh;
    this.tempPath = tempPath;
    this.target = { index: target.index, term: target.term, membership: normalizeMembership(target.membership), sessions: target.sessions ?? [] };
    this.install = install;
    this.ended = new Promise<void>((resolve, reject) => {
      this.on('finish', resolve);
      this.on('error', reject);
      this.on('close', () => reject(new SnapshotError('snapshot stream was destroyed before it finished')));
    });
    this.ended.catch(() => undefined);
  }

  /**
   * Rejects with the stream's error once it fails or is destroyed before it finished (a disk full,
   * an I/O error); never settles otherwise. A save that waits for 'drain' alone would wait
   * forever on a failed stream: the keeper races the save against this.
   */
  failure(): Promise<never> {
    return this.ended.then(() => new Promise<never>(() => undefined));
  }

  /** Bytes of application data written so far. */
  get bytesWritten(): number {
    return this.position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.append(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    this.append(Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  private append(chunk: Buffer, callback: (error?: Error | null) => void): void {
    this.hash.update(chunk);
    const at = this.position;
    this.position += chunk.length;
    writeFully(this.fh, chunk, chunk.byteLength, at).then(() => callback(), callback);
  }

  /**
   * Ends the stream if the application did not, appends the metadata trailer, fsyncs the file,
   * renames it to its final name and fsyncs the directory; then older snapshots beyond the
   * store's retention are deleted. On failure the temp file is removed and the error rethrown.
   * @returns the installed snapshot
   * @throws SnapshotError if the stream failed or was destroyed, or commit/abort was called before
   */
  async commit(): Promise<StoredSnapshot> {
    if (this.state !== 'open') throw new SnapshotError(`commit() on a snapshot writer that is ${this.state}`);
    this.state = 'committing';
    try {
      if (!this.writableEnded) this.end();
      await this.ended;
      const dataSha256 = this.hash.digest('hex');
      const trailer = encodeTrailer(this.target, this.position, dataSha256);
      await writeFully(this.fh, trailer, trailer.byteLength, this.position);
      await this.fh.sync();
      await this.closeFile();
      const sealed: StoredSnapshot = {
        meta: { index: this.target.index, term: this.target.term, membership: this.target.membership, size: this.position + trailer.length },
        dataSize: this.position,
        dataSha256,
        path: this.tempPath,
        sessions: this.target.sessions ?? [],
      };
      const installed = await this.install(this.tempPath, sealed);
      this.state = 'committed';
      return installed;
    } catch (error) {
      await this.discard();
      throw error;
    }
  }

  /** Discards the snapshot: destroys the stream and deletes the temp file. Idempotent; no-op after commit. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    await this.discard();
  }

  private async discard(): Promise<void> {
    this.state = 'aborted';
    if (!this.destroyed) this.destroy();
    await this.closeFile().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  private async closeFile(): Promise<void> {
    if (this.fileClosed) return;
    this.fileClosed = true;
    await this.fh.close();
  }
}
