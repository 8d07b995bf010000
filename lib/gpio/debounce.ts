/**
 * Software debounce and edge filtering for drivers that see levels rather than kernel edge events
 * (sysfs scanning, the fake driver). Pure: the clock is passed in.
 */
import type { Edge, LineValue } from "./types.ts";

/** A confirmed change. */
export interface LevelChange {
  readonly type: "rising" | "falling";
  readonly value: LineValue;
}

/**
 * Tracks one line's level: a change is confirmed once the new level has held for `debounceNs`, and reported
 * when it matches `edge`.
 * @example
 * const d = new Debouncer(0, 20_000_000n, "both");
 * d.sample(1, 0n);          // undefined: not held long enough
 * d.sample(1, 20_000_000n); // { type: "rising", value: 1 }
 */
export class Debouncer {
  #stable: LineValue;
  #candidate: LineValue;
  #sinceNs = 0n;
  readonly #debounceNs: bigint;
  readonly #edge: Edge;

  constructor(initial: LineValue, debounceNs: bigint, edge: Edge) {
    this.#stable = initial;
    this.#candidate = initial;
    this.#debounceNs = debounceNs;
    this.#edge = edge;
  }

  /** The last confirmed level. */
  get value(): LineValue {
    return this.#stable;
  }

  /** When a pending change would be confirmed (if it still holds), or undefined when none is pending. */
  get pendingUntilNs(): bigint | undefined {
    return this.#candidate !== this.#stable ? this.#sinceNs + this.#debounceNs : undefined;
  }

  /**
   * Feeds one sample taken at `nowNs`.
   * @returns the confirmed change when one passes the edge filter, else undefined
   */
  sample(value: LineValue, nowNs: bigint): LevelChange | undefined {
    if (value !== this.#candidate) {
      this.#candidate = value;
      this.#sinceNs = nowNs;
    }
    if (this.#candidate === this.#stable || nowNs - this.#sinceNs < this.#debounceNs) return undefined;
    this.#stable = this.#candidate;
    const type = this.#stable === 1 ? "rising" : "falling";
    if (this.#edge === "both" || this.#edge === type) return { type, value: this.#stable };
    return undefined;
  }
}
