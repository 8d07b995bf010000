/**
 * Control payloads (the plaintext inside a sealed control frame) and the arguments of each operation.
 * Pure codec. Layouts are in docs/PROTOCOL.md, "Control".
 *
 * ```
 * request    op(1) id(16) args_len(2) args
 * challenge  id(16) challenge(16) ttl_ms(4)
 * command    op(1) id(16) challenge(16) args_len(2) args
 * result     id(16) status(1) body (UTF-8 JSON object, to the end)
 * refusal    nonce(12) code(1)                 (unsealed; echoes the refused frame's nonce)
 * ```
 */
import { CHALLENGE_BYTES, NONCE_BYTES } from "../crypto/index.ts";
import { decodeChallenge as decodeDiscoveryChallenge, encodeChallenge as encodeDiscoveryChallenge } from "../discovery/index.ts";
import { ControlFrameError } from "./errors.ts";

/** Bytes of a request id (chosen by the client, echoed by the target). */
export const REQUEST_ID_BYTES = 16;
/** Bytes of a challenge (random, chosen by the target). */
export { CHALLENGE_BYTES };
/** Largest `args` field. */
export const MAX_ARGS_BYTES = 1200;
/** Largest query payload (what `disco query NAME PAYLOAD` carries). */
export const MAX_QUERY_PAYLOAD_BYTES = 1024;
/** Largest line or query name on the wire (as in the config). */
export const MAX_NAME_BYTES = 64;

/** Operations. Reads are one round trip; the others are challenged (two round trips). */
export const CONTROL_OP = { "gpio-info": 0x01, "gpio-get": 0x02, "gpio-set": 0x03, query: 0x04 } as const;
/** An operation name. */
export type ControlOp = keyof typeof CONTROL_OP;
const OP_NAMES: Readonly<Record<number, ControlOp>> = { 0x01: "gpio-info", 0x02: "gpio-get", 0x03: "gpio-set", 0x04: "query" };

/** Whether an operation changes state or runs something, and so needs a challenge. */
export function isChallenged(op: ControlOp): boolean {
  return op === "gpio-set" || op === "query";
}

/** Result status codes. */
export const RESULT_STATUS = {
  ok: 0,
  "bad-request": 1,
  unsupported: 2,
  "unknown-line": 3,
  "not-remote": 4,
  "bad-value": 5,
  "unknown-query": 6,
  "unknown-challenge": 7,
  "challenge-mismatch": 8,
  "wrong-address": 9,
  busy: 10,
  failed: 11,
} as const;
/** A result status name. */
export type ResultStatus = keyof typeof RESULT_STATUS;
const STATUS_NAMES = Object.fromEntries(Object.entries(RESULT_STATUS).map(([k, v]) => [v, k])) as Readonly<Record<number, ResultStatus>>;

/** Refusal codes (unsealed frames; only with hidden mode off, or from a target without a key). */
export const REFUSAL_CODE = { malformed: 1, channel: 2, key: 3, auth: 4, unsealed: 5 } as const;
/** A refusal code name. */
export type RefusalCode = keyof typeof REFUSAL_CODE;
const REFUSAL_NAMES = Object.fromEntries(Object.entries(REFUSAL_CODE).map(([k, v]) => [v, k])) as Readonly<Record<number, RefusalCode>>;

