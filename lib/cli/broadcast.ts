/**
 * `disco broadcast --send | --receive`: disco.py-compatible beacons. Also the flags shared with `disco
 * hosts` and `disco metrics --receive` (flags + config -> lib/beacon's settings, keys read from the files
 * the config names).
 */
import {
  BeaconCounters,
  BeaconError,
  MembershipTable,
  createBeaconBuilder,
  formatTarget,
  resolveBeaconSettings,
  runBeaconSender,
  runBeaconService,
  type BeaconFormat,
  type BeaconServiceOptions,
  type BeaconSettings,
  type CountersSnapshot,
  type ReceivedBeacon,
} from "../beacon/index.ts";
import { openUdp } from "../net/index.ts";
import type { DiscoConfig } from "../config/index.ts";
import { VERSION } from "../version.ts";
import { loadConfigFile, resolveHostName } from "./_config.ts";
import { announcedOffers } from "../offers/index.ts";
import { resolveSecrets, type Secrets } from "./_secrets.ts";
import { checkInterfaceFlags, parseDurationFlag, parseFlags, parseIntFlag, parseIpv4Flag, type FlagValues } from "./_args.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";

/** Flags shared by `broadcast` and `hosts`. */
export const BEACON_FLAGS = {
  config: { type: "string", short: "c" },
  port: { type: "string", short: "p" },
  delay: { type: "string", short: "d" },
  interval: { type: "string" },
  interface: { type: "string", short: "i", multiple: true },
  to: { type: "string", multiple: true },
  name: { type: "string", short: "n" },
  format: { type: "string" },
} as const;

/** The values of {@link BEACON_FLAGS} as parsed. */
export type BeaconFlagValues = FlagValues<typeof BEACON_FLAGS>;

/** Everything a beacon command needs, from flags over config over defaults (lib/beacon resolves it). */
export interface BeaconSetup extends BeaconSettings {
  readonly config: DiscoConfig;
}

/** Options for {@link resolveBeaconSetup}. */
export interface ResolveOptions {
  /** Resolve send targets (fails on an unknown interface). */
  needTargets: boolean;
  /** The config, when the caller has loaded it already; else `-c` / the default file is read. */
  config?: DiscoConfig;
  /** The secrets, when the caller has resolved them already (saves a second password derivation). */
  secrets?: Secrets;
}

/**
 * Resolves flags and config into beacon settings (lib/beacon's resolveBeaconSettings, the same the daemon
 * uses); reads the key files the config names. (`disco metrics --receive` uses it too, to follow the hosts
 * beacons report.)
 * @throws {UsageError} on bad flag values, or nothing to send to
 * @throws {ConfigError} on a bad config or unreadable key file
 * @throws {NetError} on an unknown interface
 */
export async function resolveBeaconSetup(command: string, v: BeaconFlagValues, io: CliIo, options: ResolveOptions): Promise<BeaconSetup> {
  const config = options.config ?? loadConfigFile(v.config).config;
  const port = v.port !== undefined ? parseIntFlag(command, "--port", v.port, 1, 65535) : undefined;
  if (v.delay !== undefined && v.interval !== undefined) throw new UsageError(command, "--delay and --interval are the same setting; give one");
  const delayText = v.delay ?? v.interval;
  const intervalMs = delayText !== undefined ? parseDurationFlag(command, "--delay", delayText) : undefined;
  if (intervalMs !== undefined && intervalMs < 100) throw new UsageError(command, `--delay must be at least 0.1 s, got ${intervalMs} ms`);
  if (v.format !== undefined && v.format !== "disco.py" && v.format !== "json") throw new UsageError(command, `--format expects disco.py or json, got '${v.format}'`);
  const host = resolveHostName(command, v.name, config);
  // --to ADDR[:PORT], as in disco-client: a port of its own overrides --port for that target.
  for (const t of v.to ?? []) {
    const [address = "", portText, ...rest] = t.split(":");
    if (rest.length) throw new UsageError(command, `--to expects an IPv4 address with an optional :PORT, got '${t}'`);
    parseIpv4Flag(command, "--to", address, "127.255.255.255");
    if (portText !== undefined) parseIntFlag(command, "--to", portText, 1, 65535);
  }
  const secrets = options.secrets ?? (await resolveSecrets(command, { config: config.discovery, magic: config.discovery.magic, io }));
  try {
    const settings = await resolveBeaconSettings(config, {
      host,
      version: VERSION,
      rawKeys: secrets.rawKeys,
      needTargets: options.needTargets,
      ...(port !== undefined && { port }),
      ...(intervalMs !== undefined && { intervalMs }),
      ...(v.format !== undefined && { format: v.format as BeaconFormat }),
      ...(v.interface && { interfaces: v.interface }),
      ...(v.to && { broadcast: v.to }),
      offers: (address) => announcedOffers(config, address),
    });
    return { ...settings, config };
  } catch (err) {
    // The one BeaconError here: nothing to send to. Like disco-client's "nowhere to send", a fact of this
    // host, not a wrong flag: a runtime failure (exit 1).
    if (err instanceof BeaconError) throw new BeaconError("no interface to beacon on: no up, non-loopback IPv4 interface was found; name one with -i or give --to 127.255.255.255", { cause: err });
    throw err;
  }
}

