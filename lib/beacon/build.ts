/**
 * The one place the beacon capability is built from its config slice and the fleet's raw keys: settings
 * ({@link resolveBeaconSettings}: targets, self-description, keyring), then {@link prepareBeacons}, which
 * binds every socket before anything runs and returns a task that can change its self-description in
 * place (peers see one `update`) and continues a long-lived {@link BeaconIdentity} (boot id + sequence),
 * so a daemon that replaces the task on reload is never seen to leave and join. `disco run`, `disco hosts`,
 * `disco broadcast` and `disco metrics --receive` all build their beacons here.
 */
import type { BeaconConfig, DiscoConfig, DiscoveryConfig } from "../config/index.ts";
import { createKeyring, deriveChannelId, type Keyring } from "../crypto/index.ts";
import { openUdp, type OpenUdp } from "../net/index.ts";
import { checkSelfDescription, encodeBeacon, randomBootId, type BeaconBuilder, type BeaconFormat, type SelfDescription } from "./builder.ts";
import { BeaconCounters } from "./counters.ts";
import { BeaconError, type BeaconFrameError, type DropReason } from "./errors.ts";
import { HookRunner, type HookOutcome, type HookSpawner, type HookSpec } from "./hooks.ts";
import { MembershipTable, type MembershipSettings } from "./membership.ts";
import { BeaconIngest, runBeaconReceiver, type ReceivedBeacon } from "./receiver.ts";
import { runBeaconSender } from "./sender.ts";
import { openBeaconSockets } from "./sockets.ts";
import { resolveTargets } from "./targets.ts";
import type { MembershipEvent } from "./types.ts";

/** The membership table's times and limits from `[beacon]` (the daemon's table, and each command's). */
export function membershipOptionsOf(b: BeaconConfig): MembershipSettings {
  return {
    suspectAfter: b.suspectAfter,
    failedAfter: b.failedAfter,
    forgetAfterMs: b.forgetAfterMs,
    maxHosts: b.maxHosts,
    maxNamesPerAddress: b.maxNamesPerAddress,
    maxUnsealedIntervalMs: b.maxUnsealedIntervalMs,
  };
}

/** Everything beacons need but their sockets: the config's `[beacon]` with overrides applied, resolved. */
export interface BeaconSettings {
  readonly port: number;
  /** Address the receiver binds. */
  readonly listen: string;
  readonly intervalMs: number;
  readonly format: BeaconFormat;
  /** Send destinations (empty when only listening). */
  readonly targets: readonly string[];
  readonly self: SelfDescription;
  readonly channelId: Uint8Array;
  readonly keyring?: Keyring;
  readonly acceptUnsealed: boolean;
  /** Send a goodbye on a clean stop (when sending). */
  readonly goodbye: boolean;
  readonly vault?: { readonly group: string; readonly port: number; readonly interface?: string; readonly intervalMs: number };
  readonly hooks: readonly HookSpec[];
  /** The membership table's thresholds. */
  readonly membership: MembershipSettings;
}

/** What {@link resolveBeaconSettings} takes besides the config. */
export interface BeaconSettingsOptions {
  /** This host's name. */
  host: string;
  /** Version announced in rich beacons. */
  version: string;
  /** The fleet's raw 32-byte keys (collectRawKeys); empty: unsealed. */
  rawKeys: readonly Uint8Array<ArrayBuffer>[];
  /** Resolve send targets from `interfaces` / `broadcast` (fails on an unknown interface). @default true */
  needTargets?: boolean;
  /** Overrides of `[beacon]` (command-line flags). */
  port?: number;
  intervalMs?: number;
  format?: BeaconFormat;
  /** Interfaces and explicit targets replacing the config's (`-i`, `--to`). */
  interfaces?: readonly string[];
  broadcast?: readonly string[];
  /**
   * What else this host offers, for rich beacons, given its first LAN address (or undefined): the metrics
   * endpoint and the GPIO line names.
   */
  offers?: (address: string | undefined) => { metricsEndpoint?: string; gpio?: readonly string[]; httpEndpoint?: string };
}

/**
 * Resolves `[beacon]` (with overrides) and the keys into settings.
 * @throws {NetError} on an interface that does not exist
 * @throws {BeaconError} when there is nothing to send to although targets are needed
 */
