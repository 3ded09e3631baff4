/**
 * A budget of bytes in flight, granted first come, first served: what a follower's forwarded
 * commands may hold in its queue to the leader at once. Without it, 4,096 forwarded 1 MiB values
 * could wait in a slow link's queue (whose byte bound does not count them), 4 GiB for one peer.
 * @module
 */

interface Waiter {
  bytes: number;
  grant(granted: boolean): void;
  timer: NodeJS.Timeout;
}

/** Bytes in use, at most `limit` (one request larger than the limit goes alone). */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly limit: number) {}

  /** Bytes granted and not released. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` now if they fit and nobody waits; false otherwise. */
  tryTake(bytes: number): boolean {
    if (this.waiting.length > 0 || !this.fits(bytes)) return false;
    this.used += bytes;
    return true;
  }

  /** Resolves true once `bytes` are granted (in turn), false after `timeoutMs` without. */
  take(bytes: number, timeoutMs: number): Promise<boolean> {
    if (this.tryTake(bytes)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        bytes,
        grant: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          resolve(false);
          this.grantWaiting(); // it may have held back smaller ones behind it
        }, Math.max(1, timeoutMs)),
      };
      this.waiting.push(waiter);
    });
  }

  /** Gives back `bytes` taken before; the next waiters that fit are granted. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    this.grantWaiting();
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      this.used += next.bytes;
      next.grant(true);
    }
  }
}
