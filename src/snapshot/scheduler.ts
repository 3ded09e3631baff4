/**
 * Decides when a snapshot is due, from a {@link SnapshotPolicy}, an optional entry-count
 * threshold, the number of changes applied since the last snapshot and the time of the last
 * snapshot. Pure logic: the clock is passed in (milliseconds), so tests drive it by hand.
 * @module
 */
import type { SnapshotPolicy } from './policy.js';

/** Options of a {@link SnapshotScheduler}. */
export interface SnapshotSchedulerOptions {
  /** The current time in ms; counts as the time of the last snapshot until one is taken. */
  now: number;
  /**
   * Snapshot as soon as this many changes were applied since the last snapshot, whatever the
   * time and the policy (also under `Never`). Unset or 0: no threshold.
   */
  entryThreshold?: number;
}

/**
 * Tracks changes and time since the last snapshot and answers whether a snapshot is due.
 *
 * Usage by a driver: `applied(n)` after applying n entries; on every tick `if (due(now))` start a
 * snapshot, remembering `covered = changes`; once it is stored call `taken(now, covered)`, so
 * changes applied while the snapshot was being written still count toward the next one.
 * The scheduler does not know whether a snapshot is in progress: the driver must not start two.
 */
export class SnapshotScheduler {
  private readonly policy: SnapshotPolicy;
  private readonly entryThreshold: number;
  private lastTakenAt: number;
  private pendingChanges = 0;

  /**
   * @param policy when to snapshot by time
   * @param options the current time and an optional entry threshold
   * @throws RangeError on a negative or fractional entry threshold
   */
  constructor(policy: SnapshotPolicy, options: SnapshotSchedulerOptions) {
    const threshold = options.entryThreshold ?? 0;
    if (!Number.isSafeInteger(threshold) || threshold < 0) throw new RangeError(`entryThreshold must be an integer >= 0, got ${threshold}`);
    this.policy = policy;
    this.entryThreshold = threshold;
    this.lastTakenAt = options.now;
  }

  /** Changes applied since the last snapshot. */
  get changes(): number {
    return this.pendingChanges;
  }

  /** Time (ms) of the last snapshot, or of construction when none was taken. */
  get lastSnapshotAt(): number {
    return this.lastTakenAt;
  }

  /** Records that `n` changes (applied log entries) happened. */
  applied(n = 1): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`applied(n): n must be an integer >= 0, got ${n}`);
    this.pendingChanges += n;
  }

  /** Whether a snapshot should be taken at time `now` (ms). */
  due(now: number): boolean {
    const changes = this.pendingChanges;
    if (changes === 0) return false;
    if (this.entryThreshold > 0 && changes >= this.entryThreshold) return true;
    if (this.policy.kind === 'never') return false;
    const elapsedMs = now - this.lastTakenAt;
    return this.policy.rules.some((rule) => elapsedMs >= rule.seconds * 1000 && changes >= rule.changes);
  }

  /**
   * Records that a snapshot was taken at `now` (ms).
   * @param covered changes the snapshot includes (the value of `changes` when it started);
   *   default: all of them
   */
  taken(now: number, covered = this.pendingChanges): void {
    this.lastTakenAt = now;
    this.pendingChanges = Math.max(0, this.pendingChanges - covered);
  }
}
