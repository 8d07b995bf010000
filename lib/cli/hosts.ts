/**
 * `disco hosts`: the membership table, once or live. Asks the running daemon over its control socket (at
 * once, and the daemon's table knows every host since it started); with --listen, listening flags, or no
 * daemon answering, listens to beacons itself (disco.py, rich, and py-vault-multicast when configured);
 * `--announce` also beacons, so the process is a full member. Never runs hooks (only the daemon does).
 */
import { BeaconCounters, runBeaconService, type CountersSnapshot, type HostRecord, type MembershipTable, type MembershipEvent } from "../beacon/index.ts";
import { requestControl, watchControl, ControlError } from "../daemon/index.ts";
import type { FoundHost } from "../discovery/index.ts";
import { NetError } from "../net/index.ts";
import { VERSION } from "../version.ts";
import { BEACON_FLAGS, beaconServiceOptions, formatCounters, resolveBeaconSetup, type BeaconFlagValues } from "./broadcast.ts";
import { askDaemon, controlSocketPath } from "./_daemon-socket.ts";
import { checkInterfaceFlags, parseDurationFlag, parseFlags } from "./_args.ts";
import { askOnce, discoveryTargets, resolveDiscoveryBasics, resolveDiscoveryKeys, type DiscoveryBasics } from "./_discovery.ts";
import { applyHostEvent, CLEAR_SCREEN, colorEnabled, frame, hostJson, liveLines, mergeAnswers, refreshHosts, renderHosts, type HostView } from "./_hosts-view.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";

const HELP = `Usage: disco hosts [--watch] [--json] [--stats] [--ask] [-c FILE | --socket PATH]
       disco hosts --listen [--watch] [--json] [--stats] [--ask] [--timeout SECONDS] [--announce] [beacon flags]

The hosts heard by their beacons. When 'disco run' is running, its table answers at once, through the
control socket ([daemon] control_socket of -c FILE or the default config, or --socket). With --listen,
any listening flag (--port, --delay, --timeout, --announce, ...), or when no daemon answers (said in one
line), it listens itself: for one beacon round (the interval plus a little, or --timeout; it says so on
stderr), then prints the table: host, address, state, beacon interval (~ when learned from a disco.py
host's pace), version, last seen, services. With --watch, a live table that redraws in place on a
terminal and fits it (failed and suspect hosts first, a "+N more" line for the rest, redrawn on a
resize; the state coloured unless NO_COLOR is set); with --json or when stdout is not a terminal, one
JSON event per line (NDJSON; from the daemon, the hosts it knows come first as joins):
  {"type":"join"|"update"|"suspect"|"leave"|"failed","host":{"host":..,"addresses":[..],"state":..,...}}
In JSON a host has "ageMs" (since it was last heard) and "lastSeen" (ISO 8601); "lastSeenMs" is the
listener's monotonic clock.
A host is suspect after 2 missed beacons and failed after 3 (its own announced interval; for disco.py
beacons, the pace learned from their arrivals, --delay until then); a goodbye removes it at once.

Flags:
  -w, --watch           keep listening and show changes
  --listen              listen for beacons here instead of asking the daemon
  -s, --socket PATH     the daemon's control socket (default: the config's [daemon] control_socket)
  --json                JSON: {"hosts": [...]} (one-shot, with "stats" under --stats), or NDJSON events (--watch)
  --stats               also show counters (packets, bytes, errors, drops by reason, hosts, uptime, rate)
  --ask                 also send one discovery query (the config's [discovery] magic, port, keys and
                        interfaces, as disco-client) and merge the answers: services and version for
                        beacon hosts that carry none (disco.py), a row ("answered") for servers that
                        only answer; --watch asks once at the start (NDJSON: {"type":"answer",...})
  -t, --timeout SECONDS one-shot listening time (default: the interval + 10% + 0.5 s)
  --announce            also send this host's beacons (and a goodbye on exit), like 'broadcast --send'
  -p, --port N          UDP port (default: [beacon] port, 9000)
  -d, --delay SECONDS   beacon interval: sent with --announce; disco.py beacons' until learned (default 15);
                        also --interval. (-d is disco.py's --delay here; in disco-server it is PyDiscover's
                        --discover-info)
  -i, --interface NAME  (--announce) beacon on this interface (repeatable)
  --to ADDR[:PORT]      (--announce) send to this address (its own port, else --port), e.g. 127.255.255.255
  -n, --name NAME       (--announce) host name to announce
  --format F            (--announce) disco.py (default) or json
  -v, --verbose         log readiness and dropped datagrams with their reason to stderr (also --debug;
                        it listens here)
  -c, --config FILE     config file (default /etc/disco.toml when present)

Examples:
  disco hosts                                   who is out there (the daemon's table, or one beacon round)
  disco hosts --listen --timeout 3 --json
  disco hosts --watch                           live table
  disco hosts --watch --json | jq .             events as they happen
  disco hosts --watch --announce --to 127.255.255.255 --delay 1 --name a    a member on this machine
  disco hosts --stats
  disco hosts --ask -c /etc/disco.toml           beacons and discovery answers in one table

Exit codes: 0 hosts found (--watch: stopped), 1 none found, 2 usage or config error.
`;

