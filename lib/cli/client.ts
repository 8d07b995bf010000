import type { ClientEvent, FoundHost } from "../discovery/index.ts";
import { NetError } from "../net/index.ts";
import { parseDurationFlag, parseFlags } from "./_args.ts";
import { askOnce, DISCOVERY_FLAGS, discoveryTargets, resolveDiscoveryBasics, resolveDiscoveryKeys } from "./_discovery.ts";
import type { Command } from "./command.ts";
import { compareNatural, escapeForTerminal, jsonForTerminal } from "../text/index.ts";

const HELP = `Usage: disco-client [-c FILE] [-p PORT] [-m MAGIC] [--password-file F | --key-file F] [-t SECONDS]
                    [-i IFACE]... [--to ADDR[:PORT]]... [--json] [--legacy] [-v]
       (also: disco client ...)

Asks every disco-server on the LAN to describe itself and lists every answer that arrives before the
timeout: host -> services. Servers on another magic, or with another password or key, stay silent.

Where the query goes: the broadcast address of each interface in -i (or [discovery] interfaces; by
default every up, non-loopback IPv4 interface), plus [discovery] broadcast and multicast_group. With
-i or --to, only those are used.

Flags (they override the config file):
  -c, --config FILE       config file (default /etc/disco.toml)
  -p, --port PORT         servers' UDP port (default 40000, 50000 with --legacy)
  -m, --magic MAGIC       channel name (default "disco", "fna349fn" with --legacy)
      --password-file F   first line is the shared password
      --key-file F        keys from 'disco keygen', one per line
      --password PW       the password itself: visible in 'ps'; prefer --password-file
  -t, --timeout SECONDS   how long to collect answers (default 2, 5 with --legacy; also 500ms)
  -i, --interface IFACE   query this interface's broadcast address (repeatable)
      --to ADDR[:PORT]    query this address too: unicast, broadcast or multicast (repeatable)
      --json              print one JSON document instead of the table
      --legacy            speak PyDiscover (INSECURE) to old pydiscover-server fleets; the defaults
                          become PyDiscover's (port 50000, magic fna349fn, 5 s)
  -v, --verbose           addresses, version, uptime and round-trip time; log each datagram to stderr
                          (also --debug)

Examples:
  disco-client -m shed --password-file /etc/disco.password
  disco-client -c /etc/disco.toml -v -t 5
  disco-client -i eth0 --json | jq '.hosts[].host'
  disco-client --to 127.255.255.255 -p 40001 -m test --key-file test.key    (servers on this machine)
  disco-client --legacy --password-file pw                    (a drop-in for pydiscover-client)

Exit codes: 0 at least one server answered, 1 none did, 2 usage or config error.
`;

function formatServices(services: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(services).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(", ") : "-";
}

/** The address part of "ADDRESS:PORT". */
function fromAddress(from: string): string {
  const i = from.lastIndexOf(":");
  return i > 0 ? from.slice(0, i) : from;
}

function formatUptime(sec: number | undefined): string {
  if (sec === undefined) return "-";
  if (sec < 120) return `${Math.round(sec)}s`;
  if (sec < 7200) return `${Math.round(sec / 60)}m`;
  if (sec < 172800) return `${Math.round(sec / 3600)}h`;
  return `${Math.round(sec / 86400)}d`;
}

