/**
 * What `disco-server` and `disco-client` share: their common flags and how those flags merge with
 * `[discovery]` in the config.
 */
import { PYDISCOVER_DEFAULTS, type DiscoConfig, type DiscoveryConfig } from "../config/index.ts";
import type { Keyring } from "../crypto/index.ts";
import type { LegacyKey } from "../discovery/index.ts";
import { parseIntFlag } from "./_args.ts";
import { loadConfigFile } from "./_config.ts";
import { keyringFor, LEGACY_WARNING, legacyKeyOrExplain, resolveSecretsOrExplain, type SecretFlags } from "./_secrets.ts";
import type { CliIo } from "./command.ts";
import { UsageError } from "./errors.ts";

/** Flags both discovery commands take. */
export const DISCOVERY_FLAGS = {
  config: { type: "string", short: "c" },
  port: { type: "string", short: "p" },
  magic: { type: "string", short: "m" },
  password: { type: "string" },
  "password-file": { type: "string" },
  "key-file": { type: "string" },
  legacy: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
} as const;

/** The values of {@link DISCOVERY_FLAGS} as parsed. */
export interface DiscoveryFlagValues {
  config?: string | undefined;
  port?: string | undefined;
  magic?: string | undefined;
  legacy?: boolean | undefined;
  verbose?: boolean | undefined;
}

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
  if (legacyKey === null) return undefined;
  return { ...(keyring && { keyring }), ...(legacyKey && { legacyKey }), rawKeys: secrets.rawKeys };
}
