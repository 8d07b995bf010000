import { spawnHook } from "../beacon/index.ts";
import { ConfigError } from "../config/index.ts";
import { KeyError } from "../crypto/index.ts";
import { monotonicNs } from "../gpio/index.ts";
import {
  ControlError,
  createLogger,
  Daemon,
  DaemonError,
  DEFAULT_BUILDERS,
  openControlServer,
  errorMessage,
  openNotifier,
  openPersistentIdentity,
  summarizeStatus,
  SystemdLink,
  watchdogIntervalMs,
  type ControlRequest,
  type ControlServer,
  type DaemonInput,
  type DaemonLogger,
} from "../daemon/index.ts";
import { describePageOut, pageOutWhenSettled } from "../page-out.ts";
import { VERSION } from "../version.ts";
import { parseFlags } from "./_args.ts";
import { resolve } from "node:path";
import { DEFAULT_CONFIG_PATH, loadConfigChecked, resolveHostName } from "./_config.ts";
import { resolveSecrets } from "./_secrets.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";

const HELP = `Usage: disco run [-c FILE] [--name NAME]

The daemon: runs every capability the config enables, as supervised tasks of one process.
  [discovery] enabled = true (default)   answers disco-client queries, as disco-server does
  [beacon] enabled = true                beacons, the membership table, hooks on join/leave/failed
  [metrics] enabled = true               the ZeroMQ proxy and the host collectors (load, memory, ...)
  [[gpio.*]] lines declared              outputs and PWM held, input changes published as metrics
  [control] (lines or [[query]], a key)  remote GPIO and fleet queries for 'disco gpio --host', 'disco query'
  [http] present                         the live page, JSON API, /events, Prometheus /metrics and /sd
  [mqtt] present                         the MQTT bridge: Home Assistant discovery, GPIO switches, metrics

A task that fails (or ends by itself) is restarted after 1 s, 2 s, 4 s ... up to 60 s; the daemon exits 1
only when every task keeps failing.

Reload ('disco reload', SIGHUP, 'systemctl reload disco'): the new config is built completely — keys
read, sockets bound — before anything stops; unchanged tasks keep running, a change of [services], GPIO
names or the metrics endpoint is applied in place (peers see one update), and a config with any problem is
refused with every problem logged while the running one stays. [daemon] control_socket and state_directory
take effect at the next start ('disco reload' prints a note).

The control socket ([daemon] control_socket, default /run/disco/disco.sock, mode 0660) answers
'disco status', 'disco reload' and 'disco hosts' (docs/DAEMON.md). Under systemd (Type=notify) it sends
READY=1 once every task is prepared, STATUS= with a summary, RELOADING=1 / READY=1 around a reload,
STOPPING=1, and WATCHDOG=1 at half of WatchdogSec. Logs go to stderr with a level on every line
([daemon] log_format = "text" or "json"; no timestamps when journald collects them).

Signals: SIGHUP reloads; SIGUSR1 logs the status; SIGINT / SIGTERM / SIGQUIT stop every task (beacons say
goodbye first); SIGUSR2 and the other catchable ones are logged and ignored.

Flags:
  -c, --config FILE   the config (default ${DEFAULT_CONFIG_PATH}; a missing default means all defaults)
  -n, --name NAME     host name (default [host] name, else the system host name)
  -v, --verbose       debug lines too (also --debug); without it, info and above: every task start,
                      stop, restart and reload

Examples:
  disco run -c /etc/disco.toml
  disco status                                   how it is: tasks, reloads, hosts, counters
  disco config check -c /etc/disco.toml && disco reload

Exit codes: 0 stopped by a signal, 1 every task kept failing, 2 usage or config error (also: the config
enables nothing).
`;

/** A logger whose format can change on reload, writing to stderr (journald stamps lines itself). */
function switchableLogger(io: CliIo, format: "text" | "json", verbose: boolean): DaemonLogger & { readonly format: "text" | "json"; setFormat(format: "text" | "json"): void } {
  const journal = io.env["JOURNAL_STREAM"] !== undefined && io.env["JOURNAL_STREAM"] !== "";
  const level = verbose ? "debug" : "info";
  const make = (f: "text" | "json") => createLogger({ format: f, level, timestamps: !journal, syslogPrefix: journal, write: (line) => io.err(`${line}\n`) });
  let current = format;
  let inner = make(format);
  return {
    debug: (m, x) => inner.debug(m, x),
    info: (m, x) => inner.info(m, x),
    warn: (m, x) => inner.warn(m, x),
    error: (m, x) => inner.error(m, x),
    get format() {
      return current;
    },
    setFormat: (f) => {
      if (f !== current) inner = make((current = f));
    },
  };
}

