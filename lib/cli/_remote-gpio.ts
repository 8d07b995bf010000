/**
 * `disco gpio --host HOST info | get NAME | set NAME VALUE | watch [NAME ...]`: the same words as local
 * GPIO, answered by another host over the sealed channel. `set` is challenge-protected and only reaches
 * lines that host declares `remote = true`; `watch` follows that host's metrics stream, where its daemon
 * publishes every input change (`gpio.<name>`).
 */
import type { DiscoConfig } from "../config/index.ts";
import { encodeGetArgs, encodeSetArgs, type ControlAnswer } from "../control/index.ts";
import { MetricsReceiver } from "../metrics/index.ts";
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";
import { parseEndpoint } from "../zmtp/index.ts";
import { askTargets, describeRefusal, describeSilence, exitForStatus, resolveControlClient, type ControlClient, type ControlClientFlags } from "./_control.ts";
import { EXIT_FAILURE, EXIT_OK, type CliIo } from "./command.ts";
import { UsageError } from "./errors.ts";

/** What `disco gpio` parsed, for the remote branch. */
export interface RemoteGpioRequest {
  readonly sub: "info" | "get" | "set" | "watch";
  readonly words: readonly string[];
  readonly json: boolean;
  readonly count?: number;
  readonly flags: ControlClientFlags;
  readonly config: DiscoConfig;
}

function parseRemoteValue(text: string): number {
  // 0 or 1 for an output, a duty from 0 to 1 for a PWM line: the target knows which the line is.
  if (!/^(?:0|1|0?\.\d+|1\.0*)$/.test(text)) throw new UsageError("gpio", `the value must be 0 or 1 (a PWM duty: a number from 0 to 1), got '${text}'`);
  return Number(text);
}

async function one(client: ControlClient, r: Awaited<ReturnType<typeof askTargets>>, io: CliIo): Promise<ControlAnswer | number> {
  const a = r.answers[0];
  if (a === undefined) {
    for (const x of r.refusals) {
      io.err(`disco gpio: ${escapeForTerminal(`${x.from}: ${x.message}`)}\n`);
      return EXIT_FAILURE;
    }
    io.err(`disco gpio: ${describeSilence(client, r)}\n`);
    return EXIT_FAILURE;
  }
  if (a.status !== "ok") {
    io.err(`disco gpio: ${escapeForTerminal(describeRefusal(a))}\n`);
    return exitForStatus(a.status);
  }
  return a;
}

function valueOf(body: Readonly<Record<string, unknown>>): string {
  return String(body["kind"] === "pwm" ? body["duty"] : body["value"]);
}

/**
 * Runs one remote GPIO operation.
 * @returns the exit code
 * @throws {UsageError} on bad words or flags
 */
export async function runRemoteGpio(req: RemoteGpioRequest, io: CliIo, signal: AbortSignal): Promise<number> {
  const { sub, words, json } = req;
  if (sub === "info" && words.length) throw new UsageError("gpio", "info takes no arguments");
  if (sub === "get" && words.length !== 1) throw new UsageError("gpio", "get takes one line: a NAME declared on that host");
  if (sub === "set" && words.length !== 2) throw new UsageError("gpio", "set takes a line and a value: set NAME 0|1 (a PWM line: its duty, 0 to 1)");
  const value = sub === "set" ? parseRemoteValue(words[1]!) : 0;
  const client = await resolveControlClient("gpio", req.config, req.flags, io, signal);
  if ("exit" in client) return client.exit;
  if (!client.unicast) throw new UsageError("gpio", "--host is required for remote GPIO");
  if (sub === "watch") return watch(client, req, io, signal);
  const op = sub === "info" ? "gpio-info" : sub === "get" ? "gpio-get" : "gpio-set";
  const args = sub === "info" ? new Uint8Array() : sub === "get" ? encodeGetArgs(words[0]!) : encodeSetArgs(words[0]!, value);
  const a = await one(client, await askTargets("gpio", client, op, args, io, signal), io);
  if (typeof a === "number") return a;
  // Everything below quotes the target's answer: escaped for the terminal, whatever the field.
  if (json) {
    io.out(`${jsonForTerminal({ ...a.body, from: a.from, ms: a.ms })}\n`);
    return EXIT_OK;
  }
  if (sub === "get") io.out(`${escapeForTerminal(valueOf(a.body))}\n`);
  else if (sub === "set") {
    if (client.verbose) io.err(`disco gpio: ${escapeForTerminal(`${String(a.body["host"] ?? a.from)}: ${words[0]} = ${valueOf(a.body)}`)}\n`);
  } else {
    const lines = Array.isArray(a.body["lines"]) ? (a.body["lines"] as Record<string, unknown>[]) : [];
    io.out(`${escapeForTerminal(`${String(a.body["host"] ?? a.from)} (${a.from})`)}\n`);
    if (!lines.length) io.out("\tno lines declared\n");
    for (const l of lines) {
      const v = l["error"] !== undefined ? `error: ${String(l["error"])}` : l["kind"] === "pwm" ? `duty ${String(l["duty"])}` : `value ${String(l["value"])}`;
      io.out(`\t${escapeForTerminal(String(l["name"])).padEnd(16)} ${escapeForTerminal(String(l["kind"])).padEnd(6)} ${l["remote"] ? "remote" : "local "} ${escapeForTerminal(v)}\n`);
    }
  }
  return EXIT_OK;
}

/** A metric's `_time` (unix seconds) as ISO 8601; now when it has none, or one no date can show (1e300). */
function timeOf(unixSec: unknown): string {
  const sent = typeof unixSec === "number" ? new Date(unixSec * 1000) : undefined;
  return (sent !== undefined && !Number.isNaN(sent.getTime()) ? sent : new Date()).toISOString();
}

/** Follows the host's metrics stream and prints its `gpio.*` values as they change. */
async function watch(client: ControlClient, req: RemoteGpioRequest, io: CliIo, signal: AbortSignal): Promise<number> {
  const target = client.targets[0]!;
  const backend = parseEndpoint(req.config.metrics.backend);
  const port = backend.transport === "tcp" ? backend.port : req.config.metrics.port;
  const endpoint = `tcp://${target.address}:${port}`;
  const names = new Set(req.words);
  await using receiver = new MetricsReceiver();
  receiver.connect(endpoint);
  if (client.verbose) io.err(`disco gpio: watching ${client.what} through its metrics stream ${endpoint}\n`);
  let seen = 0;
  for (;;) {
    const m = await receiver.receive(signal);
    if (!m) break;
    for (const [k, v] of Object.entries(m.values)) {
      if (!k.startsWith("gpio.")) continue;
      const name = k.slice(5);
      if (names.size && !names.has(name)) continue;
      const time = timeOf(m.values["_time"]);
      // Keys and values come from an unauthenticated stream: escaped, in both forms.
      io.out(req.json ? `${jsonForTerminal({ time, host: m.host, name, value: Number(v) })}\n` : `${escapeForTerminal(`${time} ${m.host} ${name} ${String(v)}`)}\n`);
      if (req.count !== undefined && ++seen >= req.count) return EXIT_OK;
    }
  }
  return EXIT_OK;
}