export async function resolveBeaconSettings(config: BeaconConfigSlice, o: BeaconSettingsOptions): Promise<BeaconSettings> {
  const b: BeaconConfig = config.beacon;
  const format = o.format ?? b.format;
  const interfaces = o.interfaces ?? (o.broadcast ? [] : b.interfaces);
  const explicit = o.broadcast ?? (o.interfaces ? [] : b.broadcast);
  const needTargets = o.needTargets ?? true;
  const resolved = needTargets ? resolveTargets(interfaces, explicit) : { targets: [], addresses: [] };
  if (needTargets && resolved.targets.length === 0) {
    throw new BeaconError("no interface to beacon on: no up, non-loopback IPv4 interface was found; name one ([beacon] interfaces, -i) or give a broadcast address such as 127.255.255.255");
  }
  const keyring = o.rawKeys.length > 0 ? await createKeyring(o.rawKeys, "beacon") : undefined;
  const offers = o.offers?.(resolved.addresses[0]) ?? {};
  const self: SelfDescription = {
    host: o.host,
    addresses: resolved.addresses,
    version: o.version,
    services: config.services,
    ...(offers.metricsEndpoint !== undefined && { metricsEndpoint: offers.metricsEndpoint }),
    ...(offers.gpio !== undefined && offers.gpio.length > 0 && { gpio: offers.gpio }),
    ...(offers.httpEndpoint !== undefined && { httpEndpoint: offers.httpEndpoint }),
  };
  return {
    port: o.port ?? b.port,
    listen: b.listen,
    intervalMs: o.intervalMs ?? b.intervalMs,
    format,
    targets: resolved.targets,
    self,
    channelId: await deriveChannelId(config.discovery.magic),
    ...(keyring && { keyring }),
    acceptUnsealed: b.acceptUnsealed ?? !(keyring && format === "json"),
    goodbye: b.goodbye,
    ...(b.vault.enabled && { vault: { group: b.vault.group, port: b.vault.port, ...(b.vault.interface && { interface: b.vault.interface }), intervalMs: b.vault.intervalMs } }),
    hooks: b.hooks,
    membership: membershipOptionsOf(b),
  };
}

/** The parts of the config beacons read: `[beacon]`, `[services]` and the channel's magic. */
export type BeaconConfigSlice = Pick<DiscoConfig, "beacon" | "services"> & { readonly discovery: Pick<DiscoveryConfig, "magic"> };

/** A sender's long-lived identity: rich beacons carry its boot id and a sequence number that only grows. */
export interface BeaconIdentity {
  readonly boot: string;
  /** The next sequence number (each call returns a larger one). */
  nextSeq(): number;
}

/** A fresh identity: a random boot id, sequence from 0 (what a one-shot command uses). */
export function createBeaconIdentity(boot: string = randomBootId(), firstSeq = 0): BeaconIdentity {
  let seq = firstSeq;
  return { boot, nextSeq: () => seq++ };
}

/** A {@link BeaconBuilder} whose self-description can change between beacons. */
export interface LiveBeaconBuilder extends BeaconBuilder {
  /**
   * Checks a new self-description; the returned function switches to it (from the next beacon on).
   * @throws {BeaconError} when a rich beacon would no longer fit in one datagram (nothing changes then)
   */
  stageSelf(self: SelfDescription): Promise<() => void>;
}

/** Options for {@link createLiveBeaconBuilder}. */
export interface LiveBeaconBuilderOptions {
  format: BeaconFormat;
  self: SelfDescription;
  intervalMs: number;
  channelId: Uint8Array;
  keyring?: Keyring;
  identity: BeaconIdentity;
  /** Wall clock in unix ms. @default Date.now */
  unixNowMs?: () => number;
}

/**
 * A beacon builder over a long-lived identity, whose self-description can be replaced.
 * @throws {BeaconError} when the first rich beacon would not fit in one datagram
 * @throws {RangeError} when the host name has white space
 */
export async function createLiveBeaconBuilder(o: LiveBeaconBuilderOptions): Promise<LiveBeaconBuilder> {
  const encoding = { format: o.format, boot: o.identity.boot, intervalMs: o.intervalMs, channelId: o.channelId, ...(o.keyring && { keyring: o.keyring }), unixNowMs: o.unixNowMs ?? Date.now };
  const encode = (self: SelfDescription, seq: number, bye: boolean) => encodeBeacon(self, { ...encoding, seq, bye });
  const check = (self: SelfDescription) => checkSelfDescription(self, o.format, (s) => encode(s, Number.MAX_SAFE_INTEGER, true));
  await check(o.self);
  let self = o.self;
  return {
    format: o.format,
    boot: o.identity.boot,
    build: async (bye = false) => encode(self, o.format === "json" ? o.identity.nextSeq() : 0, bye),
    stageSelf: async (next) => {
      await check(next);
      return () => void (self = next);
    },
  };
}