function table(rows: string[][]): string {
  // Cells come from answers on the LAN: escaped before padding, so widths are the printed ones.
  rows = rows.map((r) => r.map(escapeForTerminal));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

function formatEvent(e: ClientEvent): string {
  switch (e.type) {
    case "sent":
      return `query sent to ${e.target.address}:${e.target.port} (${e.bytes} bytes)`;
    case "send-failed":
      return `query NOT sent to ${e.target.address}:${e.target.port}: ${e.message}`;
    case "answer":
      return `answer from ${e.from}: ${e.host} after ${e.rttMs} ms${e.duplicate ? " (duplicate, merged)" : ""}`;
    case "refused":
      return `refusal from ${e.from}: ${e.message}`;
    case "challenge":
      return `challenge from ${e.from} after ${e.rttMs} ms (its clock or ours cannot vouch for the query's time): query sent again with it`;
    case "dropped":
      return `ignored a datagram from ${e.from} (${e.reason})`;
  }
}

/** `disco client` / `disco-client`: lists every server that answers. */
export const command: Command = {
  name: "client",
  async run(argv, io, signal) {
    const { values: f, help } = parseFlags("client", argv, {
      ...DISCOVERY_FLAGS,
      timeout: { type: "string", short: "t" },
      interface: { type: "string", short: "i", multiple: true },
      to: { type: "string", multiple: true },
      json: { type: "boolean" },
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    const basics = resolveDiscoveryBasics("client", f, 1);
    const { port, legacy, verbose } = basics;
    const timeoutMs = f.timeout !== undefined ? parseDurationFlag("client", "--timeout", f.timeout) : basics.timeoutMs;

    const targets = discoveryTargets("client", basics, { interfaces: f.interface, to: f.to });
    if (targets.length === 0) {
      io.err("disco client: nowhere to send the query: no up, non-loopback IPv4 interface. Use -i IFACE or --to ADDR.\n");
      return 1;
    }

    const keys = await resolveDiscoveryKeys("client", basics, f, io);
    if (!keys) return 2;
    if (verbose && !legacy && !keys.keyring) io.err("disco client: no password or key: the query goes unsealed and only unsealed servers answer\n");

    let result;
    try {
      result = await askOnce(basics, keys, targets, {
        timeoutMs,
        signal,
        ...(verbose && { onEvent: (e: ClientEvent) => io.err(`disco client: ${escapeForTerminal(formatEvent(e))}\n`) }),
      });
    } catch (err) {
      if (err instanceof NetError) {
        io.err(`disco client: ${err.message}\n`);
        return 1;
      }
      throw err;
    }

    if (f.json) {
      io.out(
        `${jsonForTerminal(
          {
            hosts: result.hosts.map((h: FoundHost) => ({
              host: h.host,
              addresses: h.addresses,
              ...(h.version !== undefined && { version: h.version }),
              ...(h.uptimeSec !== undefined && { uptimeSec: h.uptimeSec }),
              services: h.services,
              interfaces: h.interfaces,
              rttMs: h.rttMs,
              from: h.from,
              ...(h.legacy && { legacy: true }),
            })),
            refusals: result.refusals,
            queried: targets.map((t) => `${t.address}:${t.port}`),
          },
          2,
        )}\n`,
      );
    } else if (result.hosts.length > 0) {
      const hosts = [...result.hosts].sort((a, b) => compareNatural(a.host, b.host));
      // ADDRESS is where the answer came from (the address that reached us); -v adds every address it announces.
      const rows = verbose
        ? [["HOST", "ADDRESS", "ADDRESSES", "VERSION", "UPTIME", "RTT", "SERVICES"], ...hosts.map((h) => [h.host, fromAddress(h.from), h.addresses.join(",") || "-", h.version ?? "-", formatUptime(h.uptimeSec), `${h.rttMs}ms`, formatServices(h.services)])]
        : [["HOST", "ADDRESS", "SERVICES"], ...hosts.map((h) => [h.host, fromAddress(h.from), formatServices(h.services)])];
      io.out(table(rows));
    }
    for (const r of result.refusals) io.err(`disco client: ${r.from} refused the query: ${escapeForTerminal(r.message)}\n`);
    for (const s of result.sendFailures) io.err(`disco client: could not send to ${s.target.address}:${s.target.port}: ${s.message}\n`);
    if (result.hosts.length > 0) return 0;
    if (signal.aborted) {
      // Stopped before the timeout: no claim about what the full wait would have found.
      io.err("disco client: interrupted before the timeout; no server had answered yet\n");
      return 1;
    }
    if (result.refusals.length === 0) {
      io.err(
        `disco client: no server answered within ${timeoutMs / 1000}s (asked ${targets.map((t) => `${t.address}:${t.port}`).join(", ")}).\n` +
          "  Check: the same magic (-m) and password or key on both sides (hidden servers stay silent otherwise);\n" +
          `  a firewall letting UDP port ${port} through; the interface (-i IFACE) or address (--to ADDR);` +
          (legacy ? "" : " PyDiscover servers need --legacy;") +
          " both clocks within max_skew.\n",
      );
    }
    return 1;
  },
};
