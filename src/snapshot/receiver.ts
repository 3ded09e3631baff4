/**
 * The receiving end of a snapshot streamed by the leader in chunks: bytes are accepted only at
 * the next expected offset (so a transfer resumes where it stopped), then `finish()` verifies the
 * whole file against its own checksums and the announced metadata and installs it atomically.
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import type { SnapshotMeta } from '../core/messages.js';
import { SnapshotCorruptionError, SnapshotError } from './errors.js';
import { normalizeMembership, readSnapshotFile, sameMembership } from './format.js';
import { writeFully } from './files.js';
import type { StoredSnapshot } from './types.js';
import type { InstallSnapshot } from './writer.js';

/**
 * A snapshot transfer in progress. The bytes received are the leader's snapshot FILE
 * (`meta.size` bytes: data and metadata trailer), so `finish()` checks the leader's checksums.
 * Calls are queued and run in order. Made by {@link SnapshotStore.beginReceive}.
 */
export class SnapshotReceiver {
  /** The snapshot being received, as the leader announced it. */
  readonly meta: SnapshotMeta;
  /** The temporary file the bytes go to until `finish()`. */
  readonly tempPath: string;
  private readonly fh: FileHandle;
  private readonly install: InstallSnapshot;
  private readonly onEnd: (receiver: SnapshotReceiver) => void;
  private next = 0;
  private state: 'open' | 'checking' | 'checked' | 'finished' | 'aborted' = 'open';
  /** The file as verified by check(), for finish() to install. */
  private sealed: StoredSnapshot | undefined;
  private fileClosed = false;
  private tail: Promise<unknown> = Promise.resolve();

  /** @internal Use {@link SnapshotStore.beginReceive}. */
  constructor(fh: FileHandle, tempPath: string, meta: SnapshotMeta, install: InstallSnapshot, onEnd: (receiver: SnapshotReceiver) => void) {
    this.fh = fh;
    this.tempPath = tempPath;
    this.meta = { index: meta.index, term: meta.term, membership: normalizeMembership(meta.membership), size: meta.size };
    this.install = install;
    this.onEnd = onEnd;
  }

  /** The offset of the next byte expected (bytes received and accepted so far). */
  get nextOffset(): number {
    return this.next;
  }

  /** Whether the receiver still accepts bytes (neither finished nor aborted). */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Stores `bytes` at `offset` if `offset` is the next expected one; `offset` 0 restarts the
   * transfer from scratch. Any other offset (a duplicate, a gap) stores nothing.
   * @returns the next offset expected: what to acknowledge to the leader
   * @throws SnapshotError if the bytes would run past `meta.size`, or if not open
   */
  write(offset: number, bytes: Uint8Array): Promise<number> {
    return this.serial(async () => {
      this.checkOpen('write');
      if (offset !== this.next && offset !== 0) return this.next;
      if (offset + bytes.byteLength > this.meta.size) {
        throw new SnapshotError(`snapshot ${this.meta.index}: chunk [${offset}, ${offset + bytes.byteLength}) runs past its size ${this.meta.size}`);
      }
      if (offset === 0 && this.next > 0) {
        await this.fh.truncate(0);
        this.next = 0;
      }
      await writeFully(this.fh, bytes, bytes.byteLength, offset);
      this.next = offset + bytes.byteLength;
      return this.next;
    });
  }

  /**
   * Once all `meta.size` bytes arrived: fsyncs the file and verifies it (trailer, checksums,
   * index, term and membership equal to `meta`), without installing it. On a failed
   * verification the temp file is deleted and the receiver is closed.
   * @throws SnapshotError if bytes are missing or it is not open; SnapshotCorruptionError if
   * verification fails
   */
  check(): Promise<StoredSnapshot> {
    return this.serial(() => this.checkNow());
  }

  /**
   * Checks the file (as {@link check}, unless that was done) and installs it: renames it into
   * place and fsyncs the directory.
   * @throws SnapshotError if bytes are missing; SnapshotCorruptionError if verification fails
   */
  finish(): Promise<StoredSnapshot> {
    return this.serial(async () => {
      const sealed = this.state === 'checked' ? this.sealed! : await this.checkNow();
      this.state = 'finished';
      try {
        return await this.install(this.tempPath, sealed);
      } catch (error) {
        this.state = 'aborted';
        await this.discard();
        throw error;
      } finally {
        this.onEnd(this);
      }
    });
  }

  private async checkNow(): Promise<StoredSnapshot> {
    this.checkOpen('check');
    if (this.next !== this.meta.size) throw new SnapshotError(`snapshot ${this.meta.index}: check after ${this.next} of ${this.meta.size} bytes`);
    this.state = 'checking';
    try {
      await this.fh.sync();
      await this.closeFile();
      const sealed = await readSnapshotFile(this.tempPath, this.meta);
      if (!sameMembership(sealed.meta.membership, this.meta.membership)) {
        throw new SnapshotCorruptionError(this.tempPath, 'membership differs from the one the leader announced');
      }
      // (A state set by abort() meanwhile: the checks above cannot see it.)
      if ((this.state as string) === 'aborted') throw new SnapshotError(`snapshot ${this.meta.index}: dropped while its file was checked`);
      this.sealed = sealed;
      this.state = 'checked';
      return sealed;
    } catch (error) {
      this.state = 'aborted';
      await this.discard();
      this.onEnd(this);
      throw error;
    }
  }

  /**
   * Abandons the transfer and deletes the temp file. Idempotent. During a check it returns at
   * once (a large file's check would hold the caller for as long): the check fails when it ends,
   * and deletes the file then.
   */
  abort(): Promise<void> {
    if (this.state === 'checking') {
      this.state = 'aborted';
      this.onEnd(this);
      return Promise.resolve();
    }
    return this.serial(async () => {
      if (this.state !== 'open' && this.state !== 'checked') return;
      this.state = 'aborted';
      this.onEnd(this);
      await this.discard();
    });
  }

  private checkOpen(what: string): void {
    if (this.state !== 'open') throw new SnapshotError(`snapshot ${this.meta.index}: ${what}() on a receiver that is ${this.state}`);
  }

  private async discard(): Promise<void> {
    await this.closeFile().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  private async closeFile(): Promise<void> {
    if (this.fileClosed) return;
    this.fileClosed = true;
    await this.fh.close();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