/** Draws one frame of the live table, fitted to the terminal as it is now. */
function draw(io: CliIo, hosts: readonly HostView[], nowMs: number, footer: readonly string[], color: boolean): void {
  const size = { ...(io.columns !== undefined && { columns: io.columns }), ...(io.rows !== undefined && { rows: io.rows }) };
  io.out(frame(liveLines(hosts, footer, { nowMs, color, ...size })));
}

/** Starts redrawing: now, every second, and from a clear screen on a resize. @returns the stop function */
function startRedraws(io: CliIo, redraw: () => void): () => void {
  io.out(CLEAR_SCREEN);
  redraw();
  const timer = setInterval(redraw, 1000);
  // A resize redraws from a clear screen: the old frame's lines may be wider or longer than the new one.
  const unsubscribe = io.onResize?.(() => {
    io.out(CLEAR_SCREEN);
    redraw();
  });
  return () => {
    clearInterval(timer);
    unsubscribe?.();
  };
}

/** One discovery round beside the beacons (--ask): the answers so far, and when the round is over. */
interface Asking {
  readonly answers: FoundHost[];
  /** Called once the answers are in. */
  onAnswers?: () => void;
  /** Settles when the round is over; rejects with what failed (a usage or key problem). */
  done: Promise<void>;
}

/**
 * Starts --ask: the settings are checked now (a usage error before anything listens), the round runs in
 * the background on the config's `[discovery]` channel (magic, port, keys, interfaces), as disco-client's.
 */
function startAsking(config: string | undefined, io: CliIo, signal: AbortSignal): Asking {
  const basics = resolveDiscoveryBasics("hosts", { config }, 1);
  const targets = discoveryTargets("hosts", basics, {});
  const answers: FoundHost[] = [];
  const asking: { answers: FoundHost[]; onAnswers?: () => void; done: Promise<void> } = { answers, done: Promise.resolve() };
  asking.done = (async () => {
    answers.push(...(await ask(io, basics, targets, signal)));
    asking.onAnswers?.();
  })();
  // Awaited by whoever prints; this only keeps an early failure from counting as unhandled.
  asking.done.catch(() => undefined);
  return asking;
}

async function ask(io: CliIo, basics: DiscoveryBasics, targets: ReturnType<typeof discoveryTargets>, signal: AbortSignal): Promise<FoundHost[]> {
  if (targets.length === 0) {
    io.err("disco hosts: --ask: nowhere to send the query (no up, non-loopback IPv4 interface; set [discovery] broadcast)\n");
    return [];
  }
  const keys = await resolveDiscoveryKeys("hosts", basics, {}, io);
  if (!keys) return [];
  try {
    return (await askOnce(basics, keys, targets, { timeoutMs: basics.timeoutMs, signal })).hosts;
  } catch (err) {
    if (!(err instanceof NetError)) throw err;
    io.err(`disco hosts: --ask: ${err.message}\n`);
    return [];
  }
}

/** Prints the one-shot table (or JSON) of `hosts`. @returns 0, or 1 when there is nobody */
function printHosts(io: CliIo, hosts: readonly HostView[], nowMs: number, json: boolean, stats: CountersSnapshot | undefined, nobody: string): number {
  if (json) io.out(`${jsonForTerminal({ hosts: hosts.map((h) => hostJson(h, nowMs)), ...(stats && { stats }) })}\n`);
  else if (hosts.length === 0) io.err(`disco hosts: ${nobody}\n`);
  else io.out(`${renderHosts(hosts, { nowMs, color: colorEnabled(io), ...(io.columns !== undefined && { columns: io.columns }) }).join("\n")}\n`);
  if (stats && !json) io.out(`\n${formatCounters(stats)}\n`);
  // Looked and found nobody: exit 1, as disco-client does.
  return hosts.length > 0 ? 0 : 1;
}

