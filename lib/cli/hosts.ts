/**
 * `disco hosts`: the membership table, once or live. Listens to beacons (disco.py, rich, and
 * py-vault-multicast when configured); `--announce` also beacons, so the process is a full member.
 */
import { BeaconCounters, runBeaconService, type MembershipTable, type MembershipEvent } from "../beacon/index.ts";
import { BEACON_FLAGS, beaconServiceOptions, formatCounters, resolveBeaconSetup } from "./broadcast.ts";
import { checkInterfaceFlags, parseDurationFlag, parseFlags } from "./_args.ts";
import type { CliIo, Command } from "./command.ts";
import { CLEAR_SCREEN, colorEnabled, frame, hostJson, liveLines, mergeAnswers, renderHosts } from "./_hosts-view.ts";
import { askOnce, discoveryTargets, resolveDiscoveryBasics, resolveDiscoveryKeys, type DiscoveryBasics } from "./_discovery.ts";
import type { FoundHost } from "../discovery/index.ts";
import { VERSION } from "../version.ts";
import { UsageError } from "./errors.ts";
import { NetError } from "../net/index.ts";
const HELP = `Usage: disco hosts [--watch] [--json] [--stats] [--timeout SECONDS] [--announce] [--ask] [beacon flags]

The hosts heard by their beacons. Without --watch, listens for one beacon round (the interval plus a
little, or --timeout; it says so on stderr) and prints the table: host, address, state, beacon
interval (~ when learned from a disco.py host's pace), version, last seen, services. With --watch, a
live table that redraws in place on a terminal and fits it (failed and suspect hosts first, a "+N more"
line for the rest; the state coloured unless NO_COLOR is set); with --json or when stdout is not a
terminal, one JSON event per line (NDJSON):
  {"type":"join"|"update"|"suspect"|"leave"|"failed","host":{"host":..,"addresses":[..],"state":..,...}}
In JSON a host has "ageMs" (since it was last heard) and "lastSeen" (ISO 8601); "lastSeenMs" is this
process's monotonic clock.
A host is suspect after 2 missed beacons and failed after 3 (its own announced interval; disco.py
beacons are assumed to come every --delay seconds); a goodbye removes it at once.

Flags:
  -w, --watch           keep listening and show changes
  --json                JSON: {"hosts": [...]} (one-shot, with "stats" under --stats), or NDJSON events (--watch)
  --stats               also show counters (packets, bytes, errors, drops by reason, hosts, uptime, rate)
  -t, --timeout SECONDS one-shot listening time (default: the interval + 10% + 0.5 s)
  --announce            also send this host's beacons (and a goodbye on exit), like 'broadcast --send'
  --ask                 also send one discovery query (the config's [discovery] magic, port, keys and
                        interfaces, as disco-client) and merge the answers: services and version for
                        beacon hosts that carry none (disco.py), a row ("answered") for servers that
                        only answer; --watch asks once at the start (NDJSON: {"type":"answer",...})
  -p, --port N          UDP port (default: [beacon] port, 9000)
  -d, --delay SECONDS   beacon interval: sent with --announce, and assumed for disco.py beacons (default 15);
                        also --interval. (-d is disco.py's --delay here; in disco-server it is PyDiscover's
                        --discover-info)
  -i, --interface NAME  (--announce) beacon on this interface (repeatable)
  --to ADDR             (--announce) send to this address, e.g. 127.255.255.255 (repeatable)
  -n, --name NAME       (--announce) host name to announce
  --format F            (--announce) disco.py (default) or json
  -v, --verbose         log readiness and dropped datagrams with their reason to stderr (also --debug)
  -c, --config FILE     config file (default /etc/disco.toml when present)

Examples:
  disco hosts                                   who is out there (waits one beacon round)
  disco hosts --timeout 3 --json
  disco hosts --watch                           live table
  disco hosts --watch --json | jq .             events as they happen
  disco hosts --watch --announce --to 127.255.255.255 --delay 1 --name a    a member on this machine
  disco hosts --stats
  disco hosts --ask -c /etc/disco.toml           beacons and discovery answers in one table

Exit codes: 0 hosts heard (--watch: stopped), 1 none heard, 2 usage or config error.
`;

/** Draws one frame of the live table, fitted to the terminal as it is now. */
function draw(io: CliIo, table: MembershipTable, answers: readonly FoundHost[], counters: BeaconCounters | undefined, status: string, color: boolean): void {
  const footer = [status, ...(counters ? ["", ...formatCounters(counters.snapshot(table.activeCount)).split("\n")] : [])];
  const lines = liveLines(mergeAnswers(table.hosts(), answers), footer, { nowMs: performance.now(), color, ...(io.columns !== undefined && { columns: io.columns }), ...(io.rows !== undefined && { rows: io.rows }) });
  io.out(frame(lines));
}

