#!/usr/bin/env bun
/**
 * Entry point of the multi-call binary: picks the command from the program name (`disco-server`,
 * `disco-client`) or the first argument, runs it, and turns its result or error into an exit code.
 * This is the only file that reads `process.argv` or calls `process.exit`.
 */
import { COMMANDS, commandForProgram, EXIT_FAILURE, EXIT_USAGE, TOP_HELP, UsageError, type CliIo } from "./lib/cli/index.ts";
import { ConfigError, formatProblem } from "./lib/config/index.ts";
import { DiscoError } from "./lib/errors.ts";
import { versionLine } from "./lib/version.ts";

/** Listens for a process signal; returns the unsubscribe. */
function onProcessSignal(name: NodeJS.Signals, listener: () => void): () => void {
  process.on(name, listener);
  return () => void process.off(name, listener);
}

function makeIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    get columns() {
      return process.stdout.columns;
    },
    get rows() {
      return process.stdout.rows;
    },
    pid: process.pid,
    onReload: (listener) => onProcessSignal("SIGHUP", listener),
    onSignal: onProcessSignal,
    onResize: (listener) => onProcessSignal("SIGWINCH", listener),
  };
}

/**
 * Turns what a command threw into its message and exit code, in the command's own words: usage and config
 * errors exit 2; any other disco error is a runtime failure (exit 1) shown by its message alone; anything
 * else is a bug, shown as one (with its stack under --debug).
 */
function explain(name: string, err: unknown, debug: boolean): { text: string; code: number } {
  if (err instanceof UsageError) return { text: `disco ${err.command}: ${err.message}\nTry 'disco ${err.command} --help'.\n`, code: EXIT_USAGE };
  if (err instanceof ConfigError) {
    // A file named by a flag has no config file of its own: the problem is the command's.
    const text = err.file !== undefined ? err.format() : err.problems.map((p) => `disco ${name}: ${formatProblem(p).replace(/^config: /, "")}`).join("\n");
    return { text: `${text}\n`, code: EXIT_USAGE };
  }
  if (err instanceof DiscoError) return { text: `disco ${name}: ${err.message}\n`, code: EXIT_FAILURE };
  const what = err instanceof Error ? (debug && err.stack ? err.stack : `${err.name}: ${err.message}`) : String(err);
  return { text: `disco ${name}: internal error (a bug; please report it): ${what}\n`, code: EXIT_FAILURE };
}

async function main(): Promise<number> {
  const io = makeIo();
  let args = process.argv.slice(2);
  let name = commandForProgram(process.argv0);
  if (name === undefined) {
    const first = args[0];
    if (first === undefined || first === "-h" || first === "--help" || first === "help") {
      (first === undefined ? io.err : io.out)(TOP_HELP);
      return first === undefined ? EXIT_USAGE : 0;
    }
    name = first;
    args = args.slice(1);
  }
  // Every command and both links answer --version (before a "--", after which arguments are operands).
  const operands = args.indexOf("--");
  const flags = operands < 0 ? args : args.slice(0, operands);
  // DISCO_CRYPTO=node: seal with the runtime's node:crypto instead of the system's OpenSSL (a fallback to
  // compare with, or for a system whose libcrypto misbehaves). Loaded only then: crypto is not eager.
  const crypto = process.env.DISCO_CRYPTO;
  if (crypto !== undefined && crypto !== "" && crypto !== "node" && crypto !== "openssl") {
    io.err(`disco: DISCO_CRYPTO is '${crypto}'; it may be 'node' (seal with node:crypto) or 'openssl' (the default: the system's libcrypto.so.3, node:crypto without it).\n`);
    return EXIT_USAGE;
  }
  if (crypto === "node") (await import("./lib/crypto/index.ts")).forceNodeCrypto();
  if (name === "--version" || name === "-V" || flags.includes("--version")) {
    io.out(`${versionLine((await import("./lib/crypto/index.ts")).aeadBackend())}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`disco: unknown command '${name}'. Commands: ${COMMANDS.map((c) => c.name).join(", ")}. Try 'disco --help'.\n`);
    return EXIT_USAGE;
  }
  const controller = new AbortController();
  // The reason says which signal it was (the daemon logs it).
  const onInt = () => controller.abort("SIGINT");
  const onTerm = () => controller.abort("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    const command = await entry.load();
    return await command.run(args, io, controller.signal);
  } catch (err) {
    const { text, code } = explain(name, err, flags.includes("--debug") || flags.includes("-v") || flags.includes("--verbose"));
    io.err(text);
    return code;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}

process.exit(await main());