/** What both runBeaconService and {@link prepareBeacons} let the caller plug in: the hook spawner and the event callbacks. */
export interface BeaconTaskCallbacks {
  spawnHook?: HookSpawner;
  /** Environment every hook gets besides DISCO_* (e.g. PATH). */
  hookBaseEnv?: Readonly<Record<string, string>>;
  onHookOutcome?: (spec: HookSpec, event: MembershipEvent, outcome: HookOutcome | Error) => void;
  onBeacon?: (b: ReceivedBeacon) => void;
  onDrop?: (reason: DropReason, from: string, error: BeaconFrameError) => void;
  onSendError?: (target: string, error: unknown) => void;
}

/** A runner of `hooks` with the callbacks' spawner, or undefined when there are no hooks or no spawner. */
export function createHookRunner(hooks: readonly HookSpec[], o: BeaconTaskCallbacks): HookRunner | undefined {
  if (hooks.length === 0 || !o.spawnHook) return undefined;
  return new HookRunner({ hooks, spawn: o.spawnHook, ...(o.hookBaseEnv && { baseEnv: o.hookBaseEnv }), ...(o.onHookOutcome && { onOutcome: o.onHookOutcome }) });
}

/** What {@link prepareBeacons} takes besides the settings. */
export interface PrepareBeaconsOptions extends BeaconTaskCallbacks {
  /** Send beacons (false: only listen). @default true */
  send?: boolean;
  /** The table to fill; a long-lived one survives a replaced task. @default a new one from the settings */
  table?: MembershipTable;
  /** @default a fresh identity */
  identity?: BeaconIdentity;
  /** @default new BeaconCounters() */
  counters?: BeaconCounters;
  /** Run the settings' hooks (only the daemon and `hosts --announce` do). @default false */
  runHooks?: boolean;
  onSent?: (target: string, data: Uint8Array) => void;
  /**
   * Longest wait of the membership ticker between checks, in ms: it otherwise sleeps until the next host
   * is due to change state, woken early when a host joins or changes (its deadline may be sooner). @default 60000
   */
  tickMs?: number;
  /** @default openUdp */
  openUdp?: OpenUdp;
}

/** Beacons with their sockets bound, not yet running. */
export interface PreparedBeacons extends AsyncDisposable {
  /** The bound receive port. */
  readonly port: number;
  readonly table: MembershipTable;
  readonly counters: BeaconCounters;
  /** The hooks' counters, when hooks run. */
  readonly hooks?: HookRunner;
  /**
   * Runs until the signal aborts, then sends the goodbye when `goodbye()` says so (a task replaced by a newer
   * one with the same identity says no) and closes the sockets.
   */
  run(options: { signal: AbortSignal; goodbye?: () => boolean }): Promise<void>;
  /** {@link LiveBeaconBuilder.stageSelf} of the sender. */
  stageSelf(self: SelfDescription): Promise<() => void>;
  /** Closes the sockets (idempotent; after `run` or instead of it). */
  close(): Promise<void>;
}

/**
 * Binds the beacon sockets (receiver, py-vault-multicast listener, sender) and checks the first beacon.
 * @throws {NetError} when a socket cannot be bound or a group joined
 * @throws {BeaconError} when a rich beacon would not fit in one datagram
 */
