/** The outcome of one applied entry. */
export interface AppliedOutcome {
  /** Term of the entry that applied at this index. */
  term: number;
  /** What the command's do() returned. */
  result: unknown;
  /** What the command's do() threw, if it threw. */
  error: Error | undefined;
}

/**
 * The outcomes of the last `capacity` applied entries, for a proposal whose log position becomes
 * known only after its entry applied (a forwarded proposal's answer can arrive after the commit).
 *
 * A fixed ring indexed by `index % capacity`: applied indices are consecutive, so the ring holds
 * exactly the last `capacity` of them, and remembering or looking one up is O(1) with no
 * allocation besides the outcome itself. (It replaced a Map that evicted its oldest key with
 * `keys().next()`: V8 skips the deleted slots at the front of a Map on every such call, which
 * cost ~2 µs an entry, 12 % of a follower's busy time under write load.)
 */
export class RecentApplied {
  private readonly indices: Float64Array;
  private readonly outcomes: Array<AppliedOutcome | undefined>;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RecentApplied capacity must be a positive integer, got ${capacity}`);
    // Index 0 is never a log entry's, so a zeroed slot reads as empty.
    this.indices = new Float64Array(capacity);
    this.outcomes = new Array<AppliedOutcome | undefined>(capacity).fill(undefined);
  }

  /** Record the outcome of the entry at `index` (>= 1), displacing the one `capacity` before it. */
  remember(index: number, outcome: AppliedOutcome): void {
    const slot = index % this.capacity;
    this.indices[slot] = index;
    this.outcomes[slot] = outcome;
  }

  /** The outcome of the entry at `index`, if it is among the ones still remembered. */
  get(index: number): AppliedOutcome | undefined {
    const slot = index % this.capacity;
    return this.indices[slot] === index ? this.outcomes[slot] : undefined;
  }
}
