/**
 * What `disco-server` and `disco-client` share: their common flags and how those flags merge with
 * `[discovery]` in the config.
 */
import { PYDISCOVER_DEFAULTS, type DiscoConfig, type DiscoveryConfig } from "../config/index.ts";
import { deriveChannelId, type Keyring } from "../crypto/index.ts";
import { discover, type ClientEvent, type DiscoverResult, type LegacyKey, type Target } from "../discovery/index.ts";
import { IPV4_PATTERN, NetError, openUdp, selectInterfaces } from "../net/index.ts";
import { parseIntFlag, type FlagValues } from "./_args.ts";
import { loadConfigFile } from "./_config.ts";
import { keyringFor, LEGACY_WARNING, legacyKeyOrExplain, resolveSecretsOrExplain, SECRET_FLAGS, type SecretFlags } from "./_secrets.ts";
import type { CliIo } from "./command.ts";
import { UsageError } from "./errors.ts";

/** Flags both discovery commands take. */
export const DISCOVERY_FLAGS = {
  config: { type: "string", short: "c" },
  port: { type: "string", short: "p" },
  magic: { type: "string", short: "m" },
  ...SECRET_FLAGS,
  legacy: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
} as const;

/** The values of {@link DISCOVERY_FLAGS} as parsed. */
export type DiscoveryFlagValues = FlagValues<typeof DISCOVERY_FLAGS>;

/** The settings both commands derive from flags over config. */
export interface DiscoveryBasics {
  readonly config: DiscoConfig;
  readonly discovery: DiscoveryConfig;
  readonly port: number;
  readonly magic: string;
  /** How long a client collects answers, in ms. */
  readonly timeoutMs: number;
  readonly legacy: boolean;
  readonly verbose: boolean;
}

/**
 * Loads the config and merges the shared flags over `[discovery]`. Under `--legacy` the defaults are
 * PyDiscover's (port 50000, magic "fna349fn", 5 s), for every setting neither a flag nor the file gives.
 * @param minPort 0 where the OS may choose the port (a server), 1 otherwise
 * @throws {UsageError} on a bad port or an empty magic
 * @throws {ConfigError} on a bad config
 */
export function resolveDiscoveryBasics(command: string, f: DiscoveryFlagValues, minPort: 0 | 1): DiscoveryBasics {
  const { config } = loadConfigFile(f.config);
  const d = config.discovery;
  const legacy = f.legacy === true || d.legacy;
  // The file's legacy = true has applied these already; --legacy applies them over the file's defaults.
  const fallback = legacy && !d.legacy ? PYDISCOVER_DEFAULTS : { magic: d.magic, port: d.port, timeoutMs: d.timeoutMs };
  const has = (key: "magic" | "port" | "timeout") => d.explicitKeys.includes(key);
  const port = f.port !== undefined ? parseIntFlag(command, "--port", f.port, minPort, 65535) : has("port") ? d.port : fallback.port;
  const magic = f.magic ?? (has("magic") ? d.magic : fallback.magic);
  if (magic === "") throw new UsageError(command, "--magic needs a non-empty magic");
  const timeoutMs = has("timeout") ? d.timeoutMs : fallback.timeoutMs;
  return { config, discovery: d, port, magic, timeoutMs, legacy, verbose: f.verbose === true };
}

/** The keys a discovery command seals and opens with. */
export interface DiscoveryKeys {
  /** The discovery keyring; undefined for an unsealed channel. */
  readonly keyring?: Keyring;
  /** PyDiscover's key, in legacy mode with a password. */
  readonly legacyKey?: LegacyKey;
  /** The raw keys behind the keyring, for other purposes of the same secret (remote control). */
  readonly rawKeys: readonly Uint8Array<ArrayBuffer>[];
}

/**
 * Resolves the secret flags and config into the discovery keys; warns about legacy mode.
 * @returns the keys, or undefined after printing why they are unusable (the command exits 2)
 */
