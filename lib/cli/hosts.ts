/**
 * `disco hosts`: the membership table, once or live. Asks the running daemon over its control socket (at
 * once, and the daemon's table knows every host since it started); with --listen, listening flags, or no
 * daemon answering, listens to beacons itself (disco.py, rich, and py-vault-multicast when configured);
 * `--announce` also beacons, so the process is a full member. Never runs hooks (only the daemon does).
 */
import { BeaconCounters, runBeaconService, type CountersSnapshot, type HostRecord, type MembershipTable, type MembershipEvent } from "../beacon/index.ts";
import { watchControl, ControlError } from "../daemon/index.ts";
import { BEACON_FLAGS, beaconServiceOptions, formatCounters, resolveBeaconSetup, type BeaconFlagValues } from "./broadcast.ts";
import { askDaemon, controlSocketPath } from "./_daemon-socket.ts";
import { parseDurationFlag, parseFlags } from "./_args.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";

const HELP = `Usage: disco hosts [--watch] [--json] [--stats] [-c FILE | --socket PATH]
       disco hosts --listen [--watch] [--json] [--stats] [--timeout SECONDS] [--announce] [beacon flags]

The hosts heard by their beacons. When 'disco run' is running, its table answers at once, through the
control socket ([daemon] control_socket of -c FILE or the default config, or --socket). With --listen,
any listening flag (--port, --delay, --timeout, --announce, ...), or when no daemon answers (said in one
line), it listens itself: for one beacon round (the interval plus a little, or --timeout), then prints
the table. With --watch, a live table that redraws in place on a terminal; with --json or when stdout is
not a terminal, one JSON event per line (NDJSON; from the daemon, the hosts it knows come first as joins):
  {"type":"join"|"update"|"suspect"|"leave"|"failed","host":{"host":..,"addresses":[..],"state":..,...}}
A host is suspect after 2 missed beacons and failed after 3 (its own announced interval; for disco.py
beacons, the pace learned from their arrivals, --delay until then); a goodbye removes it at once.

Flags:
  --watch               keep listening and show changes
  --listen              listen for beacons here instead of asking the daemon
  -s, --socket PATH     the daemon's control socket (default: the config's [daemon] control_socket)
  --json                JSON: the table as an array (one-shot), or NDJSON events (--watch)
  --stats               also show counters (packets, bytes, errors, drops by reason, hosts, uptime, rate)
  --timeout SECONDS     one-shot listening time (default: the interval + 10% + 0.5 s)
  --announce            also send this host's beacons (and a goodbye on exit), like 'broadcast --send'
  -p, --port N          UDP port (default: [beacon] port, 9000)
  -d, --delay SECONDS   beacon interval: sent with --announce; disco.py beacons' until learned (default 15)
  -i, --interface NAME  (--announce) beacon on this interface (repeatable)
  --to ADDR             (--announce) send to this address, e.g. 127.255.255.255 (repeatable)
  -n, --name NAME       (--announce) host name to announce
  --format F            (--announce) disco.py (default) or json
  --debug               log readiness and dropped datagrams with their reason to stderr
  -c, --config FILE     config file (default /etc/disco.toml when present)

Examples:
  disco hosts                                   who is out there (the daemon's table, or one beacon round)
  disco hosts --listen --timeout 3 --json
  disco hosts --watch                           live table
  disco hosts --watch --json | jq .             events as they happen
  disco hosts --watch --announce --to 127.255.255.255 --delay 1 --name a    a member on this machine
  disco hosts --stats
`;

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""} ago`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m ago`;
}

