/**
 * Terms of a contiguous range of log indices, stored run-length: terms change only at elections,
 * so millions of entries take a handful of runs and `termOf` stays a short binary search.
 * @module
 */

/** Run-length map from index to term over [first, last]. */
export class TermIndex {
  /** starts[k]: first index of run k; runs are sorted and the last run ends at `last`. */
  private starts: number[] = [];
  /** terms[k]: term of every index in run k. */
  private terms: number[] = [];
  private last = 0;

  /** Number of runs (for tests and stats). */
  get runs(): number {
    return this.starts.length;
  }

  /** Appends `index` (must be the next index) with `term`. */
  append(index: number, term: number): void {
    const n = this.terms.length;
    if (n === 0 || this.terms[n - 1] !== term) {
      this.starts.push(index);
      this.terms.push(term);
    }
    this.last = index;
  }

  /** Term of `index`, which the caller guarantees is within the indexed range. */
  termOf(index: number): number {
    const starts = this.starts;
    let hi = starts.length - 1;
    // Fast path: the newest run, where the Raft core asks most often.
    if (index >= starts[hi]) return this.terms[hi];
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.terms[lo];
  }

  /** Forgets every index after `index`. */
  truncateAfter(index: number): void {
    let n = this.starts.length;
    while (n > 0 && this.starts[n - 1] > index) n--;
    this.starts.length = n;
    this.terms.length = n;
    this.last = Math.min(this.last, index);
  }

  /** Forgets every index before `first`. */
  compactBefore(first: number): void {
    let drop = 0;
    while (drop + 1 < this.starts.length && this.starts[drop + 1] <= first) drop++;
    if (drop > 0) {
      this.starts.splice(0, drop);
      this.terms.splice(0, drop);
    }
    if (this.starts.length > 0 && this.starts[0] < first) this.starts[0] = first;
    if (first > this.last) this.clear();
  }

  /** Forgets everything. */
  clear(): void {
    this.starts = [];
    this.terms = [];
    this.last = 0;
  }
}
