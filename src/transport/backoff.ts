/**
 * Exponential backoff with jitter for reconnecting to a peer. Jitter keeps the members of a
 * cluster that lost a peer at the same moment from redialing it in lockstep.
 */

/** Backoff bounds, in ms. */
export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Largest delay. */
  maxMs: number;
  /** Growth per failure. */
  multiplier: number;
  /** Fraction of each delay that is randomized, in [0, 1]: 0.2 means delay * [0.8, 1.0]. */
  jitter: number;
}

/** Defaults: 50 ms, doubling, up to 2 s, ±20 %. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 50, maxMs: 2000, multiplier: 2, jitter: 0.2 };

/** Successive delays grow from `initialMs` to `maxMs`; reset() after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call counts as one more failure. */
  next(): number {
    const { initialMs, maxMs, multiplier, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * multiplier ** Math.min(this.attempt, 32));
    this.attempt++;
    return Math.round(base * (1 - jitter * this.random()));
  }

  /** Start again from `initialMs`. */
  reset(): void {
    this.attempt = 0;
  }
}
