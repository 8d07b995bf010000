/**
 * Supervision of one task: runs its prepared form, and when it fails (or returns before it was told to
 * stop) closes it, waits a backoff (1 s doubling to 60 s, on an injectable clock), prepares it again from
 * the same slice and runs it again, until stopped. Every failure is logged and shown in the status.
 */
import { sleepUnlessAborted } from "../async/index.ts";
import { errorMessage } from "./errors.ts";
import type { TaskState, TaskStatus } from "./status.ts";
import type { Builder, DaemonContext, Prepared, StopReason } from "./types.ts";

/** Time for supervision: monotonic and wall-clock ms, and an abortable wait. */
export interface SupervisorClock {
  nowMs(): number;
  unixNowMs(): number;
  /** Resolves after `ms`, or early (without throwing) when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The process clock. */
export const systemSupervisorClock: SupervisorClock = {
  nowMs: () => performance.now(),
  unixNowMs: () => Date.now(),
  sleep: sleepUnlessAborted,
};

/** Backoff settings. */
export interface BackoffOptions {
  /** First wait after a failure. @default 1000 */
  initialMs?: number;
  /** Longest wait. @default 60000 */
  maxMs?: number;
  /** A run at least this long resets the backoff to `initialMs`. @default 60000 */
  healthyAfterMs?: number;
}

/**
 * The wait before restart number `failures` (1 = after the first failure): 1 s, 2 s, 4 s, ... up to 60 s.
 * @example backoffMs(3) // 4000
 */
export function backoffMs(failures: number, o: BackoffOptions = {}): number {
  const initial = o.initialMs ?? 1000;
  const max = o.maxMs ?? 60_000;
  return Math.min(max, initial * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/** Options for {@link SupervisedTask}. */
export interface SupervisedTaskOptions extends BackoffOptions {
  clock?: SupervisorClock;
  /** Called on every state change (status, STATUS=, the give-up check). */
  onChange?: (task: SupervisedTask) => void;
}

/** A task under supervision: one builder, one slice, its current prepared form. */
export class SupervisedTask<S = unknown> {
  readonly builder: Builder<S>;
  #slice: S;
  readonly #ctx: DaemonContext;
  readonly #o: SupervisedTaskOptions;
  readonly #clock: SupervisorClock;
  #prepared: Prepared<S> | undefined;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #state: TaskState = "starting";
  #since: number;
  #restarts = 0;
  /** Failures since the last healthy run. */
  #failures = 0;
  #lastError: string | undefined;
  #retryAt: number | undefined;

  /**
   * @param prepared the prepared task, or the error preparing it failed with (the task starts in backoff)
   */
  constructor(builder: Builder<S>, slice: S, prepared: Prepared<S> | { readonly error: unknown }, ctx: DaemonContext, o: SupervisedTaskOptions = {}) {
    this.builder = builder;
    this.#slice = slice;
    this.#ctx = ctx;
    this.#o = o;
    this.#clock = o.clock ?? systemSupervisorClock;
    this.#since = this.#clock.unixNowMs();
    if ("error" in prepared) this.#pendingError = prepared.error;
    else this.#prepared = prepared;
  }

  #pendingError: unknown;

  get name(): string {
    return this.builder.name;
  }

  /** The slice the task was built from. */
  get slice(): S {
    return this.#slice;
  }

  /** The prepared task while one exists (not in backoff). */
  get prepared(): Prepared<S> | undefined {
    return this.#prepared;
  }

  get state(): TaskState {
    return this.#state;
  }

  /** Failures in a row without a healthy run in between. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Records that an in-place update switched the task to a new slice. */
  updated(slice: S): void {
    this.#slice = slice;
  }

  /** Starts supervising (once). */
  start(): void {
    this.#loop ??= this.#supervise();
  }

  /**
   * Stops the task and waits until it has stopped and released what it held.
   * @param reason what the task's signal says (a replaced beacon task skips its goodbye)
   */
  async stop(reason: StopReason): Promise<void> {
    if (!this.#stop.signal.aborted) this.#stop.abort(reason);
    if (this.#loop) await this.#loop;
    else await this.#prepared?.close().catch(() => undefined);
    this.#prepared = undefined;
    this.#set("stopped");
  }

  /** The task's line of the status. */
  status(): TaskStatus {
    let counters: Readonly<Record<string, unknown>> | undefined;
    try {
      counters = this.#prepared?.counters?.();
    } catch {
      counters = undefined;
    }
    return {
      name: this.name,
      state: this.#state,
      sinceUnixMs: this.#since,
      restarts: this.#restarts,
      ...(this.#lastError !== undefined && { lastError: this.#lastError }),
      ...(this.#state === "backoff" && this.#retryAt !== undefined && { retryAtUnixMs: this.#retryAt }),
      ...(counters && { counters }),
    };
  }

  #set(state: TaskState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#since = this.#clock.unixNowMs();
    this.#o.onChange?.(this);
  }

  async #supervise(): Promise<void> {
    const signal = this.#stop.signal;
    const log = this.#ctx.log;
    let failure: unknown = this.#pendingError;
    this.#pendingError = undefined;
    let ranMs = 0;
    while (!signal.aborted) {
      if (failure === undefined && this.#prepared) {
        const prepared = this.#prepared;
        this.#set("running");
        const started = this.#clock.nowMs();
        try {
          await prepared.run({ signal });
          if (!signal.aborted) failure = new Error("stopped by itself before the daemon stopped it");
        } catch (err) {
          failure = signal.aborted ? undefined : err;
        }
        ranMs = this.#clock.nowMs() - started;
        await prepared.close().catch(() => undefined);
        this.#prepared = undefined;
        if (signal.aborted) break;
      }
      if (ranMs >= (this.#o.healthyAfterMs ?? 60_000)) this.#failures = 0;
      ranMs = 0;
      this.#failures++;
      const waitMs = backoffMs(this.#failures, this.#o);
      this.#lastError = errorMessage(failure);
      this.#retryAt = this.#clock.unixNowMs() + waitMs;
      // Logged before the state changes: the daemon may give up on that change, and its line comes last.
      const inARow = this.#failures > 1 ? ` (${this.#failures} failures in a row)` : "";
      log.warn(`${this.name}: ${this.#lastError}${inARow}; next attempt in ${waitMs / 1000} s`, { task: this.name, restarts: this.#restarts, retry_ms: waitMs });
      this.#set("backoff");
      this.#o.onChange?.(this); // the retry time changed even where the state did not
      await this.#clock.sleep(waitMs, signal);
      if (signal.aborted) break;
      // Every attempt counts as a restart, whether or not it gets as far as running (as systemd's NRestarts).
      this.#restarts++;
      this.#set("starting");
      try {
        this.#prepared = await this.builder.prepare(this.#slice, this.#ctx);
        failure = undefined;
        log.info(`${this.name}: restarted (restart ${this.#restarts})`, { task: this.name, restarts: this.#restarts });
      } catch (err) {
        failure = err;
      }
      // A stop that came while preparing: release what was just acquired.
      if (signal.aborted) {
        await this.#prepared?.close().catch(() => undefined);
        this.#prepared = undefined;
      }
    }
  }
}
