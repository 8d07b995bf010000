import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseDuration } from "../config/index.ts";
import { IPV4_PATTERN } from "../net/index.ts";
import { UsageError } from "./errors.ts";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command's flags strictly with `node:util` `parseArgs`, adding `-h/--help`.
 * @param command the command name, for error messages
 * @param argv the arguments after the command word
 * @param options the flag table
 * @param allowPositionals whether bare words are accepted
 * @returns values (typed by the table), positionals, and `help` (whether -h/--help was given)
 * @throws {UsageError} on an unknown flag, a missing value or an unexpected word
 */
export function parseFlags<O extends OptionsConfig>(
  command: string,
  argv: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals,
      strict: true,
    });
    const { help, ...values } = parsed.values as Record<string, unknown>;
    return {
      values: values as ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>>["values"],
      positionals: parsed.positionals,
      help: help === true,
    };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const message = err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, "") : String(err);
    throw new UsageError(command, message, { cause: err });
  }
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
