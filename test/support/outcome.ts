/** How a promise ended within `ms`: resolved (value), rejected (error), or still pending. */
export type Outcome = { value?: unknown; error?: unknown; pending?: true };

/** Waits up to `ms` for `p` and says how it ended, without throwing; the timer is always cleared. */
export async function outcomeWithin(p: Promise<unknown>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ pending: true }>((resolve) => (timer = setTimeout(() => resolve({ pending: true }), ms)));
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), pending]);
  } finally {
    clearTimeout(timer);
  }
}
