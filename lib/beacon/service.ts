/**
 * Beacons as one task: a sender, a receiver feeding a membership table, the ticker that ages hosts, and
 * hooks — what `disco hosts --announce` and the daemon run. Sockets come from an injectable opener.
 */
import type { Keyring } from "../crypto/index.ts";
import { createBeaconBuilder, type BeaconFormat, type SelfDescription } from "./builder.ts";
import { BeaconCounters } from "./counters.ts";
import type { DropReason, BeaconFrameError } from "./errors.ts";
import { HookRunner, type HookSpawner, type HookSpec, type HookOutcome } from "./hooks.ts";
import { MembershipTable, type Clock } from "./membership.ts";
import { BeaconIngest, runBeaconReceiver, runMembershipTicker, type ReceivedBeacon } from "./receiver.ts";
import { runBeaconSender } from "./sender.ts";
import { openUdp, type OpenUdp } from "../net/index.ts";
import { openBeaconSockets } from "./sockets.ts";
import type { MembershipEvent } from "./types.ts";

/** What both {@link runBeaconService} and prepareBeacons let the caller plug in: the hook spawner and the event callbacks. */
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

/** Options for {@link runBeaconService}. */
export interface BeaconServiceOptions extends BeaconTaskCallbacks {
  signal: AbortSignal;
  /** UDP port of beacons. @default 9000 */
  port?: number;
  /** Address the receiver binds. @default "0.0.0.0" */
  listen?: string;
  /** Send beacons (false: only listen). @default true */
  send?: boolean;
  /** Beacon destinations (see resolveTargets). */
  targets: readonly string[];
  intervalMs: number;
  /** @default "disco.py" */
  format?: BeaconFormat;
  self: SelfDescription;
  channelId: Uint8Array;
  keyring?: Keyring;
  /** @default true */
  acceptUnsealed?: boolean;
  /** @default true */
  goodbye?: boolean;
  /** py-vault-multicast listening: group, port and the local address to join on. */
  vault?: { group: string; port: number; interface?: string; intervalMs?: number };
  table?: MembershipTable;
  counters?: BeaconCounters;
  hooks?: readonly HookSpec[];
  /** Called once the sockets are bound (tests wait for it). */
  onReady?: (info: { port: number }) => void;
  clock?: Clock;
  /** @default openUdp */
  openUdp?: OpenUdp;
}

/**
 * Runs beacons until the signal aborts, then sends the goodbye and closes the sockets.
 * @throws {NetError} when a socket cannot be opened
 */
export async function runBeaconService(o: BeaconServiceOptions): Promise<void> {
  const open = o.openUdp ?? openUdp;
  const table = o.table ?? new MembershipTable(o.clock ? { clock: o.clock } : {});
  const counters = o.counters ?? new BeaconCounters();
  const builder = await createBeaconBuilder({
    format: o.format ?? "disco.py",
    self: o.self,
    intervalMs: o.intervalMs,
    channelId: o.channelId,
    ...(o.keyring && { keyring: o.keyring }),
  });
  // hearInterface: a unicast listen address still hears the beacons broadcast on its interface.
  const { rx, vaultRx, tx, close } = await openBeaconSockets(open, {
    port: o.port ?? 9000,
    listen: o.listen ?? "0.0.0.0",
    hearInterface: true,
    ...(o.vault && { vault: o.vault }),
    send: o.send !== false,
    counters,
  });
  try {
    const ingest = new BeaconIngest({
      channelId: o.channelId,
      ...(o.keyring && { keyring: o.keyring }),
      acceptUnsealed: o.acceptUnsealed ?? true,
      defaultIntervalMs: o.intervalMs,
      ...(o.vault?.intervalMs !== undefined && { vaultIntervalMs: o.vault.intervalMs }),
      table,
      counters,
      ...(o.onDrop && { onDrop: o.onDrop }),
    });
    const hooks = createHookRunner(o.hooks ?? [], o);
    // Hooks stop taking events when the receiver stops, but still see the goodbye-time events before that.
    const hookStop = new AbortController();
    const hookTask = hooks?.run(table.subscribe({ signal: hookStop.signal }));
    o.onReady?.({ port: rx.port });
    const tasks: Promise<void>[] = [
      runBeaconReceiver({ signal: o.signal, datagrams: rx.batches(), ...(vaultRx && { vault: vaultRx }), ingest, ...(o.onBeacon && { onBeacon: o.onBeacon }) }),
      runMembershipTicker({ signal: o.signal, table }),
    ];
    if (tx) {
      tasks.push(
        runBeaconSender({
          signal: o.signal,
          socket: tx,
          builder,
          targets: o.targets,
          port: o.port ?? 9000,
          intervalMs: o.intervalMs,
          goodbye: o.goodbye ?? true,
          counters,
          ...(o.onSendError && { onError: o.onSendError }),
        }),
      );
    }
    await Promise.all(tasks);
    hookStop.abort();
    await hookTask;
  } finally {
    await close();
  }
}