/** What {@link beaconServiceOptions} adds to a setup. */
export interface ServiceExtras {
  /** Send beacons (and a goodbye on exit), or only listen. */
  send: boolean;
  counters?: BeaconCounters;
  /** Log each dropped datagram with its reason. */
  debug?: boolean;
}

/**
 * The beacon service's options for a setup: sockets, keys, a membership table aged by the config's
 * thresholds, and logging of send failures. Never hooks: only the daemon runs `[beacon] hooks` (with it
 * running, a command that ran them too would run every hook twice).
 * @returns everything but the signal; `table` is the one the service fills
 */
export function beaconServiceOptions(command: string, setup: BeaconSetup, io: CliIo, x: ServiceExtras): Omit<BeaconServiceOptions, "signal"> & { table: MembershipTable } {
  const table = new MembershipTable(setup.membership);
  return {
    port: setup.port,
    listen: setup.listen,
    send: x.send,
    targets: setup.targets,
    intervalMs: setup.intervalMs,
    format: setup.format,
    self: setup.self,
    channelId: setup.channelId,
    ...(setup.keyring && { keyring: setup.keyring }),
    acceptUnsealed: setup.acceptUnsealed,
    goodbye: x.send && setup.goodbye,
    ...(setup.vault && { vault: setup.vault }),
    table,
    ...(x.counters && { counters: x.counters }),
    ...(x.debug && { onDrop: (reason, from, err) => io.err(`${escapeForTerminal(`dropped datagram from ${from}: ${reason} (${err.message})`)}\n`) }),
    onSendError: (t, err) => io.err(`disco ${command}: send to ${formatTarget(t, setup.port)} failed: ${err instanceof Error ? err.message : String(err)}\n`),
  };
}

/** Formats counters for people, one `name value` pair per line. */
export function formatCounters(s: CountersSnapshot): string {
  const drops = Object.entries(s.drops).map(([r, n]) => `${r}=${n}`).join(" ");
  return [
    `packets sent      ${s.packetsSent}`,
    `bytes sent        ${s.bytesSent}`,
    `packets received  ${s.packetsReceived}`,
    `bytes received    ${s.bytesReceived}`,
    `errors            ${s.errors}`,
    `dropped           ${s.dropped}${drops ? ` (${drops})` : ""}`,
    `active hosts      ${s.activeHosts}`,
    `uptime            ${(s.uptimeMs / 1000).toFixed(1)} s`,
    `packets/s         ${s.packetsPerSec.toFixed(2)}`,
  ].join("\n");
}

const HELP = `Usage: disco broadcast --send [--port 9000] [--delay 15] [-i IFACE]... [--to ADDR[:PORT]]... [--name NAME] [-c FILE]
       disco broadcast --receive [--port 9000] [--json] [--debug] [-c FILE]

Beacons, compatible with disco.py both ways. --send sends "HOST <name> <unix seconds>" (or a rich JSON
beacon when [beacon] format = "json") every --delay seconds to the broadcast address of every up,
non-loopback IPv4 interface (or only those named with -i, or only the --to addresses when given without
-i), and a goodbye on Ctrl-C / SIGTERM. Unlike disco.py, it does not start a ZeroMQ proxy (use
'disco metrics --proxy' or 'disco run'). --receive prints each beacon as disco.py does:
"Received broadcast from <ip> : HOST <name> <seconds>". Bad datagrams are counted and dropped.

Flags:
  --send                send beacons until stopped
  --receive             print beacons as they arrive
  -p, --port N          UDP port (default: [beacon] port, 9000)
  -d, --delay SECONDS   interval between beacons (default: [beacon] interval, 15); also --interval.
                        (-d is disco.py's --delay here; in disco-server it is PyDiscover's --discover-info)
  -i, --interface NAME  beacon on this interface's broadcast address (repeatable)
  --to ADDR[:PORT]      also send to this address (its own port, else --port), e.g. 127.255.255.255 (repeatable)
  -n, --name NAME       host name to announce (default: [host] name, then the system host name)
  --format F            disco.py (default) or json
  --json                (--receive) one JSON object per beacon
  -v, --verbose         log sends, drops with their reason, and counters on exit to stderr (also --debug)
  -c, --config FILE     config file (default /etc/disco.toml when present)

Examples:
  disco broadcast --send                                    every 15 s on every LAN interface
  disco broadcast --send --to 127.255.255.255 --delay 1     this machine only, every second
  disco broadcast --receive --port 9000
  disco broadcast --receive --json --debug

Stops on SIGINT/SIGTERM. Exit codes: 0 stopped, 1 runtime failure (no interface to beacon on, a port
in use), 2 usage or config error.
`;

