// The WAL's log as a plain data structure, for the model tests (model.test.ts, big-model.test.ts).
import type { Entry, HardState } from '../../wal/index.js';

/** The log as a plain data structure. */
export class LogModel {
  first = 1;
  /** Term of entry first - 1. */
  prevTerm = 0;
  /** entries[k] is the entry at index first + k. */
  entries: Entry[] = [];
  hardState: HardState = { term: 0, vote: 0, commit: 0 };

  get last(): number {
    return this.first + this.entries.length - 1;
  }

  termOf(index: number): number | undefined {
    if (index === this.first - 1) return this.prevTerm;
    return this.entries[index - this.first]?.term;
  }

  lastTerm(): number {
    return this.termOf(this.last) as number;
  }

  append(entries: Entry[]): void {
    this.entries.push(...entries);
  }

  truncateAfter(index: number): void {
    this.entries.length = Math.max(0, index - this.first + 1);
  }

  compactTo(newFirst: number): void {
    if (newFirst === this.first) return;
    this.prevTerm = this.termOf(newFirst - 1) as number;
    this.entries = this.entries.slice(newFirst - this.first);
    this.first = newFirst;
  }

  reset(index: number, term: number): void {
    this.first = index + 1;
    this.prevTerm = term;
    this.entries = [];
  }
}
