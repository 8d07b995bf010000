/**
 * A clock read once per turn of the event loop. A receive loop applies a whole batch of datagrams in one
 * synchronous run; reading `performance.now()` and `Date.now()` for each of them (four reads per beacon)
 * cost more than the replay check. Within one run every caller sees the time the run's first read saw:
 * the datagrams of a batch arrived together, and no caller times work inside a run with this clock.
 */

/**
 * Wraps a clock read so that it runs at most once per synchronous run (until the next microtask
 * checkpoint).
 * @param read the clock, e.g. `() => performance.now()`
 * @returns a function with the same answers, cached for the rest of the run
 * @example
 * const now = perTurn(() => performance.now());
 * now() === now(); // true within one run
 */
export function perTurn(read: () => number): () => number {
  let cached: number | undefined;
  const forget = (): void => {
    cached = undefined;
  };
  return () => {
    if (cached === undefined) {
      cached = read();
      queueMicrotask(forget);
    }
    return cached;
  };
}

/** `performance.now()`, read once per turn: shared, so the table and the counters of a batch read it once. */
export const turnMonotonicMs = perTurn(() => performance.now());

/** `Date.now()`, read once per turn. */
export const turnUnixMs = perTurn(() => Date.now());
