import { IPV4_PATTERN } from "../net/index.ts";
import type { Section } from "./_schema.ts";

/** Membership events a hook can run on. */
export type BeaconHookEvent = "join" | "update" | "suspect" | "leave" | "failed";

const HOOK_EVENTS: readonly BeaconHookEvent[] = ["join", "update", "suspect", "leave", "failed"];
const MULTICAST = /^(22[4-9]|23\d)\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** `[[beacon.hooks]]`: a command run on membership events. */
export interface BeaconHookConfig {
  /** A shell command line (run with /bin/sh -c) or an argv list. */
  readonly command: string | readonly string[];
  /** Events that run it; empty = every event. @default [] */
  readonly events: readonly BeaconHookEvent[];
  /** Killed after this long, in ms. @default 10000 */
  readonly timeoutMs: number;
}

/** `[beacon.vault]`: listening for py-vault-multicast announcements. */
export interface BeaconVaultConfig {
  /** @default false */
  readonly enabled: boolean;
  /** @default "224.1.1.1" */
  readonly group: string;
  /** @default 5004 */
  readonly port: number;
  /** Local address of the interface to join the group on (default: the kernel's choice). */
  readonly interface?: string;
  /** Expected announcement interval, in ms (a service fails after 3 missed). @default 10000 */
  readonly intervalMs: number;
}

/** `[beacon]`: disco.py-compatible beacons and live membership. */
export interface BeaconConfig {
  /** Run beacons under `disco run`. @default false */
  readonly enabled: boolean;
  /** UDP port. @default 9000 */
  readonly port: number;
  /** Address the receivers bind (beacons, and the vault listener's group on its interface). @default "0.0.0.0" */
  readonly listen: string;
  /** Beacon interval in ms (disco.py's `--delay`). @default 15000 */
  readonly intervalMs: number;
  /** Interfaces to beacon on; empty = every up, non-loopback IPv4 interface (unless `broadcast` is set). */
  readonly interfaces: readonly string[];
  /** Explicit destinations, e.g. "127.255.255.255"; when set without `interfaces`, only these are used. */
  readonly broadcast: readonly string[];
  /** Wire format: "disco.py" (plain text, the default) or "json" (rich, sealed when a key is set). */
  readonly format: "disco.py" | "json";
  /** Missed intervals before a host is suspect. @default 2 */
  readonly suspectAfter: number;
  /** Missed intervals before a host is failed. @default 3 */
  readonly failedAfter: number;
  /** How long a failed host stays listed, in ms. @default 600000 */
  readonly forgetAfterMs: number;
  /** Most hosts the membership table holds (a newcomer is always admitted, evicting another). @default 4096 */
  readonly maxHosts: number;
  /** Names unsealed beacons from one source address may hold in the table. @default 16 */
  readonly maxNamesPerAddress: number;
  /** Longest interval an unsealed beacon may announce (or its learned pace may reach), in ms. @default 300000 */
  readonly maxUnsealedIntervalMs: number;
  /** Send a goodbye on clean shutdown. @default true */
  readonly goodbye: boolean;
  /**
   * Accept disco.py and unsealed rich beacons. Default: true, except false when format = "json" and a
   * discovery key or password is set (then only sealed beacons count).
   */
  readonly acceptUnsealed?: boolean;
  readonly vault: BeaconVaultConfig;
  readonly hooks: readonly BeaconHookConfig[];
}

