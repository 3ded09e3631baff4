/**
 * One peer's bounded outgoing queue. A dead or slow peer must never grow memory, so the queue is
 * bounded by message count and by (estimated) bytes; when either bound is crossed it drops its
 * OLDEST messages. Raft tolerates loss, and the newest messages are the useful ones: they carry
 * the current term, commit index and heartbeat round, while old appends and votes are stale
 * (a follower that misses an append rejects the next one and the leader probes back).
 *
 * The one exception is a leader's answer to a forwarded request: nothing sends it again, so a
 * dropped one left the follower's caller with a timeout, outcome unknown, for a command that had
 * committed (found in a user trial: big appends to the same follower crowded them out). Such
 * answers are small and one per request the peer sent; the byte bound leaves them alone, the count
 * bound does not.
 */
import type { Message } from '../core/messages.js';
import type { QueueLimits } from './types.js';
import { estimateMessageSize } from './wire.js';

/** Defaults: enough for bursts to a healthy peer, small enough that five dead peers cost < 50 MiB. */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = { maxMessages: 4096, maxBytes: 8 * 1024 * 1024 };

/** Whether the byte bound leaves `message` alone (see the module's comment). */
function outsideByteBound(message: Message): boolean {
  return (message as { type: string }).type === 'forwardResp';
}

/** A FIFO of messages bounded by count and bytes, dropping the oldest on overflow. */
export class PeerQueue {
  /** Slots before `head` are cleared to undefined so dropped messages can be collected. */
  private items: Array<Message | undefined> = [];
  private sizes: number[] = [];
  /** Index of the first live item: dropping from the front is O(1), compaction is amortized. */
  private head = 0;
  private byteCount = 0;
  /** Of byteCount, the bytes of messages outside the byte bound (outsideByteBound). */
  private unboundedBytes = 0;
  /** Messages dropped by the bounds (or by clear() and dropWhere()) since the queue was made. */
  dropped = 0;

  constructor(readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS) {}

  /** Messages waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Estimated bytes waiting. */
  get bytes(): number {
    return this.byteCount;
  }

  /** Append a message, then drop the oldest ones while a bound is exceeded (never the last one; see overBytes). */
  push(message: Message): void {
    const size = estimateMessageSize(message);
    this.items.push(message);
    this.sizes.push(size);
    this.byteCount += size;
    if (outsideByteBound(message)) this.unboundedBytes += size;
    while (this.length > 1 && this.length > this.limits.maxMessages) {
      this.shift();
      this.dropped++;
    }
    for (let oldest = this.oldestBounded(); oldest !== undefined && this.overBytes(oldest); oldest = this.oldestBounded()) {
      this.removeAt(oldest);
      this.dropped++;
    }
  }

  /** The position of the oldest message the byte bound applies to, if any. */
  private oldestBounded(): number | undefined {
    let at = this.head;
    while (at < this.items.length && outsideByteBound(this.items[at]!)) at++;
    return at < this.items.length ? at : undefined;
  }

  /**
   * Whether the byte bound is crossed by the messages behind the oldest one it applies to (at
   * `oldest`): that one, next of them to go out, does not count, and is kept as long as what
   * follows it fits. Counted, every heartbeat queued behind a big append (one near or over the
   * bound) dropped that append; on a slow link, where the append waited in the queue, every
   * resend of it went the same way and the follower never got it (found in review). Memory stays
   * within maxBytes plus one message, plus the answers to forwarded requests.
   */
  private overBytes(oldest: number): boolean {
    return this.byteCount - this.unboundedBytes - this.sizes[oldest]! > this.limits.maxBytes;
  }

  /** Drops the message at position `at` (the head, or one behind answers outside the byte bound). */
  private removeAt(at: number): void {
    if (at === this.head) {
      this.shift();
      return;
    }
    this.byteCount -= this.sizes[at]!;
    if (outsideByteBound(this.items[at]!)) this.unboundedBytes -= this.sizes[at]!;
    this.items.splice(at, 1);
    this.sizes.splice(at, 1);
  }

  /**
   * Remove and return the oldest messages whose estimated size adds up to at most `maxBytes`
   * (always at least one message when the queue is not empty, so a big one still goes out).
   */
  take(maxBytes = Infinity): Message[] {
    const out: Message[] = [];
    let bytes = 0;
    while (this.length > 0) {
      const size = this.sizes[this.head]!;
      if (out.length > 0 && bytes + size > maxBytes) break;
      bytes += size;
      out.push(this.shift());
    }
    return out;
  }

  /** Drop everything (counted in `dropped`); returns how many messages were dropped. */
  clear(): number {
    const n = this.length;
    this.dropped += n;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.byteCount = 0;
    this.unboundedBytes = 0;
    return n;
  }

  /** Drop the messages `which` selects, keeping the others in order (counted in `dropped`); returns how many were dropped. */
  dropWhere(which: (message: Message) => boolean): number {
    const items: Message[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    let unbounded = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const message = this.items[i]!;
      if (which(message)) continue;
      items.push(message);
      sizes.push(this.sizes[i]!);
      bytes += this.sizes[i]!;
      if (outsideByteBound(message)) unbounded += this.sizes[i]!;
    }
    const n = this.length - items.length;
    this.dropped += n;
    this.items = items;
    this.sizes = sizes;
    this.head = 0;
    this.byteCount = bytes;
    this.unboundedBytes = unbounded;
    return n;
  }

  private shift(): Message {
    const message = this.items[this.head]!;
    this.byteCount -= this.sizes[this.head]!;
    if (outsideByteBound(message)) this.unboundedBytes -= this.sizes[this.head]!;
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return message;
  }
}
