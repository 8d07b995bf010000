/**
 * Edge events for drivers that see levels rather than kernel events (sysfs, the fake): each level seen goes
 * through a {@link Debouncer}; a confirmed change is stamped with the time it was seen, and when a change is
 * pending the line is looked at again once it would be confirmed.
 */
import { Debouncer, type LevelChange } from "./debounce.ts";
import type { Edge, LineSettings, LineValue } from "./types.ts";

/** What {@link LevelEdges} calls out to. */
export interface LevelEdgesHooks {
  /** Monotonic clock in nanoseconds. */
  readonly nowNs: () => bigint;
  /** Looks at the line again and feeds what it sees (a pending change is due). */
  readonly recheck: () => void;
  /** A confirmed change that passed the edge filter, seen at `timestampNs`. */
  readonly emit: (change: LevelChange, timestampNs: bigint) => void;
}

/** Software debounce and edge filtering of one line, with the timer a pending change needs. */
export class LevelEdges {
  readonly #debouncer: Debouncer;
  readonly #hooks: LevelEdgesHooks;
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;

  /** @param initial the logical level when edge detection starts */
  constructor(initial: LineValue, settings: LineSettings, hooks: LevelEdgesHooks) {
    this.#debouncer = new Debouncer(initial, BigInt(Math.round((settings.debounceMs ?? 0) * 1e6)), (settings.edge ?? "both") as Edge);
    this.#hooks = hooks;
  }

  /** Feeds the level seen now. */
  feed(value: LineValue): void {
    if (this.#stopped) return;
    const now = this.#hooks.nowNs();
    const change = this.#debouncer.sample(value, now);
    if (change) this.#hooks.emit(change, now);
    clearTimeout(this.#timer);
    const until = this.#debouncer.pendingUntilNs;
    if (until !== undefined) this.#timer = setTimeout(this.#hooks.recheck, Math.max(0, Math.ceil(Number(until - now) / 1e6)));
  }

  /** Stops: later levels are ignored and no re-check is scheduled (idempotent). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
