/**
 * Shared test material for the transport tests: one example of every Message type, a logger that
 * collects lines, and a polling wait with a deadline.
 */
import { EventEmitter } from 'node:events';
import { EntryType, type Message, type MessageType } from '../../src/core/messages.js';
import type { TransportLogger } from '../../src/transport/types.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/**
 * One example of each message type, with values chosen to catch encoding slips: numbers in the
 * 64..127 range (msgpackr record ids), above 2^32, 2^52 (the largest a peer may send), -1, empty and non-empty bytes.
 */
export const EXAMPLES: { [K in MessageType]: Extract<Message, { type: K }> } = {
  vote: { type: 'vote', from: 1, to: 2, term: 100, preVote: true, lastIndex: 2 ** 40, lastTerm: 99, transfer: false },
  voteResp: { type: 'voteResp', from: 2, to: 1, term: 100, preVote: false, reject: true },
  append: {
    type: 'append',
    from: 1,
    to: 3,
    term: 7,
    prevIndex: 64,
    prevTerm: 6,
    commit: 65,
    epoch: 3,
    entries: [
      { index: 65, term: 7, type: EntryType.Normal, data: bytes(1, 2, 3, 255) },
      { index: 66, term: 7, type: EntryType.ConfChange, data: new TextEncoder().encode('{"type":"promote","id":3}') },
      { index: 67, term: 7, type: EntryType.Noop, data: new Uint8Array(0) },
    ],
  },
  appendResp: { type: 'appendResp', from: 3, to: 1, term: 7, reject: true, index: 127, conflictTerm: 5, conflictIndex: 120, epoch: 3 },
  heartbeat: { type: 'heartbeat', from: 1, to: 2, term: 7, commit: 2 ** 52, round: 4_294_967_296 },
  heartbeatResp: { type: 'heartbeatResp', from: 2, to: 1, term: 7, round: 0 },
  snapshot: {
    type: 'snapshot',
    from: 1,
    to: 4,
    term: 9,
    meta: {
      index: 1000,
      term: 8,
      size: 3,
      membership: [
        { id: 1, role: 'voter', promote: false, context: '10.0.0.1:7000' },
        { id: 4, role: 'learner', promote: true, context: '10.0.0.4:7000' },
      ],
    },
    offset: 0,
    length: 3,
    data: bytes(9, 8, 7),
    done: true,
    epoch: 2 ** 32,
  },
  snapshotResp: { type: 'snapshotResp', from: 4, to: 1, term: 9, snapshotIndex: 1000, nextOffset: 3, epoch: 2 ** 32 },
  timeoutNow: { type: 'timeoutNow', from: 1, to: 2, term: 9 },
  readIndex: { type: 'readIndex', from: 2, to: 1, term: 9, context: 'read-ü-1', lease: true },
  readIndexResp: { type: 'readIndexResp', from: 1, to: 2, term: 9, context: 'read-ü-1', index: -1 },
  notMember: { type: 'notMember', from: 1, to: 5, term: 9, configIndex: 812, commit: 900, commitTerm: 8 },
};

/** Every example, in a stable order. */
export const ALL_EXAMPLES: Message[] = Object.values(EXAMPLES);

/** A small heartbeat numbered `n` (in `commit`), for counting and ordering checks. */
export function numbered(n: number, from = 1, to = 2): Message {
  return { type: 'heartbeat', from, to, term: 1, commit: n, round: n };
}

/** An append after index `i` (term 1, from 1 to 2) carrying one entry of `data`, numbered i + 1. */
export function appendOf(i: number, data: Uint8Array): Message {
  return { type: 'append', from: 1, to: 2, term: 1, prevIndex: i, prevTerm: 1, commit: i, entries: [{ index: i + 1, term: 1, type: EntryType.Normal, data }] };
}

/** A logger that keeps every line (and echoes nothing, to keep test output readable). */
export class CollectingLogger implements TransportLogger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  /** Lines containing `text`. */
  matching(text: string): string[] {
    return this.lines.filter((l) => l.includes(text));
  }
}

/** Poll `condition` every 5 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(5);
  }
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Just enough of a gRPC server stream for the handler. */
export function fakeCall(peer: string) {
  const call = new EventEmitter() as EventEmitter & Record<string, unknown>;
  call.on('error', () => {});
  call.getPeer = () => peer;
  call.end = () => call.emit('close');
  call.write = () => true;
  call.sendMetadata = () => {};
  call.writableNeedDrain = false;
  return call;
}
