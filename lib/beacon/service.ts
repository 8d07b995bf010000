/**
 * Beacons as one task from loose options: {@link prepareBeacons} then its run, for the commands that hold
 * no settings object (`disco hosts --announce`, `broadcast`, `metrics --receive`) and tests.
 */
import type { Keyring } from "../crypto/index.ts";
import type { OpenUdp } from "../net/index.ts";
import { prepareBeacons, type BeaconSettings, type BeaconTaskCallbacks } from "./build.ts";
import type { BeaconFormat, SelfDescription } from "./builder.ts";
import type { BeaconCounters } from "./counters.ts";
import type { HookSpec } from "./hooks.ts";
import { MembershipTable, type Clock } from "./membership.ts";

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
  const table = o.table ?? new MembershipTable(o.clock ? { clock: o.clock } : {});
  const settings: BeaconSettings = {
    port: o.port ?? 9000,
    listen: o.listen ?? "0.0.0.0",
    intervalMs: o.intervalMs,
    format: o.format ?? "disco.py",
    targets: o.targets,
    self: o.self,
    channelId: o.channelId,
    ...(o.keyring && { keyring: o.keyring }),
    acceptUnsealed: o.acceptUnsealed ?? true,
    goodbye: o.goodbye ?? true,
    // 10 s: BeaconIngest's default for py-vault-multicast, which announces no interval.
    ...(o.vault && { vault: { ...o.vault, intervalMs: o.vault.intervalMs ?? 10_000 } }),
    hooks: o.hooks ?? [],
    membership: { suspectAfter: 1, failedAfter: 3, forgetAfterMs: 600_000 }, // unused: the table is given
  };
  await using beacons = await prepareBeacons(settings, {
    ...o,
    send: o.send !== false,
    table,
    runHooks: true,
    // As the interval ticker this replaced: at least one check every 100 ms.
    tickMs: 100,
  });
  o.onReady?.({ port: beacons.port });
  await beacons.run({ signal: o.signal });
}
