/**
 * What `disco query` and `disco gpio --host` share: flags, keys (the fleet's secret expanded for the
 * "control" purpose), where the request goes (`--host NAME|ADDR[:PORT]`, resolved through a discovery
 * round for a name, or every broadcast address), printing of the client's steps for `-v`, and the target
 * side that `disco-server` runs when its config declares GPIO or queries.
 */
import type { DiscoConfig } from "../config/index.ts";
import {
  CONTROL_DROP_REASONS,
  CONTROL_PURPOSE,
  CONTROL_REFUSALS,
  hasControlToServe,
  runControl,
  serveControl,
  type ControlAnswer,
  type ControlClientEvent,
  type ControlCounters,
  type ControlEvent,
  type ControlOp,
  type ControlTarget,
  type RunControlResult,
} from "../control/index.ts";
import { createKeyring, deriveChannelId, type Keyring } from "../crypto/index.ts";
import { discover, type Target } from "../discovery/index.ts";
import { findMissingChips, openLines, selectDriver, type GpioLines } from "../gpio/index.ts";
import { IPV4_PATTERN, openUdp } from "../net/index.ts";
import { parseDurationFlag, parseIntFlag, type FlagValues } from "./_args.ts";
import { fleetTargets } from "./_discovery.ts";
import { keyringFor, resolveSecretsOrExplain, SECRET_FLAGS } from "./_secrets.ts";
import type { CliIo } from "./command.ts";
import { UsageError } from "./errors.ts";

/** Flags of the control clients (`disco query`, `disco gpio --host`). */
export const CONTROL_CLIENT_FLAGS = {
  host: { type: "string", short: "H" },
  port: { type: "string", short: "p" },
  magic: { type: "string", short: "m" },
  ...SECRET_FLAGS,
  timeout: { type: "string", short: "t" },
  interface: { type: "string", short: "i", multiple: true },
  to: { type: "string", multiple: true },
  verbose: { type: "boolean", short: "v" },
} as const;

/** The parsed values of {@link CONTROL_CLIENT_FLAGS} (derived from the table, so the two cannot drift). */
export type ControlClientFlags = FlagValues<typeof CONTROL_CLIENT_FLAGS>;

/** The help text for the shared flags. */
export const CONTROL_CLIENT_HELP = `  -H, --host HOST         a host name (found by a discovery round) or ADDR[:PORT]
  -p, --port PORT         the targets' control port (default [control] port, else 40001)
  -m, --magic MAGIC       channel name (default [discovery] magic)
      --key-file F        keys from 'disco keygen' (default: [discovery] key/keys/key_file/password_file)
      --password-file F   first line is the shared password
  -t, --timeout SECONDS   how long to wait for answers (default [control] timeout, else 3)
  -i, --interface IFACE   without --host: ask this interface's broadcast address (repeatable)
      --to ADDR           without --host: ask this address too (repeatable), e.g. 127.255.255.255
  -v, --verbose           every step on stderr (request, challenge, command, result)`;

/** A resolved control client: where to ask, with which keys, for how long. */
export interface ControlClient {
  readonly keyring: Keyring;
  readonly channelId: Uint8Array;
  readonly targets: readonly ControlTarget[];
  /** Whether one host was named (stop at its first result). */
  readonly unicast: boolean;
  /** How the targets were written, for messages. */
  readonly what: string;
  readonly timeoutMs: number;
  readonly verbose: boolean;
}

function parseHostPort(command: string, text: string, port: number): ControlTarget | undefined {
  const [address = "", portText, ...rest] = text.split(":");
  if (!IPV4_PATTERN.test(address)) return undefined;
  if (rest.length) throw new UsageError(command, `--host expects a name or ADDR[:PORT], got '${text}'`);
  return { address, port: portText !== undefined ? parseIntFlag(command, "--host", portText, 1, 65535) : port };
}

/** The broadcast targets of `[discovery]` (and -i/--to) on `port`, as disco-client picks them; --to takes no port here. */
function broadcastTargets(command: string, config: DiscoConfig, f: ControlClientFlags, port: number): Target[] {
  return fleetTargets(command, config.discovery, port, { interfaces: f.interface, to: f.to }, (t) => {
    if (!IPV4_PATTERN.test(t)) throw new UsageError(command, `--to expects an IPv4 address, got '${t}'`);
    return { address: t, port };
  });
}

/**
 * Resolves flags over the config into a control client; a host name is looked up with one discovery round.
 * @returns the client, or undefined after printing why it cannot run (exit code in `exit`)
 * @throws {UsageError} on bad flags
 */
