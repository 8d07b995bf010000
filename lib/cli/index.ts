/**
 * The table of commands of the multi-call binary. `main.ts` looks the command up here; nothing registers
 * itself at import time.
 */
import { VERSION } from "../version.ts";
import type { Command } from "./command.ts";

export type { CatchableSignal, CliIo, Command } from "./command.ts";
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./command.ts";
export { UsageError } from "./errors.ts";

/** Loads a command lazily, so `disco keygen` does not pay for loading ZeroMQ or GPIO code. */
export interface CommandEntry {
  readonly name: string;
  /** The words that may follow the command (`gpio info`, `config check`), for completion and the man page. */
  readonly subcommands?: readonly string[];
  /** One line for `disco --help`, the man page and shell completion (the only copy: commands have none). */
  readonly summary: string;
  load(): Promise<Command>;
}

/** Every command, in the order `disco --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: "run", summary: "run the daemon: every capability the config enables", load: async () => (await import("./run.ts")).command },
  { name: "server", summary: "answer discovery queries (also installed as disco-server)", load: async () => (await import("./server.ts")).command },
  { name: "client", summary: "find every server on the LAN (also installed as disco-client)", load: async () => (await import("./client.ts")).command },
  { name: "broadcast", summary: "send or receive disco.py-compatible beacons", load: async () => (await import("./broadcast.ts")).command },
  { name: "status", summary: "ask the running daemon how it is (tasks, reloads, hosts, counters)", load: async () => (await import("./status.ts")).command },
  { name: "reload", summary: "ask the running daemon to reload its config (exit 2 when refused)", load: async () => (await import("./reload.ts")).command },
  { name: "hosts", summary: "the hosts and services seen, once or live", load: async () => (await import("./hosts.ts")).command },
  { name: "metrics", summary: "publish, proxy or receive metrics over ZeroMQ (disco.py compatible)", load: async () => (await import("./metrics.ts")).command },
  { name: "gpio", subcommands: ["info", "get", "set", "watch"], summary: "inspect and drive GPIO lines (info, get, set, watch)", load: async () => (await import("./gpio.ts")).command },
  { name: "query", summary: "run a declared [[query]] on every host (or one) and collect the answers", load: async () => (await import("./query.ts")).command },
  { name: "keygen", summary: "print a fresh random key for the config", load: async () => (await import("./keygen.ts")).command },
  { name: "config", subcommands: ["check", "show"], summary: "validate a config file (check) or print the effective config (show)", load: async () => (await import("./config.ts")).command },
];

/** The command a program name implies (`disco-server` -> `server`), or undefined for plain `disco`. */
export function commandForProgram(program: string): string | undefined {
  const base = program.split("/").pop() ?? program;
  const m = /^disco-(server|client)$/.exec(base);
  return m?.[1];
}

/** `disco --help`: the commands with their summaries, examples, the flags every command takes, exit codes. */
export const TOP_HELP = `disco ${VERSION}: find, describe, measure and drive a fleet of small Linux devices on a LAN.

Usage: disco <command> [flags]        disco <command> --help   for a command's flags and examples
       disco --version                the version and build (also -V, and after any command)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Examples:
  disco keygen > /etc/disco.key                 a key for [discovery] key_file
  disco config check -c /etc/disco.toml         every problem in a config, with its line
  disco-server -c /etc/disco.toml -v            answer discovery queries
  disco-client -m magic --password-file F       list every server on the LAN

Every command takes -h/--help, --version, and -v/--verbose (the same as --debug).
Exit codes: 0 ok, 1 runtime failure (also: looked and found nobody), 2 usage or config error.
Environment: DISCO_CRYPTO=node seals datagrams with the runtime's node:crypto instead of the system's
OpenSSL (libcrypto.so.3, used when present; --version says which); the bytes on the wire are the same.
`;