export async function resolveDiscoveryKeys(command: string, b: DiscoveryBasics, flags: SecretFlags, io: CliIo): Promise<DiscoveryKeys | undefined> {
  if (b.legacy) io.err(`disco ${command}: ${LEGACY_WARNING}`);
  const secrets = await resolveSecretsOrExplain(command, { flags, config: b.discovery, magic: b.magic, io, verbose: b.verbose, legacy: b.legacy });
  if (!secrets) return undefined;
  const legacyKey = legacyKeyOrExplain(command, b.legacy, secrets, io, { requirePassword: command === "server" });
  if (legacyKey === null) return undefined;
  const keyring = await keyringFor(secrets, "discovery");
  return { ...(keyring && { keyring }), ...(legacyKey && { legacyKey }), rawKeys: secrets.rawKeys };
}

/** Where a query goes, when neither -i nor --to says otherwise: see {@link discoveryTargets}. */
export interface TargetFlags {
  interfaces?: readonly string[] | undefined;
  to?: readonly string[] | undefined;
}

function parseTarget(command: string, text: string, port: number): Target {
  const [address = "", portText, ...rest] = text.split(":");
  if (rest.length || !IPV4_PATTERN.test(address)) throw new UsageError(command, `--to expects an IPv4 address with an optional :PORT, got '${text}'`);
  return { address, port: portText !== undefined ? parseIntFlag(command, "--to", portText, 1, 65535) : port };
}

/**
 * The destinations of a query: the broadcast address of each interface in -i (or `[discovery]
 * interfaces`; by default every up, non-loopback IPv4 interface), plus `[discovery] broadcast` and
 * `multicast_group`; with -i or --to, only those.
 * @returns the targets, deduplicated (empty when this host has no usable interface)
 * @throws {UsageError} on an unknown interface or a bad --to
 */
export function discoveryTargets(command: string, b: DiscoveryBasics, f: TargetFlags): Target[] {
  return fleetTargets(command, b.discovery, b.port, f, (t) => parseTarget(command, t, b.port));
}

/**
 * The broadcast targets of `[discovery]` (and -i/--to) on `port`, as {@link discoveryTargets} picks them,
 * each --to read by `parseTo`: what the discovery commands and the control clients both send to.
 * @throws {UsageError} on an unknown interface (and whatever `parseTo` throws)
 */
export function fleetTargets(command: string, d: DiscoveryConfig, port: number, f: TargetFlags, parseTo: (text: string) => Target): Target[] {
  const explicit = (f.interfaces?.length ?? 0) > 0 || (f.to?.length ?? 0) > 0;
  const targets: Target[] = [];
  const add = (t: Target) => {
    if (!targets.some((x) => x.address === t.address && x.port === t.port)) targets.push(t);
  };
  try {
    const names = explicit ? (f.interfaces ?? []) : d.interfaces;
    if (!explicit || names.length > 0) for (const i of selectInterfaces(names)) add({ address: i.broadcast, port });
  } catch (err) {
    if (err instanceof NetError) throw new UsageError(command, err.message, { cause: err });
    throw err;
  }
  for (const t of f.to ?? []) add(parseTo(t));
  if (!explicit) {
    for (const a of d.broadcast) add({ address: a, port });
    if (d.multicastGroup !== undefined) add({ address: d.multicastGroup, port });
  }
  return targets;
}

/**
 * Sends one query to `targets` and collects every answer until the timeout (or the signal).
 * @throws {NetError} when the socket cannot be opened
 */
export async function askOnce(
  b: DiscoveryBasics,
  keys: DiscoveryKeys,
  targets: readonly Target[],
  o: { timeoutMs: number; signal: AbortSignal; onEvent?: (e: ClientEvent) => void },
): Promise<DiscoverResult> {
  const multicastInterface = b.discovery.multicastInterface;
  await using socket = await openUdp({ address: "0.0.0.0", port: 0, broadcast: true, ...(multicastInterface !== undefined && { multicastInterface }) });
  return await discover(socket, {
    targets: [...targets],
    channelId: await deriveChannelId(b.magic),
    ...(keys.keyring && { keyring: keys.keyring }),
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    ...(b.legacy && { legacy: { magic: b.magic, ...(keys.legacyKey && { key: keys.legacyKey }) } }),
    ...(o.onEvent && { onEvent: o.onEvent }),
  });
}
