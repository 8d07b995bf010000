/**
 * Reading the config from disk for commands: the only place config files, password files and key files
 * are read. `lib/config` validates the text; this file adds file errors with the path and what to do.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, HOST_NAME_PATTERN, HOST_NAME_RULE, parseConfig, parseServicesFile, type DiscoConfig } from "../config/index.ts";
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
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (path === undefined && code === "ENOENT") return { config: parseConfig("") };
    throw new ConfigError([{ key: "", message: fileProblem(code, "config file") }], file, { cause: err });
  }
  const interfaces = [...new Set(listIpv4Interfaces().map((i) => i.name))];
  const config = parseConfig(text, { file, interfaces });
  const near = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(dirname(file), p));
  const d = config.discovery;
  const passwordFile = near(d.passwordFile);
  const keyFile = near(d.keyFile);
  const discovery = { ...d, ...(passwordFile !== undefined && { passwordFile }), ...(keyFile !== undefined && { keyFile }) };
  return { config: { ...config, discovery }, file };
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
