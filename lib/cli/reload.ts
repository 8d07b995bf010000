import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import type { ReloadOutcome } from "../daemon/index.ts";
import { parseFlags } from "./_args.ts";
import { askDaemon, CONTROL_FLAGS, controlSocketPath } from "./_daemon-socket.ts";
import type { Command } from "./command.ts";

const HELP = `Usage: disco reload [-c FILE | --socket PATH]

Asks the running daemon to reload its config and waits for the result: the new config is built
completely (keys read, sockets bound) before anything stops. Prints "reloaded (generation N)", or every
problem while the running config stays. 'systemctl reload disco' runs this (ExecReload), so systemd sees a
refused reload as a failed one.

Flags:
  -c, --config FILE    find the socket through this config's [daemon] control_socket
  -s, --socket PATH    ask this socket (default: the default config's, else /run/disco/disco.sock)
  -v, --verbose        accepted for symmetry with the other commands (also --debug)

Examples:
  disco reload
  disco config check -c /etc/disco.toml && disco reload -c /etc/disco.toml

Exit codes: 0 reloaded, 1 no daemon answers, 2 the reload was refused (or a usage error).
`;

/** `disco reload`: asks the running daemon to reload. */
export const command: Command = {
  name: "reload",
  async run(argv, io) {
    const { values: v, help } = parseFlags("reload", argv, CONTROL_FLAGS);
    if (help) {
      io.out(HELP);
      return 0;
    }
    const path = controlSocketPath("reload", v);
    // A reload derives a password's key and binds sockets: give it time.
    const asked = await askDaemon(path, { request: "reload" }, 60_000);
    if (!asked.ok) {
      io.err(`disco reload: ${asked.reason}\n`);
      return 1;
    }
    const r = asked.result as ReloadOutcome;
    // -c only finds the socket: the daemon reads the file it was started with.
    const given = v.config !== undefined ? realPathOr(v.config) : undefined;
    const other = given !== undefined && r.config !== undefined && given !== realPathOr(r.config) ? `note: the daemon reads ${r.config}, not ${v.config} (-c only finds its socket)\n` : "";
    if (r.ok) {
      io.out(`reloaded (generation ${r.generation})\n${(r.notes ?? []).map((n) => `note: ${n}\n`).join("")}`);
      if (other) io.err(other);
      return 0;
    }
    if (other) io.err(other);
    io.err(`disco reload: refused, generation ${r.generation} keeps running:\n${(r.problems ?? []).map((p) => `  ${p}\n`).join("")}`);
    return 2;
  },
};

function realPathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
