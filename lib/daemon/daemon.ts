/**
 * The daemon: one generation of supervised tasks built from one config, replaced by {@link Daemon.reload}
 * like Caddy and nginx do it — the new generation is prepared completely (keys, interfaces, sockets bound)
 * before anything of the old one stops; unchanged tasks carry over; self-description changes are applied
 * in place; any failure leaves the running generation as it was and says why.
 */
import { Subscribers } from "../async/index.ts";
import { MembershipTable, membershipOptionsOf, runMembershipTicker, type BeaconIdentity, type HookSpawner } from "../beacon/index.ts";
import type { GpioLines } from "../gpio/index.ts";
import type { Metric, MetricsProxy } from "../metrics/index.ts";
import { DaemonError, errorMessage } from "./errors.ts";
import { planReload, type PlanStep } from "./plan.ts";
import type { DaemonStatus, ReloadOutcome, TaskStatus } from "./status.ts";
import { SupervisedTask, systemSupervisorClock, type BackoffOptions, type SupervisorClock } from "./supervisor.ts";
import type { Builder, DaemonContext, DaemonEvent, DaemonInput, DaemonLogger, Prepared, Slot } from "./types.ts";

/** Options for {@link Daemon}. */
export interface DaemonOptions extends BackoffOptions {
  /** Every capability, in start order. */
  readonly builders: readonly Builder[];
  readonly log: DaemonLogger;
  /** The beacon identity (the caller persists it in the state directory). */
  readonly identity: BeaconIdentity;
  readonly spawnHook: HookSpawner;
  /** Environment hooks get besides DISCO_*. @default {} */
  readonly hookEnv?: Readonly<Record<string, string>>;
  readonly version: string;
  readonly pid: number;
  /** @default the process clock */
  readonly clock?: SupervisorClock;
  /** The daemon gives up when every task has failed this many times in a row. @default 5 */
  readonly giveUpAfter?: number;
  /** Called whenever the status changes (a task's state, a reload, membership): for systemd's STATUS=. */
  readonly onStatusChange?: () => void;
}

/** How {@link Daemon.wait} ends. */
export type DaemonExit = { readonly kind: "stopped" } | { readonly kind: "failing"; readonly reason: string };

/** The task that ticks the membership table while it runs (lib/daemon/build-beacons.ts). */
const BEACONS = "beacons";

const NOTHING_ENABLED = "the config enables nothing ([discovery] enabled = false, and no [beacon], [metrics], [gpio], [http] or [mqtt] enabled)";

/** The running daemon. */
export class Daemon {
  readonly #o: DaemonOptions;
  readonly #clock: SupervisorClock;
  readonly #tasks = new Map<string, SupervisedTask>();
  readonly #events = new Subscribers<DaemonEvent>();
  #latest: Metric | undefined;
  #membership: MembershipTable | undefined;
  #ctx: DaemonContext | undefined;
  #input: DaemonInput | undefined;
  #generation = 0;
  #lastReload: ReloadOutcome | undefined;
  #started = 0;
  #startedMono = 0;
  #reloading: Promise<unknown> = Promise.resolve();
  /** The requested reload that has not begun yet (every request meanwhile joins it). */
  #queuedRequest: Promise<ReloadOutcome> | undefined;
  /** The last requested reload, settled or not: the next one begins after it. */
  #lastRequest: Promise<unknown> = Promise.resolve();
  #exit: ((e: DaemonExit) => void) | undefined;
  readonly #exited: Promise<DaemonExit>;
  #stopping = false;
  #watching: Promise<void> = Promise.resolve();
  /** Set while the table is ticked without a beacons task (see {@link #sweepWithoutBeacons}). */
  #sweepStop: AbortController | undefined;

  constructor(options: DaemonOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemSupervisorClock;
    this.#exited = new Promise((resolve) => (this.#exit = resolve));
  }

