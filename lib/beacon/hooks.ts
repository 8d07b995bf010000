/**
 * Hooks: a configured command runs on membership events, with the host's fields in environment variables
 * (like serf's event handlers). A bounded queue and a concurrency limit keep the receiver unblocked: when
 * the queue is full, new events are dropped for hooks and counted. Spawning is an injected adapter
 * (hook-spawn.ts), so this file does no I/O.
 */
import { HOST_NAME_RULE, isValidHostName } from "../text/index.ts";
import { BeaconError } from "./errors.ts";
import type { MembershipEvent } from "./types.ts";

/** Event types a hook can filter on. */
export type MembershipEventType = MembershipEvent["type"];

/** One configured hook. */
export interface HookSpec {
  /** A shell command line (run with `/bin/sh -c`), or an argv list run directly. */
  readonly command: string | readonly string[];
  /** Events that run it; empty = all. */
  readonly events: readonly MembershipEventType[];
  /** Killed after this long, in ms. */
  readonly timeoutMs: number;
}

/** What a hook run ended with. */
export interface HookOutcome {
  /** Exit code, or null when killed. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
}

/** Runs one command; the adapter (hook-spawn.ts) implements it with a child process. */
export type HookSpawner = (argv: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number) => Promise<HookOutcome>;

/** Counters of the hook runner. */
export interface HookCounters {
  started: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  /** Runs not started because the queue was full. */
  dropped: number;
}

/** Options for {@link HookRunner}. */
export interface HookRunnerOptions {
  hooks: readonly HookSpec[];
  spawn: HookSpawner;
  /** Hooks running at once. @default 2 */
  concurrency?: number;
  /** Runs waiting to start. @default 64 */
  maxQueued?: number;
  /** Variables every run gets besides the DISCO_* ones (e.g. PATH). */
  baseEnv?: Readonly<Record<string, string>>;
  /** Called when a run fails or times out (for logging). */
  onOutcome?: (spec: HookSpec, event: MembershipEvent, outcome: HookOutcome | Error) => void;
}

/**
 * The environment a hook gets for an event.
 * @returns DISCO_EVENT, DISCO_HOST, DISCO_ADDRESSES (space-separated, most recent source first),
 *   DISCO_ADDRESS (the first), DISCO_STATE (alive, suspect, failed; "left" on a leave), DISCO_SOURCE, DISCO_INTERVAL_MS, DISCO_LAST_SEEN (unix seconds),
 *   and when known DISCO_VERSION, DISCO_METRICS, DISCO_GPIO (space-separated), DISCO_SERVICES (JSON)
 */
export function hookEnv(event: MembershipEvent): Record<string, string> {
  const h = event.host;
  const env: Record<string, string> = {
    DISCO_EVENT: event.type,
    DISCO_HOST: h.host,
    DISCO_ADDRESSES: h.addresses.join(" "),
    DISCO_ADDRESS: h.addresses[0] ?? "",
    // A leave is announced by a host still alive: the state it leaves in is "left", not its last one.
    DISCO_STATE: event.type === "leave" ? "left" : h.state,
    DISCO_SOURCE: h.source,
    DISCO_INTERVAL_MS: String(h.intervalMs),
    DISCO_LAST_SEEN: String(Math.floor(h.lastSeenUnixMs / 1000)),
  };
  if (h.version !== undefined) env["DISCO_VERSION"] = h.version;
  if (h.metricsEndpoint !== undefined) env["DISCO_METRICS"] = h.metricsEndpoint;
  if (h.gpio !== undefined) env["DISCO_GPIO"] = h.gpio.join(" ");
  if (h.services !== undefined) env["DISCO_SERVICES"] = JSON.stringify(h.services);
  return env;
}

interface Job {
  spec: HookSpec;
  event: MembershipEvent;
}

/** Queues hook runs and runs them with bounded concurrency. */
export class HookRunner {
  readonly counters: HookCounters = { started: 0, succeeded: 0, failed: 0, timedOut: 0, dropped: 0 };
  readonly #o: HookRunnerOptions;
  readonly #concurrency: number;
  readonly #maxQueued: number;
  #queue: Job[] = [];
  #running = new Set<Promise<void>>();
  #idle: (() => void)[] = [];

  constructor(options: HookRunnerOptions) {
    this.#o = options;
    this.#concurrency = options.concurrency ?? 2;
    this.#maxQueued = options.maxQueued ?? 64;
  }

  /**
   * Queues the hooks that match an event. Never blocks.
   * @returns how many runs were queued (runs over the queue limit are dropped and counted)
   */
  push(event: MembershipEvent): number {
    let queued = 0;
    for (const spec of this.#o.hooks) {
      if (spec.events.length > 0 && !spec.events.includes(event.type)) continue;
      if (this.#queue.length >= this.#maxQueued) {
        this.counters.dropped++;
        continue;
      }
      this.#queue.push({ spec, event });
      queued++;
    }
    this.#pump();
    return queued;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Feeds events from an async iterable (a table subscription) until it ends, then waits for running hooks.
   */
  async run(events: AsyncIterable<MembershipEvent>): Promise<void> {
    for await (const e of events) this.push(e);
    this.#queue = [];
    await this.idle();
  }

  #pump(): void {
    while (this.#running.size < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      const p = this.#runOne(job).finally(() => {
        this.#running.delete(p);
        this.#pump();
        if (this.#queue.length === 0 && this.#running.size === 0) for (const r of this.#idle.splice(0)) r();
      });
      this.#running.add(p);
    }
  }

  async #runOne(job: Job): Promise<void> {
    const argv = typeof job.spec.command === "string" ? ["/bin/sh", "-c", job.spec.command] : [...job.spec.command];
    // $DISCO_HOST reaches shells and paths: only a name that follows the host name rule (no glob, no
    // path separator, no leading '-' or '.') is handed over, whoever produced the event.
    if (!isValidHostName(job.event.host.host)) {
      this.counters.failed++;
      this.#o.onOutcome?.(job.spec, job.event, new BeaconError(`not run: the host name is not ${HOST_NAME_RULE}`));
      return;
    }
    this.counters.started++;
    try {
      const outcome = await this.#o.spawn(argv, { ...this.#o.baseEnv, ...hookEnv(job.event) }, job.spec.timeoutMs);
      if (outcome.timedOut) this.counters.timedOut++;
      else if (outcome.exitCode === 0) this.counters.succeeded++;
      else this.counters.failed++;
      if (outcome.timedOut || outcome.exitCode !== 0) this.#o.onOutcome?.(job.spec, job.event, outcome);
    } catch (err) {
      this.counters.failed++;
      this.#o.onOutcome?.(job.spec, job.event, err instanceof Error ? err : new Error(String(err)));
    }
  }
}
