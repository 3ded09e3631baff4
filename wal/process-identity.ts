/**
 * Who a process is, precisely enough to tell a lock holder that still runs from one that died:
 * its pid, and on Linux its start time (field 22 of /proc/PID/stat, clock ticks since boot) and the
 * kernel's boot id. A pid alone is not enough: after a crash and a container restart the new
 * process often gets the very pid the old one had.
 * @module
 */
import { readFile } from 'node:fs/promises';

/** A process as recorded in a lock file. Start time and boot id are absent where /proc is. */
export interface ProcessIdentity {
  /** Process id (> 0). */
  pid: number;
  /** Start time in clock ticks since boot (Linux), as text. */
  startTime?: string;
  /** /proc/sys/kernel/random/boot_id (Linux): a new one after every reboot. */
  bootId?: string;
}

/** What /proc/PID/stat tells about a process. */
interface ProcStat {
  /** One letter: R, S, D, T, Z (zombie), X (dead), ... */
  state: string;
  startTime: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Parses /proc/PID/stat. The command name (field 2) may hold spaces and parentheses: split after the last ')'. */
async function procStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime && /^\d+$/.test(startTime) ? { state, startTime } : undefined;
}

let own: Promise<ProcessIdentity> | undefined;

/** This process's identity (computed once). */
export function ownIdentity(): Promise<ProcessIdentity> {
  own ??= (async () => {
    const identity: ProcessIdentity = { pid: process.pid };
    const stat = await procStat(process.pid);
    if (stat) identity.startTime = stat.startTime;
    const bootId = (await readText('/proc/sys/kernel/random/boot_id'))?.trim();
    if (bootId) identity.bootId = bootId;
    return identity;
  })();
  return own;
}

/**
 * Whether the process `holder` describes still runs. A pid that does not exist, a zombie, a
 * process started at another time (the pid was reused) or one from an earlier boot is not it.
 * When the answer cannot be known (another user's process, no /proc), it is taken to run.
 */
export async function isRunning(holder: ProcessIdentity): Promise<boolean> {
  const me = await ownIdentity();
  if (holder.bootId !== undefined && me.bootId !== undefined && holder.bootId !== me.bootId) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else; anything else (ESRCH): no such process.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await procStat(holder.pid);
  if (!stat) return true; // no /proc (or hidden): kill() said it exists
  if (stat.state === 'Z' || stat.state === 'X') return false; // exited, not yet reaped
  return holder.startTime === undefined || holder.startTime === stat.startTime;
}