  /** The daemon-lifetime context the builders get (after {@link start}). */
  get context(): DaemonContext {
    if (!this.#ctx) throw new DaemonError("the daemon has not started");
    return this.#ctx;
  }

  get generation(): number {
    return this.#generation;
  }

  /**
   * Builds and starts the first generation. A task that cannot be prepared starts in backoff (and is
   * retried); the daemon refuses to start only when the config enables nothing.
   * @throws {DaemonError} when no capability is enabled
   */
  start(input: DaemonInput): Promise<void> {
    const started = this.#start(input);
    // A reload or stop asked for meanwhile waits for the start.
    this.#reloading = started.catch(() => undefined);
    return started;
  }

  async #start(input: DaemonInput): Promise<void> {
    const slices = this.#slices(input);
    if (slices.size === 0) throw new DaemonError(NOTHING_ENABLED);
    const b = input.config.beacon;
    const membership = new MembershipTable(membershipOptionsOf(b));
    this.#membership = membership;
    this.#ctx = this.#createContext(membership);
    this.#watching = this.#watchMembership(membership);
    this.#started = this.#clock.unixNowMs();
    this.#startedMono = this.#clock.nowMs();
    const prepared = await Promise.all(
      this.#o.builders.filter((x) => slices.has(x.name)).map(async (builder) => {
        const slice = slices.get(builder.name);
        try {
          return { builder, slice, prepared: await builder.prepare(slice, this.context) };
        } catch (error) {
          return { builder, slice, prepared: { error } };
        }
      }),
    );
    this.#input = input;
    this.#generation = 1;
    for (const p of prepared) this.#add(p.builder, p.slice, p.prepared);
  }

  /**
   * Replaces the running generation by one built from `input`; never stops what it cannot replace.
   * Reloads run one at a time.
   * @returns what happened (refused with every problem, or the new generation)
   */
  reload(input: DaemonInput, notes: readonly string[] = []): Promise<ReloadOutcome> {
    const run = this.#reloading.then(() => this.#reload(input, notes));
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  /**
   * Asks for a reload that `attempt` carries out (read the config, then {@link reload}). Requests coalesce:
   * while one reload is being prepared, every further request joins a single next one, which begins when
   * the current one ends and so reads the config as it is by then. A burst of SIGHUPs is one reload (or
   * two, when the burst began during one), not one each.
   * @param attempt reads the input and reloads; a request that joins a queued one does not run its own
   * @returns the outcome of the reload that serves this request (begun after the request came)
   */
  requestReload(attempt: () => Promise<ReloadOutcome>): Promise<ReloadOutcome> {
    if (this.#queuedRequest) return this.#queuedRequest;
    const queued = this.#lastRequest.then(() => {
      this.#queuedRequest = undefined;
      return attempt();
    });
    this.#queuedRequest = queued;
    this.#lastRequest = queued.catch(() => undefined);
    return queued;
  }

  /**
   * Records a reload refused before it reached the daemon (the config file did not parse).
   * @returns the outcome, as {@link reload} would
   */
  refuseReload(problems: readonly string[]): ReloadOutcome {
    return this.#refuse(problems);
  }

  /** Resolves when the daemon has stopped ({@link stop}) or given up (every task keeps failing). */
  wait(): Promise<DaemonExit> {
    return this.#exited;
  }

  /** Stops every task (beacons say goodbye), then resolves {@link wait} with "stopped". Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#sweepStop?.abort();
    await this.#reloading;
    await Promise.all([...this.#tasks.values()].map((t) => t.stop("shutdown")));
    this.#events.close();
    this.#membership?.close();
    await this.#watching;
    this.#exit?.({ kind: "stopped" });
  }

  /** The status `disco status` shows. */
  status(): DaemonStatus {
    const counts = { alive: 0, suspect: 0, failed: 0 };
    for (const h of this.#membership?.hosts() ?? []) {
      if (h.state === "alive") counts.alive++;
      else if (h.state === "suspect") counts.suspect++;
      else if (h.state === "failed") counts.failed++;
    }
    const tasks: TaskStatus[] = [];
    for (const b of this.#o.builders) {
      const t = this.#tasks.get(b.name);
      if (t) tasks.push(t.status());
    }
    return {
      version: this.#o.version,
      pid: this.#o.pid,
      host: this.#input?.host ?? "",
      startedUnixMs: this.#started,
      uptimeMs: Math.max(0, this.#clock.nowMs() - this.#startedMono),
      ...(this.#input?.file !== undefined && { config: this.#input.file }),
      generation: this.#generation,
      ...(this.#lastReload && { lastReload: this.#lastReload }),
      tasks,
      hosts: counts,
    };
  }

  /** Logs every membership event (the table outlives the beacon tasks) and refreshes the status. */
  async #watchMembership(table: MembershipTable): Promise<void> {
    for await (const e of table.subscribe()) {
      this.#o.log.info(`beacons: ${e.type} ${e.host.host} (${e.host.addresses.join(", ") || "-"})`, { event: e.type, peer: e.host.host });
      this.#o.onStatusChange?.();
    }
  }

  /**
   * The beacons task ticks the membership table. Once a reload has stopped it, the hosts it knew are no
   * longer heard: the table is ticked here instead, so they go suspect, failed and are forgotten as they
   * would be (with their events), rather than staying alive in `disco status` and `disco hosts` forever.
   */
  #sweepWithoutBeacons(): void {
    const table = this.#membership;
    if (!table || this.#sweepStop || this.#stopping) return;
    const stop = new AbortController();
    this.#sweepStop = stop;
    // No beacon can move a deadline now: waking at each host's next change is enough.
    void runMembershipTicker({ signal: stop.signal, table, tickMs: 60_000, untilEmpty: true }).finally(() => {
      if (this.#sweepStop === stop) this.#sweepStop = undefined;
    });
  }

  #slices(input: DaemonInput): Map<string, unknown> {
    const m = new Map<string, unknown>();
    for (const b of this.#o.builders) {
      const s = b.slice(input);
      if (s !== undefined) m.set(b.name, s);
    }
    return m;
  }

  #createContext(membership: MembershipTable): DaemonContext {
    const gpio = slot<GpioLines>();
    const proxy = slot<Pick<MetricsProxy, "publish" | "publishMetric">>();
    return {
      log: this.#o.log,
      membership,
      identity: this.#o.identity,
      gpio,
      proxy,
      emit: (e) => {
        // Metrics other publishers send under other names (through the proxy) are fanned out, not "ours".
        if (e.type === "metric" && e.metric.host === this.#input?.host) this.#latest = e.metric;
        this.#events.emit(e);
      },
      subscribe: (options) => this.#events.subscribe(options ?? {}),
      latestMetric: () => this.#latest,
      status: () => this.status(),
      spawnHook: this.#o.spawnHook,
      hookEnv: this.#o.hookEnv ?? {},
    };
  }

  #add(builder: Builder, slice: unknown, prepared: Prepared | { readonly error: unknown }): void {
    const task = new SupervisedTask(builder, slice, prepared, this.context, {
      clock: this.#clock,
      ...(this.#o.initialMs !== undefined && { initialMs: this.#o.initialMs }),
      ...(this.#o.maxMs !== undefined && { maxMs: this.#o.maxMs }),
      ...(this.#o.healthyAfterMs !== undefined && { healthyAfterMs: this.#o.healthyAfterMs }),
      onChange: () => this.#changed(),
    });
    this.#tasks.set(builder.name, task);
    task.start();
  }

  #changed(): void {
    this.#o.onStatusChange?.();
    if (this.#stopping || this.#tasks.size === 0) return;
    const limit = this.#o.giveUpAfter ?? 5;
    const tasks = [...this.#tasks.values()];
    if (tasks.every((t) => t.state === "backoff" && t.consecutiveFailures >= limit)) {
      const why = tasks.map((t) => `${t.name}: ${t.status().lastError ?? "failed"}`).join("; ");
      this.#o.log.error(`giving up: every task failed ${limit} times in a row (${why})`);
      void this.stop().then(() => undefined);
      this.#exit?.({ kind: "failing", reason: `every task failed ${limit} times in a row: ${why}` });
    }
  }

  #refuse(problems: readonly string[]): ReloadOutcome {
    const outcome: ReloadOutcome = { ok: false, generation: this.#generation, atUnixMs: this.#clock.unixNowMs(), problems };
    this.#lastReload = outcome;
    this.#o.log.error(`reload refused, generation ${this.#generation} keeps running: ${problems.join("; ")}`, { generation: this.#generation });
    this.#o.onStatusChange?.();
    return outcome;
  }

  async #reload(input: DaemonInput, notes: readonly string[]): Promise<ReloadOutcome> {
    if (this.#stopping) return this.#refuse(["the daemon is stopping"]);
    if (!this.#ctx) return this.#refuse(["the daemon has not started"]);
    const ctx = this.#ctx;
    const next = this.#slices(input);
    if (next.size === 0) return this.#refuse([NOTHING_ENABLED]);
    const old = new Map([...this.#tasks].map(([name, t]) => [name, t.slice]));
    const steps = planReload(this.#o.builders, old, next);
    const builder = (name: string) => this.#o.builders.find((b) => b.name === name)!;
    const problems: string[] = [];
    const staged: { task: SupervisedTask; commit: () => void; slice: unknown }[] = [];
    const fresh = new Map<string, Prepared>();
    const replaced: PlanStep[] = [];
    const conflicting: PlanStep[] = [];
    const prepareFresh = async (name: string) => {
      try {
        fresh.set(name, await builder(name).prepare(next.get(name), ctx, { reload: true }));
      } catch (err) {
        problems.push(`${name}: ${errorMessage(err)}`);
      }
    };
    // Phase 1: everything that can be prepared beside the running generation.
    for (const step of steps) {
      if (step.action === "start") await prepareFresh(step.name);
      if (step.action !== "change") continue;
      const task = this.#tasks.get(step.name)!;
      const slice = next.get(step.name);
      try {
        const commit = await task.prepared?.update?.(slice);
        if (commit) {
          staged.push({ task, commit, slice });
          continue;
        }
      } catch (err) {
        problems.push(`${step.name}: ${errorMessage(err)}`);
        continue;
      }
      if (step.conflict) conflicting.push(step);
      else {
        replaced.push(step);
        await prepareFresh(step.name);
      }
    }
    const discard = async () => void (await Promise.all([...fresh.values()].map((p) => p.close().catch(() => undefined))));
    if (problems.length) {
      await discard();
      return this.#refuse(problems);
    }
    // Phase 2: tasks that need what their predecessor holds; the predecessor comes back if they fail.
    const stoppedOld: SupervisedTask[] = [];
    for (const step of conflicting) {
      const task = this.#tasks.get(step.name)!;
      await task.stop("replaced");
      stoppedOld.push(task);
      await prepareFresh(step.name);
      if (problems.length) break;
    }
    if (problems.length) {
      await discard();
      for (const task of stoppedOld) {
        let prepared: Prepared | { error: unknown };
        try {
          prepared = await task.builder.prepare(task.slice, ctx);
        } catch (error) {
          prepared = { error };
          this.#o.log.error(`${task.name}: the previous settings could not be restored: ${errorMessage(error)}`);
        }
        this.#add(task.builder, task.slice, prepared);
      }
      return this.#refuse(problems);
    }
    // Phase 3: commit. The table outlives the beacon tasks: it takes the new times and limits (a changed
    // [beacon] replaces the beacon task, whose ticker then sleeps by them).
    this.#membership?.reconfigure(membershipOptionsOf(input.config.beacon));
    for (const s of staged) {
      s.commit();
      s.task.updated(s.slice);
    }
    await Promise.all([
      ...replaced.map((s) => this.#tasks.get(s.name)!.stop("replaced")),
      ...steps.filter((s) => s.action === "stop").map((s) => this.#tasks.get(s.name)!.stop("removed")),
    ]);
    for (const s of steps) if (s.action === "stop") this.#tasks.delete(s.name);
    for (const b of this.#o.builders) {
      const p = fresh.get(b.name);
      if (p) this.#add(b, next.get(b.name), p);
    }
    if (this.#tasks.has(BEACONS)) this.#sweepStop?.abort();
    else this.#sweepWithoutBeacons();
    this.#input = input;
    this.#generation++;
    const names = (f: (s: PlanStep) => boolean) => steps.filter(f).map((s) => s.name);
    const outcome: ReloadOutcome = {
      ok: true,
      generation: this.#generation,
      atUnixMs: this.#clock.unixNowMs(),
      changes: {
        replaced: [...replaced, ...conflicting].map((s) => s.name),
        updated: staged.map((s) => s.task.name),
        started: names((s) => s.action === "start"),
        stopped: names((s) => s.action === "stop"),
      },
      ...(notes.length && { notes }),
      ...(input.file !== undefined && { config: input.file }),
    };
    this.#lastReload = outcome;
    const c = outcome.changes!;
    const what = [
      c.replaced.length && `replaced ${c.replaced.join(", ")}`,
      c.updated.length && `updated ${c.updated.join(", ")} in place`,
      c.started.length && `started ${c.started.join(", ")}`,
      c.stopped.length && `stopped ${c.stopped.join(", ")}`,
      ...notes,
    ].filter(Boolean);
    this.#o.log.info(`reloaded (generation ${this.#generation}): ${what.join("; ") || "nothing changed"}`, { generation: this.#generation });
    this.#o.onStatusChange?.();
    return outcome;
  }
}

/** A value one task owns and others read, held only by the slot (the daemon's context, and test fakes). */
export function slot<T>(): Slot<T> {
  let value: T | undefined;
  return { get: () => value, set: (v) => void (value = v) };
}
