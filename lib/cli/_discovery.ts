/**
 * What `disco-server` and `disco-client` share: their common flags and how those flags merge with
 * `[discovery]` in the config.
 */
import type { DiscoConfig, DiscoveryConfig } from "../config/index.ts";
import { parseIntFlag } from "./_args.ts";
import { loadConfigFile } from "./_config.ts";
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
  readonly legacy: boolean;
  readonly verbose: boolean;
}

/**
 * Loads the config and merges the shared flags over `[discovery]`.
 * @param minPort 0 where the OS may choose the port (a server), 1 otherwise
 * @throws {UsageError} on a bad port or an empty magic
 * @throws {ConfigError} on a bad config
 */
export function resolveDiscoveryBasics(command: string, f: DiscoveryFlagValues, minPort: 0 | 1): DiscoveryBasics {
  const { config } = loadConfigFile(f.config);
  const d = config.discovery;
  const port = f.port !== undefined ? parseIntFlag(command, "-p", f.port, minPort, 65535) : d.port;
  const magic = f.magic ?? d.magic;
  if (magic === "") throw new UsageError(command, "-m needs a non-empty magic");
  return { config, discovery: d, port, magic, legacy: f.legacy === true || d.legacy, verbose: f.verbose === true };
}