function beaconJson(b: ReceivedBeacon): string {
  return jsonForTerminal({
    from: b.from,
    format: b.format,
    sealed: b.sealed,
    host: b.host,
    bye: b.bye,
    ...(b.unixSeconds !== undefined && { time: b.unixSeconds }),
    ...(b.rich && {
      boot: b.rich.boot,
      seq: b.rich.seq,
      interval_ms: b.rich.intervalMs,
      addresses: b.rich.addresses,
      ...(b.rich.version !== undefined && { version: b.rich.version }),
      ...(b.rich.services !== undefined && { services: b.rich.services }),
      ...(b.rich.metricsEndpoint !== undefined && { metrics: b.rich.metricsEndpoint }),
      ...(b.rich.gpio !== undefined && { gpio: b.rich.gpio }),
    }),
    ...(b.vault && { service: b.vault }),
  });
}

/** `disco broadcast`: send or receive beacons. */
export const command: Command = {
  name: "broadcast",
  async run(argv, io, signal) {
    const { values: v, help } = parseFlags("broadcast", argv, { ...BEACON_FLAGS, send: { type: "boolean" }, receive: { type: "boolean" }, json: { type: "boolean" } });
    if (help) {
      io.out(HELP);
      return 0;
    }
    if (v.send === v.receive) throw new UsageError("broadcast", "give exactly one of --send or --receive");
    if (v.send && v.json) throw new UsageError("broadcast", "--json applies to --receive");
    checkInterfaceFlags("broadcast", "--interface", v.interface);
    const setup = await resolveBeaconSetup("broadcast", v, io, { needTargets: v.send === true });
    const counters = new BeaconCounters();
    if (v.send) {
      const builder = await createBeaconBuilder({ format: setup.format, self: setup.self, intervalMs: setup.intervalMs, channelId: setup.channelId, ...(setup.keyring && { keyring: setup.keyring }) });
      await using socket = await openUdp({ port: 0, reuseAddr: false, broadcast: true });
      if (v.debug) io.err(`beaconing as ${setup.self.host} every ${setup.intervalMs / 1000} s to ${setup.targets.map((t) => formatTarget(t, setup.port)).join(", ")} (${setup.format}${setup.keyring && setup.format === "json" ? ", sealed" : ""})\n`);
      await runBeaconSender({
        signal,
        socket,
        builder,
        targets: setup.targets,
        port: setup.port,
        intervalMs: setup.intervalMs,
        goodbye: setup.goodbye,
        counters,
        ...(v.debug && { onSent: (t: string, d: Uint8Array) => io.err(`sent ${d[0] === 0xfe ? `${d.length}-byte rich beacon` : new TextDecoder().decode(d)} to ${formatTarget(t, setup.port)}\n`) }),
        onError: (t, err) => io.err(`disco broadcast: send to ${formatTarget(t, setup.port)} failed: ${err instanceof Error ? err.message : String(err)}\n`),
      });
      if (v.debug) io.err(`${formatCounters(counters.snapshot())}\n`);
      return 0;
    }
    await runBeaconService({
      ...beaconServiceOptions("broadcast", setup, io, { send: false, counters, debug: v.debug === true }),
      signal,
      ...(v.debug && { onReady: ({ port }: { port: number }) => io.err(`listening on UDP ${port}${setup.vault ? ` and ${setup.vault.group}:${setup.vault.port}` : ""}\n`) }),
      onBeacon: (b) => io.out(v.json ? `${beaconJson(b)}\n` : `Received broadcast from ${b.from} : ${escapeForTerminal(b.text)}\n`),
    });
    if (v.debug) io.err(`${formatCounters(counters.snapshot())}\n`);
    return 0;
  },
};
