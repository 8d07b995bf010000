/**
 * Reads the `[DEFAULT]` section of a PyDiscover services `.cfg` file (Python configparser INI), so
 * `disco-server -d services.cfg` works for fleets migrating from PyDiscover.
 */
import { ConfigError, type ConfigProblem } from "./errors.ts";

/**
 * Parses INI text and returns the keys of `[DEFAULT]` (keys before any section header count too).
 * Supports `key = value`, `key: value`, `#` and `;` comments, and indented continuation lines.
 * @param text the file's text
 * @param file the file name, for errors
 * @returns the services as strings, in file order
 * @throws {ConfigError} for lines that are neither key, section, comment nor continuation
 */
export function parseIniServices(text: string, file?: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  let section = "DEFAULT";
  let last: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const t = raw.trim();
    if (t === "" || t.startsWith("#") || t.startsWith(";")) continue;
    if (/^\s/.test(raw) && last !== undefined && section === "DEFAULT") {
      out[last] = `${out[last]}\n${t}`;
      continue;
    }
    const header = /^\[([^\]]+)\]$/.exec(t);
    if (header) {
      section = header[1]!.trim();
      last = undefined;
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(t);
    if (!kv) {
      problems.push({ key: "", line: i + 1, message: `expected 'key = value' or a [section], got ${JSON.stringify(t)}` });
      continue;
    }
    if (section !== "DEFAULT") continue;
    last = kv[1]!.toLowerCase();
    out[last] = kv[2]!;
  }
  if (problems.length) throw new ConfigError(problems, file);
  return out;
}
