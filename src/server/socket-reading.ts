/**
 * Stopping and resuming the reading of one HTTP connection, as node:http does itself when its
 * answers back up: it marks the socket `_paused`, which its own code honours (a request body's
 * read and its drain handler resume only a socket it did not mark), and pauses the parser after
 * the chunk it is executing. Without this, requests pipelined faster than they were answered were
 * all parsed and held: 8 MB of small PUTs grew a node by ~380 MB (found in a README check).
 * @module
 */
import type { Socket } from 'node:net';

/** A node:http server socket, with the fields node:http keeps on it. */
type HttpSocket = Socket & { _paused?: boolean; parser?: { resume(): void } | null };

/**
 * Requests of one connection waiting for their answers past which it is no longer read (until
 * half of them are answered). Far above what a client pipelines to wait for answers (autocannon's
 * default is 1), far below what holds memory: ~1,500 requests of a 64 KiB chunk parsed at once
 * come on top.
 */
export const MAX_PIPELINED_REQUESTS = 256;

/** Stops reading `socket`; the requests already parsed stay. */
export function stopReading(socket: Socket): void {
  const s = socket as HttpSocket;
  if (s._paused) return;
  s._paused = true;
  s.pause();
}

/** Reads `socket` again after {@link stopReading} (or node:http's own pause). */
export function resumeReading(socket: Socket): void {
  const s = socket as HttpSocket;
  if (!s._paused || s.destroyed) return;
  s._paused = false;
  s.parser?.resume();
  s.resume();
}