/** Reads and validates `[beacon]`. */
export function readBeacon(s: Section): BeaconConfig {
  const enabled = s.bool("enabled", { default: false });
  const port = s.int("port", { default: 9000, min: 1, max: 65535 });
  const listen = s.string("listen", { default: "0.0.0.0", pattern: IPV4_PATTERN, patternText: "an IPv4 address such as 0.0.0.0" });
  const interval = s.durationMs("interval", { minMs: 100, maxMs: 86_400_000 });
  const delay = s.durationMs("delay", { minMs: 100, maxMs: 86_400_000 });
  if (interval !== undefined && delay !== undefined) s.problem("delay", "set either interval or delay (the same setting), not both");
  const intervalMs = interval ?? delay ?? 15_000;
  const interfaces = s.strings("interfaces", { default: [] });
  const broadcast = s.strings("broadcast", { default: [] });
  broadcast.forEach((a, i) => {
    if (!IPV4_PATTERN.test(a)) s.problem(`broadcast[${i}]`, `expected an IPv4 address such as "127.255.255.255", got ${JSON.stringify(a)}`);
  });
  const format = s.string("format", { default: "disco.py", oneOf: ["disco.py", "json"] }) as BeaconConfig["format"];
  const suspectAfter = s.int("suspect_after", { default: 2, min: 1, max: 1000 });
  const failedAfter = s.int("failed_after", { default: 3, min: 1, max: 1000 });
  if (failedAfter < suspectAfter) s.problem("failed_after", `must be at least suspect_after (${suspectAfter}), got ${failedAfter}`);
  const forgetAfterMs = s.durationMs("forget_after", { default: 600_000, minMs: 0 });
  const maxHosts = s.int("max_hosts", { default: 4096, min: 1, max: 1_000_000 });
  const maxNamesPerAddress = s.int("max_names_per_address", { default: 16, min: 1, max: 65_536 });
  const maxUnsealedIntervalMs = s.durationMs("max_unsealed_interval", { default: 300_000, minMs: 100, maxMs: 86_400_000 });
  const goodbye = s.bool("goodbye", { default: true });
  const acceptUnsealed = s.bool("accept_unsealed");

  const v = s.table("vault");
  const vaultInterface = v.string("interface", { pattern: IPV4_PATTERN, patternText: "the IPv4 address of a local interface, e.g. 127.0.0.1" });
  const vault: BeaconVaultConfig = {
    enabled: v.bool("enabled", { default: false }),
    group: v.string("group", { default: "224.1.1.1", pattern: MULTICAST, patternText: "an IPv4 multicast address (224.0.0.0 to 239.255.255.255)" }),
    port: v.int("port", { default: 5004, min: 1, max: 65535 }),
    ...(vaultInterface !== undefined && { interface: vaultInterface }),
    intervalMs: v.durationMs("interval", { default: 10_000, minMs: 100 }),
  };
  v.done();

  const hooks: BeaconHookConfig[] = [];
  for (const h of s.tables("hooks")) {
    let command: string | readonly string[] | undefined;
    const raw = h.accept("command");
    if (typeof raw === "string" && raw.trim().length > 0) command = raw;
    else if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === "string")) command = raw as string[];
    else h.problem("command", raw === undefined ? "is required (a shell command line, or a list such as [\"/usr/local/bin/on-join\", \"--verbose\"])" : "expected a command line or a non-empty list of strings");
    const events = h.strings("events", { default: [] });
    events.forEach((e, i) => {
      if (!HOOK_EVENTS.includes(e as BeaconHookEvent)) h.problem(`events[${i}]`, `expected one of ${HOOK_EVENTS.join(", ")}, got ${JSON.stringify(e)}`);
    });
    const timeoutMs = h.durationMs("timeout", { default: 10_000, minMs: 10 });
    h.done();
    if (command !== undefined) hooks.push({ command, events: events.filter((e): e is BeaconHookEvent => HOOK_EVENTS.includes(e as BeaconHookEvent)), timeoutMs });
  }
  s.done();
  return {
    enabled,
    port,
    listen,
    intervalMs,
    interfaces,
    broadcast,
    format,
    suspectAfter,
    failedAfter,
    forgetAfterMs,
    maxHosts,
    maxNamesPerAddress,
    maxUnsealedIntervalMs,
    goodbye,
    ...(acceptUnsealed !== undefined && { acceptUnsealed }),
    vault,
    hooks,
  };
}
