/**
 * Waiting for work that may never end (a disk read that hangs) with a bound, for stop paths that
 * must end anyway.
 * @module
 */

/**
 * Whether `work` settled (resolved or rejected) within `ms`. Its rejection is absorbed here; work
 * still pending after `ms` goes on, unwatched. The timer is cleared either way.
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([work.then(
      () => true,
      () => true,
    ), late]);
  } finally {
    clearTimeout(timer);
  }
}
