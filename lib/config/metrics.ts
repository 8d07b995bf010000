import { COLLECTOR_NAMES, type CollectorName } from "../metrics/index.ts";
import { parseEndpoint } from "../zmtp/index.ts";
import type { Section } from "./_schema.ts";

const ENDPOINT_TEXT = 'a ZeroMQ endpoint such as "tcp://*:9000", "tcp://10.0.0.5:9000" or "ipc:///var/tmp/disco"';

/** Whether `text` is one word that the sockets accept as an endpoint (lib/zmtp parseEndpoint). */
function isEndpoint(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    parseEndpoint(text);
    return true;
  } catch {
    return false;
  }
}

/** `[metrics]`: disco.py-compatible metrics over ZeroMQ (ZMTP 3.1). */
export interface MetricsConfig {
  /** Run the metrics capability under `disco run`. @default false */
  readonly enabled: boolean;
  /** Run the XSUB/XPUB proxy under `disco run` (publishers → frontend, receivers ← backend). @default true */
  readonly proxy: boolean;
  /** Where local publishers connect (the proxy's XSUB). @default "ipc:///var/tmp/disco" */
  readonly frontend: string;
  /** Where receivers connect (the proxy's XPUB). @default "tcp://*:9000" */
  readonly backend: string;
  /** Backends a receiver always connects to, besides the hosts beacons report. @default [] */
  readonly connect: readonly string[];
  /** Port of a discovered host's backend when its beacon announces none. @default 9000 */
  readonly port: number;
  /** Largest message accepted from a peer; bigger ones disconnect it. @default 1048576 */
  readonly maxMessageBytes: number;
  /** Messages queued per peer before new ones are dropped (and counted). @default 1000 */
  readonly highWaterMark: number;
  /** Host collectors the daemon publishes. @default all */
  readonly collectors: readonly CollectorName[];
  /** How often the daemon publishes the collectors, in ms. @default 60000 */
  readonly intervalMs: number;
  /** Directory holding proc/ and sys/ for the collectors. @default "/" */
  readonly root: string;
}

/** Reads and validates `[metrics]`. */
export function readMetrics(s: Section): MetricsConfig {
  const endpoint = (key: string, def: string) => {
    const ep = s.string(key, { default: def });
    if (isEndpoint(ep)) return ep;
    s.problem(key, `expected ${ENDPOINT_TEXT}, got ${JSON.stringify(ep)}`);
    return def;
  };
  const enabled = s.bool("enabled", { default: false });
  const proxy = s.bool("proxy", { default: true });
  const frontend = endpoint("frontend", "ipc:///var/tmp/disco");
  const backend = endpoint("backend", "tcp://*:9000");
  const connect = s.strings("connect", { default: [] });
  connect.forEach((ep, i) => {
    if (!isEndpoint(ep) || ep.includes("*")) s.problem(`connect[${i}]`, `expected ${ENDPOINT_TEXT.replace('"tcp://*:9000", ', "")} (no *), got ${JSON.stringify(ep)}`);
  });
  const port = s.int("port", { default: 9000, min: 1, max: 65535 });
  const maxMessageBytes = s.int("max_message_bytes", { default: 1_048_576, min: 64, max: 268_435_456 });
  const highWaterMark = s.int("high_water_mark", { default: 1000, min: 1, max: 10_000_000 });
  const names = s.strings("collectors", { default: COLLECTOR_NAMES });
  const collectors: CollectorName[] = [];
  names.forEach((n, i) => {
    if ((COLLECTOR_NAMES as readonly string[]).includes(n)) collectors.push(n as CollectorName);
    else s.problem(`collectors[${i}]`, `unknown collector ${JSON.stringify(n)} (expected some of: ${COLLECTOR_NAMES.join(", ")})`);
  });
  const intervalMs = s.durationMs("interval", { default: 60_000, minMs: 1000, maxMs: 86_400_000 });
  const root = s.string("root", { default: "/", pattern: /^\//, patternText: "an absolute path" });
  s.done();
  return { enabled, proxy, frontend, backend, connect, port, maxMessageBytes, highWaterMark, collectors, intervalMs, root };
}