interface HostsFlags extends BeaconFlagValues {
  watch?: boolean | undefined;
  json?: boolean | undefined;
  stats?: boolean | undefined;
  timeout?: string | undefined;
  announce?: boolean | undefined;
  ask?: boolean | undefined;
  debug?: boolean | undefined;
}

/** The daemon's answer to `hosts`. */
interface DaemonHosts {
  /** The daemon's monotonic clock when it answered (lastSeenMs is on it). */
  readonly nowMs: number;
  readonly hosts: readonly HostRecord[];
  readonly stats?: CountersSnapshot;
  /** Whether the daemon runs beacons (false: it hears nobody; absent from older daemons). */
  readonly beacons?: boolean;
}

/** --watch --ask in NDJSON: one `{"type":"answer"}` line per host that answered. */
function printAnswers(io: CliIo, answers: readonly FoundHost[]): void {
  for (const h of mergeAnswers([], answers)) io.out(`${jsonForTerminal({ type: "answer", host: h })}\n`);
}

/**
 * How often the live table of the daemon's hosts asks it for a fresh snapshot: its stream announces
 * membership changes, not each beacon, so without one an alive host's "last seen" would only grow. Ages
 * shown are then at most this much older than the daemon's own (one small request each time).
 */
const DAEMON_REFRESH_MS = 2000;

/**
 * Starts refreshing the watcher's copy of the daemon's table every {@link DAEMON_REFRESH_MS}, one request at
 * a time; a refresh that fails changes nothing (the stream says when the daemon goes).
 * @returns the stop function, which resolves once no request is in flight
 */
function startRefreshes(path: string, hosts: Map<string, HostRecord>, redraw: () => void, signal: AbortSignal): () => Promise<void> {
  const stop = new AbortController();
  const stopped = AbortSignal.any([signal, stop.signal]);
  let inFlight: Promise<void> | undefined;
  const refresh = async () => {
    try {
      const r = await requestControl(path, { request: "hosts" }, { timeoutMs: DAEMON_REFRESH_MS * 2, signal: stopped });
      const result = r.ok ? (r.result as Partial<DaemonHosts> | null) : undefined;
      if (stopped.aborted || !Array.isArray(result?.hosts)) return;
      refreshHosts(hosts, result.hosts);
      redraw();
    } catch (err) {
      // No answer this time (the daemon is busy, reloading its socket, or going): the next one may be.
      if (!(err instanceof ControlError) && (err as NodeJS.ErrnoException).code === undefined) throw err;
    }
  };
  const timer = setInterval(() => {
    inFlight ??= refresh().finally(() => (inFlight = undefined));
  }, DAEMON_REFRESH_MS);
  return async () => {
    clearInterval(timer);
    stop.abort();
    await inFlight;
  };
}

/**
 * Asks the daemon.
 * @returns the exit code, or undefined when no daemon answered (after saying so in one line)
 */
