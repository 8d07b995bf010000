import { hostname } from "node:os";
import type { DiscoveryConfig } from "../config/index.ts";
import {
  buildKeyring,
  describeHost,
  DROP_REASONS,
  encodeDescription,
  importLegacyKey,
  parseKeyFile,
  parsePasswordFile,
  serveDiscovery,
  type Decision,
  type ResponderCounters,
} from "../discovery/index.ts";
import { KeyError, type Keyring } from "../crypto/index.ts";
import { listIpv4Interfaces, NetError } from "../net/index.ts";
import { VERSION } from "../version.ts";
import { parseFlags, parseIntFlag } from "./_args.ts";
import { loadConfigFile, loadServicesFile, readNamedFile } from "./_config.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";

const HELP = `Usage: disco-server [-c FILE] [-d FILE] [-p PORT] [-m MAGIC] [--password-file F | --key-file F]
                    [-l ADDR] [--name NAME] [--disable-hidden] [--legacy] [-v]
       (also: disco server ...)

Answers discovery queries from disco-client with this host's self-description: name, addresses,
version, uptime and the [services] table. Queries on another magic, with the wrong password or key,
stale, replayed or over the rate limit get silence (hidden mode), unless --disable-hidden.

Flags (they override the config file):
  -c, --config FILE       config file (default /etc/disco.toml; [discovery], [services], [host])
  -d, --discover-info F   services from a TOML file or a PyDiscover .cfg ([DEFAULT] section)
  -p, --port PORT         UDP port (default 40000; 0 lets the OS choose, printed at start)
  -m, --magic MAGIC       channel name; never sent in clear (default "disco")
      --password-file F   first line is the shared password (PBKDF2, derived once at start-up)
      --key-file F        keys from 'disco keygen', one per line; the first seals
      --password PW       the password itself: works, but is visible in 'ps'; prefer --password-file
  -l, --listen ADDR       address to bind (default 0.0.0.0: all interfaces)
      --name NAME         host name in answers (default [host] name, else the system host name)
      --disable-hidden    answer refused queries with a small error frame (never the magic or key)
      --legacy            also answer PyDiscover clients (INSECURE: unauthenticated AES-CTR)
  -v, --verbose           log every decision to stderr, and the counters on exit

Examples:
  disco-server -c /etc/disco.toml -v
  disco-server -p 40000 -m shed --password-file /etc/disco.password -d services.cfg
  disco-server -l 127.0.0.1 -p 40001 -m test --key-file test.key --name bench-1 -v
  disco-server --legacy -p 50000 -m fna349fn --password-file pw -d example.cfg   (PyDiscover fleet)

Stops on SIGINT/SIGTERM. Exit codes: 0 stopped, 1 cannot listen, 2 usage or config error.
`;

/** The secrets a discovery command uses, after flags and config were merged and files read. */
export interface DiscoverySecrets {
  readonly keyring?: Keyring;
  /** The password as given (PyDiscover legacy mode uses it directly). */
  readonly password?: string;
}

/** What {@link resolveSecrets} works from. */
export interface ResolveSecretsOptions {
  /** The secret flags given. */
  flags: SecretFlags;
  /** The `[discovery]` config. */
  config: DiscoveryConfig;
  /** The effective magic (binds the password's salt). */
  magic: string;
  io: CliIo;
  /** Say that the slow derivation is running. */
  verbose: boolean;
}

/** Flags that name secrets. */
export interface SecretFlags {
  password?: string | undefined;
  "password-file"?: string | undefined;
  "key-file"?: string | undefined;
}

/**
 * Resolves the password and keys: secret flags replace every secret of the config; files are read here.
 * Warns when the password is on the command line.
 * @throws {ConfigError} when a named file cannot be read
 * @throws {UsageError} when both --password and --password-file are given
 * @throws {KeyError} when a key is not a 32-byte key
 */
export async function resolveSecrets(command: string, o: ResolveSecretsOptions): Promise<DiscoverySecrets> {
  const { flags, config: d, magic, io, verbose } = o;
  if (flags.password !== undefined && flags["password-file"] !== undefined) throw new UsageError(command, "give --password or --password-file, not both");
  const fromFlags = flags.password !== undefined || flags["password-file"] !== undefined || flags["key-file"] !== undefined;
  let password: string | undefined;
  const keyTexts: string[] = [];
  if (fromFlags) {
    if (flags.password !== undefined) {
      password = flags.password;
      io.err(`disco ${command}: warning: a password on the command line is visible to every user in 'ps'; use --password-file or password_file in the config\n`);
    }
    if (flags["password-file"] !== undefined) password = parsePasswordFile(readNamedFile(flags["password-file"], "--password-file"));
    if (flags["key-file"] !== undefined) keyTexts.push(...parseKeyFile(readNamedFile(flags["key-file"], "--key-file")));
  } else {
    password = d.password ?? (d.passwordFile !== undefined ? parsePasswordFile(readNamedFile(d.passwordFile, "discovery.password_file")) : undefined);
    keyTexts.push(...d.keys);
    if (d.keyFile !== undefined) keyTexts.push(...parseKeyFile(readNamedFile(d.keyFile, "discovery.key_file")));
  }
  if (password === "") throw new UsageError(command, "the password is empty (check the password file)");
  if (verbose && password !== undefined) io.err(`disco ${command}: deriving the key from the password (PBKDF2, slow on purpose)...\n`);
  const keyring = await buildKeyring({ magic, ...(password !== undefined && { password }), keyTexts });
  return { ...(keyring && { keyring }), ...(password !== undefined && { password }) };
}

