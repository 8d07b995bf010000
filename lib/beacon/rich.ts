/**
 * The rich beacon's JSON payload: who the host is and what it offers. Pure: bytes <-> validated values.
 * Unknown fields are ignored (newer senders may add some); known fields are checked strictly.
 */
import { bytesEqual } from "../bytes.ts";
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

/** What a steady sender's next beacon shares with its last: everything but the digits of `seq` and `time`. */
interface Template {
  readonly bytes: Uint8Array;
  readonly beacon: RichBeacon;
  /** Where the `seq` digits start and end in `bytes`. */
  readonly seqAt: number;
  readonly seqEnd: number;
  /** Where the `time` digits start and end (both `bytes.length` when there is no time). */
  readonly timeAt: number;
  readonly timeEnd: number;
}

/** `{"v":1,"host":"`: how every canonical payload starts. */
const HEAD = enc.encode(`{"v":${RICH_VERSION},"host":"`);
const TIME_KEY = enc.encode(`,"time":`);

/**
 * Decodes rich beacon payloads as {@link decodeRichBeacon} does (same values, same errors), remembering
 * each host's last payload when it is canonical (exactly what {@link encodeRichBeacon} writes for its
 * value). A steady sender's next beacon differs from its last only in the digits of `seq` and `time`:
 * such a payload is compared with the remembered one byte for byte and read without `JSON.parse`, which
 * is most of a sealed beacon's cost. Anything else (a new boot, other services, another encoder's key
 * order or spacing, unknown fields) takes the full decoder.
 *
 * Why it is exact: the remembered bytes are the canonical encoding of a valid beacon; replacing an integer
 * in it with other ASCII digits without a leading zero gives the canonical encoding of the same beacon with
 * that integer, which the full decoder would read as exactly that.
 *
 * Bounded: at most `maxHosts` payloads are remembered (the oldest remembered goes first). The beacons of one
 * host share their `addresses`, `services` and `gpio` values (read-only, as everywhere).
 */
export class RichBeaconDecoder {
  readonly #templates = new Map<number, Template>();
  readonly #maxHosts: number;

  /** @param maxHosts payloads remembered at most, one per host @default 4096 */
  constructor(maxHosts = 4096) {
    this.#maxHosts = Math.max(1, maxHosts);
  }

  /** Hosts whose last payload is remembered. */
  get size(): number {
    return this.#templates.size;
  }

  /**
   * @param payload UTF-8 JSON bytes (from an envelope, opened when sealed)
   * @returns the beacon (an object of its own)
   * @throws {BeaconFrameError} as {@link decodeRichBeacon}
   */
  decode(payload: Uint8Array): RichBeacon {
    const key = hostKey(payload);
    if (key !== undefined) {
      const t = this.#templates.get(key);
      if (t !== undefined) {
        const hit = matchTemplate(t, payload);
        if (hit !== undefined) return hit;
      }
    }
    const b = decodeRichBeacon(payload);
    if (key !== undefined) this.#remember(key, b, payload);
    return b;
  }

  #remember(key: number, b: RichBeacon, payload: Uint8Array): void {
    const t = templateOf(b, payload);
    if (t === undefined) return;
    const templates = this.#templates;
    templates.delete(key);
    templates.set(key, t);
    if (templates.size > this.#maxHosts) templates.delete(templates.keys().next().value!);
  }
}

/** A 32-bit hash of the host name's bytes in a canonical payload, or undefined when it does not start like one. */
function hostKey(p: Uint8Array): number | undefined {
  const n = HEAD.length;
  if (p.length < n + 2) return undefined;
  for (let i = 0; i < n; i++) if (p[i] !== HEAD[i]) return undefined;
  let h = 0x811c9dc5;
  // A host name is at most 253 bytes of [A-Za-z0-9._-]: no escapes, so it ends at the next quote.
  for (let i = n; i < p.length && i < n + 254; i++) {
    const c = p[i]!;
    if (c === 0x22) return h >>> 0;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return undefined;
}

/** The template for a decoded beacon whose payload is canonical, else undefined. */
function templateOf(b: RichBeacon, payload: Uint8Array): Template | undefined {
  const canonical = encodeRichBeacon(b);
  if (!bytesEqual(canonical, payload)) return undefined;
  const seqAt = enc.encode(`{"v":${RICH_VERSION},"host":${JSON.stringify(b.host)},"boot":${JSON.stringify(b.boot)},"seq":`).length;
  const seqEnd = seqAt + String(b.seq).length;
  let timeAt = canonical.length;
  let timeEnd = canonical.length;
  if (b.unixMs !== undefined) {
    const digits = String(b.unixMs);
    // Only an integer time can be replaced digit for digit (ours always is: Date.now()), and only up to 15
    // digits, where reading digits one by one is exact.
    if (!/^[1-9][0-9]{0,14}$|^0$/.test(digits)) return undefined;
    timeEnd = canonical.length - (b.bye ? `,"bye":true}`.length : 1);
    timeAt = timeEnd - digits.length;
    for (let i = 0; i < TIME_KEY.length; i++) if (canonical[timeAt - TIME_KEY.length + i] !== TIME_KEY[i]) return undefined;
  }
  return { bytes: canonical, beacon: b, seqAt, seqEnd, timeAt, timeEnd };
}

/**
 * Reads ASCII digits from `at`: a JSON integer without a leading zero, at most `max` digits.
 * @returns [value, end], or undefined
 */
function digitsAt(p: Uint8Array, at: number, max: number): [number, number] | undefined {
  let v = 0;
  let i = at;
  for (; i < p.length && i - at <= max; i++) {
    const d = p[i]! - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  const n = i - at;
  if (n === 0 || n > max || (n > 1 && p[at] === 0x30)) return undefined;
  return [v, i];
}

function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** The beacon `p` encodes when it is the template with other `seq` and `time` digits, else undefined. */
function matchTemplate(t: Template, p: Uint8Array): RichBeacon | undefined {
  const T = t.bytes;
  if (!sameBytes(T, 0, p, 0, t.seqAt)) return undefined;
  // 15 digits: every such number is a safe integer, as 'seq' must be.
  const seq = digitsAt(p, t.seqAt, 15);
  if (seq === undefined) return undefined;
  const mid = t.timeAt - t.seqEnd;
  let at = seq[1];
  if (at + mid > p.length || !sameBytes(T, t.seqEnd, p, at, mid)) return undefined;
  at += mid;
  // The template's beacon with the new numbers (it has a time exactly when the template has time digits).
  const r: { -readonly [K in keyof RichBeacon]: RichBeacon[K] } = { ...t.beacon, seq: seq[0] };
  if (t.timeAt !== t.timeEnd) {
    const time = digitsAt(p, at, 15);
    if (time === undefined) return undefined;
    r.unixMs = time[0];
    at = time[1];
  }
  const tail = T.length - t.timeEnd;
  if (at + tail !== p.length || !sameBytes(T, t.timeEnd, p, at, tail)) return undefined;
  return r;
}