async function askTheDaemon(path: string, v: HostsFlags, io: CliIo, signal: AbortSignal, asking: Asking | undefined): Promise<number | undefined> {
  const fallback = (reason: string) => {
    io.err(`disco hosts: ${escapeForTerminal(reason)}; listening for beacons here instead\n`);
    return undefined;
  };
  if (!v.watch) {
    const asked = await askDaemon(path, { request: "hosts" });
    if (!asked.ok) return fallback(asked.reason);
    const r = asked.result as DaemonHosts;
    await asking?.done;
    return printHosts(io, mergeAnswers(r.hosts, asking?.answers ?? []), r.nowMs, v.json === true, v.stats ? r.stats : undefined, r.beacons === false ? "the daemon runs no beacons ([beacon] enabled = false), so it hears no hosts; --listen listens here" : "the daemon has heard no hosts");
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
  const now = () => performance.now() + offsetMs;
  if (ndjson) for (const h of first.hosts) io.out(`${jsonForTerminal({ type: "join", host: hostJson(h, now()) } satisfies MembershipEvent)}\n`);
  const status = `disco ${VERSION}: the daemon's table on ${path} (Ctrl-C to stop)`;
  const color = colorEnabled(io);
  const redraw = () => draw(io, mergeAnswers([...hosts.values()], asking?.answers ?? []), now(), [status], color);
  if (asking) asking.onAnswers = ndjson ? () => printAnswers(io, asking.answers) : redraw;
  const stopRedraws = ndjson ? undefined : startRedraws(io, redraw);
  // NDJSON events carry their age as of the event; only the table shows ages that must stay current.
  const stopRefreshes = ndjson ? undefined : startRefreshes(path, hosts, redraw, signal);
  try {
    for await (const event of watched.events) {
      const e = event as MembershipEvent;
      applyHostEvent(hosts, e);
      if (ndjson) io.out(`${jsonForTerminal({ ...e, host: hostJson(e.host, now()) })}\n`);
      else redraw();
    }
  } finally {
    stopRedraws?.();
    await stopRefreshes?.();
  }
  await asking?.done;
  if (!signal.aborted) io.err("disco hosts: the daemon closed the connection (it stopped)\n");
  return 0;
}

/** `disco hosts`: the membership table. */
export const command: Command = {
  name: "hosts",
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
      ask: { type: "boolean" },
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    if (v.watch && v.timeout !== undefined) throw new UsageError("hosts", "--timeout applies to the one-shot table, not --watch");
    if (!v.announce && (v.to || v.interface || v.name || v.format)) throw new UsageError("hosts", "-i, --to, --name and --format apply to --announce");
    checkInterfaceFlags("hosts", "--interface", v.interface);
    const listening = v.listen || v.announce || v.port !== undefined || v.delay !== undefined || v.interval !== undefined || v.timeout !== undefined || v.debug;
    if (listening && v.socket !== undefined) throw new UsageError("hosts", "--socket asks the daemon; --listen and the listening flags listen here instead");
    const asking = v.ask ? startAsking(v.config, io, signal) : undefined;
    if (!listening) {
      const asked = await askTheDaemon(controlSocketPath("hosts", { config: v.config, socket: v.socket }), v, io, signal, asking);
      if (asked !== undefined) return asked;
    }
    return listenForHosts(v, io, signal, asking);
  },
};

/** Listens for beacons here (the fallback, and --listen). */
async function listenForHosts(v: HostsFlags, io: CliIo, signal: AbortSignal, asking: Asking | undefined): Promise<number> {
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
      if (asking) asking.onAnswers = () => printAnswers(io, asking.answers);
      views.push(
        (async () => {
          for await (const e of events) io.out(`${jsonForTerminal({ ...(e satisfies MembershipEvent), host: hostJson(e.host, performance.now()) })}\n`);
        })(),
      );
    } else {
      const status = `disco ${VERSION}: listening on UDP ${setup.port}, beacons every ${setup.intervalMs / 1000} s${v.announce ? `, announcing ${setup.self.host}` : ""} (Ctrl-C to stop)`;
      const color = colorEnabled(io);
      const footer = () => [status, ...(v.stats ? ["", ...formatCounters(counters.snapshot(table.activeCount)).split("\n")] : [])];
      const redraw = () => draw(io, mergeAnswers(table.hosts(), asking?.answers ?? []), performance.now(), footer(), color);
      if (asking) asking.onAnswers = redraw;
      const stopRedraws = startRedraws(io, redraw);
      views.push(
        (async () => {
          try {
            for await (const _ of events) redraw();
          } finally {
            stopRedraws();
          }
        })(),
      );
    }
    if (ndjson && v.stats) {
      const timer = setInterval(() => io.out(`${jsonForTerminal({ type: "stats", stats: counters.snapshot(table.activeCount) })}\n`), setup.intervalMs);
      view.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
    }
  }
  try {
    await runBeaconService({
      ...service,
      signal: stop,
      onReady: ({ port }: { port: number }) => {
        // Said once the socket is bound: a beacon sent after this line is heard.
        if (!v.watch) io.err(`disco hosts: listening for beacons on UDP ${port} for ${(timeoutMs / 1000).toFixed(1)} s (one beacon round; --timeout to change)\n`);
        if (v.debug) io.err(`listening on UDP ${port}\n`);
      },
    });
  } finally {
    view.abort();
    table.close();
    await Promise.all(views);
  }
  await asking?.done;
  if (v.watch) return 0;
  const nobody = signal.aborted ? "interrupted; no host had been heard yet" : `no hosts heard on UDP ${setup.port} in ${(timeoutMs / 1000).toFixed(1)} s`;
  return printHosts(io, mergeAnswers(table.hosts(), asking?.answers ?? []), performance.now(), v.json === true, v.stats ? counters.snapshot(table.activeCount) : undefined, nobody);
}