/**
 * Loads one configuration completely: the file parsed and validated, the host name, the secrets read and
 * the password derived. Nothing of a running daemon is touched.
 * @throws {ConfigError} on a bad config or an unusable key
 * @throws {UsageError} on a bad host name or an empty password
 */
async function loadInput(configPath: string | undefined, name: string | undefined, io: CliIo): Promise<DaemonInput> {
  // The secret files checked with the rest: a reload names every problem, each with its line.
  const { config, file } = loadConfigChecked(configPath);
  const host = resolveHostName("run", name, config);
  const d = config.discovery;
  try {
    // Legacy mode uses the password as PyDiscover's key: it derives no sealed key from it.
    const secrets = await resolveSecrets("run", { config: d, magic: d.magic, io, legacy: d.enabled && d.legacy });
    // Absolute: `disco status` shows it, and `disco reload -c` compares it with the file it was given.
    return { config, host, secrets, ...(file !== undefined && { file: resolve(file) }) };
  } catch (err) {
    if (err instanceof KeyError) throw new ConfigError([{ key: "discovery.keys", message: err.message }], file, { cause: err });
    throw err;
  }
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
    const input = await loadInput(f.config, f.name, io);
    const log = switchableLogger(io, input.config.daemon.logFormat, f.verbose === true);
    const identity = openPersistentIdentity(input.config.daemon.stateDirectory, { onProblem: (m) => log.warn(m) });
    let notifier;
    try {
      notifier = openNotifier(io.env["NOTIFY_SOCKET"]);
    } catch (err) {
      log.warn(`cannot talk to systemd on NOTIFY_SOCKET=${io.env["NOTIFY_SOCKET"]}: ${errorMessage(err)}`);
    }
    const watchdogMs = watchdogIntervalMs(io.env["WATCHDOG_USEC"], io.env["WATCHDOG_PID"], io.pid ?? 0);
    const systemd = new SystemdLink({ ...(notifier && { notifier }), ...(watchdogMs !== undefined && { watchdogMs }), monotonicUsec: () => monotonicNs() / 1000n });
    let started = false;
    // Once started (and after each reload), the start-up pages of the binary go back to the kernel.
    const pageOut = pageOutWhenSettled({
      // Once per start and reload, with what it gave back: a fact for whoever reads RSS off `ps`.
      done: (r) => log.info(describePageOut(r)),
    });
    const daemon: Daemon = new Daemon({
      builders: DEFAULT_BUILDERS,
      log,
      identity,
      spawnHook,
      hookEnv: Object.fromEntries(Object.entries(io.env).filter((e): e is [string, string] => e[1] !== undefined)),
      version: VERSION,
      pid: io.pid ?? 0,
      onStatusChange: () => {
        if (started && !stopping) systemd.status(statusLine(daemon));
      },
    });
    const reload = async () => {
      systemd.reloading();
      try {
        let next: DaemonInput;
        try {
          next = await loadInput(f.config, f.name, io);
        } catch (err) {
          if (err instanceof ConfigError) return daemon.refuseReload(err.problems.length ? err.format().split("\n") : [err.message]);
          if (err instanceof UsageError) return daemon.refuseReload([err.message]);
          return daemon.refuseReload([errorMessage(err)]);
        }
        // What [daemon] changes do: the daemon's "reloaded" line carries them, and `disco reload` prints them
        // (a refused reload changes nothing, so it says nothing of them).
        const notes: string[] = [];
        if (next.config.daemon.controlSocket !== socketPath) notes.push(`[daemon] control_socket takes effect at the next start (still ${socketPath})`);
        if (next.config.daemon.stateDirectory !== input.config.daemon.stateDirectory) notes.push("[daemon] state_directory takes effect at the next start");
        const format = next.config.daemon.logFormat;
        const outcome = await daemon.reload(next, format !== log.format ? [...notes, `log_format ${format}`] : notes);
        if (outcome.ok) log.setFormat(format);
        return outcome;
      } finally {
        if (!stopping) {
          systemd.ready(statusLine(daemon));
          pageOut.request();
        }
      }
    };
    const socketPath = input.config.daemon.controlSocket;
    const handle = async (r: ControlRequest): Promise<unknown> => {
      if (r.request === "status") return daemon.status();
      if (r.request === "reload") return daemon.requestReload(reload);
      const beacons = daemon.status().tasks.find((t) => t.name === "beacons");
      const stats = beacons?.counters;
      return { nowMs: performance.now(), hosts: daemon.context.membership.hosts(), beacons: beacons !== undefined, ...(stats && { stats }) };
    };
    // A burst of SIGHUPs (or `disco reload`s) while one reload is prepared is one more reload, not one each.
    const unsubscribe = [io.onReload?.(() => void daemon.requestReload(reload))];
    let stopping: Promise<void> | undefined;
    const stop = (why: string) => {
      if (stopping) return;
      const goodbye = daemon.status().tasks.some((t) => t.name === "beacons");
      log.info(`stopping (${why})${goodbye ? ", saying goodbye to peers" : ""}`, { signal: why });
      systemd.stopping(`stopping (${why})`);
      stopping = daemon.stop();
    };
    const onAbort = () => stop(typeof signal.reason === "string" ? signal.reason : "stop requested");
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    // Signals that would otherwise end the daemon silently; listening before anything binds.
    unsubscribe.push(io.onSignal?.("SIGUSR1", () => logStatus(daemon, log)));
    unsubscribe.push(io.onSignal?.("SIGQUIT", () => stop("SIGQUIT")));
    for (const name of ["SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF"] as const) {
      unsubscribe.push(io.onSignal?.(name, () => log.warn(`${name} ignored (SIGHUP reloads, SIGUSR1 logs the status, SIGTERM stops)`)));
    }
    unsubscribe.push(io.onSignal?.("SIGPIPE", () => undefined));
    const cleanup = () => {
      pageOut.cancel();
      for (const u of unsubscribe) u?.();
      signal.removeEventListener("abort", onAbort);
      systemd.close();
    };
    let control: ControlServer | undefined;
    try {
      control = await openControlServer({ path: socketPath, handle, watch: (_r, s) => daemon.context.membership.subscribe({ signal: s }) });
    } catch (err) {
      if (!(err instanceof ControlError)) throw err;
      // Also when another daemon answers there: its ports will tell whether the two can share this host.
      log.warn(`${err.message}: 'disco status', 'disco reload' and 'disco hosts' cannot reach this daemon (SIGHUP still reloads; set [daemon] control_socket)`);
    }
    try {
      await daemon.start(input);
    } catch (err) {
      cleanup();
      await control?.close();
      if (err instanceof DaemonError) throw new ConfigError([{ key: "", message: err.message }], input.file, { cause: err });
      throw err;
    }
    started = true;
    log.info(`running ${daemon.status().tasks.map((t) => t.name).join(", ")} (generation 1)${control ? `; control socket ${socketPath}` : ""}`);
    if (!stopping) systemd.ready(statusLine(daemon));
    pageOut.request();
    try {
      const exit = await daemon.wait();
      await control?.close();
      if (exit.kind === "failing") {
        systemd.stopping(`failing: ${exit.reason}`);
        // The daemon's "giving up" line says why; this one, as for a signal, says that it has stopped.
        await daemon.stop();
        log.error("stopped (exit 1): every task kept failing");
        return 1;
      }
      log.info("stopped");
      return 0;
    } finally {
      cleanup();
    }
  },
};

/** The one-line summary systemd shows (STATUS=), with the last refused reload when there is one. */
function statusLine(daemon: Daemon): string {
  const s = daemon.status();
  const refused = s.lastReload && !s.lastReload.ok ? `; last reload refused: ${(s.lastReload.problems ?? []).join("; ")}` : "";
  return `${summarizeStatus(s)}${refused}`.slice(0, 1000);
}

/** SIGUSR1: the status in the log, a summary line and one line per task. */
function logStatus(daemon: Daemon, log: DaemonLogger): void {
  const s = daemon.status();
  log.info(`status: ${summarizeStatus(s)}; up ${Math.round(s.uptimeMs / 1000)} s${s.lastReload ? `; last reload ${s.lastReload.ok ? "ok" : `refused: ${(s.lastReload.problems ?? []).join("; ")}`}` : ""}`);
  for (const t of s.tasks) {
    log.info(`status: ${t.name} ${t.state}, restarts ${t.restarts}${t.lastError !== undefined ? `, last error: ${t.lastError}` : ""}${t.counters ? ` ${JSON.stringify(t.counters)}` : ""}`, { task: t.name, state: t.state });
  }
}
