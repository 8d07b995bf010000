/**
 * Token buckets for the responder: per-source buckets in a bounded table (replies), and the
 * pre-authentication decrypt budget. Clock-free: the caller passes its monotonic time.
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
  readonly #buckets: LruTable<Bucket>;

  /** @throws {RangeError} on a non-positive rate, burst or table size */
  constructor(options: RateLimiterOptions = {}) {
    this.#rate = options.ratePerSec ?? 10;
    this.#burst = options.burst ?? 20;
    const maxSources = options.maxSources ?? 1024;
    if (!(this.#rate > 0)) throw new RangeError(`ratePerSec must be positive, got ${this.#rate}`);
    if (!(this.#burst >= 1)) throw new RangeError(`burst must be at least 1, got ${this.#burst}`);
    if (!(maxSources >= 1)) throw new RangeError(`maxSources must be at least 1, got ${maxSources}`);
    this.#buckets = new LruTable(maxSources);
  }

  /**
   * Takes one token from a source's bucket.
   * @param source the source key (its address)
   * @param nowMs the caller's monotonic time
   * @returns true when allowed, false when over the rate
   */
  take(source: string, nowMs: number): boolean {
    let b = this.#buckets.use(source);
    if (b) {
      b.tokens = Math.min(this.#burst, b.tokens + (Math.max(0, nowMs - b.atMs) * this.#rate) / 1000);
      b.atMs = nowMs;
    } else {
      b = { tokens: this.#burst, atMs: nowMs };
      this.#buckets.add(source, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Gives one token back to a tracked source (up to its burst); a forgotten source is left alone. */
  refund(source: string): void {
    const b = this.#buckets.peek(source);
    if (b) b.tokens = Math.min(this.#burst, b.tokens + 1);
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }
}

/** Options for {@link DecryptBudget}. */
export interface DecryptBudgetOptions {
  /** Decrypt attempts per second one source address may cause (burst: one second's worth). @default 500 */
  perSourcePerSec?: number;
  /**
   * Decrypt attempts per second for all sources together (burst: one second's worth). Sources that sent an
   * authenticated query in the last minute draw from a second bucket of the same size, so a flood from
   * strangers cannot crowd out known clients. @default 20000
   */
  globalPerSec?: number;
  /** Most sources tracked (per-source buckets and recently authenticated sources). @default 1024 */
  maxSources?: number;
}

/** How long a source counts as recently authenticated. */
const TRUSTED_FOR_MS = 60_000;

/**
 * The pre-authentication CPU budget: how many decrypt attempts (AES-GCM opens, legacy CTR) strangers may
 * cause. Charged before the cryptography, for frames that passed every cheap check; replies are limited
 * separately, by {@link RateLimiter}s charged only when the responder would reply.
 */
export class DecryptBudget {
  readonly #perSource: RateLimiter;
  readonly #strangers: TokenBucket;
  readonly #known: TokenBucket;
  readonly #trusted: LruTable<{ atMs: number }>;
  /** The global bucket the last take() drew from (take and refund happen within one synchronous handling). */
  #last: TokenBucket | undefined;

  /** @throws {RangeError} on a non-positive rate or table size */
  constructor(options: DecryptBudgetOptions = {}) {
    const perSource = options.perSourcePerSec ?? 500;
    const global = options.globalPerSec ?? 20_000;
    const maxSources = options.maxSources ?? 1024;
    this.#perSource = new RateLimiter({ ratePerSec: perSource, burst: Math.max(1, Math.ceil(perSource)), maxSources });
    this.#trusted = new LruTable(maxSources);
    this.#strangers = new TokenBucket(global);
    this.#known = new TokenBucket(global);
  }

  /**
   * Takes one decrypt attempt for a source.
   * @param address the source address
   * @param nowMs the caller's monotonic time
   * @returns true when the attempt may run
   */
  take(address: string, nowMs: number): boolean {
    if (!this.#perSource.take(address, nowMs)) return false;
    const at = this.#trusted.peek(address)?.atMs;
    const known = at !== undefined && nowMs - at < TRUSTED_FOR_MS;
    this.#last = known ? this.#known : this.#strangers;
    if (this.#last.take(nowMs)) return true;
    this.#perSource.refund(address);
    return false;
  }

  /**
   * Gives back the attempt just taken for `address`, because it authenticated: the budget is spent by frames
   * that fail, so it bounds the CPU forgeries burn without capping legitimate load.
   */
  refund(address: string): void {
    this.#perSource.refund(address);
    this.#last?.refund();
  }

  /** Records that a source sent an authenticated query (it then draws from the known sources' bucket). */
  trust(address: string, nowMs: number): void {
    const entry = this.#trusted.peek(address);
    if (entry && nowMs - entry.atMs < 1000 && nowMs >= entry.atMs) return; // fresh enough: spare the reorder
    if (entry) {
      this.#trusted.use(address);
      entry.atMs = nowMs;
    } else {
      this.#trusted.add(address, { atMs: nowMs });
    }
  }
}

/** One token bucket whose burst is one second's worth of tokens. */
class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #atMs: number | undefined;

  constructor(ratePerSec: number) {
    if (!(ratePerSec > 0)) throw new RangeError(`a rate must be positive, got ${ratePerSec}`);
    this.#rate = ratePerSec;
    this.#burst = Math.max(1, ratePerSec);
    this.#tokens = this.#burst;
  }

  refund(): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + 1);
  }

  take(nowMs: number): boolean {
    if (this.#atMs !== undefined) this.#tokens = Math.min(this.#burst, this.#tokens + (Math.max(0, nowMs - this.#atMs) * this.#rate) / 1000);
    this.#atMs = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

interface Slot<V> {
  readonly key: string;
  readonly value: V;
  older: Slot<V> | undefined;
  newer: Slot<V> | undefined;
}

/**
 * A bounded table that forgets its least recently used key first: a Map for lookup, a linked list for the
 * order. Taking a Map's first key after many deletions at its head scans the deleted slots in Bun (1 to 6 µs
 * per new source at 1,024 to 8,192 sources), so the order is not kept by deleting and re-inserting keys.
 */
class LruTable<V> {
  readonly #slots = new Map<string, Slot<V>>();
  readonly #max: number;
  #oldest: Slot<V> | undefined;
  #newest: Slot<V> | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** The value for `key`, leaving the order alone. */
  peek(key: string): V | undefined {
    return this.#slots.get(key)?.value;
  }

  /** The value for `key`, which becomes the most recently used. */
  use(key: string): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (slot !== this.#newest) {
      this.#unlink(slot);
      this.#append(slot);
    }
    return slot.value;
  }

  /** Adds a key that is not in the table as the most recently used, forgetting the oldest when full. */
  add(key: string, value: V): void {
    if (this.#slots.size >= this.#max && this.#oldest !== undefined) {
      const oldest = this.#oldest;
      this.#unlink(oldest);
      this.#slots.delete(oldest.key);
    }
    const slot: Slot<V> = { key, value, older: undefined, newer: undefined };
    this.#slots.set(key, slot);
    this.#append(slot);
  }

  #unlink(slot: Slot<V>): void {
    if (slot.older) slot.older.newer = slot.newer;
    else this.#oldest = slot.newer;
    if (slot.newer) slot.newer.older = slot.older;
    else this.#newest = slot.older;
    slot.older = slot.newer = undefined;
  }

  #append(slot: Slot<V>): void {
    slot.older = this.#newest;
    if (this.#newest) this.#newest.newer = slot;
    else this.#oldest = slot;
    this.#newest = slot;
  }
}
