/**
 * Coalesces flushes: every send() in the same turn of the event loop (including promise
 * continuations that run before I/O) marks its peer dirty, and one setImmediate later each dirty
 * peer is flushed once. That turns a Ready's worth of messages per peer into one stream write.
 * A key may also be flushed "within" a delay: a timer, made moot by any earlier flush of it.
 */
export class FlushScheduler {
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;

  /** @param flush called once per dirty key, in the order keys were first marked. */
  constructor(private readonly flush: (key: string) => void) {}

  /** Mark `key` to be flushed on the next setImmediate. */
  schedule(key: string): void {
    if (this.closed) return;
    this.dirty.add(key);
    this.immediate ??= setImmediate(() => this.run());
  }

  /** Make sure `key` is flushed at the latest `ms` milliseconds from now. */
  scheduleWithin(key: string, ms: number): void {
    if (this.closed || this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.flush(key);
      }, ms),
    );
  }

  /** Cancel pending flushes for good (transport stopping). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.dirty.clear();
  }

  /** Flush every dirty key now instead of at the next setImmediate. */
  flushNow(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.run();
  }

  private run(): void {
    this.immediate = undefined;
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      const timer = this.timers.get(key);
      if (timer) {
        clearTimeout(timer);
        this.timers.delete(key);
      }
      this.flush(key);
    }
  }
}
