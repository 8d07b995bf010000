import { parseFlags } from "./_args.ts";
import { DEFAULT_CONFIG_PATH, loadConfigFile, readNamedFile } from "./_config.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import { decodeKey, KeyError } from "../crypto/index.ts";
import { ConfigError, type ConfigProblem } from "../config/index.ts";

const HELP = `Usage: disco config check [-c FILE] [--quiet]

Validates a config file and prints every problem with its line, the key and what was expected.
Also checks that password_file and key_file can be read and hold usable secrets.

Flags:
  -c, --config FILE   the config (default ${DEFAULT_CONFIG_PATH})
  -q, --quiet         print nothing when the config is fine

Examples:
  disco config check -c config.example.toml
  disco config check -c /etc/disco.toml && systemctl reload disco

Exit codes: 0 valid, 2 problems found.
`;

/** `disco config check`: validates a config. */
export const command: Command = {
  name: "config",
  summary: "validate a config file and print every problem",
  async run(argv, io) {
    const { values, positionals, help } = parseFlags("config", argv, {
      config: { type: "string", short: "c" },
      quiet: { type: "boolean", short: "q" },
    }, true);
    if (help) {
      io.out(HELP);
      return 0;
    }
    if (positionals[0] !== "check" || positionals.length > 1) {
      throw new UsageError("config", positionals.length ? `unknown subcommand '${positionals.join(" ")}' (expected 'check')` : "missing subcommand: disco config check [-c FILE]");
    }
    const { config, file } = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    const problems: ConfigProblem[] = [];
    const d = config.discovery;
    if (d.passwordFile !== undefined) {
      try {
        if (readNamedFile(d.passwordFile, "discovery.password_file").split(/\r?\n/)[0]!.length === 0) {
          problems.push({ key: "discovery.password_file", message: `${d.passwordFile} holds an empty password` });
        }
      } catch (err) {
        if (err instanceof ConfigError) problems.push(...err.problems);
        else throw err;
      }
    }
    if (d.keyFile !== undefined) {
      try {
        const lines = readNamedFile(d.keyFile, "discovery.key_file").split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith("#"));
        if (lines.length === 0) problems.push({ key: "discovery.key_file", message: `${d.keyFile} holds no key` });
        lines.forEach((l, i) => {
          try {
            decodeKey(l);
          } catch (err) {
            if (!(err instanceof KeyError)) throw err;
            problems.push({ key: "discovery.key_file", message: `${d.keyFile} line ${i + 1}: ${err.message}` });
          }
        });
      } catch (err) {
        if (err instanceof ConfigError) problems.push(...err.problems);
        else throw err;
      }
    }
    if (problems.length) throw new ConfigError(problems, file);
    if (!values.quiet) io.out(`${file ?? DEFAULT_CONFIG_PATH}: ok\n`);
    return 0;
  },
};
