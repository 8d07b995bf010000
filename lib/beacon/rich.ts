/**
 * The rich beacon's JSON payload: who the host is and what it offers. Pure: bytes <-> validated values.
 * Unknown fields are ignored (newer senders may add some); known fields are checked strictly.
 */
import { HOST_NAME_RULE, isAddressLiteral, isValidHostName } from "../text/index.ts";
import { BeaconFrameError } from "./errors.ts";

/** Version of the JSON payload. */
export const RICH_VERSION = 1;

/** A rich beacon's content. */
export interface RichBeacon {
  /** Host identity. */
  readonly host: string;
  /** Random id of this run of the sender (16 hex digits): a new one means the host restarted. */
  readonly boot: string;
  /** Per-boot sequence number, +1 per datagram (replay protection without clocks). */
  readonly seq: number;
  /** The sender's beacon interval in ms (receivers count missed beacons against it). */
  readonly intervalMs: number;
  /** The sender's addresses (IP literals). */
  readonly addresses: readonly string[];
  /** The sender's disco version. */
  readonly version?: string;
  /** The sender's `[services]`, verbatim. */
  readonly services?: Readonly<Record<string, unknown>>;
  /** The sender's metrics endpoint, e.g. "tcp://10.0.0.5:9000". */
  readonly metricsEndpoint?: string;
  /** GPIO interface names the sender exposes. */
  readonly gpio?: readonly string[];
  /** The sender's HTTP server base URL, e.g. "http://10.0.0.5:9180" (wire key `http`). */
  readonly httpEndpoint?: string;
  /** Sender wall clock, unix ms (informational only). */
  readonly unixMs?: number;
  /** True in the goodbye sent on clean shutdown. */
  readonly bye?: boolean;
}

const BOOT = /^[0-9a-f]{16}$/;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes a rich beacon as compact JSON (keys in a fixed order, so the bytes are stable for golden tests).
 * @returns UTF-8 JSON bytes
 */
export function encodeRichBeacon(b: RichBeacon): Uint8Array {
  const o: Record<string, unknown> = { v: RICH_VERSION, host: b.host, boot: b.boot, seq: b.seq, interval_ms: b.intervalMs, addresses: b.addresses };
  if (b.version !== undefined) o["version"] = b.version;
  if (b.services !== undefined) o["services"] = b.services;
  if (b.metricsEndpoint !== undefined) o["metrics"] = b.metricsEndpoint;
  if (b.gpio !== undefined) o["gpio"] = b.gpio;
  if (b.httpEndpoint !== undefined) o["http"] = b.httpEndpoint;
  if (b.unixMs !== undefined) o["time"] = b.unixMs;
  if (b.bye) o["bye"] = true;
  return enc.encode(JSON.stringify(o));
}

function fail(message: string): never {
  throw new BeaconFrameError("malformed", message);
}

function str(o: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > max) fail(`'${key}' must be a string of at most ${max} characters`);
  return v;
}

function strList(o: Record<string, unknown>, key: string, maxItems: number, maxChars: number): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > maxItems || !v.every((x) => typeof x === "string" && x.length <= maxChars)) {
    fail(`'${key}' must be a list of at most ${maxItems} strings`);
  }
  return v as string[];
}

/**
 * Decodes and validates a rich beacon payload.
 * @param payload UTF-8 JSON bytes (from an envelope, opened when sealed)
 * @returns the beacon
 * @throws {BeaconFrameError} `not-utf8`, `malformed`, or `bad-name` (the host name rule, lib/text)
 */
export function decodeRichBeacon(payload: Uint8Array): RichBeacon {
  let text: string;
  try {
    text = dec.decode(payload);
  } catch (err) {
    throw new BeaconFrameError("not-utf8", "rich beacon payload is not UTF-8", { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BeaconFrameError("malformed", "rich beacon payload is not JSON", { cause: err });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("rich beacon payload is not a JSON object");
  const o = raw as Record<string, unknown>;
  if (o["v"] !== RICH_VERSION) fail(`unknown rich beacon payload version ${JSON.stringify(o["v"])}`);
  const host = o["host"];
  if (typeof host !== "string") fail("'host' must be a string");
  if (!isValidHostName(host)) throw new BeaconFrameError("bad-name", `'host' is not ${HOST_NAME_RULE}`);
  const boot = o["boot"];
  if (typeof boot !== "string" || !BOOT.test(boot)) fail("'boot' must be 16 lowercase hex digits");
  const seq = o["seq"];
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) fail("'seq' must be a whole number >= 0");
  const intervalMs = o["interval_ms"];
  if (typeof intervalMs !== "number" || !Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 86_400_000) {
    fail("'interval_ms' must be a whole number from 100 to 86400000");
  }
  const addresses = strList(o, "addresses", 32, 64) ?? [];
  if (!addresses.every(isAddressLiteral)) fail("'addresses' must be IP addresses");
  const version = str(o, "version", 64);
  const services = o["services"];
  if (services !== undefined && (typeof services !== "object" || services === null || Array.isArray(services))) fail("'services' must be an object");
  const metricsEndpoint = str(o, "metrics", 256);
  const gpio = strList(o, "gpio", 256, 64);
  const httpEndpoint = str(o, "http", 256);
  const unixMs = o["time"];
  if (unixMs !== undefined && (typeof unixMs !== "number" || !Number.isFinite(unixMs))) fail("'time' must be a number");
  const bye = o["bye"];
  if (bye !== undefined && typeof bye !== "boolean") fail("'bye' must be true or false");
  // Assigned one by one rather than spread: this runs for every received rich beacon.
  const b: { -readonly [K in keyof RichBeacon]: RichBeacon[K] } = { host, boot, seq, intervalMs, addresses };
  if (version !== undefined) b.version = version;
  if (services !== undefined) b.services = services as Record<string, unknown>;
  if (metricsEndpoint !== undefined) b.metricsEndpoint = metricsEndpoint;
  if (gpio !== undefined) b.gpio = gpio;
  if (httpEndpoint !== undefined) b.httpEndpoint = httpEndpoint;
  if (unixMs !== undefined) b.unixMs = unixMs as number;
  if (bye === true) b.bye = true;
  return b;
}
