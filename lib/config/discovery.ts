import { IPV4_PATTERN } from "../net/index.ts";
import type { Section } from "./_schema.ts";

/** `[discovery]`: the query/answer protocol of `disco-server` / `disco-client`. */
export interface DiscoveryConfig {
  /** Whether `disco run` answers discovery queries. @default true */
  readonly enabled: boolean;
  /** The shared channel name; never sent in clear (frames carry a channel id derived from it). @default "disco" */
  readonly magic: string;
  /** Password for PBKDF2 key derivation. Prefer `passwordFile`. */
  readonly password?: string;
  /** File whose first line is the password (read by the CLI). */
  readonly passwordFile?: string;
  /** Raw 32-byte keys as printed by `disco keygen` (base64 or 64 hex digits); the first seals. */
  readonly keys: readonly string[];
  /** File with one key per line (read by the CLI); its keys come after `keys`. */
  readonly keyFile?: string;
  /** UDP port. @default 40000 */
  readonly port: number;
  /** Address the server binds. @default "0.0.0.0" */
  readonly listen: string;
  /** Interfaces the client queries (their broadcast addresses); empty = every up, non-loopback IPv4 interface. */
  readonly interfaces: readonly string[];
  /** Extra broadcast/unicast addresses the client queries, e.g. "127.255.255.255" on loopback. */
  readonly broadcast: readonly string[];
  /** Multicast group the server joins and the client also queries. */
  readonly multicastGroup?: string;
  /** Local address used for multicast (outgoing interface and membership). */
  readonly multicastInterface?: string;
  /** Silence for anything unauthenticated. @default true */
  readonly hidden: boolean;
  /** Answers per second allowed to one source address. @default 10 */
  readonly rateLimitPerSec: number;
  /** Burst allowance per source. @default 20 */
  readonly rateBurst: number;
  /** Failed decrypt attempts per second for strangers in all (sources that authenticated lately have their own bucket of this size). @default 20000 */
  readonly decryptBudget: number;
  /** Failed decrypt attempts per second from one source address. @default 500 */
  readonly decryptBudgetPerAddress: number;
  /** How long the client collects answers, in ms. @default 2000 */
  readonly timeoutMs: number;
  /** Queries older or newer than this (by the sender's clock) are dropped, in ms. @default 30000 */
  readonly maxSkewMs: number;
  /** PyDiscover wire compatibility (insecure); also makes {@link PYDISCOVER_DEFAULTS} the defaults. @default false */
  readonly legacy: boolean;
  /** Which of `magic`, `port` and `timeout` the file set, so `--legacy` on the command line knows which defaults to swap. */
  readonly explicitKeys: readonly LegacyDefaultKey[];
}

/** The settings whose defaults differ under legacy (PyDiscover) mode. */
export type LegacyDefaultKey = "magic" | "port" | "timeout";

/** disco's own defaults for {@link LegacyDefaultKey}. */
export const DISCO_DEFAULTS = { magic: "disco", port: 40000, timeoutMs: 2000 } as const;

/**
 * PyDiscover's own defaults (its server and client: port 50000, magic "fna349fn", the client waits 5 s):
 * the defaults under legacy mode, so `disco-server --legacy` and `disco-client --legacy` are drop-ins for a
 * fleet of stock PyDiscover peers.
 */
export const PYDISCOVER_DEFAULTS = { magic: "fna349fn", port: 50000, timeoutMs: 5000 } as const;

const KEY_TEXT = /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=|[A-Za-z0-9_-]{43})$/;

/** The largest `max_skew`: 5 minutes. */
export const MAX_SKEW_MS = 300_000;

/** Reads and validates `[discovery]`. */
export function readDiscovery(s: Section): DiscoveryConfig {
  const enabled = s.bool("enabled", { default: true });
  const legacy = s.bool("legacy", { default: false });
  const defaults = legacy ? PYDISCOVER_DEFAULTS : DISCO_DEFAULTS;
  const explicitKeys = (["magic", "port", "timeout"] as const).filter((k) => s.has(k));
  const magic = s.string("magic", { default: defaults.magic, nonEmpty: true });
  const password = s.string("password", { nonEmpty: true });
  const passwordFile = s.string("password_file", { nonEmpty: true });
  const key = s.string("key", { pattern: KEY_TEXT, patternText: "a key from 'disco keygen' (44 base64 characters or 64 hex digits)" });
  const keys = s.strings("keys", { default: [] });
  keys.forEach((k, i) => {
    if (!KEY_TEXT.test(k)) s.problem(`keys[${i}]`, `expected a key from 'disco keygen' (44 base64 characters or 64 hex digits), got ${k.length} characters`);
  });
  const keyFile = s.string("key_file", { nonEmpty: true });
  const secrets = [password, passwordFile].filter((x) => x !== undefined).length;
  if (secrets > 1) s.problem("password_file", "set either password or password_file, not both");
  const port = s.int("port", { default: defaults.port, min: 1, max: 65535 });
  const listen = s.string("listen", { default: "0.0.0.0", pattern: IPV4_PATTERN, patternText: "an IPv4 address such as 0.0.0.0" });
  const interfaces = s.strings("interfaces", { default: [] });
  const broadcast = s.strings("broadcast", { default: [] });
  broadcast.forEach((a, i) => {
    if (!IPV4_PATTERN.test(a)) s.problem(`broadcast[${i}]`, `expected an IPv4 address, got ${JSON.stringify(a)}`);
  });
  const multicastGroup = s.string("multicast_group", { pattern: /^(22[4-9]|23\d)\.\d+\.\d+\.\d+$/, patternText: "an IPv4 multicast address (224.0.0.0 to 239.255.255.255)" });
  const multicastInterface = s.string("multicast_interface", { pattern: IPV4_PATTERN, patternText: "the IPv4 address of a local interface" });
  const hidden = s.bool("hidden", { default: true });
  const rateLimitPerSec = s.number("rate_limit", { default: 10, min: 0.1, max: 100_000 });
  const rateBurst = s.int("rate_burst", { default: 20, min: 1, max: 100_000 });
  const decryptBudget = s.int("decrypt_budget", { default: 20_000, min: 1, max: 10_000_000 });
  const decryptBudgetPerAddress = s.int("decrypt_budget_per_address", { default: 500, min: 1, max: 10_000_000 });
  const timeoutMs = s.durationMs("timeout", { default: defaults.timeoutMs, minMs: 10, maxMs: 3_600_000 });
  // Capped: a sealed query outside max_skew gets a challenge (docs/PROTOCOL.md), so a huge skew buys nothing
  // and would leave replays to the bounded id memory alone.
  const maxSkewMs = s.durationMs("max_skew", { default: 30_000, minMs: 1000, maxMs: MAX_SKEW_MS });
  s.done();
  return {
    enabled,
    magic,
    ...(password !== undefined && { password }),
    ...(passwordFile !== undefined && { passwordFile }),
    keys: key !== undefined ? [key, ...keys] : keys,
    ...(keyFile !== undefined && { keyFile }),
    port,
    listen,
    interfaces,
    broadcast,
    ...(multicastGroup !== undefined && { multicastGroup }),
    ...(multicastInterface !== undefined && { multicastInterface }),
    hidden,
    rateLimitPerSec,
    rateBurst,
    decryptBudget,
    decryptBudgetPerAddress,
    timeoutMs,
    maxSkewMs,
    legacy,
    explicitKeys,
  };
}