/** Renders the table, one host per line, columns padded. */
export function renderTable(hosts: readonly HostRecord[], nowMs: number, columns?: number): string[] {
  const width = columns !== undefined && columns >= 20 ? columns : 160;
  const rows = [["HOST", "ADDRESSES", "STATE", "LAST SEEN", "SERVICES"]];
  for (const h of hosts) {
    // Everything here came from the LAN: escaped, so a name or service cannot drive the terminal.
    rows.push([h.host, h.addresses.join(","), h.state, ago(nowMs - h.lastSeenMs), h.services ? Object.keys(h.services).join(",") : ""].map(escapeForTerminal));
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").slice(0, width).trimEnd());
}

const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const CLEAR_SCREEN = "\x1b[2J";

function draw(io: CliIo, table: MembershipTable, counters: BeaconCounters | undefined, status: string): void {
  const lines = renderTable(table.hosts(), performance.now(), io.columns);
  lines.push("", status);
  if (counters) lines.push("", ...formatCounters(counters.snapshot(table.activeCount)).split("\n"));
  io.out(`${HOME}${lines.map((l) => `${l}${CLEAR_LINE}`).join("\n")}\n${CLEAR_BELOW}`);
}

interface HostsFlags extends BeaconFlagValues {
  watch?: boolean | undefined;
  json?: boolean | undefined;
  stats?: boolean | undefined;
  timeout?: string | undefined;
  announce?: boolean | undefined;
  debug?: boolean | undefined;
}

/** The daemon's answer to `hosts`. */
interface DaemonHosts {
  /** The daemon's monotonic clock when it answered (lastSeenMs is on it). */
  readonly nowMs: number;
  readonly hosts: readonly HostRecord[];
  readonly stats?: CountersSnapshot;
}

function applyEvent(hosts: Map<string, HostRecord>, e: MembershipEvent): void {
  if (e.type === "leave") hosts.delete(e.host.host);
  else hosts.set(e.host.host, e.host);
}

/**
 * Asks the daemon.
 * @returns the exit code, or undefined when no daemon answered (after saying so in one line)
 */
async function askTheDaemon(path: string, v: HostsFlags, io: CliIo, signal: AbortSignal): Promise<number | undefined> {
  const fallback = (reason: string) => {
    io.err(`disco hosts: ${reason}; listening for beacons here instead\n`);
    return undefined;
  };
  if (!v.watch) {
    const asked = await askDaemon(path, { request: "hosts" });
    if (!asked.ok) return fallback(asked.reason);
    const r = asked.result as DaemonHosts;
    if (v.json) io.out(`${jsonForTerminal(v.stats ? { hosts: r.hosts, stats: r.stats } : r.hosts)}\n`);
    else io.out(r.hosts.length === 0 ? "the daemon has heard no hosts\n" : `${renderTable(r.hosts, r.nowMs, io.columns).join("\n")}\n`);
    if (v.stats && !v.json && r.stats) io.out(`\n${formatCounters(r.stats)}\n`);
    return 0;
  }
  let watched;
  try {
    watched = await watchControl(path, { request: "hosts" }, { signal });
  } catch (err) {
    if (err instanceof ControlError) return fallback(err.message);
    throw err;
  }
  if (!watched.response.ok) return fallback(`the daemon refused the request: ${watched.response.error.message}`);
  const first = watched.response.result as DaemonHosts;
  const offsetMs = first.nowMs - performance.now();
  const hosts = new Map(first.hosts.map((h) => [h.host, h]));
  const ndjson = v.json || !io.stdoutIsTTY;
  if (ndjson) for (const h of first.hosts) io.out(`${jsonForTerminal({ type: "join", host: h } satisfies MembershipEvent)}\n`);
  const status = `the daemon's table on ${path} (Ctrl-C to stop)`;
  const redraw = () => {
    const lines = renderTable([...hosts.values()], performance.now() + offsetMs, io.columns);
    lines.push("", status);
    io.out(`${HOME}${lines.map((l) => `${l}${CLEAR_LINE}`).join("\n")}\n${CLEAR_BELOW}`);
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  if (!ndjson) {
    io.out(CLEAR_SCREEN);
    redraw();
    timer = setInterval(redraw, 1000);
  }
  try {
    for await (const event of watched.events) {
      const e = event as MembershipEvent;
      applyEvent(hosts, e);
      if (ndjson) io.out(`${jsonForTerminal(e)}\n`);
      else redraw();
    }
  } finally {
    clearInterval(timer);
  }
  if (!signal.aborted) io.err("disco hosts: the daemon closed the connection (it stopped or reloaded its control socket)\n");
  return 0;
}

/** `disco hosts`: the membership table. */
export const command: Command = {
  name: "hosts",
  summary: "the hosts and services seen, once or live",
  async run(argv, io, signal) {
    const { values: v, help } = parseFlags("hosts", argv, {
      ...BEACON_FLAGS,
      watch: { type: "boolean", short: "w" },
      json: { type: "boolean" },
      stats: { type: "boolean" },
      timeout: { type: "string", short: "t" },
      announce: { type: "boolean" },
      listen: { type: "boolean" },
      socket: { type: "string", short: "s" },
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    if (v.watch && v.timeout !== undefined) throw new UsageError("hosts", "--timeout applies to the one-shot table, not --watch");
    if (!v.announce && (v.to || v.interface || v.name || v.format)) throw new UsageError("hosts", "-i, --to, --name and --format apply to --announce");
    const listening = v.listen || v.announce || v.port !== undefined || v.delay !== undefined || v.interval !== undefined || v.timeout !== undefined || v.debug;
    if (listening && v.socket !== undefined) throw new UsageError("hosts", "--socket asks the daemon; --listen and the listening flags listen here instead");
    if (!listening) {
      const asked = await askTheDaemon(controlSocketPath("hosts", { config: v.config, socket: v.socket }), v, io, signal);
      if (asked !== undefined) return asked;
    }
    return listenForHosts(v, io, signal);
  },
};

/** Listens for beacons here (the fallback, and --listen). */
async function listenForHosts(v: HostsFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const setup = await resolveBeaconSetup("hosts", v, io, { needTargets: v.announce === true });
  const counters = new BeaconCounters();
  const service = beaconServiceOptions("hosts", setup, io, { send: v.announce === true, counters, debug: v.debug === true });
  const table = service.table;
  const timeoutMs = v.timeout !== undefined ? parseDurationFlag("hosts", "--timeout", v.timeout) : Math.round(setup.intervalMs * 1.1 + 500);
  const stop = v.watch ? signal : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const ndjson = v.watch && (v.json || !io.stdoutIsTTY);
  const view = new AbortController();
  const views: Promise<void>[] = [];
  if (v.watch) {
    const events = table.subscribe({ signal: view.signal });
    if (ndjson) {
      views.push(
        (async () => {
          for await (const e of events) io.out(`${jsonForTerminal(e satisfies MembershipEvent)}\n`);
        })(),
      );
    } else {
      const status = `listening on UDP ${setup.port}${v.announce ? `, announcing ${setup.self.host}` : ""} (Ctrl-C to stop)`;
      io.out(CLEAR_SCREEN);
      draw(io, table, v.stats ? counters : undefined, status);
      const timer = setInterval(() => draw(io, table, v.stats ? counters : undefined, status), 1000);
      views.push(
        (async () => {
          try {
            for await (const _ of events) draw(io, table, v.stats ? counters : undefined, status);
          } finally {
            clearInterval(timer);
          }
        })(),
      );
    }
    if (ndjson && v.stats) {
      const timer = setInterval(() => io.out(`${JSON.stringify({ type: "stats", stats: counters.snapshot(table.activeCount) })}\n`), setup.intervalMs);
      view.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
    }
  }
  try {
    await runBeaconService({
      ...service,
      signal: stop,
      ...(v.debug && { onReady: ({ port }: { port: number }) => io.err(`listening on UDP ${port}\n`) }),
    });
  } finally {
    view.abort();
    table.close();
    await Promise.all(views);
  }
  if (v.watch) return 0;
  const hosts = table.hosts();
  if (v.json) {
    io.out(`${jsonForTerminal(v.stats ? { hosts, stats: counters.snapshot(table.activeCount) } : hosts)}\n`);
    return 0;
  }
  io.out(hosts.length === 0 ? `no hosts heard on UDP ${setup.port} in ${(timeoutMs / 1000).toFixed(1)} s\n` : `${renderTable(hosts, performance.now(), io.columns).join("\n")}\n`);
  if (v.stats) io.out(`\n${formatCounters(counters.snapshot(table.activeCount))}\n`);
  return 0;
}
