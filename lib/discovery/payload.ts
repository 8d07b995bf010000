/**
 * Payloads carried in a frame's body (after opening, when sealed). Pure codec.
 *
 * ```
 * query   id(16) time_ms(8, big-endian unsigned, sender's unix clock)
 * answer  id(16, echoes the query) time_ms(8, responder's clock) description(JSON, UTF-8)
 * error   query_nonce(12, echoes the refused frame's nonce) code(1)
 * challenge id(16, echoes the query) challenge(16) ttl_ms(4)     (a query whose clock cannot be trusted)
 * retry   id(16, the query's) time_ms(8) challenge(16)         (the query again, with the challenge)
 * ```
 */
import { HOST_NAME_RULE, isAddressLiteral, isValidHostName } from "../text/index.ts";
import { ProtocolError } from "./errors.ts";
import { NONCE_BYTES } from "./frame.ts";

/** Bytes in a query id. */
export const QUERY_ID_BYTES = 16;
/** Bytes in a query payload. */
export const QUERY_PAYLOAD_BYTES = QUERY_ID_BYTES + 8;
/** Bytes in an error payload. */
export const ERROR_PAYLOAD_BYTES = NONCE_BYTES + 1;
/** Largest description an answer may carry (keeps the sealed answer inside one datagram). */
export const MAX_DESCRIPTION_BYTES = 60 * 1024;

/** A query. */
export interface QueryPayload {
  /** Random id, echoed by answers. */
  readonly id: Uint8Array;
  /** Sender's unix time in ms. */
  readonly timeMs: number;
}

/** A GPIO line a host exposes. */
export interface GpioLineInfo {
  readonly name: string;
  /** "in", "out" or "pwm" (other words are passed through for forward compatibility). */
  readonly direction: string;
}

/** The interfaces a host exposes besides its services. */
export interface HostInterfaces {
  /** Metrics endpoint, e.g. "tcp://10.0.0.5:9000". */
  readonly metrics?: string;
  /** GPIO lines by name and direction. */
  readonly gpio?: readonly GpioLineInfo[];
  /** HTTP server base URL, e.g. "http://10.0.0.5:9180". */
  readonly http?: string;
}

/** What a host says about itself in an answer. */
export interface SelfDescription {
  readonly host: string;
  readonly addresses: readonly string[];
  readonly version: string;
  readonly uptimeSec: number;
  /** `[services]`, verbatim. */
  readonly services: Readonly<Record<string, unknown>>;
  readonly interfaces: HostInterfaces;
}

/** An answer. */
export interface AnswerPayload {
  readonly id: Uint8Array;
  readonly timeMs: number;
  readonly description: SelfDescription;
}

/**
 * Error codes (why a frame was refused), sent only with hidden mode off. A responder sends `refused` (7) for
 * every frame it could not authenticate (other channel, unknown key, sealed/unsealed mismatch, bad tag), so
 * a stranger cannot tell a right magic from a wrong one; `channel`, `key` and `auth` (2 to 4) are what
 * earlier versions sent and are still decoded.
 */
export const ERROR_CODE = { malformed: 1, channel: 2, key: 3, auth: 4, stale: 5, replay: 6, refused: 7 } as const;
/** An error code name. */
export type ErrorCode = keyof typeof ERROR_CODE;
const CODE_NAMES: Readonly<Record<number, ErrorCode>> = { 1: "malformed", 2: "channel", 3: "key", 4: "auth", 5: "stale", 6: "replay", 7: "refused" };

