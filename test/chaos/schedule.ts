/**
 * The fault schedule of a chaos run, drawn from the seed alone: when each fault window opens, what
 * kind it is, how long it lasts, and a number that fixes its variant (which partition shape,
 * how many nodes, voter or non-voting joiner, ...). The same seed, time and fault list give the
 * same schedule; which concrete node a fault hits ("the leader", "a random follower") is resolved
 * at run time from a second generator seeded the same way.
 * @module
 */
import { SeededRandom } from '../../src/core/rng.js';

export type FaultKind = 'kill' | 'pause' | 'partition' | 'membership' | 'snapshot';
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition', 'membership', 'snapshot'];

/** One fault window of the schedule (times in ms since the run's start). */
export interface ScheduledFault {
  at: number;
  duration: number;
  kind: FaultKind;
  /** A number in [0, 1) choosing the variant of the fault. */
  variant: number;
}

/** How long windows of each kind last, ms [min, max). */
const DURATION: Record<FaultKind, [number, number]> = {
  kill: [3000, 7000],
  pause: [3000, 6000],
  partition: [3000, 8000],
  membership: [7000, 11000],
  snapshot: [7000, 10000],
};

/** Healthy time before the first fault and between faults, ms [min, max). */
const WARMUP: [number, number] = [2000, 3500];
const GAP: [number, number] = [1500, 3500];

function between(rng: SeededRandom, [lo, hi]: [number, number]): number {
  return Math.round(lo + rng.next() * (hi - lo));
}

/**
 * Fault windows for a run of `timeMs` over the enabled `kinds`, one at a time with healthy gaps.
 * Kinds are drawn from a shuffled bag, so every kind comes up once before any repeats.
 */
export function makeSchedule(seed: number, timeMs: number, kinds: readonly FaultKind[]): ScheduledFault[] {
  const rng = new SeededRandom(seed);
  const out: ScheduledFault[] = [];
  if (kinds.length === 0) return out;
  let t = between(rng, WARMUP);
  let bag: FaultKind[] = [];
  for (;;) {
    if (bag.length === 0) {
      bag = [...kinds];
      for (let i = bag.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [bag[i], bag[j]] = [bag[j]!, bag[i]!];
      }
    }
    const kind = bag.shift()!;
    const duration = between(rng, DURATION[kind]);
    const variant = rng.next();
    // The last window must end a little before the clients stop.
    if (t + duration > timeMs - 1000) {
      // A shorter kind may still fit; try the rest of the bag once.
      const fit = bag.find((k) => t + DURATION[k][0] <= timeMs - 1000);
      if (!fit) break;
      bag = bag.filter((k) => k !== fit);
      out.push({ at: t, duration: DURATION[fit][0], kind: fit, variant });
      t += DURATION[fit][0] + between(rng, GAP);
      continue;
    }
    out.push({ at: t, duration, kind, variant });
    t += duration + between(rng, GAP);
  }
  return out;
}

/** The schedule as text, one window a line. */
export function describeSchedule(schedule: readonly ScheduledFault[]): string {
  return schedule.map((f) => `  ${(f.at / 1000).toFixed(1).padStart(6)}s  +${(f.duration / 1000).toFixed(1)}s  ${f.kind}`).join('\n');
}
