/**
 * The contracts between the daemon and its capabilities: a {@link Builder} per capability turns its config
 * slice into a {@link Prepared} task; the {@link DaemonContext} holds what lives as long as the process.
 */
import type { BeaconIdentity, HookSpawner, MembershipTable } from "../beacon/index.ts";
import type { DiscoConfig } from "../config/index.ts";
import type { GpioLines, InputChange } from "../gpio/index.ts";
import type { Metric, MetricsProxy } from "../metrics/index.ts";
import type { LogFields } from "./log.ts";
import type { DaemonStatus } from "./status.ts";

/** The fleet's secret material, resolved by the caller (files read, the password derived once). */
export interface DaemonSecrets {
  /** Raw 32-byte keys; the first seals. Empty: frames go unsealed. */
  readonly rawKeys: readonly Uint8Array<ArrayBuffer>[];
  /** The password as given (PyDiscover legacy mode uses it directly). */
  readonly password?: string;
}

/** One configuration, loaded and validated, with its secrets: what a generation is built from. */
export interface DaemonInput {
  readonly config: DiscoConfig;
  /** The file it came from (undefined: the defaults). */
  readonly file?: string;
  /** This host's name in answers, beacons and metrics. */
  readonly host: string;
  readonly secrets: DaemonSecrets;
}

/** Where the daemon and its tasks log (lib/daemon/log.ts's Logger fits). */
export interface DaemonLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * What the daemon fans out to whoever listens (the HTTP page, MQTT): metrics published here (by the daemon,
 * and by other publishers through its proxy, under any host name) and input changes.
 */
export type DaemonEvent = { readonly type: "metric"; readonly metric: Metric } | { readonly type: "input"; readonly change: InputChange };

/** A value one task owns and others read (the GPIO lines of the current generation). */
export interface Slot<T> {
  /** The current value, if its owner runs. */
  get(): T | undefined;
  /** Set by the owner when it starts (undefined when it stops). */
  set(value: T | undefined): void;
}

/** Daemon-lifetime things builders share. Never replaced by a reload. */
export interface DaemonContext {
  readonly log: DaemonLogger;
  /** Hosts heard: one table for the process, so a replaced beacon task keeps what it knew. */
  readonly membership: MembershipTable;
  /** This host's beacon identity (boot id + sequence), kept across reloads and, through the state directory, restarts. */
  readonly identity: BeaconIdentity;
  /** The GPIO lines the gpio task holds (remote GPIO and MQTT switches drive them). */
  readonly gpio: Slot<GpioLines>;
  /** The metrics task's proxy while it runs: input changes are published into it, not over a socket. */
  readonly proxy: Slot<Pick<MetricsProxy, "publish" | "publishMetric">>;
  /** Latest metrics and input changes, to every subscriber. */
  emit(event: DaemonEvent): void;
  subscribe(options?: { signal?: AbortSignal }): AsyncIterableIterator<DaemonEvent>;
  /** The latest metric published by this host, if any. */
  latestMetric(): Metric | undefined;
  /** What `disco status` shows. */
  status(): DaemonStatus;
  /** Runs a hook command (beacon hooks). */
  readonly spawnHook: HookSpawner;
  /** Environment every hook gets besides DISCO_* (PATH and the like). */
  readonly hookEnv: Readonly<Record<string, string>>;
}

/**
 * Why a task's signal aborted: `signal.reason` is one of these. A task replaced by a newer one of the same
 * capability (a reload) skips its goodbye, so peers see the newer one continue.
 */
export type StopReason = "shutdown" | "replaced" | "removed";

/** A task whose resources are acquired (sockets bound, lines open), ready to run. */
export interface Prepared<S = unknown> {
  /**
   * Runs until the signal aborts (`signal.reason` is a {@link StopReason}); resolving before that, or
   * rejecting, is a failure the supervisor restarts with backoff.
   */
  run(options: { signal: AbortSignal }): Promise<void>;
  /**
   * Stages an in-place change to a new slice of this capability (a self-description change: services,
   * GPIO names, the metrics endpoint; collector settings). Nothing may change before the returned commit is
   * called, and the commit must not fail.
   * @returns the commit, or undefined when the change needs a new task
   * @throws when the new slice cannot work at all (the reload is refused with this error)
   */
  update?(next: S): Promise<(() => void) | undefined>;
  /** Counters for `disco status` (plain JSON). */
  counters?(): Readonly<Record<string, unknown>>;
  /** Releases what `prepare` acquired; idempotent; called after `run` ends or when it never ran. */
  close(): Promise<void>;
}

/**
 * One capability: its config slice, and how a slice becomes a task.
 * @example
 * const echo: Builder<{ port: number }> = {
 *   name: "echo",
 *   slice: (input) => (input.config.echo.enabled ? { port: input.config.echo.port } : undefined),
 *   conflicts: (a, b) => a.port === b.port,
 *   async prepare(slice, ctx) {
 *     const socket = await openUdp({ port: slice.port }); // binding fails here, before anything stops
 *     return { run: ({ signal }) => serveEcho(socket, signal), close: () => socket.close() };
 *   },
 * };
 */
/** How {@link Builder.prepare} is called: for a start (or a restart after a failure), or for a reload. */
export interface PrepareMode {
  readonly reload: boolean;
}

export interface Builder<S = unknown> {
  /** The task's name in logs and status ("discovery", "beacons", ...). */
  readonly name: string;
  /**
   * The part of the input this capability depends on (plain data, compared structurally across reloads:
   * equal slices mean the task carries over untouched).
   * @returns the slice, or undefined when the capability is disabled
   */
  slice(input: DaemonInput): S | undefined;
  /**
   * Whether a new task for `next` needs what the running one for `old` holds (the same TCP port, the same
   * GPIO lines): then a reload stops the old task first and, if the new one cannot be prepared, restarts the
   * old one. @default never
   */
  conflicts?(old: S, next: S): boolean;
  /**
   * Does everything that can fail: keys, interfaces, binding sockets, opening lines.
   * @param how `reload: true` when this prepares a reload's new generation: what a start would accept in
   *   part (some GPIO lines open, others not) is then refused, so the running generation stays
   * @throws anything: a reload is refused with the error's message, a start puts the task in backoff
   */
  prepare(slice: S, ctx: DaemonContext, how?: PrepareMode): Promise<Prepared<S>>;
}
