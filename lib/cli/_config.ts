/**
 * Reading the config from disk for commands: the only place config files, password files and key files
 * are read. `lib/config` validates the text; this file adds file errors with the path and what to do.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse } from "smol-toml";
import { ConfigError, HOST_NAME_PATTERN, HOST_NAME_RULE, lineOf, locateKeys, parseConfig, parseServicesFile, type ConfigProblem, type DiscoConfig } from "../config/index.ts";
import { decodeKey, KeyError, parseKeyFile, parsePasswordFile } from "../crypto/index.ts";
import { listIpv4Interfaces } from "../net/index.ts";
import { UsageError } from "./errors.ts";

/** The config path used when `-c` is not given; a missing default file means "all defaults". */
export const DEFAULT_CONFIG_PATH = "/etc/disco.toml";

/**
 * Loads and validates the config at `path`: the interfaces it names must exist here, and its relative
 * `password_file` / `key_file` are taken relative to the config file (not the current directory).
 * @param path the file; undefined means the default path, which may be missing
 * @returns the config and the file it came from (undefined when the defaults were used)
 * @throws {ConfigError} when the file cannot be read or has problems
 */
export function loadConfigFile(path: string | undefined): { config: DiscoConfig; file?: string } {
  const read = readConfigText(path);
  return read ? configFromText(read.text, read.file) : { config: parseConfig("") };
}

/**
 * The config file's text, read once.
 * @returns undefined when `path` is undefined and the default file does not exist (every default applies)
 * @throws {ConfigError} when the file cannot be read
 */
function readConfigText(path: string | undefined): { text: string; file: string } | undefined {
  const file = path ?? DEFAULT_CONFIG_PATH;
  try {
    return { text: readFileSync(file, "utf8"), file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (path === undefined && code === "ENOENT") return undefined;
    throw new ConfigError([{ key: "", message: fileProblem(code, "config file") }], file, { cause: err });
  }
}

/** A secret file's path as the config names it, taken relative to the config file. */
function besideConfig(file: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dirname(file), p);
}

/** The text validated against this host's interfaces, its secret files' paths made relative to `file`. */
function configFromText(text: string, file: string): { config: DiscoConfig; file: string } {
  const interfaces = [...new Set(listIpv4Interfaces().map((i) => i.name))];
  const config = parseConfig(text, { file, interfaces });
  const d = config.discovery;
  const passwordFile = d.passwordFile !== undefined ? besideConfig(file, d.passwordFile) : undefined;
  const keyFile = d.keyFile !== undefined ? besideConfig(file, d.keyFile) : undefined;
  const discovery = { ...d, ...(passwordFile !== undefined && { passwordFile }), ...(keyFile !== undefined && { keyFile }) };
  return { config: { ...config, discovery }, file };
}

/** What the secret-file checks read of `[discovery]` (paths already relative to the config file). */
type SecretFileKeys = Pick<DiscoConfig["discovery"], "passwordFile" | "keyFile" | "password" | "enabled" | "legacy">;

/**
 * {@link loadConfigFile}, and the secret files it names read and checked, with every problem of both at
 * once: a key file that is missing is reported beside a port out of range, each problem with the line of
 * the key that named the file. What `disco config check` and a daemon's start and reload report. The
 * config file is read once.
 * @throws {ConfigError} with every problem
 */
export function loadConfigChecked(path: string | undefined): { config: DiscoConfig; file?: string } {
  const read = readConfigText(path);
  if (!read) return { config: parseConfig("") };
  const { text, file } = read;
  let loaded: { config: DiscoConfig; file: string } | undefined;
  const problems: ConfigProblem[] = [];
  let keys: Partial<SecretFileKeys> | undefined;
  try {
    loaded = configFromText(text, file);
    keys = loaded.config.discovery;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    keys = rawSecretFileKeys(text, file);
  }
  if (keys) {
    const map = locateKeys(text);
    for (const p of secretFileProblems(keys)) {
      const line = lineOf(map, p.key);
      problems.push({ ...p, ...(line !== undefined && { line }) });
    }
  }
  if (problems.length || !loaded) throw new ConfigError(problems, file);
  return loaded;
}

