/**
 * Finding and asking the running daemon: the control socket's path from `--socket`, else the config's
 * `[daemon] control_socket` (`-c`, or the default config file when present), else the default path.
 */
import { existsSync } from "node:fs";
import { ConfigError, DEFAULT_CONTROL_SOCKET, peekControlSocket } from "../config/index.ts";
import { ControlError, requestControl, type ControlRequest } from "../daemon/index.ts";
import { DEFAULT_CONFIG_PATH, loadConfigFile, readNamedFile } from "./_config.ts";
import { UsageError } from "./errors.ts";

/** The flags every control command takes. */
export const CONTROL_FLAGS = {
  config: { type: "string", short: "c" },
  socket: { type: "string", short: "s" },
} as const;

/**
 * The control socket to ask.
 * @throws {UsageError} when both -c and --socket are given
 * @throws {ConfigError} when the named config has problems
 */
export function controlSocketPath(command: string, v: { config?: string | undefined; socket?: string | undefined }): string {
  if (v.config !== undefined && v.socket !== undefined) throw new UsageError(command, "give -c FILE or --socket PATH, not both");
  if (v.socket !== undefined) return v.socket;
  if (v.config === undefined && !existsSync(DEFAULT_CONFIG_PATH)) return DEFAULT_CONTROL_SOCKET;
  try {
    return loadConfigFile(v.config).config.daemon.controlSocket;
  } catch (err) {
    // A config with problems still names its socket: the daemon is the one to tell that it is refused.
    if (!(err instanceof ConfigError)) throw err;
    let text: string;
    try {
      text = readNamedFile(v.config ?? DEFAULT_CONFIG_PATH, "-c");
    } catch {
      throw err;
    }
    return peekControlSocket(text) ?? DEFAULT_CONTROL_SOCKET;
  }
}

/** The result of asking: the daemon's result, or why there is none (in one line). */
export type Asked = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly reason: string; readonly noDaemon: boolean };

/**
 * Sends one request to the daemon.
 * @returns its result, or the reason in one line (no daemon, permission, a daemon-side error)
 */
export async function askDaemon(path: string, request: ControlRequest, timeoutMs = 10_000): Promise<Asked> {
  try {
    const r = await requestControl(path, request, { timeoutMs });
    return r.ok ? { ok: true, result: r.result } : { ok: false, reason: `the daemon refused the request: ${r.error.message}`, noDaemon: false };
  } catch (err) {
    if (!(err instanceof ControlError)) throw err;
    return { ok: false, reason: err.message, noDaemon: err.errno === "ENOENT" || err.errno === "ECONNREFUSED" };
  }
}
