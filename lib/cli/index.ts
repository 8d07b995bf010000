/**
 * The table of commands of the multi-call binary. `main.ts` looks the command up here; nothing registers
 * itself at import time.
 */
import type { Command } from "./command.ts";

export type { CliIo, Command } from "./command.ts";
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./command.ts";
export { UsageError } from "./errors.ts";

/** Loads a command lazily, so `disco keygen` does not pay for loading ZeroMQ or GPIO code. */
export interface CommandEntry {
  readonly name: string;
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
  { name: "hosts", summary: "the hosts and services seen, once or live", load: async () => (await import("./hosts.ts")).command },
  { name: "metrics", summary: "publish, proxy or receive metrics over ZeroMQ (disco.py compatible)", load: async () => (await import("./metrics.ts")).command },
  { name: "gpio", summary: "inspect and drive GPIO lines (info, get, set, watch)", load: async () => (await import("./gpio.ts")).command },
  { name: "keygen", summary: "print a fresh random key for the config", load: async () => (await import("./keygen.ts")).command },
  { name: "config", summary: "validate a config file (check) or print the effective config (show)", load: async () => (await import("./config.ts")).command },
];

/** The command a program name implies (`disco-server` -> `server`), or undefined for plain `disco`. */
export function commandForProgram(program: string): string | undefined {
  const base = program.split("/").pop() ?? program;
  const m = /^disco-(server|client)$/.exec(base);
  return m?.[1];
}
