/**
 * The shared secret of a fleet, as every command resolves it: flags over the config, files read here, the
 * password derived once. Discovery and beacons each expand the same raw keys into their own keyring.
 */
import type { DiscoveryConfig } from "../config/index.ts";
import { collectRawKeys, createKeyring, KeyError, parseKeyFile, parsePasswordFile, type Keyring } from "../crypto/index.ts";
import { importLegacyKey, type LegacyKey } from "../discovery/index.ts";
import type { FlagValues } from "./_args.ts";
import { readNamedFile } from "./_config.ts";
import type { CliIo } from "./command.ts";
import { UsageError } from "./errors.ts";

/** The flags that name secrets, for a command's flag table (discovery commands and control clients have them; others use the config only). */
export const SECRET_FLAGS = {
  password: { type: "string" },
  "password-file": { type: "string" },
  "key-file": { type: "string" },
} as const;

/** The parsed values of {@link SECRET_FLAGS}. */
export type SecretFlags = FlagValues<typeof SECRET_FLAGS>;

/** The fleet's secret material after flags and config were merged and files read. */
export interface Secrets {
  /** Raw 32-byte keys; the first seals (the password's derived key comes first). Empty: frames go unsealed. */
  readonly rawKeys: readonly Uint8Array<ArrayBuffer>[];
  /** The password as given (PyDiscover legacy mode uses it directly). */
  readonly password?: string;
}

/** What {@link resolveSecrets} works from. */
export interface ResolveSecretsOptions {
  /** The secret flags given; any of them replaces every secret of the config. */
  flags?: SecretFlags;
  /** The `[discovery]` config. */
  config: DiscoveryConfig;
  /** The effective magic (binds the password's salt). */
  magic: string;
  io: CliIo;
  /** Say that the slow derivation is running. */
  verbose?: boolean;
  /**
   * Legacy (PyDiscover) mode: the password is PyDiscover's raw AES key, so it derives no sealed key (guessing
   * it costs one AES block, and would recover every key derived from it). Sealing then needs a key.
   * @default the config's `legacy`
   */
  legacy?: boolean;
}

/**
 * Resolves the password and keys. Warns when the password is on the command line.
 * @throws {ConfigError} when a named file cannot be read
 * @throws {UsageError} when both --password and --password-file are given, or the password is empty
 * @throws {KeyError} when a key is not a 32-byte key
 */
export async function resolveSecrets(command: string, o: ResolveSecretsOptions): Promise<Secrets> {
  const { config: d, magic, io } = o;
  const flags = o.flags ?? {};
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
    if (flags["key-file"] !== undefined) keyTexts.push(...parseKeyFile(readNamedFile(flags["key-file"], "--key-file")).map((e) => e.text));
  } else {
    password = d.password ?? (d.passwordFile !== undefined ? parsePasswordFile(readNamedFile(d.passwordFile, "discovery.password_file")) : undefined);
    keyTexts.push(...d.keys);
    if (d.keyFile !== undefined) keyTexts.push(...parseKeyFile(readNamedFile(d.keyFile, "discovery.key_file")).map((e) => e.text));
  }
  if (password === "") throw new UsageError(command, "the password is empty (check the password file)");
  // The config's legacy = true makes its password PyDiscover's for every command (beacons included).
  const derive = password !== undefined && !(o.legacy ?? d.legacy);
  if (derive && o.verbose) io.err(`disco ${command}: deriving the key from the password (PBKDF2, slow on purpose)...\n`);
  const rawKeys = await collectRawKeys({ magic, ...(derive && { password }), keyTexts });
  return { rawKeys, ...(password !== undefined && { password }) };
}

/**
 * {@link resolveSecrets}, printing an unusable key instead of throwing.
 * @returns the secrets, or undefined after printing why they are unusable (the caller exits 2)
 */
export async function resolveSecretsOrExplain(command: string, o: ResolveSecretsOptions): Promise<Secrets | undefined> {
  try {
    return await resolveSecrets(command, o);
  } catch (err) {
    if (!(err instanceof KeyError)) throw err;
    o.io.err(`disco ${command}: ${err.message}\n`);
    return undefined;
  }
}

/** The keyring of one purpose ("discovery", "beacon"), or undefined when there is no secret. */
export async function keyringFor(secrets: Secrets, purpose: string): Promise<Keyring | undefined> {
  return secrets.rawKeys.length ? createKeyring(secrets.rawKeys, purpose) : undefined;
}

/** A warning for legacy mode, shown by both discovery commands. */
export const LEGACY_WARNING =
  "WARNING: --legacy speaks PyDiscover's protocol: AES-CTR without authentication, the password used directly as the key, " +
  "no replay protection on the client. Anyone on the LAN can read and forge these frames, and anyone who captures one can " +
  "test password guesses at the cost of one AES block: treat the legacy password as exposed. It is used for PyDiscover only " +
  "(never to derive the sealed key: give --key-file for sealed disco clients). Use it only to migrate.\n";

/** Options for {@link legacyKeyOrExplain}. */
export interface LegacyKeyOptions {
  /** Refuse legacy mode without a password (a server: it would answer `magic#OK#...` in clear). @default false */
  requirePassword?: boolean;
}

/**
 * The PyDiscover key for legacy mode, when legacy mode is on and a password is set.
 * @returns the key, undefined without legacy (or without a password where none is required), or null after
 *   printing why it is unusable
 */
export function legacyKeyOrExplain(command: string, legacy: boolean, secrets: Secrets, io: CliIo, options: LegacyKeyOptions = {}): LegacyKey | undefined | null {
  if (!legacy) return undefined;
  if (secrets.password === undefined) {
    if (!options.requirePassword) return undefined;
    io.err(
      `disco ${command}: legacy mode needs a PyDiscover password (--password-file, or password_file in [discovery]): ` +
        "without one it would answer every PyDiscover request in clear, and a key file does not count (PyDiscover cannot use it)\n",
    );
    return null;
  }
  try {
    return importLegacyKey(secrets.password);
  } catch (err) {
    io.err(`disco ${command}: ${(err as Error).message}\n`);
    return null;
  }
}
