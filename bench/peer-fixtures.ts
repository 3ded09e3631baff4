/** Pieces the transport benchmarks share: a numeric command-line flag and a one-entry append. */
import { EntryType, type Message } from '../src/core/messages.js';

/** The number after `--name` on the command line, or `dflt`. */
export function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** An append from node 1 to node 2 carrying one entry (index i + 1) with `data`. */
export function append(i: number, data: Uint8Array): Message {
  return { type: 'append', from: 1, to: 2, term: 3, prevIndex: i, prevTerm: 3, commit: i, entries: [{ index: i + 1, term: 3, type: EntryType.Normal, data }] };
}
