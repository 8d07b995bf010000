/**
 * The target's table of outstanding challenges: random, single use, short-lived on the target's monotonic
 * clock (never a wall clock), bound to the requester's address, the operation, its arguments and the
 * request id. Used by remote control (every state-changing operation) and by discovery (queries whose clock
 * cannot be trusted). Bounded: when full, the oldest challenge is forgotten. The clock and the random source are
 * passed in, so the state machine runs on a fake clock in tests.
 */
import { bytesEqual, toHex } from "../bytes.ts";

/** Bytes of a challenge. */
export const CHALLENGE_BYTES = 16;

/** What a challenge is bound to. */
export interface ChallengeBinding {
  /** The requester's IP address (not the port). */
  readonly address: string;
  /** What it is for, e.g. a control operation ("gpio-set") or "discovery". */
  readonly op: string;
  readonly id: Uint8Array;
  readonly args: Uint8Array;
}

/** Why {@link ChallengeTable.redeem} refused. */
export type RedeemRefusal =
  | "unknown" // never issued, already used, expired or forgotten
  | "address" // issued to another address (the challenge stays valid for its owner)
  | "mismatch"; // issued for another operation, request id or arguments (the challenge is spent)

/** Options for {@link ChallengeTable}. */
export interface ChallengeTableOptions {
  /** How long a challenge is valid. @default 5000 */
  ttlMs?: number;
  /** Most outstanding challenges; the oldest is forgotten first. @default 256 */
  maxEntries?: number;
  /** Monotonic time in ms. @default performance.now */
  monotonicMs?: () => number;
  /** Fills a buffer with random bytes. @default crypto.getRandomValues */
  random?: (bytes: Uint8Array<ArrayBuffer>) => void;
}

interface Entry {
  readonly binding: ChallengeBinding;
  readonly expiresMs: number;
}

/** Outstanding challenges, by their bytes. */
export class ChallengeTable {
  readonly ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #random: (bytes: Uint8Array<ArrayBuffer>) => void;
  readonly #entries = new Map<string, Entry>();
  // Issue order as a queue of keys (from #head on; redeemed ones stay until they reach the head): taking a
  // Map's first key after many deletions at its head scans the deleted slots in Bun, as in the replay cache.
  #order: string[] = [];
  #head = 0;

  /** @throws {RangeError} on a non-positive ttl or table size */
  constructor(options: ChallengeTableOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.#max = options.maxEntries ?? 256;
    this.#now = options.monotonicMs ?? (() => performance.now());
    this.#random = options.random ?? ((b) => void crypto.getRandomValues(b));
    if (!(this.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${this.ttlMs}`);
    if (!(this.#max >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${this.#max}`);
  }

  /** Outstanding challenges (expired ones included until they are swept or redeemed). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Issues a fresh challenge for a request.
   * @returns the challenge bytes (16)
   */
  issue(binding: ChallengeBinding): Uint8Array<ArrayBuffer> {
    const now = this.#now();
    this.#sweep(now);
    while (this.#entries.size >= this.#max) this.#entries.delete(this.#shift()!);
    const challenge = new Uint8Array(CHALLENGE_BYTES);
    this.#random(challenge);
    // Copies: the binding's bytes are views into a datagram buffer that will be reused.
    const b: ChallengeBinding = { address: binding.address, op: binding.op, id: binding.id.slice(), args: binding.args.slice() };
    const key = toHex(challenge);
    this.#entries.set(key, { binding: b, expiresMs: now + this.ttlMs });
    this.#order.push(key);
    // Redeemed keys behind a live one wait for it to expire: bound them too (amortized, one pass per max).
    if (this.#order.length - this.#head > 2 * this.#max) {
      this.#order = this.#order.slice(this.#head).filter((k) => this.#entries.has(k));
      this.#head = 0;
    }
    return challenge;
  }

  /**
   * Redeems a challenge: succeeds at most once, within its ttl, from its address, for its operation.
   * @returns "ok" or why not
   */
  redeem(challenge: Uint8Array, binding: ChallengeBinding): "ok" | RedeemRefusal {
    const key = toHex(challenge);
    const e = this.#entries.get(key);
    if (!e) return "unknown";
    const now = this.#now();
    if (now >= e.expiresMs || now < e.expiresMs - this.ttlMs) {
      this.#entries.delete(key);
      return "unknown";
    }
    if (e.binding.address !== binding.address) return "address";
    this.#entries.delete(key);
    const b = e.binding;
    if (b.op !== binding.op || !bytesEqual(b.id, binding.id) || !bytesEqual(b.args, binding.args)) return "mismatch";
    return "ok";
  }

  #sweep(now: number): void {
    // Issue order is expiry order (one ttl for all), so the expired ones are at the front.
    while (this.#head < this.#order.length) {
      const e = this.#entries.get(this.#order[this.#head]!);
      if (e !== undefined && now < e.expiresMs) break;
      if (e !== undefined) this.#entries.delete(this.#order[this.#head]!);
      this.#shift();
    }
  }

  /** Takes the oldest key off the issue order (it may have been redeemed already). */
  #shift(): string | undefined {
    const key = this.#order[this.#head++];
    if (this.#head === this.#order.length) {
      this.#order = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
    return key;
  }
}
