/**
 * Keeping the systems of one run from measuring each other: every system runs for the whole run,
 * and one that just took a heavy load can go on working after it (etcd compacts and snapshots its
 * store after a write point), on the cores the next system is measured on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { processUsage, type System } from './systems.js';

/** CPU seconds used so far by all processes of `systems`. */
export function cpuSecondsOf(systems: readonly System[]): number {
  let seconds = 0;
  for (const system of systems) for (const { pid } of system.pids()) seconds += processUsage(pid)?.cpuSeconds ?? 0;
  return seconds;
}

/**
 * Waits until the processes of `systems` together use less than `thresholdPercent` of one core
 * over a half-second window (idle, the six cluster members' heartbeats use 6-10 %), for at most `maxSeconds`. Returns the seconds waited and whether the
 * machine got quiet.
 */
export async function waitUntilQuiet(systems: readonly System[], thresholdPercent = 15, maxSeconds = 20): Promise<{ waited: number; quiet: boolean }> {
  const started = performance.now();
  const windowMs = 500;
  for (;;) {
    const before = cpuSecondsOf(systems);
    await sleep(windowMs);
    const percent = ((cpuSecondsOf(systems) - before) / (windowMs / 1000)) * 100;
    const waited = (performance.now() - started) / 1000;
    if (percent < thresholdPercent) return { waited, quiet: true };
    if (waited >= maxSeconds) return { waited, quiet: false };
  }
}
