/**
 * A bounded memory of recently seen ids (query ids, nonces), so a replayed frame is recognised while it is
 * still fresh enough to be accepted otherwise. Clock-free: entries expire by count and by the caller's
 * monotonic time, never by wall-clock.
 */

/** Options for {@link ReplayCache}. */
export interface ReplayCacheOptions {
  /** Most ids remembered; the oldest is forgotten first. @default 4096 */
  maxEntries?: number;
  /** How long an id is remembered, in ms of the caller's monotonic clock. @default 60000 */
  ttlMs?: number;
}

/** Remembers ids for a while; `check` says whether one is new and records it. */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  // Insertion order as a ring (ids and their times), so forgetting the oldest is O(1): taking a Map's first
  // key after many deletions at its head scans the deleted slots (6 µs per datagram at 8,192 ids in Bun).
  readonly #ids: (string | undefined)[] = [];
  readonly #times: number[] = [];
  #next = 0;
  readonly #max: number;
  readonly #ttlMs: number;

  constructor(options: ReplayCacheOptions = {}) {
    this.#max = options.maxEntries ?? 4096;
    this.#ttlMs = options.ttlMs ?? 60_000;
    if (!(this.#max >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${this.#max}`);
  }

  /**
   * Records an id.
   * @param id the id (hex or any string key)
   * @param nowMs the caller's monotonic time
   * @returns true when the id was not seen within the ttl (fresh), false for a replay
   */
  check(id: string, nowMs: number): boolean {
    const at = this.#seen.get(id);
    if (at !== undefined && nowMs - at < this.#ttlMs) return false;
    const slot = this.#next;
    this.#next = slot + 1 === this.#max ? 0 : slot + 1;
    const old = this.#ids[slot];
    // The slot's id is forgotten unless it was recorded again since (its newer slot then owns it).
    if (old !== undefined && this.#seen.get(old) === this.#times[slot]) this.#seen.delete(old);
    this.#ids[slot] = id;
    this.#times[slot] = nowMs;
    this.#seen.set(id, nowMs);
    return true;
  }

  /** Ids currently remembered. */
  get size(): number {
    return this.#seen.size;
  }
}
