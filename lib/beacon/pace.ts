/**
 * Learning a host's beacon interval from arrival times, for formats that announce none (disco.py's
 * `HOST name ts`). Without it a receiver assumes its own `[beacon] interval`: a fleet beaconing every second
 * would be failed only after 45 s, and one beaconing every minute would flap.
 *
 * The estimate is the median of the last {@link PACE_WINDOW} gaps between arrivals. A lost beacon shows as
 * one gap of about twice the interval and jitter as gaps a little off; the median ignores both as long as
 * fewer than half of the recent gaps are affected, and still follows a host that really changes its pace.
 * Until {@link PACE_MIN_SAMPLES} gaps are known, the longest gap seen is used (a cautious guess that
 * already beats the default after two beacons); before the second beacon there is no estimate. Copies of
 * one beacon arriving together (a sender reaching this receiver by two routes) are not gaps.
 * Pure: arrival times are passed in.
 */

/** Gaps kept for the median. */
export const PACE_WINDOW = 9;
/** Gaps needed before the median is used. */
export const PACE_MIN_SAMPLES = 3;
/** Arrivals closer than this are copies of one beacon, not a gap, in ms. */
export const PACE_MIN_GAP_MS = 50;

/** One host's arrivals and the interval they suggest. */
export class PaceEstimator {
  #lastMs: number | undefined;
  /** The last gaps, oldest first. */
  #gaps: number[] = [];

  /**
   * Records one arrival.
   * @param nowMs monotonic milliseconds
   */
  arrive(nowMs: number): void {
    if (this.#lastMs !== undefined) {
      const gap = nowMs - this.#lastMs;
      if (gap < PACE_MIN_GAP_MS) return;
      this.#gaps.push(gap);
      if (this.#gaps.length > PACE_WINDOW) this.#gaps.shift();
    }
    this.#lastMs = nowMs;
  }

  /** Gaps known (at most {@link PACE_WINDOW}). */
  get samples(): number {
    return this.#gaps.length;
  }

  /**
   * The interval the arrivals suggest.
   * @returns milliseconds (rounded), or undefined before the second arrival
   */
  estimateMs(): number | undefined {
    const n = this.#gaps.length;
    if (n === 0) return undefined;
    if (n < PACE_MIN_SAMPLES) return Math.round(Math.max(...this.#gaps));
    const sorted = [...this.#gaps].sort((a, b) => a - b);
    // The upper median for an even count: the cautious side.
    return Math.round(sorted[n >> 1]!);
  }
}