export async function resolveControlClient(command: string, config: DiscoConfig, f: ControlClientFlags, io: CliIo, signal: AbortSignal): Promise<ControlClient | { exit: number }> {
  const d = config.discovery;
  const port = f.port !== undefined ? parseIntFlag(command, "-p", f.port, 1, 65535) : config.control.port;
  const timeoutMs = f.timeout !== undefined ? parseDurationFlag(command, "-t", f.timeout) : config.control.timeoutMs;
  const magic = f.magic ?? d.magic;
  const verbose = f.verbose === true;
  const secrets = await resolveSecretsOrExplain(command, { flags: f, config: d, magic, io, verbose });
  if (!secrets) return { exit: 2 };
  if (secrets.rawKeys.length === 0) {
    io.err(`disco ${command}: remote control needs the fleet's key or password (--key-file, --password-file, or [discovery] key_file / password_file): it never runs on an unsealed channel\n`);
    return { exit: 2 };
  }
  const keyring = await createKeyring(secrets.rawKeys, CONTROL_PURPOSE);
  const channelId = await deriveChannelId(magic);
  const log = (line: string) => verbose && io.err(`disco ${command}: ${line}\n`);
  if (f.host === undefined) {
    const targets = broadcastTargets(command, config, f, port);
    if (!targets.length) {
      io.err(`disco ${command}: nowhere to send: no up, non-loopback IPv4 interface. Use --host, -i IFACE or --to ADDR.\n`);
      return { exit: 1 };
    }
    return { keyring, channelId, targets, unicast: false, what: targets.map((t) => `${t.address}:${t.port}`).join(", "), timeoutMs, verbose };
  }
  const direct = parseHostPort(command, f.host, port);
  if (direct) return { keyring, channelId, targets: [direct], unicast: true, what: `${direct.address}:${direct.port}`, timeoutMs, verbose };
  // A name: one discovery round on the fleet's channel, stopped at the first answer from that host.
  const name = f.host;
  const discoveryRing = await keyringFor(secrets, "discovery");
  const found = new AbortController();
  let address: string | undefined;
  await using socket = await openUdp({ address: "0.0.0.0", port: 0, broadcast: true, ...(d.multicastInterface !== undefined && { multicastInterface: d.multicastInterface }) });
  log(`looking up '${name}' with a discovery round`);
  const result = await discover(socket, {
    targets: broadcastTargets(command, config, f, d.port),
    channelId,
    ...(discoveryRing && { keyring: discoveryRing }),
    timeoutMs: d.timeoutMs,
    signal: AbortSignal.any([signal, found.signal]),
    onEvent: (e) => {
      if (e.type === "answer" && e.host === name) {
        address = e.from.slice(0, e.from.lastIndexOf(":"));
        found.abort();
      }
    },
  });
  if (address === undefined) {
    const seen = result.hosts.map((h) => h.host);
    io.err(`disco ${command}: no host named '${name}' answered a discovery round within ${d.timeoutMs / 1000}s${seen.length ? ` (found: ${seen.join(", ")})` : ""}; give its address with --host ADDR\n`);
    return { exit: 1 };
  }
  log(`'${name}' is at ${address}`);
  return { keyring, channelId, targets: [{ address, port }], unicast: true, what: `${name} (${address}:${port})`, timeoutMs, verbose };
}

function formatEvent(e: ControlClientEvent): string | undefined {
  switch (e.type) {
    case "sent":
      return `request sent to ${e.target.address}:${e.target.port} (${e.bytes} bytes)`;
    case "send-failed":
      return `request NOT sent to ${e.target.address}:${e.target.port}: ${e.message}`;
    case "challenge":
      return `challenge from ${e.from} after ${e.ms} ms (valid ${e.ttlMs} ms): repeating the operation with it`;
    case "command":
      return `command sent to ${e.to} (${e.bytes.length} bytes)`;
    case "result":
      return `result from ${e.from}: ${e.status} after ${e.ms} ms`;
    case "refused":
      return `refusal from ${e.from} (${e.code})`;
    case "ignored":
      return `ignored a datagram from ${e.from} (${e.reason})`;
  }
}

/**
 * Runs one operation with a resolved client (its own socket).
 * @returns the results; prints each step with -v
 */
export async function askTargets(command: string, c: ControlClient, op: ControlOp, args: Uint8Array, io: CliIo, signal: AbortSignal): Promise<RunControlResult> {
  await using socket = await openUdp({ address: "0.0.0.0", port: 0, broadcast: !c.unicast });
  return await runControl(socket, op, args, {
    targets: c.targets,
    channelId: c.channelId,
    keyring: c.keyring,
    timeoutMs: c.timeoutMs,
    first: c.unicast,
    signal,
    ...(c.verbose && { onEvent: (e: ControlClientEvent) => io.err(`disco ${command}: ${formatEvent(e)}\n`) }),
  });
}

/** Statuses that mean the request itself was wrong (exit 2, like a usage error); others exit 1. */
const USAGE_STATUSES = new Set(["bad-request", "unknown-line", "not-remote", "bad-value", "unknown-query"]);

/** The exit code for a refused answer. */
export function exitForStatus(status: string): number {
  return USAGE_STATUSES.has(status) ? 2 : 1;
}

