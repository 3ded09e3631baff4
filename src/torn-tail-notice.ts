/**
 * What a node says about a torn tail its WAL cut at start (wal/recovery.ts). A crash tears only a
 * write that was never acknowledged, so the cut is normally harmless; but a segment cut or damaged
 * otherwise (a copy, a disk, an operator) reads exactly the same, and then the entries cut may be
 * ones this member acknowledged, which the leader finds missing later (`LostDataError`). Said at
 * start, and again in that error, so that the two are tied together (a user trial found the cut
 * silent and the error blaming a wiped directory).
 * @module
 */
import type { TornTail } from '../wal/index.js';

function describeCut(tail: TornTail): string {
  return `${tail.bytes} bytes at byte offset ${tail.offset} of ${tail.segment}`;
}

/** The warning logged at start when the WAL cut `tail`. */
export function tornTailWarning(tail: TornTail): string {
  return (
    `cut a torn tail from the log: ${describeCut(tail)} (a record cut short); the log now ends at entry ${tail.lastIndex}. ` +
    'A crash tears only a write never acknowledged, but if the file was cut or damaged otherwise, or a machine crash lost writes sync \'none\' had not made durable, ' +
    'entries this member acknowledged are gone: the leader will find them missing and this node will stop with LostDataError'
  );
}

/** What a LostDataError adds when the WAL cut `tail` at this start: a likely place the entries went. */
export function tornTailSuspect(tail: TornTail): string {
  return `at this start a torn tail was cut from its log after entry ${tail.lastIndex} (${describeCut(tail)}), which may be where they went`;
}
