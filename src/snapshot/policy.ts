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
  /**
   * Seconds since the last snapshot this node took in this run, or since the node was created
   * when it has taken none (a snapshot from an earlier run does not count); >= 0.
   */
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
 * @throws TypeError when not given a list; RangeError on an empty list or a malformed rule
 */
export function CustomSync(syncTypes: readonly SyncType[]): SnapshotPolicy {
  checkRules('CustomSync', syncTypes);
  return rulePolicy('CustomSync', syncTypes);
}

function checkRules(who: string, rules: readonly SyncType[]): void {
  if (!Array.isArray(rules)) throw new TypeError(`${who} takes a list of { seconds, changes } rules, got ${rules === null ? 'null' : typeof rules}`);
  if (rules.length === 0) throw new RangeError(`${who} needs at least one rule`);
  for (const rule of rules) {
    const { seconds, changes } = (rule ?? {}) as Partial<SyncType>;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) throw new RangeError(`${who}: seconds must be finite and >= 0, got ${String(seconds)}`);
    if (!Number.isSafeInteger(changes) || changes! < 1) throw new RangeError(`${who}: changes must be an integer >= 1, got ${String(changes)}`);
  }
}

/**
 * Checks a policy handed in from outside (plain JavaScript may pass anything): a value that is
 * not one ("EverySecond", the name as a string) was taken, and the node stopped itself at its
 * first apply (found in review).
 * @throws TypeError for a value that is not a policy; RangeError for a rules policy with no rules or a malformed one
 */
export function checkPolicy(policy: unknown): SnapshotPolicy {
  const p = policy as Partial<{ kind: unknown; rules: unknown }> | null | undefined;
  if (p !== null && typeof p === 'object' && p.kind === 'never') return policy as SnapshotPolicy;
  if (p !== null && typeof p === 'object' && p.kind === 'rules' && Array.isArray(p.rules)) {
    checkRules('the policy', p.rules as SyncType[]);
    return policy as SnapshotPolicy;
  }
  const shown = typeof policy === 'string' ? JSON.stringify(policy) : typeof policy;
  throw new TypeError(`a snapshot policy is one of Never, EverySecond, EveryMinute, EveryHour, EveryDay, DefaultSync or CustomSync(rules) (imported, not its name), got ${shown}`);
}

function rulePolicy(name: string, rules: readonly SyncType[]): SnapshotPolicy {
  return Object.freeze({ kind: 'rules', name, rules: Object.freeze(rules.map((r) => Object.freeze({ seconds: r.seconds, changes: r.changes }))) });
}
