/**
 * Snapshot files being sent to lagging followers, each held open while its transfer goes on.
 *
 * A transfer keeps to the snapshot it started with (see Raft.sendSnapshotChunk): restarting at
 * every newer snapshot, a transfer longer than the snapshot interval never finished. Retention
 * may delete that file meanwhile (a newer snapshot or two were taken); the open handle still
 * reads it, and the disk space is given back when the handle closes, once no chunk of it was
 * read for {@link SENDING_IDLE_MS}.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { sameSnapshot, type SnapshotMeta } from '../core/messages.js';
import type { StoredSnapshot } from './types.js';
import { settledWithin } from '../settled-within.js';

/** A file no chunk was read from for this long is closed (its transfer stalled or ended). */
export const SENDING_IDLE_MS = 30_000;

/** How long close() waits for the files' reads in progress to end. */
const CLOSE_WAIT_MS = 5_000;

interface OpenSnapshot {
  stored: StoredSnapshot;
  handle: Promise<FileHandle>;
  lastReadAt: number;
}

/** The snapshot files open for transfers. */
export class SendingSnapshots {
  private readonly files: OpenSnapshot[] = [];
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs = SENDING_IDLE_MS) {}

  /** The open file of snapshot `meta`, if one is. */
  find(meta: SnapshotMeta): StoredSnapshot | undefined {
    return this.files.find((f) => sameSnapshot(f.stored.meta, meta))?.stored;
  }

  /**
   * The open file of `stored`, opened now if it is not open (counted as a use: a file is closed
   * once unused for the idle time).
   * @throws what opening throws (ENOENT once the file is deleted and was not open)
   */
  open(stored: StoredSnapshot): Promise<FileHandle> {
    let file = this.files.find((f) => f.stored === stored);
    if (!file) {
      const handle = open(stored.path, 'r');
      file = { stored, handle, lastReadAt: performance.now() };
      this.files.push(file);
      const opened = file;
      handle.catch(() => this.drop(opened));
      this.sweeper ??= setInterval(() => this.sweep(), Math.max(1000, this.idleMs / 2)).unref();
    }
    file.lastReadAt = performance.now();
    return file.handle;
  }

  /** Closes the file of `stored` (found corrupt, or replaced): its transfers start again. */
  forget(stored: StoredSnapshot): void {
    const file = this.files.find((f) => f.stored === stored);
    if (file) this.drop(file);
  }

  /**
   * Closes every file (the node stops). A handle closes once its reads in progress end, and a read
   * that hangs (a failing disk) would hold the stop for good: waited for `waitMs` at most, the
   * rest close on their own once their reads return.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    const files = this.files.splice(0);
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    await settledWithin(Promise.all(files.map((f) => f.handle.then((h) => h.close()).catch(() => undefined))), waitMs);
  }

  private sweep(): void {
    const now = performance.now();
    for (const f of [...this.files]) if (now - f.lastReadAt >= this.idleMs) this.drop(f);
  }

  private drop(file: OpenSnapshot): void {
    const i = this.files.indexOf(file);
    if (i < 0) return;
    this.files.splice(i, 1);
    // A read in progress holds the promise it awaited; closing after it is not awaited here.
    void file.handle.then((h) => h.close()).catch(() => undefined);
    if (this.files.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