/**
 * {@link resolveSecrets}, printing a bad key (exit 2) instead of throwing.
 * @returns the secrets, or undefined after printing why they are unusable
 */
export async function resolveSecretsOrExplain(command: string, o: ResolveSecretsOptions): Promise<DiscoverySecrets | undefined> {
  try {
    return await resolveSecrets(command, o);
  } catch (err) {
    if (!(err instanceof KeyError)) throw err;
    o.io.err(`disco ${command}: ${err.message}\n`);
    return undefined;
  }
}

/** A warning for legacy mode, shown by both commands. */
export const LEGACY_WARNING =
  "WARNING: --legacy speaks PyDiscover's protocol: AES-CTR without authentication, a password used directly as the key, " +
  "no replay protection on the client. Anyone on the LAN can read and forge these frames. Use it only to migrate.\n";

function formatDecision(d: Decision): string {
  const what = d.action === "answer" ? "answered" : d.action === "error" ? `refused (${d.reason}), error frame sent` : `dropped (${d.reason})`;
  return `${d.legacy ? "legacy " : ""}${d.source}: ${what}, ${d.bytesIn} bytes in, ${d.bytesOut} out\n`;
}

/** The counters as one line. */
export function formatCounters(c: ResponderCounters): string {
  const drops = DROP_REASONS.filter((r) => c.dropped[r] > 0).map((r) => `${r}=${c.dropped[r]}`).join(" ");
  return `seen=${c.seen} answered=${c.answered} errors_sent=${c.errorsSent} dropped{${drops}} bytes_in=${c.bytesIn} bytes_out=${c.bytesOut} errors=${c.errors}${c.legacySeen ? ` legacy_seen=${c.legacySeen}` : ""}`;
}

function localAddresses(listen: string): string[] {
  if (listen !== "0.0.0.0") return [listen];
  const all = listIpv4Interfaces();
  const external = all.filter((i) => !i.internal).map((i) => i.address);
  return external.length ? external : all.map((i) => i.address);
}

/** `disco server` / `disco-server`: answers discovery queries until stopped. */
export const command: Command = {
  name: "server",
  summary: "answer discovery queries (also installed as disco-server)",
  async run(argv, io, signal) {
    const { values: f, help } = parseFlags("server", argv, {
      config: { type: "string", short: "c" },
      "discover-info": { type: "string", short: "d" },
      port: { type: "string", short: "p" },
      magic: { type: "string", short: "m" },
      password: { type: "string" },
      "password-file": { type: "string" },
      "key-file": { type: "string" },
      listen: { type: "string", short: "l" },
      name: { type: "string" },
      "disable-hidden": { type: "boolean" },
      legacy: { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    const { config } = loadConfigFile(f.config);
    const d = config.discovery;
    const port = f.port !== undefined ? parseIntFlag("server", "-p", f.port, 0, 65535) : d.port;
    const magic = f.magic ?? d.magic;
    if (magic === "") throw new UsageError("server", "-m needs a non-empty magic");
    const listen = f.listen ?? d.listen;
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(listen)) throw new UsageError("server", `-l expects an IPv4 address, got '${listen}'`);
    const hidden = f["disable-hidden"] ? false : d.hidden;
    const legacy = f.legacy === true || d.legacy;
    const verbose = f.verbose === true;
    const services = f["discover-info"] !== undefined ? loadServicesFile(f["discover-info"]) : config.services;
    const host = f.name ?? config.host.name ?? hostname();
    if (legacy) io.err(`disco server: ${LEGACY_WARNING}`);

    const secrets = await resolveSecretsOrExplain("server", { flags: f, config: d, magic, io, verbose });
    if (!secrets) return 2;
    let legacyKey: CryptoKey | undefined;
    try {
      if (legacy && secrets.password !== undefined) legacyKey = await importLegacyKey(secrets.password);
    } catch (err) {
      io.err(`disco server: ${(err as Error).message}\n`);
      return 2;
    }
    const started = performance.now();
    const addresses = localAddresses(listen);
    const describe = () => describeHost({ host, addresses, version: VERSION, uptimeSec: (performance.now() - started) / 1000, services });
    // Fail on an oversized [services] now, not on the first query.
    encodeDescription(describe());
    const mode = [secrets.keyring ? "sealed" : "UNSEALED (no password or key)", hidden ? "hidden" : "not hidden", ...(legacy ? ["legacy"] : [])].join(", ");
    let counters: ResponderCounters;
    try {
      counters = await serveDiscovery({
        signal,
        config: { ...d, magic, port, listen, hidden, legacy },
        ...(secrets.keyring && { keyring: secrets.keyring }),
        ...(legacyKey && { legacyKey }),
        describe,
        onListening: (address, boundPort) =>
          io.err(`disco server: listening on ${address}:${boundPort}${d.multicastGroup ? ` and group ${d.multicastGroup}` : ""} as '${host}' (${mode})\n`),
        ...(verbose && { onDecision: (dec: Decision) => io.err(formatDecision(dec)) }),
      });
    } catch (err) {
      if (err instanceof NetError) {
        const hint = err.code === "EADDRINUSE" ? " (another server on this port? choose another with -p)" : err.code === "EADDRNOTAVAIL" ? " (-l must be an address of this host)" : err.code === "EACCES" ? " (ports below 1024 need root)" : "";
        io.err(`disco server: ${err.message}${hint}\n`);
        return 1;
      }
      throw err;
    }
    if (verbose) io.err(`disco server: stopped; ${formatCounters(counters)}\n`);
    return 0;
  },
};
