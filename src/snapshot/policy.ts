/**
 * Snapshot policies in the shape of hslam/raft's: `Never`, `EverySecond` … `EveryDay`,
 * `DefaultSync` (Redis' classic `save` rules) and `CustomSync(rules)`. A policy is plain data; the
 * {@link SnapshotScheduler} (scheduler.ts) decides from it when a snapshot is due.
 * @module
 */

/**
 * One save rule, as in Redis' `save <seconds> <changes>`: a snapshot is due once at least
 * `seconds` have passed since the last snapshot AND at least `changes` changes (applied log
 * entries) happened since it.
 */
export interface SyncType {
  /** Seconds since the last snapshot (or since start when there was none); >= 0. */
  readonly seconds: number;
  /** Changes applied since the last snapshot; an integer >= 1. */
  readonly changes: number;
}

/**
 * When to take snapshots by time. `kind: 'never'` takes none on time; `kind: 'rules'` takes one
 * as soon as any of its rules holds. Build rule policies with the constants below or
 * {@link CustomSync}.
 */
export type SnapshotPolicy =
  | { readonly kind: 'never'; readonly name: 'Never' }
  | { readonly kind: 'rules'; readonly name: string; readonly rules: readonly SyncType[] };

/** No time-based snapshots (an entry threshold given to the scheduler still applies). */
export const Never: SnapshotPolicy = Object.freeze({ kind: 'never', name: 'Never' });

/** A snapshot every second, if at least one change happened since the last one. */
export const EverySecond: SnapshotPolicy = rulePolicy('EverySecond', [{ seconds: 1, changes: 1 }]);

/** A snapshot every minute, if at least one change happened since the last one. */
export const EveryMinute: SnapshotPolicy = rulePolicy('EveryMinute', [{ seconds: 60, changes: 1 }]);

/** A snapshot every hour, if at least one change happened since the last one. */
export const EveryHour: SnapshotPolicy = rulePolicy('EveryHour', [{ seconds: 3600, changes: 1 }]);

/** A snapshot every day, if at least one change happened since the last one. */
export const EveryDay: SnapshotPolicy = rulePolicy('EveryDay', [{ seconds: 86400, changes: 1 }]);

/**
 * Redis' default save rules: a snapshot after 900 s if at least 1 change happened, after 300 s if
 * at least 10 did, after 60 s if at least 10 000 did.
 */
export const DefaultSync: SnapshotPolicy = rulePolicy('DefaultSync', [
  { seconds: 900, changes: 1 },
  { seconds: 300, changes: 10 },
  { seconds: 60, changes: 10000 },
]);

/**
 * A policy of your own rules; a snapshot is due as soon as any of them holds.
 * @param syncTypes at least one rule; seconds finite and >= 0, changes an integer >= 1
 * @throws RangeError on an empty list or a malformed rule
 */
export function CustomSync(syncTypes: readonly SyncType[]): SnapshotPolicy {
  if (syncTypes.length === 0) throw new RangeError('CustomSync needs at least one rule');
  for (const { seconds, changes } of syncTypes) {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`CustomSync: seconds must be finite and >= 0, got ${seconds}`);
    if (!Number.isSafeInteger(changes) || changes < 1) throw new RangeError(`CustomSync: changes must be an integer >= 1, got ${changes}`);
  }
  return rulePolicy('CustomSync', syncTypes);
}

function rulePolicy(name: string, rules: readonly SyncType[]): SnapshotPolicy {
  return Object.freeze({ kind: 'rules', name, rules: Object.freeze(rules.map((r) => Object.freeze({ seconds: r.seconds, changes: r.changes }))) });
}
