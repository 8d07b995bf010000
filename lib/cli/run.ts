import { ConfigError } from "../config/index.ts";
import { KeyError } from "../crypto/index.ts";
import { runTasks, planTasks, TaskError, type Task } from "../daemon/index.ts";
import { parseFlags } from "./_args.ts";
import { DEFAULT_CONFIG_PATH, loadConfigFile, resolveHostName } from "./_config.ts";
import { createDescriber } from "./_offers.ts";
import { keyringFor, legacyKeyOrExplain, resolveSecrets } from "./_secrets.ts";
import { beaconServiceOptions, resolveBeaconSetup } from "./broadcast.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";

const HELP = `Usage: disco run [-c FILE] [--name NAME]

The daemon: runs every capability the config enables, as cooperating tasks of one process.
  [discovery] enabled = true (default)   answers disco-client queries, as disco-server does
  [beacon] enabled = true                beacons, the membership table, hooks on join/leave/failed
  [metrics] enabled = true               the ZeroMQ proxy and the host collectors (load, memory, ...)
  [[gpio.*]] lines declared              outputs and PWM driven, input changes published as metrics

Signals: SIGHUP reloads the config (a config with problems is reported and the running one kept);
SIGINT / SIGTERM stop every task (beacons say goodbye first).

Flags:
  -c, --config FILE   the config (default ${DEFAULT_CONFIG_PATH}; a missing default means all defaults)
  -n, --name NAME     host name (default [host] name, else the system host name)
  -v, --verbose       accepted (also --debug); the daemon logs every task start, stop and reload

Examples:
  disco run -c /etc/disco.toml
  disco config check -c /etc/disco.toml && systemctl reload disco     (reload = SIGHUP)

Exit codes: 0 stopped by a signal, 1 a task failed (e.g. a port in use), 2 usage or config error.
`;

/**
 * Builds the tasks of one configuration completely (config, secrets, plan) before anything stops, so a
 * reload with problems leaves the running tasks alone.
 * @throws {ConfigError} on a bad config, an unusable key, or a config that enables nothing
 */
async function prepare(configPath: string | undefined, name: string | undefined, io: CliIo, log: (line: string) => void): Promise<readonly Task[]> {
  const { config, file } = loadConfigFile(configPath);
  const d = config.discovery;
  const host = resolveHostName("run", name, config);
  let secrets;
  try {
    secrets = await resolveSecrets("run", { config: d, magic: d.magic, io, legacy: d.enabled && d.legacy });
  } catch (err) {
    if (err instanceof KeyError) throw new ConfigError([{ key: "discovery.keys", message: err.message }], file, { cause: err });
    throw err;
  }
  let discovery;
  if (d.enabled) {
    const keyring = await keyringFor(secrets, "discovery");
    const legacyKey = legacyKeyOrExplain("run", d.legacy, secrets, io, { requirePassword: true });
    if (legacyKey === null) throw new ConfigError([{ key: "discovery.legacy", message: "needs a usable PyDiscover password (password or password_file)" }], file);
    discovery = { ...(keyring && { keyring }), ...(legacyKey && { legacyKey }), describe: createDescriber(config, { host, listen: d.listen }) };
  }
  let beacon;
  const b = config.beacon;
  if (b.enabled) {
    const setup = await resolveBeaconSetup("run", { name: host }, io, { needTargets: true, config, secrets });
    beacon = beaconServiceOptions("run", setup, io, { send: true, hooks: true });
  }
  const tasks = planTasks({ config, host, ...(discovery && { discovery }), ...(beacon && { beacon }), log });
  if (tasks.length === 0) {
    throw new ConfigError([{ key: "", message: "the config enables nothing ([discovery] enabled = false, and no [beacon], [metrics] or [gpio] enabled)" }], file);
  }
  return tasks;
}

/** `disco run`: the daemon. */
export const command: Command = {
  name: "run",
  async run(argv, io, signal) {
    const { values: f, help } = parseFlags("run", argv, {
      config: { type: "string", short: "c" },
      name: { type: "string", short: "n" },
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    const log = (line: string) => io.err(`disco run: ${line}\n`);
    let current = await prepare(f.config, f.name, io, log);

    // Reload requests arrive as a stream of wake-ups; a burst of SIGHUPs is one reload.
    let wake: (() => void) | undefined;
    let pending = false;
    const unsubscribe = io.onReload?.(() => {
      pending = true;
      wake?.();
    });
    const nextReload = () =>
      new Promise<"reload">((resolve) => {
        if (pending) return resolve("reload");
        wake = () => resolve("reload");
      });
    try {
      for (;;) {
        const generation = new AbortController();
        // The first failure stops the other tasks and is reported once, below.
        const running = runTasks(current, { signal: AbortSignal.any([signal, generation.signal]) }).then(
          () => ({ kind: "stopped" as const }),
          (error: unknown) => ({ kind: "failed" as const, error }),
        );
        log(`running ${current.map((t) => t.name).join(", ")}`);
        let next: readonly Task[] | undefined;
        while (!next) {
          const outcome = await Promise.race([running, nextReload()]);
          if (outcome === "reload") {
            pending = false;
            try {
              next = await prepare(f.config, f.name, io, log);
            } catch (err) {
              if (!(err instanceof ConfigError || err instanceof UsageError)) throw err;
              log(`reload refused, the running config stays:\n${err instanceof ConfigError ? err.format() : err.message}`);
              next = undefined;
            }
            continue;
          }
          if (outcome.kind === "stopped") return 0;
          const e = outcome.error;
          log(e instanceof TaskError ? e.message : String(e));
          return 1;
        }
        generation.abort();
        const end = await running;
        if (end.kind === "failed" && !(end.error instanceof TaskError)) throw end.error;
        current = next;
        log("config reloaded");
      }
    } finally {
      unsubscribe?.();
    }
  },
};
