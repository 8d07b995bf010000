/**
 * A real mosquitto (Debian's package) for a test: its own config file and a loopback port that was free a
 * moment ago, started and killed (by PID) with the test scope. Readiness is its "running" log line.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { LineReader } from "../_lines.ts";
import { freeTcpPort } from "../_bin.ts";

/** Where Debian installs the broker. */
export const MOSQUITTO = "/usr/sbin/mosquitto";

/** Why mosquitto tests cannot run here, or false. */
export function mosquittoUnavailable(): string | false {
  return existsSync(MOSQUITTO) ? false : "mosquitto missing (apt-get install mosquitto)";
}

/** A running broker. */
export interface Broker extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
}

/** Starts mosquitto on 127.0.0.1 (on `port`, default a free one) and waits until it listens. */
export async function startMosquitto(port?: number): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), "disco-mosquitto-"));
  port ??= await freeTcpPort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_dest stderr", "log_type error", "log_type warning", "log_type notice", "log_type information", ""].join("\n"));
  const proc = Bun.spawn([MOSQUITTO, "-c", conf], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const err = new LineReader(proc.stderr);
  try {
    await err.waitFor(/mosquitto version \S+ running/, { timeoutMs: 10_000 });
  } catch (e) {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    proc,
    async [Symbol.asyncDispose]() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A test client that records every message on its subscriptions. */
export interface Watcher extends AsyncDisposable {
  readonly client: MqttClient;
  /** Latest payload per topic (retained ones included). */
  readonly last: Map<string, { payload: string; retain: boolean }>;
  /** Every message, in order. */
  readonly log: { topic: string; payload: string; retain: boolean }[];
  /** Waits until `check` holds over the messages so far. */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** Connects a client that subscribes to `filters` and records what arrives. */
export async function watch(url: string, filters: string[]): Promise<Watcher> {
  const client = await mqtt.connectAsync(url, { clientId: `test-${crypto.randomUUID()}`, reconnectPeriod: 0 });
  const last = new Map<string, { payload: string; retain: boolean }>();
  const log: { topic: string; payload: string; retain: boolean }[] = [];
  const waiters = new Set<() => void>();
  client.on("message", (topic, payload, packet) => {
    const m = { topic, payload: payload.toString(), retain: packet.retain };
    if (m.payload === "") last.delete(topic);
    else last.set(topic, m);
    log.push(m);
    for (const w of [...waiters]) w();
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    client,
    last,
    log,
    until(check, what, timeoutMs = 10_000) {
      if (check()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify([...last.entries()].slice(-20))}`));
        }, timeoutMs);
        const w = () => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(w);
          resolve();
        };
        waiters.add(w);
      });
    },
    async [Symbol.asyncDispose]() {
      await client.endAsync(true);
    },
  };
}
