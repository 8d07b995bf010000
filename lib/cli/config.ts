/**
 * `disco config check | show`: validate a config (every problem with its line, also the secret files it
 * names), or print the effective config with every default filled in and the secrets redacted.
 */
import { parseFlags } from "./_args.ts";
import { DEFAULT_CONFIG_PATH, loadConfigChecked, loadConfigFile } from "./_config.ts";
import type { CliIo, Command } from "./command.ts";
import { EXIT_OK, EXIT_USAGE } from "./command.ts";
import { UsageError } from "./errors.ts";
import { ConfigError, type ConfigProblem, type DiscoConfig } from "../config/index.ts";
import { describeListenAddress } from "../net/index.ts";

const HELP = `Usage: disco config check [-c FILE] [--json] [-q]
       disco config show [-c FILE]

check: validates a config file and prints every problem with its line, the key and what was expected.
       Also checks that password_file and key_file can be read and hold usable secrets, and that the
       interfaces it names exist on this host; explains a listen address other than 0.0.0.0 (which
       interface's unicast and broadcasts it hears).
show:  prints the effective config as JSON: every default filled in (durations in ms, as the names say),
       relative key and password files resolved, passwords and keys shown as "<redacted>".

Without -c, ${DEFAULT_CONFIG_PATH} is used; when it does not exist, the config is every default (as for
every other command).

Flags:
  -c, --config FILE   the config (default ${DEFAULT_CONFIG_PATH})
      --json          check: one JSON document {"file", "ok", "problems": [{"key", "line", "message"}], "notes"}
  -q, --quiet         check: print nothing when the config is fine
  -v, --verbose       accepted for symmetry with the other commands (also --debug)

Examples:
  disco config check -c config.example.toml
  disco config check -c /etc/disco.toml && systemctl reload disco
  disco config check --json | jq '.problems[].key'
  disco config show -c /etc/disco.toml | jq .discovery

Exit codes: 0 valid, 2 usage error or problems found.
`;

/** Keys whose values are secrets, wherever they appear (a section another folder adds included). */
const SECRET_KEY = /password$|^keys?$|token|secret/i;

/** A copy of `value` with every secret replaced by "<redacted>" (file names of secrets are kept). */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && !/file$/i.test(k) ? (Array.isArray(v) ? v.map(() => "<redacted>") : "<redacted>") : redactSecrets(v)]),
  );
}

/** What is worth knowing about a valid config: what its listen addresses mean, what legacy exposes. */
function notes(config: DiscoConfig): string[] {
  const d = config.discovery;
  const out: string[] = [];
  // What a listen address means is easy to get wrong (a unicast address used to make the server deaf to broadcasts).
  for (const [key, address] of [["discovery.listen", d.listen], ["beacon.listen", config.beacon.listen]] as const) {
    if (address !== "0.0.0.0") out.push(`${key} = ${describeListenAddress(address)}`);
  }
  if (d.enabled && d.legacy) out.push("discovery.legacy: the password is PyDiscover's only (exposed to the LAN; it seals nothing else)");
  return out;
}

function check(path: string | undefined, json: boolean, quiet: boolean, io: CliIo): number {
  const shown = path ?? DEFAULT_CONFIG_PATH;
  let problems: readonly ConfigProblem[];
  let file: string | undefined = path;
  let config: DiscoConfig | undefined;
  try {
    const loaded = loadConfigChecked(path);
    file = loaded.file;
    config = loaded.config;
    problems = [];
  } catch (err) {
    if (!(err instanceof ConfigError) || !json) throw err;
    problems = err.problems;
    file = err.file;
  }
  if (json) {
    io.out(`${JSON.stringify({ file: file ?? null, ok: problems.length === 0, problems, notes: config && problems.length === 0 ? notes(config) : [] })}\n`);
    return problems.length ? EXIT_USAGE : EXIT_OK;
  }
  if (problems.length) throw new ConfigError(problems, file);
  if (!quiet) {
    io.out(file !== undefined ? `${file}: ok\n` : `${shown} does not exist: every default applies (ok)\n`);
    for (const n of notes(config!)) io.out(`note: ${n}\n`);
  }
  return EXIT_OK;
}

/** `disco config check | show`. */
export const command: Command = {
  name: "config",
  async run(argv, io) {
    const { values, positionals, help } = parseFlags(
      "config",
      argv,
      {
        config: { type: "string", short: "c" },
        quiet: { type: "boolean", short: "q" },
        json: { type: "boolean" },
      },
      true,
    );
    if (help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const [sub, ...extra] = positionals;
    if (sub === undefined) throw new UsageError("config", "missing subcommand: check or show");
    if (sub !== "check" && sub !== "show") throw new UsageError("config", `unknown subcommand '${sub}' (check, show)`);
    if (extra.length) throw new UsageError("config", `unexpected argument '${extra[0]}'`);
    if (sub === "check") return check(values.config, values.json === true, values.quiet === true, io);
    if (values.json || values.quiet) throw new UsageError("config", "--json and --quiet are for check (show always prints JSON)");
    const { config } = loadConfigFile(values.config);
    // explicitKeys is bookkeeping (which PyDiscover defaults a key overrides), not a setting.
    const { explicitKeys: _bookkeeping, ...discovery } = config.discovery;
    io.out(`${JSON.stringify(redactSecrets({ ...config, discovery }), null, 2)}\n`);
    return EXIT_OK;
  },
};
