/**
 * Per-source token buckets in a bounded table. Clock-free: the caller passes its monotonic time.
 */

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Tokens added per second. @default 10 */
  ratePerSec?: number;
  /** Bucket size (the burst). @default 20 */
  burst?: number;
  /** Most sources tracked; the least recently seen is forgotten first. @default 1024 */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Token buckets keyed by source (address). */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #max: number;
  #buckets = new Map<string, Bucket>();

  /** @throws {RangeError} on a non-positive rate, burst or table size */
  constructor(options: RateLimiterOptions = {}) {
    this.#rate = options.ratePerSec ?? 10;
    this.#burst = options.burst ?? 20;
    this.#max = options.maxSources ?? 1024;
    if (!(this.#rate > 0)) throw new RangeError(`ratePerSec must be positive, got ${this.#rate}`);
    if (!(this.#burst >= 1)) throw new RangeError(`burst must be at least 1, got ${this.#burst}`);
    if (!(this.#max >= 1)) throw new RangeError(`maxSources must be at least 1, got ${this.#max}`);
  }

  /**
   * Takes one token from a source's bucket.
   * @param source the source key (its address)
   * @param nowMs the caller's monotonic time
   * @returns true when allowed, false when over the rate
   */
  take(source: string, nowMs: number): boolean {
    let b = this.#buckets.get(source);
    if (b) {
      this.#buckets.delete(source); // re-inserted below: the Map's order is least recently seen first
      b.tokens = Math.min(this.#burst, b.tokens + (Math.max(0, nowMs - b.atMs) * this.#rate) / 1000);
      b.atMs = nowMs;
    } else {
      b = { tokens: this.#burst, atMs: nowMs };
      if (this.#buckets.size >= this.#max) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    this.#buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }
}