/** The secret-file keys of a config that does not validate (but may still be TOML). */
function rawSecretFileKeys(text: string, file: string): Partial<SecretFileKeys> | undefined {
  let d: unknown;
  try {
    d = (parse(text) as Record<string, unknown>)["discovery"];
  } catch {
    return undefined;
  }
  if (typeof d !== "object" || d === null) return undefined;
  const o = d as Record<string, unknown>;
  const near = (p: unknown) => (typeof p === "string" ? besideConfig(file, p) : undefined);
  const passwordFile = near(o["password_file"]);
  const keyFile = near(o["key_file"]);
  return { ...(passwordFile !== undefined && { passwordFile }), ...(keyFile !== undefined && { keyFile }) };
}

/** The problems of the secret files a config names (unreadable, empty, not a key), and of legacy without a password. */
function secretFileProblems(d: Partial<SecretFileKeys>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // Collect every problem of both files rather than stopping at the first unreadable one.
  const collect = (read: () => void) => {
    try {
      read();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  };
  const { passwordFile, keyFile } = d;
  if (passwordFile !== undefined) {
    collect(() => {
      if (parsePasswordFile(readNamedFile(passwordFile, "discovery.password_file")) === "") {
        problems.push({ key: "discovery.password_file", message: `${passwordFile} holds an empty password` });
      }
    });
  }
  if (keyFile !== undefined) {
    collect(() => {
      const entries = parseKeyFile(readNamedFile(keyFile, "discovery.key_file"));
      if (entries.length === 0) problems.push({ key: "discovery.key_file", message: `${keyFile} holds no key` });
      for (const e of entries) {
        try {
          decodeKey(e.text);
        } catch (err) {
          if (!(err instanceof KeyError)) throw err;
          problems.push({ key: "discovery.key_file", message: `${keyFile} line ${e.line}: ${err.message}` });
        }
      }
    });
  }
  if (d.enabled && d.legacy && d.password === undefined && d.passwordFile === undefined) {
    problems.push({ key: "discovery.legacy", message: "needs password or password_file (PyDiscover's password; keys cannot serve PyDiscover, and without a password it would answer in clear)" });
  }
  return problems;
}

/**
 * Reads a secret or services file named by the config or a flag.
 * @param key the config key or flag that named the file, for the error
 * @throws {ConfigError} naming the key and the file when it cannot be read
 */
export function readNamedFile(path: string, key: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ key, message: `${fileProblem(code, "file")} (${path})` }], undefined, { cause: err });
  }
}

/** Reads a `-d` services file (TOML or PyDiscover `.cfg`). */
export function loadServicesFile(path: string): Record<string, unknown> {
  return parseServicesFile(readNamedFile(path, "-d"), path);
}

/**
 * This host's name: the `--name` flag, else `[host] name`, else the system host name.
 * @throws {UsageError} when the name breaks the host name rule (lib/text)
 */
export function resolveHostName(command: string, flag: string | undefined, config: DiscoConfig): string {
  const name = flag ?? config.host.name ?? hostname();
  if (!HOST_NAME_PATTERN.test(name)) {
    throw new UsageError(command, `the host name must be ${HOST_NAME_RULE}, got ${JSON.stringify(name)} (set --name or [host] name)`);
  }
  return name;
}

function fileProblem(code: string | undefined, what: string): string {
  switch (code) {
    case "ENOENT":
      return `${what} not found`;
    case "EACCES":
    case "EPERM":
      return `${what} cannot be read: permission denied (run as its owner, or fix its mode)`;
    case "EISDIR":
      return `${what} is a directory`;
    default:
      return `${what} cannot be read (${code ?? "unknown error"})`;
  }
}
