import { parseFlags } from "./_args.ts";
import { DEFAULT_CONFIG_PATH, loadConfigFile, readNamedFile } from "./_config.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import { decodeKey, KeyError, parseKeyFile, parsePasswordFile } from "../crypto/index.ts";
import { ConfigError, type ConfigProblem } from "../config/index.ts";
import { describeListenAddress } from "../net/index.ts";

const HELP = `Usage: disco config check [-c FILE] [--quiet]

Validates a config file and prints every problem with its line, the key and what was expected.
Also checks that password_file and key_file can be read and hold usable secrets, and explains a
listen address other than 0.0.0.0 (which interface's unicast and broadcasts it hears).

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
    // Collect every problem of both files rather than stopping at the first unreadable one.
    const collect = (read: () => void) => {
      try {
        read();
      } catch (err) {
        if (err instanceof ConfigError) problems.push(...err.problems);
        else throw err;
      }
    };
    const { passwordFile, keyFile } = config.discovery;
    if (passwordFile !== undefined) {
      collect(() => {
        if (parsePasswordFile(readNamedFile(passwordFile, "discovery.password_file")) === "") {
          problems.push({ key: "discovery.password_file", message: `${passwordFile} holds an empty password` });
        }
      });
    }
    if (keyFile !== undefined) {
      collect(() => {
        const entries = parseKeyFile(readNamedFile(keyFile, "discovery.key_file"));
        if (entries.length === 0) problems.push({ key: "discovery.key_file", message: `${keyFile} holds no key` });
        for (const e of entries) {
          try {
            decodeKey(e.text);
          } catch (err) {
            if (!(err instanceof KeyError)) throw err;
            problems.push({ key: "discovery.key_file", message: `${keyFile} line ${e.line}: ${err.message}` });
          }
        }
      });
    }
    if (d.enabled && d.legacy && d.password === undefined && d.passwordFile === undefined) {
      problems.push({ key: "discovery.legacy", message: "needs password or password_file (PyDiscover's password; keys cannot serve PyDiscover, and without a password it would answer in clear)" });
    }
    if (problems.length) throw new ConfigError(problems, file);
    if (!values.quiet) {
      io.out(`${file ?? DEFAULT_CONFIG_PATH}: ok\n`);
      // What a listen address means is easy to get wrong (a unicast address used to make the server deaf to broadcasts).
      for (const [key, address] of [["discovery.listen", d.listen], ["beacon.listen", config.beacon.listen]] as const) {
        if (address !== "0.0.0.0") io.out(`note: ${key} = ${describeListenAddress(address)}\n`);
      }
      if (d.enabled && d.legacy) io.out("note: discovery.legacy: the password is PyDiscover's only (exposed to the LAN; it seals nothing else)\n");
    }
    return 0;
  },
};
