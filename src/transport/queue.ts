/**
 * One peer's bounded outgoing queue. A dead or slow peer must never grow memory, so the queue is
 * bounded by message count and by (estimated) bytes; when either bound is crossed it drops its
 * OLDEST messages. Raft tolerates loss, and the newest messages are the useful ones: they carry
 * the current term, commit index and heartbeat round, while old appends and votes are stale
 * (a follower that misses an append rejects the next one and the leader probes back).
 */
import type { Message } from '../core/messages.js';
import type { QueueLimits } from './types.js';
import { estimateMessageSize } from './wire.js';

/** Defaults: enough for bursts to a healthy peer, small enough that five dead peers cost < 50 MiB. */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = { maxMessages: 4096, maxBytes: 8 * 1024 * 1024 };

/** A FIFO of messages bounded by count and bytes, dropping the oldest on overflow. */
export class PeerQueue {
  /** Slots before `head` are cleared to undefined so dropped messages can be collected. */
  private items: Array<Message | undefined> = [];
  private sizes: number[] = [];
  /** Index of the first live item: dropping from the front is O(1), compaction is amortized. */
  private head = 0;
  private byteCount = 0;
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
    while (this.length > 1 && (this.length > this.limits.maxMessages || this.overBytes())) {
      this.shift();
      this.dropped++;
    }
  }

  /**
   * Whether the byte bound is crossed by the messages behind the oldest: the oldest, next to go
   * out, does not count, and is kept as long as what follows it fits. Counted, every heartbeat
   * queued behind a big append (one near or over the bound) dropped that append; on a slow link,
   * where the append waited in the queue, every resend of it went the same way and the follower
   * never got it (found in review). Memory stays within maxBytes plus one message.
   */
  private overBytes(): boolean {
    return this.byteCount - this.sizes[this.head]! > this.limits.maxBytes;
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
    return n;
  }

  /** Drop the messages `which` selects, keeping the others in order (counted in `dropped`); returns how many were dropped. */
  dropWhere(which: (message: Message) => boolean): number {
    const items: Message[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const message = this.items[i]!;
      if (which(message)) continue;
      items.push(message);
      sizes.push(this.sizes[i]!);
      bytes += this.sizes[i]!;
    }
    const n = this.length - items.length;
    this.dropped += n;
    this.items = items;
    this.sizes = sizes;
    this.head = 0;
    this.byteCount = bytes;
    return n;
  }

  private shift(): Message {
    const message = this.items[this.head]!;
    this.byteCount -= this.sizes[this.head]!;
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