/** An error reply. */
export interface ErrorPayload {
  /** The nonce of the refused frame (how the client matches the error to its query). */
  readonly nonce: Uint8Array;
  /** Why; "unknown" for a code this version does not know. */
  readonly code: ErrorCode | "unknown";
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function writeTime(out: Uint8Array, offset: number, timeMs: number): void {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new RangeError(`timeMs must be a non-negative safe integer, got ${timeMs}`);
  // Byte by byte rather than a DataView: reaching a view's .buffer costs more than the whole encoding in Bun.
  writeUint32(out, offset, Math.floor(timeMs / 2 ** 32));
  writeUint32(out, offset + 4, timeMs >>> 0);
}

function writeUint32(out: Uint8Array, offset: number, v: number): void {
  out[offset] = v >>> 24;
  out[offset + 1] = (v >>> 16) & 255;
  out[offset + 2] = (v >>> 8) & 255;
  out[offset + 3] = v & 255;
}

function readUint32(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

function readTime(bytes: Uint8Array, offset: number): number {
  return readUint32(bytes, offset) * 2 ** 32 + readUint32(bytes, offset + 4);
}

/**
 * Encodes a query payload.
 * @throws {RangeError} when the id is not 16 bytes or the time is not a non-negative integer
 */
export function encodeQuery(q: QueryPayload): Uint8Array<ArrayBuffer> {
  if (q.id.length !== QUERY_ID_BYTES) throw new RangeError(`query id must be ${QUERY_ID_BYTES} bytes, got ${q.id.length}`);
  const out = new Uint8Array(QUERY_PAYLOAD_BYTES);
  out.set(q.id, 0);
  writeTime(out, QUERY_ID_BYTES, q.timeMs);
  return out;
}

/**
 * Decodes a query payload.
 * @throws {ProtocolError} `payload` unless it is exactly 24 bytes
 */
export function decodeQuery(bytes: Uint8Array): QueryPayload {
  if (bytes.length !== QUERY_PAYLOAD_BYTES) throw new ProtocolError("payload", `query payload must be ${QUERY_PAYLOAD_BYTES} bytes, got ${bytes.length}`);
  // A 16-byte copy rather than a view: a view of a small, fresh array costs Bun more than copying it.
  return { id: bytes.slice(0, QUERY_ID_BYTES), timeMs: readTime(bytes, QUERY_ID_BYTES) };
}

/**
 * Encodes an answer payload.
 * @throws {RangeError} when the id is not 16 bytes or the description exceeds {@link MAX_DESCRIPTION_BYTES}
 */
export function encodeAnswer(a: AnswerPayload): Uint8Array<ArrayBuffer> {
  return encodeAnswerJson(a.id, a.timeMs, encodeDescription(a.description));
}

/**
 * The UTF-8 JSON of a description, as an answer carries it (responders cache it between answers).
 * @throws {RangeError} when it exceeds {@link MAX_DESCRIPTION_BYTES}
 */
export function encodeDescription(description: SelfDescription): Uint8Array<ArrayBuffer> {
  const json = enc.encode(JSON.stringify(description));
  if (json.length > MAX_DESCRIPTION_BYTES) throw new RangeError(`the self-description is ${json.length} bytes; at most ${MAX_DESCRIPTION_BYTES} fit in an answer (trim [services])`);
  return json;
}

/**
 * Encodes an answer payload around an already encoded description.
 * @throws {RangeError} when the id is not 16 bytes
 */
export function encodeAnswerJson(id: Uint8Array, timeMs: number, descriptionJson: Uint8Array): Uint8Array<ArrayBuffer> {
  if (id.length !== QUERY_ID_BYTES) throw new RangeError(`query id must be ${QUERY_ID_BYTES} bytes, got ${id.length}`);
  const out = new Uint8Array(QUERY_PAYLOAD_BYTES + descriptionJson.length);
  out.set(id, 0);
  writeTime(out, QUERY_ID_BYTES, timeMs);
  out.set(descriptionJson, QUERY_PAYLOAD_BYTES);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(message: string): never {
  throw new ProtocolError("payload", message);
}

/**
 * Validates a decoded JSON value as a {@link SelfDescription}. Unknown top-level fields are ignored.
 * @throws {ProtocolError} `payload` naming the first field with the wrong shape
 */
export function toSelfDescription(v: unknown): SelfDescription {
  if (!isRecord(v)) bad("description is not a JSON object");
  const { host, addresses, version, uptimeSec, services, interfaces } = v;
  // The name reaches terminals, hooks and file names: the one strict rule, as for beacons and metrics.
  if (typeof host !== "string" || !isValidHostName(host)) bad(`description.host must be ${HOST_NAME_RULE}`);
  // Addresses are printed, logged and handed to hooks: IP literals only (lib/text's rule, as in beacons).
  if (!Array.isArray(addresses) || addresses.length > 256 || !addresses.every((a) => typeof a === "string" && isAddressLiteral(a))) bad("description.addresses must be a list of IP addresses");
  if (typeof version !== "string" || version.length > 64) bad("description.version must be a string");
  if (typeof uptimeSec !== "number" || !Number.isFinite(uptimeSec) || uptimeSec < 0) bad("description.uptimeSec must be a non-negative number");
  if (!isRecord(services)) bad("description.services must be an object");
  const ifaces: { metrics?: string; gpio?: GpioLineInfo[]; http?: string } = {};
  if (interfaces !== undefined) {
    if (!isRecord(interfaces)) bad("description.interfaces must be an object");
    if (interfaces["metrics"] !== undefined) {
      if (typeof interfaces["metrics"] !== "string" || interfaces["metrics"].length > 256) bad("description.interfaces.metrics must be a string of at most 256 characters");
      ifaces.metrics = interfaces["metrics"];
    }
    const gpio = interfaces["gpio"];
    if (gpio !== undefined) {
      const short = (x: unknown) => typeof x === "string" && x.length <= 64;
      if (!Array.isArray(gpio) || gpio.length > 256 || !gpio.every((g) => isRecord(g) && short(g["name"]) && short(g["direction"]))) {
        bad("description.interfaces.gpio must be a list of at most 256 {name, direction} (strings of at most 64 characters)");
      }
      ifaces.gpio = (gpio as Record<string, string>[]).map((g) => ({ name: g["name"]!, direction: g["direction"]! }));
    }
    if (interfaces["http"] !== undefined) {
      if (typeof interfaces["http"] !== "string" || interfaces["http"].length > 256) bad("description.interfaces.http must be a string of at most 256 characters");
      ifaces.http = interfaces["http"];
    }
  }
  return { host, addresses: addresses as string[], version, uptimeSec, services, interfaces: ifaces };
}

/**
 * Decodes an answer payload.
 * @throws {ProtocolError} `payload` when it is short, not UTF-8 JSON, or not a self-description
 */
export function decodeAnswer(bytes: Uint8Array): AnswerPayload {
  if (bytes.length < QUERY_PAYLOAD_BYTES + 2) bad(`answer payload of ${bytes.length} bytes is too short`);
  if (bytes.length > QUERY_PAYLOAD_BYTES + MAX_DESCRIPTION_BYTES) bad(`answer payload of ${bytes.length} bytes is too long`);
  let value: unknown;
  try {
    value = JSON.parse(dec.decode(bytes.subarray(QUERY_PAYLOAD_BYTES)));
  } catch (err) {
    throw new ProtocolError("payload", "answer description is not UTF-8 JSON", { cause: err });
  }
  return { id: bytes.subarray(0, QUERY_ID_BYTES), timeMs: readTime(bytes, QUERY_ID_BYTES), description: toSelfDescription(value) };
}

/**
 * Encodes an error payload.
 * @throws {RangeError} when the nonce is not 12 bytes
 */
export function encodeError(e: { nonce: Uint8Array; code: ErrorCode }): Uint8Array<ArrayBuffer> {
  if (e.nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes, got ${e.nonce.length}`);
  const out = new Uint8Array(ERROR_PAYLOAD_BYTES);
  out.set(e.nonce, 0);
  out[NONCE_BYTES] = ERROR_CODE[e.code];
  return out;
}

/**
 * Decodes an error payload.
 * @throws {ProtocolError} `payload` unless it is exactly 13 bytes
 */
export function decodeError(bytes: Uint8Array): ErrorPayload {
  if (bytes.length !== ERROR_PAYLOAD_BYTES) bad(`error payload must be ${ERROR_PAYLOAD_BYTES} bytes, got ${bytes.length}`);
  return { nonce: bytes.subarray(0, NONCE_BYTES), code: CODE_NAMES[bytes[NONCE_BYTES]!] ?? "unknown" };
}

/** A sentence for an error code, for people. */
export function describeErrorCode(code: ErrorCode | "unknown"): string {
  switch (code) {
    case "malformed":
      return "the server could not parse the query (version mismatch?)";
    case "channel":
      return "the server is on another channel (wrong magic)";
    case "key":
      return "the server does not have the key the query was sealed with (wrong password or key, or one side has none)";
    case "auth":
      return "the query did not authenticate (wrong password or key)";
    case "stale":
      return "the query's time is too far from the server's clock (check both clocks, or raise max_skew)";
    case "replay":
      return "the server has already seen this query";
    case "refused":
      return "the query is not for this server (another magic, or the wrong password or key, or one side has none)";
    default:
      return "the server refused the query (unknown reason code)";
  }
}

/** Bytes of a challenge payload: id(16) challenge(16) ttl_ms(4). */
export const CHALLENGE_PAYLOAD_BYTES = QUERY_ID_BYTES + 16 + 4;
/** Bytes of a retry payload: id(16) time_ms(8) challenge(16). */
export const RETRY_PAYLOAD_BYTES = QUERY_PAYLOAD_BYTES + 16;

/** The responder's challenge to a query it cannot judge by its time (outside max_skew, or its own clock too early). */
export interface DiscoveryChallengePayload {
  readonly id: Uint8Array;
  readonly challenge: Uint8Array;
  /** How long the challenge is valid on the responder's monotonic clock. */
  readonly ttlMs: number;
}

/** A query repeated with the responder's challenge. */
export interface RetryPayload extends QueryPayload {
  readonly challenge: Uint8Array;
}

/**
 * Encodes a challenge payload.
 * @throws {RangeError} on bad field lengths or a ttl outside 0..2^32-1
 */
export function encodeChallenge(p: DiscoveryChallengePayload): Uint8Array<ArrayBuffer> {
  if (p.id.length !== QUERY_ID_BYTES || p.challenge.length !== 16) throw new RangeError("id and challenge must be 16 bytes");
  if (!Number.isInteger(p.ttlMs) || p.ttlMs < 0 || p.ttlMs > 0xffffffff) throw new RangeError(`ttlMs must be 0..2^32-1, got ${p.ttlMs}`);
  const out = new Uint8Array(CHALLENGE_PAYLOAD_BYTES);
  out.set(p.id, 0);
  out.set(p.challenge, 16);
  new DataView(out.buffer).setUint32(32, p.ttlMs);
  return out;
}

/**
 * Decodes a challenge payload.
 * @throws {ProtocolError} `payload` unless it is exactly 36 bytes
 */
export function decodeChallenge(b: Uint8Array): DiscoveryChallengePayload {
  if (b.length !== CHALLENGE_PAYLOAD_BYTES) throw new ProtocolError("payload", `a challenge is ${CHALLENGE_PAYLOAD_BYTES} bytes, got ${b.length}`);
  return { id: b.subarray(0, 16), challenge: b.subarray(16, 32), ttlMs: new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(32) };
}

/**
 * Encodes a retry payload (a query with the challenge appended).
 * @throws {RangeError} on bad field lengths or a time outside 0..2^53
 */
export function encodeRetry(p: RetryPayload): Uint8Array<ArrayBuffer> {
  if (p.challenge.length !== 16) throw new RangeError("challenge must be 16 bytes");
  const out = new Uint8Array(RETRY_PAYLOAD_BYTES);
  out.set(encodeQuery(p), 0);
  out.set(p.challenge, QUERY_PAYLOAD_BYTES);
  return out;
}

/**
 * Decodes a retry payload.
 * @throws {ProtocolError} `payload` unless it is exactly 40 bytes with a valid time
 */
export function decodeRetry(b: Uint8Array): RetryPayload {
  if (b.length !== RETRY_PAYLOAD_BYTES) throw new ProtocolError("payload", `a retry is ${RETRY_PAYLOAD_BYTES} bytes, got ${b.length}`);
  return { ...decodeQuery(b.subarray(0, QUERY_PAYLOAD_BYTES)), challenge: b.subarray(QUERY_PAYLOAD_BYTES) };
}