/** A request or a command (a command also carries the challenge). */
export interface OperationPayload {
  readonly op: ControlOp;
  readonly id: Uint8Array;
  readonly args: Uint8Array;
}
/** A command: a request repeated with the target's challenge. */
export interface CommandPayload extends OperationPayload {
  readonly challenge: Uint8Array;
}
/** The target's challenge for a request. */
export interface ChallengePayload {
  readonly id: Uint8Array;
  readonly challenge: Uint8Array;
  /** How long the challenge stays valid on the target's monotonic clock. */
  readonly ttlMs: number;
}
/** The outcome of an operation. */
export interface ResultPayload {
  readonly id: Uint8Array;
  readonly status: ResultStatus;
  readonly body: Readonly<Record<string, unknown>>;
}
/** An unsealed refusal. */
export interface RefusalPayload {
  readonly nonce: Uint8Array;
  readonly code: RefusalCode;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function need(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length < n) throw new ControlFrameError(`${what}: need ${n} bytes, got ${bytes.length}`, bytes.length);
}
function exact(name: string, bytes: Uint8Array, n: number): void {
  if (bytes.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${bytes.length}`);
}
function checkArgs(args: Uint8Array): void {
  if (args.length > MAX_ARGS_BYTES) throw new RangeError(`args must be at most ${MAX_ARGS_BYTES} bytes, got ${args.length}`);
}
function readOp(byte: number): ControlOp {
  const op = OP_NAMES[byte];
  if (op === undefined) throw new ControlFrameError(`unknown operation ${byte}`, 0);
  return op;
}

/** Requests and commands share one layout: the operation byte, fixed fields, a 16-bit args length, the args. */
function encodeWithArgs(op: ControlOp, fields: readonly Uint8Array[], args: Uint8Array): Uint8Array<ArrayBuffer> {
  checkArgs(args);
  const head = fields.reduce((at, f) => at + f.length, 1);
  const out = new Uint8Array(head + 2 + args.length);
  out[0] = CONTROL_OP[op];
  let at = 1;
  for (const f of fields) {
    out.set(f, at);
    at += f.length;
  }
  out[head] = args.length >>> 8;
  out[head + 1] = args.length & 0xff;
  out.set(args, head + 2);
  return out;
}
/** The operation and args of that layout, whose fixed part ends at `head`. */
function decodeWithArgs(b: Uint8Array, head: number, what: string): { op: ControlOp; args: Uint8Array } {
  need(b, head + 2, what);
  const op = readOp(b[0]!);
  const n = (b[head]! << 8) | b[head + 1]!;
  if (n > MAX_ARGS_BYTES) throw new ControlFrameError(`args of ${n} bytes exceed ${MAX_ARGS_BYTES}`, head);
  if (b.length !== head + 2 + n) throw new ControlFrameError(`${what} of ${b.length} bytes, expected ${head + 2 + n}`, Math.min(b.length, head + 2 + n));
  return { op, args: b.subarray(head + 2) };
}

/**
 * Encodes a request.
 * @throws {RangeError} on a bad id length or args over {@link MAX_ARGS_BYTES}
 */
export function encodeRequest(p: OperationPayload): Uint8Array<ArrayBuffer> {
  exact("id", p.id, REQUEST_ID_BYTES);
  return encodeWithArgs(p.op, [p.id], p.args);
}

/**
 * Decodes a request.
 * @throws {ControlFrameError} on a bad length or an unknown operation
 */
export function decodeRequest(b: Uint8Array): OperationPayload {
  const { op, args } = decodeWithArgs(b, 1 + REQUEST_ID_BYTES, "request");
  return { op, id: b.subarray(1, 17), args };
}

/**
 * Encodes a command.
 * @throws {RangeError} on bad field lengths
 */
export function encodeCommand(p: CommandPayload): Uint8Array<ArrayBuffer> {
  exact("id", p.id, REQUEST_ID_BYTES);
  exact("challenge", p.challenge, CHALLENGE_BYTES);
  return encodeWithArgs(p.op, [p.id, p.challenge], p.args);
}

/**
 * Decodes a command.
 * @throws {ControlFrameError} on a bad length or an unknown operation
 */
export function decodeCommand(b: Uint8Array): CommandPayload {
  const { op, args } = decodeWithArgs(b, 1 + REQUEST_ID_BYTES + CHALLENGE_BYTES, "command");
  return { op, id: b.subarray(1, 17), challenge: b.subarray(17, 33), args };
}

/** Bytes of a challenge payload (the same layout as discovery's challenge). */
export const CHALLENGE_PAYLOAD_BYTES = REQUEST_ID_BYTES + CHALLENGE_BYTES + 4;

/**
 * Encodes a challenge: the same 36 bytes as discovery's (id, challenge, ttl), one codec for both.
 * @throws {RangeError} on bad field lengths or a ttl outside 0..2^32-1
 */
export function encodeChallenge(p: ChallengePayload): Uint8Array<ArrayBuffer> {
  return encodeDiscoveryChallenge(p);
}

/**
 * Decodes a challenge.
 * @throws {ControlFrameError} unless the payload is exactly 36 bytes
 */
export function decodeChallenge(b: Uint8Array): ChallengePayload {
  if (b.length !== CHALLENGE_PAYLOAD_BYTES) throw new ControlFrameError(`challenge of ${b.length} bytes, expected ${CHALLENGE_PAYLOAD_BYTES}`, Math.min(b.length, CHALLENGE_PAYLOAD_BYTES));
  return decodeDiscoveryChallenge(b);
}

/**
 * Encodes a result.
 * @throws {RangeError} on a bad id length
 */
export function encodeResult(p: ResultPayload): Uint8Array<ArrayBuffer> {
  exact("id", p.id, REQUEST_ID_BYTES);
  const json = enc.encode(JSON.stringify(p.body));
  const out = new Uint8Array(REQUEST_ID_BYTES + 1 + json.length);
  out.set(p.id, 0);
  out[16] = RESULT_STATUS[p.status];
  out.set(json, 17);
  return out;
}

/**
 * Decodes a result.
 * @throws {ControlFrameError} on an unknown status or a body that is not a UTF-8 JSON object
 */
export function decodeResult(b: Uint8Array): ResultPayload {
  need(b, 17, "result");
  const status = STATUS_NAMES[b[16]!];
  if (status === undefined) throw new ControlFrameError(`unknown result status ${b[16]}`, 16);
  let body: unknown;
  try {
    body = JSON.parse(dec.decode(b.subarray(17)));
  } catch (err) {
    throw new ControlFrameError("result body is not UTF-8 JSON", 17, { cause: err });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ControlFrameError("result body is not a JSON object", 17);
  return { id: b.subarray(0, 16), status, body: body as Record<string, unknown> };
}

/** Bytes of a refusal payload. */
export const REFUSAL_PAYLOAD_BYTES = NONCE_BYTES + 1;

/** Encodes a refusal. @throws {RangeError} on a bad nonce length */
export function encodeRefusal(p: RefusalPayload): Uint8Array<ArrayBuffer> {
  exact("nonce", p.nonce, NONCE_BYTES);
  const out = new Uint8Array(REFUSAL_PAYLOAD_BYTES);
  out.set(p.nonce, 0);
  out[12] = REFUSAL_CODE[p.code];
  return out;
}

/** Decodes a refusal. @throws {ControlFrameError} on a bad length or an unknown code */
export function decodeRefusal(b: Uint8Array): RefusalPayload {
  if (b.length !== REFUSAL_PAYLOAD_BYTES) throw new ControlFrameError(`refusal of ${b.length} bytes, expected ${REFUSAL_PAYLOAD_BYTES}`, Math.min(b.length, REFUSAL_PAYLOAD_BYTES));
  const code = REFUSAL_NAMES[b[12]!];
  if (code === undefined) throw new ControlFrameError(`unknown refusal code ${b[12]}`, 12);
  return { nonce: b.subarray(0, 12), code };
}

// ---- operation arguments ----

function encodeName(name: string): Uint8Array {
  const n = enc.encode(name);
  if (n.length < 1 || n.length > MAX_NAME_BYTES) throw new RangeError(`a name must be 1..${MAX_NAME_BYTES} bytes, got ${n.length}`);
  return n;
}
function decodeName(b: Uint8Array): { name: string; next: number } {
  need(b, 1, "name");
  const n = b[0]!;
  if (n < 1 || n > MAX_NAME_BYTES) throw new ControlFrameError(`name length ${n} outside 1..${MAX_NAME_BYTES}`, 0);
  need(b, 1 + n, "name");
  let name: string;
  try {
    name = dec.decode(b.subarray(1, 1 + n));
  } catch (err) {
    throw new ControlFrameError("name is not UTF-8", 1, { cause: err });
  }
  return { name, next: 1 + n };
}

/** `gpio-get` args: name_len(1) name. @throws {RangeError} on a name outside 1..64 bytes */
export function encodeGetArgs(name: string): Uint8Array<ArrayBuffer> {
  const n = encodeName(name);
  const out = new Uint8Array(1 + n.length);
  out[0] = n.length;
  out.set(n, 1);
  return out;
}
/** Decodes `gpio-get` args. @throws {ControlFrameError} */
export function decodeGetArgs(b: Uint8Array): { name: string } {
  const { name, next } = decodeName(b);
  if (next !== b.length) throw new ControlFrameError(`${b.length - next} trailing bytes after the name`, next);
  return { name };
}

/** `gpio-set` args: name_len(1) name value(float64). @throws {RangeError} on a bad name */
export function encodeSetArgs(name: string, value: number): Uint8Array<ArrayBuffer> {
  const n = encodeName(name);
  const out = new Uint8Array(1 + n.length + 8);
  out[0] = n.length;
  out.set(n, 1);
  new DataView(out.buffer).setFloat64(1 + n.length, value);
  return out;
}
/** Decodes `gpio-set` args (any float, NaN included: the target judges the value). @throws {ControlFrameError} */
export function decodeSetArgs(b: Uint8Array): { name: string; value: number } {
  const { name, next } = decodeName(b);
  if (b.length !== next + 8) throw new ControlFrameError(`set args of ${b.length} bytes, expected ${next + 8}`, Math.min(b.length, next + 8));
  return { name, value: new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(next) };
}

/** `query` args: name_len(1) name payload (to the end). @throws {RangeError} on a bad name or a payload over 1024 bytes */
export function encodeQueryArgs(name: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = encodeName(name);
  if (payload.length > MAX_QUERY_PAYLOAD_BYTES) throw new RangeError(`a query payload is at most ${MAX_QUERY_PAYLOAD_BYTES} bytes, got ${payload.length}`);
  const out = new Uint8Array(1 + n.length + payload.length);
  out[0] = n.length;
  out.set(n, 1);
  out.set(payload, 1 + n.length);
  return out;
}
/** Decodes `query` args. @throws {ControlFrameError} */
export function decodeQueryArgs(b: Uint8Array): { name: string; payload: Uint8Array } {
  const { name, next } = decodeName(b);
  if (b.length - next > MAX_QUERY_PAYLOAD_BYTES) throw new ControlFrameError(`query payload of ${b.length - next} bytes exceeds ${MAX_QUERY_PAYLOAD_BYTES}`, next);
  return { name, payload: b.subarray(next) };
}