/** One answer's refusal as a line. */
export function describeRefusal(a: ControlAnswer): string {
  const who = typeof a.body["host"] === "string" ? `${a.body["host"]} (${a.from})` : a.from;
  const message = typeof a.body["message"] === "string" ? a.body["message"] : "no reason given";
  return `${who} refused: ${message} [${a.status}]`;
}

/** Why nothing came back, as one message. */
export function describeSilence(c: ControlClient, r: RunControlResult): string {
  return (
    `no answer from ${c.what} within ${c.timeoutMs / 1000}s.\n` +
    "  Check: the same magic (-m) and key on both sides (a target with another key stays silent);\n" +
    `  that the target serves control (disco run or disco-server with [[gpio.*]] or [[query]], and a key), on UDP port ${c.targets[0]?.port ?? "?"}` +
    (r.sendFailures.length ? `;\n  sending failed: ${r.sendFailures.map((s) => s.message).join("; ")}` : "")
  );
}

/** Formats a target-side control event for the log (every remote write with its source and key id). */
export function formatControlEvent(e: ControlEvent): string | undefined {
  switch (e.type) {
    case "write":
      return `control: remote write ${e.name} = ${e.value} from ${e.who.address}:${e.who.port} (key ${e.who.keyId})`;
    case "query":
      return `control: query ${e.name} from ${e.who.address}:${e.who.port} (key ${e.who.keyId}): exit ${String(e.outcome.body["exitCode"])}`;
    case "refused":
      return `control: refused ${e.op} from ${e.who.address}:${e.who.port} (key ${e.who.keyId}): ${e.status}${e.message ? ` (${e.message})` : ""}`;
    case "dropped":
      return undefined;
  }
}

/** The target's counters as one line (non-zero refusals and drops only). */
export function formatControlCounters(c: ControlCounters): string {
  const refused = CONTROL_REFUSALS.filter((r) => c.refused[r] > 0).map((r) => `${r}=${c.refused[r]}`).join(" ");
  const dropped = CONTROL_DROP_REASONS.filter((r) => c.dropped[r] > 0).map((r) => `${r}=${c.dropped[r]}`).join(" ");
  return `seen=${c.seen} challenges=${c.challenges} done=${c.done} writes=${c.writes} queries=${c.queries} refused{${refused}} dropped{${dropped}} refusals_sent=${c.refusalsSent} errors=${c.errors}`;
}

/** What {@link runControlTarget} needs. */
export interface ControlTargetOptions {
  readonly config: DiscoConfig;
  /** The fleet's raw keys expanded for control; undefined: every request is refused as unsealed. */
  readonly keyring?: Keyring;
  readonly magic: string;
  readonly listen: string;
  readonly hidden: boolean;
  readonly host: string;
  readonly io: CliIo;
  readonly signal: AbortSignal;
  /** Log every dropped datagram too (-v). */
  readonly verbose?: boolean;
}

/**
 * `disco-server`'s control side: opens the declared GPIO lines and serves them and the queries until the
 * signal aborts. Does nothing when the config declares neither.
 * @throws {NetError} when the control port cannot be bound
 */
export async function runControlTarget(o: ControlTargetOptions): Promise<void> {
  const { config, io } = o;
  if (!hasControlToServe(config)) return;
  const log = (line: string) => io.err(`disco server: ${line}\n`);
  let lines: GpioLines | undefined;
  const g = config.gpio;
  await using driver = g.enabled ? await selectDriver(g.driver, { sysfsRoot: g.sysfsRoot }) : undefined;
  try {
    if (driver) {
      for (const m of await findMissingChips(driver, g)) log(`gpio: ${m.name}: chip ${m.chip} does not exist (chips here: ${m.available.join(", ") || "none"})`);
      lines = await openLines(driver, g, { sysfsRoot: g.sysfsRoot });
      for (const f of lines.failures) log(`gpio: ${f.name}: ${f.error.message}`);
    }
    const counters = await serveControl({
      signal: o.signal,
      config: config.control,
      magic: o.magic,
      listen: o.listen,
      ...(o.keyring && { keyring: o.keyring }),
      hidden: o.hidden,
      ...(g.enabled && lines && { gpio: { config: g, lines } }),
      env: o.io.env,
      host: o.host,
      onListening: (address, port) =>
        log(`control: listening on ${address}:${port} (${g.enabled ? `${lines?.outputs.size ?? 0} outputs, ${lines?.pwms.size ?? 0} pwm, ${lines?.inputs.size ?? 0} inputs` : "no GPIO"}, ${config.control.queries.length} queries${o.keyring ? "" : "; NO KEY: every request is refused as unsealed"})`),
      onEvent: (e) => {
        const line = e.type === "dropped" ? (o.verbose ? `control: dropped a datagram from ${e.source} (${e.reason})` : undefined) : formatControlEvent(e);
        if (line) log(line);
      },
    });
    if (o.verbose) log(`control: stopped; ${formatControlCounters(counters)}`);
  } finally {
    await lines?.close();
  }
}
