import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseDuration } from "../config/index.ts";
import { IPV4_PATTERN, listIpv4Interfaces } from "../net/index.ts";
import { UsageError } from "./errors.ts";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/**
 * Flags every command takes: `-v/--verbose` and `--debug` mean the same everywhere (either turns both on);
 * `-h/--help` is answered by the command, `--version` by main.ts before the command runs.
 */
export const COMMON_FLAGS = {
  help: { type: "boolean", short: "h" },
  verbose: { type: "boolean", short: "v" },
  debug: { type: "boolean" },
} as const;

/** The values `parseFlags` returns for a flag table, typed by it (so a table's values type is never kept by hand). */
export type FlagValues<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>>["values"];

/** How a flag is named in a message: as typed, with its long name when typed short (`-c (--config)`). */
function flagName(rawName: string, name: string): string {
  return rawName === `--${name}` ? rawName : `${rawName} (--${name})`;
}

/**
 * Parses a command's flags with `node:util` `parseArgs`, adding {@link COMMON_FLAGS}, and refuses in the
 * command's own words what the parser would have reported in its own: an unknown flag, a flag without its
 * value (`-c` at the end, or `--port --json`), a value given to a switch, an unexpected word.
 * @param command the command name, for error messages
 * @param argv the arguments after the command word
 * @param options the flag table
 * @param allowPositionals whether bare words are accepted
 * @returns values (typed by the table; `verbose` and `debug` both true when either was given),
 *   positionals, and `help` (whether -h/--help was given)
 * @throws {UsageError} on an unknown flag, a missing value or an unexpected word
 */
export function parseFlags<O extends OptionsConfig>(command: string, argv: readonly string[], options: O, allowPositionals = false) {
  const table: OptionsConfig = { ...COMMON_FLAGS, ...options };
  // Not strict: the tokens are checked here, so every message is the command's own.
  const parsed = parseArgs({ args: [...argv], options: table, allowPositionals: true, strict: false, tokens: true });
  for (const t of parsed.tokens) {
    if (t.kind === "positional") {
      if (!allowPositionals) throw new UsageError(command, `unexpected argument '${t.value}'`);
      continue;
    }
    if (t.kind !== "option") continue;
    const spec = table[t.name];
    if (!spec) {
      const long = Object.keys(table).map((k) => `--${k}`).sort();
      throw new UsageError(command, `unknown flag '${t.rawName}' (flags: ${long.join(", ")})`);
    }
    const name = flagName(t.rawName, t.name);
    if (spec.type === "boolean") {
      if (t.value !== undefined) throw new UsageError(command, `${name} takes no value, got '${t.value}'`);
    } else if (t.value === undefined) {
      throw new UsageError(command, `${name} needs a value`);
    } else if (!t.inlineValue && /^-(?!\d)/.test(t.value)) {
      // `--port --json`: the next word is a flag, not the value (a negative number is a value).
      throw new UsageError(command, `${name} needs a value, got the flag '${t.value}' (write ${t.rawName}=${t.value} if you mean it)`);
    }
  }
  const { help, ...values } = parsed.values as Record<string, unknown>;
  if (values.verbose === true || values.debug === true) {
    values.verbose = true;
    values.debug = true;
  }
  return {
    values: values as FlagValues<O> & { verbose?: boolean; debug?: boolean },
    positionals: parsed.positionals,
    help: help === true,
  };
}

/**
 * Parses an integer flag value within a range.
 * @throws {UsageError} when the text is not a whole number in range
 */
export function parseIntFlag(command: string, flag: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(command, `${flag} expects a whole number, got '${text}'`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(command, `${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/**
 * Parses a duration flag: `2` and `2.5` are seconds; `500ms`, `2s`, `1m` carry their unit.
 * @returns milliseconds
 * @throws {UsageError} when the text is not a positive duration
 */
export function parseDurationFlag(command: string, flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(command, `${flag} expects a duration such as 2, 0.5, 500ms or 1m, got '${text}'`);
  return ms;
}

/**
 * Checks an IPv4 flag value.
 * @returns the address as given
 * @throws {UsageError} when the text is not dotted IPv4
 */
export function parseIpv4Flag(command: string, flag: string, text: string, example = "127.0.0.1"): string {
  if (!IPV4_PATTERN.test(text)) throw new UsageError(command, `${flag} expects an IPv4 address such as ${example}, got '${text}'`);
  return text;
}

/**
 * Checks interface names given on the command line: each must be an interface of this host with an IPv4
 * address (a typo is a usage error, before anything is sent or bound).
 * @throws {UsageError} naming the unknown interface and the known ones
 */
export function checkInterfaceFlags(command: string, flag: string, names: readonly string[] | undefined): void {
  if (!names?.length) return;
  const known = [...new Set(listIpv4Interfaces().map((i) => i.name))];
  for (const n of names) {
    if (!known.includes(n)) throw new UsageError(command, `${flag}: interface '${n}' does not exist here or has no IPv4 address (known: ${known.join(", ") || "none"})`);
  }
}
