#!/usr/bin/env bun
/**
 * Entry point of the multi-call binary: picks the command from the program name (`disco-server`,
 * `disco-client`) or the first argument, runs it, and turns its result or error into an exit code.
 * This is the only file that reads `process.argv` or calls `process.exit`.
 */
import { COMMANDS, commandForProgram, EXIT_FAILURE, EXIT_USAGE, UsageError, type CliIo } from "./lib/cli/index.ts";
import { ConfigError } from "./lib/config/index.ts";
import { VERSION, versionLine } from "./lib/version.ts";

const TOP_HELP = `disco ${VERSION}: find, describe, measure and drive a fleet of small Linux devices on a LAN.

Usage: disco <command> [flags]        disco <command> --help   for a command's flags and examples

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Examples:
  disco keygen > /etc/disco.key                 a key for [discovery] key_file
  disco config check -c /etc/disco.toml         every problem in a config, with its line
  disco-server -c /etc/disco.toml -v            answer discovery queries
  disco-client -m magic --password-file F       list every server on the LAN

Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
`;

function makeIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns,
    pid: process.pid,
    onReload: (listener) => {
      process.on("SIGHUP", listener);
      return () => void process.off("SIGHUP", listener);
    },
    onSignal: (name, listener) => {
      process.on(name, listener);
      return () => void process.off(name, listener);
    },
  };
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
  if (name === "--version" || name === "-V" || (operands < 0 ? args : args.slice(0, operands)).includes("--version")) {
    io.out(`${versionLine()}\n`);
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
    if (err instanceof UsageError) {
      io.err(`disco ${err.command}: ${err.message}\nTry 'disco ${err.command} --help'.\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.err(`${err.format()}\n`);
      return EXIT_USAGE;
    }
    const message = err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : String(err);
    io.err(`disco ${name}: ${message}\n`);
    return EXIT_FAILURE;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}

process.exit(await main());
