/**
 * `disco metrics --proxy | --publish NAME VALUE | --receive`: disco.py's metrics mode over ZeroMQ, spoken
 * by disco's own ZMTP 3.1 (no libzmq), wire-compatible with disco.py and any libzmq peer.
 */
import { runBeaconService } from "../beacon/index.ts";
import { loadConfigFile, resolveHostName } from "./_config.ts";
import type { BackendLimitsConfig } from "../config/index.ts";
import { parseDurationFlag, parseFlags, parseIntFlag } from "./_args.ts";
import { beaconServiceOptions, resolveBeaconSetup } from "./broadcast.ts";
import type { CliIo, Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import { explainErrno } from "./_os-errors.ts";
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";
import { MetricsProxy, MetricsReceiver, NoProxyError, formatMetric, publishMetric, type JsonValue } from "../metrics/index.ts";
import { EndpointError, TransportError, parseEndpoint, type SocketEvent, type SocketOptions } from "../zmtp/index.ts";

const HELP = `Usage: disco metrics --proxy [--frontend EP] [--backend EP] [--debug] [-c FILE]
       disco metrics --publish NAME VALUE [NAME VALUE]... [--frontend EP] [--name HOST] [--wait SECONDS]
       disco metrics --receive [--json] [--connect EP]... [--port 9000] [--no-beacons] [--debug]

Metrics the disco.py way, over ZeroMQ (disco speaks the ZMTP 3.1 wire protocol itself).

--proxy    runs the forwarder: local publishers connect to the frontend (an XSUB, default
           ipc:///var/tmp/disco), receivers anywhere on the LAN connect to the backend (an XPUB, default
           tcp://*:9000). Runs until Ctrl-C / SIGTERM. ('disco run' runs it too when [metrics] enabled.)
           Prints "Proxying metrics ('<frontend>' -> '<backend>')" as disco.py does.
--publish  sends one frame "metric <host> <json>" through the local proxy: the values as the strings
           given, plus "_time" (unix seconds). It waits until the proxy is connected and a receiver has
           subscribed, or --wait passes (then the metric goes to nobody: disco says so and exits 1).
--receive  listens for beacons (UDP --port, default 9000) and connects to the backend of every host
           heard, disconnecting hosts that leave or fail; --connect adds fixed backends. Prints each
           new host and each metric as disco.py does:
             Connecting new metrics host: 192.168.1.125
             Metric(host=shed values={"temperature": "73", "_time": 1683949549.367})

Flags:
  --frontend EP       proxy frontend (default: [metrics] frontend, ipc:///var/tmp/disco)
  --backend EP        proxy backend (default: [metrics] backend, tcp://*:9000)
  --connect EP        (--receive) also connect to this backend, e.g. tcp://10.0.0.5:9000 (repeatable)
  -p, --port N        (--receive) UDP port of beacons (default: [beacon] port, 9000)
  --no-beacons        (--receive) only the --connect / [metrics] connect backends, no beacon listening
  --json              (--receive) one JSON object per metric: {"host": ..., "values": {...}}
  -n, --name NAME     (--publish) host name in the frame (default: [host] name, then the system host name)
  --wait SECONDS      (--publish) longest wait for the proxy and a subscriber (default 2)
  -v, --verbose       log connections, rejected peers and counters to stderr (the same as --debug)
  -c, --config FILE   config file (default /etc/disco.toml when present)

Examples:
  disco metrics --proxy
  disco metrics --publish temperature 73
  disco metrics --publish temperature 73 humidity 40 --name shed
  disco metrics --receive
  disco metrics --receive --json --no-beacons --connect tcp://10.0.0.5:9000
  disco metrics --proxy --frontend tcp://127.0.0.1:5555 --backend tcp://127.0.0.1:9000 --debug

Exit codes: 0 ok (--publish: a receiver was subscribed), 1 runtime failure (no proxy, nobody subscribed,
an endpoint in use), 2 usage or config error.
`;

const FLAGS = {
  proxy: { type: "boolean" },
  publish: { type: "boolean" },
  receive: { type: "boolean" },
  frontend: { type: "string" },
  backend: { type: "string" },
  connect: { type: "string", multiple: true },
  port: { type: "string", short: "p" },
  "no-beacons": { type: "boolean" },
  json: { type: "boolean" },
  name: { type: "string", short: "n" },
  wait: { type: "string" },
  config: { type: "string", short: "c" },
} as const;

/**
 * A socket event as one line for `-v`, escaped for the terminal: an error's message quotes what the peer
 * sent (an ERROR command's reason, a READY Socket-Type, an unknown command's name), and peers on the
 * backend are anyone on the LAN.
 * @param e an event of a ZMTP socket (the proxy's, the receiver's)
 * @returns the line, without a newline
 */
export function describeEvent(e: SocketEvent): string {
  return escapeForTerminal(describeEventText(e));
}

function describeEventText(e: SocketEvent): string {
  switch (e.type) {
    case "listening":
      return `listening on ${e.endpoint}`;
    case "connected":
      return `connected to ${e.endpoint}`;
    case "accepted":
      return `accepted ${e.remote} on ${e.endpoint}`;
    case "handshake":
      return `${e.peerType} peer ${e.remote} ready on ${e.endpoint}`;
    case "connect-failed":
      // The error names the endpoint already ("cannot connect to X: ...").
      return `${e.error.message}; retrying in ${e.retryMs} ms`;
    case "disconnected":
      return `${e.remote} left ${e.endpoint}`;
    case "rejected":
      return `rejected ${e.remote} on ${e.endpoint}: ${e.reason}: ${e.error.message}`;
  }
}

function checkEndpoint(flag: string, ep: string): string {
  try {
    parseEndpoint(ep);
  } catch (err) {
    throw new UsageError("metrics", `${flag} expects an endpoint such as tcp://*:9000 or ipc:///var/tmp/disco, got '${ep}'`, { cause: err });
  }
  return ep;
}

async function logEvents(io: CliIo, prefix: string, events: AsyncIterable<SocketEvent>): Promise<void> {
  for await (const e of events) io.err(`${prefix}${describeEvent(e)}\n`);
}

/** `disco metrics`. */
export const command: Command = {
  name: "metrics",
  async run(argv, io, signal) {
    const { values: v, positionals, help } = parseFlags("metrics", argv, FLAGS, true);
    if (help) {
      io.out(HELP);
      return 0;
    }
    const modes = [v.proxy, v.publish, v.receive].filter(Boolean).length;
    if (modes !== 1) throw new UsageError("metrics", "give exactly one of --proxy, --publish NAME VALUE or --receive");
    if (!v.publish && positionals.length) throw new UsageError("metrics", `unexpected argument '${positionals[0]}'`);
    if (!v.receive && (v.json || v.connect || v["no-beacons"] || v.port !== undefined)) {
      throw new UsageError("metrics", "--json, --connect, --port and --no-beacons apply to --receive");
    }
    const { config } = loadConfigFile(v.config);
    const m = config.metrics;
    const socket: SocketOptions = { highWaterMark: m.highWaterMark, maxMessageBytes: m.maxMessageBytes };
    const frontend = checkEndpoint("--frontend", v.frontend ?? m.frontend);
    const backend = checkEndpoint("--backend", v.backend ?? m.backend);

    try {
      if (v.publish) return await publish(io, signal, positionals, { frontend, socket, name: resolveHostName("metrics", v.name, config), wait: v.wait, debug: v.debug === true });
      if (v.proxy) return await proxy(io, signal, { frontend, backend, socket, limits: m.limits, debug: v.debug === true });
      return await receive(io, signal, {
        socket,
        port: m.port,
        connect: [...m.connect, ...(v.connect ?? []).map((ep) => checkEndpoint("--connect", ep))],
        beacons: v["no-beacons"] !== true,
        beaconFlags: { config: v.config, port: v.port },
        json: v.json === true,
        debug: v.debug === true,
      });
    } catch (err) {
      if (err instanceof EndpointError) throw new UsageError("metrics", err.message, { cause: err });
      if (err instanceof TransportError) {
        io.err(`disco metrics: ${err.message}${explainErrno(err.code, { EADDRINUSE: "is another proxy running? choose another --frontend / --backend" })}\n`);
        return 1;
      }
      if (err instanceof NoProxyError) {
        io.err(`disco metrics: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

async function publish(
  io: CliIo,
  signal: AbortSignal,
  args: readonly string[],
  o: { frontend: string; socket: SocketOptions; name: string; wait: string | undefined; debug: boolean },
): Promise<number> {
  if (args.length === 0 || args.length % 2) throw new UsageError("metrics", "--publish needs NAME VALUE (pairs), e.g. --publish temperature 73");
  const values: Record<string, JsonValue> = {};
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === "_time") throw new UsageError("metrics", "_time is added by disco; pick another name");
    values[args[i]!] = args[i + 1]!;
  }
  const waitMs = o.wait !== undefined ? parseDurationFlag("metrics", "--wait", o.wait) : 2000;
  const r = await publishMetric(values, { host: o.name, frontend: o.frontend, waitMs, signal, socket: o.socket });
  if (!r.subscribed) {
    io.err(`disco metrics: published to ${o.frontend}, but no receiver was subscribed within ${waitMs / 1000} s: nobody got it (is 'disco metrics --receive' or a disco.py receiver connected to the proxy?)\n`);
    return 1;
  }
  if (o.debug) io.err(`published to ${o.frontend}: ${formatMetric(r.metric)}\n`);
  return 0;
}

async function proxy(io: CliIo, signal: AbortSignal, o: { frontend: string; backend: string; socket: SocketOptions; limits: BackendLimitsConfig; debug: boolean }): Promise<number> {
  await using p = await MetricsProxy.open({ frontend: o.frontend, backend: o.backend, socket: o.socket, limits: o.limits });
  const logs = o.debug
    ? (async () => {
        for await (const { side, event } of p.events(signal)) io.err(`${side}: ${describeEvent(event)}\n`);
      })()
    : undefined;
  // disco.py's own start-up line, then the endpoints as bound (an ephemeral port resolved) for --debug.
  io.out(`Proxying metrics ('${o.frontend}' -> '${o.backend}')\n`);
  if (o.debug) io.err(`proxy: frontend ${p.frontend} backend ${p.backend}\n`);
  const stats = await p.run(signal);
  await logs;
  if (o.debug) {
    const s = p.stats;
    io.err(
      `forwarded ${stats.forwarded} messages, ${stats.subscriptions} subscriptions; dropped ${s.backend.dropped} at the high-water mark; rejected peers ${s.frontend.rejected + s.backend.rejected}\n`,
    );
  }
  return 0;
}

async function receive(
  io: CliIo,
  signal: AbortSignal,
  o: {
    socket: SocketOptions;
    port: number;
    connect: readonly string[];
    beacons: boolean;
    beaconFlags: { config: string | undefined; port: string | undefined };
    json: boolean;
    debug: boolean;
  },
): Promise<number> {
  if (o.beaconFlags.port !== undefined) parseIntFlag("metrics", "--port", o.beaconFlags.port, 1, 65535);
  if (!o.beacons && o.connect.length === 0) throw new UsageError("metrics", "--no-beacons needs at least one --connect EP (or [metrics] connect)");
  await using receiver = new MetricsReceiver({ port: o.port, socket: o.socket });
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  const tasks: Promise<unknown>[] = [];
  if (o.debug) tasks.push(logEvents(io, "", receiver.events(both)));
  // disco.py logs each new host on stdout; so do we (not in --json mode, which is for machines).
  const announce = (what: string) => {
    if (!o.json) io.out(`Connecting new metrics host: ${escapeForTerminal(what)}\n`);
  };
  for (const ep of o.connect) {
    receiver.connect(ep);
    announce(ep);
  }
  if (o.beacons) {
    const setup = await resolveBeaconSetup("metrics", o.beaconFlags, io, { needTargets: false });
    // Only listening, to follow the fleet: no beacons sent, and hooks stay with 'disco run'.
    const service = beaconServiceOptions("metrics", setup, io, { send: false, debug: o.debug });
    const events = service.table.subscribe({ signal: both });
    tasks.push(
      runBeaconService({
        ...service,
        signal: both,
        ...(o.debug && { onReady: ({ port }: { port: number }) => io.err(`listening for beacons on UDP ${port}\n`) }),
      }).catch((err: unknown) => {
        io.err(`disco metrics: beacon listening failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }),
      receiver.follow(events, {
        signal: both,
        onChange: (host, action, ep) => {
          if (o.debug) io.err(`${escapeForTerminal(`${host}: ${action} ${ep}`)}\n`);
          if (action !== "connect") return;
          const e = parseEndpoint(ep);
          announce(e.transport === "tcp" ? e.host : ep);
        },
      }),
    );
  }
  try {
    for (;;) {
      const metric = await receiver.receive(signal);
      if (!metric) break;
      io.out(o.json ? `${jsonForTerminal({ host: metric.host, values: metric.values })}\n` : `${escapeForTerminal(formatMetric(metric))}\n`);
    }
  } finally {
    stop.abort();
    await receiver.close();
    await Promise.all(tasks);
  }
  if (o.debug) io.err(`bad frames ${receiver.badFrames}; rejected peers ${receiver.stats.rejected}\n`);
  return 0;
}
