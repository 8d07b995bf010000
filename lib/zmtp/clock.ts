/**
 * The time a ZMTP session and socket run on: handshake deadlines, heartbeats, reconnect backoff. Injected
 * (as the membership table's clock is), so tests drive it instead of waiting real milliseconds.
 */

/** A scheduled call; `cancel()` is idempotent and harmless after it ran. */
export interface Timer {
  cancel(): void;
}

/** Monotonic time and one-shot timers. */
export interface ZmtpClock {
  /** Monotonic milliseconds (only differences matter). */
  nowMs(): number;
  /**
   * Calls `fn` once, `ms` from now.
   * @returns a handle to cancel it
   */
  setTimer(fn: () => void, ms: number): Timer;
}

/** The process clock: `performance.now()` and `setTimeout`. */
export const systemClock: ZmtpClock = {
  nowMs: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};