/**
 * One discovery query on the config's `[discovery]` channel (magic, port, keys, interfaces), for --ask.
 * @returns the hosts that answered; empty (after saying why) when the query cannot be sent
 * @throws {UsageError} on an unusable `[discovery]` setting
 */
async function ask(io: CliIo, basics: DiscoveryBasics, signal: AbortSignal): Promise<FoundHost[]> {
  const targets = discoveryTargets("hosts", basics, {});
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
      ask: { type: "boolean" },
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    if (v.watch && v.timeout !== undefined) throw new UsageError("hosts", "--timeout applies to the one-shot table, not --watch");
    if (!v.announce && (v.to || v.interface || v.name || v.format)) throw new UsageError("hosts", "-i, --to, --name and --format apply to --announce");
    checkInterfaceFlags("hosts", "--interface", v.interface);
    const setup = await resolveBeaconSetup("hosts", v, io, { needTargets: v.announce === true });
    const counters = new BeaconCounters();
    const service = beaconServiceOptions("hosts", setup, io, { send: v.announce === true, hooks: true, counters, debug: v.debug === true });
    const table = service.table;
    // --ask: one discovery query beside the beacons, on the config's [discovery] channel.
    const answers: FoundHost[] = [];
    let onAnswers: (() => void) | undefined;
    let askFailure: { error: unknown } | undefined;
    // The settings are checked now (a usage error before anything listens); the round runs beside the beacons.
    const askBasics = v.ask ? resolveDiscoveryBasics("hosts", { config: v.config }, 1) : undefined;
    const asking = askBasics
      ? ask(io, askBasics, signal).then(
          (found) => {
            answers.push(...found);
            onAnswers?.();
          },
          (error: unknown) => void (askFailure = { error }),
        )
      : Promise.resolve();
    const timeoutMs = v.timeout !== undefined ? parseDurationFlag("hosts", "--timeout", v.timeout) : Math.round(setup.intervalMs * 1.1 + 500);
    const stop = v.watch ? signal : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const ndjson = v.watch && (v.json || !io.stdoutIsTTY);
    const view = new AbortController();
    const views: Promise<void>[] = [];
    if (v.watch) {
      const events = table.subscribe({ signal: view.signal });
      if (ndjson) {
        onAnswers = () => {
          for (const a of answers) io.out(`${JSON.stringify({ type: "answer", host: mergeAnswers([], [a])[0] })}\n`);
        };
        views.push(
          (async () => {
            for await (const e of events) io.out(`${JSON.stringify({ ...(e satisfies MembershipEvent), host: hostJson(e.host, performance.now()) })}\n`);
          })(),
        );
      } else {
        const status = `disco ${VERSION}: listening on UDP ${setup.port}, beacons every ${setup.intervalMs / 1000} s${v.announce ? `, announcing ${setup.self.host}` : ""} (Ctrl-C to stop)`;
        const color = colorEnabled(io);
        const redraw = () => draw(io, table, answers, v.stats ? counters : undefined, status, color);
        onAnswers = redraw;
        io.out(CLEAR_SCREEN);
        redraw();
        const timer = setInterval(redraw, 1000);
        // A resize redraws from a clear screen: the old frame's lines may be wider or longer than the new one.
        const unsubscribe = io.onResize?.(() => {
          io.out(CLEAR_SCREEN);
          redraw();
        });
        views.push(
          (async () => {
            try {
              for await (const _ of events) redraw();
            } finally {
              clearInterval(timer);
              unsubscribe?.();
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
    await asking;
    if (askFailure) throw askFailure.error;
    if (v.watch) return 0;
    const hosts = mergeAnswers(table.hosts(), answers);
    const now = performance.now();
    // Looked and found nobody: exit 1, as disco-client does.
    const found = hosts.length > 0 ? 0 : 1;
    if (v.json) {
      io.out(`${JSON.stringify({ hosts: hosts.map((h) => hostJson(h, now)), ...(v.stats && { stats: counters.snapshot(table.activeCount) }) })}\n`);
      return found;
    }
    if (hosts.length === 0) io.err(signal.aborted ? "disco hosts: interrupted; no host had been heard yet\n" : `disco hosts: no hosts heard on UDP ${setup.port} in ${(timeoutMs / 1000).toFixed(1)} s\n`);
    else io.out(`${renderHosts(hosts, { nowMs: now, color: colorEnabled(io), ...(io.columns !== undefined && { columns: io.columns }) }).join("\n")}\n`);
    if (v.stats) io.out(`\n${formatCounters(counters.snapshot(table.activeCount))}\n`);
    return found;
  },
};
