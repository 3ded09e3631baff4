/**
 * One writer per directory. Node has no flock(2), so the lock is a file: `DIR/LOCK` holds the
 * owner's pid, start time and boot id (see process-identity.ts) and exists exactly while the owner
 * holds the directory.
 *
 * Taking it: the record is written to `LOCK.<pid>.tmp` (and fsync'ed), then hard-linked to `LOCK`,
 * which fails if `LOCK` exists — so `LOCK` never exists without its content, and of two processes
 * starting at once on a free directory exactly one wins. If `LOCK` exists and its owner still
 * runs, {@link DirectoryLockedError}. If the owner is gone (a crash, kill -9, a reboot, a pid
 * reused after a container restart), the lock is stale and is taken over by renaming our record
 * over it.
 *
 * Residual race: two processes that start at the same instant on a directory whose previous owner
 * crashed may both judge the lock stale; each renames its record over `LOCK` and reads it back,
 * which catches most interleavings but not all (one can read back its own record before the other
 * renames). Closing that window needs a kernel lock; this protects against what happens in
 * practice, a second process started on a live node's directory. Likewise, the pid check is only
 * meaningful on one host, in one pid namespace: two containers that share a volume are not
 * protected from each other.
 *
 * Within one process a set of held directories (shared by every copy of this module, through a
 * global symbol) refuses a second Wal or Node on a directory this process already holds: the file
 * alone could not tell that holder from a stale lock of a previous process with the same pid.
 * @module
 */
import { link, open, readFile, realpath, rename, rm, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DirectoryLockedError } from './errors.js';
import { fsyncDirectory, makeDirectory } from './files.js';
import { isRunning, ownIdentity, type ProcessIdentity } from './process-identity.js';

/** The lock file's name inside the locked directory. */
export const LOCK_FILE = 'LOCK';

/** Link attempts before giving up on a LOCK that keeps appearing and vanishing. */
const MAX_ATTEMPTS = 20;

const HELD_KEY = Symbol.for('tsraft.heldDirectories');
const globalRegistry = globalThis as unknown as Record<symbol, Set<string> | undefined>;
/** Directories (resolved and real paths) held by this process. */
const held: Set<string> = (globalRegistry[HELD_KEY] ??= new Set<string>());

/** Parses a lock file's content; undefined when it is not a lock record. */
function parseRecord(text: string): ProcessIdentity | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = value as Partial<ProcessIdentity> | null;
  if (typeof r !== 'object' || r === null || !Number.isSafeInteger(r.pid) || (r.pid as number) <= 0) return undefined;
  const out: ProcessIdentity = { pid: r.pid as number };
  if (typeof r.startTime === 'string') out.startTime = r.startTime;
  if (typeof r.bootId === 'string') out.bootId = r.bootId;
  return out;
}

/** Writes a new file `path` holding `record`, fsync'ed with `sync`. */
async function writeRecord(path: string, record: string, sync: boolean): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(record);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The lock file's content, or undefined if there is no lock file. */
async function readLockFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The process holding `dir`'s lock, and whether it still runs; undefined when the directory is
 * not locked. Reads only (for tools such as `raft-node inspect` that look at a live directory).
 */
export async function lockHolder(dir: string): Promise<(ProcessIdentity & { running: boolean }) | undefined> {
  const text = await readLockFile(join(dir, LOCK_FILE));
  if (text === undefined) return undefined;
  const holder = parseRecord(text);
  if (!holder) return { pid: 0, running: false };
  const inThisProcess = holder.pid === process.pid && held.has(await realpath(dir).catch(() => resolve(dir)));
  return { ...holder, running: holder.pid === process.pid ? inThisProcess : await isRunning(holder) };
}

/** A directory held by this process until {@link DirectoryLock.release}. */
export class DirectoryLock {
  private released = false;

  private constructor(
    /** The locked directory (as given, resolved to an absolute path). */
    readonly dir: string,
    /** `dir/LOCK`. */
    readonly path: string,
    /** The lock file's content: ours, byte for byte. */
    private readonly record: string,
    /** The keys of `held` this lock added. */
    private readonly keys: readonly string[],
    /** The owner whose stale lock was taken over, if there was one. */
    readonly tookOverFrom: ProcessIdentity | undefined,
  ) {}

  /**
   * Locks `dir`, creating it if needed, before anything in it is read or changed.
   * @param options.sync fsync the lock file and the directory (the WAL's `sync: 'always'`)
   * @throws DirectoryLockedError if another process, or another holder in this one, has it
   */
  static async acquire(dir: string, options: { sync?: boolean } = {}): Promise<DirectoryLock> {
    const sync = options.sync !== false;
    const absolute = resolve(dir);
    const keys = [absolute];
    // Claimed before the first await: a concurrent acquire in this process is refused at once.
    if (held.has(absolute)) throw new DirectoryLockedError(absolute, join(absolute, LOCK_FILE), process.pid, true);
    held.add(absolute);
    try {
      await makeDirectory(absolute, sync);
      const real = await realpath(absolute);
      if (real !== absolute) {
        if (held.has(real)) throw new DirectoryLockedError(absolute, join(absolute, LOCK_FILE), process.pid, true);
        held.add(real);
        keys.push(real);
      }
      const path = join(real, LOCK_FILE);
      const record = `${JSON.stringify(await ownIdentity())}\n`;
      const tookOverFrom = await DirectoryLock.take(absolute, path, record, sync);
      if (sync) await fsyncDirectory(real);
      return new DirectoryLock(absolute, path, record, keys, tookOverFrom);
    } catch (error) {
      for (const key of keys) held.delete(key);
      throw error;
    }
  }

  /** Makes `path` hold `record`; returns the stale owner it replaced, if any. */
  private static async take(dir: string, path: string, record: string, sync: boolean): Promise<ProcessIdentity | undefined> {
    const temp = `${path}.${process.pid}.tmp`;
    await writeRecord(temp, record, sync);
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        try {
          await link(temp, path);
          return undefined;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const text = await readLockFile(path);
        if (text === undefined) continue; // released meanwhile: try again
        // No live holder ever leaves LOCK without a whole record (it is linked in complete), so
        // unreadable content is a leftover (a machine crash under sync 'none'): stale.
        const holder = parseRecord(text) ?? { pid: 0 };
        // Our own pid in a lock this process does not hold (the held set was checked): a copied
        // directory, or a previous process that had the same pid.
        const stale = holder.pid === 0 || holder.pid === process.pid || !(await isRunning(holder));
        if (!stale) throw new DirectoryLockedError(dir, path, holder.pid, false);
        await rename(temp, path);
        const now = await readLockFile(path);
        if (now !== record) throw new DirectoryLockedError(dir, path, parseRecord(now ?? '')?.pid ?? 0, false);
        return holder;
      }
      throw new Error(`cannot lock ${dir}: ${path} kept appearing and disappearing`);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Gives the directory up: deletes the lock file if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if ((await readLockFile(this.path)) === this.record) await unlink(this.path);
    } finally {
      for (const key of this.keys) held.delete(key);
    }
  }
}
