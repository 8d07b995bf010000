/**
 * `disco hosts`: the membership table, once or live. Listens to beacons (disco.py, rich, and
 * py-vault-multicast when configured); `--announce` also beacons, so the process is a full member.
 */
import { BeaconCounters, runBeaconService, type HostRecord, type MembershipTable, type MembershipEvent } from "../beacon/index.ts";
import { BEACON_FLAGS, beaconServiceOptions, formatCounters, resolveBeaconSetup } from "./broadcast.ts";
import { parseDurationFlag, parseFlags } from "./_args.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";

const HELP = `Usage: disco hosts [--watch] [--json] [--stats] [--timeout SECONDS] [--announce] [beacon flags]

The hosts heard by their beacons. Without --watch, listens for one beacon round (the interval plus a
little, or --timeout) and prints the table. With --watch, a live table that redraws in place on a
terminal; with --json or when stdout is not a terminal, one JSON event per line (NDJSON):
  {"type":"join"|"update"|"suspect"|"leave"|"failed","host":{"host":..,"addresses":[..],"state":..,...}}
A host is suspect after 2 missed beacons and failed after 3 (its own announced interval; disco.py
beacons are assumed to come every --delay seconds); a goodbye removes it at once.

Flags:
  --watch               keep listening and show changes
  --json                JSON: the table as an array (one-shot), or NDJSON events (--watch)
  --stats               also show counters (packets, bytes, errors, drops by reason, hosts, uptime, rate)
  --timeout SECONDS     one-shot listening time (default: the interval + 10% + 0.5 s)
  --announce            also send this host's beacons (and a goodbye on exit), like 'broadcast --send'
  -p, --port N          UDP port (default: [beacon] port, 9000)
  -d, --delay SECONDS   beacon interval: sent with --announce, and assumed for disco.py beacons (default 15)
  -i, --interface NAME  (--announce) beacon on this interface (repeatable)
  --to ADDR             (--announce) send to this address, e.g. 127.255.255.255 (repeatable)
  -n, --name NAME       (--announce) host name to announce
  --format F            (--announce) disco.py (default) or json
  --debug               log readiness and dropped datagrams with their reason to stderr
  -c, --config FILE     config file (default /etc/disco.toml when present)

Examples:
  disco hosts                                   who is out there (waits one beacon round)
  disco hosts --timeout 3 --json
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
    rows.push([h.host, h.addresses.join(","), h.state, ago(nowMs - h.lastSeenMs), h.services ? Object.keys(h.services).join(",") : ""]);
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
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    if (v.watch && v.timeout !== undefined) throw new UsageError("hosts", "--timeout applies to the one-shot table, not --watch");
    if (!v.announce && (v.to || v.interface || v.name || v.format)) throw new UsageError("hosts", "-i, --to, --name and --format apply to --announce");
    const setup = await resolveBeaconSetup("hosts", v, io, { needTargets: v.announce === true });
    const counters = new BeaconCounters();
    const service = beaconServiceOptions("hosts", setup, io, { send: v.announce === true, hooks: true, counters, debug: v.debug === true });
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
            for await (const e of events) io.out(`${JSON.stringify(e satisfies MembershipEvent)}\n`);
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
      io.out(`${JSON.stringify(v.stats ? { hosts, stats: counters.snapshot(table.activeCount) } : hosts)}\n`);
      return 0;
    }
    io.out(hosts.length === 0 ? `no hosts heard on UDP ${setup.port} in ${(timeoutMs / 1000).toFixed(1)} s\n` : `${renderTable(hosts, performance.now(), io.columns).join("\n")}\n`);
    if (v.stats) io.out(`\n${formatCounters(counters.snapshot(table.activeCount))}\n`);
    return 0;
  },
};
