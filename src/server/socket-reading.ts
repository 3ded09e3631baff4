/**
 * Stopping and resuming the reading of one HTTP connection while too many of its pipelined
 * requests wait. Without it, requests pipelined faster than they were answered were all parsed and
 * held: 8 MB of small PUTs grew a node by ~380 MB (found in a README check).
 *
 * node:http pauses a socket itself when its answers back up: it marks it `_paused`, which a
 * request body's read honours, pauses the parser after the chunk it is executing, and resumes
 * any socket so marked whenever its output drains — also while pipelined answers are written one
 * after another. So a hold of our own is kept beside the mark: when node:http resumes a held
 * socket, it is paused again in the same tick, before anything is read (found in review: the
 * bound did not hold). And a hold is released only once the client reads its answers: resumed
 * while its writes were backed up, a client that never read grew memory without bound.
 * @module
 */
import type { Socket } from 'node:net';

const kHeld = Symbol('held');

/** A node:http server socket, with the fields node:http keeps on it, and our hold. */
type HttpSocket = Socket & { _paused?: boolean; parser?: { resume(): void } | null; [kHeld]?: boolean };

/**
 * Requests of one connection waiting for their answers past which it is no longer read (until
 * half of them are answered). Far above what a client pipelines to wait for answers (autocannon's
 * default is 1), far below what holds memory: ~1,500 requests of a 64 KiB chunk parsed at once
 * come on top.
 */
export const MAX_PIPELINED_REQUESTS = 256;

/** Stops reading `socket` until {@link resumeReading}; the requests already parsed stay. */
export function stopReading(socket: Socket): void {
  const s = socket as HttpSocket;
  if (s[kHeld] === undefined) s.on('resume', () => holdAgain(s));
  s[kHeld] = true;
  if (s._paused) return;
  s._paused = true;
  s.pause();
}

/** Reads `socket` again after {@link stopReading}, unless node:http holds it for its answers. */
export function resumeReading(socket: Socket): void {
  const s = socket as HttpSocket;
  if (!s[kHeld]) return;
  s[kHeld] = false;
  // Answers not yet taken by the client: node:http resumes it on 'drain'.
  if (!s._paused || s.destroyed || s.writableNeedDrain) return;
  s._paused = false;
  s.parser?.resume();
  s.resume();
}

/** node:http resumed a socket we hold (its output drained): pause it again before it reads. */
function holdAgain(s: HttpSocket): void {
  if (!s[kHeld] || s._paused || s.destroyed) return;
  s._paused = true;
  s.pause();
}