export async function prepareBeacons(s: BeaconSettings, o: PrepareBeaconsOptions = {}): Promise<PreparedBeacons> {
  const open = o.openUdp ?? openUdp;
  const table = o.table ?? new MembershipTable(s.membership);
  const counters = o.counters ?? new BeaconCounters();
  const builder = await createLiveBeaconBuilder({
    format: s.format,
    self: s.self,
    intervalMs: s.intervalMs,
    channelId: s.channelId,
    ...(s.keyring && { keyring: s.keyring }),
    identity: o.identity ?? createBeaconIdentity(),
  });
  const { rx, vaultRx, tx, close } = await openBeaconSockets(open, {
    port: s.port,
    listen: s.listen,
    // A unicast listen address still hears the beacons broadcast on its interface.
    hearInterface: true,
    ...(s.vault && { vault: s.vault }),
    send: o.send ?? true,
    counters,
  });
  const hooks = o.runHooks ? createHookRunner(s.hooks, o) : undefined;
  const run = async ({ signal, goodbye }: { signal: AbortSignal; goodbye?: () => boolean }): Promise<void> => {
    try {
      const ingest = new BeaconIngest({
        channelId: s.channelId,
        ...(s.keyring && { keyring: s.keyring }),
        acceptUnsealed: s.acceptUnsealed,
        defaultIntervalMs: s.intervalMs,
        ...(s.vault && { vaultIntervalMs: s.vault.intervalMs }),
        table,
        counters,
        ...(o.onDrop && { onDrop: o.onDrop }),
      });
      // Hooks see the events up to the receiver's end (goodbye-time events included).
      const hookStop = new AbortController();
      const hookTask = hooks?.run(table.subscribe({ signal: hookStop.signal }));
      const tasks: Promise<void>[] = [
        runBeaconReceiver({ signal, datagrams: rx.batches(), ...(vaultRx && { vault: vaultRx }), ingest, ...(o.onBeacon && { onBeacon: o.onBeacon }) }),
        runDeadlineTicker(table, { signal, capMs: o.tickMs ?? 60_000 }),
      ];
      if (tx) {
        tasks.push(
          runBeaconSender({
            signal,
            socket: tx,
            builder,
            targets: s.targets,
            port: s.port,
            intervalMs: s.intervalMs,
            goodbye: () => s.goodbye && (goodbye?.() ?? true),
            counters,
            ...(o.onSendError && { onError: o.onSendError }),
            ...(o.onSent && { onSent: o.onSent }),
          }),
        );
      }
      await Promise.all(tasks);
      hookStop.abort();
      await hookTask;
    } finally {
      await close();
    }
  };
  return {
    port: rx.port,
    table,
    counters,
    ...(hooks && { hooks }),
    run,
    stageSelf: (self) => builder.stageSelf(self),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Options of {@link runDeadlineTicker}. */
export interface DeadlineTickerOptions {
  readonly signal: AbortSignal;
  /** Longest sleep between ticks, in ms. @default 60000 */
  readonly capMs?: number;
  /** What it sleeps on (a fake clock in tests). @default setTimeout / clearTimeout */
  readonly timer?: { set(wake: () => void, ms: number): unknown; clear(handle: unknown): void };
}

const REAL_TIMER: NonNullable<DeadlineTickerOptions["timer"]> = {
  set: (wake, ms) => setTimeout(wake, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Ages the table: sleeps until the next host is due to change state (at most `capMs`), waking early on a
 * join or update, whose deadline may be sooner. At idle that is one wake-up per beacon round, not ten a
 * second — the difference between invisible and measurable on a Pi Zero. Each sleep is its own promise,
 * released with its timer and abort listener when it ends, and one reader follows the table's events for
 * the whole run: nothing is added per tick (racing a long-lived "changed" promise on every tick added a
 * reaction each time that was never released, forever once the table's subscription had ended).
 * @param table the table to age
 * @returns when the signal aborts
 */
export async function runDeadlineTicker(table: MembershipTable, options: DeadlineTickerOptions): Promise<void> {
  const { signal } = options;
  const capMs = options.capMs ?? 60_000;
  const timer = options.timer ?? REAL_TIMER;
  let changed = false;
  let wake: (() => void) | undefined;
  const events = table.subscribe({ signal });
  const watching = (async () => {
    for await (const _ of events) {
      changed = true;
      wake?.();
    }
  })();
  try {
    while (!signal.aborted) {
      if (!changed) {
        const waitMs = Math.max(1, Math.min(capMs, table.msUntilNextChange() ?? capMs));
        await new Promise<void>((resolve) => {
          const done = (): void => {
            timer.clear(handle);
            signal.removeEventListener("abort", done);
            wake = undefined;
            resolve();
          };
          const handle = timer.set(done, waitMs);
          signal.addEventListener("abort", done, { once: true });
          wake = done;
        });
      }
      if (signal.aborted) break;
      if (changed) {
        changed = false;
        continue;
      }
      table.tick();
    }
  } finally {
    await events.return?.();
    await watching;
  }
}
