/**
 * `[metrics]`. Config imports no capability code (issue 13): the endpoint grammar and the collector names
 * are held here as data, and tests/config/metrics.test.ts checks both against lib/zmtp's parseEndpoint
 * and lib/metrics' COLLECTOR_NAMES, so `disco keygen` does not load ZeroMQ to read a config.
 */
import type { Section } from "./_schema.ts";

const ENDPOINT_TEXT = 'a ZeroMQ endpoint such as "tcp://*:9000", "tcp://10.0.0.5:9000" or "ipc:///var/tmp/disco"';

/**
 * The host collectors, as lib/metrics COLLECTOR_NAMES (tests/config/metrics.test.ts holds the two equal,
 * in types and values; config imports nothing from lib/metrics, so no folder cycle).
 */
export const METRICS_COLLECTORS = ["load", "memory", "temperature", "uptime", "disk", "network"] as const;
/** One of {@link METRICS_COLLECTORS}. */
export type MetricsCollectorName = (typeof METRICS_COLLECTORS)[number];

const TCP_ENDPOINT = /^tcp:\/\/(?:\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5}|\*)$/;
const IPC_ENDPOINT = /^ipc:\/\/(.+)$/;
/** Longest ipc path (sun_path is 108 bytes with its NUL). */
const IPC_PATH_MAX_BYTES = 107;

/**
 * Whether `text` is one word that lib/zmtp's parseEndpoint accepts: `tcp://HOST:PORT` (IPv6 in brackets,
 * `*` host or port) or `ipc://PATH` of at most 107 bytes.
 */
export function isEndpointText(text: string): boolean {
  if (/\s/.test(text)) return false;
  const tcp = TCP_ENDPOINT.exec(text);
  if (tcp) return tcp[1] === "*" || Number(tcp[1]) <= 65535;
  const ipc = IPC_ENDPOINT.exec(text);
  return ipc !== null && new TextEncoder().encode(ipc[1]).length <= IPC_PATH_MAX_BYTES;
}

/** What strangers on the backend (the proxy's XPUB) may hold: lib/metrics `BackendLimits`. */
export interface BackendLimitsConfig {
  /** Connections at once; more are closed at once and counted. @default 256 */
  readonly maxConnections: number;
  /** Connections at once from one source address. @default 16 */
  readonly maxConnectionsPerAddress: number;
  /** A peer must finish the ZMTP greeting and READY within this (ms). @default 10000 */
  readonly handshakeTimeoutMs: number;
  /** ZMTP 3.1 PING to each peer this often (ms). @default 10000 */
  readonly heartbeatMs: number;
  /**
   * A 3.1 peer silent this long (no byte, no PONG) is dropped; a 3.0 peer (no PING in 3.0) silent this long
   * gives its place to a newcomer at a connection limit (ms). @default 30000, or 3 heartbeats when longer
   */
  readonly idleTimeoutMs: number;
  /** Longest subscription topic; longer ones are dropped and counted. @default 256 */
  readonly maxTopicBytes: number;
  /** Distinct topics one peer may hold. @default 100 */
  readonly maxTopicsPerPeer: number;
  /** Topics held over all peers (each peer's first not counted). @default 10000 */
  readonly maxTopics: number;
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
  readonly collectors: readonly MetricsCollectorName[];
  /** How often the daemon publishes the collectors, in ms. @default 60000 */
  readonly intervalMs: number;
  /** Directory holding proc/ and sys/ for the collectors. @default "/" */
  readonly root: string;
  /** The backend's limits against a hostile LAN. */
  readonly limits: BackendLimitsConfig;
}

/** Reads and validates `[metrics]`. */
export function readMetrics(s: Section): MetricsConfig {
  const endpoint = (key: string, def: string) => {
    const ep = s.string(key, { default: def });
    if (isEndpointText(ep)) return ep;
    s.problem(key, `expected ${ENDPOINT_TEXT}, got ${JSON.stringify(ep)}`);
    return def;
  };
  const enabled = s.bool("enabled", { default: false });
  const proxy = s.bool("proxy", { default: true });
  const frontend = endpoint("frontend", "ipc:///var/tmp/disco");
  const backend = endpoint("backend", "tcp://*:9000");
  const connect = s.strings("connect", { default: [] });
  connect.forEach((ep, i) => {
    if (!isEndpointText(ep) || ep.includes("*")) s.problem(`connect[${i}]`, `expected ${ENDPOINT_TEXT.replace('"tcp://*:9000", ', "")} (no *), got ${JSON.stringify(ep)}`);
  });
  const port = s.int("port", { default: 9000, min: 1, max: 65535 });
  const maxMessageBytes = s.int("max_message_bytes", { default: 1_048_576, min: 64, max: 268_435_456 });
  const highWaterMark = s.int("high_water_mark", { default: 1000, min: 1, max: 10_000_000 });
  const names = s.strings("collectors", { default: METRICS_COLLECTORS });
  const collectors: MetricsCollectorName[] = [];
  names.forEach((n, i) => {
    if ((METRICS_COLLECTORS as readonly string[]).includes(n)) collectors.push(n as MetricsCollectorName);
    else s.problem(`collectors[${i}]`, `unknown collector ${JSON.stringify(n)} (expected some of: ${METRICS_COLLECTORS.join(", ")})`);
  });
  const intervalMs = s.durationMs("interval", { default: 60_000, minMs: 1000, maxMs: 86_400_000 });
  const root = s.string("root", { default: "/", pattern: /^\//, patternText: "an absolute path" });
  const heartbeatMs = s.durationMs("heartbeat_interval", { default: 10_000, minMs: 100, maxMs: 3_600_000 });
  // Unset, the idle timeout is 30 s or three heartbeats, whichever is longer.
  let idleTimeoutMs = s.durationMs("idle_timeout", { minMs: 100, maxMs: 86_400_000 }) ?? Math.max(30_000, 3 * heartbeatMs);
  if (idleTimeoutMs <= heartbeatMs) {
    s.problem("idle_timeout", `expected more than heartbeat_interval (${heartbeatMs} ms) so a peer gets a PING before it is dropped, got ${idleTimeoutMs} ms`);
    idleTimeoutMs = heartbeatMs * 3;
  }
  const limits: BackendLimitsConfig = {
    maxConnections: s.int("max_connections", { default: 256, min: 1, max: 1_000_000 }),
    maxConnectionsPerAddress: s.int("max_connections_per_address", { default: 16, min: 1, max: 1_000_000 }),
    handshakeTimeoutMs: s.durationMs("handshake_timeout", { default: 10_000, minMs: 100, maxMs: 3_600_000 }),
    heartbeatMs,
    idleTimeoutMs,
    maxTopicBytes: s.int("max_topic_bytes", { default: 256, min: 0, max: 1_048_576 }),
    maxTopicsPerPeer: s.int("max_topics_per_peer", { default: 100, min: 1, max: 10_000_000 }),
    maxTopics: s.int("max_topics", { default: 10_000, min: 1, max: 10_000_000 }),
  };
  s.done();
  return { enabled, proxy, frontend, backend, connect, port, maxMessageBytes, highWaterMark, collectors, intervalMs, root, limits };
}
